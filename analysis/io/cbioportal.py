"""Read, validate and write a study folder in the cBioPortal study format (design.md section 2).

``read_study`` is all-or-nothing: it validates every file, and a study with
any error is refused whole (:class:`~analysis.errors.StudyValidationError`
carries the full report); warnings travel with the returned study.
``write_study`` writes to a temporary folder beside the target and swaps it in,
so an existing study is never half-updated.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import schema
from analysis.errors import InputError, StudyValidationError
from analysis.io.maf import read_maf
from analysis.io.tables import (
    MAX_MESSAGES_PER_COLUMN,
    RawTable,
    find_column,
    missing_mask,
    read_raw_table,
    to_number,
)
from analysis.study import Study, StudyMeta
from analysis.validation import ValidationReport

#: Default data file names, used when no meta file names them.
DEFAULT_FILES = {
    "patient": "data_clinical_patient.txt",
    "sample": "data_clinical_sample.txt",
    "mutations": "data_mutations.txt",
    "cna": "data_cna.txt",
    "log2": "data_log2_cna.txt",
}

SAMPLE_TYPE_SYNONYMS = {
    "PLASMA": "plasma", "CFDNA": "plasma", "CTDNA": "plasma", "BLOOD": "plasma", "LIQUID BIOPSY": "plasma",
    "TISSUE": "tissue", "FFPE": "tissue", "BIOPSY": "tissue", "PRIMARY": "tissue", "METASTASIS": "tissue",
    "TUMOR": "tissue", "TUMOUR": "tissue", "PRIMARY TUMOR": "tissue", "RECURRENCE": "tissue",
}
TIMEPOINT_SYNONYMS = {
    "BASELINE": "BASELINE", "PRE-TREATMENT": "BASELINE", "PRETREATMENT": "BASELINE",
    "ON_TREATMENT": "ON_TREATMENT", "ON-TREATMENT": "ON_TREATMENT", "ON TREATMENT": "ON_TREATMENT",
    "ONTREATMENT": "ON_TREATMENT", "PROGRESSION": "PROGRESSION", "PD": "PROGRESSION",
}
HER2_STATUS_SYNONYMS = {"POSITIVE": "POSITIVE", "POS": "POSITIVE", "NEGATIVE": "NEGATIVE", "NEG": "NEGATIVE"}
HER2_IHC_SYNONYMS = {"0": "0", "1": "1+", "1+": "1+", "2": "2+", "2+": "2+", "3": "3+", "3+": "3+"}
TRASTUZUMAB_NAMES = ("TRASTUZUMAB", "HERCEPTIN")

#: Timeline file column -> tidy column.
TIMELINE_COLUMNS = {
    "PATIENT_ID": "patient_id", "START_DATE": "start_day", "STOP_DATE": "stop_day",
    "EVENT_TYPE": "event_type", "AGENT": "agent", "TEST": "test", "RESULT": "result", "UNIT": "unit",
    "TARGET_LESION_SUM_MM": "target_lesion_sum_mm", "RECIST_RESPONSE": "recist_response",
    "STATUS": "status", "SAMPLE_ID": "sample_id",
}


# --------------------------------------------------------------------------- meta files

def read_meta(path: Path) -> dict[str, str]:
    """Parse a ``meta_*.txt`` file (``key: value`` lines)."""
    meta: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        if ":" in line and not line.lstrip().startswith("#"):
            key, value = line.split(":", 1)
            meta[key.strip()] = value.strip()
    return meta


@dataclass
class _StudyFiles:
    """Which data file holds what, found through meta files or default names."""

    patient: Path | None = None
    sample: Path | None = None
    mutations: Path | None = None
    cna_discrete: Path | None = None
    cna_discrete_long: Path | None = None
    cna_log2: Path | None = None
    cna_continuous: Path | None = None
    seg: list[Path] = field(default_factory=list)
    timelines: list[Path] = field(default_factory=list)
    meta_study: dict[str, str] = field(default_factory=dict)


def _locate_files(folder: Path, report: ValidationReport) -> _StudyFiles:
    files = _StudyFiles()
    meta_study = folder / "meta_study.txt"
    if meta_study.is_file():
        files.meta_study = read_meta(meta_study)
    else:
        report.warning("meta_study.txt", None, None, "no meta_study.txt; the folder name is used as study id")
    for meta_path in sorted(folder.glob("meta_*.txt")):
        if meta_path.name == "meta_study.txt":
            continue
        meta = read_meta(meta_path)
        alteration = meta.get("genetic_alteration_type", "").upper()
        datatype = meta.get("datatype", "").upper()
        filename = meta.get("data_filename")
        if not filename:
            if alteration not in ("CANCER_TYPE",):
                report.warning(meta_path.name, None, "data_filename", "meta file names no data file; ignored")
            continue
        data_path = folder / filename
        if not data_path.is_file():
            report.error(meta_path.name, None, "data_filename", f"names {filename!r}, which does not exist",
                         expected="an existing file in the study folder")
            continue
        if alteration == "CLINICAL" and datatype == "PATIENT_ATTRIBUTES":
            files.patient = data_path
        elif alteration == "CLINICAL" and datatype == "SAMPLE_ATTRIBUTES":
            files.sample = data_path
        elif alteration == "CLINICAL" and datatype == "TIMELINE":
            files.timelines.append(data_path)
        elif alteration == "MUTATION_EXTENDED":
            files.mutations = data_path
        elif alteration == "COPY_NUMBER_ALTERATION" and datatype == "DISCRETE":
            files.cna_discrete = data_path
        elif alteration == "COPY_NUMBER_ALTERATION" and datatype == "DISCRETE_LONG":
            files.cna_discrete_long = data_path
        elif alteration == "COPY_NUMBER_ALTERATION" and datatype == "LOG2-VALUE":
            files.cna_log2 = data_path
        elif alteration == "COPY_NUMBER_ALTERATION" and datatype == "CONTINUOUS":
            files.cna_continuous = data_path
        elif alteration == "COPY_NUMBER_ALTERATION" and datatype == "SEG":
            files.seg.append(data_path)
    # Fall back on the conventional names for anything no meta file named.
    fallbacks = (("patient", "patient"), ("sample", "sample"), ("mutations", "mutations"),
                 ("cna_discrete", "cna"), ("cna_log2", "log2"))
    for attr, key in fallbacks:
        if getattr(files, attr) is None and (folder / DEFAULT_FILES[key]).is_file():
            setattr(files, attr, folder / DEFAULT_FILES[key])
    if files.cna_continuous is None and (folder / "data_linear_cna.txt").is_file():
        files.cna_continuous = folder / "data_linear_cna.txt"
    if files.cna_discrete_long is None and (folder / "data_cna_long.txt").is_file():
        files.cna_discrete_long = folder / "data_cna_long.txt"
    # Timeline files without a meta file are still read (several are common).
    named = set(files.timelines)
    files.timelines += [p for p in sorted(folder.glob("data_timeline*.txt")) if p not in named]
    if not files.seg:
        files.seg = sorted(folder.glob("*.seg"))
    return files


# --------------------------------------------------------------------------- helpers

def _bad_rows(report: ValidationReport, raw: RawTable, column: str, bad: pd.Series, expected: str,
              level: str = "error", what: str = "invalid value") -> None:
    values = raw.frame[column] if column in raw.frame.columns else None
    positions = np.flatnonzero(bad.fillna(False).to_numpy())
    add = report.error if level == "error" else report.warning
    for pos in positions[:MAX_MESSAGES_PER_COLUMN]:
        shown = f" {values.iloc[pos]!r}" if values is not None else ""
        add(raw.name, int(raw.lines[pos]), column, f"{what}{shown}", expected)
    if len(positions) > MAX_MESSAGES_PER_COLUMN:
        add(raw.name, None, column, f"{len(positions) - MAX_MESSAGES_PER_COLUMN} more rows like this", expected)


def _text(raw: RawTable, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series(pd.NA, index=raw.frame.index, dtype="string")
    values = raw.frame[column].astype("string").str.strip()
    return values.where(~missing_mask(raw.frame[column]))


def _mapped(raw: RawTable, column: str | None, mapping: dict[str, str], report: ValidationReport,
            expected: str, level: str = "warning") -> pd.Series:
    """Map text through a synonym table; unknown non-missing values are reported and set missing."""
    text = _text(raw, column)
    mapped = text.str.upper().map(mapping).astype("string")
    unknown = text.notna() & mapped.isna()
    if column is not None and unknown.any():
        _bad_rows(report, raw, column, unknown, expected, level=level, what="unrecognised value")
    return mapped


def _number(raw: RawTable, column: str | None, report: ValidationReport, expected: str) -> pd.Series:
    if column is None:
        return pd.Series(np.nan, index=raw.frame.index, dtype="float64")
    numbers, bad = to_number(raw.frame[column])
    _bad_rows(report, raw, column, bad, expected, what="not a number:")
    return numbers


def _status_event(raw: RawTable, column: str | None, report: ValidationReport, expected: str) -> pd.Series:
    """``1:PROGRESSION`` -> True, ``0:CENSORED`` -> False; anything else not of the form ``0:``/``1:`` is an error."""
    text = _text(raw, column)
    if column is None:
        return pd.Series(pd.NA, index=raw.frame.index, dtype="boolean")
    code = text.str.extract(r"^\s*([01])\s*:", expand=False)
    bad = text.notna() & code.isna()
    _bad_rows(report, raw, column, bad, expected)
    return code.map({"1": True, "0": False}).astype("boolean")


def _extras(raw: RawTable, interpreted: Iterable[str | None]) -> pd.DataFrame:
    used = {c for c in interpreted if c is not None}
    extra_cols = [c for c in raw.frame.columns if c not in used]
    extras = pd.DataFrame(index=raw.frame.index)
    for col in extra_cols:
        values = raw.frame[col].where(~missing_mask(raw.frame[col]))
        numbers = pd.to_numeric(values, errors="coerce")
        is_numeric = values.notna().any() and numbers[values.notna()].notna().all()
        extras[col.lower()] = numbers.astype("float64") if is_numeric else values.astype("string")
    return extras


def _duplicates(report: ValidationReport, raw: RawTable, column: str, ids: pd.Series, what: str) -> None:
    dup = ids.notna() & ids.duplicated(keep="first")
    for pos in np.flatnonzero(dup.to_numpy())[:MAX_MESSAGES_PER_COLUMN]:
        first = int(raw.lines[np.flatnonzero((ids == ids.iloc[pos]).to_numpy())[0]])
        report.error(raw.name, int(raw.lines[pos]), column,
                     f"duplicate {what} {ids.iloc[pos]!r} (first on line {first})", expected=f"each {what} once")


# --------------------------------------------------------------------------- clinical

def read_patients_file(path: Path, report: ValidationReport) -> pd.DataFrame:
    """A cBioPortal patient file -> the tidy patients table; findings go to *report*."""
    raw = read_raw_table(path)
    f = raw.frame
    id_col = find_column(f, "PATIENT_ID")
    if id_col is None:
        report.error(raw.name, None, "PATIENT_ID", "required column is missing", expected="a PATIENT_ID column")
        return schema.PATIENTS.empty()
    cols = {key: find_column(f, key) for key in ("HER2_STATUS", "HER2_IHC", "HER2_FISH_RATIO", "PFS_MONTHS",
                                                  "PFS_STATUS", "OS_MONTHS", "OS_STATUS")}
    ids = _text(raw, id_col)
    _bad_rows(report, raw, id_col, ids.isna(), "a patient identifier", what="empty identifier")
    _duplicates(report, raw, id_col, ids, "patient")
    tidy = pd.DataFrame({
        "patient_id": ids,
        "her2_status": _mapped(raw, cols["HER2_STATUS"], HER2_STATUS_SYNONYMS, report, "POSITIVE or NEGATIVE"),
        "her2_ihc": _mapped(raw, cols["HER2_IHC"], HER2_IHC_SYNONYMS, report, "0, 1+, 2+ or 3+"),
        "her2_fish_ratio": _number(raw, cols["HER2_FISH_RATIO"], report, "an ERBB2/CEP17 ratio (number)"),
        "pfs_months": _number(raw, cols["PFS_MONTHS"], report, "a number of months"),
        "pfs_event": _status_event(raw, cols["PFS_STATUS"], report, "0:CENSORED or 1:PROGRESSION"),
        "os_months": _number(raw, cols["OS_MONTHS"], report, "a number of months"),
        "os_event": _status_event(raw, cols["OS_STATUS"], report, "0:LIVING or 1:DECEASED"),
    })
    for months in ("pfs_months", "os_months"):
        column = cols[months.upper()]
        if column is not None:
            _bad_rows(report, raw, column, tidy[months] < 0, "a non-negative number of months",
                      what="negative time")
    return pd.concat([tidy, _extras(raw, [id_col, *cols.values()])], axis=1)


def _read_samples(path: Path, report: ValidationReport) -> tuple[pd.DataFrame, RawTable]:
    raw = read_raw_table(path)
    f = raw.frame
    sid_col, pid_col = find_column(f, "SAMPLE_ID"), find_column(f, "PATIENT_ID")
    for col, name in ((sid_col, "SAMPLE_ID"), (pid_col, "PATIENT_ID")):
        if col is None:
            report.error(raw.name, None, name, "required column is missing", expected=f"a {name} column")
    if sid_col is None or pid_col is None:
        return schema.SAMPLES.empty(), raw
    type_col = find_column(f, "SAMPLE_TYPE", "SAMPLE_CLASS")
    day_col = find_column(f, "COLLECTION_DAY")
    tp_col = find_column(f, "TIMEPOINT")
    ids = _text(raw, sid_col)
    _bad_rows(report, raw, sid_col, ids.isna(), "a sample identifier", what="empty identifier")
    _duplicates(report, raw, sid_col, ids, "sample")
    tidy = pd.DataFrame({
        "sample_id": ids,
        "patient_id": _text(raw, pid_col),
        "sample_type": _mapped(raw, type_col, SAMPLE_TYPE_SYNONYMS, report,
                               "plasma (cfDNA, ctDNA) or tissue (FFPE, biopsy, primary, metastasis)"),
        "collection_day": _number(raw, day_col, report, "days from the first trastuzumab dose (number)"),
        "timepoint": _mapped(raw, tp_col, TIMEPOINT_SYNONYMS, report, "BASELINE, ON_TREATMENT or PROGRESSION"),
    })
    return pd.concat([tidy, _extras(raw, [sid_col, pid_col, type_col, day_col, tp_col])], axis=1), raw


def _check_known(report: ValidationReport, raw: RawTable, column: str, ids: pd.Series, known: set[str],
                 what: str, source: str, level: str = "error") -> pd.Series:
    unknown = ids.notna() & ~ids.isin(known)
    _bad_rows(report, raw, column, unknown, f"a {what} listed in {source}", level=level, what=f"unknown {what}")
    return unknown


# --------------------------------------------------------------------------- copy number

def _read_cna_matrix(path: Path, report: ValidationReport, known_samples: set[str], kind: str) -> pd.DataFrame:
    """A gene x sample matrix -> long (sample_id, gene, value)."""
    raw = read_raw_table(path)
    f = raw.frame
    gene_col = find_column(f, "Hugo_Symbol")
    if gene_col is None:
        report.error(raw.name, None, "Hugo_Symbol", "required column is missing", expected="a Hugo_Symbol column")
        return pd.DataFrame(columns=["sample_id", "gene", "value"])
    annotation = {c for c in f.columns if c.upper() in ("HUGO_SYMBOL", "ENTREZ_GENE_ID", "CYTOBAND")}
    sample_cols = [c for c in f.columns if c not in annotation]
    for col in sample_cols:
        if col not in known_samples:
            report.error(raw.name, int(raw.lines[0]) - 1 if len(raw.lines) else None, col,
                         f"column for unknown sample {col!r}",
                         expected="a SAMPLE_ID listed in data_clinical_sample.txt")
    genes = _text(raw, gene_col)
    _bad_rows(report, raw, gene_col, genes.isna(), "a HUGO gene symbol", what="empty gene symbol")
    if not sample_cols:
        return pd.DataFrame(columns=["sample_id", "gene", "value"])
    # One vectorised pass over the whole matrix (studies have tens of thousands of sample columns).
    text = f[sample_cols].to_numpy(dtype=object).ravel()
    values = pd.Series(text, dtype=object)
    numbers, bad = to_number(values)
    if kind == "discrete":
        bad = bad | (numbers.notna() & ~numbers.isin([-2, -1.5, -1, 0, 1, 2]))
        expected = "a discrete copy-number call -2, -1, 0, 1 or 2"
    else:
        expected = "a number"
    n_samples = len(sample_cols)
    bad_positions = np.flatnonzero(bad.to_numpy())
    for pos in bad_positions[:MAX_MESSAGES_PER_COLUMN]:
        row, col = divmod(int(pos), n_samples)
        report.error(raw.name, int(raw.lines[row]), sample_cols[col],
                     f"invalid copy-number value {text[pos]!r}", expected)
    if len(bad_positions) > MAX_MESSAGES_PER_COLUMN:
        report.error(raw.name, None, None,
                     f"{len(bad_positions) - MAX_MESSAGES_PER_COLUMN} more invalid copy-number values", expected)
    out = pd.DataFrame({
        "sample_id": np.tile(np.asarray(sample_cols, dtype=object), len(f)),
        "gene": np.repeat(genes.to_numpy(dtype=object), n_samples),
        "value": numbers.where(~bad).to_numpy(),
    })
    return out[out["gene"].notna() & out["value"].notna()].reset_index(drop=True)


def _read_cna_long(path: Path, report: ValidationReport, known_samples: set[str]) -> pd.DataFrame:
    """cBioPortal DISCRETE_LONG (Hugo_Symbol, Sample_Id, Value) -> (sample_id, gene, value)."""
    raw = read_raw_table(path)
    f = raw.frame
    gene_col, sample_col, value_col = (find_column(f, "Hugo_Symbol"), find_column(f, "Sample_Id", "SAMPLE_ID"),
                                       find_column(f, "Value"))
    for col, name in ((gene_col, "Hugo_Symbol"), (sample_col, "Sample_Id"), (value_col, "Value")):
        if col is None:
            report.error(raw.name, None, name, "required column is missing", expected=f"a {name} column")
    if gene_col is None or sample_col is None or value_col is None:
        return pd.DataFrame(columns=["sample_id", "gene", "value"])
    samples = _text(raw, sample_col)
    _check_known(report, raw, sample_col, samples, known_samples, "sample", "data_clinical_sample.txt")
    numbers, bad = to_number(f[value_col])
    bad = bad | (numbers.notna() & ~numbers.isin([-2, -1.5, -1, 0, 1, 2]))
    _bad_rows(report, raw, value_col, bad, "a discrete copy-number call -2, -1, 0, 1 or 2")
    return pd.DataFrame({"sample_id": samples, "gene": _text(raw, gene_col), "value": numbers.where(~bad)}).dropna()


def _combine_copy_number(discrete: pd.DataFrame | None, log2: pd.DataFrame | None,
                         continuous: pd.DataFrame | None) -> pd.DataFrame:
    keys = ["sample_id", "gene"]
    parts = []
    if discrete is not None and len(discrete):
        parts.append(discrete.rename(columns={"value": "cna_discrete"}).assign(
            cna_discrete=lambda d: np.trunc(d["cna_discrete"])).set_index(keys))
    if log2 is not None and len(log2):
        parts.append(log2.rename(columns={"value": "log2_ratio"}).set_index(keys))
    if continuous is not None and len(continuous):
        parts.append(continuous.rename(columns={"value": "copy_number_continuous"}).set_index(keys))
    if not parts:
        return schema.COPY_NUMBER.empty()
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.join(part, how="outer")
    merged = merged.reset_index()
    if "log2_ratio" not in merged:
        merged["log2_ratio"] = np.nan
    cn = 2.0 * np.power(2.0, merged["log2_ratio"].astype("float64"))
    if "copy_number_continuous" in merged:
        cn = cn.where(cn.notna(), merged.pop("copy_number_continuous"))
        merged["log2_ratio"] = merged["log2_ratio"].where(
            merged["log2_ratio"].notna(), np.log2(cn.clip(lower=1e-3) / 2.0))
    merged["copy_number"] = cn
    return schema.COPY_NUMBER.conform(merged)


# --------------------------------------------------------------------------- timeline

def read_timeline_file(path: Path, report: ValidationReport) -> pd.DataFrame:
    """A cBioPortal timeline file -> tidy timeline rows (the raw table in ``.attrs["raw"]``); findings go to
    *report*."""
    raw = read_raw_table(path)
    f = raw.frame
    cols = {file_col: find_column(f, file_col) for file_col in TIMELINE_COLUMNS}
    for required in ("PATIENT_ID", "START_DATE", "EVENT_TYPE"):
        if cols[required] is None:
            report.error(raw.name, None, required, "required timeline column is missing",
                         expected=f"a {required} column")
    if any(cols[r] is None for r in ("PATIENT_ID", "START_DATE", "EVENT_TYPE")):
        return schema.TIMELINE.empty()
    tidy = pd.DataFrame(index=f.index)
    for file_col, tidy_col in TIMELINE_COLUMNS.items():
        if tidy_col in ("start_day", "stop_day"):
            tidy[tidy_col] = _number(raw, cols[file_col], report, "days from the first trastuzumab dose (number)")
        elif tidy_col in ("result", "target_lesion_sum_mm"):
            column = cols[file_col]
            if column is None:
                tidy[tidy_col] = np.nan
            else:
                numbers, bad = to_number(f[column])
                is_error = tidy_col == "target_lesion_sum_mm"
                _bad_rows(report, raw, column, bad, "a number" + (" of mm" if is_error else ""),
                          level="error" if is_error else "warning", what="not a number:")
                tidy[tidy_col] = numbers
        else:
            tidy[tidy_col] = _text(raw, cols[file_col])
    start = cols["START_DATE"]
    assert start is not None  # the required columns were checked above
    _bad_rows(report, raw, start, tidy["start_day"].isna() & ~to_number(f[start])[1], "a day number",
              what="empty START_DATE")
    tidy["event_type"] = tidy["event_type"].str.upper()
    tidy["recist_response"] = tidy["recist_response"].str.upper()
    bad_recist = tidy["recist_response"].notna() & ~tidy["recist_response"].isin(schema.RECIST_RESPONSES)
    if cols["RECIST_RESPONSE"] is not None:
        _bad_rows(report, raw, cols["RECIST_RESPONSE"], bad_recist, "CR, PR, SD, PD or NE", level="warning",
                  what="unrecognised RECIST response")
    tidy["recist_response"] = tidy["recist_response"].where(~bad_recist)
    tidy["status"] = tidy["status"].str.upper()
    out = pd.concat([tidy, _extras(raw, cols.values())], axis=1)
    out.attrs["raw"] = raw
    return out


def _reanchor(timeline: pd.DataFrame, samples: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Shift each patient's days so that the first trastuzumab dose is day 0."""
    treatments = timeline[(timeline["event_type"] == "TREATMENT")
                          & timeline["agent"].fillna("").str.upper().str.contains("|".join(TRASTUZUMAB_NAMES))]
    first = treatments.groupby("patient_id")["start_day"].min()
    offsets = first[first != 0]
    if offsets.empty:
        return timeline, samples, []
    timeline = timeline.copy()
    samples = samples.copy()
    shift_t = timeline["patient_id"].map(offsets).fillna(0.0).astype("float64")
    timeline["start_day"] = timeline["start_day"] - shift_t
    timeline["stop_day"] = timeline["stop_day"] - shift_t
    shift_s = samples["patient_id"].map(offsets).fillna(0.0).astype("float64")
    samples["collection_day"] = samples["collection_day"] - shift_s
    note = (f"Timeline re-anchored on the first trastuzumab dose for {len(offsets)} patient(s): "
            "their event days and sample collection days were shifted so that day 0 is that dose.")
    return timeline, samples, [note]


