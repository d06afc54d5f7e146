"""Opening another study: validation in a job, all-or-nothing switch of both services."""

from __future__ import annotations

import os
import shutil

import diskcache
import pytest

import dashboard.analysis_service as analysis_service_module
import dashboard.study_service as study_service_module
from analysis.errors import InputError, StudyValidationError
from dashboard.analysis_cache import AnalysisCache
from dashboard.analysis_service import AnalysisService, get_analysis_service, set_analysis_service
from dashboard.study_service import StudyService, get_service, set_service
from dashboard.study_switch import STEPS, prepare_study, resolve_folder, switch_study


@pytest.fixture
def services(tiny_study_dir, tmp_path):
    """The tiny study open, as the app factory leaves it; the previous globals are restored afterwards."""
    saved = study_service_module._service, analysis_service_module._analysis
    service = StudyService(tiny_study_dir)
    set_service(service)
    set_analysis_service(AnalysisService(service, AnalysisCache(tmp_path / "cache")))
    yield service
    study_service_module._service, analysis_service_module._analysis = saved


@pytest.fixture
def other_study(tiny_study_dir, tmp_path):
    """A second valid study: the tiny one with a new identifier, in another folder."""
    folder = tmp_path / "other"
    shutil.copytree(tiny_study_dir, folder)
    meta = folder / "meta_study.txt"
    meta.write_text(meta.read_text().replace("cancer_study_identifier: tiny",
                                             "cancer_study_identifier: other"))
    return folder


@pytest.fixture
def broken_study(tiny_study_dir, tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(tiny_study_dir, folder)
    path = folder / "data_clinical_patient.txt"
    path.write_text(path.read_text().replace("\t5.5\t", "\tfive\t"))
    return folder


def test_prepare_reports_every_step_and_hands_the_study_over(other_study, tmp_path):
    steps = []
    with diskcache.Cache(str(tmp_path / "handoff")) as handoff:
        result = prepare_study(str(other_study), progress=lambda d, t, label: steps.append((d, t)),
                               handoff=handoff)
        assert result["ok"] and result["study_id"] == "other" and result["n_patients"] == 2
        assert result["folder"] == str(other_study.resolve()) and result["n_errors"] == 0
        assert len(result["content_hash"]) == 64 and result["token"]
        assert len(handoff) == 1
    assert steps == [(i, len(STEPS)) for i in range(len(STEPS))] + [(len(STEPS), len(STEPS))]


def test_prepare_returns_the_full_report_of_a_broken_study(broken_study):
    result = prepare_study(str(broken_study))
    assert not result["ok"] and result["n_errors"] == 1
    (message,) = [m for m in result["messages"] if m["level"] == "error"]
    assert message["file"] == "data_clinical_patient.txt" and message["column"] == "PFS_MONTHS"
    assert message["line"] == 6 and "five" in message["message"]


@pytest.mark.parametrize("text", ["", "   ", "/no/such/folder/anywhere"])
def test_prepare_refuses_what_is_not_a_folder(text):
    result = prepare_study(text)
    assert not result["ok"] and result["message"]
    with pytest.raises(InputError):
        resolve_folder(text)


def test_switch_repoints_both_services_and_keeps_the_cache(services, other_study):
    cache = get_analysis_service().cache
    new = switch_study(str(other_study))
    assert get_service() is new and new.study.meta.study_id == "other"
    assert get_analysis_service().studies is new and get_analysis_service().cache is cache
    assert get_analysis_service().study.meta.study_id == "other"


def test_a_broken_study_leaves_the_current_one_open(services, broken_study):
    analysis = get_analysis_service()
    with pytest.raises(StudyValidationError):
        switch_study(str(broken_study))
    assert get_service() is services and get_analysis_service() is analysis
    with pytest.raises(InputError):
        switch_study("/no/such/folder/anywhere")
    assert get_service() is services


def test_switch_takes_the_handed_over_study_without_reading_again(services, other_study, tmp_path,
                                                                  monkeypatch):
    with diskcache.Cache(str(tmp_path / "handoff")) as handoff:
        result = prepare_study(str(other_study), handoff=handoff)

        def no_read(folder, *args, **kwargs):
            raise AssertionError("the study was read a second time")

        monkeypatch.setattr(study_service_module, "load_study", no_read)
        new = switch_study(result["folder"], handoff, result["token"])
        assert new.study.meta.study_id == "other" and len(handoff) == 0
        assert new.refresh_if_changed().ok  # unchanged files: nothing re-read


def test_switch_reads_again_when_the_files_changed_after_validation(services, other_study, tmp_path):
    with diskcache.Cache(str(tmp_path / "handoff")) as handoff:
        result = prepare_study(str(other_study), handoff=handoff)
        patient_file = other_study / "data_clinical_patient.txt"
        patient_file.write_text(patient_file.read_text().replace("\t5.5\t", "\tfive\t"))
        os.utime(patient_file, ns=(1, 1))
        with pytest.raises(StudyValidationError):
            switch_study(result["folder"], handoff, result["token"])
    assert get_service() is services
