"""The Cohort page in a real headless Chromium: counts, filters in the URL, keyboard, swimmer clicks."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.server import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser

BARS = "#cohort-swimmer .barlayer .trace:first-child .point path"


def _wait(dash_duo, condition, timeout: float = 20):
    return WebDriverWait(dash_duo.driver, timeout).until(lambda driver: condition())


def _path(dash_duo) -> str:
    return dash_duo.driver.execute_script("return window.location.pathname")


def _search(dash_duo) -> str:
    return dash_duo.driver.execute_script("return window.location.search")


def _first_bar_patient(dash_duo) -> str:
    return dash_duo.driver.execute_script(
        "const gd = document.querySelector('#cohort-swimmer .js-plotly-plot');"
        "return gd.data.find(t => t.type === 'bar').customdata[0];")


@pytest.fixture
def cohort_app(dash_duo, demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    return dash_duo


def test_counts_filters_and_table(cohort_app):
    dash_duo = cohort_app
    dash_duo.wait_for_page(dash_duo.server_url + "/cohort")
    dash_duo.wait_for_text_to_equal("#cohort-count-patients .stat-value", "78", timeout=60)
    assert dash_duo.find_element("#cohort-count-her2_positive .stat-value").text == "46"
    assert dash_duo.find_element("#cohort-count-followed .stat-value").text == "24"
    assert dash_duo.find_element("#cohort-count-progressions .stat-value").text == "17"
    detail = dash_duo.find_element("#cohort-count-with_mechanism .stat-detail").text
    assert detail == "13 of 17 progressions (76.5%)"
    dash_duo.wait_for_contains_text("#cohort-matching", "24 of 78 patients")
    _wait(dash_duo, lambda: len(dash_duo.find_elements(BARS)) > 0)
    assert "Showing 24 of 24" in dash_duo.find_element("#cohort-swimmer-note").text
    # the cohort's own caveats are on the cohort page (issue 9.8)
    caveats = dash_duo.find_element("#cohort-caveats").get_attribute("textContent")
    assert "not evaluable" in caveats and "no PFS status" in caveats

    # every id in the table links to the patient's page
    links = dash_duo.find_elements("#cohort-table a")
    assert links and all("/patient/" + link.text in link.get_attribute("href") for link in links)

    # keyboard: arrow keys move the HER2 radio from "All" to "HER2-positive"; the URL keeps the filter
    radio = dash_duo.find_element("#cohort-filter-her2 input[value='all']")
    radio.send_keys(Keys.SPACE)
    radio.send_keys(Keys.ARROW_RIGHT)
    dash_duo.wait_for_contains_text("#cohort-matching", "of 78 patients")
    _wait(dash_duo, lambda: "her2=POSITIVE" in _search(dash_duo))

    # class filter by click; then a fresh load of the URL restores both filters
    dash_duo.find_element("#cohort-filter-class input[value='innate']").click()
    _wait(dash_duo, lambda: "class=innate" in _search(dash_duo))
    dash_duo.wait_for_contains_text("#cohort-matching", "7 of 78 patients")
    url = dash_duo.driver.current_url
    dash_duo.driver.get(url)
    dash_duo.wait_for_contains_text("#cohort-matching", "7 of 78 patients", timeout=30)
    assert dash_duo.find_element("#cohort-filter-class input[value='innate']").is_selected()
    assert dash_duo.find_element("#cohort-filter-her2 input[value='POSITIVE']").is_selected()
    assert dash_duo.get_logs() == []


def test_clicking_a_swimmer_bar_opens_that_patient(cohort_app):
    dash_duo = cohort_app
    dash_duo.wait_for_page(dash_duo.server_url + "/cohort?cutoff=2.6")
    _wait(dash_duo, lambda: len(dash_duo.find_elements(BARS)) > 0, timeout=60)
    assert dash_duo.get_logs() == []
    patient = _first_bar_patient(dash_duo)
    bar = dash_duo.find_elements(BARS)[0]
    ActionChains(dash_duo.driver).move_to_element(bar).pause(0.3).click().perform()
    _wait(dash_duo, lambda: _path(dash_duo) == f"/patient/{patient}")
    assert "cutoff=2.6" in _search(dash_duo)  # the parameters in force travel with the patient


def test_clicking_a_swimmer_label_opens_that_patient(cohort_app):
    dash_duo = cohort_app
    dash_duo.wait_for_page(dash_duo.server_url + "/cohort")
    _wait(dash_duo, lambda: len(dash_duo.find_elements("#cohort-swimmer .ytick a")) > 0, timeout=60)
    label = dash_duo.find_elements("#cohort-swimmer .ytick a")[-1]
    patient = label.text
    ActionChains(dash_duo.driver).move_to_element(label).pause(0.2).click().perform()
    _wait(dash_duo, lambda: _path(dash_duo) == f"/patient/{patient}")