# --------------------------------------------------------------------------- read

def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (hex), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def validate_study(folder: str | Path) -> ValidationReport:
    """Validate a study folder without keeping it.  Returns the full report (errors and warnings)."""
    try:
        return read_study(folder).report
    except StudyValidationError as exc:
        return exc.report


def read_study(folder: str | Path) -> Study:
    """Read and validate a cBioPortal study folder.

    Parameters
    ----------
    folder
        The study folder (``meta_*.txt`` + ``data_*.txt``).

    Returns
    -------
    Study
        Tidy tables (see :mod:`analysis.schema`), warnings in ``.report``,
        file checksums in ``.provenance`` and reader notes in ``.notes``.

    Raises
    ------
    StudyValidationError
        Any error in any file: the study is refused whole; ``.report`` lists
        every error and warning with file, line, column and what was expected.
    InputError
        The folder does not exist.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("study folder not found; give the folder holding meta_study.txt and data_*.txt",
                         path=str(folder))
    report = ValidationReport()
    files = _locate_files(folder, report)
    notes: list[str] = []
    used: list[tuple[Path, int]] = []

    def guarded(reader, path: Path, *args):
        try:
            return reader(path, report, *args)
        except InputError as exc:
            report.error(path.name, exc.line, exc.field, str(exc).split(": ", 1)[-1])
            return None

    if files.sample is None:
        report.error(DEFAULT_FILES["sample"], None, None, "no sample file",
                     expected="data_clinical_sample.txt or a meta file with datatype SAMPLE_ATTRIBUTES")
        raise StudyValidationError(report)
    sample_result = guarded(_read_samples, files.sample)
    if sample_result is None:
        raise StudyValidationError(report)
    samples, sample_raw = sample_result
    used.append((files.sample, len(samples)))

    if files.patient is not None:
        patients = guarded(read_patients_file, files.patient)
        if patients is None:
            patients = schema.PATIENTS.empty()
        used.append((files.patient, len(patients)))
        pid_col = find_column(sample_raw.frame, "PATIENT_ID")
        if pid_col is not None and len(patients):
            _check_known(report, sample_raw, pid_col, samples["patient_id"], set(patients["patient_id"].dropna()),
                         "patient", "data_clinical_patient.txt")
    else:
        report.warning(DEFAULT_FILES["patient"], None, None,
                       "no patient file: patients are taken from the sample file, without clinical attributes")
        patients = pd.DataFrame({"patient_id": samples["patient_id"].dropna().unique()})
    known_patients = set(patients["patient_id"].dropna())
    known_samples = set(samples["sample_id"].dropna())

    variants = None
    if files.mutations is not None:
        try:
            variants, maf_report = read_maf(files.mutations)
        except InputError as exc:
            report.error(files.mutations.name, exc.line, exc.field, str(exc).split(": ", 1)[-1])
        else:
            report.messages.extend(maf_report.messages)
            if len(variants):
                maf_raw = RawTable(files.mutations, pd.DataFrame(
                    {"Tumor_Sample_Barcode": variants["sample_id"].astype(object)}),
                    variants.attrs["lines"], ())
                _check_known(report, maf_raw, "Tumor_Sample_Barcode", variants["sample_id"], known_samples,
                             "sample", "data_clinical_sample.txt")
            used.append((files.mutations, len(variants)))

    discrete = log2 = continuous = None
    if files.cna_discrete is not None:
        discrete = guarded(_read_cna_matrix, files.cna_discrete, known_samples, "discrete")
        used.append((files.cna_discrete, 0 if discrete is None else len(discrete)))
    if files.cna_discrete_long is not None:
        long_discrete = guarded(_read_cna_long, files.cna_discrete_long, known_samples)
        used.append((files.cna_discrete_long, 0 if long_discrete is None else len(long_discrete)))
        if long_discrete is not None:
            discrete = long_discrete if discrete is None else pd.concat([discrete, long_discrete])
    if files.cna_log2 is not None:
        log2 = guarded(_read_cna_matrix, files.cna_log2, known_samples, "log2")
        used.append((files.cna_log2, 0 if log2 is None else len(log2)))
    if files.cna_continuous is not None:
        continuous = guarded(_read_cna_matrix, files.cna_continuous, known_samples, "continuous")
        if continuous is not None and len(continuous):
            values = continuous["value"]
            if (values < 0).any() or not 1.5 <= values.median() <= 2.5:
                report.warning(files.cna_continuous.name, None, None,
                               "continuous copy-number values do not look like absolute copy numbers "
                               "(negative values or median far from 2); the file is ignored",
                               expected="absolute copy number, 2 = diploid")
                continuous = None
        used.append((files.cna_continuous, 0 if continuous is None else len(continuous)))
    for seg in files.seg:
        report.warning(seg.name, None, None,
                       "segment file not converted to gene level here; use `python -m analysis ingest` with a "
                       "panel BED to summarise it")
    copy_number = _combine_copy_number(discrete, log2, continuous)

    timelines = []
    for path in files.timelines:
        timeline = guarded(read_timeline_file, path)
        if timeline is None:
            continue
        used.append((path, len(timeline)))
        raw = timeline.attrs.get("raw")
        if raw is not None and len(timeline):
            patient_col = find_column(raw.frame, "PATIENT_ID")
            assert patient_col is not None  # read_timeline_file only attaches "raw" when PATIENT_ID is present
            _check_known(report, raw, patient_col, timeline["patient_id"], known_patients, "patient",
                         "the clinical files")
            specimen = timeline["event_type"].eq("SPECIMEN") & timeline["sample_id"].notna()
            sid_col = find_column(raw.frame, "SAMPLE_ID")
            if sid_col is not None:
                _check_known(report, raw, sid_col, timeline["sample_id"].where(specimen), known_samples, "sample",
                             "data_clinical_sample.txt", level="warning")
        timeline.attrs.clear()
        timelines.append(timeline)
    timeline_table = (pd.concat(timelines, ignore_index=True) if timelines else schema.TIMELINE.empty())

    if not report.ok:
        raise StudyValidationError(report)

    timeline_table, samples, anchor_notes = _reanchor(schema.TIMELINE.conform(timeline_table),
                                                       schema.SAMPLES.conform(samples))
    notes.extend(anchor_notes)
    # Samples without a collection day take it from their SPECIMEN event.
    specimen_days = (timeline_table[timeline_table["event_type"] == "SPECIMEN"]
                     .dropna(subset=["sample_id"]).groupby("sample_id")["start_day"].min())
    no_day = samples["collection_day"].isna() & samples["sample_id"].isin(specimen_days.index)
    if no_day.any():
        samples.loc[no_day, "collection_day"] = samples.loc[no_day, "sample_id"].map(specimen_days)
        notes.append(f"{int(no_day.sum())} sample collection day(s) taken from SPECIMEN timeline events.")

    if variants is not None:
        variants = variants.copy()
        variants.attrs.clear()
    provenance = pd.DataFrame([
        {"file": p.name, "bytes": p.stat().st_size, "sha256": file_sha256(p), "rows": rows} for p, rows in used
    ], columns=["file", "bytes", "sha256", "rows"])
    meta = StudyMeta(
        study_id=files.meta_study.get("cancer_study_identifier", folder.name),
        name=files.meta_study.get("name", folder.name),
        description=files.meta_study.get("description", ""),
        type_of_cancer=files.meta_study.get("type_of_cancer", ""),
    )
    return Study.from_tables(patients=patients, samples=samples, variants=variants, copy_number=copy_number,
                             timeline=timeline_table, meta=meta, report=report, provenance=provenance,
                             notes=tuple(notes), path=str(folder.resolve()))


# --------------------------------------------------------------------------- write

_PATIENT_FILE_COLUMNS = [
    ("PATIENT_ID", "patient_id", "Patient Identifier", "Patient identifier", "STRING"),
    ("HER2_STATUS", "her2_status", "HER2 Status", "Pathology HER2 status (IHC 3+, or 2+ with FISH >= 2.0)", "STRING"),
    ("HER2_IHC", "her2_ihc", "HER2 IHC", "HER2 immunohistochemistry score", "STRING"),
    ("HER2_FISH_RATIO", "her2_fish_ratio", "HER2 FISH Ratio", "ERBB2/CEP17 FISH ratio", "NUMBER"),
    ("PFS_MONTHS", "pfs_months", "Progression Free Survival (Months)", "PFS from the first trastuzumab dose",
     "NUMBER"),
    ("PFS_STATUS", "pfs_event", "Progression Free Status", "0:CENSORED or 1:PROGRESSION", "STRING"),
    ("OS_MONTHS", "os_months", "Overall Survival (Months)", "OS from the first trastuzumab dose", "NUMBER"),
    ("OS_STATUS", "os_event", "Overall Survival Status", "0:LIVING or 1:DECEASED", "STRING"),
]
_SAMPLE_FILE_COLUMNS = [
    ("SAMPLE_ID", "sample_id", "Sample Identifier", "Sample identifier", "STRING"),
    ("PATIENT_ID", "patient_id", "Patient Identifier", "Patient identifier", "STRING"),
    ("SAMPLE_TYPE", "sample_type", "Sample Type", "plasma or tissue", "STRING"),
    ("COLLECTION_DAY", "collection_day", "Collection Day", "Days from the first trastuzumab dose", "NUMBER"),
    ("TIMEPOINT", "timepoint", "Timepoint", "BASELINE, ON_TREATMENT or PROGRESSION", "STRING"),
]
_TIMELINE_FILES = {
    "TREATMENT": ("data_timeline_treatment.txt", ["AGENT"]),
    "LAB_TEST": ("data_timeline_labtest.txt", ["TEST", "RESULT", "UNIT"]),
    "IMAGING": ("data_timeline_imaging.txt", ["TARGET_LESION_SUM_MM", "RECIST_RESPONSE"]),
    "STATUS": ("data_timeline_status.txt", ["STATUS"]),
    "SPECIMEN": ("data_timeline_specimen.txt", ["SAMPLE_ID"]),
}
_MAF_NAMES = {
    "gene": "Hugo_Symbol", "sample_id": "Tumor_Sample_Barcode", "chromosome": "Chromosome",
    "start_position": "Start_Position", "reference_allele": "Reference_Allele",
    "tumor_seq_allele": "Tumor_Seq_Allele2", "variant_classification": "Variant_Classification",
    "protein_change": "HGVSp_Short", "t_ref_count": "t_ref_count", "t_alt_count": "t_alt_count",
    "depth": "t_depth",
}


def _for_file(frame: pd.DataFrame) -> pd.DataFrame:
    """Make whole-number float columns integer so that files read ``61``, not ``61.0``."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_float_dtype(values.dtype):
            finite = values.dropna()
            if len(finite) and (finite == np.round(finite)).all() and finite.abs().max() < 1e15:
                out[col] = values.astype("Int64")
    return out


