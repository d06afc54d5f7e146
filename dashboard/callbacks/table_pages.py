"""Large tables paged on the server: AG Grid's infinite row model asks for blocks of rows, which are sorted,
filtered and cut from the table already built from the cached analysis (no recomputation per block).

A page whose table may be large builds it with ``data_table(..., server_rows=True)`` (decided at layout time
by :func:`server_rows_for`, from the study's number of patients: the demo's tables stay in the browser). The
page's own callback then writes, instead of the grid's ``rowData``, the rows' *source*
(:func:`source_of`): the key from which :func:`paged_rows` finds the table again (the cached view's inputs),
the number of rows, the rows holding each column's longest values (the browser sizes the columns to every
row, ``assets/grid_functions.js``) and the first block, so that the first page is drawn without another
round trip. Then:

- each block the grid asks for (``getRowsRequest``: rows, sort and filter models) is answered by
  :meth:`dashboard.views.table_pages.PagedRows.block` (``getRowsResponse``);
- the "Download CSV" button's file is written here with every row passing the grid's filters, in its sort
  order (:func:`dashboard.views.table_pages.csv_text`, the same file as the browser writes for small tables);
- a new source (other filters or parameters) makes the browser drop the blocks it holds (``SOURCE_JS``).

The tables are registered by their pages' callback modules (:func:`register_table`).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from dash import MATCH, Input, Output, State, dcc
from dash.exceptions import PreventUpdate

from dashboard.analysis_service import get_analysis_service
from dashboard.components.tables import (
    SERVER_ROWS_ABOVE,
    TABLE_DOWNLOAD,
    TABLE_EXPORT,
    TABLE_EXPORT_REQUEST,
    TABLE_SOURCE,
    TABLE_SOURCE_SEEN,
    export_filename,
)
from dashboard.views.table_pages import PagedRows, csv_text

#: Tables (built from cached views) kept in this process, most recently used last.
TABLES_KEPT = 8


@dataclass(frozen=True)
class PagedTable:
    """A table paged on the server: how to build it from its source key, and how to read it."""

    table_id: str
    frame: Callable[[dict], pd.DataFrame]  # source key -> the whole table as shown (from the cached view)
    labels: dict[str, str]
    numeric: frozenset[str]
    markdown: frozenset[str] = frozenset()


_TABLES: dict[str, PagedTable] = {}
_ROWS: OrderedDict[str, PagedRows] = OrderedDict()
_LOCK = threading.Lock()


def server_rows_for(n_rows_at_most: int) -> bool:
    """Whether a table that may hold *n_rows_at_most* rows is paged on the server."""
    return n_rows_at_most > SERVER_ROWS_ABOVE


def study_needs_server_rows() -> bool:
    """Whether tables with one row per patient are paged on the server for the study open."""
    return server_rows_for(len(get_analysis_service().study.patients))


def _rows_key(table_id: str, key: dict) -> str:
    return json.dumps([table_id, get_analysis_service().study_hash(), key], sort_keys=True, default=str)


def paged_rows(table_id: str, key: dict, frame: pd.DataFrame | None = None) -> PagedRows:
    """The rows of *table_id* for source *key* (kept in memory; built from the cached view when missing)."""
    table = _TABLES[table_id]
    name = _rows_key(table_id, key)
    with _LOCK:
        found = _ROWS.get(name)
        if found is not None:
            _ROWS.move_to_end(name)
            return found
    rows = PagedRows(table.frame(key) if frame is None else frame, table.numeric, table.markdown)
    with _LOCK:
        _ROWS[name] = rows
        while len(_ROWS) > TABLES_KEPT:
            _ROWS.popitem(last=False)
    return rows


def source_of(table_id: str, key: dict, frame: pd.DataFrame, block_size: int) -> dict:
    """What the page's callback writes for a server-paged table (``{"type": TABLE_SOURCE, ...}``'s data)."""
    rows = paged_rows(table_id, key, frame)
    return {"table": table_id, "key": key, "rowCount": len(rows), "sample": rows.sample(),
            "first": rows.block({"startRow": 0, "endRow": block_size})["rowData"]}


def answer_block(table_id: str, request: dict | None, source: dict | None) -> dict:
    """``getRowsResponse`` of one block request (the grid waits while the page's source is not there yet)."""
    if not request or not source or "key" not in source:
        raise PreventUpdate
    return paged_rows(table_id, source["key"]).block(request)


def download_rows(table_id: str, request: dict | None, source: dict | None, info: str | None) -> dict:
    """The table's CSV: every row passing the grid's filters (*request*: the sort and filter models shown when the
    button was pressed), sorted as shown, under the display headers."""
    if not request or not source or "key" not in source:
        raise PreventUpdate
    table = _TABLES[table_id]
    rows = paged_rows(table_id, source["key"]).rows(request)
    details = json.loads(info) if info else {}
    name = export_filename(details.get("page") or table_id.split("-")[0], details.get("what") or "table")
    return dcc.send_string(csv_text(rows, table.labels, table.markdown), name, type="text/csv")


#: Clientside: a new source makes the grid drop its blocks and start again at the first page; its first block
#: (and the rows sizing the columns) come with the source, so the first page needs no request of its own.
SOURCE_JS = """
function(source, id) {
    const no = window.dash_clientside.no_update;
    const grids = window.dash_ag_grid;
    if (!source || !source.key || !grids || !grids.getApiAsync) { return no; }
    grids.getApiAsync(id.table).then((api) => {
        if (api.isDestroyed && api.isDestroyed()) { return; }
        const functions = window.dashAgGridFunctions || {};
        if (functions.useRowSource) { functions.useRowSource(api, source); }
    });
    return source.rowCount;
}
"""


def register_table(app, table: PagedTable) -> None:
    """Answer *table*'s block requests and write its CSV on the server."""
    _TABLES[table.table_id] = table
    source = State({"type": TABLE_SOURCE, "table": table.table_id}, "data")
    app.callback(
        Output(table.table_id, "getRowsResponse"),
        Input(table.table_id, "getRowsRequest"),
        source,
        prevent_initial_call=True,  # the grid asks once it is ready (and a small table never asks)
    )(lambda request, data: answer_block(table.table_id, request, data))
    app.callback(
        Output({"type": TABLE_DOWNLOAD, "table": table.table_id}, "data", allow_duplicate=True),
        Input({"type": TABLE_EXPORT_REQUEST, "table": table.table_id}, "data"),
        source,
        State({"type": TABLE_EXPORT, "table": table.table_id}, "value"),
        prevent_initial_call=True,
    )(lambda request, data, info: download_rows(table.table_id, request, data, info))


def register(app) -> None:
    """Wire this module's callbacks to *app* (the tables themselves: :func:`register_table`)."""
    app.clientside_callback(
        SOURCE_JS,
        Output({"type": TABLE_SOURCE_SEEN, "table": MATCH}, "data"),
        Input({"type": TABLE_SOURCE, "table": MATCH}, "data"),
        State({"type": TABLE_SOURCE, "table": MATCH}, "id"),
    )
