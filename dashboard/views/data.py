"""Data page view models: the open study, its provenance and validation, the parameters in force, the cache.

Pure functions of a :class:`analysis.study.Study`, :class:`analysis.params.AnalysisParameters`,
a :class:`analysis.resistance.KnowledgeBase` and plain cache facts; no Dash here.
"""

from __future__ import annotations

from dataclasses import fields

import pandas as pd

from analysis import params as P
from analysis.params import AnalysisParameters
from analysis.study import Study
from analysis.validation import ValidationReport
from analysis.wording import pathway_name

DEFAULTS = AnalysisParameters()

#: AnalysisParameters field -> (label, unit, what it means and where the default comes from).
PARAMETER_INFO: dict[str, tuple[str, str, str]] = {
    "plasma_amplification_cn": (
        "Plasma ERBB2 amplification cutoff", "copies",
        "A plasma draw is HER2-amplified at or above this absolute copy number. Default: observed plasma CN "
        "threshold of HERACLES-A (Wang H et al., Eur J Cancer 2018 used > 2.22)."),
    "tissue_amplification_cn": (
        "Tissue NGS ERBB2 amplification cutoff", "copies",
        "Tissue sequencing calls ERBB2 amplified at or above this copy number (SCRUM-Japan)."),
    "purity_adjustment": (
        "Purity-adjusted ERBB2 copy number", "on/off",
        "Show (CN_obs - 2(1 - f)) / f beside the observed copy number; f = tumour fraction."),
    "min_tumour_fraction": (
        "Lowest tumour fraction for purity adjustment", "fraction (0-1)",
        "Draws with a lower tumour fraction are 'not evaluable' for purity-adjusted copy number."),
    "innate_pfs_months": (
        "Innate resistance: PFS below", "months",
        "Progression at first evaluation or PFS below this is innate resistance; otherwise acquired "
        "(Wang et al., Gut 2019)."),
    "baseline_window_days": (
        "Baseline draw window", "days from day 0",
        "The baseline draw is the last plasma draw in this window around the first trastuzumab dose."),
    "progression_window_days": (
        "Progression draw window", "days from progression",
        "The progression draw is the draw nearest to radiological progression in this window."),
    "pairing_window_days": (
        "Pairing window (draw or CEA to imaging)", "+/- days",
        "Each imaging assessment is paired with the nearest plasma draw and CEA value within this window."),
    "knowledge_base": (
        "Resistance knowledge base", "file",
        "The versioned table of resistance alterations (gene, pattern, pathway, citation) used for mechanism "
        "calls; 'default' is data/resistance_kb.tsv."),
}

PARAMETER_LABELS = {"label": "Parameter", "value": "Value", "unit": "Unit", "default": "Default",
                    "status": "Default or changed", "field": "Name in code", "meaning": "Meaning and source"}
PROVENANCE_LABELS = {"file": "File", "bytes": "Size (bytes)", "rows": "Rows read", "sha256": "SHA-256"}
FILE_LABELS = {"file": "File", "read_as": "Read as", "found_by": "Found by", "reason": "Why not read / how decided"}
CONTENT_LABELS = {"what": "Data", "count": "Count", "detail": "Detail"}
VALIDATION_LABELS = {"level": "Level", "file": "File", "line": "Line", "column": "Column",
                     "message": "Finding", "expected": "Expected"}


