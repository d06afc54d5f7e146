"""Read, validate and write a study folder in the cBioPortal study format (design.md section 2).

``read_study`` is all-or-nothing: it validates every file, and a study with
any error is refused whole (:class:`~analysis.errors.StudyValidationError`
carries the full report); warnings travel with the returned study.
``write_study`` writes to a temporary folder beside the target and swaps it in,
so an existing study is never half-updated.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import schema
from analysis.alterations import mark_matched_normal_variants
from analysis.errors import InputError, StudyValidationError
from analysis.io.folder_swap import recover_folder, replace_folder, staging_folder
from analysis.io.maf import read_maf
from analysis.io.profiling import read_case_list, read_gene_panel_definition, read_gene_panel_matrix
from analysis.io.seg import read_seg
from analysis.io.structural_variants import read_structural_variants
from analysis.io.study_files import ROLE_LABELS, StudyFiles, locate_study_files, read_meta
from analysis.io.tables import (
    MAX_MESSAGES_PER_COLUMN,
    RawTable,
    find_column,
    missing_mask,
    read_raw_table,
    text_column,
    to_number,
)
from analysis.study import Study, StudyMeta
from analysis.validation import ValidationReport

#: Conventional data file names (the full list of names and patterns is in analysis.io.study_files).
DEFAULT_FILES = {
    "patient": "data_clinical_patient.txt",
    "sample": "data_clinical_sample.txt",
    "mutations": "data_mutations.txt",
    "cna": "data_cna.txt",
    "log2": "data_log2_cna.txt",
}

#: Words (lower case, matched on word boundaries) that say what a sample is. A matched normal is
#: never plasma: whole blood, buffy coat and germline samples are normals.
SAMPLE_TYPE_WORDS: tuple[tuple[str, str], ...] = (
    ("normal", r"whole blood|buffy|normal|germline|pbmc|white blood|leukocyte|granulocyte"),
    ("plasma", r"plasma|cfdna|ctdna|cell[- ]free|liquid biopsy|liquid"),
    ("tissue", r"tissue|ffpe|biopsy|primary|metasta\w*|tumou?r|recurren\w*|resection|surgical|solid"),
)
#: Columns that may say what a sample is, in the order they are consulted.
SAMPLE_TYPE_COLUMNS = ("SAMPLE_TYPE", "SAMPLE_CLASS", "SPECIMEN_TYPE", "SAMPLE_SOURCE", "TISSUE_SOURCE",
                       "SPECIMEN_SOURCE")
TIMEPOINT_SYNONYMS = {
    "BASELINE": "BASELINE", "PRE-TREATMENT": "BASELINE", "PRETREATMENT": "BASELINE",
    "ON_TREATMENT": "ON_TREATMENT", "ON-TREATMENT": "ON_TREATMENT", "ON TREATMENT": "ON_TREATMENT",
    "ONTREATMENT": "ON_TREATMENT", "PROGRESSION": "PROGRESSION", "PD": "PROGRESSION",
}
HER2_STATUS_SYNONYMS = {"POSITIVE": "POSITIVE", "POS": "POSITIVE", "NEGATIVE": "NEGATIVE", "NEG": "NEGATIVE"}
#: Survival status words without the 0:/1: code -> event (True) or censored (False).
STATUS_WORDS = {
    "LIVING": False, "ALIVE": False, "CENSORED": False, "CENSOR": False, "NO PROGRESSION": False,
    "PROGRESSION FREE": False, "NOT PROGRESSED": False, "DISEASE FREE": False, "NO": False, "FALSE": False,
    "DECEASED": True, "DEAD": True, "DIED": True, "DEATH": True, "PROGRESSED": True, "PROGRESSION": True,
    "RECURRED": True, "RECURRED/PROGRESSED": True, "EVENT": True, "YES": True, "TRUE": True,
}
#: Time values that mean "not known" rather than a number.
#: Longest survival time read as a measurement (100 years); a larger value (a typo, 1e308) is missing.
MAX_SURVIVAL_MONTHS = 1200.0
UNKNOWN_TIMES = frozenset({"UNKNOWN", "INF", "-INF", "+INF", "INFINITY", "-INFINITY", "NOT KNOWN", "UNK"})
TRASTUZUMAB_NAMES = ("TRASTUZUMAB", "HERCEPTIN")

#: Timeline file column -> tidy column.
TIMELINE_COLUMNS = {
    "PATIENT_ID": "patient_id", "START_DATE": "start_day", "STOP_DATE": "stop_day",
    "EVENT_TYPE": "event_type", "AGENT": "agent", "TEST": "test", "RESULT": "result", "UNIT": "unit",
    "TARGET_LESION_SUM_MM": "target_lesion_sum_mm", "RECIST_RESPONSE": "recist_response",
    "STATUS": "status", "SAMPLE_ID": "sample_id",
}


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


def _mapped(raw: RawTable, column: str | None, mapping: dict[str, str], report: ValidationReport,
            expected: str, level: str = "warning") -> pd.Series:
    """Map text through a synonym table; unknown non-missing values are reported and set missing."""
    text = text_column(raw, column)
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
    """``1:PROGRESSION`` -> True, ``0:CENSORED`` -> False.

    The bare words of :data:`STATUS_WORDS` (``DECEASED``, ``LIVING``, ``PROGRESSED``, ...) are accepted
    with one warning counting them; ``UNKNOWN`` and the missing-value words are missing (counted in a
    warning), never censored; anything else is an error naming the line.
    """
    text = text_column(raw, column)
    if column is None:
        return pd.Series(pd.NA, index=raw.frame.index, dtype="boolean")
    code = text.str.extract(r"^\s*([01])\s*:", expand=False)
    event = code.map({"1": True, "0": False})
    upper = text.str.upper().str.strip()
    by_word = code.isna() & upper.isin(list(STATUS_WORDS))
    event = event.where(~by_word, upper.map(STATUS_WORDS))
    if by_word.any():
        _count_rows(report, raw, column, by_word,
                    f"status given as a bare word (e.g. {text[by_word].iloc[0]!r}) without the 0:/1: code: "
                    "read as " + ", ".join(sorted({f"{w} = {'event' if STATUS_WORDS[w] else 'censored'}"
                                                   for w in upper[by_word].unique()})), expected)
    unknown = code.isna() & ~by_word & upper.isin(["UNKNOWN", "UNK", "NOT KNOWN", "[UNKNOWN]"])
    if unknown.any():
        _count_rows(report, raw, column, unknown, "status unknown: missing (not censored)", expected)
    bad = text.notna() & code.isna() & ~by_word & ~unknown
    _bad_rows(report, raw, column, bad, expected)
    return event.where(~unknown).astype("boolean")


def _count_rows(report: ValidationReport, raw: RawTable, column: str, rows: pd.Series, message: str,
                expected: str = "") -> None:
    """One warning for many rows: the count and the first lines."""
    lines = raw.lines[np.flatnonzero(rows.fillna(False).to_numpy())]
    shown = ", ".join(map(str, lines[:10])) + (", ..." if len(lines) > 10 else "")
    report.warning(raw.name, int(lines[0]) if len(lines) == 1 else None, column,
                   f"{message} ({len(lines)} row(s): line(s) {shown})", expected)


def _survival_time(raw: RawTable, column: str | None, report: ValidationReport) -> pd.Series:
    """Months; ``UNKNOWN``, ``Inf``, ``-Inf`` and blanks are missing (counted in a warning), not errors."""
    if column is None:
        return pd.Series(np.nan, index=raw.frame.index, dtype="float64")
    upper = raw.frame[column].astype(str).str.strip().str.upper()
    unknown = upper.isin(list(UNKNOWN_TIMES))
    numbers, bad = to_number(raw.frame[column].where(~unknown, ""))
    infinite = numbers.notna() & ~np.isfinite(numbers)
    unknown = unknown | infinite
    if unknown.any():
        _count_rows(report, raw, column, unknown, "time not known (UNKNOWN / Inf): missing, the patient is "
                    "left out of survival analyses of this endpoint")
    implausible = numbers.abs() > MAX_SURVIVAL_MONTHS
    if implausible.any():
        _count_rows(report, raw, column, implausible, f"implausible time (beyond {MAX_SURVIVAL_MONTHS:g} months): "
                    "missing, the patient is left out of survival analyses of this endpoint",
                    f"at most {MAX_SURVIVAL_MONTHS:g} months")
        unknown = unknown | implausible
    _bad_rows(report, raw, column, bad, "a number of months", what="not a number:")
    return numbers.where(~unknown)


def _her2_ihc(raw: RawTable, column: str | None, report: ValidationReport) -> pd.Series:
    """``IHC 3+``, ``3+``, ``3``, ``Positive (3+)``, ``Score 2+`` -> ``3+`` / ``2+``; ``0`` stays ``0``."""
    text = text_column(raw, column)
    if column is None:
        return text
    with_plus = text.str.extract(r"(?<![\d.])([0-3])\s*\+", expand=False)
    bare = text.str.extract(r"^\s*(?:IHC|SCORE)?\s*:?\s*([0-3])\s*$", flags=re.IGNORECASE, expand=False)
    digit = with_plus.where(with_plus.notna(), bare)
    score = digit.map({"0": "0", "1": "1+", "2": "2+", "3": "3+"}).astype("string")
    unknown = text.notna() & score.isna()
    _bad_rows(report, raw, column, unknown, "0, 1+, 2+ or 3+ (also IHC 3+, 3, Positive (3+))", level="warning",
              what="unrecognised value")
    restyled = text.notna() & score.notna() & (text != score)
    if restyled.any():
        _count_rows(report, raw, column, restyled,
                    f"HER2 IHC written as e.g. {text[restyled].iloc[0]!r}: read as {score[restyled].iloc[0]!r}")
    return score


def classify_sample_type(values: pd.Series) -> pd.Series:
    """Text -> ``plasma`` / ``tissue`` / ``normal`` by words, case-insensitive; missing when none applies.

    >>> classify_sample_type(pd.Series(["cfDNA", "Blood plasma", "Whole Blood", "Unknown Tumor", "Blood"])).tolist()
    ['plasma', 'plasma', 'normal', 'tissue', <NA>]
    """
    lower = values.astype("string").str.lower()
    result = pd.Series(pd.NA, index=values.index, dtype="string")
    for kind, pattern in SAMPLE_TYPE_WORDS:
        hit = result.isna() & lower.str.contains(rf"\b(?:{pattern})", regex=True).fillna(False)
        result = result.where(~hit, kind)
    return result


def _sample_types(raw: RawTable, report: ValidationReport, notes: list[str]) -> tuple[pd.Series, list[str]]:
    """The sample type of each row from every column that may say it: a normal or plasma word in any of
    them wins over a tissue word (``SAMPLE_TYPE`` = Primary with ``SAMPLE_CLASS`` = cfDNA is plasma)."""
    columns = [c for c in (find_column(raw.frame, name) for name in SAMPLE_TYPE_COLUMNS) if c is not None]
    result = pd.Series(pd.NA, index=raw.frame.index, dtype="string")
    source = pd.Series(pd.NA, index=raw.frame.index, dtype="string")
    for kind in ("normal", "plasma", "tissue"):
        for column in columns:
            hit = result.isna() & classify_sample_type(text_column(raw, column)).eq(kind).fillna(False)
            result = result.where(~hit, kind)
            source = source.where(~hit, column)
    if columns:
        primary = columns[0]
        unknown = text_column(raw, primary).notna() & result.isna()
        _bad_rows(report, raw, primary, unknown,
                  "plasma (cfDNA, ctDNA, plasma), tissue (FFPE, biopsy, primary, metastasis, tumour) or a matched "
                  "normal (whole blood, buffy coat, normal, germline)", level="warning", what="unrecognised value")
        others = source.notna() & (source != primary)
        primary_text = text_column(raw, primary)
        for column in sorted(set(source[others].dropna())):
            rows = source.eq(column).fillna(False)
            notes.append(f"Sample type of {int(rows.sum())} sample(s) taken from {column}, because "
                         f"{primary} names no plasma or normal for them (e.g. {primary} "
                         f"{primary_text[rows].iloc[0]!r}, {column} {text_column(raw, column)[rows].iloc[0]!r}).")
        normals = int(result.eq("normal").sum())
        if normals:
            notes.append(f"{normals} matched normal sample(s) (whole blood, buffy coat, normal or germline) are "
                         "kept as normals: never counted as plasma or tissue.")
    return result, columns


def _extras(raw: RawTable, interpreted: Iterable[str | None]) -> pd.DataFrame:
    used = {c for c in interpreted if c is not None}
    extra_cols = [c for c in raw.frame.columns if c not in used]
    columns: dict[str, pd.Series] = {}
    for col in extra_cols:
        values = raw.frame[col].where(~missing_mask(raw.frame[col]))
        numbers = pd.to_numeric(values, errors="coerce")
        is_numeric = values.notna().any() and numbers[values.notna()].notna().all()
        columns[col.lower()] = numbers.astype("float64") if is_numeric else values.astype("string")
    # One frame from all columns at once: inserting them one by one is quadratic in the column count.
    return pd.DataFrame(columns, index=raw.frame.index)


def _duplicates(report: ValidationReport, raw: RawTable, column: str, ids: pd.Series, what: str) -> None:
    dup = ids.notna() & ids.duplicated(keep="first")
    for pos in np.flatnonzero(dup.to_numpy())[:MAX_MESSAGES_PER_COLUMN]:
        first = int(raw.lines[np.flatnonzero((ids == ids.iloc[pos]).fillna(False).to_numpy(dtype=bool))[0]])
        report.error(raw.name, int(raw.lines[pos]), column,
                     f"duplicate {what} {ids.iloc[pos]!r} (first on line {first})", expected=f"each {what} once")


# --------------------------------------------------------------------------- clinical

#: Most columns a clinical or timeline file may have (real studies have tens to a few hundred attributes);
#: beyond it the file is refused before any per-column work, so an absurd shape cannot stall a read.
MAX_CLINICAL_COLUMNS = 1000


def _read_table(path: Path, report: ValidationReport, max_columns: int | None = None) -> RawTable:
    """:func:`read_raw_table`, with the repairs it made reported as warnings.

    Raises
    ------
    InputError
        More than *max_columns* columns (when given).
    """
    raw = read_raw_table(path)
    if max_columns is not None and raw.frame.shape[1] > max_columns:
        raise InputError(f"{raw.frame.shape[1]:,} columns: more than the {max_columns:,} attributes a clinical "
                         "or timeline file may have; is this a gene x sample matrix given as a clinical file?",
                         path=str(path), line=int(raw.lines[0]) - 1 if len(raw.lines) else None)
    raw.report_warnings(report)
    return raw


def read_patients_file(path: Path, report: ValidationReport) -> pd.DataFrame:
    """A cBioPortal patient file -> the tidy patients table; findings go to *report*."""
    raw = _read_table(path, report, MAX_CLINICAL_COLUMNS)
    f = raw.frame
    id_col = find_column(f, "PATIENT_ID")
    if id_col is None:
        report.error(raw.name, None, "PATIENT_ID", "required column is missing", expected="a PATIENT_ID column")
        return schema.PATIENTS.empty()
    cols = {key: find_column(f, key) for key in ("HER2_STATUS", "HER2_IHC", "HER2_FISH_RATIO", "PFS_MONTHS",
                                                  "PFS_STATUS", "OS_MONTHS", "OS_STATUS")}
    ids = text_column(raw, id_col)
    _bad_rows(report, raw, id_col, ids.isna(), "a patient identifier", what="empty identifier")
    _duplicates(report, raw, id_col, ids, "patient")
    tidy = pd.DataFrame({
        "patient_id": ids,
        "her2_status": _mapped(raw, cols["HER2_STATUS"], HER2_STATUS_SYNONYMS, report, "POSITIVE or NEGATIVE"),
        "her2_ihc": _her2_ihc(raw, cols["HER2_IHC"], report),
        "her2_fish_ratio": _number(raw, cols["HER2_FISH_RATIO"], report, "an ERBB2/CEP17 ratio (number)"),
        "pfs_months": _survival_time(raw, cols["PFS_MONTHS"], report),
        "pfs_event": _status_event(raw, cols["PFS_STATUS"], report, "0:CENSORED or 1:PROGRESSION"),
        "os_months": _survival_time(raw, cols["OS_MONTHS"], report),
        "os_event": _status_event(raw, cols["OS_STATUS"], report, "0:LIVING or 1:DECEASED"),
    })
    for months in ("pfs_months", "os_months"):
        column = cols[months.upper()]
        if column is not None:
            _bad_rows(report, raw, column, tidy[months] < 0, "a non-negative number of months",
                      what="negative time")
    return pd.concat([tidy, _extras(raw, [id_col, *cols.values()])], axis=1)


def _read_samples(path: Path, report: ValidationReport, notes: list[str]) -> tuple[pd.DataFrame, RawTable]:
    raw = _read_table(path, report, MAX_CLINICAL_COLUMNS)
    f = raw.frame
    sid_col, pid_col = find_column(f, "SAMPLE_ID"), find_column(f, "PATIENT_ID")
    for col, name in ((sid_col, "SAMPLE_ID"), (pid_col, "PATIENT_ID")):
        if col is None:
            report.error(raw.name, None, name, "required column is missing", expected=f"a {name} column")
    if sid_col is None or pid_col is None:
        return schema.SAMPLES.empty(), raw
    sample_types, type_cols = _sample_types(raw, report, notes)
    type_col = type_cols[0] if type_cols else None
    day_col = find_column(f, "COLLECTION_DAY")
    tp_col = find_column(f, "TIMEPOINT")
    ids = text_column(raw, sid_col)
    _bad_rows(report, raw, sid_col, ids.isna(), "a sample identifier", what="empty identifier")
    _duplicates(report, raw, sid_col, ids, "sample")
    tidy = pd.DataFrame({
        "sample_id": ids,
        "patient_id": text_column(raw, pid_col),
        "sample_type": sample_types,
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
    raw = _read_table(path, report)
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
                         expected="a SAMPLE_ID of the sample file")
    genes = text_column(raw, gene_col)
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
    numbers = _implausible_copy_number_as_missing(report, raw, numbers, kind, sample_cols)
    bad_positions = np.flatnonzero(bad.to_numpy())
    for pos in bad_positions[:MAX_MESSAGES_PER_COLUMN]:
        row, col = divmod(int(pos), n_samples)
        report.error(raw.name, int(raw.lines[row]), sample_cols[col],
                     f"invalid copy-number value {text[pos]!r}", expected)
    if len(bad_positions) > MAX_MESSAGES_PER_COLUMN:
        report.error(raw.name, None, None,
                     f"{len(bad_positions) - MAX_MESSAGES_PER_COLUMN} more invalid copy-number values", expected)
    if kind == "continuous":
        negative = (numbers < 0).to_numpy()
        if negative.any():
            rows_hit = np.unique(np.flatnonzero(negative) // n_samples)
            mask = pd.Series(np.isin(np.arange(len(f)), rows_hit), index=f.index)
            _count_rows(report, raw, sample_cols[int(np.flatnonzero(negative)[0]) % n_samples], mask,
                        f"{int(negative.sum())} negative linear copy number(s): read as missing",
                        "a copy number >= 0")
            bad = bad | pd.Series(negative)
    repeated = genes.notna() & genes.duplicated(keep=False)
    if repeated.any():
        names = sorted(set(genes[repeated]))
        _count_rows(report, raw, gene_col, repeated,
                    f"{len(names)} gene(s) listed more than once ({', '.join(names[:5])}"
                    f"{', ...' if len(names) > 5 else ''}): which row holds the value is unknown, so the gene's "
                    "values in this file are read as missing", "each gene on one row")
        bad = bad | pd.Series(np.repeat(repeated.to_numpy(), n_samples))
    out = pd.DataFrame({
        "sample_id": np.tile(np.asarray(sample_cols, dtype=object), len(f)),
        "gene": np.repeat(genes.to_numpy(dtype=object), n_samples),
        "value": numbers.where(~bad).to_numpy(),
    })
    return out[out["gene"].notna() & out["value"].notna()].reset_index(drop=True)


#: Largest |log2 copy ratio| read as a measurement: 2^10 x diploid is 2,048 copies, beyond any amplicon
#: reported (ERBB2 reaches about 100 copies in tissue).  A larger value (a typo, 1e308) is missing.
MAX_ABS_LOG2_RATIO = 10.0
#: Largest absolute copy number read as a measurement (the same bound, in copies).
MAX_COPY_NUMBER = 2.0 * 2.0 ** MAX_ABS_LOG2_RATIO


def _implausible_copy_number_as_missing(report: ValidationReport, raw: RawTable, numbers: pd.Series, kind: str,
                                        sample_cols: list[str]) -> pd.Series:
    """Log2 ratios beyond +/-:data:`MAX_ABS_LOG2_RATIO` (continuous copy number above :data:`MAX_COPY_NUMBER`)
    become missing, with one warning counting them and naming the first lines: one such value would
    otherwise dominate every copy-number statistic, axis and cutoff grid."""
    if kind == "log2":
        implausible, bound = numbers.abs() > MAX_ABS_LOG2_RATIO, f"a log2 copy ratio within +/-{MAX_ABS_LOG2_RATIO:g}"
    elif kind == "continuous":
        implausible, bound = numbers > MAX_COPY_NUMBER, f"a copy number of at most {MAX_COPY_NUMBER:g}"
    else:
        return numbers
    positions = np.flatnonzero(implausible.to_numpy())
    if len(positions):
        rows = sorted({int(raw.lines[int(p) // len(sample_cols)]) for p in positions})
        shown = ", ".join(map(str, rows[:10])) + (", ..." if len(rows) > 10 else "")
        first_row, first_col = divmod(int(positions[0]), len(sample_cols))
        report.warning(raw.name, rows[0] if len(rows) == 1 else None, sample_cols[first_col] if len(positions) == 1
                       else None, f"{len(positions)} implausible copy-number value(s) (e.g. "
                       f"{raw.frame[sample_cols[first_col]].iloc[first_row]!r} for sample "
                       f"{sample_cols[first_col]}): treated as missing (line(s) {shown})", bound)
    return numbers.where(~implausible)


def _read_cna_long(path: Path, report: ValidationReport, known_samples: set[str]) -> pd.DataFrame:
    """cBioPortal DISCRETE_LONG (Hugo_Symbol, Sample_Id, Value) -> (sample_id, gene, value)."""
    raw = _read_table(path, report)
    f = raw.frame
    gene_col, sample_col, value_col = (find_column(f, "Hugo_Symbol"), find_column(f, "Sample_Id", "SAMPLE_ID"),
                                       find_column(f, "Value"))
    for col, name in ((gene_col, "Hugo_Symbol"), (sample_col, "Sample_Id"), (value_col, "Value")):
        if col is None:
            report.error(raw.name, None, name, "required column is missing", expected=f"a {name} column")
    if gene_col is None or sample_col is None or value_col is None:
        return pd.DataFrame(columns=["sample_id", "gene", "value"])
    samples = text_column(raw, sample_col)
    _check_known(report, raw, sample_col, samples, known_samples, "sample", "data_clinical_sample.txt")
    numbers, bad = to_number(f[value_col])
    bad = bad | (numbers.notna() & ~numbers.isin([-2, -1.5, -1, 0, 1, 2]))
    _bad_rows(report, raw, value_col, bad, "a discrete copy-number call -2, -1, 0, 1 or 2")
    genes = text_column(raw, gene_col)
    _bad_rows(report, raw, gene_col, genes.isna(), "a HUGO gene symbol", what="empty gene symbol")
    # One call per gene and sample (an error in cBioPortal too: "Duplicated gene found within the same sample").
    _duplicates(report, raw, gene_col, (samples + " / " + genes).where(samples.notna() & genes.notna()),
                "sample / gene")
    return pd.DataFrame({"sample_id": samples, "gene": genes, "value": numbers.where(~bad)}).dropna()


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
    raw = _read_table(path, report, MAX_CLINICAL_COLUMNS)
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
                if tidy_col == "target_lesion_sum_mm" and (numbers < 0).any():
                    _count_rows(report, raw, column, numbers < 0,
                                "negative target-lesion size: read as missing", "a size in mm >= 0")
                    numbers = numbers.where(~(numbers < 0))
                tidy[tidy_col] = numbers
        else:
            tidy[tidy_col] = text_column(raw, cols[file_col])
    backwards = tidy["stop_day"] < tidy["start_day"]
    if backwards.any():
        _count_rows(report, raw, cols["STOP_DATE"] or "STOP_DATE", backwards,
                    "STOP_DATE before START_DATE: the stop day is read as missing", "a stop day >= the start day")
        tidy["stop_day"] = tidy["stop_day"].where(~backwards)
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
    return inspect_study(folder)[0]


def inspect_study(folder: str | Path) -> tuple[ValidationReport, pd.DataFrame, Study | None]:
    """Read a study folder for its report: (report, file listing, the study or None when refused)."""
    try:
        study = read_study(folder)
    except StudyValidationError as exc:
        files = exc.files if exc.files is not None else pd.DataFrame(columns=["file", "read_as", "found_by",
                                                                              "reason"])
        return exc.report, files, None
    return study.report, study.files, study


def read_study(folder: str | Path) -> Study:
    """Read and validate a cBioPortal study folder.

    Every file is read before the study is refused, so the report lists every problem at once.

    Parameters
    ----------
    folder
        The study folder (``meta_*.txt`` + data files; see :mod:`analysis.io.study_files` for how
        files are found with and without meta files).

    Returns
    -------
    Study
        Tidy tables (see :mod:`analysis.schema`), warnings in ``.report``, file checksums in
        ``.provenance``, every file of the folder with what it was read as (or why not) in ``.files``,
        reader notes in ``.notes``.

    Raises
    ------
    StudyValidationError
        Any error in any file: the study is refused whole; ``.report`` lists
        every error and warning with file, line, column and what was expected.
    InputError
        The folder does not exist.
    """
    folder = Path(folder)
    recovered = recover_folder(folder)
    if not folder.is_dir():
        raise InputError("study folder not found; give the folder holding meta_study.txt and data_*.txt",
                         path=str(folder))
    reading = _StudyReading(folder)
    reading.notes.extend(recovered)
    return reading.read()


class _StudyReading:
    """One read of one study folder, in named steps; every step reports into one report."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.report = ValidationReport()
        self.files: StudyFiles = locate_study_files(folder, self.report)
        self.notes: list[str] = []
        self.used: list[tuple[Path, int]] = []

    def guarded(self, reader, path: Path, *args):
        try:
            return reader(path, self.report, *args)
        except InputError as exc:
            self.report.error(self._name(path), exc.line, exc.field, str(exc).split(": ", 1)[-1])
            return None

    @property
    def sample_source(self) -> str:
        path = self.files.one("sample")
        return path.name if path is not None else "the sample file"

    def _name(self, path: Path) -> str:
        return path.relative_to(self.folder).as_posix() if path.is_relative_to(self.folder) else path.name

    def read(self) -> Study:
        samples, sample_raw = self.read_samples()
        patients = self.read_patients(samples, sample_raw)
        known_samples = set(samples["sample_id"].dropna())
        known_patients = set(patients["patient_id"].dropna())
        normals = set(samples.loc[samples["sample_type"].eq("normal").fillna(False), "sample_id"].dropna())
        variants = self.read_mutations(known_samples, normals)
        if variants is not None and normals:
            variants, n_germline = mark_matched_normal_variants(variants, samples)
            self.notes.append(f"{n_germline} plasma or tissue variant(s) are also in the patient's matched normal: "
                              "germline, left out of concordance, mechanisms, oncoprints, gene groupings and the "
                              "tumour fraction.")
        copy_number = self.read_copy_number(known_samples)
        segments = self.read_segments(known_samples)
        structural = self.read_structural_variants(known_samples)
        gene_panels, panel_genes = self.read_gene_panels(known_samples, samples, sample_raw)
        case_lists = self.read_case_lists(known_samples)
        timeline = self.read_timelines(known_patients, known_samples)
        if not self.report.ok:
            raise StudyValidationError(self.report, files=self.file_listing())
        timeline, samples = self.anchor_days(timeline, samples)
        return Study.from_tables(
            patients=patients, samples=samples, variants=variants, copy_number=copy_number, timeline=timeline,
            meta=self.study_meta(), report=self.report, provenance=self.provenance(), notes=tuple(self.notes),
            path=str(self.folder.resolve()), structural_variants=structural, gene_panels=gene_panels,
            panel_genes=panel_genes, case_lists=case_lists, segments=segments, files=self.file_listing())

    # ---------------------------------------------------------------- clinical
    def read_samples(self) -> tuple[pd.DataFrame, RawTable | None]:
        path = self.files.one("sample")
        if path is None:
            self.report.error(DEFAULT_FILES["sample"], None, None, "no sample file",
                              expected="data_clinical_sample.txt, data_samples.txt or a meta file with "
                                       "datatype SAMPLE_ATTRIBUTES")
            return schema.SAMPLES.empty(), None
        result = self.guarded(_read_samples, path, self.notes)
        if result is None:
            return schema.SAMPLES.empty(), None
        samples, raw = result
        self.used.append((path, len(samples)))
        return samples, raw

    def read_patients(self, samples: pd.DataFrame, sample_raw: RawTable | None) -> pd.DataFrame:
        path = self.files.one("patient")
        if path is None:
            self.report.warning(DEFAULT_FILES["patient"], None, None,
                                "no patient file: patients are taken from the sample file, without clinical "
                                "attributes")
            return pd.DataFrame({"patient_id": samples["patient_id"].dropna().unique()})
        patients = self.guarded(read_patients_file, path)
        if patients is None:
            return schema.PATIENTS.empty()
        self.used.append((path, len(patients)))
        if sample_raw is not None and len(patients):
            pid_col = find_column(sample_raw.frame, "PATIENT_ID")
            if pid_col is not None:
                _check_known(self.report, sample_raw, pid_col, samples["patient_id"],
                             set(patients["patient_id"].dropna()), "patient", path.name)
        return patients

    # ---------------------------------------------------------------- alterations
    def read_mutations(self, known_samples: set[str], normals: set[str]) -> pd.DataFrame | None:
        path = self.files.one("mutations")
        if path is None:
            return None
        try:
            variants, maf_report = read_maf(path, normal_samples=normals)
        except InputError as exc:
            self.report.error(path.name, exc.line, exc.field, str(exc).split(": ", 1)[-1])
            return None
        self.report.messages.extend(maf_report.messages)
        if len(variants) and known_samples:
            maf_raw = RawTable(path, pd.DataFrame({"Tumor_Sample_Barcode": variants["sample_id"].astype(object)}),
                               variants.attrs["lines"], ())
            _check_known(self.report, maf_raw, "Tumor_Sample_Barcode", variants["sample_id"], known_samples,
                         "sample", self.sample_source)
        self.used.append((path, len(variants)))
        variants = variants.copy()
        variants.attrs.clear()
        return variants

    def read_copy_number(self, known_samples: set[str]) -> pd.DataFrame:
        discrete = log2 = continuous = None
        path = self.files.one("cna_discrete")
        if path is not None:
            discrete = self.guarded(_read_cna_matrix, path, known_samples, "discrete")
            self.used.append((path, 0 if discrete is None else len(discrete)))
        path = self.files.one("cna_discrete_long")
        if path is not None:
            long_discrete = self.guarded(_read_cna_long, path, known_samples)
            self.used.append((path, 0 if long_discrete is None else len(long_discrete)))
            if long_discrete is not None:
                discrete = long_discrete if discrete is None else pd.concat([discrete, long_discrete])
        path = self.files.one("cna_log2")
        if path is not None:
            log2 = self.guarded(_read_cna_matrix, path, known_samples, "log2")
            self.used.append((path, 0 if log2 is None else len(log2)))
        path = self.files.one("cna_continuous")
        if path is not None:
            continuous = self.guarded(_read_cna_matrix, path, known_samples, "continuous")
            if continuous is not None and len(continuous):
                values = continuous["value"]
                if (values < 0).any() or not 1.5 <= values.median() <= 2.5:
                    reason = ("continuous copy-number values do not look like absolute copy numbers "
                              "(negative values or median far from 2)")
                    self.report.warning(path.name, None, None, reason + "; the file is not used",
                                        expected="absolute copy number, 2 = diploid")
                    self.files.mark_unread(path, reason)
                    continuous = None
            if continuous is not None:
                self.used.append((path, len(continuous)))
        return _combine_copy_number(discrete, log2, continuous)

    def read_segments(self, known_samples: set[str]) -> pd.DataFrame:
        parts = []
        for path in self.files.all("seg"):
            try:
                segments = read_seg(path)
            except InputError as exc:
                self.report.error(path.name, exc.line, exc.field, str(exc).split(": ", 1)[-1])
                continue
            segments = segments.assign(chromosome=segments["chromosome"].astype(str).str.replace(
                r"^chr", "", regex=True, case=False))
            unknown = sorted(set(segments["sample_id"].astype(str)) - known_samples) if known_samples else []
            if unknown:
                self.report.warning(path.name, None, "ID", f"{len(unknown)} sample(s) not in the sample file, "
                                    f"e.g. {unknown[0]!r}: their segments are not used", "a SAMPLE_ID")
                segments = segments[~segments["sample_id"].astype(str).isin(unknown)]
            self.used.append((path, len(segments)))
            parts.append(segments)
        if parts:
            self.notes.append("Copy-number segments (SEG) are kept as segments; gene-level copy number comes from "
                              "the study's gene-level files (or `python -m analysis ingest` with a panel BED).")
        return pd.concat(parts, ignore_index=True) if parts else schema.SEGMENTS.empty()

    def read_structural_variants(self, known_samples: set[str]) -> pd.DataFrame:
        parts = []
        for path in self.files.all("structural_variants"):
            events = self.guarded(read_structural_variants, path)
            if events is None:
                continue
            if len(events) and known_samples:
                lines = events.attrs.get("lines", np.arange(len(events)))
                sv_raw = RawTable(path, pd.DataFrame({"Sample_Id": events["sample_id"].astype(object)}), lines, ())
                _check_known(self.report, sv_raw, "Sample_Id", events["sample_id"], known_samples, "sample",
                             self.sample_source)
            events.attrs.clear()
            self.used.append((path, len(events)))
            parts.append(events)
        return pd.concat(parts, ignore_index=True) if parts else schema.STRUCTURAL_VARIANTS.empty()

    def read_gene_panels(self, known_samples: set[str], samples: pd.DataFrame,
                         sample_raw: RawTable | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        panels = schema.GENE_PANELS.empty()
        path = self.files.one("gene_panel_matrix")
        if path is not None:
            matrix = self.guarded(read_gene_panel_matrix, path, known_samples)
            if matrix is not None:
                panels = matrix
                self.used.append((path, len(matrix)))
        elif sample_raw is not None and (column := find_column(sample_raw.frame, "GENE_PANEL")) is not None:
            panel_ids = text_column(sample_raw, column)
            panels = schema.GENE_PANELS.conform(pd.DataFrame({
                "sample_id": samples["sample_id"], "profile": "mutations", "panel_id": panel_ids}))
            self.notes.append(f"Gene panels taken from the sample attribute {column} (for mutations).")
        definitions = []
        for path in self.files.all("gene_panel"):
            genes = self.guarded(read_gene_panel_definition, path)
            if genes is not None:
                definitions.append(genes)
                self.used.append((path, len(genes)))
        panel_genes = pd.concat(definitions, ignore_index=True) if definitions else schema.PANEL_GENES.empty()
        named = set(panels["panel_id"].dropna()) - {"WES", "WGS"}
        undefined = sorted(named - set(panel_genes["panel_id"]))
        matrix_path = self.files.one("gene_panel_matrix")
        if undefined:
            self.report.warning(matrix_path.name if matrix_path is not None else self.sample_source, None, None,
                                f"gene panel(s) {', '.join(undefined)} named but not defined by a "
                                "data_gene_panel_<id>.txt file: the genes they cover are unknown, so those samples "
                                "count as profiled for every gene", "a gene-panel file per panel")
        return panels, panel_genes

    def read_case_lists(self, known_samples: set[str]) -> pd.DataFrame:
        parts = []
        for path in self.files.all("case_list"):
            lists = self.guarded(read_case_list, path, known_samples)
            if lists is not None:
                parts.append(lists)
                self.used.append((path, len(lists)))
        return pd.concat(parts, ignore_index=True) if parts else schema.CASE_LISTS.empty()

    # ---------------------------------------------------------------- timeline
    def read_timelines(self, known_patients: set[str], known_samples: set[str]) -> pd.DataFrame:
        timelines = []
        for path in self.files.all("timeline"):
            timeline = self.guarded(read_timeline_file, path)
            if timeline is None:
                continue
            self.used.append((path, len(timeline)))
            raw = timeline.attrs.get("raw")
            if raw is not None and len(timeline) and known_patients:
                patient_col = find_column(raw.frame, "PATIENT_ID")
                assert patient_col is not None  # read_timeline_file only attaches "raw" when PATIENT_ID is present
                _check_known(self.report, raw, patient_col, timeline["patient_id"], known_patients, "patient",
                             "the clinical files")
                specimen = timeline["event_type"].eq("SPECIMEN") & timeline["sample_id"].notna()
                sid_col = find_column(raw.frame, "SAMPLE_ID")
                if sid_col is not None:
                    _check_known(self.report, raw, sid_col, timeline["sample_id"].where(specimen), known_samples,
                                 "sample", self.sample_source, level="warning")
            timeline.attrs.clear()
            timelines.append(timeline)
        return pd.concat(timelines, ignore_index=True) if timelines else schema.TIMELINE.empty()

    def anchor_days(self, timeline: pd.DataFrame, samples: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        timeline, samples, anchor_notes = _reanchor(schema.TIMELINE.conform(timeline),
                                                    schema.SAMPLES.conform(samples))
        self.notes.extend(anchor_notes)
        # Samples without a collection day take it from their SPECIMEN event.
        specimen_days = (timeline[timeline["event_type"] == "SPECIMEN"]
                         .dropna(subset=["sample_id"]).groupby("sample_id")["start_day"].min())
        no_day = samples["collection_day"].isna() & samples["sample_id"].isin(specimen_days.index)
        if no_day.any():
            samples.loc[no_day, "collection_day"] = samples.loc[no_day, "sample_id"].map(specimen_days)
            self.notes.append(f"{int(no_day.sum())} sample collection day(s) taken from SPECIMEN timeline events.")
        return timeline, samples

    # ---------------------------------------------------------------- provenance
    def study_meta(self) -> StudyMeta:
        meta_study = self.files.meta_study
        return StudyMeta(
            study_id=meta_study.get("cancer_study_identifier", self.folder.name),
            name=meta_study.get("name", self.folder.name),
            description=meta_study.get("description", ""),
            type_of_cancer=meta_study.get("type_of_cancer", ""),
        )

    def provenance(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"file": self._name(p), "bytes": p.stat().st_size, "sha256": file_sha256(p), "rows": rows}
            for p, rows in self.used
        ], columns=["file", "bytes", "sha256", "rows"])

    def file_listing(self) -> pd.DataFrame:
        rows = [{"file": e.file, "read_as": ROLE_LABELS.get(e.role, e.role) if e.role else None,
                 "found_by": e.found_by, "reason": e.reason} for e in self.files.entries]
        return pd.DataFrame(rows, columns=["file", "read_as", "found_by", "reason"])


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


