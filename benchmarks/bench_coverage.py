"""Benchmark: per-target read counting (analysis.io.coverage.count_reads) vs samtools.

Builds (once, cached in ``/tmp/bench_coverage``) a realistic targeted-panel BAM:
~5 million 100 bp reads with sequences and qualities, over 2,000 targets of
150-250 bp on 5 chromosomes (about the size of a 416-gene ctDNA panel), 75%
on target, ~15% duplicates, ~3% MAPQ < 20, some secondary/supplementary/QC-fail.
Then runs each tool in its own process (so peak RSS is that tool's alone), interleaved, best of
``--repeat`` runs, and prints wall time, CPU time (user + system, all threads) and peak RSS, and
three ratios:

* ours single-thread (``workers=1``) vs the floor all tools share,
  ``samtools view -c -q 20 -F 0xF04 -M -L panel.bed`` (BGZF decompression, record parsing, one
  multi-region pass; it counts each read once, so it gives no per-target counts);
* ours parallel (``workers=2``: two threads) wall vs the same floor;
* ours single-thread vs ``samtools bedcov -c -Q 20 -G 0x800`` (same per-target counts),

checking that our counts (both modes) equal bedcov's target by target.  mosdepth is timed too
when installed (optional; mean depth per region, not read counts, so not compared).
Run it behind ``flock /tmp/bench.lock`` on a shared machine.

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


def _child_rusage_run(command: list[str]) -> tuple[float, float, str, float, str]:
    """Run *command*; return (wall s, peak RSS MB, stdout, CPU s = user + system, stderr)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{command[0]} failed: {err.decode()}")
    return wall, usage.ru_maxrss / 1024, out.decode(), usage.ru_utime + usage.ru_stime, err.decode()


OUR_SCRIPT = """
import sys, time
from analysis.io.bed import read_bed
from analysis.io.coverage import ReadFilter, count_reads
read_filter = ReadFilter(min_mapq=20, exclude_flags=0xF04)
panel = read_bed(sys.argv[2])
start = time.perf_counter()
counts, _ = count_reads(sys.argv[1], panel, read_filter=read_filter, workers=int(sys.argv[3]))
sys.stderr.write(f"count_reads {time.perf_counter() - start:.3f}\\n")
sys.stdout.write("\\n".join(map(str, counts["read_count"].tolist())))
"""


def _report(label: str, runs: list) -> tuple:
    best = min(runs, key=lambda r: r[0])
    calls = [float(line.split()[1]) for r in runs for line in r[4].splitlines() if line.startswith("count_reads ")]
    call = f"  (count_reads call alone, best {min(calls):.2f} s)" if calls else ""
    print(
        f"{label:34s} wall {best[0]:6.2f} s (runs: {', '.join(f'{r[0]:.2f}' for r in runs)})  "
        f"CPU {min(r[3] for r in runs):6.2f} s  peak RSS {max(r[1] for r in runs):7.1f} MB{call}"
    )
    return best


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
        f"(built/cached in {time.perf_counter() - t0:.1f} s); load average {_loadavg()}"
    )
    project = Path(__file__).resolve().parents[1]
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = f"{project}{os.pathsep}{env_path}" if env_path else str(project)
    backend = subprocess.run(
        [sys.executable, "-c", "from analysis.io import _count_targets as m; print(m.BACKEND, m.htslib_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    samtools_version = subprocess.run(["samtools", "--version"], capture_output=True).stdout.decode("latin-1").split()
    print(f"our counter: htslib {backend[1]} ({backend[0]}); samtools {samtools_version[1]}")
    commands = {
        "floor: samtools view -c -M -L": [
            "samtools", "view", "-c", "-q", "20", "-F", "0xF04", "-M", "-L", str(bed), str(bam)
        ],
        "samtools bedcov -c": ["samtools", "bedcov", "-c", "-Q", "20", "-G", "0x800", str(bed), str(bam)],
        "ours, single process": [sys.executable, "-c", OUR_SCRIPT, str(bam), str(bed), "1"],
        "ours, parallel (2 threads)": [sys.executable, "-c", OUR_SCRIPT, str(bam), str(bed), "2"],
    }
    mosdepth = shutil.which("mosdepth")
    if mosdepth:
        prefix = CACHE / "mosdepth_out"
        commands["mosdepth (mean depth, optional)"] = [
            mosdepth, "-n", "-x", "-Q", "20", "-F", "3844", "-b", str(bed), str(prefix), str(bam)
        ]
    runs_by_label: dict[str, list] = {label: [] for label in commands}
    for _ in range(args.repeat):  # interleaved, so that load from other processes hits all alike
        for label, command in commands.items():
            runs_by_label[label].append(_child_rusage_run(command))
    best = {label: _report(label, runs) for label, runs in runs_by_label.items()}
    print(f"load average after the runs: {_loadavg()}")
    theirs = [int(line.split("\t")[-1]) for line in best["samtools bedcov -c"][2].splitlines()]
    single = [int(x) for x in best["ours, single process"][2].split()]
    parallel = [int(x) for x in best["ours, parallel (2 threads)"][2].split()]
    floor_reads = int(best["floor: samtools view -c -M -L"][2].strip())
    agree = single == theirs and parallel == theirs
    print(
        f"targets: {len(theirs)}; reads counted (sum over targets): {sum(theirs):,}; reads in targets "
        f"(floor, each once): {floor_reads:,}; counts identical target by target (single, parallel vs bedcov): "
        f"{single == theirs}, {parallel == theirs}"
    )

    def cpu(label: str) -> float:
        return min(r[3] for r in runs_by_label[label])

    floor = "floor: samtools view -c -M -L"
    for name, label, other in (
        ("ours single-process / floor", "ours, single process", floor),
        ("ours parallel wall / floor", "ours, parallel (2 threads)", floor),
        ("ours single-process / bedcov -c", "ours, single process", "samtools bedcov -c"),
    ):
        print(
            f"{name:34s} wall {best[label][0] / best[other][0]:.2f}, CPU {cpu(label) / cpu(other):.2f}"
        )
    print("(targets: single-process <= 1.3 x floor; parallel wall < floor; best-of-runs)")
    print(
        f"(peak RSS floor: this launcher's own RSS, "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, is inherited by each child)"
    )
    return 0 if agree else 1


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


if __name__ == "__main__":
    sys.exit(main())
