"""Raw files -> study folder: the orchestration behind ``python -m analysis ingest``.

Everything is read and checked in memory first; only when every input was
read is the study written, by :func:`analysis.io.cbioportal.write_study`,
which writes beside the target and swaps the folder in, so an existing study
is replaced whole or not at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import schema
from analysis.copy_number import discrete_call, purity_adjusted_cn
from analysis.errors import InputError
from analysis.io.bed import read_bed
from analysis.io.cbioportal import file_sha256, read_patients_file, read_timeline_file, write_study
from analysis.io.cnvkit import cnvkit_gene_level, read_cnvkit
from analysis.io.coverage import ReadFilter, count_reads, coverage_copy_number, read_reference
from analysis.io.folder_swap import recover_folder
from analysis.io.maf import read_maf
from analysis.io.sample_sheet import FILE_COLUMNS, read_sample_sheet
from analysis.io.seg import read_seg, seg_gene_level
from analysis.io.tables import find_column
from analysis.io.vcf import read_vcf
from analysis.study import Study, StudyMeta
from analysis.tumour_fraction import tumour_fraction as estimate_tumour_fraction
from analysis.validation import ValidationReport

#: Columns of :attr:`IngestResult.summary`.
SUMMARY_COLUMNS = (
    "sample_id",
    "patient_id",
    "sample_type",
    "variants_kept",
    "variants_filtered",
    "cn_source",
    "genes_with_cn",
    "tumour_fraction",
    "tumour_fraction_source",
    "erbb2_cn",
    "erbb2_cn_adjusted",
)


@dataclass(frozen=True)
class IngestOptions:
    """Choices that change what is kept.

    Attributes
    ----------
    keep_filters
        VCF/MAF FILTER values kept (default PASS; ``None`` keeps all).
    read_filter
        Coverage read filters (MAPQ, flags).
    reference_fasta
        Reference FASTA for CRAM rows that do not name their own.
    study_id, study_name
        Written to ``meta_study.txt``.
    """

    keep_filters: tuple[str, ...] | None = ("PASS",)
    read_filter: ReadFilter = field(default_factory=ReadFilter)
    reference_fasta: str | None = None
    study_id: str = "ingested_study"
    study_name: str = ""


@dataclass(frozen=True)
class IngestResult:
    """An ingested study and what happened on the way.

    Attributes
    ----------
    study
        The study (also written when :func:`ingest` was called with an output folder).
    summary
        One row per sample, columns :data:`SUMMARY_COLUMNS` (``erbb2_cn`` in
        copies; ``erbb2_cn_adjusted`` purity-adjusted, NaN when not evaluable).
    filtered
        Variant rows left out, by reason, over all samples.
    notes
        What was done that a user should know (contig renaming, header quirks).
    caveats
        Statistical cautions (e.g. tumour fraction too low for adjustment).
    """

    study: Study
    summary: pd.DataFrame
    filtered: dict[str, int]
    notes: tuple[str, ...]
    caveats: tuple[str, ...]

    def format(self) -> str:
        """A plain-text end-of-run report (what the command line prints)."""
        s = self.summary
        kept = int(s["variants_kept"].sum()) if len(s) else 0
        lines = [
            f"samples: {len(s)} ({', '.join(f'{n} {t}' for t, n in s['sample_type'].value_counts().items())})"
            f"; patients: {len(self.study.patients)}",
            f"variants kept: {kept}; filtered: {sum(self.filtered.values())}",
        ]
        for reason, n in sorted(self.filtered.items(), key=lambda item: -item[1]):
            lines.append(f"  - {reason}: {n}")
        genes = sorted(self.study.copy_number["gene"].dropna().unique())
        lines.append(
            f"genes with copy number: {len(genes)}"
            + (f" ({', '.join(genes[:12])}{' ...' if len(genes) > 12 else ''})" if genes else "")
        )
        with_cn = s[s["erbb2_cn"].notna()]
        if len(with_cn):
            lines.append("ERBB2 copy number (observed / purity-adjusted, tumour fraction):")
            for row in with_cn.itertuples(index=False):
                adjusted = (
                    "not evaluable" if pd.isna(row.erbb2_cn_adjusted) else f"{row.erbb2_cn_adjusted:.2f}"
                )
                fraction = "n/a" if pd.isna(row.tumour_fraction) else f"{row.tumour_fraction:.3f}"
                lines.append(
                    f"  {row.sample_id}: {row.erbb2_cn:.2f} / {adjusted} (f = {fraction}, "
                    f"{row.tumour_fraction_source}; from {row.cn_source})"
                )
        for note in condense_notes(self.notes):
            lines.append(f"note: {note}")
        for caveat in self.caveats:
            lines.append(f"caution: {caveat}")
        return "\n".join(lines)


def condense_notes(notes: Sequence[str]) -> list[str]:
    """Merge per-file notes that say the same thing.

    ``"a.bam: X"`` and ``"b.bam: X"`` become ``"X (2 files: a.bam, b.bam)"``.
    """
    grouped: dict[str, list[str]] = {}
    for note in notes:
        name, sep, text = note.partition(": ")
        key, who = (text, name) if sep and " " not in name else (note, "")
        grouped.setdefault(key, []).append(who)
    out = []
    for text, names in grouped.items():
        names = [n for n in names if n]
        if not names:
            out.append(text)
        elif len(names) == 1:
            out.append(f"{names[0]}: {text}")
        else:
            shown = ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
            out.append(f"{text} ({len(names)} files: {shown})")
    return out


def _report_to_error(report: ValidationReport, what: str) -> None:
    if report.errors:
        first = report.errors[0]
        more = f" (and {len(report.errors) - 1} more error(s))" if len(report.errors) > 1 else ""
        raise InputError(
            f"{first.message}{' (expected ' + first.expected + ')' if first.expected else ''}{more}",
            path=f"{what} {first.file}",
            line=first.line,
            field=first.column,
        )




def _maf_variants(
    path: str,
    sample_id: str,
    tumour_column: str | None,
    keep_filters: tuple[str, ...] | None,
    filtered: Counter,
    notes: list[str],
) -> pd.DataFrame:
    variants, report = read_maf(path)
    _report_to_error(report, "MAF")
    barcodes = variants["sample_id"].dropna().unique().tolist()
    if sample_id in barcodes or (tumour_column and tumour_column in barcodes):
        variants = variants[variants["sample_id"].isin([sample_id, tumour_column])]
    elif len(barcodes) <= 1:
        if barcodes:
            notes.append(
                f"{Path(path).name}: Tumor_Sample_Barcode {barcodes[0]!r} read as sample {sample_id!r}."
            )
    else:
        raise InputError(
            f"the MAF holds samples {', '.join(barcodes[:6])}; none is {sample_id!r}. Name the "
            "Tumor_Sample_Barcode in the sheet's tumour_column.",
            path=path,
            field="Tumor_Sample_Barcode",
        )
    filter_column = find_column(variants, "FILTER")
    if filter_column is not None and keep_filters is not None:
        values = variants[filter_column].fillna(".").astype(str)
        passing = values.map(lambda v: v in (".", "") or set(v.split(";")) <= set(keep_filters))
        for value, n in values[~passing].value_counts().items():
            filtered[f"FILTER {value}"] += int(n)
        variants = variants[passing]
    return variants.assign(sample_id=sample_id)


def build_study(
    sheet: str | Path,
    *,
    clinical: str | Path | None = None,
    timelines: Sequence[str | Path] = (),
    panel_bed: str | Path | None = None,
    reference: str | Path | None = None,
    options: IngestOptions = IngestOptions(),
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Read every input named by the sample sheet into a :class:`Study` (nothing is written).

    Parameters
    ----------
    sheet
        Sample sheet (see :mod:`analysis.io.sample_sheet`).
    clinical
        Patient table (cBioPortal ``data_clinical_patient.txt`` style:
        ``PATIENT_ID``, ``HER2_STATUS``, ``PFS_MONTHS``, ...).  Without it,
        patients are the sheet's patient ids with no clinical data.
    timelines
        cBioPortal timeline files (treatment, CEA, imaging, status) to include.
    panel_bed
        Panel BED: gene of unannotated VCF records; genes of SEG segments.
    reference
        Panel-of-normals TSV from ``build-reference``; needed for ``bam`` rows.
    options
        :class:`IngestOptions`.
    progress
        Called with 1 after each sample.

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError
        The first input that cannot be used (file, line, field and fix in the message).
    """
    notes: list[str] = []
    caveats: list[str] = []
    filtered: Counter[str] = Counter()
    provenance: list[tuple[str, int, str, float]] = []
    if clinical is not None:
        report = ValidationReport()
        patients = read_patients_file(Path(clinical), report)
        _report_to_error(report, "clinical")
        provenance.append(
            (str(clinical), Path(clinical).stat().st_size, file_sha256(Path(clinical)), len(patients))
        )
    else:
        patients = None
    samples = read_sample_sheet(
        sheet,
        known_patients=None if patients is None else set(patients["patient_id"].dropna()),
        clinical_path=str(clinical) if clinical else None,
    )
    provenance.append((str(sheet), Path(sheet).stat().st_size, file_sha256(Path(sheet)), len(samples)))
    if patients is None:
        patients = pd.DataFrame({"patient_id": samples["patient_id"].drop_duplicates()})
        notes.append("no clinical table given: patients have ids only (no HER2 status or survival).")
    panel = read_bed(panel_bed) if panel_bed is not None else None
    pon = read_reference(reference) if reference is not None else None
    if samples["bam"].notna().any() and pon is None:
        first = samples[samples["bam"].notna()].iloc[0]
        raise InputError(
            "this row has a BAM/CRAM but no panel-of-normals reference was given; build one with "
            "`python -m analysis build-reference` and pass --reference.",
            path=str(sheet),
            line=int(first["line"]),
            field="bam",
        )
    variant_tables, cn_tables, summary_rows = [], [], []
    for row in samples.itertuples(index=False):
        sample_variants = [schema.VARIANTS.empty()]
        sample_filtered: Counter[str] = Counter()
        if pd.notna(row.vcf):
            result = read_vcf(
                row.vcf,
                sample_id=row.sample_id,
                tumour_column=_value(row.tumour_column),
                keep_filters=options.keep_filters,
                panel=panel,
            )
            sample_variants.append(result.variants.drop(columns=["filter"]))
            sample_filtered.update(result.filtered)
            notes.extend(result.notes)
        if pd.notna(row.maf):
            sample_variants.append(
                _maf_variants(
                    row.maf,
                    row.sample_id,
                    _value(row.tumour_column),
                    options.keep_filters,
                    sample_filtered,
                    notes,
                )
            )
        variants = schema.VARIANTS.conform(
            pd.concat([v for v in sample_variants if len(v)], ignore_index=True)
            if any(len(v) for v in sample_variants)
            else schema.VARIANTS.empty()
        )
        variant_tables.append(variants[schema.VARIANTS.names])
        filtered.update(sample_filtered)
        genes, source = _sample_copy_number(row, panel, pon, options, notes, caveats)
        if len(genes):
            cn_tables.append(genes.assign(sample_id=row.sample_id))
        if pd.notna(row.tumour_fraction):
            fraction, fraction_source = float(row.tumour_fraction), "sample sheet"
        else:
            estimate = estimate_tumour_fraction(variants, [row.sample_id])
            fraction = float(estimate["tumour_fraction"].iloc[0]) if len(estimate) else np.nan
            fraction_source = "2 x max somatic VAF" if np.isfinite(fraction) else "no somatic variant"
        erbb2 = genes.loc[genes["gene"] == "ERBB2", "copy_number"] if len(genes) else pd.Series(dtype=float)
        erbb2_cn = float(erbb2.iloc[0]) if len(erbb2) else np.nan
        adjusted = purity_adjusted_cn(erbb2_cn, fraction) if np.isfinite(erbb2_cn) else np.nan
        if np.isfinite(erbb2_cn) and not np.isfinite(adjusted):
            caveats.append(
                f"{row.sample_id}: tumour fraction {fraction:.3f} is below the evaluable minimum; "
                "purity-adjusted ERBB2 copy number not evaluable."
            )
        summary_rows.append(
            (
                row.sample_id,
                row.patient_id,
                row.sample_type,
                len(variants),
                sum(sample_filtered.values()),
                source,
                len(genes),
                fraction,
                fraction_source,
                erbb2_cn,
                adjusted,
            )
        )
        for name in FILE_COLUMNS:
            value = getattr(row, name)
            if pd.notna(value):
                file_path = Path(value)
                provenance.append((str(file_path), file_path.stat().st_size, file_sha256(file_path), np.nan))
        if progress is not None:
            progress(1)
    timeline_tables = [
        pd.DataFrame(
            {
                "patient_id": samples["patient_id"],
                "start_day": samples["collection_day"],
                "event_type": "SPECIMEN",
                "sample_id": samples["sample_id"],
            }
        ).dropna(subset=["start_day"])
    ]
    for path in timelines:
        report = ValidationReport()
        timeline = read_timeline_file(Path(path), report)
        _report_to_error(report, "timeline")
        timeline.attrs.clear()
        timeline_tables.append(timeline)
        provenance.append((str(path), Path(path).stat().st_size, file_sha256(Path(path)), len(timeline)))
    copy_number = pd.concat(cn_tables, ignore_index=True) if cn_tables else schema.COPY_NUMBER.empty()
    study = Study.from_tables(
        patients=patients,
        samples=samples[schema.SAMPLES.names],
        variants=pd.concat(variant_tables, ignore_index=True) if variant_tables else None,
        copy_number=copy_number[schema.COPY_NUMBER.names] if len(copy_number) else None,
        timeline=pd.concat(timeline_tables, ignore_index=True),
        meta=StudyMeta(
            study_id=options.study_id,
            name=options.study_name or options.study_id,
            description=f"Ingested from {Path(sheet).name} by python -m analysis ingest",
        ),
        provenance=pd.DataFrame(provenance, columns=["file", "bytes", "sha256", "rows"]),
        notes=tuple(dict.fromkeys(notes)),
    )
    summary = pd.DataFrame(summary_rows, columns=list(SUMMARY_COLUMNS))
    return IngestResult(study, summary, dict(filtered), tuple(dict.fromkeys(notes)), tuple(caveats))


