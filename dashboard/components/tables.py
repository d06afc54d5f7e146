"""Tables shown on the pages: DataFrame -> dash-ag-grid ``AgGrid``, with a named CSV download.

Every table is an AG Grid (the Dash grid the field uses; ``dash_table.DataTable`` is deprecated):
sortable and filterable columns sized to their content (text wider than a cap wraps, the row grows), the first
column pinned on the left when the table is wide, numbers right-aligned with their units in the
header, pages of *page_size* rows, and Tab moving past the grid instead of through every cell.

AG Grid's own CSV export names the file ``export.csv``, so every table gets its own "Download CSV"
button and ``dcc.Download``: a clientside callback (:data:`TABLE_EXPORT_JS`, helpers in
``assets/exports.js``) writes the rows, in the order shown (sort and filter applied), with exact
values under the display headers to ``<page>_[<patient>_]<table>_<YYYY-MM-DD>.csv``
(:func:`export_filename`), e.g. ``concordance_per-gene_2026-12-03.csv`` or
``patient_P007_alterations_2026-12-03.csv``.  Page and table come from the table id
(``patient-alterations`` -> page ``patient``, table ``alterations``), or from *export_name*; the
patient is the one the page shows (:data:`PATIENT_SOURCES`).

Grid options are plain JSON; the few functions are dash-ag-grid's ``{"function": ...}`` strings, which
it evaluates with its own expression parser (no ``eval``, so the page's Content-Security-Policy
holds) against ``window.dashAgGridFunctions`` (``assets/grid_functions.js``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date

import dash_ag_grid as dag
import pandas as pd
from dash import dcc, html

#: Columns holding a VAF in percent: shown with 3 significant digits (3.12, 10.0, 0.500), while the
#: data (and so the CSV download) keep the exact value.
VAF_PERCENT_COLUMNS = frozenset({"vaf_pct", "baseline_vaf_pct"})
#: Exact p-values (kept for the CSV download): shown with 3 significant digits (0.412, 5.1e-06).
EXACT_P_COLUMNS = frozenset({"p_exact"})
#: d3-format specifiers of the columns above (dash-ag-grid ships d3-format to its value formatters).
D3_FORMATS = {**dict.fromkeys(VAF_PERCENT_COLUMNS, ".3r"), **dict.fromkeys(EXACT_P_COLUMNS, ".3~g")}

TABLE_EXPORT = "table-export"  # pattern-matching type: {"type": TABLE_EXPORT, "table": table id} (the button)
TABLE_DOWNLOAD = "table-download"  # pattern-matching type: {"type": TABLE_DOWNLOAD, "table": table id}
#: A table paged on the server: its rows' source ({"type": TABLE_SOURCE, "table": table id}, written by the page's
#: callback: what the server needs to find the cached table, the row count, the longest values, the first block)
#: and the browser's acknowledgement of it (TABLE_SOURCE_SEEN). dashboard/callbacks/table_pages.py.
TABLE_SOURCE = "table-source"
TABLE_SOURCE_SEEN = "table-source-seen"
#: The sort and filter shown when the "Download CSV" button of a server-paged table is pressed (written in the
#: browser, assets/grid_functions.js requestServerExport; the server then writes the file).
TABLE_EXPORT_REQUEST = "table-export-request"
#: The rows of a table drawn after the page's figures ({"type": TABLE_ROWS, "table": table id}, written by the
#: page's callback instead of the grid's ``rowData``; dashboard/callbacks/table_rows.py hands them to the grid
#: once the figures written with them have been drawn).
TABLE_ROWS = "table-rows"
#: The column definitions of such a table ({"type": TABLE_COLUMNS, "table": table id}, in the layout): the grid
#: gets its columns with its first rows, so it sets up no header, width or height before the figures are drawn.
TABLE_COLUMNS = "table-columns"
#: The one column such a grid has until then: a grid needs a header row to be a grid to assistive technology
#: (axe-core's "aria-required-children"), and one column costs little to set up.
LOADING_COLUMN = {"field": "loading", "headerName": "Loading the table...", "sortable": False, "filter": False,
                  "resizable": False, "suppressHeaderMenuButton": True}
#: Tables that may hold more rows than this are paged on the server (AG Grid's infinite row model): the browser
#: gets one block of rows at a time, sorted and filtered by the server (dashboard/views/table_pages.py).
SERVER_ROWS_ABOVE = 1000
#: Pages of rows per block asked of the server.
PAGES_PER_BLOCK = 5
#: Page (first word of a component id) -> the component whose ``data`` is the patient the page shows.
PATIENT_SOURCES = {"patient": "patient-id"}
#: Table ids whose file name says more than the id does.
EXPORT_NAMES = {
    "concordance-gene-table": "concordance-per-gene",
    "concordance-patient-table": "concordance-per-patient",
    "concordance-detection-table": "concordance-detection-by-tumour-fraction",
}
#: Text columns grow with their content up to this width, then wrap (the row grows); numbers never wrap.
MAX_TEXT_COLUMN_PX = 320
MIN_COLUMN_PX = 64
#: A header wraps between words, never inside one: its column is at least as wide as its longest word
#: (about this many pixels per bold character, plus the cell padding and the sort icon).
HEADER_PX_PER_CHAR = 8.5
HEADER_PADDING_PX = 56

def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")


def export_stem(component_id: str, name: str | None = None) -> tuple[str, str]:
    """(page, what) of a table or figure: the first word of its id is the page, the rest (without a
    trailing ``-table``) what it shows; *name* (or :data:`EXPORT_NAMES`) overrides the id.

    >>> export_stem("patient-alterations")
    ('patient', 'alterations')
    >>> export_stem("survival-stats-table")
    ('survival', 'stats')
    >>> export_stem("concordance-scatter", "concordance-erbb2-scatter")
    ('concordance', 'erbb2-scatter')
    >>> export_stem("resistance-oncoprint", "oncoprint")
    ('resistance', 'oncoprint')
    """
    page = component_id.split("-", 1)[0]
    text = name or EXPORT_NAMES.get(component_id) or component_id
    for prefix in (f"{page}-", f"{page}_"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    text = re.sub(r"-table$", "", text.replace("_", "-"))
    return _safe(page), _safe(text) or "table"


def export_filename(page: str, what: str, patient: str | None = None, day: date | None = None,
                    extension: str = "csv") -> str:
    """``<page>_[<patient>_]<what>_<YYYY-MM-DD>.<extension>``; the patient id is taken out of *what*
    when a page name already holds it (``P007-timeline`` -> ``timeline``).  ``assets/exports.js``
    builds the same names in the browser.

    >>> export_filename("patient", "alterations", "P007", date(2026, 12, 3))
    'patient_P007_alterations_2026-12-03.csv'
    >>> export_filename("patient", "P007-timeline", "P007", date(2026, 12, 3), "png")
    'patient_P007_timeline_2026-12-03.png'
    >>> export_filename("concordance", "per-gene", None, date(2026, 12, 3))
    'concordance_per-gene_2026-12-03.csv'
    """
    day = day or date.today()
    if patient:
        what = what.replace(f"{patient}-", "").replace(f"-{patient}", "")
        if what == patient:
            what = ""
    parts = [page, *([_safe(patient)] if patient else []), *([what] if what else []), day.isoformat()]
    return "_".join(parts) + f".{extension}"


def export_info(component_id: str, name: str | None = None) -> dict[str, str]:
    """What the browser needs to name a download of *component_id*: page, what, and the component
    holding the patient shown (empty when the page shows no single patient)."""
    page, what = export_stem(component_id, name)
    return {"target": component_id, "page": page, "what": what, "patient_source": PATIENT_SOURCES.get(page, "")}


def table_records(frame: pd.DataFrame) -> list[dict]:
    """The grid's ``rowData`` of *frame*: one dict per row, missing values as ``None`` (empty cells)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _is_numeric(frame: pd.DataFrame, column: str) -> bool:
    series = frame[column]
    if pd.api.types.is_bool_dtype(series):
        return False
    if pd.api.types.is_numeric_dtype(series):
        return True
    values = series.dropna()
    return len(values) > 0 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def column_def(column: str, label: str, *, numeric: bool, markdown: bool = False, pinned: bool = False) -> dict:
    """The AG Grid column of *column*: header, alignment, filter, format and wrapping.

    Widths are set in the browser from the rows shown (``fitColumns`` in ``assets/grid_functions.js``):
    each column as wide as its content, a text column whose content is wider than
    :data:`MAX_TEXT_COLUMN_PX` wrapping at that width (only those columns' rows are measured for their
    height), and never narrower than its header's longest word.
    """
    longest_word = max((len(word) for word in label.split()), default=0)
    definition: dict = {"field": column, "headerName": label, "headerTooltip": label,
                        "minWidth": max(MIN_COLUMN_PX, HEADER_PX_PER_CHAR * longest_word + HEADER_PADDING_PX)}
    if numeric:
        definition.update(type="rightAligned", filter="agNumberColumnFilter", cellDataType="number")
        if column in D3_FORMATS:
            specifier = D3_FORMATS[column]
            definition["valueFormatter"] = {"function": f"formatNumber(params.value, d3.format('{specifier}'))"}
    else:
        # Wrapping (and measuring row heights) is switched on in the browser for the columns whose text is
        # wider than MAX_TEXT_COLUMN_PX (fitColumns in assets/grid_functions.js).
        definition.update(filter="agTextColumnFilter", cellDataType="text", wrapText=False, autoHeight=False)
    if markdown:
        # dash-ag-grid's Markdown renderer opens links in the same tab (its default) and renders no raw HTML
        # (dangerously_allow_code is never set).
        definition.update(cellRenderer="markdown",
                          getQuickFilterText={"function": "markdownText(params.value)"},
                          filterValueGetter={"function": "markdownText(params.data[params.colDef.field])"})
    if pinned:
        definition.update(pinned="left", lockPinned=True)
    return definition