@dataclass(frozen=True)
class AttributeHeader:
    """The four ``#`` header rows of one clinical attribute: display name, description, datatype, priority."""

    display_name: str
    description: str
    datatype: str = "STRING"
    priority: str = "1"


def _clinical_frame(table: pd.DataFrame, declared,
                    headers: Mapping[str, AttributeHeader] | None = None) -> tuple[pd.DataFrame, list[list[str]]]:
    headers = headers or {}
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
        numeric = pd.api.types.is_numeric_dtype(table[extra].dtype) and not pd.api.types.is_bool_dtype(
            table[extra].dtype)
        header = headers.get(extra) or AttributeHeader(extra.replace("_", " ").title(), extra.replace("_", " "),
                                                       "NUMBER" if numeric else "STRING")
        names.append(header.display_name)
        descriptions.append(header.description)
        datatypes.append(header.datatype)
        priorities.append(header.priority)
    return out, [names, descriptions, datatypes, priorities]


def _meta_text(items: list[tuple[str, str]]) -> str:
    return "".join(f"{key}: {value}\n" for key, value in items)


#: Case lists every exported study carries: file name, stable-id suffix, category, name, description.
STANDARD_CASE_LISTS = (
    ("cases_all.txt", "_all", "all_cases_in_study", "All samples", "All samples of the study."),
    ("cases_sequenced.txt", "_sequenced", "all_cases_with_mutation_data", "Samples profiled for mutations",
     "Samples sequenced (targeted panel) for mutations."),
    ("cases_cna.txt", "_cna", "all_cases_with_cna_data", "Samples profiled for copy-number alterations",
     "Samples with gene-level copy-number data."),
)


