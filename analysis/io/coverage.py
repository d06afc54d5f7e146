"""BAM/CRAM coverage over a panel -> gene-level copy number against a panel of normals (pysam).

Steps (each a function, so tests can check them one by one):

1. :func:`count_reads` - reads per panel target.  **Which reads count**: every
   alignment that htslib's region iterator returns for the target, i.e. whose
   span [pos, bam_endpos) overlaps the 0-based half-open interval [start, end)
   by at least one base (``bam_endpos`` = pos + reference length; a read whose
   CIGAR consumes no reference base, only soft clips/insertions, spans the one
   base at pos), whose FLAG has none of the *exclude_flags* bits and whose
   MAPQ >= *min_mapq*.  A read overlapping two targets counts in both (also
   when the targets overlap each other); mates count separately; zero-length
   targets count nothing.  This is exactly ``samtools bedcov -c`` with
   ``-Q min_mapq -G exclude_flags`` (bedcov's read count is taken as reads
   enter its pileup, after the same iterator and the same flag/MAPQ tests)
   whenever unmapped reads are excluded (0x4, in every filter
   :meth:`ReadFilter.from_switches` builds): bedcov's pileup always drops
   unmapped reads placed at a position, the iterator does not.  One more
   pileup artefact: bedcov misses a read made only of insertions/soft clips
   that starts where another read starts; we count it (as the per-target
   region queries of earlier versions did).  Counted in one
   pass of htslib's multi-region iterator by the compiled
   :mod:`analysis.io._count_targets` (built by ``make``), with one thread per
   CPU for large files.
2. :func:`normalise_counts` - reads per kilobase, divided by the median over
   targets (so 1.0 = a typical target).
3. :func:`build_reference` - panel-of-normals: per target, the median
   normalised depth over normal samples and the spread of their log2 ratios.
4. :func:`coverage_copy_number` - per-target log2(sample / reference),
   re-centred on the median target (most targets are copy-neutral), then the
   gene-level weighted median (weights = target length), absolute CN =
   2 x 2^log2.  Purity adjustment is :func:`analysis.copy_number.purity_adjusted_cn`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pysam

from analysis import params
from analysis.copy_number import gene_level
from analysis.errors import AnalysisError, InputError
from analysis.io.bed import PANEL_COLUMNS, match_contig
from analysis.io.compressed import is_gzip, open_gzip
from analysis.io.errors import (
    ContigNotFoundError,
    IndexMissingError,
    ReferenceMissingError,
    TruncatedFileError,
)
from analysis.io.vcf import check_bgzf_eof

#: Columns of a panel-of-normals reference (TSV written by ``python -m analysis build-reference``).
REFERENCE_COLUMNS = ("chromosome", "start", "end", "target", "gene", "reference_depth", "spread", "n_normals")


@dataclass(frozen=True)
class ReadFilter:
    """Which reads are counted.

    Attributes
    ----------
    min_mapq
        Minimum mapping quality (Phred); samtools ``-Q``.
    exclude_flags
        SAM FLAG bits whose reads are skipped; samtools ``-G``/``-g`` set.
        Default 0xF04: unmapped, secondary, QC-fail, duplicate, supplementary.
    """

    min_mapq: int = params.COVERAGE_MIN_MAPQ
    exclude_flags: int = params.COVERAGE_EXCLUDE_FLAGS

    @classmethod
    def from_switches(
        cls,
        *,
        min_mapq: int = params.COVERAGE_MIN_MAPQ,
        keep_duplicates: bool = False,
        keep_secondary: bool = False,
        keep_qcfail: bool = False,
        keep_supplementary: bool = False,
    ) -> ReadFilter:
        """Build a filter from on/off switches (the command line's ``--keep-duplicates`` etc.)."""
        flags = 0x4
        for keep, bit in (
            (keep_duplicates, 0x400),
            (keep_secondary, 0x100),
            (keep_qcfail, 0x200),
            (keep_supplementary, 0x800),
        ):
            if not keep:
                flags |= bit
        return cls(min_mapq=min_mapq, exclude_flags=flags)

    def describe(self) -> str:
        names = [
            name
            for bit, name in (
                (0x4, "unmapped"),
                (0x100, "secondary"),
                (0x200, "QC-fail"),
                (0x400, "duplicate"),
                (0x800, "supplementary"),
            )
            if self.exclude_flags & bit
        ]
        excluded = ", ".join(names) or "none"
        return f"MAPQ >= {self.min_mapq}; excluded: {excluded} (flags 0x{self.exclude_flags:X})"


@dataclass(frozen=True)
class CoverageResult:
    """Copy number of one sample from coverage.

    Attributes
    ----------
    targets
        Panel columns + ``read_count``, ``depth`` (normalised), ``reference_depth``,
        ``log2_ratio`` (re-centred), ``used`` (False: reference depth too low).
    genes
        ``gene``, ``log2_ratio``, ``copy_number``, ``n_bins`` (targets used).
    caveats
        Statistical cautions (few targets, genes with no usable target).
    """

    targets: pd.DataFrame
    genes: pd.DataFrame
    caveats: tuple[str, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> pd.DataFrame:
        return self.genes


def _is_cram(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"CRAM"


def open_alignments(path: str | Path, reference_fasta: str | Path | None = None) -> pysam.AlignmentFile:
    """Open an indexed BAM or CRAM for region queries, turning pysam's errors into typed ones.

    Raises
    ------
    InputError
        Missing or unreadable file.
    ReferenceMissingError
        CRAM without its reference FASTA (or the FASTA path does not exist).
    TruncatedFileError
        BAM without the BGZF end-of-file block.
    IndexMissingError
        No ``.bai``/``.csi``/``.crai`` index (suggests ``samtools index``).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("alignment file not found; check the path in the sample sheet.", path=str(path))
    cram = _is_cram(path)
    if cram:
        if reference_fasta is None:
            raise ReferenceMissingError(
                "CRAM needs the reference FASTA it was compressed against; give it in the sample sheet's "
                "reference_fasta column or with --reference-fasta.",
                path=str(path),
                field="reference_fasta",
            )
        if not Path(reference_fasta).is_file():
            raise ReferenceMissingError(
                "reference FASTA not found; check the path.",
                path=str(reference_fasta),
                field="reference_fasta",
            )
    else:
        check_bgzf_eof(path, "BAM")
    previous = pysam.set_verbosity(0)
    try:
        handle = pysam.AlignmentFile(
            str(path), "rc" if cram else "rb", reference_filename=str(reference_fasta) if cram else None
        )
    except (OSError, ValueError) as exc:
        raise InputError(f"not a readable BAM/CRAM ({exc}).", path=str(path)) from None
    finally:
        pysam.set_verbosity(previous)
    if not handle.has_index():
        handle.close()
        raise IndexMissingError(
            f"no index (.bai/.csi/.crai) beside the file; run `samtools index {path}` and try again.",
            path=str(path),
            field="index",
        )
    return handle


def map_contigs(
    panel_contigs: Sequence[str], available: Sequence[str], *, bam_path: str, bed_path: str | None = None
) -> tuple[dict[str, str], list[str]]:
    """Map each panel contig to the alignment file's name for it (``17`` <-> ``chr17``).

    Returns
    -------
    (mapping, notes)
        ``notes`` says when names were translated.

    Raises
    ------
    ContigNotFoundError
        A panel contig is absent from the alignment header under either name.
    """
    mapping: dict[str, str] = {}
    renamed = []
    for contig in dict.fromkeys(panel_contigs):
        found = match_contig(contig, available)
        if found is None:
            shown = ", ".join(list(available)[:8]) + (" ..." if len(available) > 8 else "")
            raise ContigNotFoundError(
                f"panel contig {contig!r} (from {bed_path or 'the panel BED'}) is not in this file's header "
                f"(contigs: {shown}); use a BED for the same genome build.",
                path=bam_path,
                field="@SQ SN",
            )
        mapping[contig] = found
        if found != contig:
            renamed.append(f"{contig}->{found}")
    notes = []
    if renamed:
        notes.append(
            f"{Path(bam_path).name}: panel contig names translated to the file's naming "
            f"({', '.join(renamed[:4])}{' ...' if len(renamed) > 4 else ''})."
        )
    return mapping, notes


#: Auto mode (``workers=None``) counts with several threads only from this file size on.  The
#: threads cost next to nothing to start (each opens the file and loads its index: milliseconds),
#: but below this size counting takes under 0.1 s anyway (one thread reads about 200 MB of BAM
#: per second on this project's machine; benchmarks/bench_coverage.py).
PARALLEL_MIN_BYTES = 16 * 1024 * 1024

#: Chunks per worker thread: small enough for load balance (targets differ in depth, other
#: processes share the cores), large enough that each chunk's file open, index load and iterator
#: set-up stay negligible.
CHUNKS_PER_WORKER = 4

#: Chunks of the single-thread mode: progress is reported per chunk.
SINGLE_PROCESS_CHUNKS = 16


class CounterNotBuiltError(AnalysisError):
    """The compiled read counter (``analysis.io._count_targets``) cannot be imported."""


def _counter() -> ModuleType:
    """The compiled counter module; a clear error naming the build command when it is missing.

    There is deliberately no silent fallback to the per-target pysam route (2.5x slower).
    """
    try:
        from analysis.io import _count_targets
    except ImportError as exc:
        raise CounterNotBuiltError(
            "the compiled read counter analysis.io._count_targets is not built or does not load "
            f"({exc}); build it with `make .venv/.installed` (if make says it is up to date: "
            "`.venv/bin/python setup.py build_ext --inplace` in the project folder; needs Cython and a C "
            "compiler) and try again."
        ) from None
    return _count_targets


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _worker_count(workers: int | None, path: Path, n_targets: int) -> int:
    """Threads to count with: *workers* when given, else 1 below :data:`PARALLEL_MIN_BYTES`,
    else one per available CPU."""
    if workers is not None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1 or None, got {workers}")
        wanted = workers
    elif path.stat().st_size < PARALLEL_MIN_BYTES:
        wanted = 1
    else:
        wanted = _available_cpus()
    return max(1, min(wanted, n_targets))


def _region(contig: str, start: int, end: int) -> str:
    """htslib region (1-based, inclusive) for 0-based [start, end), one base wider on each side.

    The counter tests every read against the exact target, so the iterator only has to return a
    superset; the margin keeps that true whatever the iterator's edge rule.  Braces quote names
    that contain ``:``.
    """
    return f"{{{contig}}}:{max(1, start)}-{end + 1}"


def count_reads(
    path: str | Path,
    panel: pd.DataFrame,
    *,
    read_filter: ReadFilter = ReadFilter(),
    reference_fasta: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Reads per panel target (see the module docstring for exactly which reads count).

    One htslib multi-region pass over the targets (``sam_itr_regarray``, as ``samtools view -M``)
    in the compiled counter :mod:`analysis.io._count_targets`: each BGZF block is read once and
    no Python code runs per read.

    Parameters
    ----------
    path
        Indexed BAM or CRAM.
    panel
        From :func:`analysis.io.bed.read_bed` (or a reference table).
    read_filter
        MAPQ and FLAG filters.
    reference_fasta
        Required for CRAM.
    progress
        Called with the number of targets done since the last call (once per chunk of targets).
    workers
        1: count in the calling thread only (single process, single thread).  N > 1: N threads,
        each counting chunks of the sorted targets with its own file handle; the compiled
        counter releases the GIL, so they run on N cores, with no process start-up.  None
        (default): 1 for files under :data:`PARALLEL_MIN_BYTES`, else one per available CPU.
        Counts are identical in every mode.

    Returns
    -------
    (counts, notes)
        ``counts`` is *panel*'s columns plus ``read_count`` (int64) in panel
        order; ``notes`` reports contig-name translation.

    Raises
    ------
    InputError (and the typed subclasses of :func:`open_alignments` and :func:`map_contigs`).
    CounterNotBuiltError
        The compiled counter is not built (run ``make``).
    """
    counter = _counter()
    path = Path(path)
    counts = np.zeros(len(panel), dtype=np.int64)
    with open_alignments(path, reference_fasta) as handle:
        mapping, notes = map_contigs(
            panel["chromosome"].astype(str).tolist(), handle.references, bam_path=str(path)
        )
        contigs = panel["chromosome"].astype(str).map(mapping).to_numpy()
        tid_of = {name: handle.get_tid(name) for name in set(contigs)}
        tids = np.array([tid_of[c] for c in contigs], dtype=np.int64)
        starts = panel["start"].to_numpy(dtype=np.int64)
        ends = panel["end"].to_numpy(dtype=np.int64)
        # Zero-length targets never count a read (htslib's iterator returns nothing for them).
        keep = np.flatnonzero(ends > starts)
        order = keep[np.lexsort((ends[keep], starts[keep], tids[keep]))]
        if progress is not None and len(panel) > len(order):
            progress(len(panel) - len(order))
        if len(order) == 0:
            return _with_counts(panel, counts), notes
        workers = _worker_count(workers, path, len(order))
        n_chunks = SINGLE_PROCESS_CHUNKS if workers == 1 else workers * CHUNKS_PER_WORKER
        pieces = np.array_split(order, min(len(order), n_chunks))
        chunks = [
            (
                [_region(contigs[i], int(starts[i]), int(ends[i])) for i in piece],
                tids[piece],
                starts[piece],
                ends[piece],
            )
            for piece in pieces
        ]
        flags, min_mapq = read_filter.exclude_flags, read_filter.min_mapq
        cram = handle.is_cram
    # The compiled counter opens the file with its own htslib (the pysam handle above only
    # validated it and read the header's contig names and ids).
    reference = str(reference_fasta) if cram else None
    done = 0
    try:
        if workers == 1:
            def chunk_done(n_targets: int) -> None:
                nonlocal done
                done += 1
                if progress is not None:
                    progress(n_targets)

            results = counter.count_file(str(path), cram, reference, chunks, flags, min_mapq, chunk_done)
            for piece, out in zip(pieces, results, strict=True):
                counts[piece] = out
        else:
            # Threads, not processes: the counter runs without the GIL, so threads use every core
            # without a process start-up, and nothing is forked or spawned (a spawned worker would
            # re-run an unguarded __main__ script; forking a threaded server process is unsafe).
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="count_reads") as pool:
                futures = {
                    pool.submit(counter.count_file, str(path), cram, reference, [chunk], flags, min_mapq): k
                    for k, chunk in enumerate(chunks)
                }
                try:
                    for future in as_completed(futures):
                        done = futures[future]
                        counts[pieces[done]] = future.result()[0]
                        if progress is not None:
                            progress(len(pieces[done]))
                except BaseException:
                    for pending in futures:
                        pending.cancel()
                    raise
    except OSError as exc:
        first = panel["target"].iloc[int(pieces[min(done, len(pieces) - 1)][0])]
        raise TruncatedFileError(
            f"reading the targets from {first} on failed ({exc}); the file is truncated or corrupt: re-create it.",
            path=str(path),
        ) from None
    return _with_counts(panel, counts), notes


def _with_counts(panel: pd.DataFrame, counts: np.ndarray) -> pd.DataFrame:
    out = panel.reset_index(drop=True).copy()
    out["read_count"] = counts
    return out


def normalise_counts(counts: pd.DataFrame) -> pd.Series:
    """Reads per kilobase of target divided by the median over targets with reads (1.0 = typical target).

    Zero-length targets get NaN; a sample with no reads gets all NaN.
    """
    length_kb = (counts["end"] - counts["start"]).to_numpy(dtype="float64") / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        per_kb = np.where(length_kb > 0, counts["read_count"].to_numpy(dtype="float64") / length_kb, np.nan)
    positive = per_kb[np.isfinite(per_kb) & (per_kb > 0)]
    scale = np.median(positive) if positive.size else np.nan
    return pd.Series(per_kb / scale, index=counts.index, dtype="float64")


def build_reference(normal_counts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Panel-of-normals reference from the read counts of normal samples.

    Parameters
    ----------
    normal_counts
        :func:`count_reads` tables of the normals, all over the same panel.

    Returns
    -------
    DataFrame
        Columns of :data:`REFERENCE_COLUMNS`: ``reference_depth`` is the
        median normalised depth over normals; ``spread`` the standard
        deviation of the normals' log2(depth / reference_depth) (NaN with
        one normal); ``n_normals``.

    Raises
    ------
    InputError
        No normals, or normals counted over different panels.
    """
    if not normal_counts:
        raise InputError("a panel of normals needs at least one normal sample.", field="normals")
    first = normal_counts[0]
    for other in normal_counts[1:]:
        if len(other) != len(first) or not (other["start"].to_numpy() == first["start"].to_numpy()).all():
            raise InputError(
                "normals were counted over different panels; count them with the same BED.", field="normals"
            )
    depths = np.column_stack([normalise_counts(c).to_numpy() for c in normal_counts])
    reference = np.nanmedian(depths, axis=1) if depths.size else np.array([])
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log2(depths / reference[:, None])
    logs[~np.isfinite(logs)] = np.nan
    spread = np.nanstd(logs, axis=1, ddof=1) if len(normal_counts) > 1 else np.full(len(first), np.nan)
    out = first[list(PANEL_COLUMNS)].reset_index(drop=True).copy()
    out["reference_depth"] = reference
    out["spread"] = spread
    out["n_normals"] = len(normal_counts)
    return out


def write_reference(reference: pd.DataFrame, path: str | Path) -> None:
    """Write a reference table as TSV (the format :func:`read_reference` reads)."""
    reference[list(REFERENCE_COLUMNS)].to_csv(path, sep="\t", index=False, float_format="%.6g")


def read_reference(path: str | Path) -> pd.DataFrame:
    """Read a panel-of-normals TSV written by :func:`write_reference`.

    Raises
    ------
    InputError
        Missing file or missing columns.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "panel-of-normals reference not found; build it with `python -m analysis build-reference`.",
            path=str(path),
        )
    dtypes = {"chromosome": "string", "target": "string", "gene": "string"}
    if is_gzip(path):  # decompressed as a stream with limits (analysis.io.compressed), never by pandas
        with open_gzip(path, "rb") as stream:
            frame = pd.read_csv(stream, sep="\t", dtype=dtypes)
    else:
        frame = pd.read_csv(path, sep="\t", dtype=dtypes, compression=None)
    missing = [c for c in REFERENCE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; expected {', '.join(REFERENCE_COLUMNS)}. "
            "Rebuild it with `python -m analysis build-reference`.",
            path=str(path),
            line=1,
            field=missing[0],
        )
    return frame


def coverage_copy_number(
    counts: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    min_reference_depth: float = params.COVERAGE_MIN_REFERENCE_DEPTH,
) -> CoverageResult:
    """Target- and gene-level copy number of one sample against a panel-of-normals reference.

    Parameters
    ----------
    counts
        :func:`count_reads` table over the reference's panel (same rows, same order).
    reference
        :func:`build_reference` table.
    min_reference_depth
        Targets whose reference depth is below this (normalised units) are not used.

    Returns
    -------
    CoverageResult
        Gene copy number: weighted median (weights = target length in bp) of
        the re-centred target log2 ratios; ``copy_number`` = 2 x 2^log2.

    Raises
    ------
    InputError
        *counts* and *reference* cover different targets.
    """
    if (
        len(counts) != len(reference)
        or not (counts["start"].to_numpy() == reference["start"].to_numpy()).all()
    ):
        raise InputError(
            "sample and reference cover different panel targets; build the reference with the same BED.",
            field="reference",
        )
    depth = normalise_counts(counts).to_numpy()
    ref_depth = reference["reference_depth"].to_numpy(dtype="float64")
    used = np.isfinite(ref_depth) & (ref_depth >= min_reference_depth) & np.isfinite(depth)
    # Half a read keeps an empty target finite (a deep deletion) without dominating the median.
    length_kb = (counts["end"] - counts["start"]).to_numpy(dtype="float64") / 1000.0
    floor = np.where(length_kb > 0, 0.5 / np.maximum(length_kb, 1e-9), np.nan)
    scale = (
        np.nanmedian(
            np.where(
                depth > 0,
                counts["read_count"].to_numpy() / np.maximum(length_kb, 1e-9) / np.where(depth > 0, depth, 1),
                np.nan,
            )
        )
        if np.any(depth > 0)
        else np.nan
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        safe_depth = np.where(depth > 0, depth, floor / scale)
        log2 = np.log2(safe_depth / ref_depth)
    log2 = np.where(used, log2, np.nan)
    caveats = []
    if np.isfinite(log2).any():
        log2 = log2 - np.nanmedian(log2)
    else:
        caveats.append("no usable target: every target has too few reads in the sample or the reference.")
    targets = counts.reset_index(drop=True).copy()
    targets["depth"] = depth
    targets["reference_depth"] = ref_depth
    targets["log2_ratio"] = log2
    targets["used"] = used
    weights = (targets["end"] - targets["start"]).astype("float64").where(targets["used"], 0.0)
    genes = gene_level(targets.assign(_weight=weights), value="log2_ratio", weight="_weight")
    n_used = targets[targets["used"]].groupby("gene").size()
    genes["n_bins"] = genes["gene"].map(n_used).fillna(0).astype("int64")
    lost = genes.loc[genes["n_bins"] == 0, "gene"].tolist()
    if lost:
        caveats.append(f"no usable target for {', '.join(lost)}: copy number not estimated.")
    if used.sum() < 20:
        caveats.append(
            f"only {int(used.sum())} usable targets: median re-centring assumes most are copy-neutral."
        )
    return CoverageResult(targets, genes, tuple(caveats))
