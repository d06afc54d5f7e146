"""One patient's analysis: computed on the patient alone (analyse_patient) against taken from the cached
whole-cohort result (patient_from_cohort), the two ways the dashboard gets it (dashboard.analysis_service).

Prints the median and p95 over ``--patients`` patients of each size (CPU time of this process).

Usage::

    python benchmarks/bench_patient_from_cohort.py --sizes 78 10000 --patients 40
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))

from bench_startup import study_for  # noqa: E402

from analysis.cohort import analyse_cohort  # noqa: E402
from analysis.io.cbioportal import read_study  # noqa: E402
from analysis.params import AnalysisParameters  # noqa: E402
from analysis.patient import analyse_patient, patient_from_cohort  # noqa: E402
from analysis.resistance import load_knowledge_base  # noqa: E402


def timed(func, *args) -> float:
    start = time.process_time()
    func(*args)
    return time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[78, 10000])
    parser.add_argument("--patients", type=int, default=40)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench_serving")
    args = parser.parse_args()
    params = AnalysisParameters()
    kb = load_knowledge_base(params.knowledge_base)
    for size in args.sizes:
        study = read_study(study_for(size, args.workdir))
        cohort = analyse_cohort(study, params, kb)
        ids = random.Random(12).sample(study.patients["patient_id"].astype(str).tolist(), args.patients)
        alone = [timed(analyse_patient, study, pid, params, kb) for pid in ids]
        sliced = [timed(patient_from_cohort, study, pid, cohort) for pid in ids]
        for name, values in (("analyse_patient", alone), ("patient_from_cohort", sliced)):
            ordered = sorted(values)
            print(f"{size:>6} patients  {name:<20} median {1000 * statistics.median(values):6.1f} ms   "
                  f"p95 {1000 * ordered[int(0.95 * (len(ordered) - 1))]:6.1f} ms CPU", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
