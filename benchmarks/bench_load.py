"""Load test: 20 concurrent simulated users against the production server (gunicorn, N workers).

For each study (the demo, and a generated 10,000-patient study), ``make serve``'s command is started on a
free loopback port with an empty cache folder; the whole-cohort analysis is run once through the app's
own background callback (as the first visitor's browser would); then ``--users`` threads, each with its
own HTTP session (keep-alive, like a browser tab), send ``--requests`` requests in all.  Each user goes
round the kinds of request a clinician makes:

- **patient**: open a patient (the patient page's main callback, another patient each time);
- **cutoff**: move the concordance cutoff slider (40 positions);
- **survival**: change the survival grouping (6 groupings);
- **oncoprint**: open the oncoprint (4 sort and filter choices);
- **report**: download a patient's tumour-board report (HTML): a GET of the report link's address
  (``/_her2/report/<patient id>.html``, :func:`dashboard.report_route.report_href`), as the browser follows it.

Every other request is a real callback: output, inputs and state taken from the app's dependency graph
(``/_dash-dependencies``), posted to ``/_dash-update-component`` as the browser does.  An error is any
answer other than 200 with a callback response (for the report: other than 200 with an attachment).
Printed: throughput, p50/p95/p99 per kind, errors.

Then a long request: the whole-cohort analysis under new parameters (cold: nothing cached) is started as
the browser starts it (a background callback) while the users keep sending the quick kinds; the quick
requests' p95 while it runs is printed, with its duration.

Users send without pause by default (a stress test; with 20 users on 2 cores the mean latency is then
20 / throughput by Little's law, whatever the server does). ``--think LOW HIGH`` makes each user pause a
time drawn uniformly from LOW-HIGH seconds before each request, as Locust's ``between(LOW, HIGH)``: a
clinician reading each page before the next click.

Usage::

    python benchmarks/bench_load.py                          # demo + 10,000 patients, 4 workers
    python benchmarks/bench_load.py --sizes 10000 --requests 500 --think 1 5   # users who read each page
    python benchmarks/bench_load.py --sizes 78 --requests 500 --workers 2
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))

import pandas as pd  # noqa: E402
import psutil  # noqa: E402
import requests  # noqa: E402
from bench_startup import study_for, worker_memory  # noqa: E402

from analysis.params import AnalysisParameters  # noqa: E402
from dashboard import ids  # noqa: E402
from dashboard.report_route import report_href  # noqa: E402
from tests.dash_http import DashClient, production_server  # noqa: E402

KINDS = ("patient", "cutoff", "survival", "oncoprint", "report")
QUICK_KINDS = ("patient", "cutoff", "survival", "oncoprint")
CUTOFFS = [round(2.4 + 0.05 * k, 2) for k in range(40)]
GROUPINGS = ["mechanism_count", "baseline_mutation", "resistance_class", "baseline_her2_cn", "early_decline",
             "attribute_her2_status"]
ONCOPRINT_VIEWS = [("mechanism", "progressors"), ("pfs", "progressors"), ("class", "followed"), ("mechanism", "all")]


def patient_ids(study: Path) -> list[str]:
    clinical = pd.read_csv(study / "data_clinical_patient.txt", sep="\t", comment="#", dtype=str)
    return clinical["PATIENT_ID"].dropna().tolist()


def _one(client: DashClient, output: str, first_input: str | None = None) -> dict:
    matches = [d for d in client.dependencies() if output in d["output"]
               and (first_input is None or d["inputs"][0]["id"] == first_input)]
    if len(matches) != 1:
        raise LookupError(f"{len(matches)} callbacks output {output}")
    return matches[0]


class Requests:
    """The payload of each kind of request, from the app's dependency graph."""

    def __init__(self, client: DashClient, patients: list[str]) -> None:
        self.client = client
        self.patients = patients
        self.patient = _one(client, f"{ids.PATIENT_HEADER}.children")
        self.cutoff = _one(client, f"{ids.CONCORDANCE_SLIDER_NOTE}.children")
        self.survival = _one(client, f"{ids.SURVIVAL_KM}.figure")
        self.oncoprint = _one(client, f"{ids.RESISTANCE_ONCOPRINT}.figure", ids.COHORT_READY)
        self.compute = _one(client, f"{ids.COHORT_READY}.data", ids.COHORT_NEEDED)

    def payload(self, kind: str, i: int, rng: random.Random) -> dict | str:
        """The callback request of *kind* (a dict), or for a report the address to GET (a str)."""
        pay = self.client.payload
        ready = {f"{ids.COHORT_READY}.data": {}}
        if kind == "patient":
            return pay(self.patient, {f"{ids.PARAMS}.data": {}}, {f"{ids.PATIENT_ID}.data": rng.choice(self.patients)})
        if kind == "cutoff":
            return pay(self.cutoff, {f"{ids.CONCORDANCE_SLIDER}.value": CUTOFFS[i % len(CUTOFFS)], **ready},
                       changed=f"{ids.CONCORDANCE_SLIDER}.value")
        if kind == "survival":
            return pay(self.survival, {**ready, f"{ids.SURVIVAL_GROUP}.value": GROUPINGS[i % len(GROUPINGS)],
                                       f"{ids.SURVIVAL_ENDPOINT}.value": "pfs"}, changed=f"{ids.SURVIVAL_GROUP}.value")
        if kind == "oncoprint":
            sort, show = ONCOPRINT_VIEWS[i % len(ONCOPRINT_VIEWS)]
            return pay(self.oncoprint, {**ready, f"{ids.RESISTANCE_SORT}.value": sort,
                                        f"{ids.RESISTANCE_SHOW}.value": show})
        if kind == "report":
            return report_href(rng.choice(self.patients), AnalysisParameters(), ".html")
        raise ValueError(kind)


