"""Tables drawn after the figures (dashboard/callbacks/table_rows.py): the page's callback writes a table's rows
to its rows store, and the grid gets them once the figures of the same answer are drawn."""

from __future__ import annotations

import pandas as pd
import pytest
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids
from dashboard.components.tables import (
    LOADING_COLUMN,
    TABLE_COLUMNS,
    TABLE_ROWS,
    columns_store,
    data_table,
    rows_store,
)
from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.pages import open_drawn

RESPONSE_TABLES = [ids.RESPONSE_CORRELATIONS, ids.RESPONSE_AUC_TABLE, ids.RESPONSE_LEAD_TABLE,
                   ids.RESPONSE_HER2_TABLE, ids.RESPONSE_PAIRS_TABLE]


def _stores(component, kind: str = TABLE_ROWS) -> list:
    found = []
    def walk(node):
        if getattr(node, "id", None) is not None and isinstance(node.id, dict) and node.id.get("type") == kind:
            found.append(node)
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and hasattr(child, "to_plotly_json"):
                walk(child)
    walk(component)
    return found


def test_a_table_drawn_after_the_figures_has_no_rows_until_they_come_and_a_store_for_them():
    frame = pd.DataFrame({"gene": ["ERBB2"], "n": [3]})
    later = data_table(frame, ids.RESPONSE_LEAD_TABLE, rows_after_figures=True)
    assert getattr(later.grid, "rowData", None) is None  # unset: AG Grid shows "Loading...", not "No rows"
    assert [store.id for store in _stores(later)] == [rows_store(ids.RESPONSE_LEAD_TABLE)]
    now = data_table(frame, ids.RESPONSE_LEAD_TABLE)
    assert now.grid.rowData == [{"gene": "ERBB2", "n": 3}] and _stores(now) == []


def test_its_columns_wait_in_a_store_too_unless_its_rows_are_paged_on_the_server():
    frame = pd.DataFrame({"gene": ["ERBB2"], "n": [3]})
    later = data_table(frame, ids.RESPONSE_LEAD_TABLE, {"n": "Patients (n)"}, rows_after_figures=True)
    now = data_table(frame, ids.RESPONSE_LEAD_TABLE, {"n": "Patients (n)"})
    # no header, width or height of the table's columns set up before the figures are drawn; one "loading"
    # column keeps the grid a grid (a header row) to assistive technology
    assert later.grid.columnDefs == [LOADING_COLUMN]
    [store] = _stores(later, TABLE_COLUMNS)
    assert store.id == columns_store(ids.RESPONSE_LEAD_TABLE) and store.data == now.grid.columnDefs
    assert later.columns == now.columns == now.grid.columnDefs
    paged = data_table(frame, ids.COHORT_TABLE, rows_after_figures=True, server_rows=True, pageable=True)
    assert paged.grid.columnDefs and paged.grid.rowModelType == "infinite"
    assert [s.data for s in _stores(paged, TABLE_COLUMNS)] == [None]  # the grid has its columns at once


def test_a_table_written_whole_by_a_callback_brings_its_rows_in_its_store():
    frame = pd.DataFrame({"gene": ["ERBB2", "MET"], "n": [3, 1]})
    whole = data_table(frame, ids.RESISTANCE_MECHANISM_TABLE, rows_after_figures=True, store_rows=True)
    assert getattr(whole.grid, "rowData", None) is None and whole.grid.columnDefs == [LOADING_COLUMN]
    assert [s.data for s in _stores(whole)] == [[{"gene": "ERBB2", "n": 3}, {"gene": "MET", "n": 1}]]
    none = data_table(frame.head(0), ids.RESISTANCE_MECHANISM_TABLE, rows_after_figures=True, store_rows=True)
    assert [s.data for s in _stores(none)] == [[]]  # no rows: the grid then says "No rows", not "Loading..."