def _value(value) -> str | None:
    return None if pd.isna(value) else str(value)


def _sample_copy_number(
    row,
    panel: pd.DataFrame | None,
    pon: pd.DataFrame | None,
    options: IngestOptions,
    notes: list[str],
    caveats: list[str],
) -> tuple[pd.DataFrame, str]:
    """Gene-level copy number of one sheet row from its best source: BAM > CNVkit .cns > .cnr > SEG."""
    columns = ["gene", "copy_number", "log2_ratio", "cna_discrete"]
    if pd.notna(row.bam):
        counts, bam_notes = count_reads(
            row.bam,
            pon,
            read_filter=options.read_filter,
            reference_fasta=_value(row.reference_fasta) or options.reference_fasta,
        )
        notes.extend(bam_notes)
        result = coverage_copy_number(counts, pon)
        caveats.extend(f"{row.sample_id}: {c}" for c in result.caveats)
        genes = result.genes[result.genes["n_bins"] > 0]
        return genes.assign(cna_discrete=discrete_call(genes["log2_ratio"]))[columns], "BAM coverage"
    for name, label in (("cns", "CNVkit segments"), ("cnr", "CNVkit bins")):
        value = getattr(row, name)
        if pd.notna(value):
            table = read_cnvkit(value)
            notes.extend(table.attrs.get("notes", []))
            return cnvkit_gene_level(table)[columns], label
    if pd.notna(row.seg):
        if panel is None:
            raise InputError(
                "a SEG file needs the panel BED (--bed) to know where the genes are.",
                path=str(row.seg),
                field="seg",
            )
        segments = read_seg(row.seg)
        ids = segments["sample_id"].unique().tolist()
        if row.sample_id in ids:
            segments = segments[segments["sample_id"] == row.sample_id]
        elif len(ids) > 1:
            raise InputError(
                f"the SEG file holds samples {', '.join(map(str, ids[:6]))}; none is "
                f"{row.sample_id!r}. Rename the ID column values or split the file.",
                path=str(row.seg),
                field="ID",
            )
        return seg_gene_level(segments, panel)[columns], "SEG"
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns}).astype(
        {"gene": "string", "cna_discrete": "Int64"}
    ), "none"


