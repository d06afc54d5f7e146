"""Cached recomputation: hits do not recompute, parameter changes do, edited study files invalidate."""

from __future__ import annotations

import pickle

import pytest

from analysis.params import AnalysisParameters
from dashboard.analysis_cache import AnalysisCache, cache_key
from dashboard.analysis_service import AnalysisService
from dashboard.study_service import StudyService


@pytest.fixture
def service(tiny_study_dir, tmp_path):
    return AnalysisService(StudyService(tiny_study_dir), AnalysisCache(tmp_path / "cache"))


def test_second_identical_request_does_not_recompute(service):
    first = service.cohort(AnalysisParameters())
    second = service.cohort(AnalysisParameters())
    assert service.cache.computations["cohort"] == 1
    assert second is first


def test_disk_cache_survives_a_new_process(service, tiny_study_dir, tmp_path):
    service.cohort(AnalysisParameters())
    fresh = AnalysisService(StudyService(tiny_study_dir), AnalysisCache(tmp_path / "cache"))
    assert fresh.cohort_is_cached(AnalysisParameters())
    fresh.cohort(AnalysisParameters())
    assert fresh.cache.computations["cohort"] == 0


def test_parameter_change_recomputes_once_and_going_back_is_a_hit(service):
    service.cohort(AnalysisParameters())
    service.cohort(AnalysisParameters(plasma_amplification_cn=2.6))
    assert service.cache.computations["cohort"] == 2
    service.cohort(AnalysisParameters())
    service.cohort(AnalysisParameters(plasma_amplification_cn=2.6))
    assert service.cache.computations["cohort"] == 2


def test_editing_a_study_file_invalidates(service, tiny_study_dir):
    before = service.patient("P1", AnalysisParameters())
    labs = tiny_study_dir / "data_timeline_labtest.txt"
    labs.write_text(labs.read_text().replace("12.5", "99.5"))
    after = service.patient("P1", AnalysisParameters())
    assert service.cache.computations["patient"] == 2
    assert before.trajectories.cea["cea"].max() == 12.5
    assert after.trajectories.cea["cea"].max() == 99.5


def test_touching_without_change_keeps_results(service, tiny_study_dir):
    service.patient("P1", AnalysisParameters())
    path = tiny_study_dir / "data_clinical_patient.txt"
    path.write_text(path.read_text())  # new modification time, same content
    service.patient("P1", AnalysisParameters())
    assert service.cache.computations["patient"] == 1


def test_broken_edit_keeps_serving_the_last_good_study(service, tiny_study_dir):
    service.cohort(AnalysisParameters())
    path = tiny_study_dir / "data_clinical_patient.txt"
    path.write_text(path.read_text().replace("\t5.5\t", "\tfive\t"))
    study = service.study
    assert study.patients["pfs_months"].tolist() == [5.5, 12.0]
    assert not service.studies.last_reload.ok
    assert "PFS_MONTHS" in service.studies.last_reload.report.format()
    service.cohort(AnalysisParameters())
    assert service.cache.computations["cohort"] == 1


def test_key_is_small_and_explicit():
    key = cache_key("cohort", "abc", AnalysisParameters(), "kb")
    assert key.startswith("cohort:") and len(key) < 80
    assert cache_key("cohort", "abc", AnalysisParameters(), "kb") == key
    assert cache_key("cohort", "abd", AnalysisParameters(), "kb") != key


def test_results_pickle(service):
    result = service.patient("P1", AnalysisParameters())
    assert pickle.loads(pickle.dumps(result)).patient_id == "P1"


def test_memory_holds_many_small_results_and_counts_their_bytes(tmp_path):
    """A busy server's per-patient views are many and small: the in-memory LRU keeps far more than a few
    dozen (each miss there is a disk read), and its byte count stays the sum of what it holds."""
    cache = AnalysisCache(tmp_path / "cache")
    for number in range(600):
        cache.get("view", "study", {"n": number}, lambda n=number: list(range(n % 7)))
    cache.disk.clear()  # what follows comes from memory, or is computed again
    for number in range(600):
        cache.get("view", "study", {"n": number}, lambda: pytest.fail("evicted from memory"))
    assert cache.memory_used_bytes == sum(len(pickle.dumps(list(range(n % 7)), protocol=pickle.HIGHEST_PROTOCOL))
                                          for n in range(600))


