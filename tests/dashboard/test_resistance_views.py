"""Resistance page view models: patient selection and order, headline share, tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from analysis.cohort import analyse_cohort
from analysis.oncoprint import OncoprintData
from analysis.resistance import ResistanceResult, load_knowledge_base
from dashboard.figures.oncoprint import glyph_count, oncoprint_figure
from dashboard.views.resistance import (
    enrichment_table,
    evidence_table,
    headline,
    her2_progression_frame,
    mechanism_table,
    oncoprint_view,
    page_state,
    select_patients,
)


def _oncoprint(classes, pfs, order=None) -> OncoprintData:
    ids = [f"P{i:03d}" for i in range(len(classes))]
    tracks = pd.DataFrame({
        "patient_id": pd.array(ids, dtype="string"),
        "her2_status": "POSITIVE",
        "resistance_class": pd.array(classes, dtype="string"),
        "n_mechanisms": 0,
        "mechanism_group": "0",
        "primary_pathway": pd.array([None] * len(ids), dtype="string"),
        "pfs_months": pd.array(pfs, dtype="float64"),
        "pfs_event": pd.array([c in ("innate", "acquired") for c in classes], dtype="boolean"),
    })
    empty = pd.DataFrame(columns=["patient_id", "gene", "source", "alteration_type", "status",
                                  "new_at_progression", "expanding", "unknown_baseline", "label",
                                  "timepoints"])
    return OncoprintData(cells=empty, tracks=tracks, genes=pd.DataFrame(columns=["gene", "pathway", "n_patients"]),
                         patient_order=tuple(order or ids), gene_order=(), summary=pd.DataFrame())


def test_filters_keep_progressors_followed_or_all():
    data = _oncoprint(["innate", "none", "acquired", "none"], [2.0, 9.0, 5.0, np.nan])
    assert select_patients(data, show="progressors").patient_ids == ("P000", "P002")
    assert select_patients(data, show="followed").patient_ids == ("P000", "P001", "P002")
    everyone = select_patients(data, show="all")
    assert everyone.patient_ids == ("P000", "P001", "P002", "P003") and everyone.note == ""


def test_sorts_by_pfs_with_missing_last_and_by_class():
    data = _oncoprint(["none", "acquired", "innate", "none"], [9.0, 5.0, 2.0, np.nan],
                      order=["P003", "P000", "P001", "P002"])
    assert select_patients(data, "mechanism", "all").patient_ids == ("P003", "P000", "P001", "P002")
    assert select_patients(data, "pfs", "all").patient_ids == ("P002", "P001", "P000", "P003")
    assert select_patients(data, "class", "all").patient_ids == ("P002", "P001", "P003", "P000")


@settings(max_examples=60, deadline=None)
@given(classes=st.lists(st.sampled_from(["innate", "acquired", "none"]), min_size=1, max_size=40),
       cap=st.integers(min_value=1, max_value=30), sort=st.sampled_from(["mechanism", "pfs", "class"]))
def test_the_cap_keeps_progressors_first_and_the_chosen_order(classes, cap, sort):
    pfs = [float((7 * i) % 11) for i in range(len(classes))]
    data = _oncoprint(classes, pfs)
    full = select_patients(data, sort, "all", max_patients=len(classes))
    capped = select_patients(data, sort, "all", max_patients=cap)
    assert len(capped.patient_ids) == min(cap, len(classes)) and capped.n_eligible == len(classes)
    assert bool(capped.note) == (len(classes) > cap)
    # Same relative order as without the cap.
    position = {p: i for i, p in enumerate(full.patient_ids)}
    assert [position[p] for p in capped.patient_ids] == sorted(position[p] for p in capped.patient_ids)
    progressors = {f"P{i:03d}" for i, c in enumerate(classes) if c != "none"}
    shown = set(capped.patient_ids)
    assert len(shown & progressors) == min(cap, len(progressors))


def test_page_state_falls_back_to_defaults():
    assert page_state("pfs", "all") == {"sort": "pfs", "show": "all"}
    assert page_state("bogus", None) == {"sort": "mechanism", "show": "progressors"}


def _resistance(groups, progressed, enrichment=None, evidence=None) -> ResistanceResult:
    patients = pd.DataFrame({
        "patient_id": [f"P{i}" for i in range(len(groups))],
        "resistance_class": ["acquired" if p else "none" for p in progressed],
        "progressed": progressed,
        "evaluated": True,
        "n_mechanisms": [{"0": 0, "1": 1, "2+": 2}[g] for g in groups],
        "pathways": "",
        "genes": "",
        "mechanism_group": pd.array(groups, dtype="string"),
    })
    return ResistanceResult(evidence=evidence if evidence is not None else pd.DataFrame(), calls=pd.DataFrame(),
                            patients=patients, enrichment=enrichment if enrichment is not None else pd.DataFrame(),
                            knowledge_base=load_knowledge_base(), summary=pd.DataFrame())


def test_mechanism_table_counts_progressors_with_a_wilson_interval():
    # The published figure: 13 of 17 progressors (4 with none, 7 with one, 6 with two or more).
    groups = ["0"] * 4 + ["1"] * 7 + ["2+"] * 6 + ["1", "0"]
    result = _resistance(groups, [True] * 17 + [False, False])
    table = mechanism_table(result)
    assert table["of_progressors"].tolist() == ["4/17", "7/17", "6/17", "13/17"]
    assert table["percent"].iloc[-1] == "76.5%"
    low, high = proportion_confint(13, 17, alpha=0.05, method="wilson")
    assert table["ci"].iloc[-1] == f"{100 * low:.1f}-{100 * high:.1f}%"
    assert headline(result)["value"] == "76.5% (13/17)"
    assert "n = 17 progressors" in headline(result)["detail"]


def test_no_progressor_means_an_undefined_share():
    result = _resistance(["0", "1"], [False, False])
    assert headline(result)["value"] == "no progressors"
    assert mechanism_table(result)["percent"].iloc[-1].startswith("undefined")


def test_enrichment_table_orders_pathways_first_and_names_infinite_odds():
    enrichment = pd.DataFrame({
        "level": ["gene", "pathway", "pathway"], "mechanism": ["PIK3CA", "MAPK", "PI3K"],
        "innate_with": [4, 0, 4], "innate_n": [7, 7, 7], "acquired_with": [0, 3, 0], "acquired_n": [10, 10, 10],
        "odds_ratio": [math.inf, 0.0, math.inf], "p_value": [0.0147059, 0.227941, 0.0147059],
    })
    table = enrichment_table(_resistance(["0"], [True], enrichment=enrichment))
    assert table["mechanism"].tolist() == ["PI3K pathway", "MAPK pathway", "PIK3CA"]  # pathways by name
    assert table["level"].tolist() == ["Pathway", "Pathway", "Gene"]
    assert table.iloc[0]["innate"] == "4/7 (57%)" and table.iloc[0]["acquired"] == "0/10 (0%)"
    assert table.iloc[0]["odds_ratio"] == "not estimable" and table.iloc[0]["p_value"] == "0.015"  # inf is no estimate
    assert table.iloc[0]["p_exact"] == pytest.approx(0.0147059)
    assert table.iloc[1]["odds_ratio"] == "0"


def test_evidence_table_keeps_the_patients_asked_for_with_vaf_to_three_digits():
    evidence = pd.DataFrame({
        "patient_id": ["P1", "P2"], "sample_id": ["P1-B0", "P2-D3"], "draw": ["baseline", "progression"],
        "day": [-1.0, 213.0], "gene": ["PIK3CA", "ERBB4"], "alteration_type": ["mutation", "mutation"],
        "alteration": ["H1047R", "S774G"], "vaf": [0.0513742, 0.0273291], "copy_number": [np.nan, np.nan],
        "baseline_vaf": [0.0513742, np.nan], "status": ["baseline", "new at progression"],
        "pathway": ["PI3K", "HER_FAMILY"],
        "evidence_direction": ["resistance", "resistance"], "citation": ["Berns 2007", "Wang 2019"], "kb_line": [9, 16],
    })
    table = evidence_table(_resistance(["0"], [True], evidence=evidence), ("P2",))
    assert table[["patient_id", "alteration", "status", "citation"]].values.tolist() == [
        ["P2", "S774G", "new at progression", "Wang 2019"]]
    # numbers stay numbers (they sort and filter as such; the grid shows the VAF to 3 significant digits)
    assert table["vaf_pct"].tolist() == [pytest.approx(2.73291)] and table["day"].tolist() == [213.0]
    assert table["copy_number"].isna().all()


@pytest.fixture(scope="module")
def tiny_cohort():
    from tests.conftest import make_tiny_study

    study = make_tiny_study()
    return study, analyse_cohort(study)


def test_oncoprint_view_of_a_real_analysis_draws_every_cell(tiny_cohort):
    study, cohort = tiny_cohort
    view = oncoprint_view(cohort.oncoprint, cohort.trajectories, study, show="all")
    assert view.patient_ids == cohort.oncoprint.patient_order
    assert len(view.cells) == len(cohort.oncoprint.cells)
    fig = oncoprint_figure(view.patient_ids, view.rows, view.cells, view.tracks, view.details)
    assert glyph_count(fig) == len(cohort.oncoprint.cells)
    # Rows: every gene in plasma and tissue; the frequency is over the patients shown.
    assert len(view.rows) == 2 * len(cohort.oncoprint.gene_order)
    erbb2 = view.rows[(view.rows["gene"] == "ERBB2") & (view.rows["source"] == "plasma")].iloc[0]
    assert erbb2["n_altered"] == 1 and erbb2["pct_altered"] == 50.0
    detail = view.details.set_index(["patient_id", "gene", "source"])["detail"]
    assert detail[("P1", "PIK3CA", "plasma")] == "progression (P1-D2): H1047R, VAF 5.00%"
    assert detail[("P1", "ERBB2", "plasma")] == ("baseline (P1-B0): CN 4 copies<br>"
                                                 "progression (P1-D2): CN 3 copies")


def test_progressors_view_and_her2_pairs_of_a_real_analysis(tiny_cohort):
    study, cohort = tiny_cohort
    view = oncoprint_view(cohort.oncoprint, cohort.trajectories, study, show="progressors")
    assert view.patient_ids == ("P1",) and set(view.cells["patient_id"]) == {"P1"}
    pairs = her2_progression_frame(cohort.trajectories)
    assert pairs[["patient_id", "resistance_class", "baseline_erbb2_cn", "progression_erbb2_cn"]].values.tolist() \
        == [["P1", "acquired", 4.0, 3.0]]


def test_oncoprint_view_counts_the_profiled_patients_and_details_structural_variants():
    from dataclasses import replace

    from analysis.oncoprint import build_oncoprint
    from analysis.resistance import call_mechanisms
    from analysis.trajectory import analyse_trajectories
    from tests.analysis.test_trajectory import make_study

    study = make_study()
    study = replace(
        study,
        gene_panels=pd.DataFrame({"sample_id": ["P1-B", "P1-P", "P1-T", "P2-B", "P2-42", "P3-B"],
                                  "profile": "mutations",
                                  "panel_id": ["SMALL", "SMALL", "BIG", "BIG", "BIG", "BIG"]}).astype("string"),
        panel_genes=pd.DataFrame({"panel_id": ["SMALL", "BIG", "BIG", "BIG"],
                                  "gene": ["ERBB2", "ERBB2", "NF1", "ERBB4"]}).astype("string"),
        structural_variants=pd.DataFrame({"sample_id": ["P1-P"], "gene1": ["NF1"], "gene2": ["SUZ12"],
                                          "sv_class": ["FUSION"], "event_info": ["NF1-SUZ12 in-frame"],
                                          "supporting_reads": pd.array([9], dtype="Int64")}))
    trajectories = analyse_trajectories(study)
    onco = build_oncoprint(study, trajectories, call_mechanisms(study, trajectories), genes=["NF1", "ERBB4"])
    view = oncoprint_view(onco, trajectories, study, show="all")
    rows = view.rows.set_index(["gene", "source"])
    # P1's plasma draws are on the small panel (no NF1, ERBB4), but P1 has an NF1 fusion: profiled for that.
    assert rows.loc[("NF1", "plasma"), ["n_altered", "n_profiled"]].tolist() == [1, 3]
    assert rows.loc[("ERBB4", "plasma"), ["n_altered", "n_profiled"]].tolist() == [1, 2]  # P2 of P2, P3
    assert rows.loc[("ERBB4", "plasma"), "pct_altered"] == 50.0
    assert set(map(tuple, view.not_profiled[["patient_id", "gene"]].values.tolist())) == {("P1", "NF1"),
                                                                                          ("P1", "ERBB4")}
    detail = view.details.set_index(["patient_id", "gene", "source"])["detail"]
    assert detail[("P1", "NF1", "plasma")] == ("progression (P1-P): NF1-SUZ12 fusion (NF1-SUZ12 in-frame), "
                                               "9 supporting reads")


def test_enrichment_shows_the_corrected_odds_ratio_when_a_cell_is_zero():
    enrichment = pd.DataFrame({
        "level": ["gene", "gene"], "mechanism": ["PIK3CA", "ERBB2"],
        "innate_with": [4, 3], "innate_n": [7, 7], "acquired_with": [0, 5], "acquired_n": [10, 10],
        "odds_ratio": [math.nan, 0.75], "odds_ratio_ci_low": [math.nan, 0.1], "odds_ratio_ci_high": [math.nan, 5.2],
        "corrected_odds_ratio": [27.0, math.nan], "corrected_ci_low": [1.14, math.nan],
        "corrected_ci_high": [638.0, math.nan], "p_value": [0.0147, 1.0],
    })
    table = enrichment_table(_resistance(["0"], [True], enrichment=enrichment)).set_index("mechanism")
    assert table.loc["PIK3CA", "odds_ratio"] == (
        "not estimable (a zero cell); corrected OR 27 (1.14-638, Haldane-Anscombe)")
    assert table.loc["ERBB2", "odds_ratio"] == "0.75 (0.1-5.2)"