def _show(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return " to ".join(str(v) for v in value)
    return str(value)


def parameter_table(params: AnalysisParameters) -> pd.DataFrame:
    """Every :class:`AnalysisParameters` field with its value, unit, default and whether it was changed.

    Returns
    -------
    DataFrame ``label, value, unit, default, status`` (default / changed), ``field``, ``meaning``;
    one row per field, in the dataclass order (a field without a description still gets a row).
    """
    rows = []
    for item in fields(AnalysisParameters):
        value, default = getattr(params, item.name), getattr(DEFAULTS, item.name)
        label, unit, meaning = PARAMETER_INFO.get(item.name, (item.name.replace("_", " "), "", ""))
        rows.append({"label": label, "value": _show(value), "unit": unit, "default": _show(default),
                     "status": "default" if value == default else "changed", "field": item.name,
                     "meaning": meaning})
    return pd.DataFrame(rows, columns=list(PARAMETER_LABELS))


def fixed_thresholds() -> pd.DataFrame:
    """Definitions that are not user parameters but shape the results (``name, value, unit``)."""
    rows = [
        ("Days per month (PFS in months)", P.DAYS_PER_MONTH, "days"),
        ("RECIST 1.1 partial response: change from baseline at most", f"{P.RECIST_PR_CHANGE:+.0%}",
         "of lesion sum"),
        ("RECIST 1.1 progression: change from nadir at least", f"{P.RECIST_PD_CHANGE:+.0%} and "
         f"+{P.RECIST_PD_ABSOLUTE_MM:g} mm", "of lesion sum"),
        ("Expanding alteration (present at baseline): VAF rise at least", f"{P.EXPANDING_VAF_FOLD:g}-fold and "
         f"+{100 * P.EXPANDING_VAF_DELTA:g} percentage points", ""),
        ("New at progression", "absent from the baseline draw, present in the progression draw", ""),
        ("Confidence level of every interval", f"{P.CONFIDENCE_LEVEL:.0%}", ""),
    ]
    return pd.DataFrame(rows, columns=["name", "value", "unit"]).astype({"value": str})


def study_identity(study: Study, folder, content_hash: str | None = None) -> pd.DataFrame:
    """Which study is open (``field, value``): id, name, description, folder, content hash, counts.

    *content_hash* saves recomputing :attr:`Study.content_hash` (seconds on a 10,000-patient study).
    """
    report = study.report
    rows = [
        ("Study id", study.meta.study_id),
        ("Name", study.meta.name or "(none given)"),
        ("Description", study.meta.description or "(none given)"),
        ("Folder", str(folder)),
        ("Content hash (SHA-256 over the tables)", content_hash or study.content_hash),
        ("Patients", f"{study.patients['patient_id'].nunique()}"),
        ("Samples", f"{len(study.samples)}"),
        ("Files read", f"{len(study.provenance)}"),
        ("Validation", f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"),
    ]
    return pd.DataFrame(rows, columns=["field", "value"])


def unread_files_table(study: Study) -> pd.DataFrame:
    """Every file of the study folder that was not read, with why (``file, found_by, reason``)."""
    files = study.files
    if files.empty:
        return pd.DataFrame(columns=["file", "found_by", "reason"])
    return files[files["read_as"].isna()][["file", "found_by", "reason"]].reset_index(drop=True)


def decided_files_table(study: Study) -> pd.DataFrame:
    """Data files whose kind was decided without a meta file (by name or content): ``file, read_as, found_by,
    reason``."""
    files = study.files
    if files.empty:
        return pd.DataFrame(columns=list(FILE_LABELS))
    decided = files["read_as"].notna() & ~files["read_as"].eq("meta file") & ~files["found_by"].str.startswith(
        "meta file") & ~files["found_by"].eq("case_lists/ folder")
    return files[decided].reset_index(drop=True)


def study_contents(study: Study) -> pd.DataFrame:
    """What the study holds (``what, count, detail``): patients, samples by type, each alteration kind."""
    samples = study.samples
    by_type = samples["sample_type"].fillna("type unknown").value_counts()
    sv = study.structural_variants
    panels = study.gene_panels
    rows = [
        ("Patients", study.patients["patient_id"].nunique(), ""),
        ("Samples", len(samples), ", ".join(f"{n} {kind}" for kind, n in by_type.items())),
        ("Undated samples", int(samples["collection_day"].isna().sum()),
         "no collection day: left out of timelines and trajectories (an undated baseline plasma sample "
         "can still pair with tissue for concordance)"),
        ("Mutations", len(study.variants), f"in {study.variants['sample_id'].nunique()} sample(s)"),
        ("Gene-level copy-number values", len(study.copy_number),
         f"{study.copy_number['gene'].nunique()} gene(s), {study.copy_number['sample_id'].nunique()} sample(s)"),
        ("Structural variants", len(sv), f"in {sv['sample_id'].nunique()} sample(s)" if len(sv) else ""),
        ("Copy-number segments", len(study.segments),
         f"{study.segments['sample_id'].nunique()} sample(s)" if len(study.segments) else ""),
        ("Gene-panel assignments", len(panels),
         f"{panels['panel_id'].nunique()} panel(s), {study.panel_genes['panel_id'].nunique()} defined"
         if len(panels) else "none: every sample counts as profiled for every gene"),
        ("Case lists", study.case_lists["case_list"].nunique(), ""),
        ("Timeline events", len(study.timeline), ""),
    ]
    return pd.DataFrame(rows, columns=["what", "count", "detail"]).astype({"count": "int64"})


def provenance_table(study: Study) -> pd.DataFrame:
    """Every file read: ``file, bytes, rows, sha256`` (full 64-hex digest), in reading order."""
    frame = study.provenance.reindex(columns=list(PROVENANCE_LABELS)).copy()
    frame["bytes"] = frame["bytes"].astype("int64")
    frame["rows"] = frame["rows"].astype("int64")
    return frame.reset_index(drop=True)


def validation_table(report: ValidationReport | list[dict]) -> pd.DataFrame:
    """A validation report as rows ``level, file, line, column, message, expected``, errors first.

    *report* is a :class:`ValidationReport` or its ``to_frame()`` records (as a background job returns them).
    """
    frame = report.to_frame() if isinstance(report, ValidationReport) else pd.DataFrame(
        list(report), columns=list(VALIDATION_LABELS))
    frame = frame.reindex(columns=list(VALIDATION_LABELS))
    frame["line"] = pd.array(frame["line"], dtype="Int64")
    order = frame["level"].map({"error": 0, "warning": 1}).fillna(2)
    return frame.assign(_order=order).sort_values("_order", kind="stable").drop(columns="_order").reset_index(
        drop=True)


def knowledge_base_table(kb) -> pd.DataFrame:
    """The knowledge base in force (``field, value``): version, file, SHA-256, rules, genes, pathways."""
    table = kb.table
    resistance = table[table["evidence_direction"] == "resistance"]
    rows = [
        ("Version", kb.version),
        ("File", kb.path),
        ("SHA-256", kb.sha256),
        ("Rules", f"{len(table)} ({len(resistance)} resistance, {len(table) - len(resistance)} sensitivity)"),
        ("Genes", ", ".join(kb.genes)),
        ("Pathways", ", ".join(dict.fromkeys(pathway_name(p) for p in table["pathway"].astype(str)))),
    ]
    return pd.DataFrame(rows, columns=["field", "value"])


def human_bytes(n: float) -> str:
    """``1536 -> '1.5 KiB'``.

    >>> human_bytes(62596)
    '61.1 KiB'
    """
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def cache_table(*, analysis_version: str, directory, entries: int, volume_bytes: int, study_hash: str,
                cohort_key: str, cohort_cached: bool, code_fingerprint: str = "") -> pd.DataFrame:
    """What the cache holds and what it keys on (``field, value``)."""
    rows = [
        ("Analysis version", analysis_version
         + (f" (code fingerprint {code_fingerprint})" if code_fingerprint else "")),
        ("Results are keyed on", "study content hash + analysis version and code fingerprint + parameters "
                                 "(+ knowledge-base file hash)"),
        ("Study content hash", study_hash),
        ("Cohort result for these parameters",
         "cached" if cohort_cached else "not cached yet (computed on first use)"),
        ("Cohort cache key", cohort_key),
        ("Cache folder", str(directory)),
        ("Entries on disk", str(entries)),
        ("Size on disk", human_bytes(volume_bytes)),
    ]
    return pd.DataFrame(rows, columns=["field", "value"])


def open_outcome_text(result: dict) -> str:
    """One sentence on what opening a folder did (the background job's result dict)."""
    if result.get("ok"):
        return (f"Opened {result.get('name') or result.get('study_id')} from {result.get('folder')}: "
                f"{result.get('n_patients', 0)} patients, {result.get('n_warnings', 0)} warning(s).")
    n_errors = result.get("n_errors", 0)
    what = (f"{n_errors} error(s), {result.get('n_warnings', 0)} warning(s)" if n_errors
            else result.get("message", ""))
    return f"The study in {result.get('folder') or '(no folder given)'} was not opened: {what}."
