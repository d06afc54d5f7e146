"""Plasma vs tissue concordance on paired baseline samples (design.md section 3, "Concordance").

Tissue is the comparator, not the truth: every statistic is an *agreement*
(PPA, NPA, OPA, PPV, NPV, kappa) with the plasma call as the test.

Pairing: per patient, the baseline plasma draw (last plasma sample collected in
``params.baseline_window_days``; a plasma sample marked BASELINE with no day
when none is) and the latest tissue sample not marked ON_TREATMENT or
PROGRESSION collected no later than the window's end (or with no day).

Calls:
- HER2 by NGS: plasma ERBB2 CN >= ``params.plasma_amplification_cn`` vs tissue
  ERBB2 CN >= ``params.tissue_amplification_cn`` (copies; when a gene-level CN
  is missing, a discrete call of 2 counts as amplified).
- HER2 by pathology: ``her2_status`` (POSITIVE/NEGATIVE), else IHC 3+ or IHC 2+
  with FISH ratio >= 2.0.
- Mutation per gene: any protein-changing variant of the gene in the sample;
  a gene without a variant is read as wild type (sequenced, not found).
- Amplification per gene: as HER2 by NGS, for every gene; a gene without a
  copy-number value in either sample is missing, not negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.agreement import (
    ROW_COLUMNS,
    AgreementResult,
    agreement_from_counts,
    agreement_table,
    correlation,
    wilson_interval,
)
from analysis.alterations import n_effect_unknown, protein_changing_mask, somatic_structural_variants
from analysis.frames import typed_frame
from analysis.params import (
    CHIP_GENES,
    CONFIDENCE_LEVEL,
    FISH_RATIO_POSITIVE,
    TUMOUR_FRACTION_STRATA,
    AnalysisParameters,
)
from analysis.profiling import Profiling, panel_difference_caveat
from analysis.roc import (
    AucResult,
    YoudenCutoff,
    auc_delong,
    cutoff_sweep,
    roc_curve_table,
    sweep_grid,
    youden_cutoff,
)
from analysis.study import Study
from analysis.tumour_fraction import (
    stratum_labels,
    tumour_fraction,
    tumour_fraction_notes,
    tumour_fraction_stratum,
)

HER2_GENE = "ERBB2"

PAIR_COLUMNS = {"patient_id": "string", "plasma_sample_id": "string", "tissue_sample_id": "string",
                "plasma_day": "float64", "tissue_day": "float64", "plasma_tumour_fraction": "float64",
                "tumour_fraction_stratum": "string"}
HER2_CALL_COLUMNS = {"patient_id": "string", "plasma_erbb2_cn": "float64", "tissue_erbb2_cn": "float64",
                     "plasma_amplified": "boolean", "tissue_amplified": "boolean",
                     "pathology_her2_positive": "boolean"}
PER_GENE_COLUMNS = {"gene": "string", "alteration": "string", "chip_gene": "boolean",
                    **{c: ("int64" if c in ("a", "b", "c", "d", "n", "n_missing") else "float64")
                       for c in ROW_COLUMNS}}
PER_PATIENT_COLUMNS = {"patient_id": "string", "n_tissue_alterations": "int64", "n_found_in_plasma": "int64",
                       "n_plasma_only": "int64", "fraction_found": "float64", "ci_low": "float64",
                       "ci_high": "float64"}
VARIANT_COLUMNS = {"patient_id": "string", "gene": "string", "variant_key": "string",
                   "protein_change": "string", "tissue_vaf": "float64", "plasma_vaf": "float64",
                   "detected": "boolean", "plasma_tumour_fraction": "float64",
                   "tumour_fraction_stratum": "string"}
DETECTION_COLUMNS = {"tumour_fraction_stratum": "string", "n_patients": "int64", "n_variants": "int64",
                     "n_detected": "int64", "detection_rate": "float64", "ci_low": "float64",
                     "ci_high": "float64"}
CN_PAIR_COLUMNS = {"patient_id": "string", "gene": "string", "plasma_cn": "float64", "tissue_cn": "float64"}
CORRELATION_COLUMNS = {"gene": "string", "method": "string", "estimate": "float64", "ci_low": "float64",
                       "ci_high": "float64", "p_value": "float64", "n": "int64"}




@dataclass(frozen=True)
class ConcordanceResult:
    """Every concordance table of one study.

    Attributes
    ----------
    pairs
        One row per patient with a paired baseline plasma and tissue sample:
        ``patient_id, plasma_sample_id, tissue_sample_id, plasma_day, tissue_day`` (days),
        ``plasma_tumour_fraction`` (fraction), ``tumour_fraction_stratum``.
    her2_calls
        Per pair: ``plasma_erbb2_cn, tissue_erbb2_cn`` (copies), ``plasma_amplified,
        tissue_amplified, pathology_her2_positive``.
    her2_tissue_ngs, her2_pathology
        Plasma HER2 vs tissue NGS, and vs pathology HER2 status (2x2 agreement).
    per_gene
        ``gene, alteration`` ("mutation", "amplification" or "structural variant"), ``chip_gene`` and the
        agreement columns of :data:`analysis.agreement.ROW_COLUMNS`; genes altered in at
        least one paired sample.
    per_patient
        ``patient_id, n_tissue_alterations, n_found_in_plasma, n_plasma_only,
        fraction_found`` with its Wilson ``ci_low, ci_high``.
    variant_detection
        One row per tissue mutation: ``patient_id, gene, variant_key, protein_change,
        tissue_vaf, plasma_vaf`` (NaN when not detected), ``detected``, and the plasma
        ``plasma_tumour_fraction, tumour_fraction_stratum``.
    detection_by_tf
        Tissue-informed detection rate per stratum: ``tumour_fraction_stratum, n_patients,
        n_variants, n_detected, detection_rate, ci_low, ci_high`` (Wilson; variants are
        clustered within patients, so the interval is optimistic).
    cn_pairs
        ``patient_id, gene, plasma_cn, tissue_cn`` (copies) for every gene measured in both.
    cn_correlation
        Per gene with >= 3 pairs, Spearman and Pearson: ``gene, method, estimate, ci_low,
        ci_high, p_value, n``.
    roc, auc, youden, sweep
        Plasma ERBB2 CN as a score for tissue NGS amplification: ROC curve
        (:data:`analysis.roc.ROC_COLUMNS`), AUC with DeLong CI, the Youden cutoff, and the
        agreement at each plasma cutoff (:func:`analysis.roc.cutoff_sweep`).
    params
        Parameters used.
    caveats
        Plain-language notes.
    """

    pairs: pd.DataFrame
    her2_calls: pd.DataFrame
    her2_tissue_ngs: AgreementResult
    her2_pathology: AgreementResult
    per_gene: pd.DataFrame
    per_patient: pd.DataFrame
    variant_detection: pd.DataFrame
    detection_by_tf: pd.DataFrame
    cn_pairs: pd.DataFrame
    cn_correlation: pd.DataFrame
    roc: pd.DataFrame
    auc: AucResult
    youden: YoudenCutoff
    sweep: pd.DataFrame
    params: AnalysisParameters
    caveats: tuple[str, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> pd.DataFrame:
        """Headline figures: one row per comparison with n, PPA, NPA, OPA, kappa (CIs) and McNemar p."""
        rows = []
        for name, res in (("plasma vs tissue NGS HER2", self.her2_tissue_ngs),
                          ("plasma vs pathology HER2", self.her2_pathology)):
            row = res.as_row()
            rows.append({"comparison": name, "n": row["n"],
                         **{k: row[k] for k in ("ppa", "ppa_ci_low", "ppa_ci_high", "npa", "npa_ci_low",
                                                "npa_ci_high", "opa", "opa_ci_low", "opa_ci_high", "kappa",
                                                "kappa_ci_low", "kappa_ci_high", "mcnemar_p")}})
        return pd.DataFrame(rows)


def pathology_her2_positive(patients: pd.DataFrame,
                            fish_ratio_positive: float = FISH_RATIO_POSITIVE) -> pd.Series:
    """Pathology HER2 status per patient as a nullable boolean aligned on ``patients.index``.

    ``her2_status`` POSITIVE/NEGATIVE when given; otherwise IHC 3+ (positive), IHC 2+ with
    FISH ERBB2/CEP17 >= *fish_ratio_positive* (positive), IHC 2+ with a lower ratio, 0 or 1+
    (negative); missing when neither allows a call.
    """
    status = patients["her2_status"].astype("string").str.strip().str.upper()
    out = pd.Series(pd.NA, index=patients.index, dtype="boolean")
    out[status == "POSITIVE"] = True
    out[status == "NEGATIVE"] = False
    ihc = patients["her2_ihc"].astype("string").str.strip()
    fish = pd.to_numeric(patients["her2_fish_ratio"], errors="coerce")
    derived = pd.Series(pd.NA, index=patients.index, dtype="boolean")
    derived[ihc.isin(["0", "1+"]).fillna(False)] = False
    derived[(ihc == "3+").fillna(False)] = True
    equivocal = (ihc == "2+").fillna(False)
    derived[equivocal & (fish >= fish_ratio_positive)] = True
    derived[equivocal & (fish < fish_ratio_positive)] = False
    # FISH alone (no IHC) is also a pathology call.
    derived[ihc.isna() & (fish >= fish_ratio_positive)] = True
    derived[ihc.isna() & (fish < fish_ratio_positive)] = False
    return out.fillna(derived)


def baseline_pairs(study: Study, params: AnalysisParameters) -> tuple[pd.DataFrame, list[str]]:
    """Paired baseline plasma and tissue samples per patient (see module docstring), with caveats."""
    samples = study.samples
    kind = samples["sample_type"].astype("string").str.lower()
    timepoint = samples["timepoint"].astype("string").str.upper()
    day = samples["collection_day"]
    low, high = params.baseline_window_days
    caveats: list[str] = []

    plasma = samples[(kind == "plasma").fillna(False)]
    in_window = plasma[(day[plasma.index] >= low) & (day[plasma.index] <= high)]
    plasma_pick = in_window.sort_values(["patient_id", "collection_day", "sample_id"]).drop_duplicates(
        "patient_id", keep="last")
    undated = plasma[day[plasma.index].isna() & (timepoint[plasma.index] == "BASELINE").fillna(False)]
    undated = undated[~undated["patient_id"].isin(plasma_pick["patient_id"])].sort_values(
        ["patient_id", "sample_id"]).drop_duplicates("patient_id", keep="first")
    plasma_pick = pd.concat([plasma_pick, undated])

    tissue = samples[(kind == "tissue").fillna(False)
                     & ~timepoint.isin(["ON_TREATMENT", "PROGRESSION"]).fillna(False)]
    tissue = tissue[day[tissue.index].isna() | (day[tissue.index] <= high)]
    # Latest dated tissue first; an undated one only when the patient has no dated one.
    tissue_pick = tissue.assign(_dated=tissue["collection_day"].notna()).sort_values(
        ["patient_id", "_dated", "collection_day", "sample_id"]).drop_duplicates("patient_id", keep="last")

    merged = plasma_pick[["patient_id", "sample_id", "collection_day"]].merge(
        tissue_pick[["patient_id", "sample_id", "collection_day"]], on="patient_id",
        suffixes=("_plasma", "_tissue"))
    merged = merged.rename(columns={
        "sample_id_plasma": "plasma_sample_id", "sample_id_tissue": "tissue_sample_id",
        "collection_day_plasma": "plasma_day", "collection_day_tissue": "tissue_day"})
    only_plasma = set(plasma_pick["patient_id"]) - set(tissue_pick["patient_id"])
    only_tissue = set(tissue_pick["patient_id"]) - set(plasma_pick["patient_id"])
    if only_plasma:
        caveats.append(f"{len(only_plasma)} patient(s) with a baseline plasma draw but no baseline tissue "
                       "sample were left out of the paired analyses.")
    if only_tissue:
        caveats.append(f"{len(only_tissue)} patient(s) with tissue but no plasma draw in days "
                       f"[{low}, {high}] were left out of the paired analyses.")
    if len(undated):
        caveats.append(f"{len(undated)} baseline plasma draw(s) without a collection day were used on "
                       "their BASELINE label.")
    return merged.sort_values("patient_id").reset_index(drop=True), caveats


def _amplified(cn: pd.DataFrame, cutoff: float) -> pd.Series:
    """Amplification call per CN row: copy_number >= cutoff, else discrete call == 2, else missing."""
    by_cn = pd.Series(cn["copy_number"] >= cutoff, index=cn.index, dtype="boolean")
    by_cn[cn["copy_number"].isna()] = pd.NA
    discrete = pd.Series(cn["cna_discrete"] == 2, index=cn.index, dtype="boolean")
    return by_cn.fillna(discrete)


def _variant_keys(variants: pd.DataFrame) -> pd.Series:
    """The identity that matches plasma to tissue: gene:protein change, else gene:chrom:pos:ref>alt."""
    gene = variants["gene"].astype("string").str.upper()
    protein = variants["protein_change"].astype("string").str.strip().str.replace(r"^p\.", "", regex=True)
    genomic = (gene + ":" + variants["chromosome"].astype("string").fillna("?") + ":"
               + variants["start_position"].astype("string").fillna("?") + ":"
               + variants["reference_allele"].astype("string").fillna("?") + ">"
               + variants["tumor_seq_allele"].astype("string").fillna("?"))
    by_protein = gene + ":" + protein.str.upper()
    return by_protein.where(protein.notna() & (protein != ""), genomic)


def _sample_mutations(study: Study, sample_ids: pd.Series) -> pd.DataFrame:
    variants = study.variants[study.variants["sample_id"].isin(sample_ids)]
    variants = variants[protein_changing_mask(variants)].copy()
    variants["gene"] = variants["gene"].astype("string").str.upper()
    variants["variant_key"] = _variant_keys(variants) if len(variants) else pd.Series(dtype="string")
    return variants


def _per_gene_rows(counts: pd.DataFrame, alteration: str, n_pairs: pd.Series | int,
                   confidence: float) -> list[dict]:
    """Agreement rows from per-gene counts a, b, c (and d = n_pairs - a - b - c - n_missing)."""
    rows = []
    chip = {g.upper() for g in CHIP_GENES}
    for gene, rec in counts.iterrows():
        total = int(n_pairs[gene]) if isinstance(n_pairs, pd.Series) else int(n_pairs)
        a, b, c = int(rec["a"]), int(rec["b"]), int(rec["c"])
        d = total - a - b - c
        n_missing = int(rec.get("n_missing", 0))
        res = agreement_from_counts(a, b, c, d, test_name="plasma", comparator_name="tissue",
                                    n_missing=n_missing, confidence=confidence)
        rows.append({"gene": gene, "alteration": alteration, "chip_gene": gene in chip, **res.as_row()})
    return rows


def _paired_svs(study: Study, pairs: pd.DataFrame, sample_column: str) -> pd.DataFrame:
    """Structural variants of one side of the pairs: ``patient_id, sample_id, gene`` (one row per gene
    involved) and ``alteration`` (``SV:GENE1-GENE2``)."""
    sv = somatic_structural_variants(study.structural_variants).merge(pairs[["patient_id", sample_column]],
                                                                      left_on="sample_id",
                                         right_on=sample_column)
    if sv.empty:
        return pd.DataFrame(columns=["patient_id", "sample_id", "gene", "alteration"])
    gene1 = sv["gene1"].astype("string").str.upper()
    gene2 = sv["gene2"].astype("string").str.upper()
    label = "SV:" + gene1 + ("-" + gene2).fillna("")
    long = pd.concat([pd.DataFrame({"patient_id": sv["patient_id"], "sample_id": sv["sample_id"], "gene": g,
                                    "alteration": label}) for g in (gene1, gene2)])
    return long.dropna(subset=["gene"]).drop_duplicates().reset_index(drop=True)


def _structural_variant_rows(study: Study, pairs: pd.DataFrame, profiling: Profiling, confidence: float,
                             caveats: list[str]) -> list[dict]:
    """Per-gene agreement for structural variants (a gene counts when it is either partner)."""
    if study.structural_variants.empty or pairs.empty:
        return []
    plasma = _paired_svs(study, pairs, "plasma_sample_id")[["patient_id", "gene"]].drop_duplicates()
    tissue = _paired_svs(study, pairs, "tissue_sample_id")[["patient_id", "gene"]].drop_duplicates()
    calls = plasma.assign(plasma=True).merge(tissue.assign(tissue=True), on=["patient_id", "gene"], how="outer")
    if calls.empty:
        return []
    calls = calls.merge(pairs[["patient_id", "plasma_sample_id", "tissue_sample_id"]], on="patient_id")
    both = (profiling.profiled(calls["plasma_sample_id"], calls["gene"], "structural_variants")
            & profiling.profiled(calls["tissue_sample_id"], calls["gene"], "structural_variants"))
    kept = calls[both.to_numpy()]
    in_plasma = kept["plasma"].astype("boolean").fillna(False).astype(bool)
    in_tissue = kept["tissue"].astype("boolean").fillna(False).astype(bool)
    genes = sorted(calls["gene"].unique())
    counts = pd.DataFrame({"a": (in_plasma & in_tissue).groupby(kept["gene"]).sum(),
                           "b": (in_plasma & ~in_tissue).groupby(kept["gene"]).sum(),
                           "c": (~in_plasma & in_tissue).groupby(kept["gene"]).sum()}).reindex(genes).fillna(0)
    counts = counts.astype(int)
    n_profiled = profiling.pairs_profiled_per_gene(pairs["plasma_sample_id"], pairs["tissue_sample_id"], genes,
                                                   "structural_variants").reindex(genes)
    counts["n_missing"] = len(pairs) - n_profiled
    caveats.append("structural-variant agreement counts a gene when it is either partner of a structural variant "
                   "or fusion; a profiled gene without one is read as not rearranged.")
    return _per_gene_rows(counts, "structural variant", n_profiled, confidence)


def concordance_analysis(study: Study, params: AnalysisParameters | None = None, *,
                         confidence: float = CONFIDENCE_LEVEL,
                         sweep_cutoffs: np.ndarray | list[float] | None = None,
                         tumour_fraction_strata: tuple[float, ...] = TUMOUR_FRACTION_STRATA,
                         ) -> ConcordanceResult:
    """Plasma vs tissue agreement on paired baseline samples.

    Parameters
    ----------
    study
        The study (samples, variants, copy number, patients' HER2 pathology).
    params
        Cutoffs: ``plasma_amplification_cn``, ``tissue_amplification_cn`` (copies),
        ``baseline_window_days`` (days), ``min_tumour_fraction`` (fraction).  Default parameters when None.
    confidence
        Level of every interval.
    sweep_cutoffs
        Plasma ERBB2 CN cutoffs (copies) of the sweep; default 0.1-copy steps over the
        observed range plus ``params.plasma_amplification_cn`` (coarser round steps over a range wider
        than :data:`analysis.roc.MAX_SWEEP_CUTOFFS` steps: the grid is bounded whatever the values).
    tumour_fraction_strata
        Increasing upper bounds (fractions) of the plasma tumour-fraction strata.

    Returns
    -------
    ConcordanceResult
        Tables documented on :class:`ConcordanceResult`.  A study without pairs gives
        empty tables, undefined (NaN) statistics and a caveat.
    """
    params = params or AnalysisParameters()
    caveats: list[str] = []
    pairs, pair_caveats = baseline_pairs(study, params)
    caveats += pair_caveats
    if pairs.empty:
        caveats.append("no patient has both a baseline plasma draw and a baseline tissue sample: "
                       "no concordance can be computed.")

    # Tumour fraction of each baseline plasma draw.
    tf = tumour_fraction(study.variants, pairs["plasma_sample_id"],
                         min_tumour_fraction=params.min_tumour_fraction)
    caveats.extend(f"baseline plasma draws: {note}" for note in tumour_fraction_notes(tf))
    pairs = pairs.merge(tf[["sample_id", "tumour_fraction"]].rename(
        columns={"sample_id": "plasma_sample_id", "tumour_fraction": "plasma_tumour_fraction"}),
        on="plasma_sample_id", how="left")
    pairs["tumour_fraction_stratum"] = tumour_fraction_stratum(
        pairs["plasma_tumour_fraction"].to_numpy(dtype=float), tumour_fraction_strata).to_numpy()

    # Copy number of paired samples, long: patient, gene, plasma/tissue CN and calls.
    cn = study.copy_number.copy()
    cn["gene"] = cn["gene"].astype("string").str.upper()
    duplicated = cn.duplicated(["sample_id", "gene"], keep="first")
    if duplicated.any():
        # Two values for one gene in one sample (e.g. two CN files) would double-count a pair.
        caveats.append(f"{int(duplicated.sum())} duplicate copy-number row(s) (same sample and gene) "
                       "were ignored; the first value was used.")
        cn = cn[~duplicated]
    plasma_cn = pairs[["patient_id", "plasma_sample_id"]].merge(
        cn, left_on="plasma_sample_id", right_on="sample_id")
    plasma_cn["amplified"] = _amplified(plasma_cn, params.plasma_amplification_cn)
    tissue_cn = pairs[["patient_id", "tissue_sample_id"]].merge(
        cn, left_on="tissue_sample_id", right_on="sample_id")
    tissue_cn["amplified"] = _amplified(tissue_cn, params.tissue_amplification_cn)
    cn_both = plasma_cn[["patient_id", "gene", "copy_number", "amplified"]].merge(
        tissue_cn[["patient_id", "gene", "copy_number", "amplified"]], on=["patient_id", "gene"],
        how="outer", suffixes=("_plasma", "_tissue"))

    # HER2: plasma vs tissue NGS and vs pathology.
    her2 = cn_both[cn_both["gene"] == HER2_GENE]
    her2_calls = pairs[["patient_id"]].merge(her2, on="patient_id", how="left")
    patients = study.patients.copy()
    patients["pathology_her2_positive"] = pathology_her2_positive(patients)
    her2_calls = her2_calls.merge(patients[["patient_id", "pathology_her2_positive"]], on="patient_id",
                                  how="left")
    her2_calls = her2_calls.rename(columns={
        "copy_number_plasma": "plasma_erbb2_cn", "copy_number_tissue": "tissue_erbb2_cn",
        "amplified_plasma": "plasma_amplified", "amplified_tissue": "tissue_amplified"})
    her2_calls = typed_frame(her2_calls, HER2_CALL_COLUMNS)
    plasma_label = f"plasma ERBB2 CN >= {params.plasma_amplification_cn:g}"
    her2_ngs = agreement_table(her2_calls["plasma_amplified"], her2_calls["tissue_amplified"],
                               test_name=plasma_label,
                               comparator_name=f"tissue ERBB2 CN >= {params.tissue_amplification_cn:g}",
                               confidence=confidence)
    her2_path = agreement_table(her2_calls["plasma_amplified"], her2_calls["pathology_her2_positive"],
                                test_name=plasma_label, comparator_name="pathology HER2 (IHC/FISH)",
                                confidence=confidence)

    # Per gene: mutations (absence = wild type where profiled) and amplifications (absence = missing).
    profiling = Profiling.of(study)
    per_gene_rows: list[dict] = []
    plasma_mut = _sample_mutations(study, pairs["plasma_sample_id"]).merge(
        pairs[["patient_id", "plasma_sample_id"]], left_on="sample_id", right_on="plasma_sample_id")
    tissue_mut = _sample_mutations(study, pairs["tissue_sample_id"]).merge(
        pairs[["patient_id", "tissue_sample_id"]], left_on="sample_id", right_on="tissue_sample_id")
    gene_calls = pd.merge(plasma_mut[["patient_id", "gene"]].drop_duplicates().assign(plasma=True),
                          tissue_mut[["patient_id", "gene"]].drop_duplicates().assign(tissue=True),
                          on=["patient_id", "gene"], how="outer")
    if len(gene_calls):
        for col in ("plasma", "tissue"):
            gene_calls[col] = gene_calls[col].astype("boolean").fillna(False).astype(bool)
        in_plasma = gene_calls["plasma"].astype(bool)
        in_tissue = gene_calls["tissue"].astype(bool)
        genes = gene_calls["gene"]
        counts = pd.DataFrame({"a": (in_plasma & in_tissue).groupby(genes).sum(),
                               "b": (in_plasma & ~in_tissue).groupby(genes).sum(),
                               "c": (~in_plasma & in_tissue).groupby(genes).sum()})
        if profiling.says("mutations"):
            # Only pairs with the gene profiled in both samples count; elsewhere it is not profiled.
            located = gene_calls.merge(pairs[["patient_id", "plasma_sample_id", "tissue_sample_id"]], on="patient_id")
            both = (profiling.profiled(located["plasma_sample_id"], located["gene"])
                    & profiling.profiled(located["tissue_sample_id"], located["gene"]))
            kept = located[both.to_numpy()]
            kept_plasma, kept_tissue = kept["plasma"].astype(bool), kept["tissue"].astype(bool)
            counts = pd.DataFrame({"a": (kept_plasma & kept_tissue).groupby(kept["gene"]).sum(),
                                   "b": (kept_plasma & ~kept_tissue).groupby(kept["gene"]).sum(),
                                   "c": (~kept_plasma & kept_tissue).groupby(kept["gene"]).sum()}
                                  ).reindex(sorted(genes.unique())).fillna(0).astype(int)
            n_profiled = profiling.pairs_profiled_per_gene(pairs["plasma_sample_id"], pairs["tissue_sample_id"],
                                                           counts.index).reindex(counts.index)
            counts["n_missing"] = len(pairs) - n_profiled
            per_gene_rows += _per_gene_rows(counts, "mutation", n_profiled, confidence)
            caveats.append(
                f"mutation agreement counts a gene in a pair only when both samples were profiled for it "
                f"({profiling.sources['mutations']}); {int((~both).sum())} plasma or tissue mutation call(s) in a "
                "gene not profiled in the other sample were left out, and pairs without the gene on both panels "
                "are counted as not profiled.")
            panel_caveat = panel_difference_caveat(profiling, pairs["plasma_sample_id"], pairs["tissue_sample_id"])
            if panel_caveat:
                caveats.append(panel_caveat)
        else:
            per_gene_rows += _per_gene_rows(counts, "mutation", len(pairs), confidence)
            caveats.append("mutation agreement reads a gene without a reported variant as wild type "
                           "(the study has no gene-panel matrix or case list saying what was sequenced, so the "
                           "panel is assumed to cover it in both samples).")
    per_gene_rows += _structural_variant_rows(study, pairs, profiling, confidence, caveats)
    paired = study.variants[study.variants["sample_id"].isin(
        set(pairs["plasma_sample_id"]) | set(pairs["tissue_sample_id"]))]
    unknown_effect = n_effect_unknown(paired["variant_classification"])
    if unknown_effect:
        caveats.append(f"{unknown_effect} variant(s) of the paired samples have no usable Variant_Classification "
                       "(missing, Unknown or Targeted_Region): counted as mutations only when their protein "
                       "change names an amino-acid change.")
    amp_measured = cn_both[cn_both["amplified_plasma"].notna() & cn_both["amplified_tissue"].notna()]
    amp_genes = cn_both.loc[cn_both["amplified_plasma"].fillna(False).astype(bool)
                            | cn_both["amplified_tissue"].fillna(False).astype(bool), "gene"].unique()
    if len(amp_genes):
        measured = amp_measured[amp_measured["gene"].isin(amp_genes)].copy()
        measured["p"] = measured["amplified_plasma"].astype(bool)
        measured["t"] = measured["amplified_tissue"].astype(bool)
        counts = pd.DataFrame({
            "a": (measured["p"] & measured["t"]).groupby(measured["gene"]).sum(),
            "b": (measured["p"] & ~measured["t"]).groupby(measured["gene"]).sum(),
            "c": (~measured["p"] & measured["t"]).groupby(measured["gene"]).sum(),
            "n": measured.groupby("gene").size(),
        }).reindex(sorted(amp_genes)).fillna(0).astype(int)
        counts["n_missing"] = len(pairs) - counts["n"]
        per_gene_rows += _per_gene_rows(counts, "amplification", counts["n"], confidence)
    per_gene = typed_frame(per_gene_rows, PER_GENE_COLUMNS)
    if len(per_gene):
        per_gene = per_gene.sort_values(["alteration", "gene"]).reset_index(drop=True)

    # Per patient: fraction of tissue alterations found in plasma.
    def alteration_sets(mutations: pd.DataFrame, cn_calls: pd.DataFrame, svs: pd.DataFrame) -> pd.DataFrame:
        muts = mutations[["patient_id", "variant_key"]].rename(columns={"variant_key": "alteration"})
        amps = cn_calls.loc[cn_calls["amplified"].fillna(False).astype(bool), ["patient_id", "gene"]]
        amps = amps.assign(alteration="AMP:" + amps["gene"].astype("string"))[["patient_id", "alteration"]]
        parts = [part for part in (muts, amps, svs[["patient_id", "alteration"]]) if len(part)]
        if not parts:
            return pd.DataFrame({"patient_id": pd.Series(dtype="string"), "alteration": pd.Series(dtype="string")})
        return pd.concat(parts).drop_duplicates()

    if profiling.says("mutations"):
        # A tissue mutation in a gene the plasma panel does not cover is not "missed" (and vice versa).
        paired = pairs.set_index("patient_id")
        tissue_mut = tissue_mut[profiling.profiled(
            tissue_mut["patient_id"].map(paired["plasma_sample_id"]), tissue_mut["gene"]).to_numpy()]
        plasma_mut = plasma_mut[profiling.profiled(
            plasma_mut["patient_id"].map(paired["tissue_sample_id"]), plasma_mut["gene"]).to_numpy()]
    tissue_alts = alteration_sets(tissue_mut, tissue_cn, _paired_svs(study, pairs, "tissue_sample_id")
                                  ).assign(in_tissue=True)
    plasma_alts = alteration_sets(plasma_mut, plasma_cn, _paired_svs(study, pairs, "plasma_sample_id")
                                  ).assign(in_plasma=True)
    alts = tissue_alts.merge(plasma_alts, on=["patient_id", "alteration"], how="outer")
    for col in ("in_tissue", "in_plasma"):
        alts[col] = alts[col].astype("boolean").fillna(False).astype(bool)
    counts = pd.DataFrame({
        "n_tissue_alterations": alts["in_tissue"].groupby(alts["patient_id"]).sum(),
        "n_found_in_plasma": (alts["in_tissue"] & alts["in_plasma"]).groupby(alts["patient_id"]).sum(),
        "n_plasma_only": (~alts["in_tissue"] & alts["in_plasma"]).groupby(alts["patient_id"]).sum(),
    }).reindex(pairs["patient_id"]).fillna(0).astype("int64")
    per_patient_rows = []
    for patient_id, n_t, found, plasma_only in counts.itertuples():
        low, high = wilson_interval(int(found), int(n_t), confidence)
        per_patient_rows.append({"patient_id": patient_id, "n_tissue_alterations": n_t,
                                 "n_found_in_plasma": found, "n_plasma_only": plasma_only,
                                 "fraction_found": found / n_t if n_t else np.nan,
                                 "ci_low": low, "ci_high": high})
    per_patient = typed_frame(per_patient_rows, PER_PATIENT_COLUMNS)

    # Variant level: each tissue mutation, detected in the baseline plasma draw or not.
    plasma_vaf = plasma_mut.groupby(["patient_id", "variant_key"])["vaf"].max().rename("plasma_vaf")
    detection = tissue_mut.groupby(["patient_id", "variant_key"]).agg(
        gene=("gene", "first"), protein_change=("protein_change", "first"), tissue_vaf=("vaf", "max"))
    detection = detection.join(plasma_vaf, how="left").reset_index()
    detection["detected"] = detection["plasma_vaf"].notna() | detection.set_index(
        ["patient_id", "variant_key"]).index.isin(plasma_vaf.index)
    detection = detection.merge(pairs[["patient_id", "plasma_tumour_fraction", "tumour_fraction_stratum"]],
                                on="patient_id", how="left")
    variant_detection = typed_frame(detection, VARIANT_COLUMNS)
    detection_rows = []
    for stratum in stratum_labels(tumour_fraction_strata):
        sub = variant_detection[variant_detection["tumour_fraction_stratum"] == stratum]
        n_v, n_d = len(sub), int(sub["detected"].sum())
        low, high = wilson_interval(n_d, n_v, confidence)
        detection_rows.append({"tumour_fraction_stratum": stratum,
                               "n_patients": int(sub["patient_id"].nunique()), "n_variants": n_v,
                               "n_detected": n_d, "detection_rate": n_d / n_v if n_v else np.nan,
                               "ci_low": low, "ci_high": high})
    detection_by_tf = typed_frame(detection_rows if len(pairs) else [], DETECTION_COLUMNS)

    # Plasma vs tissue copy number, per gene.
    cn_pairs = cn_both.rename(columns={"copy_number_plasma": "plasma_cn", "copy_number_tissue": "tissue_cn"})
    cn_pairs = cn_pairs[cn_pairs["plasma_cn"].notna() & cn_pairs["tissue_cn"].notna()]
    cn_pairs = typed_frame(cn_pairs.sort_values(["gene", "patient_id"]), CN_PAIR_COLUMNS)
    correlation_rows = []
    for gene, sub in cn_pairs.groupby("gene", sort=True):
        if len(sub) < 3:
            continue
        for method in ("spearman", "pearson"):
            res = correlation(sub["plasma_cn"], sub["tissue_cn"], method=method, confidence=confidence)
            correlation_rows.append({"gene": gene, **res.as_row()})
    cn_correlation = typed_frame(correlation_rows, CORRELATION_COLUMNS)

    # Plasma ERBB2 CN as a score for tissue NGS amplification.
    scored = her2_calls[her2_calls["plasma_erbb2_cn"].notna() & her2_calls["tissue_amplified"].notna()]
    scores = scored["plasma_erbb2_cn"].to_numpy(dtype=float)
    labels = scored["tissue_amplified"].astype(bool).to_numpy()
    roc = roc_curve_table(scores, labels)
    auc = auc_delong(scores, labels, confidence)
    youden = youden_cutoff(scores, labels)
    if sweep_cutoffs is None and len(scores):
        sweep_cutoffs = sweep_grid(scores, 0.1, include=[params.plasma_amplification_cn])
    sweep = cutoff_sweep(scores, labels, sweep_cutoffs if sweep_cutoffs is not None else [],
                         confidence=confidence)
    caveats += [f"HER2 ROC: {c}" for c in auc.caveats]

    return ConcordanceResult(
        pairs=typed_frame(pairs, PAIR_COLUMNS), her2_calls=her2_calls, her2_tissue_ngs=her2_ngs,
        her2_pathology=her2_path, per_gene=per_gene, per_patient=per_patient,
        variant_detection=variant_detection, detection_by_tf=detection_by_tf, cn_pairs=cn_pairs,
        cn_correlation=cn_correlation, roc=roc, auc=auc, youden=youden, sweep=sweep, params=params,
        caveats=tuple(caveats))
