"""Trajectories: baseline/progression draws, purity adjustment, CEA alignment, RECIST, resistance class.

The study of :func:`make_study` is small and built by hand; its expected values are worked out in
the comments, and the other test modules reuse it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.params import DAYS_PER_MONTH, AnalysisParameters
from analysis.study import Study
from analysis.trajectory import analyse_trajectories, derive_recist

P1_PFS = 175 / DAYS_PER_MONTH  # 5.75 months: acquired
P2_PFS = 49 / DAYS_PER_MONTH  # 1.61 months: innate


def _variant(sample, gene, protein, vaf, classification="Missense_Mutation", pos=1000):
    depth = 1000
    alt = int(round(vaf * depth))
    return {
        "sample_id": sample,
        "gene": gene,
        "protein_change": protein,
        "vaf": vaf,
        "variant_classification": classification,
        "chromosome": "1",
        "start_position": pos,
        "reference_allele": "A",
        "tumor_seq_allele": "T",
        "t_alt_count": alt,
        "t_ref_count": depth - alt,
        "depth": depth,
    }


def make_study() -> Study:
    """Three patients with hand-worked answers.

    P1 (acquired): ERBB2 CN 6.0 at baseline (day -7), falls to 2.2 at progression (day 180 draw;
      STATUS progression day 175) -> HER2 loss; KRAS G12D emerges (absent at baseline, VAF 5%);
      PIK3CA E545K at baseline 1.0% and 1.5% at progression (not emerging: 1.5-fold).
      Imaging 100 -> 60 (PR, -40%) -> 55 (PR) -> 70 mm (PD: +27% and +15 mm over nadir 55).
      TP53 VAF 0.20 at baseline -> tumour fraction 0.40.
    P2 (innate): CN 4.0 at baseline (day 0), 5.0 at day 42 (rise: nadir 4.0 + max(0.5, 0.5 x 2) = 5.0);
      imaging 50 -> 65 mm at day 49 (PD, first evaluation; progression day 49 from imaging);
      ERBB4 S774G VAF 0.10 at baseline. Two same-day CEA values 10 and 20 at day -3 -> 15, flagged.
    P3 (no progression, censored at 12 months): CN 3.0 at day 2, no variants (tumour fraction
      unknown -> adjusted CN not evaluable); imaging 40 -> 30 mm (-25%, SD).
    """
    patients = pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3"],
            "her2_status": ["POSITIVE"] * 3,
            "her2_ihc": ["3+"] * 3,
            "pfs_months": [P1_PFS, P2_PFS, 12.0],
            "pfs_event": [True, True, False],
            "os_months": [20.0, 8.0, 14.0],
            "os_event": [True, True, False],
        }
    )
    samples = pd.DataFrame(
        {
            "sample_id": ["P1-B", "P1-42", "P1-84", "P1-P", "P2-B", "P2-42", "P3-B", "P1-T"],
            "patient_id": ["P1", "P1", "P1", "P1", "P2", "P2", "P3", "P1"],
            "sample_type": ["plasma"] * 7 + ["tissue"],
            "collection_day": [-7, 42, 84, 180, 0, 42, 2, -30],
            "timepoint": [
                "BASELINE",
                "ON_TREATMENT",
                "ON_TREATMENT",
                "PROGRESSION",
                "BASELINE",
                "PROGRESSION",
                "BASELINE",
                "BASELINE",
            ],
        }
    )
    copy_number = pd.DataFrame(
        {
            "sample_id": ["P1-B", "P1-42", "P1-84", "P1-P", "P2-B", "P2-42", "P3-B", "P1-T"],
            "gene": ["ERBB2"] * 8,
            "copy_number": [6.0, 3.0, 2.5, 2.2, 4.0, 5.0, 3.0, 12.0],
        }
    )
    variants = pd.DataFrame(
        [
            _variant("P1-B", "TP53", "R175H", 0.20, pos=7578406),
            _variant("P1-B", "PIK3CA", "E545K", 0.010, pos=178936091),
            _variant("P1-P", "TP53", "R175H", 0.10, pos=7578406),
            _variant("P1-P", "PIK3CA", "E545K", 0.015, pos=178936091),
            _variant("P1-P", "KRAS", "G12D", 0.05, pos=25398284),
            _variant("P2-B", "ERBB4", "S774G", 0.10, pos=212530000),
            _variant("P2-42", "ERBB4", "S774G", 0.12, pos=212530000),
            _variant("P1-T", "TP53", "R175H", 0.35, pos=7578406),
            _variant("P1-T", "KRAS", "G12D", 0.04, pos=25398284),
        ]
    )
    imaging = [
        ("P1", -10, 100.0),
        ("P1", 56, 60.0),
        ("P1", 112, 55.0),
        ("P1", 175, 70.0),
        ("P2", -5, 50.0),
        ("P2", 49, 65.0),
        ("P3", -1, 40.0),
        ("P3", 60, 30.0),
    ]
    timeline = [
        {"patient_id": p, "start_day": d, "event_type": "IMAGING", "target_lesion_sum_mm": s}
        for p, d, s in imaging
    ]
    timeline += [{"patient_id": "P1", "start_day": 175, "event_type": "STATUS", "status": "PROGRESSION"}]
    cea = [
        ("P1", -7, 8.0),
        ("P1", 56, 6.0),
        ("P1", 112, 5.0),
        ("P1", 175, 9.0),
        ("P2", -3, 10.0),
        ("P2", -3, 20.0),
        ("P2", 49, 30.0),
        ("P3", 0, 3.0),
        ("P3", 60, 2.0),
    ]
    timeline += [
        {
            "patient_id": p,
            "start_day": d,
            "event_type": "LAB_TEST",
            "test": "CEA",
            "result": r,
            "unit": "ng/mL",
        }
        for p, d, r in cea
    ]
    timeline += [
        {"patient_id": p, "start_day": 0, "stop_day": 200, "event_type": "TREATMENT", "agent": "Trastuzumab"}
        for p in ("P1", "P2", "P3")
    ]
    return Study.from_tables(
        patients=patients,
        samples=samples,
        variants=variants,
        copy_number=copy_number,
        timeline=pd.DataFrame(timeline),
    )


@pytest.fixture(scope="module")
def result():
    return analyse_trajectories(make_study())


def test_baseline_and_progression_draws(result):
    p = result.patients.set_index("patient_id")
    assert p.loc["P1", "baseline_sample_id"] == "P1-B"
    assert p.loc["P1", "progression_sample_id"] == "P1-P"  # day 180 is +5 from progression day 175
    assert p.loc["P1", "progression_day"] == 175 and p.loc["P1", "progression_source"] == "status"
    assert p.loc["P2", "progression_day"] == 49 and p.loc["P2", "progression_source"] == "imaging"
    assert p.loc["P2", "progression_sample_id"] == "P2-42"
    assert pd.isna(p.loc["P3", "progression_sample_id"]) and not p.loc["P3", "progressed"]


def test_resistance_classes(result):
    classes = result.patients.set_index("patient_id")["resistance_class"].to_dict()
    assert classes == {"P1": "acquired", "P2": "innate", "P3": "none"}


def test_innate_pfs_cutoff_is_a_parameter():
    # With the cutoff raised to 6 months, P1 (5.75 months) becomes innate.
    res = analyse_trajectories(make_study(), AnalysisParameters(innate_pfs_months=6.0))
    assert res.patients.set_index("patient_id").loc["P1", "resistance_class"] == "innate"


def test_purity_adjustment_and_changes(result):
    d = result.draws.set_index("sample_id")
    # f = 2 x 0.20 = 0.40; adjusted = (6 - 2 x 0.6) / 0.4 = 12
    assert d.loc["P1-B", "tumour_fraction"] == pytest.approx(0.40)
    assert d.loc["P1-B", "erbb2_cn_adjusted"] == pytest.approx(12.0)
    assert pd.isna(d.loc["P3-B", "erbb2_cn_adjusted"])
    assert "not evaluable" in d.loc["P3-B", "adjusted_note"]
    assert d.loc["P1-P", "erbb2_cn_pct_change"] == pytest.approx(100 * (2.2 - 6) / 6)
    assert d.loc["P1-P", "erbb2_excess_pct_change"] == pytest.approx(100 * (0.2 - 4) / 4)
    assert d.loc["P1-84", "running_nadir_cn"] == 2.5
    assert bool(d.loc["P1-B", "erbb2_amplified"]) and not bool(d.loc["P1-P", "erbb2_amplified"])
    assert "P1-T" not in d.index  # tissue is not a plasma draw
    assert result.patients.set_index("patient_id").loc["P1", "nadir_erbb2_cn"] == 2.2


def test_same_day_cea_averaged_and_flagged(result):
    cea = result.cea.set_index(["patient_id", "day"])
    assert cea.loc[("P2", -3.0), "cea"] == 15.0
    assert bool(cea.loc[("P2", -3.0), "averaged"]) and cea.loc[("P2", -3.0), "n_values"] == 2
    assert not bool(cea.loc[("P1", 56.0), "averaged"])
    assert any("averaged" in c for c in result.caveats)
    flags = result.aligned[(result.aligned["measure"] == "cea") & (result.aligned["patient_id"] == "P2")]
    assert flags["flag"].iloc[0].startswith("mean of 2")


def test_recist_derivation(result):
    img = result.imaging.set_index(["patient_id", "day"])["recist_response"].to_dict()
    assert img[("P1", 56.0)] == "PR" and img[("P1", 112.0)] == "PR" and img[("P1", 175.0)] == "PD"
    assert img[("P2", 49.0)] == "PD" and img[("P3", 60.0)] == "SD"
    assert pd.isna(img[("P1", -10.0)])


def test_recist_edge_cases():
    # +20% over nadir but only +4 mm is not PD; a sum of 0 is CR; a recorded call wins.
    imaging = pd.DataFrame(
        {
            "patient_id": ["A"] * 4 + ["B", "B"],
            "start_day": [0, 50, 100, 150, 0, 60],
            "target_lesion_sum_mm": [40, 20, 24, 0, 30, 31],
            "recist_response": [None, None, None, None, None, "PD"],
        }
    )
    table, _ = derive_recist(imaging)
    calls = table.set_index(["patient_id", "day"])
    assert calls.loc[("A", 100.0), "recist_derived"] == "PR"  # -40% from baseline; +4 mm over nadir
    assert calls.loc[("A", 150.0), "recist_derived"] == "CR"
    assert calls.loc[("B", 60.0), "recist_derived"] == "SD"
    assert calls.loc[("B", 60.0), "recist_response"] == "PD"
    assert calls.loc[("B", 60.0), "response_source"] == "recorded"


def test_pd_takes_precedence_over_pr():
    # 100 -> 40 (PR) -> 50: -50% from baseline but +25% and +10 mm over nadir 40 -> PD.
    imaging = pd.DataFrame(
        {"patient_id": ["A"] * 3, "start_day": [0, 50, 100], "target_lesion_sum_mm": [100, 40, 50]}
    )
    table, _ = derive_recist(imaging)
    assert table["recist_derived"].tolist()[1:] == ["PR", "PD"]


def test_empty_study_gives_typed_empty_result():
    res = analyse_trajectories(Study.from_tables())
    assert res.draws.empty and res.patients.empty and res.aligned.empty
    assert res.draws["erbb2_cn"].dtype == "float64"
    assert any("no patients" in c for c in res.caveats)


def test_all_censored_gives_caveat():
    study = make_study()
    patients = study.patients.assign(pfs_event=False)
    timeline = study.timeline[study.timeline["event_type"] != "STATUS"]
    res = analyse_trajectories(
        Study.from_tables(
            patients=patients,
            samples=study.samples,
            variants=study.variants,
            copy_number=study.copy_number,
            timeline=timeline,
        )
    )
    assert (res.patients["resistance_class"] == "none").all()
    assert any("all censored" in c for c in res.caveats)
    # the PD scan of P1 and P2 conflicts with censoring, and is reported
    assert any("censored for PFS" in c for c in res.caveats)


def test_draws_from_log2_when_copy_number_missing():
    study = make_study()
    cn = study.copy_number.assign(
        copy_number=np.nan, log2_ratio=np.log2(study.copy_number["copy_number"] / 2)
    )
    res = analyse_trajectories(
        Study.from_tables(
            patients=study.patients,
            samples=study.samples,
            variants=study.variants,
            copy_number=cn,
            timeline=study.timeline,
        )
    )
    assert res.draws.set_index("sample_id").loc["P1-B", "erbb2_cn"] == pytest.approx(6.0)


@settings(max_examples=200, deadline=None)
@given(cn_tumour=st.floats(0.0, 60.0), f=st.floats(0.02, 1.0))
def test_purity_adjustment_inverts_dilution(cn_tumour, f):
    """Diluting a tumour copy number by normal DNA then adjusting gives it back."""
    from analysis.copy_number import purity_adjusted_cn

    observed = f * cn_tumour + 2.0 * (1.0 - f)
    assert math.isclose(purity_adjusted_cn(observed, f), cn_tumour, rel_tol=1e-9, abs_tol=1e-9)