def test_byte_budget_evicts_oldest_and_keeps_the_count_right(tmp_path):
    cache = AnalysisCache(tmp_path / "cache", memory_bytes=10_000)
    blob = "x" * 3_000
    for number in range(10):
        cache.get("view", "study", {"n": number}, lambda: blob)
    assert 0 < cache.memory_used_bytes <= 10_000
    assert cache.memory_used_bytes == sum(cache._sizes.values())
    assert len(cache._memory) == 3


def test_code_fingerprint_covers_the_report_code_and_its_styles():
    """Rendered report pages are cached: a change of the report's code or stylesheets must not serve old ones."""
    from dashboard.analysis_cache import fingerprinted_files
    from dashboard.settings import PROJECT_ROOT

    names = {p.relative_to(PROJECT_ROOT).as_posix() for p in fingerprinted_files(PROJECT_ROOT)}
    assert {"dashboard/report/html.py", "dashboard/report/report.css", "assets/print.css",
            "analysis/patient.py", "dashboard/views/patient.py"} <= names


def test_study_files_are_looked_at_once_per_check_interval(tiny_study_dir, monkeypatch):
    """A server looks at the study folder at most once per ``check_interval``; an edit is seen after it."""
    import dashboard.study_service as study_service

    clock = [1000.0]
    monkeypatch.setattr(study_service.time, "monotonic", lambda: clock[0])
    studies = StudyService(tiny_study_dir)
    studies.check_interval = 5.0
    looks = []
    real = studies._current_fingerprint
    monkeypatch.setattr(studies, "_current_fingerprint", lambda: looks.append(1) or real())
    first = studies.study
    for _ in range(20):
        assert studies.study is first
    assert len(looks) == 1
    clinical = tiny_study_dir / "data_clinical_patient.txt"
    clinical.write_text(clinical.read_text() + "\n")
    clock[0] += 1.0
    assert studies.study is first and len(looks) == 1  # within the interval: not looked at
    clock[0] += 5.0
    assert studies.study is not first and len(looks) == 2


def _compute_in_process(folder, log, barrier):
    """One server process asking for a cold result (child of the test below)."""
    import time

    cache = AnalysisCache(folder)
    barrier.wait()

    def slow():
        with open(log, "a") as out:
            out.write("computed\n")
        time.sleep(1.0)
        return {"answer": 42}

    assert cache.get("view", "study", {"p": 1}, slow) == {"answer": 42}


def test_processes_missing_the_same_key_compute_it_once(tmp_path):
    """Gunicorn's workers share the disk: when several miss the same key at once, one computes it and the
    others wait for it and read it, instead of doing the same work each."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(3)
    log = tmp_path / "computed.txt"
    workers = [context.Process(target=_compute_in_process, args=(tmp_path / "cache", log, barrier))
               for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    assert log.read_text().count("computed") == 1
    assert list((tmp_path / "cache.locks").iterdir()) == []  # the lock file went with the computation


def test_lock_files_do_not_pile_up_under_many_distinct_keys(tmp_path):
    """Bounded growth under many distinct URL parameters (issue 13.4): no lock file is left per key."""
    cache = AnalysisCache(tmp_path / "cache")
    for k in range(50):
        assert cache.get("view", "study", {"p": k}, lambda k=k: k) == k
    assert list(cache._lock_dir.iterdir()) == []


def test_no_lock_file_possible_still_computes(tmp_path):
    cache = AnalysisCache(tmp_path / "cache")
    cache._lock_dir = tmp_path / "a-file"
    cache._lock_dir.write_text("not a folder")
    assert cache.get("view", "study", {"p": 2}, lambda: 7) == 7
