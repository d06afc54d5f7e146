"""Wall time and peak resident memory of the statistics kernels at cohort scale.

Run: ``python -m benchmarks.bench_stats [--patients 10000]``.  The whole-cohort
benchmark (every analysis on the demo and generated cohorts) is ``benchmarks/``'s
main script; this one isolates agreement, ROC/DeLong, survival and concordance.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable

import numpy as np

from analysis.agreement import agreement_table
from analysis.concordance import concordance_analysis
from analysis.demo.generator import generate_demo
from analysis.roc import auc_delong, cutoff_sweep, delong_test
from analysis.survival import kaplan_meier
from analysis.tumour_fraction import tumour_fraction


def measure(label: str, work: Callable[[], object]) -> None:
    """Print wall time and the process's peak resident memory so far (tracemalloc would slow pandas)."""
    start = time.perf_counter()
    work()
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{label:<48} {elapsed:8.3f} s   peak RSS {peak_kib / 2**10:8.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=10_000, help="cohort size (default 10000)")
    args = parser.parse_args()
    n = args.patients
    rng = np.random.default_rng(2019)
    labels = rng.random(n) < 0.4
    score_a = rng.normal(labels * 1.0, 1.0)
    score_b = 0.5 * score_a + rng.normal(0, 1, n)
    durations = rng.exponential(8.0, n)
    events = rng.random(n) < 0.7
    groups = rng.choice(["0", "1", ">=2"], n)

    print(f"statistics kernels, n = {n}")
    measure("agreement_table", lambda: agreement_table(score_a > 0.5, labels))
    measure("auc_delong", lambda: auc_delong(score_a, labels))
    measure("delong_test", lambda: delong_test(score_a, score_b, labels))
    measure("cutoff_sweep (100 cutoffs)", lambda: cutoff_sweep(score_a, labels, np.linspace(-2, 3, 100)))
    measure("kaplan_meier (3 groups, log-rank, Cox)", lambda: kaplan_meier(durations, events, groups))
    cohort = generate_demo(n_patients=n).study
    measure(f"tumour_fraction ({len(cohort.variants)} variants)", lambda: tumour_fraction(cohort.variants))
    measure("concordance_analysis (generated cohort)", lambda: concordance_analysis(cohort))
    demo = generate_demo().study
    measure("concordance_analysis (demo, 78 patients)", lambda: concordance_analysis(demo))


if __name__ == "__main__":
    main()
