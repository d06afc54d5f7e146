"""Every table fits (issue 11.1): no cell's text is cut, text wider than the cap wraps instead, and columns that
need less than the table's width are widened to fill it, on every page at 800 and 1280 px."""

from __future__ import annotations

import pytest

from dashboard.components.tables import MAX_TEXT_COLUMN_PX
from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.pages import PAGES, open_drawn, wait_tables_sized

pytestmark = pytest.mark.browser

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


def test_tables_fit_their_content_and_their_width(dash_duo, demo_study_dir, tmp_path):
    dash_duo.start_server(create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache")))
    problems, wrapped_somewhere = {}, []
    for width in (800, 1280):
        dash_duo.driver.set_window_size(width, 900)
        for path in PAGES:
            open_drawn(dash_duo.driver, dash_duo.server_url, path)
            wait_tables_sized(dash_duo.driver)
            for grid in dash_duo.driver.execute_script(GRID_FIT_JS):
                where = f"{path} {grid['id']} at {width} px"
                if grid["cut"]:
                    problems[where] = f"text cut in columns {grid['cut']}"
                if grid["gap"] > 2:
                    problems[where] = f"columns leave {grid['gap']} px empty at the right"
                wrapped_somewhere += grid["wrapped"]
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
    # long text (e.g. the evidence citations on the Resistance page) wraps at a bounded width, its row growing
    assert wrapped_somewhere, "no table wrapped any text"
    assert all(cell_width <= MAX_TEXT_COLUMN_PX * 2 for _, cell_width, _ in wrapped_somewhere)
    assert max(height for _, _, height in wrapped_somewhere) > 40
