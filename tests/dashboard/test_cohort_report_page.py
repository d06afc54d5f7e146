"""The Overview's Findings (each number a link to its page) and researcher's report downloads, and the report
opened offline, in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.cohort import analyse_cohort
from analysis.findings import cohort_findings
from analysis.io.cbioportal import read_study
from dashboard.report import build_cohort_report, render_cohort_html
from dashboard.server import create_app
from dashboard.settings import Settings
from dashboard.views.resistance import headline
from tests.dashboard.test_patient_report_page import _wait_for_file

pytestmark = pytest.mark.browser


def _wait_for_url(dash_duo, fragment: str, timeout: float = 20) -> str:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(dash_duo.driver, timeout).until(lambda d: fragment in d.current_url)
    return dash_duo.driver.current_url


def test_overview_findings_link_to_their_pages_and_the_report_downloads(dash_duo, demo_study_dir, tmp_path):
    study = read_study(demo_study_dir)
    cohort = analyse_cohort(study)
    findings = {f.key: f for f in cohort_findings(cohort)}
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.driver.set_window_size(1280, 1000)
    dash_duo.wait_for_text_to_equal("#finding-mechanism_share .finding-value", findings["mechanism_share"].value,
                                    timeout=60)
    cards = dash_duo.find_elements("#overview-findings .finding-card")
    assert [c.get_attribute("id") for c in cards] == [f"finding-{key}" for key in findings]
    for key, finding in findings.items():
        shown = dash_duo.find_element(f"#finding-{key} .finding-value").text
        assert shown == (f"p {finding.value}" if finding.value.startswith("<") else finding.value), key
        href = dash_duo.find_element(f"#finding-{key} .finding-value").get_attribute("href")
        assert href.startswith(f"{dash_duo.server_url}{finding.page}"), (key, href)
    assert dash_duo.find_element("#finding-her2_auc .finding-value").text == "0.82"
    assert dash_duo.find_element("#finding-delong .finding-value").text == "p < 0.001"
    assert "guarantee-time bias" in dash_duo.find_element("#finding-pfs_mechanisms .finding-caution").text
    # The Findings come first, above the study's counts.
    tops = dash_duo.driver.execute_script(
        "const top = s => document.querySelector(s).getBoundingClientRect().top;"
        "return [top('#overview-findings'), top('#overview-counts')];")
    assert tops[0] < tops[1], tops

    download = Path(dash_duo.download_path)
    dash_duo.find_element("#overview-report-html").click()
    page = _wait_for_file(download / f"cohort-report-{study.meta.study_id}.html").read_text()
    assert 'id="finding-mechanism_share"' in page and "For research use; not a diagnostic report." in page
    dash_duo.find_element("#overview-report-pdf").click()
    pdf = _wait_for_file(download / f"cohort-report-{study.meta.study_id}.pdf", timeout=90)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert dash_duo.find_element("#overview-report-error").text == ""

    # The share with a mechanism opens the Resistance page, which shows the same number.
    dash_duo.find_element("#finding-mechanism_share .finding-value").click()
    _wait_for_url(dash_duo, "/resistance")
    dash_duo.wait_for_text_to_equal("#resistance-with-mechanism .stat-value", headline(cohort.resistance)["value"],
                                    timeout=60)
    assert dash_duo.find_element("#resistance-with-mechanism .stat-value").text == findings["mechanism_share"].value
    her_family = dash_duo.find_element("#resistance-her-family-table").text
    assert "6/17" in her_family and "5/17" in her_family

    # PFS by number of mechanisms opens the Survival page on that grouping, with its caution.
    dash_duo.driver.back()
    dash_duo.wait_for_element("#finding-pfs_mechanisms .finding-value", timeout=60).click()
    assert "group=mechanism_count" in _wait_for_url(dash_duo, "/survival")
    dash_duo.wait_for_contains_text("#survival-pvalue", "Log-rank p < 0.001", timeout=60)
    assert "guarantee-time bias" in dash_duo.find_element("#survival-pvalue").text
    assert dash_duo.get_logs() == []


def test_cohort_report_opens_offline_with_its_figures_and_no_console_errors(dash_duo, demo_study_dir, tmp_path):
    study = read_study(demo_study_dir)
    report = build_cohort_report(study)
    page = tmp_path / "cohort-report.html"
    page.write_text(render_cohort_html(report), encoding="utf-8")
    driver = dash_duo.driver
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                                  "downloadThroughput": 0, "uploadThroughput": 0})
    driver.get(page.as_uri())
    for figure_id in report.figures:
        dash_duo.wait_for_element(f"#{figure_id} .main-svg", timeout=30)
    for finding in report.findings:
        text = " ".join(dash_duo.find_element(f"#finding-{finding.key} .statement").text.split())
        assert text == " ".join(finding.statement.split()), finding.key
    names = driver.execute_script("return document.getElementById('figure-roc').data.map(t => t.name);")
    assert any(name.startswith("Plasma HER2 CN: AUC 0.82") for name in names), names
    assert "76.5% (13/17)" in dash_duo.find_element("table.findings").text
    provenance = dash_duo.find_element("table.provenance").text
    assert all(sha in provenance for sha in study.provenance["sha256"])
    # Nothing was fetched: every script and style is in the file.
    assert driver.execute_script("return performance.getEntriesByType('resource').length;") == 0
    assert dash_duo.get_logs() == []
