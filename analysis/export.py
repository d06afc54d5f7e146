"""Exports: the open study with the analysis' derived columns as a cBioPortal study folder, and the
concordance and survival statistics as one tidy table.

Derived columns (from :func:`analysis.cohort.analyse_cohort`) are written as extra clinical attributes,
with their four header rows (:data:`DERIVED_ATTRIBUTES`):

- per patient: ``RESISTANCE_CLASS`` (innate / acquired / no resistance / unknown; the analysis' "none"
  is written "no resistance", since "none" reads as a missing value), ``N_RESISTANCE_MECHANISMS``,
  ``RESISTANCE_PATHWAYS`` (``;``-joined) and ``RESISTANCE_MECHANISM_STATUS`` (``PATHWAY: status`` per
  pathway, ``;``-joined; statuses ``baseline``, ``expanding``, ``new at progression``,
  ``unknown (no baseline draw)``);
- per sample: ``TUMOUR_FRACTION`` (0-1) and ``ERBB2_CN_PURITY_ADJUSTED`` (copies; plasma draws whose
  tumour fraction is evaluable).

The folder is written by :func:`analysis.io.cbioportal.write_study` with the standard case lists, and
reopens with :func:`analysis.io.cbioportal.read_study` to the same tables.  Nothing here imports Dash.
"""

from __future__ import annotations

import io
import math
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.cohort import CohortAnalysis, analyse_cohort
from analysis.errors import InputError
from analysis.io.cbioportal import AttributeHeader, standard_case_lists, write_study
from analysis.io.folder_swap import recover_folder, replace_folder, staging_folder
from analysis.params import AnalysisParameters
from analysis.study import Study