def grid_options(page_size: int, server_rows: bool = False) -> dict:
    """Options shared by every table (``dashGridOptions``); *server_rows*: rows asked of the server block by
    block (infinite row model, one row height for all rows: that model cannot vary it)."""
    paged = {"cacheBlockSize": page_size * PAGES_PER_BLOCK, "infiniteInitialRowCount": page_size} if server_rows else {}
    return {
        **paged,
        "pagination": True,
        "paginationPageSize": page_size,
        "paginationPageSizeSelector": False,
        "domLayout": "autoHeight",
        "suppressFieldDotNotation": True,
        "suppressColumnVirtualisation": True,
        "suppressDragLeaveHidesColumns": True,
        "enableCellTextSelection": True,
        "ensureDomOrder": True,
        "tooltipShowDelay": 300,
        # Filter and sort in the column's menu (the icon shows on hover and focus) instead of a filter
        # button in every header, which read as an extra, empty column beside right-aligned headers.
        "columnMenu": "legacy",
        # Tab leaves the grid (the browser moves on to the next control) instead of visiting every cell;
        # arrow keys move inside it.
        "tabToNextCell": {"function": "leaveGrid(params)"},
        "tabToNextHeader": {"function": "leaveGrid(params)"},
        "localeText": {"noRowsToShow": "No rows"},
        # Read by fitColumns (assets/grid_functions.js): text wider than this wraps.
        "context": {"maxTextColumnPx": MAX_TEXT_COLUMN_PX, "serverRows": server_rows},
    }