def _write_table(path: Path, frame: pd.DataFrame, header_rows: list[list[str]] | None = None,
                 convert: bool = True) -> None:
    """Write a tab-separated table (empty cells for missing values) after optional ``#`` header rows."""
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for row in header_rows or []:
            handle.write("#" + "\t".join(row) + "\n")
        (_for_file(frame) if convert else frame).to_csv(handle, sep="\t", index=False, na_rep="",
                                                         lineterminator="\n")


def _write_matrix(path: Path, matrix: pd.DataFrame, integer: bool = False) -> None:
    """Write a gene x sample matrix (index = genes) with a ``Hugo_Symbol`` column, vectorised."""
    values = matrix.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(values)
    text = (np.where(missing, 0, values).astype("int64") if integer else values).astype(str)
    text[missing] = ""
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("\t".join(["Hugo_Symbol", *map(str, matrix.columns)]) + "\n")
        for gene, row in zip(matrix.index, text, strict=True):
            handle.write(str(gene) + "\t" + "\t".join(row) + "\n")


def _gene_by_sample(copy_number: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """Genes x samples (both sorted) of *values*; the first value wins for a repeated (sample, gene)."""
    long = pd.DataFrame({"gene": copy_number["gene"], "sample_id": copy_number["sample_id"], "value": values})
    long = long.dropna(subset=["value"]).drop_duplicates(["gene", "sample_id"])
    matrix = long.set_index(["gene", "sample_id"])["value"].astype("float64").unstack("sample_id")
    return matrix.sort_index().reindex(columns=sorted(matrix.columns))


def _clinical_frame(table: pd.DataFrame, declared) -> tuple[pd.DataFrame, list[list[str]]]:
    out = pd.DataFrame(index=table.index)
    names, descriptions, datatypes, priorities = [], [], [], []
    for file_col, tidy_col, display, description, datatype in declared:
        values = table[tidy_col]
        if tidy_col == "pfs_event":
            values = values.map({True: "1:PROGRESSION", False: "0:CENSORED"})
        elif tidy_col == "os_event":
            values = values.map({True: "1:DECEASED", False: "0:LIVING"})
        out[file_col] = values
        names.append(display)
        descriptions.append(description)
        datatypes.append(datatype)
        priorities.append("1")
    declared_cols = {d[1] for d in declared}
    for extra in [c for c in table.columns if c not in declared_cols]:
        out[extra.upper()] = table[extra]
        names.append(extra.replace("_", " ").title())
        descriptions.append(extra.replace("_", " "))
        datatypes.append("NUMBER" if pd.api.types.is_numeric_dtype(table[extra].dtype) else "STRING")
        priorities.append("1")
    return out, [names, descriptions, datatypes, priorities]


def _meta_text(items: list[tuple[str, str]]) -> str:
    return "".join(f"{key}: {value}\n" for key, value in items)


def write_study(study: Study, folder: str | Path) -> Path:
    """Write *study* as a cBioPortal study folder, replacing *folder* atomically.

    The study is written to a temporary folder beside *folder*, then swapped
    in; if anything fails, *folder* is left exactly as it was.

    Returns the folder path.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.writing-", dir=folder.parent))
    try:
        _write_into(study, staging)
        replace_folder(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def replace_folder(new: Path, target: Path) -> None:
    """Swap *new* into place at *target*: the old folder is moved aside, then removed."""
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        if old.exists():
            shutil.rmtree(old)
        os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_into(study: Study, out: Path) -> None:
    sid = study.meta.study_id
    (out / "meta_study.txt").write_text(_meta_text([
        ("type_of_cancer", study.meta.type_of_cancer or "stad"),
        ("cancer_study_identifier", sid),
        ("name", study.meta.name or sid),
        ("description", study.meta.description or sid),
        ("add_global_case_list", "true"),
    ]))

    def meta(name: str, alteration: str, datatype: str, data_file: str, profile: tuple[str, str, str] | None = None,
             extra: list[tuple[str, str]] | None = None) -> None:
        items = [("cancer_study_identifier", sid), ("genetic_alteration_type", alteration), ("datatype", datatype)]
        if profile:
            items += [("stable_id", profile[0]), ("show_profile_in_analysis_tab", "true"),
                      ("profile_name", profile[1]), ("profile_description", profile[2])]
        items += extra or []
        items.append(("data_filename", data_file))
        (out / name).write_text(_meta_text(items))

    patients, header = _clinical_frame(study.patients, _PATIENT_FILE_COLUMNS)
    _write_table(out / "data_clinical_patient.txt", patients, header)
    meta("meta_clinical_patient.txt", "CLINICAL", "PATIENT_ATTRIBUTES", "data_clinical_patient.txt")
    samples, header = _clinical_frame(study.samples, _SAMPLE_FILE_COLUMNS)
    _write_table(out / "data_clinical_sample.txt", samples, header)
    meta("meta_clinical_sample.txt", "CLINICAL", "SAMPLE_ATTRIBUTES", "data_clinical_sample.txt")

    variants = study.variants.rename(columns=_MAF_NAMES)
    variants = variants.drop(columns=["vaf"])
    variants["HGVSp_Short"] = variants["HGVSp_Short"].map(lambda p: p if pd.isna(p) else f"p.{p}")
    _write_table(out / "data_mutations.txt", variants)
    meta("meta_mutations.txt", "MUTATION_EXTENDED", "MAF", "data_mutations.txt",
         ("mutations", "Mutations", "Somatic mutations in plasma and tissue (targeted panel)"),
         [("swissprot_identifier", "name")])

    cn = study.copy_number
    if cn["cna_discrete"].notna().any():
        _write_matrix(out / "data_cna.txt", _gene_by_sample(cn, cn["cna_discrete"]), integer=True)
        meta("meta_cna.txt", "COPY_NUMBER_ALTERATION", "DISCRETE", "data_cna.txt",
             ("gistic", "Putative copy-number alterations", "Discrete calls -2..2 from panel copy number"))
    if cn["log2_ratio"].notna().any() or cn["copy_number"].notna().any():
        log2 = cn["log2_ratio"].where(cn["log2_ratio"].notna(), np.log2(cn["copy_number"].clip(lower=1e-3) / 2.0))
        _write_matrix(out / "data_log2_cna.txt", _gene_by_sample(cn, log2))
        meta("meta_log2_cna.txt", "COPY_NUMBER_ALTERATION", "LOG2-VALUE", "data_log2_cna.txt",
             ("log2CNA", "Log2 copy-number values", "Gene-level log2 copy ratio; absolute CN = 2 x 2^log2"))

    timeline = study.timeline
    declared = set(schema.TIMELINE.names)
    extras = [c for c in timeline.columns if c not in declared]
    for event_type, (filename, columns) in _TIMELINE_FILES.items():
        rows = timeline[timeline["event_type"] == event_type]
        if rows.empty:
            continue
        frame = pd.DataFrame({
            "PATIENT_ID": rows["patient_id"], "START_DATE": rows["start_day"], "STOP_DATE": rows["stop_day"],
            "EVENT_TYPE": rows["event_type"],
        })
        for col in columns:
            frame[col] = rows[TIMELINE_COLUMNS[col]]
        for extra in extras:
            if rows[extra].notna().any():
                frame[extra.upper()] = rows[extra]
        _write_table(out / filename, frame)
        meta("meta_" + filename[len("data_"):], "CLINICAL", "TIMELINE", filename)
    other = timeline[~timeline["event_type"].isin(list(_TIMELINE_FILES))]
    if len(other):
        frame = other.rename(columns={v: k for k, v in TIMELINE_COLUMNS.items()})
        frame.columns = [str(c).upper() for c in frame.columns]
        _write_table(out / "data_timeline_other.txt", frame)
        meta("meta_timeline_other.txt", "CLINICAL", "TIMELINE", "data_timeline_other.txt")


def study_file_fingerprint(folder: str | Path) -> str:
    """A cheap fingerprint of a study folder's files (names, sizes, modification times).

    Used to notice that a file changed without re-reading the study.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.txt")) + sorted(Path(folder).glob("*.seg")):
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


__all__ = ["read_study", "validate_study", "write_study", "read_meta", "study_file_fingerprint", "replace_folder"]

