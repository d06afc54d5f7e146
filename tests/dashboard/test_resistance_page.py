"""The Resistance page in a real headless Chromium on the demo cohort."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.grid import grid_rows

pytestmark = pytest.mark.browser

GRAPH_JS = "return document.querySelector('#{0} .js-plotly-plot')._fullData.map(t => [t.name, (t.x || []).length]);"


def _rows(dash_duo, table_id: str) -> list[list[str]]:
    return grid_rows(dash_duo, table_id)


def _traces(dash_duo, graph_id: str) -> dict[str, int]:
    return dict(dash_duo.driver.execute_script(GRAPH_JS.format(graph_id)))


def test_resistance_page_shows_the_oncoprint_and_the_mechanism_share(dash_duo, demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/resistance")
    dash_duo.wait_for_text_to_equal("#resistance-with-mechanism .stat-value", "76.5% (13/17)", timeout=30)
    assert "n = 17 progressors" in dash_duo.find_element("#resistance-with-mechanism .stat-detail").text
    assert _rows(dash_duo, "resistance-mechanism-table")[3][:4] == ["≥ 1 (any)", "13", "13/17", "76.5%"]

    # Default: the 17 progressors, one column each, with alteration glyphs, tracks and status marks.
    dash_duo.wait_for_element("#resistance-oncoprint .js-plotly-plot .heatmaplayer", timeout=20)
    traces = _traces(dash_duo, "resistance-oncoprint")
    assert traces["cells"] == 17
    assert traces["Amplification"] > 0 and traces["Missense mutation"] > 0
    assert traces["New at progression (plasma)"] > 0 and traces["Expanding at progression (plasma)"] > 0
    assert {"innate", "acquired", "HER2-positive"} <= set(traces)
    assert "17 of 78 patients shown" in dash_duo.find_element("#resistance-oncoprint-note").text

    # The filter redraws the oncoprint and goes into the URL.
    dash_duo.find_element("#resistance-show input[value='all']").click()
    dash_duo.wait_for_contains_text("#resistance-oncoprint-note", "78 of 78 patients shown", timeout=20)
    assert _traces(dash_duo, "resistance-oncoprint")["cells"] == 78
    assert "show=all" in dash_duo.driver.current_url

    # HER2 CN at progression vs baseline: one panel per resistance class.
    dash_duo.wait_for_contains_text("#resistance-her2-slope", "Innate resistance", timeout=20)

    # The page state is read back from a shared link.
    dash_duo.driver.get(dash_duo.server_url + "/resistance?sort=pfs&show=followed")
    dash_duo.wait_for_contains_text("#resistance-oncoprint-note", "24 of 78 patients shown", timeout=30)
    ticks = dash_duo.driver.execute_script(
        "return document.querySelector('#resistance-oncoprint .js-plotly-plot')._fullLayout.xaxis3.ticktext;")
    pfs = dash_duo.driver.execute_script(
        "const d = document.querySelector('#resistance-oncoprint .js-plotly-plot')._fullData;"
        "return d.filter(t => (t.name || '').startsWith('PFS')).map(t => [t.x, t.y]);")
    by_column = sorted((x, y) for xs, ys in pfs for x, y in zip(xs, ys, strict=True))
    months = [y for _, y in by_column]
    assert len(ticks) == 24 and months == sorted(months)
    assert dash_duo.get_logs() == []

    # Clicking a patient's column opens that patient's page.
    first = ticks[0]
    # plotly.js's own click event on the first column (a synthetic mouse click on SVG is unreliable headless).
    dash_duo.driver.execute_script(
        "const gd = document.querySelector('#resistance-oncoprint .js-plotly-plot');"
        "const heat = gd._fullData.findIndex(t => t.name === 'cells');"
        "gd.emit('plotly_click', {event: {}, points: [{curveNumber: heat, pointNumber: [5, 0], x: 0, y: 5,"
        " customdata: arguments[0], data: gd.data[heat], fullData: gd._fullData[heat]}]});", first)
    WebDriverWait(dash_duo.driver, 15).until(lambda d: f"/patient/{first}" in d.current_url)


GENE_ROWS_JS = ("return document.querySelector('#resistance-oncoprint .js-plotly-plot')._fullLayout.yaxis3.ticktext"
                ".filter(t => t.includes(' · ')).map(t => t.split(' · ')[0]);")


def _gene_rows(dash_duo) -> set[str]:
    return set(dash_duo.driver.execute_script(GENE_ROWS_JS))


def test_picking_a_gene_redraws_the_oncoprint_and_goes_into_the_url(dash_duo, demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/resistance")
    # The picker fills in the default genes (the altered knowledge-base genes) once the cohort is ready.
    dash_duo.wait_for_contains_text("#resistance-genes-note", "knowledge-base genes altered", timeout=40)
    dash_duo.wait_for_contains_text("#resistance-oncoprint-note", "10 genes", timeout=20)
    default = _gene_rows(dash_duo)
    assert "TP53" not in default and {"ERBB2", "KRAS", "PIK3CA"} <= default

    # Pick TP53 (the search box, then its option with the altered-patient count).
    dash_duo.find_element("#resistance-genes").click()
    search = dash_duo.wait_for_element(".dash-dropdown-search", timeout=10)
    search.send_keys("TP53")
    option = dash_duo.wait_for_element(".dash-dropdown-option", timeout=10)
    assert option.text.startswith("TP53 (") and option.text.endswith("patients)")
    option.click()
    dash_duo.wait_for_contains_text("#resistance-oncoprint-note", "11 genes", timeout=20)
    assert _gene_rows(dash_duo) == default | {"TP53"}
    WebDriverWait(dash_duo.driver, 10).until(lambda d: "genes=" in d.current_url and "TP53" in d.current_url)

    # The link reproduces the pick; "Reset to default genes" puts the defaults back and the URL loses genes.
    dash_duo.driver.get(dash_duo.driver.current_url)
    dash_duo.wait_for_contains_text("#resistance-oncoprint-note", "11 genes", timeout=30)
    assert "TP53" in _gene_rows(dash_duo)
    dash_duo.find_element("#resistance-genes-reset").click()
    dash_duo.wait_for_contains_text("#resistance-oncoprint-note", "10 genes", timeout=20)
    assert _gene_rows(dash_duo) == default
    WebDriverWait(dash_duo.driver, 10).until(lambda d: "genes=" not in d.current_url)
    assert dash_duo.get_logs() == []
