"""What was profiled: panels and case lists make 'not profiled' differ from 'not altered'."""

from __future__ import annotations

import dataclasses

import pandas as pd

from analysis.concordance import concordance_analysis
from analysis.profiling import ALL_GENES, Profiling
from tests.conftest import make_tiny_study

SAMPLES = ["P1-T", "P1-B0", "P1-D1", "P1-D2", "P2-T", "P2-B0"]


def _with_panels(study, plasma_genes=("TP53", "ERBB2"), tissue_genes=("TP53", "ERBB2", "KRAS", "PIK3CA")):
    panel_of = {s: ("TISSUE" if s.endswith("-T") else "PLASMA") for s in SAMPLES}
    gene_panels = pd.DataFrame({"sample_id": SAMPLES, "profile": "mutations",
                                "panel_id": [panel_of[s] for s in SAMPLES]})
    panel_genes = pd.DataFrame({"panel_id": ["PLASMA"] * len(plasma_genes) + ["TISSUE"] * len(tissue_genes),
                                "gene": [*plasma_genes, *tissue_genes]})
    return dataclasses.replace(study, gene_panels=gene_panels, panel_genes=panel_genes)


def _per_gene(result, gene):
    rows = result.per_gene[(result.per_gene["gene"] == gene) & (result.per_gene["alteration"] == "mutation")]
    return rows.iloc[0]


def test_no_profiling_information_means_every_gene_profiled():
    profiling = Profiling.of(make_tiny_study())
    assert not profiling.says("mutations")
    assert profiling.profiled(pd.Series(["P1-T"]), pd.Series(["ANY"])).tolist() == [True]


def test_panel_matrix_decides_per_gene():
    profiling = Profiling.of(_with_panels(make_tiny_study()))
    assert profiling.profiled(pd.Series(["P1-B0", "P1-B0", "P1-T", "UNLISTED"]),
                              pd.Series(["TP53", "KRAS", "KRAS", "TP53"])).tolist() == [True, False, True, False]
    assert profiling.coverage_keys(pd.Series(["P1-T"])).tolist() == ["TISSUE"]


def test_a_panel_without_a_definition_covers_every_gene_and_a_missing_panel_none():
    study = _with_panels(make_tiny_study())
    panels = study.gene_panels.copy()
    panels.loc[panels["sample_id"] == "P1-T", "panel_id"] = "WES"
    panels.loc[panels["sample_id"] == "P2-T", "panel_id"] = pd.NA
    profiling = Profiling.of(dataclasses.replace(study, gene_panels=panels))
    assert profiling.coverage_keys(pd.Series(["P1-T", "P2-T"])).tolist() == [ALL_GENES, None]
    assert profiling.profiled(pd.Series(["P1-T", "P2-T"]), pd.Series(["KRAS", "TP53"])).tolist() == [True, False]


def test_concordance_counts_a_gene_only_where_both_panels_cover_it():
    plain = concordance_analysis(make_tiny_study())
    assert (_per_gene(plain, "KRAS")["c"], _per_gene(plain, "KRAS")["n"]) == (1, 2)  # tissue-only, 2 pairs

    panelled = concordance_analysis(_with_panels(make_tiny_study()))
    kras = _per_gene(panelled, "KRAS")
    assert (kras["a"], kras["b"], kras["c"], kras["n"], kras["n_missing"]) == (0, 0, 0, 0, 2)
    tp53 = _per_gene(panelled, "TP53")
    assert (tp53["a"], tp53["d"], tp53["n"]) == (1, 1, 2)
    # P2's only tissue mutation (KRAS) is not on the plasma panel: not "missed" in plasma.
    p2 = panelled.per_patient.set_index("patient_id").loc["P2"]
    assert p2["n_tissue_alterations"] == 0
    assert "KRAS" not in set(panelled.variant_detection["gene"])
    assert any("different panels (2-gene plasma vs 4-gene tissue; 2 genes on both)" in c for c in panelled.caveats)


def test_case_lists_say_which_samples_were_sequenced():
    study = make_tiny_study()
    lists = pd.DataFrame({"case_list": "tiny_sequenced", "category": "all_cases_with_mutation_data",
                          "sample_id": ["P1-T", "P1-B0", "P2-T"]})  # P2-B0 not sequenced
    result = concordance_analysis(dataclasses.replace(study, case_lists=lists))
    tp53 = _per_gene(result, "TP53")
    assert (tp53["n"], tp53["n_missing"]) == (1, 1)
    kras = _per_gene(result, "KRAS")
    assert (kras["c"], kras["n"]) == (0, 1)


def test_structural_variants_are_a_third_alteration_kind_in_concordance():
    study = make_tiny_study()
    sv = pd.DataFrame({"sample_id": ["P1-T", "P1-B0", "P2-T"], "gene1": ["ERBB2", "ERBB2", "MET"],
                       "gene2": ["GRB7", "GRB7", pd.NA], "sv_class": "FUSION"})
    result = concordance_analysis(dataclasses.replace(study, structural_variants=sv))
    rows = result.per_gene[result.per_gene["alteration"] == "structural variant"].set_index("gene")
    assert set(rows.index) == {"ERBB2", "GRB7", "MET"}
    assert (rows.loc["ERBB2", "a"], rows.loc["ERBB2", "d"], rows.loc["ERBB2", "n"]) == (1, 1, 2)
    assert (rows.loc["MET", "c"], rows.loc["MET", "n"]) == (1, 2)
    # The fusion found in both samples counts once per patient; P2's MET event is a tissue alteration not in plasma.
    per_patient = result.per_patient.set_index("patient_id")
    assert per_patient.loc["P2", "n_tissue_alterations"] == 2  # KRAS mutation + MET SV
    assert per_patient.loc["P1", "n_found_in_plasma"] == 3  # TP53 R175H, ERBB2 amplification, ERBB2-GRB7 fusion
    assert per_patient.loc["P2", "n_found_in_plasma"] == 0


def test_germline_structural_variants_are_never_somatic_alterations():
    from analysis.pfs_groups import altered_samples

    study = make_tiny_study()
    sv = pd.DataFrame({"sample_id": ["P1-T", "P1-B0"], "gene1": ["ERBB2", "ERBB2"], "gene2": ["GRB7", "GRB7"],
                       "sv_class": "FUSION", "sv_status": ["GERMLINE", "germline"]})
    germline_only = dataclasses.replace(study, structural_variants=sv)
    result = concordance_analysis(germline_only)
    assert "structural variant" not in set(result.per_gene["alteration"])
    assert altered_samples(germline_only, genes="GRB7").empty
