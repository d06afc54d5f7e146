"""MAF reader: cBioPortal ``data_mutations.txt`` and vcf2maf/VEP MAFs (100+ columns).

Only a handful of MAF columns are interpreted (see :data:`analysis.schema.VARIANTS`);
every other column is kept unchanged after them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import schema
from analysis.io.tables import (
    MAX_MESSAGES_PER_COLUMN,
    RawTable,
    find_column,
    missing_mask,
    read_raw_table,
    to_number,
)
from analysis.validation import ValidationReport

#: MAF column -> tidy column.  Alternatives are tried in order.
MAF_COLUMNS: dict[str, tuple[str, ...]] = {
    "gene": ("Hugo_Symbol",),
    "sample_id": ("Tumor_Sample_Barcode",),
    "chromosome": ("Chromosome",),
    "start_position": ("Start_Position",),
    "reference_allele": ("Reference_Allele",),
    "tumor_seq_allele": ("Tumor_Seq_Allele2", "Tumor_Seq_Allele1"),
    "variant_classification": ("Variant_Classification",),
    "protein_change": ("HGVSp_Short", "Protein_Change", "Amino_Acid_Change", "HGVSp"),
    "t_ref_count": ("t_ref_count",),
    "t_alt_count": ("t_alt_count",),
    "depth": ("t_depth",),
}

REQUIRED = ("gene", "sample_id")

_THREE_TO_ONE = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E", "Gly": "G",
    "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F", "Pro": "P", "Ser": "S",
    "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*", "Sec": "U",
}


def normalise_protein_change(values: pd.Series) -> pd.Series:
    """``p.S310F``, ``S310F`` and ``p.Ser310Phe`` all become ``S310F``; missing stays missing.

    >>> normalise_protein_change(pd.Series(["p.S310F", "S310F", "p.Ser310Phe", ""])).tolist()
    ['S310F', 'S310F', 'S310F', <NA>]
    """
    text = values.fillna("").astype(str).str.strip()
    text = text.str.replace(r"^p\.", "", regex=True)
    for three, one in _THREE_TO_ONE.items():
        text = text.str.replace(three, one, regex=False)
    text = text.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    return text.where(~missing_mask(text)).astype("string")


def read_maf(path: str | Path, *, display_name: str | None = None) -> tuple[pd.DataFrame, ValidationReport]:
    """Read a MAF into the tidy variants table.

    Parameters
    ----------
    path
        MAF file; leading ``#version`` lines are skipped.
    display_name
        Name used for the file in messages (default: the file name).

    Returns
    -------
    (variants, report)
        ``variants`` has the columns of :data:`analysis.schema.VARIANTS` then
        every other MAF column unchanged; ``report`` lists errors (missing
        required columns, non-numeric counts) and warnings, each with line and
        column.  Rows with errors are still returned: the caller refuses the
        whole file when ``report`` has errors.

    Raises
    ------
    InputError
        The file is missing or not a table.
    """
    raw = read_raw_table(Path(path))
    name = display_name or raw.name
    report = ValidationReport()
    raw.report_warnings(report, name)
    frame = raw.frame
    columns = {key: find_column(frame, *alts) for key, alts in MAF_COLUMNS.items()}
    for key in REQUIRED:
        if columns[key] is None:
            report.error(name, None, MAF_COLUMNS[key][0], "required MAF column is missing",
                         expected="a header containing " + MAF_COLUMNS[key][0])
    if not report.ok:
        return schema.VARIANTS.empty(), report
    for key in ("t_ref_count", "t_alt_count"):
        if columns[key] is None:
            report.warning(name, None, MAF_COLUMNS[key][0],
                           "column absent: variant allele fractions cannot be computed")

    def text(key: str) -> pd.Series:
        col = columns[key]
        if col is None:
            return pd.Series(pd.NA, index=frame.index, dtype="string")
        values = frame[col].astype("string").str.strip()
        return values.where(~missing_mask(frame[col]))

    def counts(key: str) -> pd.Series:
        col = columns[key]
        if col is None:
            return pd.Series(np.nan, index=frame.index)
        numbers, bad = to_number(frame[col])
        negative = numbers < 0
        fractional = numbers.notna() & (numbers != np.floor(numbers))
        _report_rows(report, name, raw, col, bad | negative | fractional, frame[col],
                     "a non-negative whole number of reads")
        return numbers.where(~(bad | negative | fractional))

    tidy = pd.DataFrame({
        "sample_id": text("sample_id"),
        "gene": text("gene"),
        "chromosome": text("chromosome").str.replace(r"^chr", "", regex=True, case=False),
        "reference_allele": text("reference_allele"),
        "tumor_seq_allele": text("tumor_seq_allele"),
        "variant_classification": text("variant_classification"),
        "protein_change": normalise_protein_change(frame[columns["protein_change"]])
        if columns["protein_change"] else pd.Series(pd.NA, index=frame.index, dtype="string"),
    })
    start = frame[columns["start_position"]] if columns["start_position"] else None
    if start is not None:
        numbers, bad = to_number(start)
        _report_rows(report, name, raw, columns["start_position"], bad | (numbers < 1), start,
                     "a 1-based genomic position")
        tidy["start_position"] = numbers.where(~bad & (numbers >= 1)).round()
    ref = counts("t_ref_count")
    alt = counts("t_alt_count")
    depth = counts("depth")
    tidy["t_ref_count"] = ref
    tidy["t_alt_count"] = alt
    tidy["depth"] = depth.where(depth.notna(), ref + alt)
    total = ref + alt
    tidy["vaf"] = (alt / total).where(total > 0)
    for key in ("sample_id", "gene"):
        _report_rows(report, name, raw, columns[key], tidy[key].isna(), frame[columns[key]],
                     "a non-empty value")
    interpreted = {c for c in columns.values() if c is not None}
    extras = frame[[c for c in frame.columns if c not in interpreted]]
    variants = schema.VARIANTS.conform(pd.concat([tidy, extras], axis=1))
    variants.attrs["lines"] = raw.lines
    return variants, report


def _report_rows(report: ValidationReport, name: str, raw: RawTable, column: str | None,
                 bad: pd.Series, values: pd.Series, expected: str) -> None:
    """Add one error per bad row (at most MAX_MESSAGES_PER_COLUMN, then a count)."""
    positions = np.flatnonzero(bad.fillna(False).to_numpy())
    for pos in positions[:MAX_MESSAGES_PER_COLUMN]:
        report.error(name, int(raw.lines[pos]), column, f"invalid value {values.iloc[pos]!r}", expected)
    if len(positions) > MAX_MESSAGES_PER_COLUMN:
        report.error(name, None, column,
                     f"{len(positions) - MAX_MESSAGES_PER_COLUMN} more invalid values in this column", expected)
