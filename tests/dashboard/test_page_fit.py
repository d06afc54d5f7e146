"""Every page fits its width, walked once at each width (one page load serves both checks):

- no page scrolls sideways at 800, 1280 or 1920 px wide: wide tables and figures scroll inside their own box,
  never the page; rows of count cards wrap evenly (issue 11.4);
- every table fits (issue 11.1) at 800 and 1280 px: no cell's text is cut, text wider than the cap wraps
  instead, and columns that need less than the table's width are widened to fill it.
"""

from __future__ import annotations

import pytest

from dashboard.components.tables import MAX_TEXT_COLUMN_PX
from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.pages import PAGES, open_drawn, wait_tables_sized

pytestmark = pytest.mark.browser

WIDTHS = (800, 1280, 1920)
#: Widths at which the tables' fit is checked.
TABLE_WIDTHS = (800, 1280)

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


#: Per grid: its id, cells whose text is cut (wider than the cell), the gap (px) between the last column's
#: right edge and the grid's right edge when the columns need less than the width, and wrapped cells.
GRID_FIT_JS = """
return Array.from(document.querySelectorAll('#_pages_content .her2-grid')).map(grid => {
    const cells = Array.from(grid.querySelectorAll('.ag-cell'));
    const cut = cells.filter(cell => {
        const box = cell.querySelector('.ag-cell-value') || cell;
        return box.scrollWidth > box.clientWidth + 1;
    }).map(cell => cell.getAttribute('col-id'));
    const viewport = grid.querySelector('.ag-center-cols-viewport');
    const container = grid.querySelector('.ag-center-cols-container');
    const gap = viewport && container ? viewport.clientWidth - container.scrollWidth : 0;
    const wrapped = cells.filter(cell => cell.classList.contains('ag-cell-wrap-text')).map(cell => [
        cell.getAttribute('col-id'), Math.round(cell.getBoundingClientRect().width),
        Math.round(cell.getBoundingClientRect().height)]);
    return {id: grid.id, cells: cells.length, cut: Array.from(new Set(cut)), gap: gap, wrapped: wrapped};
});
"""


def _page_problems(driver, path: str, width: int) -> dict[str, str]:
    """Sideways scroll and uneven card rows of the page shown."""
    problems = {}
    overflow, culprits = driver.execute_script(OVERFLOW_JS)
    if overflow > 0:
        problems[f"{path} at {width} px"] = f"{overflow} px too wide; {culprits}"
    uneven = [lines for lines in driver.execute_script(CARD_LINES_JS) if len(lines) > 1 and max(lines) - min(lines) > 1]
    if uneven:
        problems[f"{path} cards at {width} px"] = f"cards per line {uneven}"
    return problems


def _table_problems(driver, path: str, width: int, wrapped_somewhere: list) -> dict[str, str]:
    """Cut text and empty width in the page's tables; the wrapped cells go into *wrapped_somewhere*."""
    problems = {}
    for grid in driver.execute_script(GRID_FIT_JS):
        where = f"{path} {grid['id']} at {width} px"
        if grid["cut"]:
            problems[where] = f"text cut in columns {grid['cut']}"
        if grid["gap"] > 2:
            problems[where] = f"columns leave {grid['gap']} px empty at the right"
        wrapped_somewhere += grid["wrapped"]
    return problems


def test_no_page_scrolls_sideways_and_every_table_fits(dash_duo, demo_study_dir, tmp_path):
    dash_duo.start_server(create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache")))
    sideways, tables, wrapped_somewhere = {}, {}, []
    for width in WIDTHS:
        dash_duo.driver.set_window_size(width, 900)
        for path in PAGES:
            open_drawn(dash_duo.driver, dash_duo.server_url, path)
            wait_tables_sized(dash_duo.driver)
            sideways.update(_page_problems(dash_duo.driver, path, width))
            if width in TABLE_WIDTHS:
                tables.update(_table_problems(dash_duo.driver, path, width, wrapped_somewhere))
    assert sideways == {}, "\n".join(f"{k}: {v}" for k, v in sideways.items())
    assert tables == {}, "\n".join(f"{k}: {v}" for k, v in tables.items())
    # long text (e.g. the evidence citations on the Resistance page) wraps at a bounded width, its row growing
    assert wrapped_somewhere, "no table wrapped any text"
    assert all(cell_width <= MAX_TEXT_COLUMN_PX * 2 for _, cell_width, _ in wrapped_somewhere)
    assert max(height for _, _, height in wrapped_somewhere) > 40
