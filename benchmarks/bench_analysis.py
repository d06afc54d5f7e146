"""Wall time and peak memory of the whole-cohort analysis (``analysis.cohort.analyse_cohort``).

Each size runs in its own subprocess, so that peak memory is that process's alone:
the demo cohort (78 patients) and generated cohorts of 1,000 and 10,000 patients with the same
proportions (``analysis.demo.generator.generate_demo(n)``).

Reported per size: wall time of ``analyse_cohort`` (best of ``--repeat`` runs, after one warm-up
run for the demo), the slowest steps, and memory: the process's resident-set high-water mark
(``resource.getrusage(...).ru_maxrss``, which includes generating the cohort) and how much it
grew during the analysis.  ``--tracemalloc`` adds the Python-allocator peak during one analysis
(slower).  Targets (issue 4): demo < 1 s; 10,000 patients < 30 s and < 4 GiB.

Usage::

    python benchmarks/bench_analysis.py                 # 78, 1000, 10000
    python benchmarks/bench_analysis.py --sizes 78 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, resource, sys, time, tracemalloc, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
from analysis.cohort import analyse_cohort
from analysis.demo.generator import generate_demo

n, repeat, trace = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
study = generate_demo(n_patients=n).study
def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # kB on Linux
before = rss_mib()
if n <= 100:
    analyse_cohort(study)          # warm-up: first-call imports and caches
times, result = [], None
for _ in range(repeat):
    start = time.perf_counter()
    result = analyse_cohort(study)
    times.append(time.perf_counter() - start)
after = rss_mib()
traced = None
if trace:
    tracemalloc.start()
    analyse_cohort(study)
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
steps = result.timings.sort_values("seconds", ascending=False).head(4)
print(json.dumps({"patients": n, "samples": len(study.samples), "variants": len(study.variants),
                  "cn_rows": len(study.copy_number), "seconds": min(times), "rss_mib": after,
                  "rss_growth_mib": after - before, "traced_peak_mib": traced,
                  "slowest": [[s, round(t, 3)] for s, t in zip(steps["step"], steps["seconds"])]}))
"""


def run_size(n: int, repeat: int, trace: bool) -> dict:
    """Run one size in a fresh interpreter; returns the child's JSON record."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(PROJECT_ROOT), str(n), str(repeat), "1" if trace else "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"benchmark of {n} patients failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[78, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per size (best is reported)")
    parser.add_argument("--tracemalloc", action="store_true", help="also report the traced allocation peak")
    args = parser.parse_args(argv)
    print(
        f"{'patients':>8} {'samples':>8} {'variants':>9} {'seconds':>8} {'RSS MiB':>8} {'+MiB':>7} "
        f"{'traced':>7}  slowest steps (s)"
    )
    for n in args.sizes:
        r = run_size(n, args.repeat, args.tracemalloc)
        traced = f"{r['traced_peak_mib']:7.0f}" if r["traced_peak_mib"] is not None else "      -"
        slowest = ", ".join(f"{s} {t}" for s, t in r["slowest"])
        print(
            f"{r['patients']:>8} {r['samples']:>8} {r['variants']:>9} {r['seconds']:8.2f} "
            f"{r['rss_mib']:8.0f} {r['rss_growth_mib']:7.0f} {traced}  {slowest}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
