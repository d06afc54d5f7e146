"""The demo cohort generator: determinism, the published design counts, and the planted biology.

Most checks read the study tables themselves (what an analysis would see) and use the truth
only to know what was planted.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import schema
from analysis.demo import CN_GENES, PATHWAYS, design_counts, generate_demo, write_demo
from analysis.demo.generator import truth_json
from analysis.errors import InputError
from analysis.panel import load_panel_genes
from analysis.params import (
    CHIP_GENES,
    DAYS_PER_MONTH,
    FISH_RATIO_POSITIVE,
    GERMLINE_HET_VAF,
    GERMLINE_HOM_VAF,
    PLASMA_AMPLIFICATION_CN,
    TISSUE_AMPLIFICATION_CN,
)

TABLES = ("patients", "samples", "variants", "copy_number", "timeline")
KB_GENES = {"PIK3CA", "PIK3R1", "PIK3C3", "PTEN", "ERBB2", "ERBB3", "ERBB4", "NF1", "KRAS", "NRAS", "BRAF",
            "MAP2K1", "MET", "EGFR", "FGFR2", "CCNE1", "CDK4", "CDK6", "CDK12"}
HAS_CBIOPORTAL = importlib.util.find_spec("analysis.io.cbioportal") is not None


@pytest.fixture(scope="module")
def cohort():
    return generate_demo(78, seed=2019)


@pytest.fixture(scope="module")
def study(cohort):
    return cohort.study


@pytest.fixture(scope="module")
def truth(cohort):
    return cohort.truth


def _erbb2_cn(study) -> pd.Series:
    cn = study.copy_number
    return cn[cn["gene"] == "ERBB2"].set_index("sample_id")["copy_number"]


def _followed_ids(study) -> set[str]:
    """Followed patients, from the tables: those with a trastuzumab TREATMENT event."""
    treatment = study.events("TREATMENT")
    return set(treatment.loc[treatment["agent"] == "Trastuzumab", "patient_id"])


def _naive_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """AUC by counting every positive-negative pair (ties count one half)."""
    pos, neg = scores[positive], scores[~positive]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_tables_and_truth(cohort):
    again = generate_demo(78, seed=2019)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(cohort.study, name), getattr(again.study, name))
    assert cohort.study.content_hash == again.study.content_hash
    assert truth_json(cohort.truth) == truth_json(again.truth)
    assert cohort.study.meta == again.study.meta


def test_different_seed_gives_different_cohort(cohort):
    other = generate_demo(78, seed=2020)
    assert other.study.content_hash != cohort.study.content_hash
    assert truth_json(other.truth) != truth_json(cohort.truth)
    # ... but the same design.
    assert other.truth["counts"]["serial_draws"] == 97
    assert other.truth["counts"]["with_mechanism"] == 13


# --------------------------------------------------------------------------- design counts


def test_design_counts_at_78_from_tables(study, truth):
    patients, samples = study.patients, study.samples
    assert len(patients) == 78
    assert list(patients["patient_id"]) == [f"P{i:03d}" for i in range(1, 79)]
    assert (patients["her2_status"] == "POSITIVE").sum() == 46
    assert (patients["her2_status"] == "NEGATIVE").sum() == 32
    followed = _followed_ids(study)
    assert len(followed) == 24
    assert set(patients.loc[patients["patient_id"].isin(followed), "her2_status"]) == {"POSITIVE"}
    plasma = samples[samples["sample_type"] == "plasma"]
    assert plasma["patient_id"].isin(followed).sum() == 97
    assert int(patients["pfs_event"].sum()) == 17
    counts = truth["counts"]
    assert (counts["patients"], counts["her2_positive"], counts["her2_negative"]) == (78, 46, 32)
    assert (counts["followed"], counts["serial_draws"], counts["progressions"]) == (24, 97, 17)
    assert (counts["with_mechanism"], counts["innate"], counts["acquired"]) == (13, 7, 10)
    assert (counts["erbb_mutation_baseline"], counts["erbb_mutation_progression"]) == (6, 5)
    assert counts["pik3ca_innate"] == 4 and counts["pik3ca_acquired"] <= 1


def test_every_patient_has_paired_tissue_and_baseline_plasma(study):
    samples = study.samples
    for patient_id, group in samples.groupby("patient_id"):
        tissue = group[group["sample_type"] == "tissue"]
        assert len(tissue) == 1 and tissue["sample_id"].iloc[0] == f"{patient_id}-T"
        assert tissue["timepoint"].iloc[0] == "BASELINE"
        assert -60 <= tissue["collection_day"].iloc[0] <= -7
        baseline = group[(group["sample_type"] == "plasma") & (group["timepoint"] == "BASELINE")]
        assert len(baseline) == 1 and baseline["sample_id"].iloc[0] == f"{patient_id}-B0"
        assert -14 <= baseline["collection_day"].iloc[0] <= 0


def test_followed_draw_schedule(study):
    samples, status = study.samples, study.events("STATUS")
    progression_day = status.set_index("patient_id")["start_day"]
    for patient_id in _followed_ids(study):
        plasma = samples[(samples["patient_id"] == patient_id) & (samples["sample_type"] == "plasma")]
        in_window = plasma[plasma["collection_day"].between(-28, 3)]
        assert len(in_window) == 1 and in_window["timepoint"].iloc[0] == "BASELINE"
        later = np.diff(np.sort(plasma["collection_day"].to_numpy()))
        assert (later > 0).all()
        prog = plasma[plasma["timepoint"] == "PROGRESSION"]
        if patient_id in progression_day.index:
            assert len(prog) == 1
            assert -14 <= prog["collection_day"].iloc[0] - progression_day[patient_id] <= 28
        else:
            assert prog.empty


def test_pathology_status_follows_ihc_and_fish(study):
    p = study.patients
    fish_positive = p["her2_fish_ratio"] >= FISH_RATIO_POSITIVE
    positive = (p["her2_ihc"] == "3+") | ((p["her2_ihc"] == "2+") & fish_positive)
    assert (positive.fillna(False) == (p["her2_status"] == "POSITIVE")).all()
    assert set(p["her2_ihc"]) <= set(schema.HER2_IHC_SCORES)
    assert set(p["sex"]) <= {"Male", "Female"} and set(p["lauren"]) <= {"intestinal", "diffuse", "mixed"}


# --------------------------------------------------------------------------- clinical course


def test_pfs_matches_timeline_and_resistance_class(study, truth):
    p = study.patients.set_index("patient_id")
    imaging, status = study.events("IMAGING"), study.events("STATUS")
    for patient_id in _followed_ids(study):
        scans = imaging[imaging["patient_id"] == patient_id].sort_values("start_day")
        pfs_day = p.loc[patient_id, "pfs_months"] * DAYS_PER_MONTH
        expected = truth["patients"][patient_id]
        if p.loc[patient_id, "pfs_event"]:
            progression = status.loc[status["patient_id"] == patient_id, "start_day"]
            assert len(progression) == 1
            assert pfs_day == pytest.approx(progression.iloc[0], abs=0.01)
            # Innate: PFS < 3 months (or progression at the first scan); acquired: >= 3 months after SD/PR.
            innate = p.loc[patient_id, "pfs_months"] < 3
            assert expected["resistance_class"] == ("innate" if innate else "acquired")
            if not innate:
                first_call = scans["recist_response"].iloc[1]
                assert pd.isna(first_call) or first_call in ("PR", "SD")
        else:
            assert pfs_day == pytest.approx(scans["start_day"].max(), abs=0.01)
            assert expected["resistance_class"] is None
    # Non-followed patients carry no survival data (no trastuzumab day 0 to count from).
    others = p.loc[~p.index.isin(_followed_ids(study))]
    assert others["pfs_months"].isna().all() and others["pfs_event"].isna().all()


def test_imaging_recist_calls_agree_with_sizes_and_some_are_blank(study):
    imaging = study.events("IMAGING")
    blanks = 0
    for _, scans in imaging.groupby("patient_id"):
        sizes = scans.sort_values("start_day")["target_lesion_sum_mm"].to_numpy()
        calls = scans.sort_values("start_day")["recist_response"].tolist()
        nadir = sizes[0]
        for size, call in zip(sizes[1:], calls[1:], strict=True):
            if size >= nadir * 1.2 and size - nadir >= 5:
                derived = "PD"
            elif size <= sizes[0] * 0.7:
                derived = "PR"
            else:
                derived = "SD"
            if pd.isna(call):
                blanks += 1
            else:
                assert call == derived
            nadir = min(nadir, size)
    assert blanks >= 3


def test_timeline_events_for_followed_only(study):
    timeline = study.timeline
    assert set(timeline["patient_id"]) == _followed_ids(study)
    assert set(timeline["event_type"]) == set(schema.EVENT_TYPES)
    treatment = study.events("TREATMENT")
    assert set(treatment["agent"]) == {"Trastuzumab", "Capecitabine", "Oxaliplatin"}
    assert (treatment["start_day"] == 0).all()
    lab = study.events("LAB_TEST")
    assert set(lab["test"]) == {"CEA"} and set(lab["unit"]) == {"ng/mL"} and (lab["result"] > 0).all()
    specimen = study.events("SPECIMEN")
    plasma = study.samples[study.samples["patient_id"].isin(_followed_ids(study))
                           & (study.samples["sample_type"] == "plasma")]
    assert sorted(specimen["sample_id"]) == sorted(plasma["sample_id"])
    # CEA at every draw.
    merged = specimen[["patient_id", "start_day"]].merge(lab[["patient_id", "start_day", "result"]],
                                                         on=["patient_id", "start_day"], how="left")
    assert merged["result"].notna().all()
    # Some patients do not secrete CEA: below 5 ng/mL throughout.
    assert (lab.groupby("patient_id")["result"].max() < 5).sum() >= 3


# --------------------------------------------------------------------------- copy number


def test_erbb2_progression_versus_baseline_by_resistance_class(study):
    erbb2, samples = _erbb2_cn(study), study.samples
    p = study.patients.set_index("patient_id")
    progressors = p.index[p["pfs_event"].fillna(False).astype(bool)]
    assert len(progressors) == 17
    for patient_id in progressors:
        own = samples[samples["patient_id"] == patient_id]
        baseline = own["timepoint"].eq("BASELINE") & own["sample_type"].eq("plasma")
        base = erbb2[own.loc[baseline, "sample_id"].iloc[0]]
        prog = erbb2[own.loc[own["timepoint"].eq("PROGRESSION"), "sample_id"].iloc[0]]
        if p.loc[patient_id, "pfs_months"] < 3:
            assert prog > base, patient_id
        else:
            assert prog < base, patient_id


def test_her2_loss_is_planted_exactly_where_declared(study, truth):
    erbb2 = _erbb2_cn(study)
    loss_patients = 0
    for patient in truth["patients"].values():
        if patient["resistance_class"] != "acquired":
            continue
        base, prog = erbb2[patient["baseline_sample_id"]], erbb2[patient["progression_sample_id"]]
        declared = any(m["pathway"] == "HER2_LOSS" for m in patient["mechanisms"])
        loss_patients += declared
        if declared:
            assert base >= PLASMA_AMPLIFICATION_CN and prog < PLASMA_AMPLIFICATION_CN
        else:
            assert prog >= PLASMA_AMPLIFICATION_CN
    assert loss_patients == 2


def test_copy_number_follows_mixing_model(study, truth):
    erbb2 = _erbb2_cn(study)
    for patient in truth["patients"].values():
        for sample_id, planted in patient["plasma_samples"].items():
            f, tumour_cn = planted["tumour_fraction"], planted["tumour_erbb2_cn"]
            expected = 2 * (1 - f) + tumour_cn * f
            # log2 noise sd 0.015 (plus the design's direction guarantee, which moves values only slightly)
            assert erbb2[sample_id] == pytest.approx(expected, rel=0.12), sample_id
        tissue = erbb2[patient["tissue_sample_id"]]
        purity = patient["tissue_purity"]
        assert tissue == pytest.approx(2 * (1 - purity) + patient["tumour_erbb2_cn"] * purity, rel=0.25)


def test_copy_number_rows_and_discrete_calls(study):
    cn = study.copy_number
    assert len(CN_GENES) == 40 and len(set(CN_GENES)) == 40
    per_sample = cn.groupby("sample_id")["gene"].apply(lambda g: sorted(g))
    assert len(per_sample) == len(study.samples)
    assert all(genes == sorted(CN_GENES) for genes in per_sample)
    np.testing.assert_allclose(cn["log2_ratio"], np.log2(cn["copy_number"] / 2), atol=1e-4)
    assert set(cn["cna_discrete"]) <= {-2, -1, 0, 1, 2}
    plasma_ids = set(study.samples.loc[study.samples["sample_type"] == "plasma", "sample_id"])
    plasma = cn[cn["sample_id"].isin(plasma_ids)]
    amp = plasma[plasma["cna_discrete"] == 2]
    assert (amp["copy_number"] >= PLASMA_AMPLIFICATION_CN).all()
    tissue = cn[~cn["sample_id"].isin(plasma_ids)]
    assert (tissue.loc[tissue["cna_discrete"] == 2, "copy_number"] >= TISSUE_AMPLIFICATION_CN).all()
    # Most gene rows are diploid.
    assert (cn["cna_discrete"] == 0).mean() > 0.9


# --------------------------------------------------------------------------- variants and tumour fraction


def _somatic_for_fraction(variants: pd.DataFrame) -> pd.DataFrame:
    """design.md: leave out CHIP genes and likely germline (VAF 0.4-0.6 or >= 0.9)."""
    low, high = GERMLINE_HET_VAF
    germline = variants["vaf"].between(low, high) | (variants["vaf"] >= GERMLINE_HOM_VAF)
    return variants[~variants["gene"].isin(CHIP_GENES) & ~germline]


def test_tumour_fraction_recovered_from_max_somatic_vaf(study, truth):
    somatic = _somatic_for_fraction(study.variants)
    top = somatic.sort_values("vaf").groupby("sample_id").tail(1).set_index("sample_id")
    relative_errors = []
    for patient in truth["patients"].values():
        for sample_id, planted in patient["plasma_samples"].items():
            f = planted["tumour_fraction"]
            if f < 0.02:
                continue
            estimate = min(1.0, 2 * top.loc[sample_id, "vaf"])
            vaf, depth = f / 2, top.loc[sample_id, "depth"]
            tolerance = 2 * 5 * np.sqrt(vaf * (1 - vaf) / depth) + 0.002   # 5 binomial sd
            assert abs(estimate - f) <= tolerance, (sample_id, f, estimate)
            relative_errors.append(abs(estimate - f) / f)
    assert len(relative_errors) > 100
    assert np.median(relative_errors) < 0.1


def test_chip_and_germline_exclusion_rules_matter(study, truth):
    variants, samples = study.variants, study.samples
    kinds = variants.merge(samples[["sample_id", "patient_id", "sample_type"]], on="sample_id")
    chip = kinds[kinds["gene"].isin(CHIP_GENES)]
    assert not chip.empty and set(chip["sample_type"]) == {"plasma"}
    assert chip["vaf"].between(0.003, 0.05).all()
    # Plasma somatic VAFs stay below 0.4 (f <= 0.6), so a plasma variant at 0.4-0.6 is a germline SNP,
    # and it is in the same patient's tissue too.
    plasma_germline = kinds[kinds["vaf"].between(*GERMLINE_HET_VAF) & (kinds["sample_type"] == "plasma")]
    assert plasma_germline["patient_id"].nunique() >= 5
    keys = ["patient_id", "gene", "start_position"]
    carried = plasma_germline[keys].drop_duplicates()
    in_tissue = carried.merge(kinds.loc[kinds["sample_type"] == "tissue", [*keys, "vaf"]], on=keys)
    assert len(in_tissue) == len(carried)
    assert in_tissue["vaf"].between(*GERMLINE_HET_VAF).all()
    germline = plasma_germline
    # Without the rules, 2 x max VAF would badly overestimate f in the germline carriers' plasma.
    naive = 2 * variants.groupby("sample_id")["vaf"].max()
    carriers = set(germline.loc[germline["sample_type"] == "plasma", "sample_id"])
    fractions = {s: d["tumour_fraction"]
                 for p in truth["patients"].values() for s, d in p["plasma_samples"].items()}
    assert all(naive[s] > fractions[s] + 0.3 for s in carriers)
    # CHIP at low tumour fraction: the only variant above the truncal one in some sample.
    chip_dominant = [s for s in set(chip["sample_id"]) if naive[s] > 2 * fractions[s] + 0.002]
    assert chip_dominant


def test_variant_rows_are_maf_like(study):
    v = study.variants
    assert (v["t_ref_count"] + v["t_alt_count"] == v["depth"]).all()
    np.testing.assert_allclose(v["vaf"], v["t_alt_count"] / v["depth"], atol=1e-6)
    assert not v["protein_change"].str.startswith("p.").any()
    assert set(v["reference_allele"]) <= set("ACGT") and set(v["tumor_seq_allele"]) <= set("ACGT")
    assert (v["reference_allele"] != v["tumor_seq_allele"]).all()
    plasma_ids = set(study.samples.loc[study.samples["sample_type"] == "plasma", "sample_id"])
    plasma_depth = v.loc[v["sample_id"].isin(plasma_ids), "depth"]
    tissue_depth = v.loc[~v["sample_id"].isin(plasma_ids), "depth"]
    assert plasma_depth.between(1500, 6000).all() and tissue_depth.between(300, 900).all()
    hotspot = v[(v["gene"] == "PIK3CA") & (v["protein_change"] == "H1047R")]
    assert not hotspot.empty
    coordinates = hotspot[["chromosome", "start_position", "reference_allele", "tumor_seq_allele"]]
    assert set(coordinates.itertuples(index=False, name=None)) == {("3", 178952085, "A", "G")}
    # Every tumour has one truncal TP53 mutation in its tissue.
    tissue_tp53 = v[(v["gene"] == "TP53") & ~v["sample_id"].isin(plasma_ids)]
    assert tissue_tp53["sample_id"].nunique() == 78


def test_all_genes_on_the_panel(study):
    panel = set(load_panel_genes())
    assert set(study.variants["gene"]) <= panel
    assert set(study.copy_number["gene"]) <= panel
    assert KB_GENES | set(CHIP_GENES) | {"TP53", "CDH1", "ARID1A", "RHOA", "MYC", "CDKN2A", "SMAD4", "APC",
                                          "KMT2D"} <= panel


# --------------------------------------------------------------------------- resistance mechanisms


def _mutation_present(variants: pd.DataFrame, sample_id: str, gene: str, change: str) -> bool:
    return bool(((variants["sample_id"] == sample_id) & (variants["gene"] == gene)
                 & (variants["protein_change"] == change)).any())


def test_planted_mechanisms_are_visible_in_the_tables(study, truth):
    v, cn = study.variants, study.copy_number.set_index(["sample_id", "gene"])
    emerging_seen = set()
    for patient in truth["patients"].values():
        for m in patient["mechanisms"]:
            assert m["pathway"] in PATHWAYS
            sample_id, base_id = m["sample_id"], patient["baseline_sample_id"]
            if m["type"] == "mutation":
                assert _mutation_present(v, sample_id, m["gene"], m["alteration"])
                if m["status"] == "new at progression":
                    assert sample_id == patient["progression_sample_id"]
                    assert not _mutation_present(v, base_id, m["gene"], m["alteration"])
                    assert not _mutation_present(v, patient["tissue_sample_id"], m["gene"], m["alteration"])
                    emerging_seen.add((m["gene"], m["alteration"]))
                else:
                    on_progression = _mutation_present(v, patient["progression_sample_id"], m["gene"],
                                                       m["alteration"])
                    assert on_progression == m["detected_at_progression"]
            elif m["type"] == "amplification":
                assert cn.loc[(sample_id, m["gene"]), "copy_number"] >= PLASMA_AMPLIFICATION_CN
                assert cn.loc[(sample_id, m["gene"]), "cna_discrete"] == 2
                if m["status"] == "new at progression":
                    assert cn.loc[(base_id, m["gene"]), "cna_discrete"] == 0
            elif m["type"] == "deletion":
                assert cn.loc[(sample_id, m["gene"]), "cna_discrete"] == -2
                assert cn.loc[(sample_id, m["gene"]), "copy_number"] < 1.7
                assert cn.loc[(base_id, m["gene"]), "cna_discrete"] == 0
                emerging_seen.add((m["gene"], "deep deletion"))
            else:
                assert m["type"] == "cn_loss" and m["pathway"] == "HER2_LOSS"
    assert {("ERBB4", "S774G"), ("NF1", "R1362*"), ("NF1", "deep deletion")} <= emerging_seen


def test_no_resistance_gene_alterations_in_progressors_without_mechanism(study, truth):
    v, cn = study.variants, study.copy_number
    checked = 0
    for patient in truth["patients"].values():
        if not patient["followed"]:
            continue
        planted = {m["gene"] for m in patient["mechanisms"]}
        sample_ids = [*patient["plasma_samples"], patient["tissue_sample_id"]]
        mutated = set(v.loc[v["sample_id"].isin(sample_ids) & v["gene"].isin(KB_GENES), "gene"])
        altered = cn[cn["sample_id"].isin(sample_ids) & cn["gene"].isin(KB_GENES - {"ERBB2"})
                     & (cn["cna_discrete"].abs() == 2)]
        assert mutated | set(altered["gene"]) <= planted
        checked += not planted
    assert checked == 4 + 7    # 4 progressors without a mechanism, 7 censored


def test_pfs_shorter_with_more_mechanisms_and_baseline_mutations(study, truth):
    p = study.patients.set_index("patient_id")
    followed = [pid for pid, t in truth["patients"].items() if t["followed"]]
    groups: dict[int, list[float]] = {0: [], 1: [], 2: []}
    with_baseline_mutation, without = [], []
    for pid in followed:
        mechanisms = truth["patients"][pid]["mechanisms"]
        groups[min(2, len(mechanisms))].append(p.loc[pid, "pfs_months"])
        baseline_mut = any(m["status"] == "baseline" and m["type"] == "mutation"
                           and m["pathway"] in ("PI3K", "HER_FAMILY") for m in mechanisms)
        (with_baseline_mutation if baseline_mut else without).append(p.loc[pid, "pfs_months"])
    medians = {k: np.median(v) for k, v in groups.items()}
    assert medians[2] < medians[1] < medians[0]
    assert np.median(with_baseline_mutation) < np.median(without)


# --------------------------------------------------------------------------- response tracking, concordance


def _paired_scans(study) -> pd.DataFrame:
    """Per post-baseline scan: % change from baseline of tumour size, plasma ERBB2 CN and CEA."""
    erbb2 = _erbb2_cn(study)
    imaging, lab, status = study.events("IMAGING"), study.events("LAB_TEST"), study.events("STATUS")
    plasma = study.samples[study.samples["sample_type"] == "plasma"]
    rows = []
    for patient_id, scans in imaging.groupby("patient_id"):
        scans = scans.sort_values("start_day")
        progression_days = set(status.loc[status["patient_id"] == patient_id, "start_day"])
        draws = plasma[plasma["patient_id"] == patient_id]
        cea = lab[lab["patient_id"] == patient_id]
        base_cn = erbb2[draws.loc[draws["timepoint"] == "BASELINE", "sample_id"].iloc[0]]
        base_cea = cea.sort_values("start_day")["result"].iloc[0]
        for _, scan in scans.iloc[1:].iterrows():
            gap = (draws["collection_day"] - scan["start_day"]).abs()
            if gap.min() > 14:
                continue
            nearest = draws.iloc[int(np.argmin(gap.to_numpy()))]["sample_id"]
            cea_gap = (cea["start_day"] - scan["start_day"]).abs().to_numpy()
            cea_value = cea.iloc[int(np.argmin(cea_gap))]["result"]
            rows.append({"progression": scan["start_day"] in progression_days,
                         "size": scan["target_lesion_sum_mm"] / scans["target_lesion_sum_mm"].iloc[0] - 1,
                         "erbb2": erbb2[nearest] / base_cn - 1, "cea": cea_value / base_cea - 1})
    return pd.DataFrame(rows)


def test_her2_copy_number_tracks_response_better_than_cea(study):
    scans = _paired_scans(study)
    progression = scans["progression"].to_numpy()
    assert progression.sum() == 17
    auc_erbb2 = _naive_auc(scans["erbb2"].to_numpy(), progression)
    auc_cea = _naive_auc(scans["cea"].to_numpy(), progression)
    assert auc_erbb2 >= 0.8
    assert auc_erbb2 - auc_cea >= 0.2
    assert scans["size"].corr(scans["erbb2"], method="spearman") > scans["size"].corr(scans["cea"],
                                                                                      method="spearman") + 0.3


def test_baseline_plasma_tissue_disagreement_concentrates_at_low_fraction(study, truth):
    v = study.variants
    detected, missed = [], []
    for patient in truth["patients"].values():
        base = patient["baseline_sample_id"]
        f = patient["plasma_samples"][base]["tumour_fraction"]
        tissue = v[v["sample_id"] == patient["tissue_sample_id"]]
        in_plasma = v.loc[v["sample_id"] == base, ["gene", "start_position"]]
        plasma_keys = set(in_plasma.itertuples(index=False, name=None))
        for key in tissue[["gene", "start_position"]].itertuples(index=False, name=None):
            (detected if key in plasma_keys else missed).append(f)
    detected_arr, missed_arr = np.array(detected), np.array(missed)
    low_rate = (detected_arr < 0.02).sum() / max(1, ((detected_arr < 0.02).sum() + (missed_arr < 0.02).sum()))
    high_rate = (detected_arr >= 0.02).sum() / ((detected_arr >= 0.02).sum() + (missed_arr >= 0.02).sum())
    assert high_rate > 0.8 and low_rate < high_rate - 0.2
    # HER2: plasma misses tissue amplification mostly at low f; pathology-vs-NGS discordance exists.
    erbb2 = _erbb2_cn(study)
    hits, misses = [], []
    for p in truth["patients"].values():
        if erbb2[p["tissue_sample_id"]] >= TISSUE_AMPLIFICATION_CN:
            f = p["plasma_samples"][p["baseline_sample_id"]]["tumour_fraction"]
            (hits if erbb2[p["baseline_sample_id"]] >= PLASMA_AMPLIFICATION_CN else misses).append(f)
    assert misses and len(hits) > 2 * len(misses)
    assert np.median(misses) < 0.05 and np.median(misses) < np.median(hits) / 2
    assert 1 <= truth["counts"]["pathology_ngs_discordant"] <= 5


# --------------------------------------------------------------------------- schema, scaling, panel


def test_tables_conform_to_schema(study):
    for table_schema in schema.ALL_TABLES:
        frame = getattr(study, table_schema.name)
        assert list(frame.columns[: len(table_schema.columns)]) == table_schema.names
        for column in table_schema.columns:
            assert str(frame[column.name].dtype) == column.dtype, (table_schema.name, column.name)
    assert list(study.patients.columns[8:]) == ["age", "sex", "lauren", "ecog"]
    assert study.meta.study_id == "stad_her2_ctdna_demo"
    assert study.samples["sample_type"].isin(schema.SAMPLE_TYPES).all()
    assert study.samples["timepoint"].isin(schema.TIMEPOINTS).all()


def test_truth_is_json_serialisable_with_documented_keys(truth):
    text = json.dumps(truth, sort_keys=True, allow_nan=False)
    assert json.loads(text) == truth
    assert truth["generator"]["seed"] == 2019 and truth["generator"]["version"]
    patient = truth["patients"]["P001"]
    for key in ("her2_status", "followed", "progressed", "resistance_class", "pfs_months", "mechanisms",
                "erbb2_cn_baseline", "erbb2_cn_progression", "plasma_samples"):
        assert key in patient


@pytest.mark.parametrize("n_patients", [500])
def test_scaling_keeps_proportions(n_patients):
    scaled = generate_demo(n_patients, seed=11)
    s, counts = scaled.study, scaled.truth["counts"]
    assert len(s.patients) == n_patients and s.patients["patient_id"].is_unique
    ratio = n_patients / 78

    def near(value: int, design: int, slack: int = 1) -> bool:
        return abs(value - design * ratio) <= slack

    assert near((s.patients["her2_status"] == "POSITIVE").sum(), 46)
    followed = _followed_ids(s)
    assert near(len(followed), 24)
    plasma = s.samples[s.samples["sample_type"] == "plasma"]
    assert near(plasma["patient_id"].isin(followed).sum(), 97)
    assert near(int(s.patients["pfs_event"].sum()), 17)
    assert abs(counts["with_mechanism"] - 13 / 17 * counts["progressions"]) <= 1
    assert abs(counts["innate"] - 7 / 17 * counts["progressions"]) <= 1
    assert counts["pik3ca_acquired"] == 0 and counts["pik3ca_innate"] > counts["innate"] / 2
    design = design_counts(n_patients)
    assert {k: counts[k] for k in design if k in counts} == {k: design[k] for k in design if k in counts}


def test_small_and_invalid_sizes():
    for n in (1, 5, 13):
        tiny = generate_demo(n, seed=3)
        assert len(tiny.study.patients) == n
        assert tiny.truth["counts"]["serial_draws"] == design_counts(n)["serial_draws"]
    with pytest.raises(ValueError, match="at least 1"):
        design_counts(0)


def test_panel_list_has_416_unique_symbols():
    genes = load_panel_genes()
    assert len(genes) == 416 and len(set(genes)) == 416
    assert genes == sorted(genes)


def test_panel_loader_reports_bad_files(tmp_path: Path):
    good = tmp_path / "panel.txt"
    good.write_text("# header\n\nERBB2\nNKX2-1\n")
    assert load_panel_genes(good) == ["ERBB2", "NKX2-1"]
    duplicate = tmp_path / "dup.txt"
    duplicate.write_text("ERBB2\nTP53\nERBB2\n")
    with pytest.raises(InputError, match="line 1") as excinfo:
        load_panel_genes(duplicate)
    assert excinfo.value.line == 3 and excinfo.value.field == "gene"
    bad = tmp_path / "bad.txt"
    bad.write_text("ERBB2\nerbb3 kinase\n")
    with pytest.raises(InputError) as excinfo:
        load_panel_genes(bad)
    assert excinfo.value.line == 2
    with pytest.raises(InputError, match="not found"):
        load_panel_genes(tmp_path / "missing.txt")


# --------------------------------------------------------------------------- files


@pytest.mark.skipif(not HAS_CBIOPORTAL, reason="analysis/io/cbioportal.py (read_study) not written yet")
def test_write_and_read_back(tmp_path: Path, cohort):
    from analysis.io.cbioportal import read_study

    out = tmp_path / "demo"
    write_demo(out, None, n_patients=78, seed=2019)
    truth_file = tmp_path / "demo.truth.json"
    assert truth_file.exists() and not (out / "demo.truth.json").exists()
    assert json.loads(truth_file.read_text()) == cohort.truth
    assert truth_file.read_text() == truth_json(cohort.truth)
    first = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    write_demo(out, truth_file, n_patients=78, seed=2019)
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == first

    read = read_study(out)
    assert read.meta.study_id == "stad_her2_ctdna_demo"
    for name in TABLES:
        mine, theirs = getattr(cohort.study, name), getattr(read, name)
        assert len(mine) == len(theirs), name
    key = ["sample_id", "gene"]
    cn = cohort.study.copy_number.merge(read.copy_number, on=key, suffixes=("", "_read"))
    assert len(cn) == len(cohort.study.copy_number)
    np.testing.assert_allclose(cn["copy_number_read"], cn["copy_number"], rtol=1e-3)
    assert (cn["cna_discrete_read"] == cn["cna_discrete"]).all()
    pd.testing.assert_frame_equal(read.samples[cohort.study.samples.columns].sort_values("sample_id")
                                  .reset_index(drop=True),
                                  cohort.study.samples.sort_values("sample_id").reset_index(drop=True))
    pd.testing.assert_series_equal(read.patients["pfs_event"], cohort.study.patients["pfs_event"])
    assert sorted(read.variants["vaf"].round(6)) == sorted(cohort.study.variants["vaf"].round(6))
    with pytest.raises(ValueError, match="inside the study folder"):
        write_demo(out, out / "truth.json")


@pytest.mark.skipif(not HAS_CBIOPORTAL, reason="analysis/io/cbioportal.py (write_study) not written yet")
def test_command_line_writes_folder_and_truth_beside_it(tmp_path: Path, capsys):
    from analysis.demo.__main__ import main

    assert main(["--out", str(tmp_path / "small"), "--patients", "20", "--seed", "5"]) == 0
    assert (tmp_path / "small" / "data_clinical_patient.txt").exists()
    truth = json.loads((tmp_path / "small.truth.json").read_text())
    assert truth["generator"] == {"name": "analysis.demo", "version": truth["generator"]["version"],
                                  "seed": 5, "n_patients": 20}
    assert "20 patients" in capsys.readouterr().out