class ExportableTable(html.Div):
    """An ``AgGrid`` with its "Download CSV" button and ``dcc.Download``; ``.grid`` is the grid.

    The grid keeps the table id, so callbacks write its ``rowData``.
    """

    def __init__(self, grid: dag.AgGrid, name: str | None = None, server_rows: bool = False,
                 pageable: bool = False, rows_after_figures: bool = False,
                 deferred_columns: list[dict] | None = None, stored_rows: list[dict] | None = None) -> None:
        table_id = str(grid.id)
        columns = grid.columnDefs if deferred_columns is None else deferred_columns
        info: dict = export_info(table_id, name)
        info["markdown"] = [c["field"] for c in columns if c.get("cellRenderer") == "markdown"]
        if server_rows:
            info["server"] = True  # the server writes the CSV (dashboard/callbacks/table_pages.py)
        stores = [dcc.Store(id={"type": TABLE_SOURCE, "table": table_id}, data={}),
                  dcc.Store(id={"type": TABLE_SOURCE_SEEN, "table": table_id}),
                  dcc.Store(id={"type": TABLE_EXPORT_REQUEST, "table": table_id})] if server_rows or pageable else []
        if rows_after_figures:
            stores += [dcc.Store(id=rows_store(table_id), data=stored_rows),
                       dcc.Store(id=columns_store(table_id), data=deferred_columns)]
        super().__init__(className="table-with-export", children=[
            *stores,
            html.Div(className="table-export-row", children=[
                html.Button("Download CSV", id={"type": TABLE_EXPORT, "table": table_id},
                            className="button-secondary button-small", n_clicks=0, value=json.dumps(info),
                            title="Save this table (all rows, sorted and filtered as shown) as a CSV file"),
                dcc.Download(id={"type": TABLE_DOWNLOAD, "table": table_id}),
            ]),
            grid,
        ])
        object.__setattr__(self, "grid", grid)
        object.__setattr__(self, "columns", columns)


