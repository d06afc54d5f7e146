"""No page scrolls sideways at 800, 1280 or 1920 px wide: wide tables and figures scroll inside their own
box, never the page; rows of count cards wrap evenly (issue 11.4)."""

from __future__ import annotations

import pytest

from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.pages import PAGES, open_drawn, wait_tables_sized

pytestmark = pytest.mark.browser

WIDTHS = (800, 1280, 1920)

#: How far the page reaches past the window's right edge (px), and the widest elements sticking out.
OVERFLOW_JS = """
const doc = document.documentElement;
const width = doc.clientWidth;
const out = Array.from(document.querySelectorAll('#_pages_content *'))
    .filter(el => el.getBoundingClientRect().right > width + 1 && getComputedStyle(el).position !== 'fixed')
    .filter(el => !el.closest('.ag-center-cols-viewport, .ag-body-horizontal-scroll, .ag-header-viewport,'
                             + ' .ag-center-cols-container, .ag-header-container'))
    .slice(0, 5).map(el => el.tagName + (el.id ? '#' + el.id : '') + '.' + (el.getAttribute('class') || ''));
return [doc.scrollWidth - width, out];
"""

#: For each row of count cards: how many cards sit on each line (by their top edge).
CARD_LINES_JS = """
return Array.from(document.querySelectorAll('#_pages_content .stat-row')).map(row => {
    const tops = {};
    Array.from(row.children).filter(c => c.getBoundingClientRect().height > 0).forEach(card => {
        const top = Math.round(card.getBoundingClientRect().top);
        tops[top] = (tops[top] || 0) + 1;
    });
    return Object.keys(tops).map(Number).sort((a, b) => a - b).map(t => tops[t]);
});
"""


def test_no_page_scrolls_sideways_at_800_1280_or_1920_px(dash_duo, demo_study_dir, tmp_path):
    dash_duo.start_server(create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache")))
    problems = {}
    for width in WIDTHS:
        dash_duo.driver.set_window_size(width, 900)
        for path in PAGES:
            open_drawn(dash_duo.driver, dash_duo.server_url, path)
            wait_tables_sized(dash_duo.driver)
            overflow, culprits = dash_duo.driver.execute_script(OVERFLOW_JS)
            if overflow > 0:
                problems[f"{path} at {width} px"] = f"{overflow} px too wide; {culprits}"
            uneven = [lines for lines in dash_duo.driver.execute_script(CARD_LINES_JS)
                      if len(lines) > 1 and max(lines) - min(lines) > 1]
            if uneven:
                problems[f"{path} cards at {width} px"] = f"cards per line {uneven}"
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
