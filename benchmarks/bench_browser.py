"""Time to figures in a real browser: navigation start to every graph and table drawn, no spinner.

The dashboard is started as a user starts it (``app.py``, waitress, on a free loopback port) on the
demo study and, with ``--sizes 78 10000`` (or ``HER2_BENCH_BROWSER_10K=1``), on a generated
10,000-patient study; headless Chromium (selenium, ``/usr/bin/chromium``) opens each page of
``tests/dashboard/pages.py``.  A script injected before the page's own scripts checks, once per
animation frame, and records ``performance.now()`` (milliseconds since navigation start,
``performance.timeOrigin``) at the first frame where

- the page's heading is present (``#_pages_content h1``),
- no Dash loading spinner is shown (``._dash-loading``, ``[data-dash-is-loading]``) and no callback
  request is in flight,
- every plotly graph on the page is drawn (``.js-plotly-plot`` with ``.main-svg`` and data traces
  or an explanatory annotation: an empty state counts as drawn, the blank graph before its figure
  arrives does not),
- every AG Grid table (``.her2-grid``) shows rows or its "no rows" overlay,

and that state then holds for 300 ms (a figure redrawn by a chained callback is waited for).  The
**figures** columns are the issue's own measure, "every graph drawn, no spinner": the first frame at which
every graph is drawn, no spinner is shown and no callback is in flight, the tables not waited for (they sit
below the figures, out of the first screen).

- **cold**: the first visit of a page after the server started on an empty cache (the first
  cohort page also waits for the whole-cohort analysis);
- **warm**: the median (and worst) of ``--visits`` later page loads (server caches filled; the
  browser's HTTP cache kept): opening the page's address, or reloading it;
- **in-app**: the median of ``--visits`` visits the way a reader moves between pages, by the app's own
  links (no page load: the scripts are running): the Overview (for the Overview itself, the Data page)
  is loaded, then an app link to the page is followed (``dcc.Link``'s ``pushState`` and Dash's location
  event); the time runs from following the link, and the page counts as drawn once its heading is the
  new page's.

Per page it also prints the main thread's CPU time (median of the warm loads, and of the in-app visits:
Chrome's ``Performance.getMetrics`` "TaskDuration", up to the end of the 300 ms hold: the browser's work,
which other programs' load delays but does not add to, unlike the wall-clock times) and, for the last warm
visit up to the drawn time: callback requests (``/_dash-update-component``, Resource Timing) and their
response payload (KiB, as sent), all resources' KiB (decoded, from the network or the browser cache: the
plotly bundle is most of it), and JS long tasks (``PerformanceObserver('longtask')``: count and total ms).
No assertions.

Usage (hold the browser-test lock so other browser runs do not disturb the numbers)::

    flock /tmp/dash8050.lock .venv/bin/python benchmarks/bench_browser.py              # demo only
    flock /tmp/dash8050.lock .venv/bin/python benchmarks/bench_browser.py --sizes 78 10000
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from tests.dashboard.pages import PAGES  # noqa: E402

#: Runs before the page's scripts: records when the page is first "drawn" (see the module text) and
#: keeps that time while the state holds; collects long tasks.
WATCH_JS = """
(function () {
    performance.setResourceTimingBufferSize(2000);
    window.__her2 = {drawnSince: null, figuresAt: null, longtasks: [], inFlight: 0, navStart: 0, fromHeading: null};
    // In-app navigation, as the app's own links do it (dcc.Link: pushState and Dash's location event).
    window.__her2.navigate = function (path) {
        const heading = document.querySelector('#_pages_content h1');
        window.__her2.fromHeading = heading ? heading.textContent : null;
        window.__her2.drawnSince = null;
        window.__her2.figuresAt = null;
        window.__her2.navStart = performance.now();
        window.history.pushState({}, '', path);
        window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
        window.scrollTo(0, 0);
    };
    const fetch = window.fetch;
    window.fetch = function (url) {
        const callback = String(url).includes('_dash-update-component');
        if (callback) { window.__her2.inFlight += 1; }
        const done = () => { if (callback) { window.__her2.inFlight -= 1; } };
        return fetch.apply(this, arguments).then((r) => { done(); return r; }, (e) => { done(); throw e; });
    };
    try {
        new PerformanceObserver((list) => {
            list.getEntries().forEach((e) => window.__her2.longtasks.push([e.startTime, e.duration]));
        }).observe({type: 'longtask', buffered: true});
    } catch (e) { window.__her2.longtasks = null; }
    function graphDrawn(gd) {
        if (!gd._fullLayout || !gd.querySelector('.main-svg')) { return false; }
        const annotations = (gd.layout && gd.layout.annotations) || [];
        return (gd.data && gd.data.length > 0) || annotations.length > 0;
    }
    function gridDrawn(grid) {
        return !!grid.querySelector('.ag-body [role=gridcell], .ag-overlay-no-rows-wrapper, '
                                    + '.ag-overlay-no-rows-center');
    }
    function ready(withTables) {
        const heading = document.querySelector('#_pages_content h1');
        if (!heading || window.__her2.inFlight > 0) { return false; }
        if (window.__her2.fromHeading !== null && heading.textContent === window.__her2.fromHeading) { return false; }
        if (document.querySelector('._dash-loading, [data-dash-is-loading="true"]')) { return false; }
        const graphs = document.querySelectorAll('#_pages_content .dash-graph');
        for (const holder of graphs) {
            const gd = holder.querySelector('.js-plotly-plot');
            if (!gd || !graphDrawn(gd)) { return false; }
        }
        if (!withTables) { return true; }
        for (const grid of document.querySelectorAll('#_pages_content .her2-grid')) {
            if (!gridDrawn(grid)) { return false; }
        }
        return true;
    }
    function poll() {
        const now = performance.now();
        if (ready(true)) {
            if (window.__her2.drawnSince === null) { window.__her2.drawnSince = now; }
        } else {
            window.__her2.drawnSince = null;
        }
        // The figures alone (the issue's "every graph drawn, no spinner"): the first frame they are.
        if (window.__her2.figuresAt === null && ready(false)) { window.__her2.figuresAt = now; }
        requestAnimationFrame(poll);
    }
    requestAnimationFrame(poll);
})();
"""

#: Resolves once the page has been drawn for 300 ms (or the time limit passes).
WAIT_JS = """
const done = arguments[arguments.length - 1];
const limit = performance.now() + arguments[0];
function check() {
    const now = performance.now();
    const since = window.__her2 && window.__her2.drawnSince;
    if ((since !== null && since !== undefined && now - since >= 300) || now > limit) {
        const ms = (since !== null && since !== undefined && now - since >= 300) ? since : null;
        const upTo = ms === null ? now : ms;
        const start = window.__her2.navStart;
        const entries = performance.getEntriesByType('resource').filter((e) => e.startTime >= start
                                                                        && e.startTime <= upTo);
        const callbacks = entries.filter((e) => e.name.includes('_dash-update-component'));
        const tasks = window.__her2.longtasks;
        const early = tasks === null ? null : tasks.filter((t) => t[0] >= start && t[0] <= upTo);
        const figures = window.__her2.figuresAt;
        done({ms: ms === null ? null : ms - start,
              figuresMs: ms === null || figures === null ? null : figures - start,
              graphs: document.querySelectorAll('#_pages_content .dash-graph').length,
              grids: document.querySelectorAll('#_pages_content .her2-grid').length,
              callbacks: callbacks.length,
              callbackBytes: callbacks.reduce((s, e) => s + (e.encodedBodySize || 0), 0),
              resourceBytes: entries.reduce((s, e) => s + (e.decodedBodySize || 0), 0),
              longtasks: early === null ? null : early.length,
              longtaskMs: early === null ? null : early.reduce((s, t) => s + t[1], 0)});
        return;
    }
    setTimeout(check, 50);
}
check();
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def study_for(size: int, workdir: Path) -> Path:
    """The demo (78 patients) or a generated study of *size* patients (written once into *workdir*)."""
    from analysis.demo.generator import write_demo

    if size == 78:
        demo = PROJECT_ROOT / "data" / "demo"
        if not (demo / "meta_study.txt").is_file():
            write_demo(demo)
        return demo
    folder = workdir / f"study_{size}"
    if not (folder / "meta_study.txt").is_file():
        write_demo(folder, workdir / f"study_{size}.truth.json", n_patients=size)
    return folder


