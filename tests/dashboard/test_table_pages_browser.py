"""Server-paged tables in headless Chromium, on a generated study above the paging threshold (1,500 patients): the
Cohort and Concordance per-patient tables page, sort, filter and export every row passing the filters, from the
server (dashboard/callbacks/table_pages.py)."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pandas as pd
import pytest
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.components.tables import SERVER_ROWS_ABOVE
from dashboard.server import create_app
from dashboard.settings import Settings
from dashboard.views.concordance import PER_PATIENT_LABELS
from dashboard.views.table_pages import markdown_text
from tests.dashboard.grid import grid_headers, grid_rows, wait_for_rows

pytestmark = pytest.mark.browser

N_PATIENTS = 1500


@pytest.fixture(scope="module")
def big_study_dir(tmp_path_factory) -> Path:
    from analysis.demo.generator import write_demo

    out = tmp_path_factory.mktemp("big") / "study"
    write_demo(out, out.parent / "truth.json", n_patients=N_PATIENTS, seed=7)
    return out


def _api(dash_duo, table_id: str, script: str):
    return dash_duo.driver.execute_script(f"const api = dash_ag_grid.getApi('{table_id}'); {script}")


def _wait(dash_duo, condition, timeout: float = 60):
    WebDriverWait(dash_duo.driver, timeout, poll_frequency=0.2).until(lambda _: condition())


def _first_cell(dash_duo, table_id: str) -> str:
    rows = grid_rows(dash_duo, table_id)
    return rows[0][0] if rows and rows[0] else ""


def _row_count(dash_duo, table_id: str) -> int:
    return _api(dash_duo, table_id, "return api.getDisplayedRowCount();")


def _export(dash_duo, table_id: str, prefix: str) -> list[list[str]]:
    downloads = Path(dash_duo.download_path)
    for old in downloads.glob(f"{prefix}*"):
        old.unlink()
    dash_duo.find_element(f"button[id*='\"table\":\"{table_id}\"'][id*='table-export']").click()
    end = time.time() + 60
    while time.time() < end:
        done = [p for p in downloads.glob(f"{prefix}*") if not p.name.endswith(".crdownload")]
        if done:
            time.sleep(0.3)
            with open(done[0], newline="") as handle:
                return list(csv.reader(handle))
        time.sleep(0.2)
    raise AssertionError(f"no {prefix}* download")


def test_large_tables_page_sort_filter_and_export_on_the_server(dash_duo, big_study_dir, tmp_path):
    from dashboard.analysis_service import get_analysis_service
    from dashboard.callbacks.concordance import per_patient_rows

    dash_duo.start_server(create_app(Settings(study=big_study_dir, cache_dir=tmp_path / "cache")))
    dash_duo.driver.set_window_size(1280, 900)

    # --- Concordance, one row per paired patient
    table = "concordance-patient-table"
    dash_duo.wait_for_page(dash_duo.server_url + "/concordance")
    wait_for_rows(dash_duo, table, timeout=180)
    assert _api(dash_duo, table, "return api.getGridOption('rowModelType');") == "infinite"
    expected = per_patient_rows({"ready": {}}).reset_index(drop=True)
    assert len(expected) > SERVER_ROWS_ABOVE
    _wait(dash_duo, lambda: _row_count(dash_duo, table) == len(expected))
    assert _first_cell(dash_duo, table) == expected["patient_id"].iloc[0]
    assert len(grid_rows(dash_duo, table)) == 15  # a page, not every row

    # the last page (a block the browser did not have)
    dash_duo.find_element(f"#{table} .ag-paging-button[aria-label='Last Page']").click()
    _wait(dash_duo, lambda: _first_cell(dash_duo, table) == expected["patient_id"].iloc[(len(expected) - 1) // 15 * 15])
    # sort by plasma ERBB2 CN, highest first (missing values last), from the header
    _api(dash_duo, table, "api.applyColumnState({state: [{colId: 'plasma_erbb2_cn', sort: 'desc'}]});")
    by_cn = expected.assign(_cn=expected["plasma_erbb2_cn"].astype("float64")).sort_values(
        "_cn", ascending=False, kind="stable", na_position="last")
    _wait(dash_duo, lambda: _first_cell(dash_duo, table) == by_cn["patient_id"].iloc[0]
          and _api(dash_duo, table, "return api.paginationGetCurrentPage();") == 0)
    # and filter: tissue ERBB2 CN of at least 8 copies
    _api(dash_duo, table, "api.setFilterModel({tissue_erbb2_cn: {filterType: 'number', type: "
                          "'greaterThanOrEqual', filter: 8}});")
    kept = by_cn[by_cn["tissue_erbb2_cn"].astype("float64") >= 8]
    assert 15 < len(kept) < len(expected)
    _wait(dash_duo, lambda: _row_count(dash_duo, table) == len(kept))
    _wait(dash_duo, lambda: _first_cell(dash_duo, table) == kept["patient_id"].iloc[0])
    assert dash_duo.driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    # the CSV: every row passing the filter, sorted as shown, under the display headers
    rows = _export(dash_duo, table, "concordance_per-patient_")
    assert rows[0] == grid_headers(dash_duo, table) == list(PER_PATIENT_LABELS.values())
    assert [r[0] for r in rows[1:]] == kept["patient_id"].tolist()

    # --- Cohort: every patient (the filters of the page set to all), ids linking to their pages
    table = "cohort-table"
    dash_duo.wait_for_page(dash_duo.server_url + "/cohort?her2=all&class=all&pathway=all&followed=0")
    wait_for_rows(dash_duo, table, timeout=120)
    assert _api(dash_duo, table, "return api.getGridOption('rowModelType');") == "infinite"
    service_rows = len(get_analysis_service().study.patients)
    _wait(dash_duo, lambda: _row_count(dash_duo, table) == service_rows)
    links = dash_duo.driver.execute_script(
        f"return Array.from(document.querySelectorAll('#{table} [col-id=patient] a'))"
        ".map(a => a.getAttribute('href'));")
    assert links and all(link.startswith("/patient/") for link in links)
    # the page's own filter (resistance class) gives the table a new source: back to the first page, new count
    dash_duo.find_element(f"#{table} .ag-paging-button[aria-label='Next Page']").click()
    _wait(dash_duo, lambda: _api(dash_duo, table, "return api.paginationGetCurrentPage();") == 1)
    dash_duo.find_element("#cohort-filter-class input[value='acquired']").click()
    _wait(dash_duo, lambda: 0 < _row_count(dash_duo, table) < service_rows
          and _api(dash_duo, table, "return api.paginationGetCurrentPage();") == 0)
    acquired = _row_count(dash_duo, table)
    # a text filter on the mechanisms, and a sort on PFS, longest first
    _api(dash_duo, table, "api.setFilterModel({mechanisms: {filterType: 'text', type: 'contains', "
                          "filter: 'her family'}});"
                          "api.applyColumnState({state: [{colId: 'pfs_months', sort: 'desc'}]});")
    rows = _export(dash_duo, table, "cohort_patients_")
    assert rows[0] == grid_headers(dash_duo, table)
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    assert 0 < len(frame) < acquired
    assert frame["Resistance mechanisms (pathway: genes)"].str.lower().str.contains("her family").all()
    assert set(frame["Resistance class"]) == {"Acquired resistance"}
    assert pd.to_numeric(frame["PFS (months)"]).is_monotonic_decreasing
    assert all(markdown_text(p) == p for p in frame["Patient"])  # link text, not Markdown
    # the grid shows the same rows, in the same order
    _wait(dash_duo, lambda: _row_count(dash_duo, table) == len(frame)
          and [r[0] for r in grid_rows(dash_duo, table)] == frame["Patient"].head(20).tolist())
