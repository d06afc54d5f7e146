"""The ingestion sample sheet: one row per sample, its clinical context and its raw files.

Tab-separated (``.tsv``/``.txt``) with a header row; column names are
case-insensitive, ``#`` lines before the header are comments.

Required: ``sample_id``, ``patient_id``, ``sample_type`` (plasma/tissue or a
synonym: cfDNA, ctDNA, FFPE, biopsy, ...), ``collection_day`` (days from the
first trastuzumab dose; may be blank for tissue), ``timepoint``
(BASELINE/ON_TREATMENT/PROGRESSION; may be blank).

Files (any subset; paths relative to the sheet's folder): ``vcf`` (VCF/BCF),
``maf``, ``bam`` (BAM or CRAM), ``reference_fasta`` (for CRAM), ``cnr``,
``cns`` (``.cns`` or ``.call.cns``), ``seg``.

Options: ``tumour_column`` (VCF/MAF sample name of the tumour), ``tumour_fraction``
(fraction 0..1; default estimated from the sample's variants).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import schema
from analysis.io.cbioportal import TIMEPOINT_SYNONYMS, classify_sample_type
from analysis.io.errors import SampleSheetError
from analysis.io.tables import find_column, missing_mask, read_raw_table, to_number

REQUIRED = ("sample_id", "patient_id", "sample_type", "collection_day", "timepoint")
FILE_COLUMNS = ("vcf", "maf", "bam", "reference_fasta", "cnr", "cns", "seg")
OPTION_COLUMNS = ("tumour_column", "tumour_fraction")
_SYNONYMS = {
    "tumour_column": ("tumour_column", "tumor_column"),
    "sample_type": ("sample_type", "sample_class"),
    "collection_day": ("collection_day", "draw_day"),
    "reference_fasta": ("reference_fasta", "cram_reference", "fasta"),
}


def read_sample_sheet(
    path: str | Path, *, known_patients: set[str] | None = None, clinical_path: str | None = None
) -> pd.DataFrame:
    """Read and check a sample sheet; every problem in the sheet is reported at once.

    Parameters
    ----------
    path
        The sheet.
    known_patients
        Patient ids of the clinical table; a row with another patient is an
        error.  None: not checked.
    clinical_path
        Name of the clinical file, for the message.

    Returns
    -------
    DataFrame
        ``sample_id``, ``patient_id``, ``sample_type``, ``collection_day``
        (float64), ``timepoint``, the file columns as absolute path strings
        (missing when blank), ``tumour_column``, ``tumour_fraction`` (float64),
        ``line`` (1-based sheet line).

    Raises
    ------
    SampleSheetError
        Missing required column, duplicate sample id, unknown patient, a
        referenced file that does not exist, a bad sample type, day, timepoint
        or tumour fraction.  The message lists every problem with its line and
        column; the error's own ``line``/``field`` are the first problem's.
    """
    path = Path(path)
    raw = read_raw_table(path)
    frame = raw.frame
    header_line = int(raw.lines[0]) - 1 if len(raw.lines) else 1 + len(raw.comments)
    columns = {
        name: find_column(frame, *_SYNONYMS.get(name, (name,)))
        for name in REQUIRED + FILE_COLUMNS + OPTION_COLUMNS
    }
    missing = [name for name in REQUIRED if columns[name] is None]
    if missing:
        raise SampleSheetError(
            f"missing required column(s) {', '.join(missing)}; the sheet needs "
            f"{', '.join(REQUIRED)} plus file columns ({', '.join(FILE_COLUMNS)}).",
            path=str(path),
            line=header_line,
            field=missing[0],
        )
    # Every required column was found (checked just above).
    assert columns["sample_id"] is not None and columns["patient_id"] is not None
    assert columns["sample_type"] is not None and columns["collection_day"] is not None
    assert columns["timepoint"] is not None
    problems: list[tuple[int, str, str]] = []

    def text(name: str) -> pd.Series:
        column = columns[name]
        if column is None:
            return pd.Series(pd.NA, index=frame.index, dtype="string")
        values = frame[column].astype("string").str.strip()
        return values.mask(missing_mask(values))

    out = pd.DataFrame({"sample_id": text("sample_id"), "patient_id": text("patient_id")})
    lines = raw.lines
    for i in np.flatnonzero(out["sample_id"].isna().to_numpy()).tolist():
        problems.append((int(lines[i]), columns["sample_id"], "empty sample id; every row needs one."))
    for i in np.flatnonzero(out["patient_id"].isna().to_numpy()).tolist():
        problems.append((int(lines[i]), columns["patient_id"], "empty patient id; every row needs one."))
    first_line: dict[str, int] = {}
    for i, sample_id in enumerate(out["sample_id"]):
        if pd.isna(sample_id):
            continue
        if sample_id in first_line:
            problems.append(
                (
                    int(lines[i]),
                    columns["sample_id"],
                    f"duplicate sample id {sample_id!r} (first on line {first_line[sample_id]}); "
                    "sample ids must be unique.",
                )
            )
        else:
            first_line[sample_id] = int(lines[i])
    if known_patients is not None:
        for i, patient_id in enumerate(out["patient_id"]):
            if pd.notna(patient_id) and patient_id not in known_patients:
                problems.append(
                    (
                        int(lines[i]),
                        columns["patient_id"],
                        f"patient {patient_id!r} is not in the clinical table "
                        f"{clinical_path or ''}; add the patient there or fix the id.",
                    )
                )
    sample_type = classify_sample_type(text("sample_type"))
    for i in np.flatnonzero((sample_type.isna() & text("sample_type").notna()).to_numpy()).tolist():
        problems.append(
            (
                int(lines[i]),
                columns["sample_type"],
                f"unknown sample type {frame[columns['sample_type']].iloc[i]!r}; expected plasma or "
                "tissue (or cfDNA, ctDNA, FFPE, biopsy, primary, metastasis), or a matched normal (whole blood, "
                "buffy coat, normal, germline).",
            )
        )
    for i in np.flatnonzero(sample_type.isna().to_numpy() & text("sample_type").isna().to_numpy()).tolist():
        problems.append(
            (int(lines[i]), columns["sample_type"], "empty sample type; expected plasma or tissue.")
        )
    out["sample_type"] = sample_type.astype("string")
    day, bad_day = to_number(frame[columns["collection_day"]])
    for i in np.flatnonzero(bad_day.to_numpy()).tolist():
        problems.append(
            (
                int(lines[i]),
                columns["collection_day"],
                f"expected a number of days from the first trastuzumab dose, got "
                f"{frame[columns['collection_day']].iloc[i]!r}.",
            )
        )
    out["collection_day"] = day
    timepoint = text("timepoint").str.upper().map(TIMEPOINT_SYNONYMS, na_action="ignore")
    for i in np.flatnonzero((timepoint.isna() & text("timepoint").notna()).to_numpy()).tolist():
        problems.append(
            (
                int(lines[i]),
                columns["timepoint"],
                f"unknown timepoint {frame[columns['timepoint']].iloc[i]!r}; expected "
                f"{', '.join(schema.TIMEPOINTS)} or blank.",
            )
        )
    out["timepoint"] = timepoint.astype("string")
    for name in FILE_COLUMNS:
        values = text(name)
        resolved = []
        for i, value in enumerate(values):
            if pd.isna(value):
                resolved.append(pd.NA)
                continue
            file_path = Path(value).expanduser()
            file_path = file_path if file_path.is_absolute() else (path.parent / file_path)
            if not file_path.is_file():
                file_column = columns[name]
                assert file_column is not None  # text(name) is all missing when the column is absent
                problems.append(
                    (
                        int(lines[i]),
                        file_column,
                        f"file {value!r} does not exist (looked for {file_path}); fix the path "
                        "(relative paths are relative to the sample sheet's folder).",
                    )
                )
            resolved.append(str(file_path))
        out[name] = pd.Series(resolved, index=frame.index, dtype="string")
    out["tumour_column"] = text("tumour_column")
    if columns["tumour_fraction"] is not None:
        fraction, bad = to_number(frame[columns["tumour_fraction"]])
        bad = bad | (fraction < 0) | (fraction > 1)
        for i in np.flatnonzero(bad.to_numpy()).tolist():
            problems.append(
                (
                    int(lines[i]),
                    columns["tumour_fraction"],
                    f"expected a tumour fraction between 0 and 1, got "
                    f"{frame[columns['tumour_fraction']].iloc[i]!r}.",
                )
            )
        out["tumour_fraction"] = fraction
    else:
        out["tumour_fraction"] = np.nan
    out["line"] = lines
    if problems:
        problems.sort()
        line, field, message = problems[0]
        more = "".join(
            f"\n  {path}:{p_line}: field {p_field}: {p_message}"
            for p_line, p_field, p_message in problems[1:]
        )
        extra = f"\n{len(problems) - 1} more problem(s):{more}" if len(problems) > 1 else ""
        raise SampleSheetError(message + extra, path=str(path), line=line, field=field)
    return out.reset_index(drop=True)