#: Tidy column -> its clinical header rows.  Patient attributes first, then sample attributes.
PATIENT_ATTRIBUTES: dict[str, AttributeHeader] = {
    "resistance_class": AttributeHeader(
        "Resistance Class", "Trastuzumab resistance: innate, acquired, no resistance (known progression-free) or "
        "unknown"),
    "n_resistance_mechanisms": AttributeHeader(
        "Number of Resistance Mechanisms", "Resistance pathways with evidence in the baseline or progression draw",
        "NUMBER"),
    "resistance_pathways": AttributeHeader(
        "Resistance Pathways", "Resistance pathways with evidence, ';'-joined"),
    "resistance_mechanism_status": AttributeHeader(
        "Resistance Mechanism Status", "Per pathway 'PATHWAY: status' (baseline, expanding, new at progression, "
        "unknown (no baseline draw)), ';'-joined"),
}
SAMPLE_ATTRIBUTES: dict[str, AttributeHeader] = {
    "tumour_fraction": AttributeHeader(
        "Tumour Fraction", "ctDNA tumour fraction (0-1) estimated from somatic VAFs", "NUMBER"),
    "erbb2_cn_purity_adjusted": AttributeHeader(
        "ERBB2 CN (Purity Adjusted)", "Plasma ERBB2 copy number adjusted for the tumour fraction (copies)",
        "NUMBER"),
}
DERIVED_ATTRIBUTES: dict[str, AttributeHeader] = {**PATIENT_ATTRIBUTES, **SAMPLE_ATTRIBUTES}
#: Class words that a study file cannot hold ("none" reads as a missing value) -> the word written.
RESISTANCE_CLASS_WORDS = {"none": "no resistance"}
#: The statistics table written beside the study files.
STATISTICS_FILE = "derived_statistics.csv"
STATISTICS_COLUMNS = ["page", "comparison", "statistic", "estimate", "ci_low", "ci_high", "p_value", "n"]


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_study` wrote: the folder, the study as written (it reopens to these tables)
    and the statistics table."""

    folder: Path
    study: Study
    statistics: pd.DataFrame


def _text_or_na(values: pd.Series) -> pd.Series:
    text = values.astype("string")
    return text.where(text.notna() & text.str.strip().ne(""))


def derived_patient_columns(cohort: CohortAnalysis) -> pd.DataFrame:
    """``patient_id`` and the derived patient attributes (:data:`PATIENT_ATTRIBUTES`)."""
    patients = cohort.resistance.patients
    calls = cohort.resistance.calls
    status = (calls.assign(text=calls["pathway"].astype(str) + ": " + calls["status"].astype(str))
              .groupby("patient_id", sort=False)["text"].agg("; ".join))
    out = pd.DataFrame({
        "patient_id": patients["patient_id"].astype("string"),
        "resistance_class": _text_or_na(patients["resistance_class"]).replace(RESISTANCE_CLASS_WORDS),
        "n_resistance_mechanisms": patients["n_mechanisms"].astype("float64"),
        "resistance_pathways": _text_or_na(patients["pathways"]),
    })
    out["resistance_mechanism_status"] = _text_or_na(out["patient_id"].map(status))
    return out.reset_index(drop=True)


def derived_sample_columns(cohort: CohortAnalysis) -> pd.DataFrame:
    """``sample_id`` and the derived sample attributes (:data:`SAMPLE_ATTRIBUTES`)."""
    fractions = cohort.tumour_fractions[["sample_id", "tumour_fraction"]].drop_duplicates("sample_id")
    draws = cohort.trajectories.draws[["sample_id", "erbb2_cn_adjusted"]].drop_duplicates("sample_id")
    out = fractions.merge(draws, on="sample_id", how="outer")
    return pd.DataFrame({
        "sample_id": out["sample_id"].astype("string"),
        "tumour_fraction": out["tumour_fraction"].astype("float64"),
        "erbb2_cn_purity_adjusted": out["erbb2_cn_adjusted"].astype("float64"),
    })


def _with_columns(table: pd.DataFrame, key: str, derived: pd.DataFrame) -> pd.DataFrame:
    """*table* with the derived columns joined on *key* (replacing columns of the same name, so that an
    exported study exports again to the same folder)."""
    names = [c for c in derived.columns if c != key]
    base = table.drop(columns=[c for c in names if c in table.columns])
    joined = base[[key]].merge(derived.drop_duplicates(key), on=key, how="left")
    # A column with no value at all is text when read back from a file (nothing says it is a number).
    dtypes = {name: derived[name].dtype if joined[name].notna().any() else "string" for name in names}
    return base.assign(**{name: joined[name].to_numpy() for name in names}).astype(dtypes)


def study_with_derived_columns(study: Study, cohort: CohortAnalysis) -> Study:
    """*study* with the derived patient and sample attributes and the standard case lists."""
    patients = _with_columns(study.patients, "patient_id", derived_patient_columns(cohort))
    samples = _with_columns(study.samples, "sample_id", derived_sample_columns(cohort))
    derived = replace(study, patients=patients, samples=samples)
    return replace(derived, case_lists=standard_case_lists(derived))


# --------------------------------------------------------------------------- statistics

def _row(page: str, comparison: str, statistic: str, estimate=np.nan, ci_low=np.nan, ci_high=np.nan,
         p_value=np.nan, n=np.nan) -> dict:
    def number(value) -> float:
        try:
            return float(value)
        except (TypeError, ValueError):
            return math.nan
    return {"page": page, "comparison": comparison, "statistic": statistic, "estimate": number(estimate),
            "ci_low": number(ci_low), "ci_high": number(ci_high), "p_value": number(p_value), "n": number(n)}


def concordance_statistics(cohort: CohortAnalysis) -> pd.DataFrame:
    """The Concordance page's statistics, one row each (:data:`STATISTICS_COLUMNS`, page = concordance).

    HER2 agreement (PPA, NPA, OPA, PPV, NPV with Wilson intervals, kappa, McNemar p), per-gene
    agreement, the ERBB2 ROC (AUC with DeLong interval, Youden cutoff), plasma-tissue copy-number
    correlations and tissue-informed detection by tumour-fraction stratum.  ``n`` is the denominator
    of a proportion, otherwise the number of pairs.
    """
    result = cohort.concordance
    rows = []
    for comparison, agreement in (("plasma vs tissue NGS HER2", result.her2_tissue_ngs),
                                  ("plasma vs pathology HER2", result.her2_pathology)):
        label = f"{comparison} ({agreement.test_name} vs {agreement.comparator_name})"
        for statistic, estimate, low, high, _, denominator in agreement.statistics:
            if statistic == "mcnemar_p":
                rows.append(_row("concordance", label, "McNemar exact test", p_value=estimate, n=agreement.n))
            elif statistic == "kappa":
                rows.append(_row("concordance", label, "Cohen's kappa", estimate, low, high, n=agreement.n))
            else:
                rows.append(_row("concordance", label, statistic, estimate, low, high, n=denominator))
    for gene in result.per_gene.itertuples(index=False):
        label = f"{gene.gene} {gene.alteration}: plasma vs tissue"
        for statistic in ("ppa", "npa", "opa"):
            rows.append(_row("concordance", label, statistic.upper(), getattr(gene, statistic),
                             getattr(gene, f"{statistic}_ci_low"), getattr(gene, f"{statistic}_ci_high"),
                             n=gene.n))
        rows.append(_row("concordance", label, "Cohen's kappa", gene.kappa, gene.kappa_ci_low, gene.kappa_ci_high,
                         n=gene.n))
        rows.append(_row("concordance", label, "McNemar exact test", p_value=gene.mcnemar_p, n=gene.n))
    auc = result.auc
    roc_label = "plasma ERBB2 CN as a score for tissue NGS ERBB2 amplification"
    rows.append(_row("concordance", roc_label, "AUC (DeLong)", auc.auc, auc.ci_low, auc.ci_high,
                     n=auc.n_pos + auc.n_neg))
    rows.append(_row("concordance", roc_label, "Youden cutoff (copies)", result.youden.cutoff,
                     n=auc.n_pos + auc.n_neg))
    for corr in result.cn_correlation.itertuples(index=False):
        rows.append(_row("concordance", f"{corr.gene} copy number: plasma vs tissue", f"{corr.method} correlation",
                         corr.estimate, corr.ci_low, corr.ci_high, corr.p_value, corr.n))
    for stratum in result.detection_by_tf.itertuples(index=False):
        if stratum.n_variants:
            rows.append(_row("concordance", f"tissue mutations detected in plasma, tumour fraction "
                             f"{stratum.tumour_fraction_stratum}", "detection rate", stratum.detection_rate,
                             stratum.ci_low, stratum.ci_high, n=stratum.n_variants))
    return pd.DataFrame(rows, columns=STATISTICS_COLUMNS)


def survival_statistics(cohort: CohortAnalysis) -> pd.DataFrame:
    """The Survival page's statistics for the default PFS groupings, one row each: the log-rank test,
    each group's median PFS (months) and its Cox hazard ratio against the reference group."""
    rows = []
    for name, result in cohort.survival.items():
        grouping = cohort.groupings.get(name)
        title = f"PFS by {grouping.title if grouping is not None else name}"
        summary = result.summary
        if result.logrank is not None:
            rows.append(_row("survival", title, "log-rank chi-square", result.logrank.test_statistic,
                             p_value=result.logrank.p_value, n=summary["n"].sum()))
        for group in summary.itertuples(index=False):
            label = f"{title}: {group.group}"
            rows.append(_row("survival", label, "median PFS (months)", group.median, group.median_ci_low,
                             group.median_ci_high, n=group.n))
            if not group.is_reference:
                rows.append(_row("survival", f"{label} vs {result.reference_group}", "Cox hazard ratio",
                                 group.hazard_ratio, group.hr_ci_low, group.hr_ci_high, group.hr_p_value, group.n))
    return pd.DataFrame(rows, columns=STATISTICS_COLUMNS)


def statistics_table(cohort: CohortAnalysis) -> pd.DataFrame:
    """Concordance and survival statistics as one tidy table (:data:`STATISTICS_COLUMNS`)."""
    table = pd.concat([concordance_statistics(cohort), survival_statistics(cohort)], ignore_index=True)
    return table.astype({"page": "string", "comparison": "string", "statistic": "string"})


# --------------------------------------------------------------------------- folders and zips

def check_export_folder(out: str | Path, source: str | Path | None) -> None:
    """Refuse an export folder equal to or inside the source study (or holding it), a file, or a
    non-empty folder that is not a study.

    Raises
    ------
    InputError
        Naming the folder and the fix.
    """
    target = Path(out).resolve()
    if source is not None:
        origin = Path(source).resolve()
        if target == origin or target.is_relative_to(origin):
            raise InputError(f"--out {out} is inside the study being exported ({source}); writing there would "
                             "change the source study. Choose a folder outside it", path=str(out))
        if origin.is_relative_to(target):
            raise InputError(f"--out {out} holds the study being exported ({source}); the export folder is "
                             "replaced whole. Choose a new folder", path=str(out))
    if target.exists() and not target.is_dir():
        raise InputError(f"--out {out} is an existing file, not a folder", path=str(out))
    if target.is_dir() and any(target.iterdir()) and not (target / "meta_study.txt").is_file():
        raise InputError(f"--out {out} is an existing folder that is not a study (no meta_study.txt); it would "
                         "be replaced whole. Choose a new folder", path=str(out))


def export_study(study: Study, out: str | Path, cohort: CohortAnalysis | None = None,
                 params: AnalysisParameters = AnalysisParameters()) -> ExportResult:
    """Write *study* with its derived columns (and :data:`STATISTICS_FILE`) as a study folder *out*.

    *cohort* is the cohort analysis of *study* (run with *params* when not given).  *out* is replaced
    whole and atomically; it is checked first (:func:`check_export_folder`).
    """
    check_export_folder(out, study.path)
    cohort = cohort if cohort is not None else analyse_cohort(study, params)
    derived = study_with_derived_columns(study, cohort)
    statistics = statistics_table(cohort)
    folder = Path(out)
    recover_folder(folder)
    staging_parent = staging_folder(folder.resolve(), "export")
    try:
        staged = write_study(derived, staging_parent / folder.name, attribute_headers=DERIVED_ATTRIBUTES)
        statistics.to_csv(staged / STATISTICS_FILE, index=False)
        replace_folder(staged, folder)
    finally:
        shutil.rmtree(staging_parent, ignore_errors=True)
    return ExportResult(folder=folder, study=derived, statistics=statistics)


def export_zip(study: Study, cohort: CohortAnalysis, folder_name: str | None = None) -> bytes:
    """The export folder of :func:`export_study` as a zip archive (one top folder *folder_name*,
    default ``<study id>_with_derived_columns``)."""
    name = folder_name or f"{study.meta.study_id}_with_derived_columns"
    with tempfile.TemporaryDirectory(prefix="her2-export-") as tmp:
        folder = Path(tmp) / name
        export_study(replace(study, path=None), folder, cohort)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(tmp).as_posix())
        return buffer.getvalue()


__all__ = ["DERIVED_ATTRIBUTES", "STATISTICS_COLUMNS", "STATISTICS_FILE", "ExportResult", "check_export_folder",
           "derived_patient_columns", "derived_sample_columns", "export_study", "export_zip", "statistics_table",
           "study_with_derived_columns"]
