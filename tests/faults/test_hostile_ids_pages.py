"""Ids that need escaping, in a real headless Chromium (issue 15.6).

The app runs on a copy of the demo study whose patients P009, P043 and P067 are renamed ``P 1/a#b``,
``<b>X</b>`` and ``<a href="https://example.org/">Z</a>`` (all three innate progressors with a HER2 CN
rise: in the Cohort table filtered to innate resistance, the Response lead-time plot and the oncoprint).
The Cohort table's links open the right patient page (not "Patient not found"), and the Response and
Resistance figures show the ids as literal text: no link or bold text made from an id exists in a plot.
"""

from __future__ import annotations

import shutil
from urllib.parse import unquote, urlsplit

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.figures.plotly_text import escape
from dashboard.server import create_app
from dashboard.settings import Settings
from dashboard.views.patient_navigation import patient_path
from tests.faults.faults import replace_values

pytestmark = pytest.mark.browser

IDS = {"P009": "P 1/a#b", "P043": "<b>X</b>", "P067": '<a href="https://example.org/">Z</a>',
       "P016": "*P_1* [2](3)"}

HEADING = "return (document.querySelector('#_pages_content h1') || {}).textContent || '';"
#: Links outside the plots (the Cohort table's, whatever grid draws it) whose text is arguments[0].
TABLE_LINK = """
return Array.from(document.querySelectorAll('#_pages_content a')).filter(
    a => !a.closest('.js-plotly-plot') && a.textContent.trim() === arguments[0]);
"""
#: Tick label texts of the plots inside arguments[0] (every axis: subplots' ticks are .x3tick, .y2tick, ...).
TICKS = """
return Array.from(document.querySelectorAll(arguments[0] + ' .js-plotly-plot .xaxislayer-above text, '
    + arguments[0] + ' .js-plotly-plot .yaxislayer-above text')).map(t => t.textContent);
"""
#: Links and bold text inside any plot: what a tick label made from an id would turn into.
PLOT_MARKUP = """
const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
return plots.flatMap(p => Array.from(p.querySelectorAll('a')).map(a => 'link: ' + a.textContent)
    .concat(Array.from(p.querySelectorAll('tspan')).filter(
        t => (t.getAttribute('style') || '').includes('bold') && ['X', 'Z'].includes(t.textContent.trim()))
        .map(t => 'bold: ' + t.textContent)));
"""


@pytest.fixture
def app(dash_duo, demo_study_dir, tmp_path):
    study = tmp_path / "study"
    shutil.copytree(demo_study_dir, study)
    assert replace_values(study, IDS) > 0
    dash_duo.start_server(create_app(Settings(study=study, cache_dir=tmp_path / "cache")))
    return dash_duo


def _wait(dash_duo, condition, message: str, timeout: float = 90):
    return WebDriverWait(dash_duo.driver, timeout, poll_frequency=0.2).until(lambda driver: condition(), message)


def _heading(dash_duo) -> str:
    return dash_duo.driver.execute_script(HEADING).strip()


def _ticks(dash_duo, selector: str) -> list[str]:
    return dash_duo.driver.execute_script(TICKS, selector) or []


def _patient_of(href: str) -> str:
    """The patient id a link opens (the patient page decodes its path once)."""
    return unquote(urlsplit(href).path.removeprefix("/patient/"))


def _open_from(dash_duo, link, pid: str) -> None:
    """Click *link* and check that it opens the page of *pid* (not "Patient not found")."""
    ActionChains(dash_duo.driver).move_to_element(link).pause(0.3).click().perform()
    _wait(dash_duo, lambda: _heading(dash_duo).startswith("Patient"), f"patient page of {pid}")
    assert _heading(dash_duo) == f"Patient {pid}"
    assert _patient_of(dash_duo.driver.current_url) == pid


def test_cohort_links_open_the_patients_and_figures_show_ids_as_text(app):
    dash_duo = app
    for pid in IDS.values():
        dash_duo.driver.get(dash_duo.server_url + "/cohort?class=innate")
        _wait(dash_duo, lambda pid=pid: dash_duo.driver.execute_script(TABLE_LINK, pid), f"Cohort table link {pid}")
        link = dash_duo.driver.execute_script(TABLE_LINK, pid)[0]
        assert _patient_of(link.get_attribute("href")) == pid
        _open_from(dash_duo, link, pid)

    # The swimmer's own labels: the hostile ids as plain text (plotly would encode the %2F and %23 of their
    # paths twice), every link a link to its own patient's page.
    dash_duo.driver.get(dash_duo.server_url + "/cohort?class=innate")
    _wait(dash_duo, lambda: IDS["P043"] in _ticks(dash_duo, "#cohort-swimmer"), "swimmer labels")
    assert set(IDS.values()) <= set(_ticks(dash_duo, "#cohort-swimmer"))
    links = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('#cohort-swimmer .js-plotly-plot a')).map("
        "a => [a.textContent, (a.href && a.href.baseVal) || a.getAttribute('href')]);")
    assert links and all(_patient_of(href) == text and "&amp;" not in href for text, href in links)
    linked = {text for text, _ in links}
    assert IDS["P016"] in linked and not {IDS["P009"], IDS["P043"], IDS["P067"]} & linked

    # Response: the lead-time plot's tick labels are the ids, literally; no link or bold text in any plot.
    dash_duo.driver.get(dash_duo.server_url + "/response")
    _wait(dash_duo, lambda: IDS["P043"] in _ticks(dash_duo, "#response-lead-plot"), "lead-time plot labels")
    assert set(IDS.values()) <= set(_ticks(dash_duo, "#response-lead-plot"))
    assert dash_duo.driver.execute_script(PLOT_MARKUP) == []
    # A click on a point opens that patient (the id escaped in the figure, percent-encoded in the path).
    pid = IDS["P009"]
    index = dash_duo.driver.execute_script(
        "return document.querySelector('#response-lead-plot .js-plotly-plot').data[0].y.indexOf(arguments[0]);",
        escape(pid))
    point = dash_duo.driver.find_elements("css selector", "#response-lead-plot .scatterlayer .trace .point")[index]
    _open_from(dash_duo, point, pid)

    # Resistance: the oncoprint's patient labels likewise.
    dash_duo.driver.get(dash_duo.server_url + "/resistance")
    _wait(dash_duo, lambda: IDS["P043"] in _ticks(dash_duo, "#resistance-oncoprint"), "oncoprint labels")
    assert set(IDS.values()) <= set(_ticks(dash_duo, "#resistance-oncoprint"))
    assert dash_duo.driver.execute_script(PLOT_MARKUP) == []


def test_every_hostile_id_has_its_patient_page(app):
    dash_duo = app
    for pid in IDS.values():
        dash_duo.driver.get(dash_duo.server_url + patient_path(pid))
        _wait(dash_duo, lambda: _heading(dash_duo), "patient page")
        assert _heading(dash_duo) == f"Patient {pid}"
