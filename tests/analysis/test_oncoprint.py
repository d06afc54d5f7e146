"""Oncoprint data: cells, status marks (new at progression / expanding), tracks and default orderings."""

from __future__ import annotations

from dataclasses import replace

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
    # Only four knowledge-base genes are altered, so the default falls back on the most altered genes (with them).
    assert set(onco.gene_order) == {"ERBB2", "ERBB4", "KRAS", "PIK3CA", "TP53"}
    assert onco.gene_order[-1] == "TP53"  # outside the knowledge base: pathway OTHER, last
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


# --------------------------------------------------------------------------------- structural variants
def _sv(sample, gene1, gene2, sv_class="FUSION", reads=12):
    return {"sample_id": sample, "gene1": gene1, "gene2": gene2, "sv_class": sv_class,
            "event_info": None, "supporting_reads": reads}


def _with_svs(study: Study, rows) -> Study:
    from analysis.schema import STRUCTURAL_VARIANTS

    frame = pd.DataFrame(rows).reindex(columns=[c.name for c in STRUCTURAL_VARIANTS.columns])
    return replace(study, structural_variants=frame.astype({c.name: c.dtype for c in STRUCTURAL_VARIANTS.columns}))


def test_structural_variants_are_cells_of_each_partner_with_statuses():
    study = _with_svs(make_study(), [
        _sv("P1-B", "ERBB2", "GRB7"),
        _sv("P1-P", "GRB7", "ERBB2"),  # the same fusion, partners the other way round: present at baseline
        _sv("P1-P", "MET", None, "DELETION"),  # intragenic, absent at baseline: new at progression
        _sv("P1-T", "ERBB2", "GRB7"),  # tissue: no status
        _sv("P1-42", "FGFR2", "BICC1"),  # an on-treatment draw: not a draw the oncoprint shows
    ])
    onco = _build(study, genes=["ERBB2", "GRB7", "MET", "FGFR2"])
    sv = onco.cells[onco.cells["alteration_type"] == "structural_variant"].set_index(["patient_id", "gene", "source"])
    assert set(sv.index) == {("P1", "ERBB2", "plasma"), ("P1", "GRB7", "plasma"), ("P1", "MET", "plasma"),
                             ("P1", "ERBB2", "tissue"), ("P1", "GRB7", "tissue")}
    erbb2 = sv.loc[("P1", "ERBB2", "plasma")]
    assert erbb2["label"] == "ERBB2-GRB7 fusion;GRB7-ERBB2 fusion"
    assert erbb2["status"] == "baseline" and not erbb2["new_at_progression"] and not erbb2["expanding"]
    assert erbb2["timepoints"] == "baseline;progression"
    met = sv.loc[("P1", "MET", "plasma")]
    assert met["label"] == "MET deletion" and met["status"] == "new at progression" and met["new_at_progression"]
    assert pd.isna(sv.loc[("P1", "ERBB2", "tissue"), "status"])
    # The SV cell sits beside the copy-number cells of the same gene, not instead of them.
    assert ("P1", "ERBB2", "plasma", "amplification") in set(
        onco.cells.set_index(["patient_id", "gene", "source", "alteration_type"]).index)
    assert onco.summary.set_index("measure").loc["structural-variant cells", "value"] == 5


def test_a_structural_variant_at_progression_without_a_baseline_draw_is_unknown():
    study = make_study()
    # P2 without its baseline draw: progression draw P2-42 only.
    study = replace(study, samples=study.samples[study.samples["sample_id"] != "P2-B"].reset_index(drop=True),
                    variants=study.variants[study.variants["sample_id"] != "P2-B"].reset_index(drop=True),
                    copy_number=study.copy_number[study.copy_number["sample_id"] != "P2-B"].reset_index(drop=True))
    onco = _build(_with_svs(study, [_sv("P2-42", "FGFR2", "BICC1")]), genes=["FGFR2"])
    cell = onco.cells.set_index(["patient_id", "gene", "source", "alteration_type"]).loc[
        ("P2", "FGFR2", "plasma", "structural_variant")]
    assert cell["status"] == "unknown (no baseline draw)" and cell["unknown_baseline"]
    assert not cell["new_at_progression"]


def test_structural_variant_labels_name_partners_and_class():
    from analysis.oncoprint import structural_variant_labels

    frame = pd.DataFrame({"gene1": ["ERBB2", "cd74", "MET", None], "gene2": ["GRB7", "ROS1", "MET", "NRG1"],
                          "sv_class": ["FUSION", None, "DUPLICATION", "TRANSLOCATION"]})
    assert structural_variant_labels(frame).tolist() == ["ERBB2-GRB7 fusion", "CD74-ROS1 fusion",
                                                         "MET duplication", "NRG1 translocation"]


# ------------------------------------------------------------------------------------------ not profiled
def _with_panels(study: Study, assignment: dict[str, str | None], panels: dict[str, list[str]]) -> Study:
    gene_panels = pd.DataFrame({"sample_id": list(assignment), "profile": "mutations",
                                "panel_id": list(assignment.values())}).astype("string")
    panel_genes = pd.DataFrame([(p, g) for p, genes in panels.items() for g in genes],
                               columns=["panel_id", "gene"]).astype("string")
    return replace(study, gene_panels=gene_panels, panel_genes=panel_genes)


SMALL = ["TP53", "PIK3CA", "ERBB2"]
BIG = ["TP53", "PIK3CA", "ERBB2", "KRAS", "ERBB4", "NF1"]