def ingest_inputs(sheet: str | Path, *others: str | Path | None) -> list[Path]:
    """Every input file of an ingestion: the sheet, the files its rows name, and *others* (clinical,
    timelines, panel BED, reference)."""
    from analysis.io.sample_sheet import FILE_COLUMNS, read_sample_sheet

    rows = read_sample_sheet(sheet)
    named = [rows[c] for c in FILE_COLUMNS if c in rows]
    files = [Path(sheet), *(Path(o) for o in others if o)]
    for column in named:
        files += [Path(str(v)) for v in column.dropna() if str(v).strip()]
    return files


def guard_output_folder(out: str | Path, inputs: list[Path], *, force: bool = False) -> None:
    """Refuse an output folder that would destroy inputs or something that is not a study.

    Writing a study replaces *out* whole, so *out* must not be, contain or lie inside any input, and
    must not be a regular file; an existing folder that is not a study (no ``meta_study.txt``) and is
    not empty is refused unless *force*.

    Raises
    ------
    InputError
        Naming *out*, the input it would destroy, and the fix.
    """
    target = Path(out).resolve()
    for item in inputs:
        source = Path(item).resolve()
        if source == target or source.is_relative_to(target) or target.is_relative_to(source):
            raise InputError(f"--out {out} would replace the folder that holds the input {item}; the study "
                             "folder is replaced whole, so choose a new folder (e.g. studies/my_cohort)",
                             path=str(out))
    if target.exists() and not target.is_dir():
        raise InputError(f"--out {out} is an existing file, not a folder; choose a folder path", path=str(out))
    if target.is_dir() and not (target / "meta_study.txt").is_file() and any(target.iterdir()) and not force:
        raise InputError(f"--out {out} is an existing folder that is not a study (no meta_study.txt); it would "
                         "be replaced whole. Choose a new folder, or give --force to replace it",
                         path=str(out))


def ingest(sheet: str | Path, out: str | Path, *, force: bool = False, **kwargs) -> IngestResult:
    """Read every input (:func:`build_study`) and only then write the study folder *out*, atomically.

    Takes the keyword arguments of :func:`build_study`.  On any error nothing
    is written and an existing *out* is left as it was; *out* is checked first
    (:func:`guard_output_folder`).
    """
    recover_folder(out)  # a writer killed mid-swap left the old study aside: put it back before checking it
    guard_output_folder(out, ingest_inputs(sheet, kwargs.get("clinical"), *(kwargs.get("timelines") or ()),
                                           kwargs.get("panel_bed"), kwargs.get("reference")), force=force)
    result = build_study(sheet, **kwargs)
    write_study(result.study, out)
    return result
