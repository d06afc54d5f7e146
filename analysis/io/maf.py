"""MAF reader: cBioPortal ``data_mutations.txt`` and vcf2maf/VEP MAFs (100+ columns).

Only a handful of MAF columns are interpreted (see :data:`analysis.schema.VARIANTS`);
every other column is kept unchanged after them.

Content checks (warnings in the report, each naming the file and column):

* ``Variant_Classification`` values that are not MAF classes (:data:`analysis.alterations.MAF_CLASSES`),
  e.g. ``SNP``/``DEL``/``INS`` when a shifted header put Variant_Type there: counted with up to
  five examples and their lines, then recovered from ``One_Consequence``/``Consequence`` (VEP SO
  terms, most severe term) when the file has them, else set missing; each outcome counted.
  Values that differ from a class only in letter case are read as that class, with a warning.
* Implausible allele fractions (:mod:`analysis.vaf_checks`): the ``vaf_flag`` column, with a
  count and lines per flag.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import schema
from analysis.alterations import MAF_CLASSES, maf_class_from_consequence
from analysis.io.tables import (
    MAX_MESSAGES_PER_COLUMN,
    RawTable,
    find_column,
    missing_mask,
    read_raw_table,
    to_number,
)
from analysis.vaf_checks import FLAGS, caller_vaf, vaf_flags
from analysis.validation import ValidationReport

#: Consequence columns a classification can be recovered from, in order of preference.
CONSEQUENCE_COLUMNS = ("One_Consequence", "Consequence")
#: MAF Variant_Type values: found in Variant_Classification when the header is shifted.
VARIANT_TYPES = ("SNP", "DNP", "TNP", "ONP", "INS", "DEL")
#: Example values (with their lines) quoted in a content warning.
MAX_EXAMPLES = 5

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
    raw = values.fillna("").astype(str)
    # Work on the distinct values only: a MAF has far fewer distinct protein changes than rows.
    distinct = pd.Series(pd.unique(raw.to_numpy(dtype=object)), dtype=object)
    text = distinct.str.strip().str.replace(r"^p\.", "", regex=True)
    for three, one in _THREE_TO_ONE.items():
        text = text.str.replace(three, one, regex=False)
    text = text.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    mapped = raw.map(dict(zip(distinct, text, strict=True)))
    return mapped.where(~missing_mask(mapped)).astype("string")


def read_maf(path: str | Path, *, display_name: str | None = None,
             normal_samples: Collection[str] = ()) -> tuple[pd.DataFrame, ValidationReport]:
    """Read a MAF into the tidy variants table.

    Parameters
    ----------
    path
        MAF file; leading ``#version`` lines are skipped.
    display_name
        Name used for the file in messages (default: the file name).
    normal_samples
        Sample ids known (from the sample file) to be matched normals: a VAF > 0.95 there is
        germline, not implausible.  ``Matched_Norm_Sample_Barcode`` values and rows with
        ``Mutation_Status`` Germline are recognised from the MAF itself.

    Returns
    -------
    (variants, report)
        ``variants`` has the columns of :data:`analysis.schema.VARIANTS` then
        every other MAF column unchanged; ``report`` lists errors (missing
        required columns, non-numeric counts) and warnings (invalid
        classifications and what was done with them, implausible VAFs), each
        with line or example lines and column.  Rows with errors are still returned: the caller refuses the
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
        "variant_classification": _checked_classification(report, name, raw, columns, text),
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
    ref, alt, depth = _implausible_counts(report, name, raw, columns, ref, alt, depth)
    tidy["t_ref_count"] = ref
    tidy["t_alt_count"] = alt
    tidy["depth"] = depth.where(depth.notna(), ref + alt)
    total = ref + alt
    tidy["vaf"] = (alt / total).where(total > 0)
    context = frame[[c for c in (find_column(frame, "Mutation_Status"),
                                 find_column(frame, "Matched_Norm_Sample_Barcode")) if c is not None]]
    flags = vaf_flags(pd.concat([tidy, context], axis=1), normal_samples=normal_samples, depth=depth,
                      reported_vaf=caller_vaf(frame))
    tidy["vaf_flag"] = flags
    _report_flags(report, name, raw, flags)
    for key in ("sample_id", "gene"):
        _report_rows(report, name, raw, columns[key], tidy[key].isna(), frame[columns[key]],
                     "a non-empty value")
    # Computed columns in the file (our own export) are recomputed, never kept twice.
    interpreted = {c for c in columns.values() if c is not None} | {
        c for c in frame.columns if str(c).lower() in ("vaf_flag", "in_matched_normal")}
    extras = frame[[c for c in frame.columns if c not in interpreted]]
    variants = schema.VARIANTS.conform(pd.concat([tidy, extras], axis=1))
    variants.attrs["lines"] = raw.lines
    return variants, report


def _count_warning(report: ValidationReport, name: str, raw: RawTable, column: str | None, rows: np.ndarray,
                   message: str) -> None:
    lines = ", ".join(str(int(raw.lines[p])) for p in np.flatnonzero(rows)[:MAX_MESSAGES_PER_COLUMN])
    more = " ..." if rows.sum() > MAX_MESSAGES_PER_COLUMN else ""
    report.warning(name, None, column, f"{int(rows.sum())} row(s): {message} (lines {lines}{more})")


