"""Plasma vs tissue concordance on a small synthetic study with hand-counted answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.agreement import agreement_table
from analysis.concordance import concordance_analysis, pathology_her2_positive
from analysis.params import AnalysisParameters
from analysis.roc import auc_delong, youden_cutoff
from analysis.study import Study

PAIRED = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"]

# ERBB2 copies (plasma, tissue).  Plasma >= 2.4 and tissue >= 4 are amplified:
# P1-P3 both +, P4 plasma only, P5 tissue only, P6-P8 and P11 both -.
ERBB2 = {"P1": (6.0, 12.0), "P2": (3.0, 8.0), "P3": (2.5, 5.0), "P4": (2.6, 2.1), "P5": (2.2, 6.0),
         "P6": (2.0, 2.0), "P7": (1.9, 2.2), "P8": (2.1, 1.8), "P11": (2.05, 2.3)}


def build_study() -> Study:
    patients = pd.DataFrame({
        "patient_id": [*PAIRED, "P9", "P10", "P11"],
        # P3 and P6 have no status: derived from IHC/FISH (2+ with FISH 2.5 -> +, 1+ -> -); P8 unknown.
        "her2_status": ["POSITIVE", "POSITIVE", None, "NEGATIVE", "POSITIVE", None, "NEGATIVE", None,
                        "POSITIVE", "POSITIVE", "NEGATIVE"],
        "her2_ihc": ["3+", "3+", "2+", "1+", "3+", "1+", "0", None, "3+", "3+", "0"],
        "her2_fish_ratio": [None, None, 2.5, None, None, None, None, None, None, None, None],
    })
    sample_rows = []
    for p in PAIRED:
        sample_rows += [(f"{p}-PB", p, "plasma", -3.0, "BASELINE"),
                        (f"{p}-T", p, "tissue", -20.0, "BASELINE")]
    sample_rows += [
        ("P1-PD", "P1", "plasma", 40.0, "ON_TREATMENT"),       # not baseline
        ("P1-TP", "P1", "tissue", 200.0, "PROGRESSION"),       # progression biopsy: not the pair
        ("P9-PB", "P9", "plasma", -1.0, "BASELINE"),           # no tissue
        ("P10-PB", "P10", "plasma", -40.0, "BASELINE"),        # outside [-28, 3]
        ("P10-T", "P10", "tissue", -50.0, "BASELINE"),
        ("P11-PB", "P11", "cfDNA", None, "BASELINE"),           # undated baseline draw; cfDNA synonym
        ("P11-T", "P11", "FFPE", None, None),
    ]
    samples = pd.DataFrame(sample_rows, columns=["sample_id", "patient_id", "sample_type", "collection_day",
                                                 "timepoint"])
    # The reader maps sample-type synonyms; emulate it here.
    samples["sample_type"] = samples["sample_type"].replace({"cfDNA": "plasma", "FFPE": "tissue"})

    def var(sample, gene, protein, vaf, classification="Missense_Mutation"):
        return {"sample_id": sample, "gene": gene, "protein_change": protein, "vaf": vaf,
                "variant_classification": classification}

    variants = pd.DataFrame([
        var("P1-PB", "TP53", "R175H", 0.20), var("P1-T", "TP53", "R175H", 0.40),
        var("P2-PB", "TP53", "R175H", 0.03), var("P2-T", "TP53", "R175H", 0.35),
        var("P2-PB", "BRCA2", "N372H", 0.50), var("P2-T", "BRCA2", "N372H", 0.50),   # germline-like
        var("P3-PB", "TP53", "p.R175H", 0.008), var("P3-T", "TP53", "R175H", 0.30),  # "p." style
        var("P4-PB", "PIK3CA", "H1047R", 0.02),
        var("P5-T", "TP53", "R175H", 0.25),                                          # missed in plasma
        var("P6-PB", "KRAS", "G12D", 0.06), var("P6-T", "KRAS", "G12D", 0.30),
        var("P7-PB", "DNMT3A", "R882H", 0.01),                                       # CHIP, plasma only
        var("P8-PB", "TP53", "P72P", 0.004, "Silent"),                               # silent: not a mutation
        var("P1-PD", "ERBB2", "L755S", 0.05),                                        # not a baseline sample
        var("P1-TP", "PIK3CA", "E545K", 0.30),
    ])
    cn_rows = []
    for p, (plasma, tissue) in ERBB2.items():
        cn_rows += [(f"{p}-PB", "ERBB2", plasma), (f"{p}-T", "ERBB2", tissue)]
    cn_rows += [("P1-PB", "MET", 3.0), ("P1-T", "MET", 3.5), ("P2-PB", "MET", 2.0), ("P2-T", "MET", 2.0),
                ("P1-TP", "ERBB2", 2.0), ("P1-PD", "ERBB2", 2.2)]
    copy_number = pd.DataFrame(cn_rows, columns=["sample_id", "gene", "copy_number"])
    return Study.from_tables(patients=patients, samples=samples, variants=variants, copy_number=copy_number)


@pytest.fixture(scope="module")
def result():
    return concordance_analysis(build_study(), AnalysisParameters())


def test_pairs(result):
    pairs = result.pairs.set_index("patient_id")
    assert sorted(pairs.index) == sorted([*PAIRED, "P11"])
    assert pairs.loc["P1", "plasma_sample_id"] == "P1-PB" and pairs.loc["P1", "tissue_sample_id"] == "P1-T"
    assert pairs.loc["P11", "plasma_sample_id"] == "P11-PB"
    text = " ".join(result.caveats)
    assert "1 patient(s) with a baseline plasma draw but no baseline tissue" in text
    assert "1 patient(s) with tissue but no plasma draw" in text
    assert "without a collection day" in text


def test_her2_plasma_vs_tissue_ngs(result):
    res = result.her2_tissue_ngs
    assert (res.a, res.b, res.c, res.d, res.n) == (3, 1, 1, 4, 9)
    assert res.estimate("PPA") == pytest.approx(3 / 4)
    assert res.estimate("NPA") == pytest.approx(4 / 5)
    ref = agreement_table([True, True, True, True, False, False, False, False, False],
                          [True, True, True, False, True, False, False, False, False])
    pd.testing.assert_frame_equal(res.summary, ref.summary)
    assert "2.4" in res.test_name and "4" in res.comparator_name


def test_her2_plasma_vs_pathology(result):
    res = result.her2_pathology
    # P8 has no pathology call: dropped; P3 (2+, FISH 2.5) positive; P6 (1+) negative.
    assert (res.a, res.b, res.c, res.d, res.n_missing) == (3, 1, 1, 3, 1)
    assert any("1 pair(s)" in c for c in res.caveats)


def test_pathology_rule():
    patients = pd.DataFrame({"her2_status": [None, None, None, None, "negative", None, None],
                             "her2_ihc": ["3+", "2+", "2+", "1+", "3+", None, None],
                             "her2_fish_ratio": [None, 2.0, 1.9, 5.0, None, 2.2, None]})
    assert pathology_her2_positive(patients).tolist() == [True, True, False, False, False, True, pd.NA]


def test_per_gene(result):
    table = result.per_gene.set_index(["alteration", "gene"])
    def counts(alteration, gene):
        row = table.loc[(alteration, gene)]
        return tuple(int(row[k]) for k in ("a", "b", "c", "d", "n_missing"))
    assert counts("mutation", "TP53") == (3, 0, 1, 5, 0)      # the silent P8 variant is not counted
    assert counts("mutation", "PIK3CA") == (0, 1, 0, 8, 0)    # progression biopsy's E545K not counted
    assert counts("mutation", "KRAS") == (1, 0, 0, 8, 0)
    assert counts("mutation", "BRCA2") == (1, 0, 0, 8, 0)
    assert counts("mutation", "DNMT3A") == (0, 1, 0, 8, 0)
    assert bool(table.loc[("mutation", "DNMT3A"), "chip_gene"])
    assert ("mutation", "ERBB2") not in table.index           # L755S only on treatment
    assert counts("amplification", "ERBB2") == (3, 1, 1, 4, 0)
    assert counts("amplification", "MET") == (0, 1, 0, 1, 7)  # MET measured in 2 pairs only
    tp53 = table.loc[("mutation", "TP53")]
    assert tp53["ppa"] == pytest.approx(3 / 4) and tp53["npa"] == 1.0


def test_per_patient(result):
    table = result.per_patient.set_index("patient_id")
    columns = ["n_tissue_alterations", "n_found_in_plasma", "n_plasma_only"]
    assert table.loc["P1", columns].tolist() == [2, 2, 1]
    assert table.loc["P5", ["n_tissue_alterations", "n_found_in_plasma"]].tolist() == [2, 0]
    assert table.loc["P5", "fraction_found"] == 0.0
    assert math.isnan(table.loc["P4", "fraction_found"]) and table.loc["P4", "n_plasma_only"] == 2
    assert table.loc["P2", "fraction_found"] == 1.0  # TP53, BRCA2 and ERBB2 amplification


def test_tumour_fraction_strata_and_detection(result):
    pairs = result.pairs.set_index("patient_id")
    assert pairs.loc["P1", "plasma_tumour_fraction"] == pytest.approx(0.40)
    assert pairs.loc["P2", "plasma_tumour_fraction"] == pytest.approx(0.06)   # germline-like BRCA2 ignored
    assert pairs.loc["P3", "plasma_tumour_fraction"] == pytest.approx(0.016)
    assert pairs.loc["P8", "tumour_fraction_stratum"] == "<1%"                # silent variant still counts
    assert pairs.loc["P7", "tumour_fraction_stratum"] == "not estimable"      # only a CHIP variant
    detection = result.variant_detection
    assert len(detection) == 6
    assert detection.set_index(["patient_id", "gene"]).loc[("P3", "TP53"), "detected"]
    by_stratum = result.detection_by_tf.set_index("tumour_fraction_stratum")
    assert by_stratum[["n_variants", "n_detected"]].to_dict("index") == {
        "<1%": {"n_variants": 0, "n_detected": 0}, "1-5%": {"n_variants": 1, "n_detected": 1},
        "5-10%": {"n_variants": 2, "n_detected": 2}, "≥10%": {"n_variants": 2, "n_detected": 2},
        "not estimable": {"n_variants": 1, "n_detected": 0}}
    assert math.isnan(by_stratum.loc["<1%", "detection_rate"])


def test_cn_correlation(result):
    plasma = [ERBB2[p][0] for p in [*PAIRED, "P11"]]
    tissue = [ERBB2[p][1] for p in [*PAIRED, "P11"]]
    table = result.cn_correlation.set_index(["gene", "method"])
    spearman = stats.spearmanr(plasma, tissue).statistic
    pearson = stats.pearsonr(plasma, tissue).statistic
    assert table.loc[("ERBB2", "spearman"), "estimate"] == pytest.approx(spearman)
    assert table.loc[("ERBB2", "pearson"), "estimate"] == pytest.approx(pearson)
    assert table.loc[("ERBB2", "spearman"), "n"] == 9
    assert "MET" not in table.index.get_level_values("gene")   # 2 pairs: too few


def test_roc_auc_youden_and_sweep(result):
    plasma = np.array([ERBB2[p][0] for p in [*PAIRED, "P11"]])
    tissue = np.array([ERBB2[p][1] >= 4 for p in [*PAIRED, "P11"]])
    assert result.auc.auc == pytest.approx(auc_delong(plasma, tissue).auc)
    u = stats.mannwhitneyu(plasma[tissue], plasma[~tissue]).statistic
    assert result.auc.auc == pytest.approx(u / (4 * 5))
    assert result.youden == youden_cutoff(plasma, tissue)
    at_default = result.sweep.set_index("cutoff").loc[2.4]
    assert (at_default["a"], at_default["b"], at_default["c"], at_default["d"]) == (3, 1, 1, 4)
    assert result.sweep["cutoff"].is_monotonic_increasing
    assert result.roc["threshold"].iloc[0] == np.inf


def test_parameters_change_calls():
    res = concordance_analysis(build_study(), AnalysisParameters(plasma_amplification_cn=2.15,
                                                                 tissue_amplification_cn=6.0))
    # Plasma >= 2.15: P1-P5 positive; tissue >= 6: P1, P2, P5.
    assert (res.her2_tissue_ngs.a, res.her2_tissue_ngs.b, res.her2_tissue_ngs.c) == (3, 2, 0)


def test_summary_has_both_comparisons(result):
    summary = result.summary
    assert list(summary["comparison"]) == ["plasma vs tissue NGS HER2", "plasma vs pathology HER2"]
    assert "sensitivity" not in " ".join(summary.columns)


def test_empty_and_single_patient_studies():
    empty = concordance_analysis(Study.from_tables())
    assert empty.pairs.empty and empty.per_gene.empty and empty.cn_pairs.empty
    assert empty.her2_tissue_ngs.n == 0 and math.isnan(empty.auc.auc)
    assert any("no patient has both" in c for c in empty.caveats)
    study = build_study()
    one = Study.from_tables(patients=study.patients,
                            samples=study.samples[study.samples["patient_id"] == "P1"],
                            variants=study.variants, copy_number=study.copy_number)
    single = concordance_analysis(one)
    assert len(single.pairs) == 1 and single.her2_tissue_ngs.a == 1
    assert math.isnan(single.her2_tissue_ngs.estimate("NPA"))
    assert any("AUC undefined" in c for c in single.caveats)


def test_duplicate_copy_number_rows_and_custom_strata():
    study = build_study()
    doubled = pd.concat([study.copy_number, study.copy_number[study.copy_number["sample_id"] == "P5-T"]])
    res = concordance_analysis(Study.from_tables(patients=study.patients, samples=study.samples,
                                                 variants=study.variants, copy_number=doubled),
                               tumour_fraction_strata=(0.05,))
    assert (res.her2_tissue_ngs.a, res.her2_tissue_ngs.c, res.her2_tissue_ngs.n) == (3, 1, 9)
    assert any("duplicate copy-number" in c for c in res.caveats)
    assert list(res.detection_by_tf["tumour_fraction_stratum"]) == ["<5%", "≥5%", "not estimable"]
