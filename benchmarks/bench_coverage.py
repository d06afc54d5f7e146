"""Benchmark: per-target read counting (analysis.io.coverage.count_reads) vs ``samtools bedcov -c``.

Builds (once, cached in ``/tmp/bench_coverage``) a realistic targeted-panel BAM:
~5 million 100 bp reads with sequences and qualities, over 2,000 targets of
150-250 bp on 5 chromosomes (about the size of a 416-gene ctDNA panel), 75%
on target, ~15% duplicates, ~3% MAPQ < 20, some secondary/supplementary/QC-fail.
Then runs each tool in its own process (so peak RSS is that tool's alone),
checks that the counts agree target by target, and prints wall time and peak memory.

    python benchmarks/bench_coverage.py [--reads 5000000] [--repeat 3] [--rebuild]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path("/tmp/bench_coverage")
CONTIGS = {
    "chr3": 198_295_559,
    "chr7": 159_345_973,
    "chr12": 133_275_309,
    "chr17": 83_257_441,
    "chr19": 58_617_616,
}
READ_BP = 100


def build(n_reads: int, seed: int = 7) -> tuple[Path, Path]:
    """Write panel.bed and panel.bam (+ .bai) into CACHE; SAM text is streamed into samtools."""
    CACHE.mkdir(parents=True, exist_ok=True)
    bam, bed = CACHE / f"panel_{n_reads}.bam", CACHE / "panel.bed"
    if bam.exists() and Path(str(bam) + ".bai").exists() and bed.exists():
        return bam, bed
    import numpy as np

    rng = np.random.default_rng(seed)
    n_targets = 2000
    names = list(CONTIGS)
    target_contig = np.sort(rng.integers(0, len(names), n_targets))
    targets = []
    for k, name in enumerate(names):
        m = int((target_contig == k).sum())
        starts = np.sort(rng.choice(np.arange(1_000_000, CONTIGS[name] - 1_000_000, 5_000), m, replace=False))
        for s in starts:
            targets.append((name, int(s), int(s + rng.integers(150, 251))))
    with open(bed, "w") as handle:
        for i, (name, s, e) in enumerate(targets):
            handle.write(f"{name}\t{s}\t{e}\tGENE{i // 5}_t{i % 5}\n")
    on_target = int(n_reads * 0.75)
    weights = rng.lognormal(0, 0.4, len(targets))
    which = rng.choice(len(targets), on_target, p=weights / weights.sum())
    t_contig = np.array([names.index(t[0]) for t in targets])
    t_start = np.array([t[1] for t in targets])
    t_end = np.array([t[2] for t in targets])
    pos_on = rng.integers(t_start[which] - READ_BP + 10, t_end[which] - 10)
    contig_on = t_contig[which]
    off = n_reads - on_target
    contig_off = rng.integers(0, len(names), off)
    pos_off = (rng.random(off) * (np.array([CONTIGS[n] for n in names])[contig_off] - READ_BP)).astype(
        np.int64
    )
    contig = np.concatenate([contig_on, contig_off])
    pos = np.concatenate([pos_on, pos_off])
    order = np.lexsort((pos, contig))
    contig, pos = contig[order], pos[order]
    kind = rng.choice(6, n_reads, p=[0.78, 0.15, 0.03, 0.01, 0.02, 0.01])
    flag = np.select([kind == 1, kind == 3, kind == 4, kind == 5], [0x400, 0x100, 0x800, 0x200], 0)
    flag = flag | np.where(rng.random(n_reads) < 0.5, 0x10, 0)
    mapq = np.where(kind == 2, rng.integers(0, 20, n_reads), 60)
    pool_seq = ["".join(rng.choice(list("ACGT"), READ_BP)) for _ in range(512)]
    pool_qual = ["".join(chr(33 + q) for q in rng.integers(20, 41, READ_BP)) for _ in range(512)]
    pick = rng.integers(0, 512, n_reads)
    header = "@HD\tVN:1.6\tSO:coordinate\n" + "".join(
        f"@SQ\tSN:{n}\tLN:{length}\n" for n, length in CONTIGS.items()
    )
    tmp = CACHE / "building.bam"
    proc = subprocess.Popen(["samtools", "view", "-@2", "-b", "-o", str(tmp), "-"], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(header.encode())
    chunk = 200_000
    for lo in range(0, n_reads, chunk):
        hi = min(n_reads, lo + chunk)
        lines = [
            f"r{i}\t{flag[i]}\t{names[contig[i]]}\t{pos[i] + 1}\t{mapq[i]}\t{READ_BP}M\t*\t0\t0\t"
            f"{pool_seq[pick[i]]}\t{pool_qual[pick[i]]}\n"
            for i in range(lo, hi)
        ]
        proc.stdin.write("".join(lines).encode())
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("samtools view failed while building the benchmark BAM")
    subprocess.run(["samtools", "index", str(tmp)], check=True)
    os.replace(tmp, bam)
    os.replace(str(tmp) + ".bai", str(bam) + ".bai")
    return bam, bed


def _child_rusage_run(command: list[str]) -> tuple[float, float, str, float]:
    """Run *command*; return (wall s, peak RSS MB, stdout, CPU s = user + system)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{command[0]} failed: {err.decode()}")
    return wall, usage.ru_maxrss / 1024, out.decode(), usage.ru_utime + usage.ru_stime


