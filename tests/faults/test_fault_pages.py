"""Fault injection against a running dashboard, pages read in a real headless Chromium (issue 15).

Each test starts the app on a copy of the demo study, applies one fault while it runs (or before it
starts), then opens every page: each must still draw its heading and figures, make no failing
request, and say what happened where the user looks (the study alert or the cache notice).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.analysis_cache import AnalysisCache
from dashboard.analysis_service import get_analysis_service
from dashboard.server import create_app
from dashboard.settings import Settings
from dashboard.study_service import get_service
from tests.faults.faults import insert_non_utf8_byte, kill_writer_mid_swap, set_cell

pytestmark = pytest.mark.browser

#: Every page, and whether it draws figures once its analyses are done.
PAGES = {"/": False, "/cohort": True, "/patient/P033": True, "/concordance": True, "/response": True,
         "/resistance": True, "/survival": True, "/data": False}

HEADING = "return (document.querySelector('#_pages_content h1') || {}).textContent || '';"
DRAWN = "return document.querySelectorAll('#_pages_content .js-plotly-plot .main-svg').length;"
BUSY = "return document.querySelectorAll('._dash-loading').length;"
#: The page's notices as the user sees them ('' when absent or not drawn, as Selenium's ``.text``), in one round
#: trip.  They are drawn with the heading (dashboard.page_frame), so they are in the page once the heading is;
#: ``find_elements`` waited dash.testing's 2 s implicit wait for each one rightly absent (~300 s per run).
NOTICES = """
const text = (selector) => {
    const element = document.querySelector(selector);
    return element && element.getClientRects().length ? element.innerText : '';
};
return {alert: text('#study-alert'), cache_notice: text('#cache-notice'),
        study_notice: text('#study-notice[role=status]')};
