"""Issue 9.8: each caveat goes where its numbers are.  Cohort caveats (censored patients with a
progression event, patients without a baseline draw, draws not evaluable) reach the cohort pages;
cohort-only caveats (enrichment across classes, "no progressors") stay off the patient page."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.cohort import analyse_cohort
from analysis.patient import analyse_patient
from analysis.study import Study
from dashboard.views.cohort import cohort_caveats
from dashboard.views.resistance import resistance_caveats
from tests.analysis.test_trajectory import _variant


def make_study() -> Study:
    """K1 censored (PFS_STATUS 0) although the timeline has a progression event on day 90;
    K2 has no plasma draw in the baseline window (first draw day 30); K3's day-40 draw has a
    tumour fraction of 0.01 (TP53 VAF 0.5%), below 0.02: not evaluable.  No progressor at all,
    so enrichment is undefined: a cohort-only caveat."""
    patients = pd.DataFrame({"patient_id": ["K1", "K2", "K3"], "her2_status": ["POSITIVE"] * 3,
                             "pfs_months": [6.0, 6.0, 6.0], "pfs_event": [False, False, False]})
    samples = pd.DataFrame({"sample_id": ["K1-B", "K2-30", "K3-B", "K3-40"], "patient_id": ["K1", "K2", "K3", "K3"],
                            "sample_type": "plasma", "collection_day": [-1.0, 30.0, -1.0, 40.0],
                            "timepoint": "ON_TREATMENT"})
    copy_number = pd.DataFrame({"sample_id": list(samples["sample_id"]), "gene": "ERBB2",
                                "copy_number": [4.0, 3.0, 4.0, 3.0]})
    variants = pd.DataFrame([_variant("K1-B", "TP53", "R175H", 0.10), _variant("K2-30", "TP53", "R175H", 0.10),
                             _variant("K3-B", "TP53", "R175H", 0.10), _variant("K3-40", "TP53", "R175H", 0.005)])
    timeline = pd.DataFrame([{"patient_id": "K1", "start_day": 90, "event_type": "STATUS", "status": "PROGRESSION"}])
    return Study.from_tables(patients=patients, samples=samples, variants=variants, copy_number=copy_number,
                             timeline=timeline)


@pytest.fixture(scope="module")
def cohort():
    return analyse_cohort(make_study())


def _has(caveats, text) -> bool:
    return any(text in c for c in caveats)


def test_cohort_page_gets_the_cohort_caveats(cohort):
    caveats = cohort_caveats(cohort.trajectories, cohort.resistance)
    assert _has(caveats, "censored for PFS have a progression event")
    assert _has(caveats, "no plasma draw in the baseline window")
    assert _has(caveats, "purity-adjusted ERBB2 CN not evaluable")
    assert not _has(caveats, "Enrichment")


def test_resistance_page_gets_the_baseline_and_follow_up_caveats(cohort):
    caveats = resistance_caveats(cohort.resistance, cohort.oncoprint, cohort.trajectories)
    assert _has(caveats, "no plasma draw in the baseline window")
    assert _has(caveats, "censored for PFS have a progression event")
    assert _has(caveats, "Enrichment needs both innate and acquired")


def test_patient_page_shows_only_its_own_caveats():
    study = make_study()
    k1 = analyse_patient(study, "K1").caveats
    assert _has(k1, "censored for PFS have a progression event")
    k2, k3 = analyse_patient(study, "K2").caveats, analyse_patient(study, "K3").caveats
    assert _has(k2, "no plasma draw in the baseline window") and not _has(k3, "baseline window")
    assert _has(k3, "not evaluable") and not _has(k2, "not evaluable")
    for caveats in (k1, k2, k3):
        assert not _has(caveats, "Enrichment") and not _has(caveats, "No progressors")
        assert not _has(caveats, "all censored")
