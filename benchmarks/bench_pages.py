"""Server-side time of each page's main callbacks, cold and warm, on the demo and a 10,000-patient study.

Each callback is called as the server calls it (the registered Python function with the inputs the
page sends), and its return value is serialised with Dash's JSON encoder, so the time is what the
server spends before the response leaves.  Browser rendering is not included.

- **cold**: a fresh process (nothing in memory) whose disk cache holds only the whole-cohort analysis,
  read from disk inside the timed call; each call uses another input (another patient, cutoff,
  grouping, sort) so that its view is built.  The patient page's analysis is per patient and is never
  pre-computed, so its cold time is that of an empty cache.  On an empty cache a cohort page first
  waits for the whole-cohort analysis, which runs as a background job with a progress bar; its time
  is printed separately.
- **warm**: the same call repeated (results served from the in-memory cache).

Targets (issue 5): warm p95 < 100 ms; cold patient page < 1 s on 10,000 patients.

Usage::

    python benchmarks/bench_pages.py                    # demo + 10,000 patients
    python benchmarks/bench_pages.py --sizes 78 --warm 30
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

import plotly.io.json  # noqa: E402

from analysis.params import AnalysisParameters  # noqa: E402
from dashboard.settings import Settings  # noqa: E402


def _serialise(result) -> int:
    return len(plotly.io.json.to_json_plotly(result))


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    _serialise(call())
    return time.perf_counter() - start


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return p50, p95


def _study_for(size: int, workdir: Path) -> Path:
    if size == 78:
        demo = PROJECT_ROOT / "data" / "demo"
        if not (demo / "meta_study.txt").is_file():
            from analysis.demo.generator import write_demo

            write_demo(demo)
        return demo
    folder = workdir / f"study_{size}"
    if not (folder / "meta_study.txt").is_file():
        from analysis.demo.generator import write_demo

        write_demo(folder, workdir / f"study_{size}.truth.json", n_patients=size)
    return folder


def page_calls(ready: dict, patient_ids: list[str], i: int) -> dict[str, Callable[[], object]]:
    """The main callbacks of every page, with the i-th variant of their inputs."""
    from dashboard.callbacks import cohort, concordance, data, patient, resistance, response, survival
    from dashboard.pages import overview

    pid = patient_ids[(7 * i) % len(patient_ids)]
    cutoffs = [2.4 + 0.05 * k for k in range(40)]
    groups = ["mechanism_count", "baseline_mutation", "resistance_class", "baseline_her2_cn", "early_decline",
              "attribute_her2_status"]
    sorts = [("mechanism", "progressors"), ("pfs", "progressors"), ("class", "followed"), ("mechanism", "all")]
    return {
        "overview: layout": lambda: overview.layout(),
        "cohort: swimmer + table": lambda: cohort.render_cohort(ready, None, None, None, False, "months"),
        "patient: timeline + tables": lambda: patient.fill_patient(ready, pid),
        "concordance: tables + figures": lambda: concordance.fill_static(ready),
        "concordance: cutoff slider": lambda: concordance.fill_cutoff(cutoffs[i % len(cutoffs)], ready),
        "response: all figures": lambda: response.fill_response(ready),
        "resistance: oncoprint": lambda: resistance.draw_oncoprint(ready, *sorts[i % len(sorts)]),
        "resistance: tables": lambda: resistance.fill_tables(ready, sorts[i % len(sorts)][1]),
        "survival: KM + statistics": lambda: survival.draw_survival(ready, groups[i % len(groups)], None, None),
        "data: parameters": lambda: data.refresh_parameters(ready),
    }


def bench_size(size: int, workdir: Path, cold_runs: int, warm_runs: int) -> list[tuple]:
    from dashboard import analysis_service, server

    warnings.simplefilter("ignore")
    study_dir = _study_for(size, workdir)
    cache_dir = Path(tempfile.mkdtemp(prefix="bench-pages-cache-", dir=workdir))
    rows = []
    try:
        # Empty cache: the whole-cohort analysis (the background job of a cohort page's first visit).
        settings = Settings(study=study_dir, cache_dir=cache_dir)
        server.create_app(settings)
        service = analysis_service.get_analysis_service()
        studies = service.studies  # the study is read once, as at server start
        start = time.perf_counter()
        service.cohort(AnalysisParameters())
        cohort_seconds = time.perf_counter() - start
        patient_ids = service.patient_ids()
        ready: dict = {}

        # Cold: new process-level services on the same disk cache (cohort analysis on disk, no views).
        names = list(page_calls(ready, patient_ids, 0))
        cold: dict[str, list[float]] = {name: [] for name in names}
        for i in range(cold_runs):
            for name in names:
                # A new process's result cache (empty memory); the cohort analysis is read from disk inside
                # the timed call.  The study itself and its content hash are loaded at server start.
                server.create_app(settings, service=studies)
                analysis_service.get_analysis_service().study_hash()
                cold[name].append(_timed(page_calls(ready, patient_ids, i)[name]))
        # Warm: the same call again and again.
        warm: dict[str, list[float]] = {}
        calls = page_calls(ready, patient_ids, 0)
        for name, call in calls.items():
            _serialise(call())
            warm[name] = [_timed(call) for _ in range(warm_runs)]
        for name in names:
            c50, c95 = _percentiles(cold[name])
            w50, w95 = _percentiles(warm[name])
            rows.append((size, name, c50, c95, w50, w95))
        rows.append((size, "(whole-cohort analysis, empty cache)", cohort_seconds, cohort_seconds, None, None))
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[78, 10000])
    parser.add_argument("--cold", type=int, default=5, help="cold calls per page (different inputs each)")
    parser.add_argument("--warm", type=int, default=20, help="warm calls per page")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench_pages")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"{'patients':>8}  {'callback':<40} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9}")
    for size in args.sizes:
        for n, name, c50, c95, w50, w95 in bench_size(size, args.workdir, args.cold, args.warm):
            def ms(value):
                return f"{1000 * value:8.0f}ms" if value is not None else f"{'':>10}"
            print(f"{n:>8}  {name:<40} {ms(c50)}{ms(c95)}{ms(w50)}{ms(w95)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
