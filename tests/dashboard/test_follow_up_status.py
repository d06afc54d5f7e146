"""Issue 9.4: unknown is not negative.  A patient never followed, or with no PFS status, reads
"not followed" / "status unknown", never "No progression" or "censored"."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.cohort import analyse_cohort
from analysis.patient import analyse_patient
from analysis.study import Study
from dashboard.figures.oncoprint import oncoprint_figure
from dashboard.views.cohort import patient_rows, patient_table
from dashboard.views.patient import header_facts, mechanism_summary
from dashboard.views.resistance import oncoprint_view


def make_study() -> Study:
    """F1 progressed (day 100), F2 censored at 9 months, F3 PFS 7 months with no status recorded,
    F4 never followed (one baseline draw, no PFS, no scans after baseline).  All have an ERBB2
    amplification at baseline so that every one is an oncoprint column."""
    patients = pd.DataFrame({
        "patient_id": ["F1", "F2", "F3", "F4"],
        "her2_status": ["POSITIVE"] * 4,
        "pfs_months": [100 / 30.4375, 9.0, 7.0, float("nan")],
        "pfs_event": pd.array([True, False, pd.NA, pd.NA], dtype="boolean"),
        "os_months": [12.0, 14.0, 10.0, float("nan")],
        "os_event": pd.array([True, False, pd.NA, pd.NA], dtype="boolean"),
    })
    samples = pd.DataFrame({
        "sample_id": ["F1-B", "F1-P", "F2-B", "F3-B", "F4-B"],
        "patient_id": ["F1", "F1", "F2", "F3", "F4"],
        "sample_type": ["plasma"] * 5,
        "collection_day": [-2.0, 101.0, -2.0, -2.0, -2.0],
        "timepoint": ["BASELINE", "PROGRESSION", "BASELINE", "BASELINE", "BASELINE"],
    })
    copy_number = pd.DataFrame({"sample_id": list(samples["sample_id"]), "gene": ["ERBB2"] * 5,
                                "copy_number": [5.0, 6.0, 4.0, 4.0, 4.0]})
    timeline = pd.DataFrame([
        {"patient_id": "F1", "start_day": 100, "event_type": "STATUS", "status": "PROGRESSION"},
    ])
    return Study.from_tables(patients=patients, samples=samples, copy_number=copy_number, timeline=timeline)


@pytest.fixture(scope="module")
def cohort():
    return analyse_cohort(make_study())


def test_follow_up_status_and_class(cohort):
    pts = cohort.trajectories.patients.set_index("patient_id")
    assert pts["follow_up"].to_dict() == {"F1": "progressed", "F2": "censored", "F3": "status unknown",
                                         "F4": "not followed"}
    assert pts["resistance_class"].to_dict() == {"F1": "acquired", "F2": "none", "F3": "unknown", "F4": "unknown"}


def test_patient_header_and_sentence():
    study = make_study()
    expected = {"F2": ("No progression", "censored", "No progression recorded"),
                "F3": ("Status unknown", "status unknown", "Progression status unknown"),
                "F4": ("Not followed", None, "Not followed")}
    for pid, (cls, pfs_detail, sentence) in expected.items():
        patient = analyse_patient(study, pid)
        facts = {label: (value, detail) for value, label, detail in header_facts(patient)}
        assert facts["resistance class"][0] == cls, pid
        if pfs_detail is None:
            assert "PFS" not in facts
        else:
            assert facts["PFS"][1] == pfs_detail and facts["OS"][1] == pfs_detail, pid
        assert mechanism_summary(patient).startswith(sentence), pid


def test_cohort_table_and_oncoprint(cohort):
    rows = patient_rows(cohort.trajectories, cohort.resistance,
                        pd.DataFrame(columns=["patient_id", "start_day", "stop_day", "agent"]))
    table = patient_table(rows, lambda pid: f"/patient/{pid}")
    assert table["pfs_status"].tolist() == ["progression", "censored", "status unknown", "not followed"]
    assert table["resistance_class"].tolist()[1:] == ["No progression", "Not followed / status unknown",
                                                      "Not followed / status unknown"]
    view = oncoprint_view(cohort.oncoprint, cohort.trajectories, make_study(), show="all")
    figure = oncoprint_figure(view.patient_ids, view.rows, view.cells, view.tracks, view.details)
    traces = {trace.name: trace for trace in figure.data}
    assert list(traces["PFS: censored"].customdata) == ["F2"]
    assert list(traces["PFS: status unknown"].customdata) == ["F3"]
    column = list(view.patient_ids).index("F3")
    hover = traces["cells"].text[-1][column]
    assert "PFS 7 months (status unknown)" in hover and "censored" not in hover
