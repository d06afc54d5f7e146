"""Resident memory of a long-running dashboard process over many distinct parameter sets (issue 15).

Each parameter set is what a user choosing another plasma cutoff sends: one patient analysis and the
patient's view models, computed and cached through :class:`dashboard.analysis_cache.AnalysisCache`
exactly as the server does (disk cache, in-memory LRU with its byte budget, garbage-collector freezing).
RSS is printed after 100 and 1,000 distinct parameter sets (and every --every sets); it must stay
flat: the in-memory LRU is bounded in items and bytes, and the frozen set is compacted.

Usage::

    python benchmarks/bench_memory.py                 # demo study, 1,000 parameter sets
    python benchmarks/bench_memory.py --sets 300 --every 50
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from analysis.params import AnalysisParameters  # noqa: E402
from dashboard.analysis_cache import AnalysisCache  # noqa: E402
from dashboard.analysis_service import AnalysisService  # noqa: E402
from dashboard.study_service import StudyService  # noqa: E402


def rss_mb() -> float:
    """Current resident set size of this process (MB), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def distinct_parameters(i: int) -> AnalysisParameters:
    """The i-th distinct parameter set: plasma cutoffs 2.000, 2.001, ... copies (all in the valid range)."""
    return AnalysisParameters(plasma_amplification_cn=round(2.0 + 0.001 * i, 3))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, default=PROJECT_ROOT / "data" / "demo")
    parser.add_argument("--sets", type=int, default=1000, help="distinct parameter sets (default 1000)")
    parser.add_argument("--every", type=int, default=100, help="print RSS every N sets (default 100)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as workdir:
        service = AnalysisService(StudyService(args.study), AnalysisCache(Path(workdir) / "results"))
        patients = service.patient_ids()
        service.patient(patients[0], AnalysisParameters())  # warm imports and the study hash
        print(f"study {args.study.name}: {len(patients)} patients; RSS at start {rss_mb():.0f} MB", flush=True)
        start = time.perf_counter()
        marks = []
        for i in range(1, args.sets + 1):
            params = distinct_parameters(i)
            patient_id = patients[i % len(patients)]
            analysis = service.patient(patient_id, params)
            service.view("bench-patient", params, lambda a=analysis: {"tables": [
                a.trajectories.cea.to_dict("records")]}, patient_id)
            if i % args.every == 0 or i in (100, 1000):
                rss = rss_mb()
                marks.append((i, rss))
                lru_mb = getattr(service.cache, "memory_used_bytes", 0) / 1e6
                print(f"after {i:5d} distinct parameter sets: RSS {rss:6.0f} MB, in-memory LRU "
                      f"{lru_mb:5.1f} MB, frozen objects {gc.get_freeze_count():,}, "
                      f"{time.perf_counter() - start:5.0f} s", flush=True)
        by_set = dict(marks)
        if 100 in by_set and args.sets in by_set:
            print(f"RSS growth from 100 to {args.sets} parameter sets: {by_set[args.sets] - by_set[100]:+.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
