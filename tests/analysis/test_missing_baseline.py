"""Issue 9.1: a patient lacking what a mask depends on (baseline draw, baseline scan, tumour
fraction, PFS status, ERBB2 CN) is still analysed; nullable-boolean masks never drop them.

The cohort is built here by hand:

- Q1 (progressor, no baseline draw in the window): draws on day -60 (outside [-28, +3]) and
  day 119; STATUS progression day 120.  KRAS G12D at VAF 4% on day 119, one day before
  progression -> progression draw day 119, KRAS called with status "unknown (no baseline draw)".
- Q2 (progressor, no plasma draw before treatment at all): draws on day 60 and 130, progression
  day 125 -> progression draw day 130 (5 days after), PIK3CA H1047R called, status unknown.
- Q3 (progressor with a baseline draw, for comparison): baseline day -2, progression draw day 121,
  KRAS G12D new at progression.
- Q4: no PFS status, no baseline scan (scans only after day 3), a draw without ERBB2 CN and
  without any variant (no tumour fraction).
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.resistance import call_mechanisms
from analysis.study import Study
from analysis.trajectory import analyse_trajectories
from tests.analysis.test_trajectory import _variant

UNKNOWN = "unknown (no baseline draw)"


def make_study() -> Study:
    patients = pd.DataFrame({
        "patient_id": ["Q1", "Q2", "Q3", "Q4"],
        "her2_status": ["POSITIVE"] * 4,
        "pfs_months": [120 / 30.4375, 125 / 30.4375, 121 / 30.4375, 6.0],
        "pfs_event": pd.array([True, True, True, pd.NA], dtype="boolean"),
    })
    samples = pd.DataFrame({
        "sample_id": ["Q1-60", "Q1-119", "Q2-60", "Q2-130", "Q3-B", "Q3-P", "Q4-B", "Q4-50"],
        "patient_id": ["Q1", "Q1", "Q2", "Q2", "Q3", "Q3", "Q4", "Q4"],
        "sample_type": ["plasma"] * 8,
        "collection_day": [-60.0, 119.0, 60.0, 130.0, -2.0, 121.0, -1.0, 50.0],
        "timepoint": ["BASELINE", "PROGRESSION", "ON_TREATMENT", "PROGRESSION", "BASELINE", "PROGRESSION",
                      "BASELINE", "ON_TREATMENT"],
    })
    copy_number = pd.DataFrame({
        "sample_id": ["Q1-60", "Q1-119", "Q2-60", "Q2-130", "Q3-B", "Q3-P", "Q4-B"],
        "gene": ["ERBB2"] * 7,
        "copy_number": [5.0, 4.0, 3.0, 4.5, 6.0, 5.0, 3.0],
    })
    variants = pd.DataFrame([
        _variant("Q1-60", "TP53", "R175H", 0.10, pos=7578406),
        _variant("Q1-119", "TP53", "R175H", 0.08, pos=7578406),
        _variant("Q1-119", "KRAS", "G12D", 0.04, pos=25398284),
        _variant("Q2-130", "PIK3CA", "H1047R", 0.03, pos=178952085),
        _variant("Q3-B", "TP53", "R175H", 0.10, pos=7578406),
        _variant("Q3-P", "KRAS", "G12D", 0.04, pos=25398284),
        _variant("Q4-B", "TP53", "R175H", 0.10, pos=7578406),
    ])
    timeline = pd.DataFrame([
        {"patient_id": "Q1", "start_day": 120, "event_type": "STATUS", "status": "PROGRESSION"},
        {"patient_id": "Q2", "start_day": 125, "event_type": "STATUS", "status": "PROGRESSION"},
        {"patient_id": "Q3", "start_day": 121, "event_type": "STATUS", "status": "PROGRESSION"},
        {"patient_id": "Q4", "start_day": 40, "event_type": "IMAGING", "target_lesion_sum_mm": 50.0,
         "recist_response": "SD"},
        {"patient_id": "Q4", "start_day": 90, "event_type": "IMAGING", "target_lesion_sum_mm": 45.0,
         "recist_response": "SD"},
    ])
    return Study.from_tables(patients=patients, samples=samples, variants=variants, copy_number=copy_number,
                             timeline=timeline)


@pytest.fixture(scope="module")
def trajectories():
    return analyse_trajectories(make_study())


@pytest.fixture(scope="module")
def resistance(trajectories):
    return call_mechanisms(make_study(), trajectories)


def test_progression_draw_does_not_need_a_baseline_draw(trajectories):
    pts = trajectories.patients.set_index("patient_id")
    assert pd.isna(pts.loc["Q1", "baseline_sample_id"]) and pd.isna(pts.loc["Q2", "baseline_sample_id"])
    assert pts.loc["Q1", "progression_sample_id"] == "Q1-119"
    assert pts.loc["Q2", "progression_sample_id"] == "Q2-130"
    assert pts.loc["Q3", "progression_sample_id"] == "Q3-P"
    draws = trajectories.draws.set_index("sample_id")
    assert draws["is_baseline"].dtype == bool and draws["is_progression"].dtype == bool
    assert not draws.loc["Q1-60", "is_baseline"] and draws.loc["Q1-119", "is_progression"]


def test_mechanism_without_baseline_is_called_unknown(resistance):
    ev = resistance.evidence
    statuses = ev.groupby(["patient_id", "gene"])["status"].agg(lambda s: set(s))
    draws = ev.groupby(["patient_id", "gene"])["draw"].agg(lambda s: set(s))
    assert statuses[("Q1", "KRAS")] == {UNKNOWN} and draws[("Q1", "KRAS")] == {"progression"}
    assert statuses[("Q2", "PIK3CA")] == {UNKNOWN}
    assert statuses[("Q3", "KRAS")] == {"new at progression"}
    per = resistance.patients.set_index("patient_id")
    assert per.loc["Q1", "n_mechanisms"] == 1 and per.loc["Q2", "n_mechanisms"] == 1
    assert per.loc["Q1", "evaluated"] and per.loc["Q2", "evaluated"]
    summary = dict(zip(resistance.summary["measure"], resistance.summary["value"], strict=True))
    assert summary["progressors"] == 3 and summary["progressors with >= 1 mechanism"] == 3


def test_patient_without_baseline_scan_keeps_its_evaluations(trajectories):
    # Q4 has no scan on or before day +3: its recorded calls still count as evaluations.
    pts = trajectories.patients.set_index("patient_id")
    assert pts.loc["Q4", "first_evaluation_day"] == 40
    assert pts.loc["Q4", "first_evaluation_response"] == "SD"
    assert trajectories.imaging["is_baseline"].dtype == bool


def test_draw_without_tumour_fraction_or_cn_is_kept_and_labelled(trajectories):
    draws = trajectories.draws.set_index("sample_id")
    assert draws.loc["Q4-50", "adjusted_note"] == "no ERBB2 copy number"
    assert pd.isna(draws.loc["Q4-50", "erbb2_amplified"])
    assert pd.isna(draws.loc["Q4-50", "tumour_fraction_evaluable"])
    aligned = trajectories.aligned
    flag = aligned[(aligned["patient_id"] == "Q4") & (aligned["day"] == 50) & (aligned["measure"] == "erbb2_cn")]
    assert list(flag["flag"]) == [""]


def test_patient_without_pfs_status_is_not_a_conflict(trajectories):
    # Missing PFS status and no progression event: neither progressed nor reported as a conflict.
    pts = trajectories.patients.set_index("patient_id")
    assert not pts.loc["Q4", "progressed"]
    assert not any("censored for PFS" in c for c in trajectories.caveats)