def start_server(study: Path, cache_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "app.py"), "--study", str(study),
                                "--port", str(port), "--cache-dir", str(cache_dir)],
                               cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_her2/health", timeout=5)
            return process, url
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"the dashboard exited with status {process.returncode}") from None
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the dashboard did not answer at {url}")


def browser(chromium: str, width: int = 1280, height: int = 800):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                              options=options)
    driver.set_script_timeout(180)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_JS})
    driver.execute_cdp_cmd("Performance.enable", {"timeDomain": "threadTicks"})
    return driver


def _main_thread_ms(driver) -> float:
    """The main thread's CPU time for the current document so far (Chrome's ``Performance.getMetrics``
    "TaskDuration", thread ticks: the browser's work on the page, which other programs' load delays but
    does not add to, unlike the wall-clock time)."""
    metrics = {m["name"]: m["value"] for m in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
    return metrics.get("TaskDuration", float("nan")) * 1000


def visit(driver, url: str, timeout_ms: int) -> dict:
    """One page load: the figures of :data:`WAIT_JS`, and ``cpuMs``, the main thread's CPU time up to then."""
    driver.get(url)
    result = driver.execute_async_script(WAIT_JS, timeout_ms)
    result["cpuMs"] = _main_thread_ms(driver)
    return result


def visit_in_app(driver, url: str, path: str, timeout_ms: int) -> dict:
    """One in-app visit of *path*, as a reader moves between pages with the app's links: load another page
    first (the Overview, or the Data page for the Overview itself), then follow an app link to *path*
    (no page load: the app's scripts are running). Times are from the link's follow to every graph drawn."""
    visit(driver, url + ("/data" if path == "/" else "/"), timeout_ms)
    before = _main_thread_ms(driver)
    driver.execute_script("window.__her2.navigate(arguments[0]);", path)
    result = driver.execute_async_script(WAIT_JS, timeout_ms)
    result["cpuMs"] = _main_thread_ms(driver) - before
    return result


def bench_size(size: int, workdir: Path, visits: int, chromium: str, pages: list[str]) -> list[dict]:
    study = study_for(size, workdir)
    cache_dir = Path(tempfile.mkdtemp(prefix="bench-browser-cache-", dir=workdir))
    process, url = start_server(study, cache_dir)
    driver = browser(chromium)
    rows = []
    try:
        patient = _a_followed_patient(study) if size != 78 else None
        for path in pages:
            if patient and path.startswith("/patient/"):
                path = f"/patient/{patient}"
            cold = visit(driver, url + path, 150_000)
            warm = [visit(driver, url + path, 60_000) for _ in range(visits)]
            times = [w["ms"] for w in warm if w["ms"] is not None]
            cpu = [w["cpuMs"] for w in warm if w["ms"] is not None]
            in_app = [visit_in_app(driver, url, path, 60_000) for _ in range(visits)]
            in_app_times = [w["ms"] for w in in_app if w["ms"] is not None]
            figures = [w["figuresMs"] for w in warm if w["figuresMs"] is not None]
            in_app_figures = [w["figuresMs"] for w in in_app if w["figuresMs"] is not None]
            page = "/patient/<id>" if path.startswith("/patient/") else path
            rows.append({"size": size, "page": page, "cold": cold["ms"],
                         "p50": statistics.median(times) if times else None,
                         "max": max(times) if times else None, "timeouts": len(warm) - len(times),
                         "cpu": statistics.median(cpu) if cpu else None,
                         "in_app": statistics.median(in_app_times) if in_app_times else None,
                         "figures": statistics.median(figures) if figures else None,
                         "in_app_figures": statistics.median(in_app_figures) if in_app_figures else None,
                         "in_app_cpu": statistics.median(w["cpuMs"] for w in in_app if w["ms"] is not None)
                         if in_app_times else None,
                         **{k: warm[-1][k] for k in ("graphs", "grids", "callbacks", "callbackBytes",
                                                     "resourceBytes", "longtasks", "longtaskMs")}})
    finally:
        driver.quit()
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(cache_dir, ignore_errors=True)
    return rows


def _a_followed_patient(study: Path) -> str:
    """A patient with the most plasma draws (the patient page draws every panel for them)."""
    import pandas as pd

    samples = pd.read_csv(study / "data_clinical_sample.txt", sep="\t", comment="#", dtype=str)
    plasma = samples[samples["SAMPLE_TYPE"].str.lower().eq("plasma")] if "SAMPLE_TYPE" in samples else samples
    return str(plasma.groupby("PATIENT_ID").size().sort_values(ascending=False).index[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_sizes = [78, 10000] if os.environ.get("HER2_BENCH_BROWSER_10K") == "1" else [78]
    parser.add_argument("--sizes", type=int, nargs="+", default=default_sizes)
    parser.add_argument("--visits", type=int, default=5, help="warm visits per page")
    parser.add_argument("--pages", nargs="+", default=PAGES, help="pages to open (default: every page)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench_browser")
    parser.add_argument("--chromium", default=os.environ.get("DASH_TEST_CHROMEPATH") or shutil.which("chromium")
                        or "/usr/bin/chromium")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"headless Chromium 1280x800, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"warm = median of {args.visits} visits", flush=True)
    print(f"{'patients':>8}  {'page':<14} {'cold':>8} {'warm p50':>9} {'warm max':>9} {'figures':>8} {'graphs':>6} "
          f"{'grids':>5} {'CPU p50':>8} {'in-app p50':>10} {'figures':>8} {'in-app CPU':>10} {'callbacks':>9} "
          f"{'cb KiB':>7} {'all KiB':>8} {'long tasks':>14}")
    for size in args.sizes:
        for row in bench_size(size, args.workdir, args.visits, args.chromium, args.pages):
            def ms(value):
                return f"{value:7.0f}ms" if value is not None else f"{'timeout':>9}"
            tasks = ("n/a" if row["longtasks"] is None
                     else f"{row['longtasks']} / {row['longtaskMs']:.0f}ms")
            note = f"  ({row['timeouts']} visits timed out)" if row["timeouts"] else ""
            print(f"{row['size']:>8}  {row['page']:<14} {ms(row['cold'])} {ms(row['p50'])} {ms(row['max'])} "
                  f"{ms(row['figures']):>8} {row['graphs']:>6} {row['grids']:>5} {ms(row['cpu']):>8} "
                  f"{ms(row['in_app']):>10} {ms(row['in_app_figures']):>8} {ms(row['in_app_cpu']):>10} "
                  f"{row['callbacks']:>9} "
                  f"{row['callbackBytes'] / 1024:7.0f} "
                  f"{row['resourceBytes'] / 1024:8.0f} {tasks:>14}{note}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
