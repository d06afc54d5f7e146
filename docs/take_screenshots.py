"""Take screenshots of every page on the demo study with headless Chromium.

    .venv/bin/python docs/take_screenshots.py [--study data/demo] [--out docs/screenshots]

Starts the dashboard on a free loopback port, loads each page at 1280x800 (and the patient page at
1920x1080, the tumour-board screen) and writes one PNG per page; then prints a patient's tumour-board
report to PDF and writes its first two pages as PNG (pdftoppm, from poppler-utils), and the first page of
the researcher's (cohort) report.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (file name, path, window size, most milliseconds to wait for the page to settle)
PAGES = [
    ("patient.png", "/patient/P007", (1280, 2000), 30000),
    ("patient-board.png", "/patient/P009", (1920, 1080), 30000),
    ("overview.png", "/", (1280, 1000), 30000),
]


#: CSS selector that exists once a page's content is drawn (default: wait for callbacks only).
READY_SELECTORS = {
    "patient.png": "#patient-header .stat-card",
    "patient-board.png": "#patient-header .stat-card",
    "overview.png": "#overview-findings .finding-card",
}

# Resistance and Survival pages (tall windows: the figures and tables are below the fold).
PAGES += [("resistance.png", "/resistance", (1280, 2000), 30000), ("survival.png", "/survival", (1280, 1500), 30000)]
READY_SELECTORS.update({"resistance.png": "#resistance-with-mechanism .stat-value",
                        "survival.png": "#survival-km .js-plotly-plot .scatterlayer"})

# Concordance (at the slider value of a shared link) and Response pages.
PAGES += [("concordance.png", "/concordance?slider=2.6", (1280, 2000), 30000),
          ("response.png", "/response", (1280, 2000), 30000)]
READY_SELECTORS.update({"concordance.png": "#concordance-roc .js-plotly-plot .scatterlayer",
                        "response.png": "#response-roc .js-plotly-plot .scatterlayer"})

# The patient page as a laptop shows it first: the two answers above the figure.
PAGES += [("patient-answers.png", "/patient/P033", (1280, 800), 30000)]
READY_SELECTORS.update({"patient-answers.png": "#patient-timeline .main-svg"})

#: The patient whose tumour-board report is shown (PDF pages as PNG), and the pages.
REPORT_PATIENT, REPORT_PAGES = "P033", (1, 2)

# Cohort (swimmer plot and patient table below the counts) and Data pages.
PAGES += [("cohort.png", "/cohort", (1280, 1800), 30000), ("data.png", "/data", (1280, 2200), 15000)]
READY_SELECTORS.update({"cohort.png": "#cohort-swimmer .barlayer .point", "data.png": "#data-provenance .ag-row"})

# Every page as a 1280x800 laptop screen shows it first (what a reader sees before scrolling).
FIRST_SCREEN = [
    ("overview", "/", "#overview-findings .finding-card"),
    ("cohort", "/cohort", "#cohort-swimmer .barlayer .point"),
    ("patient", "/patient/P033", "#patient-timeline .main-svg"),
    ("concordance", "/concordance", "#concordance-roc .js-plotly-plot .scatterlayer"),
    ("response", "/response", "#response-roc .js-plotly-plot .scatterlayer"),
    ("resistance", "/resistance", "#resistance-oncoprint .js-plotly-plot .main-svg"),
    ("survival", "/survival", "#survival-km .js-plotly-plot .scatterlayer"),
    ("data", "/data", "#data-provenance .ag-row"),
]
PAGES += [(f"1280x800/{name}.png", path, (1280, 800), 30000) for name, path, _ in FIRST_SCREEN]
READY_SELECTORS.update({f"1280x800/{name}.png": selector for name, _, selector in FIRST_SCREEN})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"dashboard did not answer at {url}")


def _browser(chromium: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--force-device-scale-factor=1"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def _wait_for_dash(driver, seconds: float, selector: str | None) -> None:
    """Wait until the page's content is there and Dash has no callback in flight."""
    deadline = time.time() + max(seconds, 5)
    time.sleep(1.0)
    while time.time() < deadline:
        ready = selector is None or driver.execute_script(f"return !!document.querySelector({selector!r})")
        busy = driver.execute_script("return document.title.startsWith('Updating')")
        if ready and not busy:
            break
        time.sleep(0.3)
    time.sleep(1.5)


def report_pages(study: Path, out: Path) -> list[Path]:
    """The PDF report of :data:`REPORT_PATIENT`, pages :data:`REPORT_PAGES` as ``report-page-N.png``."""
    sys.path.insert(0, str(ROOT))
    from analysis.io.cbioportal import read_study
    from dashboard.report import write_report

    if shutil.which("pdftoppm") is None:
        print("pdftoppm not found (apt-get install poppler-utils): report pages skipped", file=sys.stderr)
        return []
    with tempfile.TemporaryDirectory() as folder:
        pdf = write_report(read_study(study), REPORT_PATIENT, Path(folder) / "report.pdf")
        written = []
        for page in REPORT_PAGES:
            subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                            str(out / f"report-page-{page}")], check=True)
            written.append(out / f"report-page-{page}.png")
    return written


def cohort_report_pages(study: Path, out: Path, pages: tuple[int, ...] = (1,)) -> list[Path]:
    """The researcher's (cohort) report as PDF, *pages* as ``cohort-report-page-N.png``."""
    sys.path.insert(0, str(ROOT))
    from analysis.io.cbioportal import read_study
    from dashboard.report import write_cohort_report

    if shutil.which("pdftoppm") is None:
        print("pdftoppm not found (apt-get install poppler-utils): cohort report pages skipped", file=sys.stderr)
        return []
    with tempfile.TemporaryDirectory() as folder:
        pdf = write_cohort_report(read_study(study), Path(folder) / "cohort-report.pdf")
        written = []
        for page in pages:
            subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                            str(out / f"cohort-report-page-{page}")], check=True)
            written.append(out / f"cohort-report-page-{page}.png")
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--study", type=Path, default=ROOT / "data" / "demo")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", help="take only this file name")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        print("chromium not found: apt-get install chromium", file=sys.stderr)
        return 1
    (args.out / "1280x800").mkdir(parents=True, exist_ok=True)
    port = free_port()
    cache = tempfile.mkdtemp(prefix="screenshots-cache-")
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--study", str(args.study), "--port", str(port),
                               "--cache-dir", cache], cwd=ROOT)
    driver = _browser(chromium)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/")
        for name, path, (width, height), budget in PAGES:
            if args.only and name != args.only:
                continue
            driver.set_window_size(width, height)
            driver.get(f"http://127.0.0.1:{port}{path}")
            _wait_for_dash(driver, budget / 1000, READY_SELECTORS.get(name))
            driver.save_screenshot(str(args.out / name))
            print(f"wrote {args.out / name}")
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(cache, ignore_errors=True)
    if not args.only or args.only.startswith("report-page"):
        for path in report_pages(args.study, args.out):
            print(f"wrote {path}")
    if not args.only or args.only.startswith("cohort-report-page"):
        for path in cohort_report_pages(args.study, args.out):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