def test_the_page_callbacks_write_the_rows_of_these_tables_to_their_stores(demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    outputs = " ".join(app.callback_map).replace(" ", "")
    for table in (ids.CONCORDANCE_PATIENT_TABLE, ids.PATIENT_EVIDENCE, ids.PATIENT_ALTERATIONS, ids.COHORT_TABLE):
        assert f'"table":"{table}","type":"{TABLE_ROWS}"' in outputs and f"{table}.rowData" not in outputs, table


def test_the_response_callback_writes_its_tables_rows_to_their_stores(demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    outputs = " ".join(app.callback_map)
    for table in RESPONSE_TABLES:
        assert f'"table":"{table}"' in outputs.replace(" ", "") and f"{table}.rowData" not in outputs


#: Installed before the page's scripts: the frame at which each graph first shows data and each grid first holds rows.
FIRST_DRAWN_JS = """
window.__firsts = {graphs: {}, grids: {}};
(function poll() {
    const now = performance.now();
    document.querySelectorAll('#_pages_content .dash-graph').forEach((holder) => {
        const gd = holder.querySelector('.js-plotly-plot');
        const drawn = gd && gd.data && gd.data.length && gd.querySelector('.main-svg');
        if (drawn && !(holder.id in window.__firsts.graphs)) {
            window.__firsts.graphs[holder.id] = now;
        }
    });
    document.querySelectorAll('#_pages_content .her2-grid[id]').forEach((grid) => {
        let rows = 0;  // the grid's own count of its rows (set at once when its rowData is)
        try { rows = window.dash_ag_grid.getApi(grid.id).getDisplayedRowCount(); } catch (e) { rows = 0; }
        if (rows > 0 && !(grid.id in window.__firsts.grids)) {
            window.__firsts.grids[grid.id] = now;
        }
    });
    requestAnimationFrame(poll);
})();
"""


@pytest.mark.browser
def test_the_response_figures_are_drawn_before_its_tables_get_their_rows(dash_duo, demo_study_dir, tmp_path):
    dash_duo.start_server(create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache")))
    driver = dash_duo.driver
    open_drawn(driver, dash_duo.server_url, "/response")  # the first visit fills the caches
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FIRST_DRAWN_JS})
    open_drawn(driver, dash_duo.server_url, "/response")
    WebDriverWait(driver, 30).until(
        lambda d: len(d.execute_script("return window.__firsts.grids")) == len(RESPONSE_TABLES))
    firsts = driver.execute_script("return window.__firsts")
    assert len(firsts["graphs"]) == 5
    # Strictly later: a table drawn in the same frame as the figures held them back (the frame waited for both).
    assert max(firsts["graphs"].values()) < min(firsts["grids"].values()), firsts
    # Every table got its rows: as many as the server sent (up to the page size).
    for table in RESPONSE_TABLES:
        shown = driver.execute_script(
            "return window.dash_ag_grid.getApi(arguments[0]).getDisplayedRowCount();", table)
        assert shown > 0, table


@pytest.mark.browser
def test_the_resistance_figures_are_drawn_before_its_tables_get_their_rows(dash_duo, demo_study_dir, tmp_path):
    dash_duo.start_server(create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache")))
    driver = dash_duo.driver
    open_drawn(driver, dash_duo.server_url, "/resistance")
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FIRST_DRAWN_JS})
    open_drawn(driver, dash_duo.server_url, "/resistance")
    tables = [ids.RESISTANCE_MECHANISM_TABLE, ids.RESISTANCE_HER_FAMILY_TABLE, ids.RESISTANCE_ENRICHMENT_TABLE,
              ids.RESISTANCE_EVIDENCE_TABLE]
    WebDriverWait(driver, 30).until(lambda d: len(d.execute_script("return window.__firsts.grids")) == len(tables))
    firsts = driver.execute_script("return window.__firsts")
    assert set(firsts["graphs"]) == {ids.RESISTANCE_ONCOPRINT, ids.RESISTANCE_HER2_SLOPE}
    assert set(firsts["grids"]) == set(tables)
    assert max(firsts["graphs"].values()) < min(firsts["grids"].values()), firsts


@pytest.mark.browser
def test_a_tables_columns_come_with_its_first_rows_and_later_rows_keep_the_readers_sort(dash_duo, demo_study_dir,
                                                                                        tmp_path):
    from tests.dashboard.grid import grid_headers, wait_for_rows

    dash_duo.start_server(create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache")))
    driver = dash_duo.driver
    open_drawn(driver, dash_duo.server_url, "/patient/P007")
    wait_for_rows(dash_duo, ids.PATIENT_ALTERATIONS)
    headers = grid_headers(dash_duo, ids.PATIENT_ALTERATIONS)
    assert headers and headers[0], headers  # the columns came with the rows
    api = "window.dash_ag_grid.getApi(arguments[0])"
    driver.execute_script(f"{api}.applyColumnState({{state: [{{colId: arguments[1], sort: 'desc'}}]}});",
                          ids.PATIENT_ALTERATIONS, "gene")
    # New rows (as another draw's), through the same store: the columns and the reader's sort stay.
    driver.execute_script(
        "window.dash_clientside.set_props(arguments[0], {data: [{gene: 'AAA'}, {gene: 'ZZZ'}]});",
        rows_store(ids.PATIENT_ALTERATIONS))
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        f"return {api}.getDisplayedRowCount();", ids.PATIENT_ALTERATIONS) == 2)
    first = driver.execute_script(f"return {api}.getDisplayedRowAtIndex(0).data.gene;", ids.PATIENT_ALTERATIONS)
    assert first == "ZZZ"  # still sorted descending by gene
    assert grid_headers(dash_duo, ids.PATIENT_ALTERATIONS) == headers


@pytest.mark.browser
@pytest.mark.needs_tool("npm")
def test_a_table_waiting_for_its_rows_and_columns_is_still_a_grid_to_assistive_technology(dash_duo):
    import dash
    from dash import html

    from dashboard.callbacks import table_rows
    from dashboard.server import ASSETS_FOLDER
    from tests.dashboard.test_page_walk import AXE, RUN_AXE

    app = dash.Dash(__name__, assets_folder=str(ASSETS_FOLDER))
    frame = pd.DataFrame({"gene": ["ERBB2"], "n": [3]})
    # No callback ever writes its rows: the grid stays as it is until they come.
    app.layout = html.Main(html.Div(id="_pages_content", children=[
        html.H1("Waiting"), data_table(frame, ids.RESPONSE_LEAD_TABLE, rows_after_figures=True)]))
    table_rows.register(app)
    dash_duo.start_server(app)
    dash_duo.wait_for_text_to_equal(f"#{ids.RESPONSE_LEAD_TABLE} .ag-header-cell-text", LOADING_COLUMN["headerName"])
    dash_duo.driver.execute_script(AXE.read_text(encoding="utf-8"))
    violations = dash_duo.driver.execute_async_script(RUN_AXE.replace("axe.run(document", "axe.run('.her2-grid'"))
    assert violations == []