def standard_case_lists(study: Study) -> pd.DataFrame:
    """The study's case lists completed with ``<study>_all``, ``<study>_sequenced`` and ``<study>_cna``.

    A list the study already has (same stable id) is kept as it is. ``_all`` holds every sample;
    ``_sequenced`` the samples the gene-panel matrix says were profiled for mutations (every sample
    when the study has no matrix); ``_cna`` the samples with gene-level copy number.
    """
    sid = study.meta.study_id
    samples = list(study.samples["sample_id"].dropna())
    panels = study.gene_panels
    mutation_panels = panels[panels["profile"].eq("mutations").fillna(False)]
    if len(mutation_panels):
        profiled = set(mutation_panels.loc[mutation_panels["panel_id"].notna(), "sample_id"])
        sequenced = [s for s in samples if s in profiled]
    else:
        sequenced = samples
    with_cn = set(study.copy_number["sample_id"].dropna())
    members = {"_all": samples, "_sequenced": sequenced, "_cna": [s for s in samples if s in with_cn]}
    existing = study.case_lists
    parts = [existing]
    for _, suffix, category, _, _ in STANDARD_CASE_LISTS:
        list_id = sid + suffix
        if list_id in set(existing["case_list"].dropna()) or not members[suffix]:
            continue
        parts.append(pd.DataFrame({"case_list": list_id, "category": category, "sample_id": members[suffix]}))
    return schema.CASE_LISTS.conform(pd.concat(parts, ignore_index=True))


