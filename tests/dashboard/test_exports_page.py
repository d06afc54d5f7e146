"""Downloads in a real headless Chromium: the files land under their page/table/patient/date names."""

from __future__ import annotations

import csv
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.grid import grid_headers, grid_rows, wait_for_rows

pytestmark = pytest.mark.browser


def _days() -> set[str]:
    """Today, and the days either side (the browser's clock is local time, the test's may not be)."""
    today = date.today()
    return {(today + timedelta(days=d)).isoformat() for d in (-1, 0, 1)}


def _wait_for_file(folder: Path, prefix: str, timeout: float = 30) -> Path:
    end = time.time() + timeout
    while time.time() < end:
        done = [p for p in folder.glob(f"{prefix}*") if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {prefix}* file in {sorted(p.name for p in folder.iterdir())}")


def _click_export(dash_duo, table_id: str) -> None:
    selector = f"button[id*='\"table\":\"{table_id}\"'][id*='table-export']"
    dash_duo.wait_for_element(selector, timeout=30).click()


@pytest.fixture
def app_duo(dash_duo, demo_study_dir, tmp_path):
    dash_duo.start_server(create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache")))
    return dash_duo


def test_table_and_figure_downloads_are_named_for_page_table_patient_and_date(app_duo):
    dash_duo = app_duo
    downloads = Path(dash_duo.download_path)
    dash_duo.wait_for_page(dash_duo.server_url + "/concordance")
    wait_for_rows(dash_duo, "concordance-gene-table")
    _click_export(dash_duo, "concordance-gene-table")
    path = _wait_for_file(downloads, "concordance_per-gene_")
    assert path.name in {f"concordance_per-gene_{day}.csv" for day in _days()}
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    headers = grid_headers(dash_duo, "concordance-gene-table")
    assert rows[0] == headers  # the display headers
    shown = grid_rows(dash_duo, "concordance-gene-table")[0][0]
    assert len(rows) > 1 and shown in rows[1]
    assert not list(downloads.glob("Data*.csv"))

    dash_duo.find_element("button[id*='\"graph\":\"concordance-scatter\"'][id*='\"format\":\"svg\"']").click()
    svg = _wait_for_file(downloads, "concordance_erbb2-scatter_")
    assert svg.name in {f"concordance_erbb2-scatter_{day}.svg" for day in _days()}

    dash_duo.wait_for_page(dash_duo.server_url + "/patient/P007")
    wait_for_rows(dash_duo, "patient-alterations")
    _click_export(dash_duo, "patient-alterations")
    path = _wait_for_file(downloads, "patient_P007_alterations_")
    assert path.name in {f"patient_P007_alterations_{day}.csv" for day in _days()}


def test_data_page_exports_the_study_and_concordance_page_the_statistics(app_duo):
    import zipfile

    dash_duo = app_duo
    downloads = Path(dash_duo.download_path)
    dash_duo.wait_for_page(dash_duo.server_url + "/data")
    dash_duo.wait_for_element("#data-export-button", timeout=30).click()
    archive = _wait_for_file(downloads, "data_", timeout=90)
    assert archive.name in {f"data_stad_her2_ctdna_demo-with-derived-columns_{day}.zip" for day in _days()}
    dash_duo.wait_for_contains_text("#data-export-status", archive.name, timeout=30)
    with zipfile.ZipFile(archive) as zipped:
        assert "stad_her2_ctdna_demo_with_derived_columns/case_lists/cases_all.txt" in zipped.namelist()

    dash_duo.wait_for_page(dash_duo.server_url + "/concordance")
    wait_for_rows(dash_duo, "concordance-gene-table")
    dash_duo.find_element("#concordance-stats-button").click()
    stats = _wait_for_file(downloads, "concordance_statistics_")
    with open(stats, newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["page", "comparison", "statistic", "estimate", "ci_low", "ci_high", "p_value", "n"]