"""


@pytest.fixture
def study(demo_study_dir, tmp_path) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(demo_study_dir, folder)
    return folder


def _start(dash_duo, study: Path, cache: Path):
    app = create_app(Settings(study=study, cache_dir=cache))
    dash_duo.start_server(app)
    return dash_duo


#: Pages whose callbacks read the result cache and run background jobs: enough for the cache faults.
CACHE_PAGES = ("/cohort", "/patient/P033", "/survival")


def _visit_every_page(dash_duo, query: str = "", pages=tuple(PAGES)) -> dict[str, dict]:
    """Heading, figures drawn and notices of every page in *pages* (after its callbacks settle)."""
    seen = {}
    for path in pages:
        has_figures = PAGES[path]
        dash_duo.driver.get(dash_duo.server_url + path + query)
        wait = WebDriverWait(dash_duo.driver, 60, poll_frequency=0.2)
        wait.until(lambda d: d.execute_script(HEADING).strip())
        if has_figures:
            wait.until(lambda d: d.execute_script(DRAWN) > 0 and d.execute_script(BUSY) == 0)
        seen[path] = {
            "heading": dash_duo.driver.execute_script(HEADING).strip(),
            "figures": dash_duo.driver.execute_script(DRAWN),
            **dash_duo.driver.execute_script(NOTICES),
        }
    return seen


def _failed_requests(dash_duo) -> list[str]:
    """Browser console errors that report a failed request (HTTP 4xx/5xx) or a callback error."""
    return [entry["message"] for entry in dash_duo.get_logs() or []
            if "500" in entry["message"] or "Callback error" in entry["message"]]


def _assert_every_page_drawn(seen: dict[str, dict]) -> None:
    for path, page in seen.items():
        assert page["heading"], f"{path}: no heading"
        if PAGES[path]:
            assert page["figures"] > 0, f"{path}: no figure drawn"


def test_non_utf8_byte_edited_in_keeps_the_last_good_study_on_every_page(dash_duo, study, tmp_path):
    _start(dash_duo, study, tmp_path / "cache")
    before = _visit_every_page(dash_duo, pages=("/cohort",))
    assert not before["/cohort"]["alert"]
    insert_non_utf8_byte(study / "data_clinical_patient.txt", after_line=7)
    after = _visit_every_page(dash_duo)
    _assert_every_page_drawn(after)
    for path, page in after.items():
        assert "last valid version is still shown" in page["alert"], path
        assert "data_clinical_patient.txt" in page["alert"], path
    assert _failed_requests(dash_duo) == []


def test_implausible_values_edited_in_are_missing_and_no_page_blanks(dash_duo, study, tmp_path):
    _start(dash_duo, study, tmp_path / "cache")
    dash_duo.driver.get(dash_duo.server_url + "/")
    # An infinite PFS, and ERBB2 log2 ratios that once took 20 GiB (27) or overflowed (1e308).
    set_cell(study / "data_clinical_patient.txt", "P033", "PFS_MONTHS", "inf")
    set_cell(study / "data_log2_cna.txt", "ERBB2", "P033-B0", "1e308")
    set_cell(study / "data_log2_cna.txt", "ERBB2", "P034-B0", "27")
    _assert_every_page_drawn(_visit_every_page(dash_duo))
    dash_duo.driver.get(dash_duo.server_url + "/data")
    WebDriverWait(dash_duo.driver, 30).until(
        lambda d: "implausible" in d.find_element("css selector", "#_pages_content").text)
    warnings = " ".join(m.message for m in get_service().study.report.warnings)
    assert "time not known (UNKNOWN / Inf)" in warnings and "2 implausible copy-number" in warnings
    assert _failed_requests(dash_duo) == []


def test_cache_folder_deleted_while_running_recomputes(dash_duo, study, tmp_path):
    cache = tmp_path / "cache"
    _start(dash_duo, study, cache)
    _visit_every_page(dash_duo, pages=CACHE_PAGES)
    shutil.rmtree(cache)
    _assert_every_page_drawn(_visit_every_page(dash_duo, "?cutoff=2.7", CACHE_PAGES))
    assert _failed_requests(dash_duo) == []


def test_cache_database_corrupted_while_running_recomputes(dash_duo, study, tmp_path):
    cache = tmp_path / "cache"
    _start(dash_duo, study, cache)
    _visit_every_page(dash_duo, pages=CACHE_PAGES)
    for db in cache.glob("*/cache.db*"):
        db.write_bytes(b"\0garbage" * 4096)
    _assert_every_page_drawn(_visit_every_page(dash_duo, "?cutoff=2.8", CACHE_PAGES))
    assert _failed_requests(dash_duo) == []


def test_cache_disk_full_while_running_recomputes_with_a_notice(dash_duo, study, tmp_path, monkeypatch):
    _start(dash_duo, study, tmp_path / "cache")
    _visit_every_page(dash_duo, pages=("/cohort",))
    disk = get_analysis_service().cache.disk

    def full(*_args, **_kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(disk, "set", full)  # the server runs in this process (dash_duo's threaded runner)
    monkeypatch.setattr(AnalysisCache, "_reopen_disk", lambda self: None)  # and stays full
    seen = _visit_every_page(dash_duo, "?cutoff=2.9", CACHE_PAGES)
    _assert_every_page_drawn(seen)
    seen = _visit_every_page(dash_duo, "?cutoff=2.9")
    assert all("the disk is full" in page["cache_notice"] for page in seen.values())
    assert _failed_requests(dash_duo) == []


def test_corrupt_cache_at_start_is_set_aside_and_pages_draw(dash_duo, study, tmp_path):
    cache = tmp_path / "cache"
    for store in ("results", "jobs"):  # the analysis results and the background jobs
        (cache / store).mkdir(parents=True)
        (cache / store / "cache.db").write_bytes(b"not a database" * 1000)
    _start(dash_duo, study, cache)
    _assert_every_page_drawn(_visit_every_page(dash_duo, pages=CACHE_PAGES))
    aside = sorted(p.name for p in cache.iterdir() if ".broken-" in p.name)
    assert [name.split(".broken-")[0] for name in aside] == ["jobs", "results"]
    assert _failed_requests(dash_duo) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_opening_a_study_with_a_fifo_meta_file_does_not_hang(dash_duo, study, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(study, other)
    os.mkfifo(other / "meta_extra.txt")
    (other / "meta_zero.txt").symlink_to("/dev/zero")
    _start(dash_duo, study, tmp_path / "cache")
    dash_duo.driver.get(dash_duo.server_url + "/data")
    dash_duo.wait_for_element("#data-open-path", timeout=30)
    box = dash_duo.find_element("#data-open-path")
    dash_duo.clear_input(box)
    box.send_keys(str(other))
    started = time.monotonic()
    dash_duo.find_element("#data-open-button").click()
    WebDriverWait(dash_duo.driver, 90, poll_frequency=0.5).until(
        lambda d: "Opened" in d.page_source and "meta_extra.txt" in d.page_source)
    assert time.monotonic() - started < 90
    page = dash_duo.driver.page_source
    assert "not a regular file" in page and "meta_zero.txt" in page
    _assert_every_page_drawn(_visit_every_page(dash_duo, pages=("/cohort",)))
    assert _failed_requests(dash_duo) == []


def test_writer_killed_mid_swap_while_running_keeps_every_page_with_a_notice(dash_duo, study, tmp_path):
    _start(dash_duo, study, tmp_path / "cache")
    before = _visit_every_page(dash_duo, pages=("/cohort",))
    assert not before["/cohort"]["study_notice"]
    # A writer re-writing the study is killed between the two renames of its swap: no study at the path.
    assert kill_writer_mid_swap(study) == -signal.SIGKILL
    assert not study.exists()
    after = _visit_every_page(dash_duo)
    _assert_every_page_drawn(after)
    for path, page in after.items():
        assert "previous version was put back" in page["study_notice"], path
        assert "half-written copy" in page["study_notice"], path
        assert not page["alert"], path
    assert study.is_dir()
    assert not [p.name for p in study.parent.iterdir() if p.is_dir() and p.name.startswith(".study.")]
    assert _failed_requests(dash_duo) == []