def test_a_gene_off_every_shown_samples_panel_is_not_profiled_not_unaltered():
    # P1 plasma and P3 on the small panel (no KRAS, ERBB4, NF1); P1 tissue and P2 on the big one.
    study = _with_panels(make_study(), {"P1-B": "SMALL", "P1-P": "SMALL", "P1-T": "BIG", "P2-B": "BIG",
                                        "P2-42": "BIG", "P3-B": "SMALL"}, {"SMALL": SMALL, "BIG": BIG})
    onco = _build(study, genes=["ERBB4", "NF1", "PIK3CA"])
    missing = set(map(tuple, onco.not_profiled[["patient_id", "gene", "source"]].values.tolist()))
    assert missing == {("P1", "ERBB4", "plasma"), ("P1", "NF1", "plasma"), ("P3", "ERBB4", "plasma"),
                       ("P3", "NF1", "plasma")}
    # Profiled and not altered (P2 NF1, P1 tissue ERBB4) and no sample at all (P3 tissue) are not listed.
    assert ("P2", "NF1", "plasma") not in missing and ("P1", "ERBB4", "tissue") not in missing
    row = onco.not_profiled.set_index(["patient_id", "gene", "source"]).loc[("P1", "ERBB4", "plasma")]
    assert row["sample_ids"] == "P1-B;P1-P"
    # An altered cell is never not profiled, and not-profiled cells are not altered.
    altered = set(map(tuple, onco.cells[["patient_id", "gene", "source"]].values.tolist()))
    assert not missing & altered
    summary = onco.summary.set_index("measure")["value"]
    assert summary["cells not profiled for mutations"] == 4
    assert any("not profiled for mutations" in c for c in onco.caveats)


def test_one_profiled_sample_is_enough_and_a_sample_off_the_matrix_is_not_profiled():
    # P1's progression draw was on the big panel: the plasma cell counts as profiled. P3-B is not in the
    # matrix at all: not profiled for anything.
    study = _with_panels(make_study(), {"P1-B": "SMALL", "P1-P": "BIG", "P2-B": "BIG", "P2-42": "BIG"},
                         {"SMALL": SMALL, "BIG": BIG})
    onco = _build(study, genes=["NF1", "TP53"])
    missing = set(map(tuple, onco.not_profiled[["patient_id", "gene", "source"]].values.tolist()))
    assert missing == {("P3", "NF1", "plasma"), ("P3", "TP53", "plasma"), ("P1", "NF1", "tissue"),
                       ("P1", "TP53", "tissue")}


def test_a_study_that_says_nothing_about_profiling_has_no_unprofiled_cells():
    onco = _build(make_study(), genes=["NF1", "KRAS"])
    assert onco.not_profiled.empty and list(onco.not_profiled.columns) == ["patient_id", "gene", "source",
                                                                             "sample_ids"]
    assert onco.summary.set_index("measure").loc["cells not profiled for mutations", "value"] == 0


# --------------------------------------------------------------------------------------------- genes
def test_default_genes_are_the_altered_knowledge_base_genes_when_it_matches_enough():
    from analysis.oncoprint import GENES_KB
    from tests.analysis.test_trajectory import _variant

    study = make_study()
    extra = pd.DataFrame([_variant("P3-B", "NF1", "R1362*", 0.08, "Nonsense_Mutation", pos=29665000)])
    onco = _build(replace(study, variants=pd.concat([study.variants, extra], ignore_index=True)))
    assert set(onco.gene_order) == {"ERBB2", "ERBB4", "KRAS", "PIK3CA", "NF1"}  # 5 altered: no TP53
    assert onco.gene_choice == GENES_KB and not any("most altered" in c for c in onco.caveats)


def test_default_genes_fall_back_on_the_twenty_most_altered_when_the_knowledge_base_matches_few():
    from analysis.oncoprint import GENES_MOST_ALTERED, MOST_ALTERED_GENES, gene_ranking
    from tests.analysis.test_trajectory import _variant

    study = make_study()
    # 25 genes outside the knowledge base altered in P3 only, and ZZZ1 in two patients.
    extra = [_variant("P3-B", f"GENE{i:02d}", "A10T", 0.05, pos=1000 + i) for i in range(1, 26)]
    extra += [_variant("P1-B", "ZZZ1", "A5T", 0.05), _variant("P2-B", "ZZZ1", "A5T", 0.05)]
    study = replace(study, variants=pd.concat([study.variants, pd.DataFrame(extra)], ignore_index=True))
    ranking = gene_ranking(study)
    assert ranking["gene"].tolist()[:3] == ["ERBB2", "ZZZ1", "ERBB4"]  # 3 patients, 2, then 1 by name
    onco = _build(study)
    assert onco.gene_choice == GENES_MOST_ALTERED
    top = ["ERBB2", "ZZZ1", "ERBB4"] + [f"GENE{i:02d}" for i in range(1, 18)]
    assert len(top) == MOST_ALTERED_GENES
    # The top 20, plus the altered knowledge-base genes not among them (KRAS, PIK3CA); TP53 (21st+) is left out.
    assert set(onco.gene_order) == set(top) | {"KRAS", "PIK3CA"}
    assert any("most altered genes instead" in c for c in onco.caveats)


def test_gene_ranking_counts_structural_variant_partners():
    from analysis.oncoprint import gene_ranking

    study = _with_svs(make_study(), [_sv("P1-B", "CD74", "ROS1"), _sv("P3-B", "CD74", "ROS1")])
    counts = gene_ranking(study).set_index("gene")["n_patients"]
    assert counts["CD74"] == 2 and counts["ROS1"] == 2 and counts["ERBB2"] == 3


def test_chosen_genes_get_rows_even_without_an_alteration():
    from analysis.oncoprint import GENES_CHOSEN

    onco = _build(make_study(), genes=["kras", "BRAF"])
    assert set(onco.gene_order) == {"KRAS", "BRAF"} and onco.gene_choice == GENES_CHOSEN
    assert onco.genes.set_index("gene").loc["BRAF", "n_patients"] == 0
