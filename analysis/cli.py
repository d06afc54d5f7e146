"""Command line: ``python -m analysis ingest | build-reference | validate | export | report | demo``.

Only this layer turns :class:`analysis.errors.AnalysisError` into text (one
line on stderr, exit status 2; ``validate`` exits 1 when the study has errors).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from tqdm import tqdm

from analysis import params
from analysis.errors import AnalysisError

_EPILOG_INGEST = textwrap.dedent("""\
    sample sheet (tab-separated, one row per sample; paths relative to the sheet):
      required : sample_id  patient_id  sample_type(plasma|tissue)  collection_day(days from
                 first trastuzumab dose)  timepoint(BASELINE|ON_TREATMENT|PROGRESSION, may be blank)
      files    : vcf  maf  bam(BAM or CRAM)  reference_fasta(for CRAM)  cnr  cns(.cns/.call.cns)  seg
      options  : tumour_column(VCF/MAF tumour sample name)  tumour_fraction(0..1; default 2 x max
                 somatic VAF)

    copy number per sample comes from the first of: bam (coverage vs --reference), cns, cnr, seg.
    Nothing is written unless every input is read; an existing --out folder is replaced whole.

    example:
      python -m analysis build-reference --bed panel.bed --out pon.tsv normals/*.bam
      python -m analysis ingest --sheet samples.tsv --clinical patients.tsv --bed panel.bed \\
          --reference pon.tsv --out studies/my_cohort
    """)


def _add_read_filter_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("read filters for BAM/CRAM coverage (same reads as samtools bedcov -c)")
    group.add_argument(
        "--min-mapq",
        type=int,
        default=params.COVERAGE_MIN_MAPQ,
        metavar="Q",
        help="count reads with mapping quality >= Q (default %(default)s; samtools -Q)",
    )
    group.add_argument("--keep-duplicates", action="store_true", help="count reads flagged duplicate (0x400)")
    group.add_argument("--keep-secondary", action="store_true", help="count secondary alignments (0x100)")
    group.add_argument("--keep-qcfail", action="store_true", help="count reads failing vendor QC (0x200)")
    group.add_argument(
        "--keep-supplementary", action="store_true", help="count supplementary alignments (0x800)"
    )
    group.add_argument(
        "--reference-fasta",
        metavar="FASTA",
        help="reference FASTA for CRAM files (rows may also name their own)",
    )


def _read_filter(args: argparse.Namespace):
    from analysis.io.coverage import ReadFilter

    return ReadFilter.from_switches(
        min_mapq=args.min_mapq,
        keep_duplicates=args.keep_duplicates,
        keep_secondary=args.keep_secondary,
        keep_qcfail=args.keep_qcfail,
        keep_supplementary=args.keep_supplementary,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="HER2+ gastric cancer ctDNA study tools: turn caller outputs (VCF/MAF, CNVkit, SEG, "
        "BAM/CRAM coverage) into a cBioPortal-format study folder the dashboard opens.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = sub.add_parser(
        "ingest",
        help="raw files listed in a sample sheet -> study folder",
        description="Read every file of a sample sheet and write one study folder.",
        epilog=_EPILOG_INGEST,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ingest.add_argument("--sheet", required=True, metavar="TSV", help="sample sheet (see below)")
    ingest.add_argument(
        "--out", required=True, metavar="DIR",
        help="study folder to write (an existing study there is replaced whole; a folder holding any input, "
        "a file, or a non-study folder is refused)"
    )
    ingest.add_argument("--force", action="store_true",
                        help="replace an existing --out folder even when it is not a study")
    ingest.add_argument(
        "--clinical",
        metavar="TSV",
        help="patient table: PATIENT_ID, HER2_STATUS, HER2_IHC, HER2_FISH_RATIO, PFS_MONTHS, "
        "PFS_STATUS, OS_MONTHS, OS_STATUS (cBioPortal data_clinical_patient style)",
    )
    ingest.add_argument(
        "--timeline",
        action="append",
        default=[],
        metavar="TSV",
        help="cBioPortal timeline file (treatment, CEA, imaging, status); repeatable",
    )
    ingest.add_argument("--bed", metavar="BED", help="panel BED (gene of unannotated VCF records; SEG genes)")
    ingest.add_argument(
        "--reference",
        metavar="TSV",
        help="panel-of-normals reference from build-reference (needed for bam rows)",
    )
    ingest.add_argument(
        "--keep-filter",
        action="append",
        metavar="VALUE",
        help="VCF/MAF FILTER value to keep (repeatable; default PASS; '.' is always kept)",
    )
    ingest.add_argument("--all-filters", action="store_true", help="keep variants whatever their FILTER")
    ingest.add_argument(
        "--study-id", default="ingested_study", help="cancer_study_identifier (default %(default)s)"
    )
    ingest.add_argument("--study-name", default="", help="study name shown in the dashboard")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_read_filter_options(ingest)

    reference = sub.add_parser(
        "build-reference",
        help="panel of normals from normal BAM/CRAMs",
        description="Count reads per panel target in normal samples (healthy-donor plasma or matched "
        "normals) and write the panel-of-normals reference that ingest divides by.",
        epilog="example: python -m analysis build-reference --bed panel.bed --out pon.tsv normals/*.bam",
    )
    reference.add_argument("normals", nargs="+", metavar="BAM", help="indexed normal BAM/CRAM files")
    reference.add_argument("--bed", required=True, metavar="BED", help="panel BED (targets)")
    reference.add_argument("--out", required=True, metavar="TSV", help="reference file to write")
    reference.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_read_filter_options(reference)

    validate = sub.add_parser(
        "validate",
        help="check a study folder and print every problem",
        description="Validate a cBioPortal-format study folder; exit 1 on errors.",
    )
    validate.add_argument("study", metavar="STUDY", help="study folder")

    export = sub.add_parser(
        "export",
        help="a study plus the analysis' derived columns -> a new study folder",
        description="Run the cohort analysis on a study and write it, with the derived per-patient columns "
        "(resistance class, number of mechanisms, pathways and their statuses) and per-sample columns "
        "(tumour fraction, purity-adjusted ERBB2 copy number) as clinical attributes, as a cBioPortal study "
        "folder with case lists, plus the concordance and survival statistics (derived_statistics.csv).",
        epilog="example: python -m analysis export --study data/demo --out exports/demo_derived",
    )
    export.add_argument("--study", required=True, metavar="STUDY", help="study folder to export")
    export.add_argument("--out", required=True, metavar="DIR",
                        help="folder to write (replaced whole; refused when inside or equal to --study)")
    report = sub.add_parser(
        "report",
        help="tumour-board report of a patient, or the researcher's report of the cohort (self-contained HTML, "
        "or PDF via headless Chromium)",
        description="Write one patient's tumour-board report (answers, timeline, alterations per draw, mechanism "
        "call with evidence and citations, caveats, parameters, knowledge base, study provenance), the "
        "report of every followed patient with --all, or with --cohort the researcher's report: the paper's "
        "findings on the study, each with its n, CI and test, the figures, caveats, methods and provenance.",
        epilog="examples:\n"
        "  python -m analysis report --study data/demo --patient P033 --out P033.html\n"
        "  python -m analysis report --study data/demo --patient P033 --out P033.pdf --paper letter\n"
        "  python -m analysis report --study data/demo --all --out reports/ --format pdf\n"
        "  python -m analysis report --study data/demo --cohort --out cohort-report.html\n"
        "  python -m analysis report --study data/demo --cohort --out cohort-report.pdf --paper letter",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("--study", required=True, metavar="DIR", help="study folder")
    who = report.add_mutually_exclusive_group(required=True)
    who.add_argument("--patient", metavar="ID", help="the patient")
    who.add_argument("--all", action="store_true",
                     help="every followed patient (on trastuzumab with a follow-up status), one file each")
    who.add_argument("--cohort", action="store_true",
                     help="the researcher's report of the whole study (the paper's findings, methods, provenance)")
    report.add_argument("--out", required=True, metavar="FILE|DIR",
                        help="F.html or F.pdf for --patient and --cohort; a folder for --all")
    report.add_argument("--format", choices=("html", "pdf"), default="html",
                        help="file type of --all reports (default %(default)s)")
    report.add_argument("--paper", choices=("a4", "letter"), default="a4", help="page size (default %(default)s)")
    report.add_argument("--knowledge-base", metavar="TSV",
                        help="resistance knowledge base file (default: the one shipped, data/resistance_kb.tsv)")

    demo = sub.add_parser(
        "demo", help="demo data (arguments are passed to python -m analysis.demo)", add_help=False
    )
    demo.add_argument("demo_args", nargs=argparse.REMAINDER)
    return parser


def _ingest(args: argparse.Namespace) -> int:
    from analysis.ingest import IngestOptions, build_study, guard_output_folder, ingest_inputs
    from analysis.io.cbioportal import write_study
    from analysis.io.sample_sheet import read_sample_sheet

    keep = None if args.all_filters else tuple(args.keep_filter or ("PASS",))
    options = IngestOptions(
        keep_filters=keep,
        read_filter=_read_filter(args),
        reference_fasta=args.reference_fasta,
        study_id=args.study_id,
        study_name=args.study_name,
    )
    guard_output_folder(args.out, ingest_inputs(args.sheet, args.clinical, *args.timeline, args.bed, args.reference,
                                                args.reference_fasta), force=args.force)
    n_samples = len(read_sample_sheet(args.sheet))
    with tqdm(total=n_samples, unit="sample", desc="reading", disable=args.quiet, file=sys.stderr) as bar:
        result = build_study(
            args.sheet,
            clinical=args.clinical,
            timelines=args.timeline,
            panel_bed=args.bed,
            reference=args.reference,
            options=options,
            progress=bar.update,
        )
    write_study(result.study, args.out)
    print(result.format())
    print(f"coverage reads counted: {options.read_filter.describe()}")
    print(f"study written to {args.out}")
    return 0


def _build_reference(args: argparse.Namespace) -> int:
    from analysis.io.bed import read_bed
    from analysis.io.coverage import build_reference, count_reads, write_reference

    panel = read_bed(args.bed)
    read_filter = _read_filter(args)
    counts, notes = [], []
    with tqdm(
        total=len(panel) * len(args.normals),
        unit="target",
        desc="counting",
        disable=args.quiet,
        file=sys.stderr,
    ) as bar:
        for path in args.normals:
            table, file_notes = count_reads(
                path,
                panel,
                read_filter=read_filter,
                reference_fasta=args.reference_fasta,
                progress=bar.update,
            )
            counts.append(table)
            notes.extend(file_notes)
    reference = build_reference(counts)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.writing")
    write_reference(reference, staging)
    staging.replace(out)
    low = int((reference["reference_depth"] < params.COVERAGE_MIN_REFERENCE_DEPTH).sum())
    print(
        f"normals: {len(counts)}; targets: {len(reference)} ({low} below the usable depth); "
        f"reads per normal: {', '.join(str(int(c['read_count'].sum())) for c in counts)}"
    )
    print(f"reads counted: {read_filter.describe()}")
    from analysis.ingest import condense_notes

    for note in condense_notes(notes):
        print(f"note: {note}")
    print(f"reference written to {out}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from analysis.io.cbioportal import inspect_study

    report, files, study = inspect_study(args.study)
    text = report.format()
    print(text if text else "no problems found")
    if study is not None:
        print("read: " + ", ".join(f"{n} {what}" for what, n in study_counts(study)))
    data_files = files[~files["read_as"].eq("meta file")] if len(files) else files
    read = data_files[data_files["read_as"].notna()]
    unread = data_files[data_files["read_as"].isna()]
    if len(read):
        print(f"files read ({len(read)}):")
        for row in read.itertuples():
            how = f"; {row.reason}" if row.reason else ""
            print(f"  {row.file}: {row.read_as} (found by {row.found_by}{how})")
    if len(unread):
        print(f"files not read ({len(unread)}):")
        for row in unread.itertuples():
            print(f"  {row.file}: {row.reason}")
    print(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
          + ("" if study is not None else ": the study is refused"))
    return 1 if report.errors else 0


def _export(args: argparse.Namespace) -> int:
    from analysis.export import STATISTICS_FILE, check_export_folder, export_study
    from analysis.io.cbioportal import read_study

    check_export_folder(args.out, args.study)
    study = read_study(args.study)
    result = export_study(study, args.out)
    derived = result.study
    print("read: " + ", ".join(f"{n} {what}" for what, n in study_counts(study)))
    print(f"derived columns: {len(derived.patients)} patients, {len(derived.samples)} samples; "
          f"case lists: {', '.join(derived.case_lists['case_list'].unique())}")
    print(f"statistics: {len(result.statistics)} rows in {STATISTICS_FILE}")
    print(f"study written to {args.out}")
    return 0


def study_counts(study) -> list[tuple[str, int]]:
    """What a study holds, as (what, count) pairs for a one-line summary."""
    counts = [("patients", len(study.patients)), ("samples", len(study.samples)),
              ("mutations", len(study.variants)), ("gene-level copy-number values", len(study.copy_number)),
              ("structural variants", len(study.structural_variants)), ("CN segments", len(study.segments)),
              ("gene-panel assignments", len(study.gene_panels)), ("case lists",
                                                                   study.case_lists["case_list"].nunique()),
              ("timeline events", len(study.timeline))]
    return [(what, n) for what, n in counts if n]


def _report(args: argparse.Namespace) -> int:
    # The report is presentation (dashboard.report, Dash-free); the command line only hands over to it.
    from analysis.io.cbioportal import read_study
    from analysis.params import AnalysisParameters
    from analysis.resistance import load_knowledge_base
    from analysis.trajectory import NOT_FOLLOWED, analyse_trajectories
    from dashboard.report import report_file_name, write_cohort_report, write_report
    from dashboard.report.errors import ReportError

    study = read_study(args.study)
    params = AnalysisParameters(knowledge_base=args.knowledge_base or "default")
    kb = load_knowledge_base(params.knowledge_base)
    if args.cohort:
        path = write_cohort_report(study, args.out, params, kb, paper=args.paper)
        print(f"researcher's report of study {study.meta.study_id} ({len(study.patients)} patients) written to {path}")
        return 0
    if not args.all:
        path = write_report(study, args.patient, args.out, params, kb, paper=args.paper)
        print(f"report of patient {args.patient} written to {path}")
        return 0
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ReportError(f"{out}: --all writes one file per patient into a folder, and this is a file")
    patients = analyse_trajectories(study, params).patients
    followed = patients.loc[patients["follow_up"] != NOT_FOLLOWED, "patient_id"].astype(str).tolist()
    out.mkdir(parents=True, exist_ok=True)
    suffix = f".{args.format}"
    for patient_id in tqdm(followed, unit="patient", desc="reports", file=sys.stderr, disable=len(followed) < 2):
        write_report(study, patient_id, out / report_file_name(patient_id, suffix), params, kb, paper=args.paper)
    print(f"{len(followed)} report(s) of followed patients written to {out}"
          + (f" ({len(patients) - len(followed)} not followed left out)" if len(patients) > len(followed) else ""))
    return 0


def _demo(argv: list[str]) -> int:
    try:
        from analysis.demo.__main__ import main as demo_main
    except ModuleNotFoundError as exc:
        if exc.name != "analysis.demo.__main__":
            raise
        print("error: the demo generator (analysis.demo.__main__) is not installed.", file=sys.stderr)
        return 2
    return int(demo_main(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "demo":
        return _demo(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        if args.command == "ingest":
            return _ingest(args)
        if args.command == "build-reference":
            return _build_reference(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "export":
            return _export(args)
        if args.command == "report":
            return _report(args)
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return 2
    return 2
