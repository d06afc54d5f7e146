"""Reading the app's tables (dash-ag-grid) in headless Chromium, shared by the browser tests."""

from __future__ import annotations

#: A drawn body cell of the grid with this id (wait for it before reading rows).
CELL = "#{} .ag-body [role=gridcell]"

#: The rows of the grid's current page as shown: pinned and scrolling parts of each row joined by
#: row index, cells in column order (aria-colindex), header rows left out.
_ROWS_JS = """
const root = document.getElementById(arguments[0]);
if (!root) { return null; }
const rows = {};
root.querySelectorAll('[role=row][row-index]').forEach((row) => {
    if (row.closest('.ag-header')) { return; }
    const index = Number(row.getAttribute('row-index'));
    const cells = rows[index] || (rows[index] = []);
    row.querySelectorAll('[role=gridcell]').forEach((cell) => {
        cells.push([Number(cell.getAttribute('aria-colindex')), cell.innerText.trim()]);
    });
});
return Object.keys(rows).map(Number).sort((a, b) => a - b)
    .map((i) => rows[i].sort((a, b) => a[0] - b[0]).map((c) => c[1]));
"""

_HEADERS_JS = """
const root = document.getElementById(arguments[0]);
if (!root) { return null; }
return Array.from(root.querySelectorAll('.ag-header-cell[aria-colindex]'))
    .sort((a, b) => Number(a.getAttribute('aria-colindex')) - Number(b.getAttribute('aria-colindex')))
    .map((cell) => (cell.querySelector('.ag-header-cell-text') || cell).innerText.trim());
"""


def grid_rows(dash_duo, table_id: str) -> list[list[str]]:
    """Cell texts of each row of the grid *table_id* (current page), as the reader sees them."""
    return dash_duo.driver.execute_script(_ROWS_JS, table_id) or []


def grid_headers(dash_duo, table_id: str) -> list[str]:
    """The column headers of the grid *table_id*, in display order."""
    return dash_duo.driver.execute_script(_HEADERS_JS, table_id) or []


def wait_for_rows(dash_duo, table_id: str, timeout: float = 60) -> None:
    """Wait until the grid has drawn at least one body cell."""
    dash_duo.wait_for_element(CELL.format(table_id), timeout=timeout)
