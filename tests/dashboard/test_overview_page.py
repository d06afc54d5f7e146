"""The first page in a real headless Chromium: the demo study's counts, no console errors."""

from __future__ import annotations

import pytest

from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.grid import grid_rows

pytestmark = pytest.mark.browser


def _card_value(dash_duo, card_id: str) -> str:
    return dash_duo.find_element(f"#{card_id} .stat-value").text


def _rows(dash_duo, table_id: str) -> list[list[str]]:
    return grid_rows(dash_duo, table_id)


def test_overview_shows_the_demo_counts(dash_duo, demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.wait_for_text_to_equal("#count-patients .stat-value", "78", timeout=10)
    assert _card_value(dash_duo, "count-followed") == "24"
    assert _card_value(dash_duo, "count-serial-draws") == "97"
    assert _card_value(dash_duo, "count-progressions") == "17"
    her2_rows = _rows(dash_duo, "overview-her2-table")
    assert ["HER2-positive", "46"] in her2_rows and ["HER2-negative", "32"] in her2_rows
    sample_rows = _rows(dash_duo, "overview-samples-table")
    assert ["tissue", "Baseline", "78", "78", "0"] in sample_rows  # last: undated
    assert ["plasma", "Baseline", "78", "78", "0"] in sample_rows
    assert dash_duo.get_logs() == []