def write_study(study: Study, folder: str | Path, *,
                attribute_headers: Mapping[str, AttributeHeader] | None = None,
                add_standard_case_lists: bool = False) -> Path:
    """Write *study* as a cBioPortal study folder, replacing *folder* atomically.

    The study is written to a temporary folder beside *folder*, then swapped
    in; if anything fails, *folder* is left exactly as it was.

    Parameters
    ----------
    attribute_headers
        Tidy column name -> the four clinical header rows of that extra patient or sample attribute
        (others get a display name made from the column name).
    add_standard_case_lists
        Also write ``case_lists/cases_all.txt``, ``cases_sequenced.txt`` and ``cases_cna.txt``
        (:func:`standard_case_lists`); the study's own case lists are always written.

    Returns the folder path.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    if add_standard_case_lists:
        study = dataclasses.replace(study, case_lists=standard_case_lists(study))
    recover_folder(folder)  # a writer killed earlier may have left the old study aside
    staging = staging_folder(folder)
    try:
        _write_into(study, staging, attribute_headers or {})
        replace_folder(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _write_into(study: Study, out: Path, headers: Mapping[str, AttributeHeader]) -> None:
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

    patients, header = _clinical_frame(study.patients, _PATIENT_FILE_COLUMNS, headers)
    _write_table(out / "data_clinical_patient.txt", patients, header)
    meta("meta_clinical_patient.txt", "CLINICAL", "PATIENT_ATTRIBUTES", "data_clinical_patient.txt")
    samples, header = _clinical_frame(study.samples, _SAMPLE_FILE_COLUMNS, headers)
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

    cna_profile = "gistic" if cn["cna_discrete"].notna().any() else "log2CNA"
    _write_structural_variants(study.structural_variants, out, meta)
    _write_segments(study.segments, out, sid, study.meta.description)
    _write_gene_panels(study.gene_panels, study.panel_genes, out, meta, cna_profile)
    _write_case_lists(study.case_lists, out, sid)


#: Tidy structural-variant column -> SV file column (cBioPortal SV format).
_SV_NAMES = {
    "sample_id": "Sample_Id", "sv_status": "SV_Status", "gene1": "Site1_Hugo_Symbol",
    "chromosome1": "Site1_Chromosome", "position1": "Site1_Position", "gene2": "Site2_Hugo_Symbol",
    "chromosome2": "Site2_Chromosome", "position2": "Site2_Position", "sv_class": "Class",
    "event_info": "Event_Info", "supporting_reads": "Tumor_Variant_Count",
}
#: Gene-panel profile -> the matrix column (the stable id of that profile in the written study).
_PANEL_COLUMNS = {"mutations": "mutations", "structural_variants": "structural_variants"}


def _write_structural_variants(events: pd.DataFrame, out: Path, meta) -> None:
    if events.empty:
        return
    frame = events[list(_SV_NAMES)].rename(columns=_SV_NAMES)
    _write_table(out / "data_sv.txt", frame)
    meta("meta_sv.txt", "STRUCTURAL_VARIANT", "SV", "data_sv.txt",
         ("structural_variants", "Structural variants", "Structural variants and fusions (targeted panel)"))


def _write_segments(segments: pd.DataFrame, out: Path, sid: str, description: str) -> None:
    if segments.empty:
        return
    frame = pd.DataFrame({"ID": segments["sample_id"], "chrom": segments["chromosome"],
                          "loc.start": segments["start"], "loc.end": segments["end"],
                          "num.mark": segments["n_probes"], "seg.mean": segments["log2_ratio"]})
    _write_table(out / "data_cna_hg19.seg", frame, convert=False)
    (out / "meta_cna_hg19_seg.txt").write_text(_meta_text([
        ("cancer_study_identifier", sid), ("genetic_alteration_type", "COPY_NUMBER_ALTERATION"),
        ("datatype", "SEG"), ("reference_genome_id", "hg19"),
        ("description", "Copy-number segments (log2 copy ratio)" + (f" of {description}" if description else "")),
        ("data_filename", "data_cna_hg19.seg"),
    ]))


def _write_gene_panels(panels: pd.DataFrame, panel_genes: pd.DataFrame, out: Path, meta, cna_profile: str) -> None:
    if len(panels):
        columns = {**_PANEL_COLUMNS, "cna": cna_profile}
        wide = panels.drop_duplicates(["sample_id", "profile"]).pivot(
            index="sample_id", columns="profile", values="panel_id")
        order = [p for p in ("mutations", "cna", "structural_variants") if p in wide.columns]
        wide = wide[order + [c for c in wide.columns if c not in order]]
        wide = wide.rename(columns={p: columns.get(p, p) for p in wide.columns})
        sample_order = list(dict.fromkeys(panels["sample_id"]))
        wide = wide.reindex(sample_order).reset_index().rename(columns={"sample_id": "SAMPLE_ID"})
        wide.columns.name = None
        _write_table(out / "data_gene_panel_matrix.txt", wide.astype(object).where(wide.notna(), "NA"),
                     convert=False)
        meta("meta_gene_panel_matrix.txt", "GENE_PANEL_MATRIX", "GENE_PANEL_MATRIX", "data_gene_panel_matrix.txt")
    for panel_id, genes in panel_genes.groupby("panel_id", sort=True):
        (out / f"data_gene_panel_{_file_safe(str(panel_id))}.txt").write_text(_meta_text([
            ("stable_id", str(panel_id)), ("description", f"Gene panel {panel_id}"),
            ("gene_list", "\t".join(genes["gene"].dropna().astype(str))),
        ]))


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "list"


def _write_case_lists(case_lists: pd.DataFrame, out: Path, sid: str) -> None:
    """One ``case_lists/cases_<name>.txt`` per list (the standard names for the standard lists)."""
    if case_lists.empty:
        return
    folder = out / "case_lists"
    folder.mkdir()
    standard = {sid + suffix: (file, name, description) for file, suffix, _, name, description in STANDARD_CASE_LISTS}
    used: set[str] = set()
    for list_id, rows in case_lists.groupby("case_list", sort=False):
        list_id = str(list_id)
        file, name, description = standard.get(list_id, (None, list_id, f"Case list {list_id}."))
        if file is None:
            suffix = list_id[len(sid) + 1:] if list_id.startswith(sid + "_") else list_id
            file = f"cases_{_file_safe(suffix)}.txt"
        while file in used:
            file = file[:-len(".txt")] + "_.txt"
        used.add(file)
        items = [("cancer_study_identifier", sid), ("stable_id", list_id), ("case_list_name", name),
                 ("case_list_description", description)]
        category = rows["category"].dropna()
        if len(category):
            items.append(("case_list_category", str(category.iloc[0])))
        items.append(("case_list_ids", "\t".join(rows["sample_id"].dropna().astype(str))))
        (folder / file).write_text(_meta_text(items))


def study_file_fingerprint(folder: str | Path) -> str:
    """A cheap fingerprint of a study folder's files (names, sizes, modification times).

    Used to notice that a file changed without re-reading the study.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.txt")) + sorted(Path(folder).glob("*.seg")):
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


__all__ = ["read_study", "validate_study", "inspect_study", "write_study", "standard_case_lists", "AttributeHeader",
           "read_meta", "study_file_fingerprint", "replace_folder", "classify_sample_type"]

