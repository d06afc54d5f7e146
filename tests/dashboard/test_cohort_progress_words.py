"""The cohort progress bar says its steps in words ("Survival analyses, 9 of 9"), never code names."""

from __future__ import annotations

import re

import dashboard.analysis_service as analysis_service_module
import dashboard.study_service as study_service_module
from dashboard.analysis_cache import AnalysisCache
from dashboard.analysis_service import AnalysisService, set_analysis_service
from dashboard.callbacks.parameters import compute_cohort
from dashboard.study_service import StudyService, set_service


def test_progress_labels_are_words_with_step_counts(tiny_study_dir, tmp_path):
    saved = study_service_module._service, analysis_service_module._analysis
    try:
        service = StudyService(tiny_study_dir)
        set_service(service)
        set_analysis_service(AnalysisService(service, AnalysisCache(tmp_path / "cache")))
        labels = []
        compute_cohort(lambda values: labels.append(values[2]), {})
    finally:
        study_service_module._service, analysis_service_module._analysis = saved
    # The service hands its knowledge base over, so the first step is the tumour fraction.
    assert labels[0] == " Tumour fraction, 1 of 9"
    assert labels[-1] == " Survival analyses, 9 of 9"
    assert " HER2 trajectories, 2 of 9" in labels and " Resistance mechanisms, 5 of 9" in labels
    for label in labels:
        assert re.fullmatch(r" [A-Z][A-Za-z0-9 -]+, [1-9] of 9", label), label
        assert "_" not in label and "pfs" not in label