def run_users(base: str, requests_: Requests, n_users: int, n_requests: int | None, kinds: tuple[str, ...],
              stop: threading.Event | None = None, seed: int = 12,
              think: tuple[float, float] = (0.0, 0.0)) -> list[tuple[str, float, float, bool]]:
    """(kind, start, seconds, ok) of every request sent by *n_users* users, until *n_requests* or *stop*.

    Each user waits a time drawn uniformly from *think* (seconds) before each request, as Locust's
    ``wait_time = between(low, high)``: (0, 0) sends without pause (a stress test: then the mean latency is
    users / throughput, whatever the server does)."""
    counter = itertools.count()
    results: list[tuple[str, float, float, bool]] = []
    lock = threading.Lock()

    def user(number: int) -> None:
        client = DashClient(base)
        client._dependencies = requests_.client.dependencies()
        rng = random.Random(seed * 1000 + number)
        for step in itertools.count(number):
            i = next(counter)
            if (n_requests is not None and i >= n_requests) or (stop is not None and stop.is_set()):
                return
            kind = kinds[step % len(kinds)]
            payload = requests_.payload(kind, i, rng)
            if think[1] > 0:
                time.sleep(rng.uniform(*think))
            start = time.perf_counter()
            try:
                if isinstance(payload, str):  # a download link
                    response = client.session.get(base + payload, timeout=300)
                    ok = response.status_code == 200 and \
                        response.headers.get("Content-Disposition", "").startswith("attachment")
                else:
                    response = client.post(payload, timeout=300)
                    ok = response.status_code == 200 and b'"response"' in response.content
            except Exception:  # noqa: BLE001 (a failed request is counted, whatever the reason)
                ok = False
            with lock:
                results.append((kind, start, time.perf_counter() - start, ok))

    with ThreadPoolExecutor(n_users) as pool:
        list(pool.map(user, range(n_users)))
    return results


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def print_table(size: int, results: list[tuple[str, float, float, bool]], wall: float) -> None:
    by_kind: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for kind, _, seconds, ok in results:
        by_kind[kind].append((seconds, ok))
    errors = sum(not ok for *_, ok in results)
    print(f"{size:>8}  all        {len(results):>6} requests in {wall:6.1f} s: {len(results) / wall:6.1f} req/s, "
          f"{errors} errors", flush=True)
    for kind in KINDS:
        if kind not in by_kind:
            continue
        seconds = [s for s, _ in by_kind[kind]]
        failed = sum(not ok for _, ok in by_kind[kind])
        print(f"{size:>8}  {kind:<10} {len(seconds):>6}   p50 {1000 * statistics.median(seconds):7.0f} ms   "
              f"p95 {1000 * percentile(seconds, 0.95):7.0f} ms   p99 {1000 * percentile(seconds, 0.99):7.0f} ms   "
              f"errors {failed}", flush=True)