def data_table(frame: pd.DataFrame, table_id: str, labels: dict[str, str] | None = None,
               page_size: int = 20, export_name: str | None = None, *, numeric: Iterable[str] = (),
               markdown_columns: Iterable[str] = (), server_rows: bool = False,
               pageable: bool = False, rows_after_figures: bool = False,
               store_rows: bool = False) -> ExportableTable:
    """A sortable, filterable table with a "Download CSV" button (file named by :func:`export_filename`).

    Parameters
    ----------
    frame
        The rows to show, already filtered and formatted by the caller (may be empty: a callback then
        writes the grid's ``rowData``, see :func:`table_records`).
    table_id
        Id of the grid; its first word names the page of the file.
    labels
        Column name -> header text (units in the header, e.g. "CN (copies)"); the CSV has these headers.
    export_name
        ``<page>-<table>`` for the file name when the id does not say it well (default: the id).
    numeric
        Columns holding numbers, for tables whose rows arrive later (an empty *frame* has no types);
        columns of a filled *frame* are typed from its values.
    markdown_columns
        Columns holding Markdown links (e.g. the patient id linking to its page).
    server_rows
        Page the rows on the server (for tables that may hold more than :data:`SERVER_ROWS_ABOVE` rows): the
        grid uses AG Grid's infinite row model and asks for blocks of rows, which the server sorts and
        filters; the page's callback writes the rows' source (``{"type": TABLE_SOURCE, "table": table_id}``,
        :func:`dashboard.callbacks.table_pages.source_of`) instead of ``rowData``.
    pageable
        The table is paged on the server on large studies: its source stores are in the layout either way (the
        page's callback writes them, or leaves them, whatever the study's size).
    rows_after_figures
        The page's callback writes the rows to the table's rows store (:func:`rows_store`) instead of the grid's
        ``rowData``, and the browser gives them to the grid once the figures of the same answer are drawn
        (dashboard/callbacks/table_rows.py): a page's figures sit above its tables, and drawing the tables
        first delayed them by 0.2-0.4 s.  The grid's columns come with its first rows (from its columns store,
        :func:`columns_store`; ``.columns`` of the table): setting up headers, widths and heights forced the
        browser to lay the page out again and again while the figures waited.  Until its rows come the grid has
        one column, :data:`LOADING_COLUMN`, and shows "Loading..." (its rows are unset), never "No rows".  With
        *server_rows* (a large study) the page's callback leaves the rows store alone and writes the rows' source
        as above; the grid has its columns at once.
    store_rows
        With *rows_after_figures*, for a table built by a callback (the whole table is its output): *frame*'s rows
        (even none: then "No rows") are put in the rows store at once, and reach the grid, as above, once the
        figures are drawn.
    """
    labels = labels or {}
    numeric = set(numeric)
    markdown = set(markdown_columns)
    columns = list(frame.columns)
    column_defs = [
        column_def(c, labels.get(c, c), numeric=c in numeric or _is_numeric(frame, c),
                   markdown=c in markdown, pinned=i == 0 and len(columns) > 2)
        for i, c in enumerate(columns)
    ]
    # A server-paged table gets its columns at once (its rows come block by block, asked with them).
    deferred_columns = column_defs if rows_after_figures and not server_rows else None
    if server_rows:
        rows: dict = {"rowModelType": "infinite"}
    elif rows_after_figures:
        rows = {"rowModelType": "clientSide"}  # rows unset: AG Grid shows its loading overlay until they come
    else:
        rows = {"rowModelType": "clientSide", "rowData": table_records(frame)}
    grid = dag.AgGrid(
        id=table_id,
        columnDefs=column_defs if deferred_columns is None else [LOADING_COLUMN],
        **rows,
        defaultColDef={"sortable": True, "resizable": True, "filter": True, "suppressMovable": True,
                       "wrapHeaderText": True, "autoHeaderHeight": True},
        dashGridOptions=grid_options(page_size, server_rows),
        className="her2-grid",
        style={"width": "100%"},
    )
    stored_rows = table_records(frame) if rows_after_figures and store_rows else None
    return ExportableTable(grid, export_name, server_rows, pageable, rows_after_figures, deferred_columns,
                           stored_rows)


def rows_store(table_id: str) -> dict:
    """The id of the store a page's callback writes *table_id*'s rows to (tables built with
    ``rows_after_figures=True``)."""
    return {"type": TABLE_ROWS, "table": table_id}


def columns_store(table_id: str) -> dict:
    """The id of the store holding *table_id*'s column definitions until its first rows come (tables built with
    ``rows_after_figures=True``)."""
    return {"type": TABLE_COLUMNS, "table": table_id}


#: Clientside: the button writes its table as CSV into the dcc.Download beside it (assets/exports.js).
TABLE_EXPORT_JS = """
function(clicks, info) {
    if (!clicks || !info || !window.her2Exports) { return window.dash_clientside.no_update; }
    const parsed = JSON.parse(info);
    if (parsed.server) {  // the server writes the file (dashboard/callbacks/table_pages.py)
        window.dashAgGridFunctions.requestServerExport(parsed, clicks);
        return window.dash_clientside.no_update;
    }
    return window.her2Exports.tableDownload(parsed);
}
"""


def stat_card(label: str, value: str | int, detail: str = "", card_id: str | None = None) -> html.Div:
    """A headline number with its label (and an optional detail line); a count reads "10,000", not "10000"."""
    props = {"id": card_id} if card_id else {}
    shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    return html.Div(className="stat-card", **props, children=[
        html.Div(shown, className="stat-value"),
        html.Div(label, className="stat-label"),
        html.Div(detail, className="stat-detail") if detail else None,
    ])