def _implausible_counts(report: ValidationReport, name: str, raw: RawTable, columns: dict, ref: pd.Series,
                        alt: pd.Series, depth: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Depth 0: warned with the count, read as missing."""
    zero = (depth == 0).to_numpy()
    if zero.any():
        _count_warning(report, name, raw, columns["depth"], zero,
                       "t_depth is 0: no reads, so the depth and allele fraction are read as missing")
        depth = depth.where(~zero)
    # More alternate reads than the depth is flagged by analysis.vaf_checks (warned, kept out of estimates).
    return ref, alt, depth


def _report_rows(report: ValidationReport, name: str, raw: RawTable, column: str | None,
                 bad: pd.Series, values: pd.Series, expected: str) -> None:
    """Add one error per bad row (at most MAX_MESSAGES_PER_COLUMN, then a count)."""
    positions = np.flatnonzero(bad.fillna(False).to_numpy())
    for pos in positions[:MAX_MESSAGES_PER_COLUMN]:
        report.error(name, int(raw.lines[pos]), column, f"invalid value {values.iloc[pos]!r}", expected)
    if len(positions) > MAX_MESSAGES_PER_COLUMN:
        report.error(name, None, column,
                     f"{len(positions) - MAX_MESSAGES_PER_COLUMN} more invalid values in this column", expected)


def _examples(raw: RawTable, mask: np.ndarray, values: pd.Series) -> str:
    positions = np.flatnonzero(mask)[:MAX_EXAMPLES]
    return ", ".join(f"{values.iloc[p]!r} (line {int(raw.lines[p])})" for p in positions)


def _checked_classification(report: ValidationReport, name: str, raw: RawTable,
                            columns: dict[str, str | None], text) -> pd.Series:
    """Variant_Classification as MAF classes: case fixed, invalid values recovered or set missing."""
    frame = raw.frame
    column = columns["variant_classification"] or MAF_COLUMNS["variant_classification"][0]
    values = text("variant_classification")
    canonical = {c.upper(): c for c in MAF_CLASSES}
    mapped = values.str.upper().map(canonical).astype("string")
    case_only = (values.notna() & mapped.notna() & (mapped != values)).to_numpy(dtype=bool)
    if case_only.any():
        report.warning(name, None, column,
                       f"{int(case_only.sum())} value(s) differ from a MAF class only in letter case and "
                       f"were read as that class, e.g. {_examples(raw, case_only, values)}",
                       expected="the MAF class spelled as the GDC MAF specification does")
    invalid = (values.notna() & mapped.isna()).to_numpy(dtype=bool)
    blank = values.isna().to_numpy(dtype=bool)
    result = mapped.copy()
    if invalid.any():
        distinct = set(values[invalid].str.upper())
        hint = (" (these are Variant_Type values: the header looks shifted)"
                if distinct <= set(VARIANT_TYPES) else "")
        report.warning(name, None, column,
                       f"{int(invalid.sum())} of {len(values)} rows hold values that are not MAF classes{hint}, "
                       f"e.g. {_examples(raw, invalid, values)}",
                       expected="a MAF Variant_Classification (Missense_Mutation, Nonsense_Mutation, "
                                "Frame_Shift_Del, Silent, ...)")
    consequence_cols = [c for c in (find_column(frame, alt) for alt in CONSEQUENCE_COLUMNS) if c is not None]
    to_recover = invalid | blank
    recovered_any = np.zeros(len(values), dtype=bool)
    if consequence_cols and to_recover.any():
        consequence = pd.Series(pd.NA, index=frame.index, dtype="string")
        for col in consequence_cols:
            own = frame[col].astype("string").str.strip()
            consequence = consequence.fillna(own.where(~missing_mask(frame[col])))
        ref = text("reference_allele")
        alt = text("tumor_seq_allele")
        positions = np.flatnonzero(to_recover)
        recovered = [maf_class_from_consequence(None if pd.isna(consequence.iloc[p]) else consequence.iloc[p],
                                                None if pd.isna(ref.iloc[p]) else ref.iloc[p],
                                                None if pd.isna(alt.iloc[p]) else alt.iloc[p])
                     for p in positions]
        for p, cls in zip(positions, recovered, strict=True):
            if cls is not None:
                result.iloc[p] = cls
                recovered_any[p] = True
        source = "/".join(consequence_cols)
        for what, mask in (("invalid", invalid), ("empty", blank)):
            n = int((mask & recovered_any).sum())
            if n:
                report.warning(name, None, column,
                               f"{n} row(s) with an {what} Variant_Classification: classification recovered from "
                               f"{source} (most severe SO term, as vcf2maf maps it)")
    lost_invalid = int((invalid & ~recovered_any).sum())
    if lost_invalid:
        why = "no Consequence value to recover it from" if consequence_cols else "the file has no Consequence column"
        report.warning(name, None, column,
                       f"{lost_invalid} row(s) with an invalid Variant_Classification set missing ({why}); they "
                       "count as mutations only when their protein change names an amino-acid change")
    result[invalid & ~recovered_any] = pd.NA
    still_blank = int((blank & ~recovered_any).sum())
    if still_blank:
        absent = "column absent: " if columns["variant_classification"] is None else ""
        report.warning(name, None, column,
                       f"{absent}{still_blank} row(s) have no Variant_Classification; they count as mutations only "
                       "when their protein change names an amino-acid change")
    return result


def _report_flags(report: ValidationReport, name: str, raw: RawTable, flags: pd.Series) -> None:
    """One warning per kind of implausible VAF: count and the first lines."""
    for flag in FLAGS:
        mask = flags.str.contains(flag, regex=False).fillna(False).to_numpy(dtype=bool)
        if not mask.any():
            continue
        lines = ", ".join(str(int(raw.lines[p])) for p in np.flatnonzero(mask)[:MAX_MESSAGES_PER_COLUMN])
        more = " ..." if mask.sum() > MAX_MESSAGES_PER_COLUMN else ""
        report.warning(name, None, "t_alt_count",
                       f"{int(mask.sum())} row(s): {flag} (lines {lines}{more}); kept, marked in vaf_flag, "
                       "left out of the tumour-fraction estimate")
