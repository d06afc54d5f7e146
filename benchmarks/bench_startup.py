"""Cold start to first page under the production server, from text and from the study snapshot.

Starts ``make serve``'s command (gunicorn, ``--workers`` processes, study read once before the fork)
on a free loopback port and times, from the moment the command is started, until a browser's first
visit to the overview page is answered (the HTML, the layout and the page's content callback):

- **from text**: an empty cache folder, so the study is parsed from its text files (and snapshotted);
- **from snapshot**: the same cache folder again, so the study is loaded from its Parquet snapshot.

Then the memory of each worker process (RSS, and USS/PSS: what the worker holds alone / its share of
pages shared with the master and the other workers) after the first page.  Also, in this process:
``read_study`` (the parse as it was before snapshots) against ``load_study`` with no snapshot yet
(parse, then the snapshot written in the background), to show the first-ever parse is not slower.

Usage::

    python benchmarks/bench_startup.py                     # demo + 10,000 patients, 4 workers
    python benchmarks/bench_startup.py --sizes 78 --runs 1
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

import psutil  # noqa: E402
import requests  # noqa: E402

from tests.dash_http import DashClient, production_server  # noqa: E402


def study_for(size: int, workdir: Path) -> Path:
    """The demo (78 patients) or a generated study of *size* patients (written once into *workdir*)."""
    from analysis.demo.generator import write_demo

    if size == 78:
        folder = PROJECT_ROOT / "data" / "demo"
        if not (folder / "meta_study.txt").is_file():
            write_demo(folder)
        return folder
    folder = workdir / f"study_{size}"
    if not (folder / "meta_study.txt").is_file():
        write_demo(folder, workdir / f"study_{size}.truth.json", n_patients=size)
    return folder


def worker_memory(base: str) -> list[dict]:
    """RSS / USS / PSS (MiB) of every worker of the server at *base* (found through its health answer)."""
    worker = psutil.Process(requests.get(base + "/_her2/health", timeout=30).json()["process"])
    master = worker.parent()
    rows = []
    for process in master.children():
        if "gunicorn" not in " ".join(process.cmdline()):
            continue
        info = process.memory_full_info()
        rows.append({"pid": process.pid, "rss": info.rss / 2**20, "uss": info.uss / 2**20, "pss": info.pss / 2**20})
    return rows


def timed_start(study: Path, cache_dir: Path, workers: int) -> tuple[float, float, list[dict]]:
    """(seconds to the health answer, seconds to the first page, worker memory), from the command's start."""
    env = {"HER2DASH_STUDY": str(study), "HER2DASH_CACHE_DIR": str(cache_dir), "HER2DASH_WORKERS": str(workers)}
    start = time.perf_counter()
    with production_server(env, ready_timeout=600) as base:
        up = time.perf_counter() - start
        DashClient(base).page("/")
        first_page = time.perf_counter() - start
        memory = worker_memory(base)
    return up, first_page, memory


def in_process_parse(study: Path, workdir: Path) -> tuple[float, float]:
    from analysis.io.cbioportal import read_study
    from analysis.snapshot import load_study

    start = time.perf_counter()
    read_study(study)
    parse = time.perf_counter() - start
    snapshots = Path(tempfile.mkdtemp(prefix="bench-startup-snap-", dir=workdir))
    try:
        start = time.perf_counter()
        load_study(study, snapshots, background_write=True)
        first = time.perf_counter() - start
    finally:
        time.sleep(0.5)
        shutil.rmtree(snapshots, ignore_errors=True)
    return parse, first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[78, 10000])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--runs", type=int, default=2, help="starts of each kind (alternated)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench_serving")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"gunicorn, {args.workers} workers; machine: {psutil.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.1f} GiB; load average {psutil.getloadavg()[0]:.1f}", flush=True)
    print(f"{'patients':>8}  {'start':<14} {'health':>8} {'first page':>11}  {'worker RSS':>10} {'USS':>7} {'PSS':>7}")
    for size in args.sizes:
        study = study_for(size, args.workdir)
        results: dict[str, list[tuple[float, float, list[dict]]]] = {"from text": [], "from snapshot": []}
        for _ in range(args.runs):
            cache = Path(tempfile.mkdtemp(prefix="bench-startup-cache-", dir=args.workdir))
            try:
                results["from text"].append(timed_start(study, cache, args.workers))
                time.sleep(2)  # the snapshot is written in the background after the parse
                results["from snapshot"].append(timed_start(study, cache, args.workers))
            finally:
                shutil.rmtree(cache, ignore_errors=True)
        for kind, runs in results.items():
            for up, first, memory in runs:
                rss = statistics.mean(m["rss"] for m in memory)
                uss = statistics.mean(m["uss"] for m in memory)
                pss = statistics.mean(m["pss"] for m in memory)
                print(f"{size:>8}  {kind:<14} {up:7.2f}s {first:10.2f}s  {rss:7.0f}MiB {uss:4.0f}MiB {pss:4.0f}MiB",
                      flush=True)
        parse, first = in_process_parse(study, args.workdir)
        print(f"{size:>8}  in-process: read_study {parse:.2f} s; load_study with no snapshot yet {first:.2f} s "
              f"(ratio {first / parse:.2f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