OUR_SCRIPT = """
import sys
from analysis.io.bed import read_bed
from analysis.io.coverage import ReadFilter, count_reads
read_filter = ReadFilter(min_mapq=20, exclude_flags=0xF04)
counts, _ = count_reads(sys.argv[1], read_bed(sys.argv[2]), read_filter=read_filter)
sys.stdout.write("\\n".join(map(str, counts["read_count"].tolist())))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool; the best is reported")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_only:
        build(args.reads)
        return 0
    if args.rebuild and CACHE.exists():
        shutil.rmtree(CACHE)
    t0 = time.perf_counter()
    # Build in a child process: on Linux a child's peak RSS starts at its parent's RSS at fork/exec,
    # so this process must stay small for the peak-memory figures to be the tools' own.
    subprocess.run([sys.executable, __file__, "--build-only", "--reads", str(args.reads)], check=True)
    bam, bed = CACHE / f"panel_{args.reads}.bam", CACHE / "panel.bed"
    print(
        f"input: {bam} ({bam.stat().st_size / 1e6:.0f} MB, {args.reads:,} reads), {bed} "
        f"(built/cached in {time.perf_counter() - t0:.1f} s)"
    )
    project = Path(__file__).resolve().parents[1]
    ours_cmd = [sys.executable, "-c", OUR_SCRIPT, str(bam), str(bed)]
    samtools_cmd = ["samtools", "bedcov", "-c", "-Q", "20", "-G", "0x800", str(bed), str(bam)]
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = f"{project}{os.pathsep}{env_path}" if env_path else str(project)
    results = {}
    runs_by_label: dict[str, list] = {"samtools bedcov -c": [], "analysis count_reads": []}
    for _ in range(args.repeat):  # interleaved, so that load from other processes hits both alike
        runs_by_label["samtools bedcov -c"].append(_child_rusage_run(samtools_cmd))
        runs_by_label["analysis count_reads"].append(_child_rusage_run(ours_cmd))
    for label, runs in runs_by_label.items():
        best = min(runs, key=lambda r: r[0])
        results[label] = best
        print(
            f"{label:22s} wall {best[0]:6.2f} s (runs: {', '.join(f'{r[0]:.2f}' for r in runs)})  "
            f"CPU {min(r[3] for r in runs):6.2f} s  peak RSS {max(r[1] for r in runs):7.1f} MB"
        )
    ours = [int(x) for x in results["analysis count_reads"][2].split()]
    theirs = [int(line.split("\t")[-1]) for line in results["samtools bedcov -c"][2].splitlines()]
    agree = ours == theirs
    ratio = results["analysis count_reads"][0] / results["samtools bedcov -c"][0]
    cpu_ratio = min(r[3] for r in runs_by_label["analysis count_reads"]) / min(
        r[3] for r in runs_by_label["samtools bedcov -c"]
    )
    print(f"targets: {len(theirs)}; reads counted: {sum(theirs):,}; counts identical: {agree}")
    print(
        f"time ratio ours / samtools: wall {ratio:.2f}, CPU {cpu_ratio:.2f} (target <= 1.5; best-of-runs; "
        f"on a shared machine CPU time is the steadier figure)"
    )
    print(
        f"(peak RSS floor: this launcher's own RSS, "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, is inherited by each child)"
    )
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
