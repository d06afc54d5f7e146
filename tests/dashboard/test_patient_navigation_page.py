"""Getting around in headless Chromium: the search box, previous/next, Copy link, the draw in the URL."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.keys import Keys

from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.dropdown import choose_option

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_app(dash_duo, demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    truth = json.loads((demo_study_dir.parent / "demo.truth.json").read_text())["patients"]
    return dash_duo, truth


def _wait(predicate, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def _path(dash_duo) -> str:
    return urlsplit(dash_duo.driver.current_url).path


def _query(dash_duo) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(dash_duo.driver.current_url).query).items()}


def test_search_box_opens_an_exact_id_in_any_case_and_suggests_partial_ones(demo_app):
    dash_duo, _ = demo_app
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?cutoff=2.6")
    box = dash_duo.wait_for_element("#patient-search", timeout=10)
    box.send_keys("03")
    dash_duo.wait_for_contains_text("#patient-search-results", "P033", timeout=10)
    links = dash_duo.find_elements("#patient-search-results a")
    assert "P030" in [a.text for a in links] and all("/patient/" in a.get_attribute("href") for a in links)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    box.send_keys("p033", Keys.ENTER)
    _wait(lambda: _path(dash_duo) == "/patient/P033")
    dash_duo.wait_for_contains_text("h1", "Patient P033", timeout=20)
    assert _query(dash_duo).get("cutoff") == "2.6", "the parameters in force travel with the search"
    # The box is on every page, the patient page included: a suggestion is a link to click.
    box = dash_duo.find_element("#patient-search")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("P01")  # typed over the search before
    dash_duo.wait_for_contains_text("#patient-search-results", "P010", timeout=10)
    next(a for a in dash_duo.find_elements("#patient-search-results a") if a.text == "P012").click()
    _wait(lambda: _path(dash_duo) == "/patient/P012")
    dash_duo.wait_for_contains_text("h1", "Patient P012", timeout=20)
    _wait(lambda: dash_duo.find_element("#patient-search-results").text == "")  # suggestions closed
    assert dash_duo.get_logs() == []


def test_previous_and_next_walk_the_followed_patients(demo_app):
    dash_duo, truth = demo_app
    followed = [pid for pid, p in sorted(truth.items()) if p["followed"]]
    pid = followed[1]
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/patient/{pid}")
    dash_duo.wait_for_contains_text("#patient-walk", f"2 of {len(followed)} followed patients", timeout=20)
    dash_duo.find_element("#patient-next").click()
    _wait(lambda: _path(dash_duo) == f"/patient/{followed[2]}")
    dash_duo.wait_for_contains_text("#patient-walk", f"3 of {len(followed)}", timeout=20)
    dash_duo.find_element("#patient-prev").click()
    dash_duo.wait_for_contains_text("#patient-walk", f"2 of {len(followed)}", timeout=20)
    dash_duo.find_element("#patient-prev").click()
    _wait(lambda: _path(dash_duo) == f"/patient/{followed[0]}")
    dash_duo.wait_for_contains_text("#patient-walk", f"1 of {len(followed)}", timeout=20)
    # At the first patient there is no previous one.
    assert not dash_duo.find_element("#patient-prev").is_displayed()
    # A link from the Cohort page's filter walks that list (acquired resistance only here).
    acquired = [p for p in followed if truth[p]["resistance_class"] == "acquired"]
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/patient/{acquired[0]}?walk=cohort&class=acquired")
    dash_duo.wait_for_contains_text("#patient-walk", "matching the Cohort page's filters", timeout=30)
    assert "class=acquired" in dash_duo.find_element("#patient-next").get_attribute("href")
    dash_duo.find_element("#patient-next").click()
    _wait(lambda: _path(dash_duo) != f"/patient/{acquired[0]}")
    assert _path(dash_duo).rsplit("/", 1)[1] in acquired
    assert dash_duo.get_logs() == []


def test_draw_defaults_to_progression_goes_into_the_url_and_copy_link_copies_the_view(demo_app):
    dash_duo, truth = demo_app
    pid = "P033" if truth["P033"]["progressed"] else next(p for p, t in sorted(truth.items()) if t["progressed"])
    progression = truth[pid]["progression_sample_id"]
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/patient/{pid}?cutoff=2.6")
    _wait(lambda: _query(dash_duo).get("draw") == progression)
    dash_duo.wait_for_contains_text("#patient-alterations", progression, timeout=20)
    # Choose the baseline draw: the URL follows, and the exact URL is what "Copy link" copies.
    baseline = truth[pid]["baseline_sample_id"]
    day = truth[pid]["plasma_samples"][baseline]["collection_day"]
    choose_option(dash_duo, "#patient-draw-select", f"{baseline} - plasma, baseline, day {day:g}")
    _wait(lambda: _query(dash_duo).get("draw") == baseline)
    assert _query(dash_duo)["cutoff"] == "2.6"
    view = dash_duo.driver.current_url
    # Headless Chromium has no focused window to own the system clipboard: record what the page hands
    # to the Clipboard API instead (dcc.Clipboard writes plain text with navigator.clipboard.writeText).
    dash_duo.driver.execute_script(
        "window.__copied = null; navigator.clipboard.writeText = t => { window.__copied = t; "
        "return Promise.resolve(); };")
    dash_duo.find_element("#patient-copy-link").click()
    dash_duo.wait_for_contains_text("#patient-copy-status", "copied", timeout=10)
    _wait(lambda: dash_duo.driver.execute_script("return window.__copied;") is not None)
    copied = dash_duo.driver.execute_script("return window.__copied;")
    assert copied == view
    # Opening the copied link shows the same view: the baseline draw's alterations.
    dash_duo.wait_for_page(url=copied)
    dash_duo.wait_for_contains_text("#patient-alterations", baseline, timeout=20)
    assert progression not in dash_duo.find_element("#patient-alterations").text
    assert _query(dash_duo).get("draw") == baseline
    assert dash_duo.get_logs() == []

