"""The first page in a real headless Chromium: the demo study's counts, no console errors."""

from __future__ import annotations

import pytest

from dashboard.server import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser


def _card_value(dash_duo, card_id: str) -> str:
    return dash_duo.find_element(f"#{card_id} .stat-value").text


def test_overview_shows_the_demo_counts(dash_duo, demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.wait_for_text_to_equal("#count-patients .stat-value", "78", timeout=10)
    assert _card_value(dash_duo, "count-followed") == "24"
    assert _card_value(dash_duo, "count-serial-draws") == "97"
    assert _card_value(dash_duo, "count-progressions") == "17"
    her2 = dash_duo.find_element("#overview-her2-table").text
    assert "POSITIVE\n46" in her2 and "NEGATIVE\n32" in her2
    samples = dash_duo.find_element("#overview-samples-table").text
    assert "tissue\nBASELINE\n78\n78" in samples
    assert "plasma\nBASELINE\n78\n78" in samples
    assert dash_duo.get_logs() == []
