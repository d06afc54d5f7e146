"""Time to figures in a real browser: navigation start to every graph on the page drawn, no spinner.

The dashboard is started as a user starts it (``app.py`` under waitress, on a free loopback port) on
the demo study and on a generated 10,000-patient study; headless Chromium (selenium, Debian's
``chromium`` and ``chromium-driver``) opens each page.  A script in the page polls once per animation
frame and records ``performance.now()`` (milliseconds since navigation start) at the first frame where

- every ``dcc.Graph`` on the page holds a drawn plotly figure (data traces or an explanatory
  annotation: an empty state counts as drawn),
- no Dash component is loading (``[data-dash-is-loading]``) and no loading spinner is shown,

and that state then holds for 150 ms (so a figure redrawn by a chained callback is waited for).

- **cold**: the first visit of a page after the server started on an empty cache (the first
  cohort page also waits for the whole-cohort analysis);
- **warm**: later visits (server caches filled; the browser's HTTP cache kept, as for a user moving
  between pages).  The median and the worst of ``--visits`` visits are printed, with the bytes of
  every resource the page used, from the network or the browser cache (Resource Timing),
  and the number of callback requests it made.

Usage::

    python benchmarks/bench_browser.py                       # demo + 10,000 patients
    python benchmarks/bench_browser.py --sizes 78 --visits 5
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

PAGES = ["/", "/cohort", "/patient/{patient}", "/concordance", "/response", "/resistance", "/survival", "/data"]

#: Resolves with performance.now() once every graph is drawn and nothing loads, stable for 150 ms.
WAIT_FOR_FIGURES_JS = """
const done = arguments[arguments.length - 1];
const limit = performance.now() + arguments[0];
function drawn(holder) {
    const gd = holder.querySelector('.js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd.querySelector('.main-svg')) { return false; }
    const annotations = (gd.layout && gd.layout.annotations) || [];
    return (gd.data && gd.data.length > 0) || annotations.length > 0;
}
function ready() {
    if (document.querySelector('[data-dash-is-loading="true"], .dash-spinner, ._dash-loading')) { return false; }
    if (!document.querySelector('#_pages_content, #page-content, main')) { return false; }
    const graphs = Array.from(document.querySelectorAll('.dash-graph'));
    return graphs.every(drawn);
}
let since = null;
function poll() {
    const now = performance.now();
    if (ready()) {
        if (since === null) { since = now; }
        if (now - since >= 150) { done({ms: since, graphs: document.querySelectorAll('.dash-graph').length}); return; }
    } else {
        since = null;
    }
    if (now > limit) { done({ms: null, graphs: document.querySelectorAll('.dash-graph').length}); return; }
    requestAnimationFrame(poll);
}
poll();
"""

RESOURCES_JS = """
const entries = performance.getEntriesByType('resource');
return {bytes: entries.reduce((s, e) => s + (e.transferSize || e.encodedBodySize || 0), 0),
        callbacks: entries.filter(e => e.name.includes('_dash-update-component')).length};
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def study_for(size: int, workdir: Path) -> Path:
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
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/", timeout=5)
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
    driver.set_script_timeout(120)
    return driver


def visit(driver, url: str, timeout_ms: int) -> dict:
    driver.get(url)
    result = driver.execute_async_script(WAIT_FOR_FIGURES_JS, timeout_ms)
    result.update(driver.execute_script(RESOURCES_JS))
    return result


def bench_size(size: int, workdir: Path, visits: int, chromium: str, patient: str | None) -> list[tuple]:
    study = study_for(size, workdir)
    cache_dir = Path(tempfile.mkdtemp(prefix="bench-browser-cache-", dir=workdir))
    process, url = start_server(study, cache_dir)
    driver = browser(chromium)
    rows = []
    try:
        patient = patient or _a_followed_patient(study)
        for template in PAGES:
            path = template.format(patient=patient)
            cold = visit(driver, url + path, 120_000)
            warm = [visit(driver, url + path, 60_000) for _ in range(visits)]
            times = [w["ms"] for w in warm if w["ms"] is not None]
            rows.append((size, template.replace("{patient}", "<id>"), cold["ms"],
                         statistics.median(times) if times else None, max(times) if times else None,
                         warm[-1]["graphs"], warm[-1]["bytes"], warm[-1]["callbacks"], len(warm) - len(times)))
    finally:
        driver.quit()
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(cache_dir, ignore_errors=True)
    return rows


def _a_followed_patient(study: Path) -> str:
    """A patient with serial plasma draws (the patient page draws every panel for them)."""
    import pandas as pd

    samples = pd.read_csv(study / "data_clinical_sample.txt", sep="\t", comment="#", dtype=str)
    plasma = samples[samples["SAMPLE_TYPE"].str.lower().eq("plasma")] if "SAMPLE_TYPE" in samples else samples
    counts = plasma.groupby("PATIENT_ID").size().sort_values(ascending=False)
    return str(counts.index[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[78, 10000])
    parser.add_argument("--visits", type=int, default=5, help="warm visits per page")
    parser.add_argument("--patient", help="patient page to open (default: the patient with most plasma draws)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench_browser")
    parser.add_argument("--chromium", default=os.environ.get("DASH_TEST_CHROMEPATH") or shutil.which("chromium")
                        or "/usr/bin/chromium")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"{'patients':>8}  {'page':<16} {'cold':>8} {'warm p50':>9} {'warm max':>9} {'graphs':>6} "
          f"{'bytes':>10} {'callbacks':>9}")
    for size in args.sizes:
        for n, page, cold, w50, wmax, graphs, size_bytes, callbacks, timeouts in bench_size(
                size, args.workdir, args.visits, args.chromium, args.patient):
            def ms(value):
                return f"{value:7.0f}ms" if value is not None else f"{'timeout':>9}"
            note = f"  ({timeouts} visits timed out)" if timeouts else ""
            print(f"{n:>8}  {page:<16} {ms(cold)} {ms(w50)} {ms(wmax)} {graphs:>6} {size_bytes:>10,} "
                  f"{callbacks:>9}{note}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
