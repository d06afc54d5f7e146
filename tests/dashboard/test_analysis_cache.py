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
