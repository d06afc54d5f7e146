"""The service's patient analysis: from the cached cohort result when there is one, never starting one."""

from __future__ import annotations

import pytest

import dashboard.analysis_service as service_module
from analysis.params import AnalysisParameters
from analysis.patient import analyse_patient
from dashboard.analysis_cache import AnalysisCache
from dashboard.analysis_service import AnalysisService
from dashboard.study_service import StudyService
from tests.analysis.test_patient_from_cohort import assert_same


@pytest.fixture
def service(demo_study_dir, tmp_path):
    return AnalysisService(StudyService(demo_study_dir), AnalysisCache(tmp_path / "results"))


def _spy(monkeypatch, name: str) -> list[str]:
    calls: list[str] = []
    original = getattr(service_module, name)

    def spy(*args, **kwargs):
        calls.append(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(service_module, name, spy)
    return calls


def test_without_a_cached_cohort_the_patient_is_analysed_alone_and_no_cohort_analysis_starts(service, monkeypatch):
    cohort_runs, own, sliced = (_spy(monkeypatch, n) for n in ("analyse_cohort", "analyse_patient",
                                                                 "patient_from_cohort"))
    params = AnalysisParameters()
    assert service.patient("P009", params).found
    assert (cohort_runs, own, sliced) == ([], ["analyse_patient"], [])
    assert not service.cohort_is_cached(params) and service.cached_cohort(params) is None


def test_with_the_cohort_cached_the_patient_is_taken_from_it(service, monkeypatch):
    params = AnalysisParameters(plasma_amplification_cn=2.9)
    service.cohort(params)
    own, sliced = _spy(monkeypatch, "analyse_patient"), _spy(monkeypatch, "patient_from_cohort")
    patient = service.patient("P009", params)
    assert (own, sliced) == ([], ["patient_from_cohort"])
    assert_same(patient, analyse_patient(service.study, "P009", params, service._knowledge_base(params)))
    # Other parameters: that cohort is not theirs, the patient is analysed alone.
    service.patient("P009", AnalysisParameters())
    assert own == ["analyse_patient"]
