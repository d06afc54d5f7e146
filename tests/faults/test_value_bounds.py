"""Single values that once exhausted the machine or blanked pages: implausible values are missing (with a
counted warning), and the cutoff-sweep grid is bounded whatever the data."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from analysis.cohort import analyse_cohort
from analysis.io.cbioportal import read_study
from analysis.params import AnalysisParameters
from analysis.roc import MAX_SWEEP_CUTOFFS, cutoff_sweep, sweep_grid
from tests.faults.faults import set_cell


@pytest.mark.parametrize("value", ["14", "27", "1e308", "-1e308"])
def test_implausible_log2_ratio_is_missing_with_a_counted_warning(tiny_study_dir, tmp_path, value):
    folder = tmp_path / "study"
    shutil.copytree(tiny_study_dir, folder)
    set_cell(folder / "data_log2_cna.txt", "ERBB2", "P1-B0", value)
    study = read_study(folder)
    (warning,) = [m for m in study.report.warnings if "implausible copy-number" in m.message]
    assert warning.file == "data_log2_cna.txt" and "1 implausible" in warning.message and value in warning.message
    erbb2 = study.copy_number.set_index(["sample_id", "gene"])
    assert ("P1-B0", "ERBB2") not in erbb2.index or np.isnan(erbb2.loc[("P1-B0", "ERBB2"), "log2_ratio"])
    assert np.isfinite(study.copy_number["copy_number"].dropna()).all()


@pytest.mark.parametrize("value", ["1e308", "99999"])
def test_implausible_survival_time_is_missing_with_a_counted_warning(tiny_study_dir, tmp_path, value):
    folder = tmp_path / "study"
    shutil.copytree(tiny_study_dir, folder)
    set_cell(folder / "data_clinical_patient.txt", "P1", "PFS_MONTHS", value)
    study = read_study(folder)
    (warning,) = [m for m in study.report.warnings if "implausible time" in m.message]
    assert warning.column == "PFS_MONTHS" and "1 row(s)" in warning.message
    assert np.isnan(study.patients.set_index("patient_id").loc["P1", "pfs_months"])


@pytest.mark.parametrize("high", [5.0, 60.0, 32768.0, 2.7e8, 1e308])
def test_sweep_grid_is_bounded_and_keeps_fine_steps_at_the_low_end(high):
    grid = sweep_grid([0.7, 1.9, high], 0.1, include=[2.4])
    assert len(grid) <= MAX_SWEEP_CUTOFFS + 1 and np.isfinite(grid).all()
    assert np.allclose(grid[:5], [0.7, 0.8, 0.9, 1.0, 1.1]) and 2.4 in grid
    assert grid[-1] >= min(high, 1e300)


def test_sweep_over_every_distinct_score_is_bounded():
    scores = np.arange(5000, dtype=float)
    table = cutoff_sweep(scores, scores > 2500)
    assert len(table) <= MAX_SWEEP_CUTOFFS and table["cutoff"].iloc[0] == 0 and table["cutoff"].iloc[-1] == 4999


def test_cohort_analysis_with_a_huge_copy_number_stays_small(tmp_path):
    """The analysis layer itself (without the reader's bound) keeps the sweep small for a 2.7e8-copy value."""
    from tests.conftest import make_tiny_study

    study = make_tiny_study()
    cn = study.copy_number.copy()
    cn.loc[cn["sample_id"] == "P1-B0", "copy_number"] = 2.7e8
    result = analyse_cohort(dataclasses.replace(study, copy_number=cn), AnalysisParameters())
    assert len(result.concordance.sweep) <= MAX_SWEEP_CUTOFFS + 1
