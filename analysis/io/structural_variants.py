"""cBioPortal structural-variant files (``data_sv.txt``) and the older fusion format (``data_fusions.txt``).

Structural variants are the third alteration kind beside mutations and copy number: a gene pair
(``gene1``/``gene2``; one gene for an intragenic event), breakpoints, a class and the supporting reads
where the file gives them (:data:`analysis.schema.STRUCTURAL_VARIANTS`).

The SV format (cBioPortal >= 3.x) has ``Sample_Id``, ``SV_Status``, ``Site1_Hugo_Symbol``,
``Site1_Chromosome``, ``Site1_Position``, ``Site2_*``, ``Class``, ``Event_Info`` and read counts.
The fusion format has ``Hugo_Symbol``, ``Tumor_Sample_Barcode`` and ``Fusion`` (``EML4-ALK``), one row
per partner gene; rows of one fusion in one sample are merged into one event.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import schema
from analysis.io.tables import RawTable, find_column, read_raw_table, text_column, to_number
from analysis.validation import ValidationReport

_READ_COUNT_COLUMNS = (("Tumor_Split_Read_Count", "Tumor_Paired_End_Read_Count"), ("Tumor_Variant_Count",),
                       ("Tumor_Read_Count",))


def _whole_numbers(raw: RawTable, column: str | None, report: ValidationReport, expected: str) -> pd.Series:
    if column is None:
        return pd.Series(np.nan, index=raw.frame.index, dtype="float64")
    numbers, bad = to_number(raw.frame[column])
    bad = bad | (numbers.notna() & ((numbers < 0) | (numbers != np.floor(numbers))))
    for pos in np.flatnonzero(bad.to_numpy())[:20]:
        report.error(raw.name, int(raw.lines[pos]), column, f"invalid value {raw.frame[column].iloc[pos]!r}",
                     expected)
    return numbers.where(~bad)


def read_structural_variants(path: Path, report: ValidationReport) -> pd.DataFrame:
    """Read an SV or fusion file into the tidy structural-variants table; findings go to *report*."""
    raw = read_raw_table(Path(path))
    frame = raw.frame
    if find_column(frame, "Sample_Id") is None and find_column(frame, "Tumor_Sample_Barcode", "Fusion"):
        return _read_fusions(raw, report)
    return _read_sv(raw, report)


def _read_sv(raw: RawTable, report: ValidationReport) -> pd.DataFrame:
    f = raw.frame
    sample_col = find_column(f, "Sample_Id")
    gene1_col = find_column(f, "Site1_Hugo_Symbol")
    gene2_col = find_column(f, "Site2_Hugo_Symbol")
    if sample_col is None:
        report.error(raw.name, None, "Sample_Id", "required column is missing", expected="a Sample_Id column")
    if gene1_col is None and gene2_col is None:
        report.error(raw.name, None, "Site1_Hugo_Symbol", "no gene column",
                     expected="Site1_Hugo_Symbol and/or Site2_Hugo_Symbol")
    if sample_col is None or (gene1_col is None and gene2_col is None):
        return schema.STRUCTURAL_VARIANTS.empty()
    gene1, gene2 = text_column(raw, gene1_col), text_column(raw, gene2_col)
    no_gene = gene1.isna() & gene2.isna()
    for pos in np.flatnonzero(no_gene.to_numpy())[:20]:
        report.error(raw.name, int(raw.lines[pos]), gene1_col or gene2_col, "neither breakpoint names a gene",
                     "a HUGO symbol in Site1_Hugo_Symbol or Site2_Hugo_Symbol")
    # An event with only the second gene named is stored with that gene first.
    gene1, gene2 = gene1.where(gene1.notna(), gene2), gene2.where(gene1.notna())
    reads = pd.Series(np.nan, index=f.index, dtype="float64")
    for group in _READ_COUNT_COLUMNS:
        columns = [find_column(f, c) for c in group]
        if all(c is not None for c in columns):
            total = sum((_whole_numbers(raw, c, report, "a whole number of reads") for c in columns),
                        start=pd.Series(0.0, index=f.index))
            reads = reads.where(reads.notna(), total)
    tidy = pd.DataFrame({
        "sample_id": text_column(raw, sample_col),
        "gene1": gene1,
        "gene2": gene2.where(gene2 != gene1),
        "chromosome1": text_column(raw, find_column(f, "Site1_Chromosome")).str.replace(r"^chr", "", regex=True),
        "position1": _whole_numbers(raw, find_column(f, "Site1_Position"), report, "a 1-based position"),
        "chromosome2": text_column(raw, find_column(f, "Site2_Chromosome")).str.replace(r"^chr", "", regex=True),
        "position2": _whole_numbers(raw, find_column(f, "Site2_Position"), report, "a 1-based position"),
        "sv_class": text_column(raw, find_column(f, "Class")).str.upper(),
        "event_info": text_column(raw, find_column(f, "Event_Info")),
        "supporting_reads": reads,
        "sv_status": text_column(raw, find_column(f, "SV_Status")).str.upper(),
    })
    _warn_duplicates(raw, tidy, ["sample_id", "gene1", "gene2", "chromosome1", "position1", "chromosome2",
                                 "position2"], report)
    out = schema.STRUCTURAL_VARIANTS.conform(tidy[~no_gene])
    out.attrs["lines"] = raw.lines[~no_gene.to_numpy()]
    return out


def _read_fusions(raw: RawTable, report: ValidationReport) -> pd.DataFrame:
    f = raw.frame
    sample_col, gene_col, fusion_col = (find_column(f, "Tumor_Sample_Barcode"), find_column(f, "Hugo_Symbol"),
                                        find_column(f, "Fusion"))
    for col, name in ((sample_col, "Tumor_Sample_Barcode"), (gene_col, "Hugo_Symbol"), (fusion_col, "Fusion")):
        if col is None:
            report.error(raw.name, None, name, "required fusion column is missing", expected=f"a {name} column")
    if sample_col is None or gene_col is None or fusion_col is None:
        return schema.STRUCTURAL_VARIANTS.empty()
    rows = pd.DataFrame({"sample_id": text_column(raw, sample_col), "gene": text_column(raw, gene_col),
                         "fusion": text_column(raw, fusion_col), "line": raw.lines})
    _warn_duplicates(raw, rows, ["sample_id", "gene", "fusion"], report, what="fusion")
    rows = rows.drop_duplicates(["sample_id", "gene", "fusion"])
    partners = rows["fusion"].fillna("").str.replace(r"\s+fusion$", "", regex=True, case=False)
    pair = partners.str.split(r"[-:/]", n=1, regex=True, expand=True).reindex(columns=[0, 1])
    gene2 = pair[1].where(pair[0] == rows["gene"], pair[0]).astype("string")
    events = pd.DataFrame({
        "sample_id": rows["sample_id"], "gene1": rows["gene"], "gene2": gene2.where(gene2 != rows["gene"]),
        "sv_class": "FUSION", "event_info": rows["fusion"],
    })
    # One event per (sample, fusion): the two partner rows of EML4-ALK are one fusion.
    key = events["sample_id"].fillna("") + "\0" + rows["fusion"].fillna(rows["gene"])
    keep = ~key.duplicated()
    out = schema.STRUCTURAL_VARIANTS.conform(events[keep])
    out.attrs["lines"] = rows["line"].to_numpy()[keep.to_numpy()]
    return out


def _warn_duplicates(raw: RawTable, tidy: pd.DataFrame, keys: list[str], report: ValidationReport,
                     what: str = "structural variant") -> None:
    duplicated = tidy.duplicated(keys, keep="first").to_numpy()
    for pos in np.flatnonzero(duplicated)[:20]:
        report.warning(raw.name, int(raw.lines[pos]), None, f"duplicate entry in {what} data: counted once",
                       "each event once per sample")


__all__ = ["read_structural_variants"]
