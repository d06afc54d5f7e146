"""The patient page's answers and report buttons, and the report opened offline, in headless Chromium."""

from __future__ import annotations

import base64
import html
import json
import subprocess
import time
from pathlib import Path

import pytest

from analysis.answers import patient_answers
from analysis.io.cbioportal import read_study
from analysis.patient import analyse_patient
from dashboard.report import build_report, render_html
from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.test_report import acquired_with_lead

pytestmark = pytest.mark.browser


def _wait_for_file(path: Path, timeout: float = 30.0) -> Path:
    """A download is complete when the file exists and Chromium's partial file is gone."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and not path.with_name(path.name + ".crdownload").exists() and path.stat().st_size:
            return path
        time.sleep(0.25)
    raise AssertionError(f"{path} was not downloaded within {timeout:g} s")


@pytest.mark.needs_tool("pdftotext")
def test_patient_page_answers_above_the_figure_and_report_downloads(dash_duo, demo_study_dir, tmp_path):
    truth = json.loads((demo_study_dir.parent / "demo.truth.json").read_text())["patients"]
    pid = acquired_with_lead(truth)
    answers = patient_answers(analyse_patient(read_study(demo_study_dir), pid))
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.driver.set_window_size(1280, 800)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/patient/{pid}")
    dash_duo.wait_for_text_to_equal("#patient-answer-her2", answers.her2_trajectory, timeout=30)
    dash_duo.wait_for_text_to_equal("#patient-mechanism-summary", answers.mechanism, timeout=10)
    dash_duo.wait_for_element("#patient-timeline .main-svg", timeout=20)
    tops = dash_duo.driver.execute_script(
        "const top = s => document.querySelector(s).getBoundingClientRect().top;"
        "return [top('#patient-answer-her2'), top('#patient-mechanism-summary'), top('#patient-timeline')];")
    assert tops[0] < tops[1] < tops[2], tops
    for mechanism in truth[pid]["mechanisms"]:
        assert mechanism["gene"] in answers.mechanism

    download = Path(dash_duo.download_path)
    # The two report buttons are links to the report route (dashboard.report_route), not callbacks.
    link = dash_duo.find_element("#patient-report-html")
    assert link.tag_name == "a" and link.get_attribute("download") == f"tumour-board-{pid}.html"
    assert link.get_attribute("href").endswith(f"/_her2/report/{pid}.html")
    link.click()
    page = _wait_for_file(download / f"tumour-board-{pid}.html").read_text()
    for sentence in answers.sentences:
        assert html.escape(sentence) in page
    assert 'id="report-timeline"' in page and "For research use; not a diagnostic report." in page
    dash_duo.find_element("#patient-report-pdf").click()
    pdf = _wait_for_file(download / f"tumour-board-{pid}.pdf", timeout=60)
    assert pdf.read_bytes().startswith(b"%PDF")

    # The page prints cleanly (assets/print.css): the answers, no navigation, no buttons.
    printed = dash_duo.driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})
    (tmp_path / "page.pdf").write_bytes(base64.b64decode(printed["data"]))
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "page.pdf"), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert " ".join(answers.her2_trajectory.split()[:8]) in text
    assert "Analysis parameters: defaults" in text  # the panel's summary line, not its controls
    for absent in ("Tumour-board report (HTML)", "next patient", "HER2 liquid biopsy",
                   "adjust for tumour fraction"):
        assert absent not in text, absent
    assert dash_duo.get_logs() == []


def test_report_opens_offline_with_its_figure_and_no_console_errors(dash_duo, demo_study_dir, tmp_path):
    truth = json.loads((demo_study_dir.parent / "demo.truth.json").read_text())["patients"]
    pid = acquired_with_lead(truth)
    study = read_study(demo_study_dir)
    report = build_report(study, pid)
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    driver = dash_duo.driver
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                                  "downloadThroughput": 0, "uploadThroughput": 0})
    driver.get(page.as_uri())
    dash_duo.wait_for_element("#report-timeline .main-svg", timeout=20)
    assert dash_duo.find_element("#answer-her2").text == report.answers.her2_trajectory
    assert dash_duo.find_element("#answer-mechanism").text == report.answers.mechanism
    traces = driver.execute_script("return document.getElementById('report-timeline').data.map(t => t.name);")
    assert "Plasma ERBB2 CN (observed, copies)" in traces
    evidence = dash_duo.find_element("table.evidence").text
    for citation in report.evidence["citation"]:
        assert " ".join(citation.split()) in " ".join(evidence.split())
    provenance = dash_duo.find_element("table.provenance").text
    assert all(sha in provenance for sha in study.provenance["sha256"])
    # Nothing was fetched: every script and style is in the file.
    assert driver.execute_script("return performance.getEntriesByType('resource').length;") == 0
    assert dash_duo.get_logs() == []
