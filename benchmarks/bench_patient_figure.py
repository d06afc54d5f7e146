"""The patient page's timeline figure and the report's print copy of it: server CPU per figure.

For ``--patients`` followed patients of each study (the demo, and a generated 10,000-patient study),
after one warm-up figure, times (CPU time of this process):

- ``patient_timeline``: the figure as the patient page's callback gets it (a plain plotly dict; with
  the graph_objects figure of earlier versions, its ``.to_dict()`` is included, as the callback called it);
- ``to_json_plotly``: serialising that dict as Dash does before sending it;
- ``print_figure``: the report's restyled copy (:mod:`dashboard.report.figure`).

Prints the median and p95 of each.  Run it behind ``flock /tmp/bench.lock`` and note the load average.

Usage::

    python benchmarks/bench_patient_figure.py                                   # demo + 10,000
    python benchmarks/bench_patient_figure.py --sizes 78 --patients 20
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
from plotly.io.json import to_json_plotly  # noqa: E402

from analysis.io.cbioportal import read_study  # noqa: E402
from analysis.params import AnalysisParameters  # noqa: E402
from analysis.patient import analyse_patient  # noqa: E402
from dashboard.figures.patient import patient_timeline  # noqa: E402
from dashboard.report.figure import print_figure  # noqa: E402
from dashboard.views.patient import is_followed, vaf_tracks  # noqa: E402


def _as_dict(figure):
    """The callback's value: the figure itself if a dict, else (older versions) its ``to_dict()``."""
    return figure if isinstance(figure, dict) else figure.to_dict()


def _cpu(func, *args):
    start = time.process_time()
    value = func(*args)
    return time.process_time() - start, value


def _line(size: int, name: str, values: list[float]) -> str:
    ordered = sorted(values)
    return (f"{size:>6} patients  {name:<17} median {1000 * statistics.median(values):6.1f} ms   "
            f"p95 {1000 * ordered[int(0.95 * (len(ordered) - 1))]:6.1f} ms CPU  (n={len(values)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[78, 10000])
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench_browser")
    args = parser.parse_args()
    params = AnalysisParameters()
    for size in args.sizes:
        study = read_study(study_for(size, args.workdir))
        ids = study.patients["patient_id"].astype(str).tolist()
        random.Random(12).shuffle(ids)
        inputs = []
        for pid in ids:
            patient = analyse_patient(study, pid, params)
            if is_followed(patient):
                inputs.append((patient, vaf_tracks(patient)))
            if len(inputs) == args.patients + 1:
                break
        warm, *inputs = inputs
        print_figure(_as_dict(patient_timeline(warm[0], warm[1], params)))
        build, serialise, printed = [], [], []
        for patient, tracks in inputs:
            seconds, figure = _cpu(lambda p, t: _as_dict(patient_timeline(p, t, params)), patient, tracks)
            build.append(seconds)
            serialise.append(_cpu(to_json_plotly, figure)[0])
            # The report builds its own figure and restyles it (print_figure takes what patient_timeline gives).
            source = patient_timeline(patient, tracks, params)
            printed.append(_cpu(print_figure, source)[0])
        for name, values in (("patient_timeline", build), ("to_json_plotly", serialise), ("print_figure", printed)):
            print(_line(size, name, values), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