def server_cpu_seconds(base: str) -> float:
    """CPU seconds (user + system) used so far by the server at *base*: master, workers and their children."""
    master = psutil.Process(requests.get(base + "/_her2/health", timeout=30).json()["process"]).parent()
    total = 0.0
    for process in [master, *master.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system  # + ended jobs
    return total


def print_cpu(size: int, n_requests: int, wall: float, server: float, client: float) -> None:
    """Where the machine's CPU went: per request, server and load generator, against the cores there are."""
    cores = psutil.cpu_count() or 1
    print(f"{size:>8}  CPU: server {1000 * server / n_requests:.0f} ms per request, load generator "
          f"{1000 * client / n_requests:.0f} ms per request; together {(server + client) / wall:.2f} of "
          f"{cores} cores busy (so at most {cores * n_requests / (server + client):.0f} req/s with this mix)",
          flush=True)


def bench_size(size: int, args) -> None:
    study = study_for(size, args.workdir)
    cache = Path(tempfile.mkdtemp(prefix="bench-load-cache-", dir=args.workdir))
    env = {"HER2DASH_STUDY": str(study), "HER2DASH_CACHE_DIR": str(cache), "HER2DASH_WORKERS": str(args.workers),
           "HER2DASH_THREADS": str(args.threads)}
    try:
        with production_server(env, ready_timeout=900) as base:
            client = DashClient(base)
            kinds = Requests(client, patient_ids(study))
            start = time.perf_counter()
            client.run_background(client.payload(kinds.compute, {f"{ids.COHORT_NEEDED}.data": {}}), timeout=1800)
            print(f"{size:>8}  whole-cohort analysis through the background callback: "
                  f"{time.perf_counter() - start:.1f} s", flush=True)

            start, server_cpu, client_cpu = time.perf_counter(), server_cpu_seconds(base), time.process_time()
            results = run_users(base, kinds, args.users, args.requests, KINDS, think=tuple(args.think))
            wall = time.perf_counter() - start
            print_table(size, results, wall)
            print_cpu(size, len(results), wall, server_cpu_seconds(base) - server_cpu, time.process_time() - client_cpu)

            # A cold whole-cohort analysis (new parameters) while the users keep sending quick requests.
            stop = threading.Event()
            window: dict[str, float] = {}

            def cold_analysis() -> None:
                window["start"] = time.perf_counter()
                try:
                    client_cold = DashClient(base)
                    client_cold._dependencies = client.dependencies()
                    client_cold.run_background(client_cold.payload(
                        kinds.compute, {f"{ids.COHORT_NEEDED}.data": {"cutoff": "2.7"}}), timeout=1800)
                finally:
                    window["end"] = time.perf_counter()
                    stop.set()

            analysis = threading.Thread(target=cold_analysis)
            analysis.start()
            during = run_users(base, kinds, args.users, None, QUICK_KINDS, stop=stop, seed=99, think=tuple(args.think))
            analysis.join()
            inside = [r for r in during if window["start"] <= r[1] <= window["end"]]
            seconds = [s for _, _, s, _ in inside]
            if seconds:
                print(f"{size:>8}  during a cold analysis ({window['end'] - window['start']:.1f} s): "
                      f"{len(seconds)} quick requests, p50 {1000 * statistics.median(seconds):.0f} ms, "
                      f"p95 {1000 * percentile(seconds, 0.95):.0f} ms, errors {sum(not r[3] for r in inside)}",
                      flush=True)
            memory = worker_memory(base)
            print(f"{size:>8}  worker memory after the load: " + ", ".join(
                f"RSS {m['rss']:.0f} / USS {m['uss']:.0f} / PSS {m['pss']:.0f} MiB" for m in memory), flush=True)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[78, 10000])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--think", type=float, nargs=2, default=[0.0, 0.0], metavar=("LOW", "HIGH"),
                        help="each user pauses a time drawn uniformly from LOW-HIGH seconds before each request "
                             "(Locust's between(LOW, HIGH)); default 0 0: no pause (a stress test)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench_serving")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    pause = f"pause {args.think[0]:g}-{args.think[1]:g} s before each request" if args.think[1] else "no pause"
    print(f"gunicorn, {args.workers} workers x {args.threads} threads; {args.users} users ({pause}); machine: "
          f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.1f} GiB; "
          f"load average {psutil.getloadavg()[0]:.1f}", flush=True)
    for size in args.sizes:
        bench_size(size, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
