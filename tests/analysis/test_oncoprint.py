"""Oncoprint data: cells, status marks (new at progression / expanding), tracks and default orderings."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.oncoprint import build_oncoprint
from analysis.resistance import call_mechanisms
from analysis.study import Study
from analysis.trajectory import analyse_trajectories
from tests.analysis.test_trajectory import make_study


def _build(study, **kwargs):
    trajectories = analyse_trajectories(study)
    return build_oncoprint(study, trajectories, call_mechanisms(study, trajectories), **kwargs)


@pytest.fixture(scope="module")
def onco():
    return _build(make_study())


def test_cells(onco):
    cells = onco.cells.set_index(["patient_id", "gene", "source", "alteration_type"])
    assert bool(cells.loc[("P1", "KRAS", "plasma", "missense"), "new_at_progression"])
    assert cells.loc[("P1", "KRAS", "plasma", "missense"), "status"] == "new at progression"
    pik = cells.loc[("P1", "PIK3CA", "plasma", "missense")]
    assert not pik["new_at_progression"] and not pik["expanding"] and pik["status"] == "baseline"  # 1.5-fold
    assert cells.loc[("P1", "PIK3CA", "plasma", "missense"), "timepoints"] == "baseline;progression"
    tissue = cells.loc[("P1", "KRAS", "tissue", "missense")]
    assert not tissue["new_at_progression"] and pd.isna(tissue["status"])  # tissue has no status
    assert bool(cells.loc[("P1", "ERBB2", "plasma", "her2_loss"), "new_at_progression"])
    assert ("P1", "ERBB2", "tissue", "amplification") in cells.index  # 12 copies >= 4
    assert ("P3", "ERBB2", "plasma", "amplification") in cells.index  # 3.0 >= 2.4
    assert cells.index.is_unique


def test_orderings(onco):
    # P1 (3 mechanisms) and P2 (1) before P3 (none); genes grouped by pathway
    assert onco.patient_order[-1] == "P3"
    assert set(onco.patient_order) == {"P1", "P2", "P3"}
    assert set(onco.gene_order) == {"ERBB2", "ERBB4", "KRAS", "PIK3CA"}
    pathways = onco.genes.set_index("gene")["pathway"]
    assert pathways["KRAS"] == "MAPK" and pathways["ERBB4"] == "HER_FAMILY"
    ranks = [list(onco.genes["pathway"]).index(p) for p in onco.genes["pathway"]]
    assert ranks == sorted(ranks)  # contiguous pathway blocks


def test_tracks(onco):
    tracks = onco.tracks.set_index("patient_id")
    assert tracks.loc["P1", "mechanism_group"] == "2+" and tracks.loc["P2", "resistance_class"] == "innate"
    assert tracks.loc["P2", "primary_pathway"] == "HER_FAMILY"
    assert tracks.loc["P3", "pfs_months"] == 12.0


def test_gene_selection():
    onco = _build(make_study(), genes=["kras"])
    assert set(onco.cells["gene"]) == {"KRAS"} and onco.gene_order == ("KRAS",)


def test_empty_study():
    onco = _build(Study.from_tables())
    assert onco.cells.empty and onco.tracks.empty and onco.patient_order == ()
    assert onco.cells["new_at_progression"].dtype == bool and onco.cells["expanding"].dtype == bool
