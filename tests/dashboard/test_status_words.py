"""Issue 9.2: "new at progression" and "expanding" are different statuses, and the patient
sentence, the evidence tables and the oncoprint marks say the same thing for every patient."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.cohort import analyse_cohort
from analysis.io.cbioportal import read_study
from analysis.oncoprint import build_oncoprint
from analysis.patient import analyse_patient
from analysis.resistance import STATUSES, call_mechanisms, join_statuses
from analysis.study import Study
from analysis.trajectory import analyse_trajectories
from analysis.wording import pathway_name
from dashboard.figures.oncoprint import STATUS_MARKS, oncoprint_figure
from dashboard.views.patient import evidence_table as patient_evidence_table
from dashboard.views.patient import mechanism_summary
from dashboard.views.resistance import evidence_table as cohort_evidence_table
from dashboard.views.resistance import oncoprint_view
from tests.analysis.test_trajectory import _variant

#: Oncoprint rows that come from the knowledge-base rules the evidence table lists.
_ONCOPRINT_KINDS = {"mutation", "amplification", "deletion", "her2_loss"}


def _innate_study() -> Study:
    """One innate patient (PD at the first scan, day 42) with PIK3CA H1047R from the start:
    5.0% at baseline, 14.0% at progression (2.8-fold, +9 points: expanding, not new), ERBB2
    L755S 4.0% -> 5.0% (baseline: 1.25-fold), and KRAS G12D only at progression (new)."""
    patients = pd.DataFrame({"patient_id": ["I1"], "her2_status": ["POSITIVE"], "pfs_months": [42 / 30.4375],
                             "pfs_event": [True]})
    samples = pd.DataFrame({"sample_id": ["I1-B", "I1-P"], "patient_id": ["I1", "I1"],
                            "sample_type": ["plasma", "plasma"], "collection_day": [-3.0, 43.0],
                            "timepoint": ["BASELINE", "PROGRESSION"]})
    variants = pd.DataFrame([
        _variant("I1-B", "PIK3CA", "H1047R", 0.05, pos=178952085),
        _variant("I1-P", "PIK3CA", "H1047R", 0.14, pos=178952085),
        _variant("I1-B", "ERBB2", "L755S", 0.04, pos=37880220),
        _variant("I1-P", "ERBB2", "L755S", 0.05, pos=37880220),
        _variant("I1-P", "KRAS", "G12D", 0.03, pos=25398284),
    ])
    copy_number = pd.DataFrame({"sample_id": ["I1-B", "I1-P"], "gene": ["ERBB2"] * 2, "copy_number": [5.0, 7.0]})
    timeline = pd.DataFrame([
        {"patient_id": "I1", "start_day": -5, "event_type": "IMAGING", "target_lesion_sum_mm": 50.0},
        {"patient_id": "I1", "start_day": 42, "event_type": "IMAGING", "target_lesion_sum_mm": 70.0},
    ])
    return Study.from_tables(patients=patients, samples=samples, variants=variants, copy_number=copy_number,
                             timeline=timeline)


def test_alteration_present_from_the_start_is_expanding_not_new():
    study = _innate_study()
    trajectories = analyse_trajectories(study)
    assert trajectories.patients["resistance_class"].tolist() == ["innate"]
    resistance = call_mechanisms(study, trajectories)
    ev = resistance.evidence[resistance.evidence["draw"] == "progression"]
    status = dict(zip(ev["gene"], ev["status"], strict=False))
    assert status == {"PIK3CA": "expanding", "ERBB2": "baseline", "KRAS": "new at progression"}
    calls = resistance.calls.set_index("pathway")
    assert calls.loc["PI3K", "status"] == "baseline, expanding"
    assert calls.loc["PI3K", "expanding"] and not calls.loc["PI3K", "new_at_progression"]
    assert calls.loc["MAPK", "status"] == "new at progression"

    cells = build_oncoprint(study, trajectories, resistance).cells
    plasma = cells[cells["source"] == "plasma"].set_index("gene")
    assert plasma.loc["PIK3CA", "expanding"] and not plasma.loc["PIK3CA", "new_at_progression"]
    assert plasma.loc["KRAS", "new_at_progression"] and not plasma.loc["KRAS", "expanding"]
    assert not plasma.loc["ERBB2"].loc[lambda f: f["alteration_type"] == "missense", "new_at_progression"].any()

    sentence = mechanism_summary(analyse_patient(study, "I1"))
    assert "PIK3CA H1047R: baseline, VAF 5.00% on day -3, then expanding, VAF 14.0% on day 43" in sentence
    assert "MAPK pathway (KRAS G12D: new at progression" in sentence
    assert "emerging" not in sentence


@pytest.fixture(scope="module")
def demo(demo_study_dir):
    study = read_study(demo_study_dir)
    truth = json.loads((demo_study_dir.parent / "demo.truth.json").read_text())
    return study, truth, analyse_cohort(study)


def test_every_demo_patient_reads_the_same_in_sentence_tables_and_glyphs(demo):
    study, truth, cohort = demo
    evidence = cohort.resistance.evidence
    resistance_rows = evidence[evidence["evidence_direction"] == "resistance"]
    cells = cohort.oncoprint.cells
    plasma_cells = cells[cells["source"] == "plasma"]
    cohort_table = cohort_evidence_table(cohort.resistance)
    assert set(cohort_table["status"]) <= set(STATUSES)
    for pid in cohort.trajectories.patients["patient_id"].astype(str):
        patient = analyse_patient(study, pid)
        mine = resistance_rows[resistance_rows["patient_id"] == pid]
        # The patient page's evidence table and the Resistance page's say the same as the analysis.
        page = patient_evidence_table(patient)
        assert sorted(page["status"]) == sorted(mine["status"]), pid
        shared = cohort_table[(cohort_table["patient_id"] == pid) & (cohort_table["evidence_direction"]
                                                                     == "resistance")]
        assert sorted(shared["status"]) == sorted(mine["status"]), pid
        # The sentence uses each call's own status words, which are those of its evidence rows.
        sentence = mechanism_summary(patient)
        for call in patient.resistance.calls.itertuples(index=False):
            words = join_statuses(mine.loc[mine["pathway"] == call.pathway, "status"])
            assert call.status == words, (pid, call.pathway)
            part = pathway_part(sentence, pathway_name(call.pathway))
            assert all(word in part for word in words.split(", ")), (pid, call.pathway, sentence)
        assert "emerging" not in sentence
        # Oncoprint marks: a gene's plasma cells carry the "new" / "expanding" mark exactly when an
        # evidence row of that gene has that status.
        for gene, rows in mine[mine["alteration_type"].isin(_ONCOPRINT_KINDS)].groupby("gene"):
            gene_cells = plasma_cells[(plasma_cells["patient_id"] == pid) & (plasma_cells["gene"] == gene)]
            statuses = set(rows["status"])
            assert gene_cells["new_at_progression"].any() == ("new at progression" in statuses), (pid, gene)
            assert gene_cells["expanding"].any() == ("expanding" in statuses), (pid, gene)
    # Planted baseline mechanisms (present from the start) are never "new at progression".
    for pid, planted in truth["patients"].items():
        for mech in planted.get("mechanisms", []):
            if mech["status"] == "baseline":
                rows = resistance_rows[(resistance_rows["patient_id"] == pid) & (resistance_rows["gene"]
                                                                                 == mech["gene"])]
                assert "new at progression" not in set(rows["status"]), (pid, mech)


def test_oncoprint_glyphs_and_hover_follow_the_cell_statuses(demo):
    study, _, cohort = demo
    view = oncoprint_view(cohort.oncoprint, cohort.trajectories, study, show="all")
    figure = oncoprint_figure(view.patient_ids, view.rows, view.cells, view.tracks, view.details)
    traces = {trace.name: trace for trace in figure.data}
    for column, (label, *_rest) in STATUS_MARKS.items():
        marked = view.cells[view.cells[column]].drop_duplicates(["patient_id", "gene", "source"])
        n_marks = len(traces[label].x) if label in traces else 0
        assert n_marks == len(marked), column
    hover = [str(t) for row in traces["cells"].text for t in row]
    assert not any("emerging" in t for t in hover)
    assert any("expanding)" in t for t in hover) and any("new at progression)" in t for t in hover)


def pathway_part(sentence: str, name: str) -> str:
    """The parenthesis after *name* in a mechanism sentence (its alterations and their statuses)."""
    start = sentence.index(f"{name} (") + len(name) + 2
    depth = 1
    for end in range(start, len(sentence)):
        depth += {"(": 1, ")": -1}.get(sentence[end], 0)
        if depth == 0:
            return sentence[start:end]
    raise AssertionError(f"unbalanced parentheses after {name!r} in {sentence!r}")
