"""Tables drawn after the figures: rows written to a table's rows store reach its grid once the figures
that came in the same callback answer have been drawn.

Dash applies all the outputs of an answer at once; the grids render their rows at once (0.1-0.15 s each in
headless Chromium) while plotly.js draws its figures a moment later, so on a page of figures above tables the
figures (what the reader sees first) waited for the tables below them.  The store's rows are handed to the grid
(``dash_clientside.set_props``) once the page's figures are drawn (:data:`ROWS_AFTER_FIGURES_JS`), and with the
first rows the grid's columns (until then the grid has none: setting up headers, widths and heights forced
layouts of the whole page, 0.1-0.2 s on the Concordance page, before the figures were drawn).  Tables built
with ``data_table(..., rows_after_figures=True)`` (dashboard/components/tables.py).
"""

from __future__ import annotations

from dash import MATCH, Input, Output, State

from dashboard.components.tables import TABLE_COLUMNS, TABLE_ROWS

#: Clientside: once every graph of the page is drawn and none is being drawn (plotly.js loaded, its figure plotted),
#: then one more turn of the event loop, the store's rows become the grid's ``rowData``; after
#: ``ROWS_WAIT_MS`` at most (a table never waits long for a figure that is slow or fails).
ROWS_WAIT_MS = 1500
ROWS_AFTER_FIGURES_JS = """
function (rows, columns) {
    const noUpdate = window.dash_clientside.no_update;
    const ctx = window.dash_clientside.callback_context;
    const id = ctx.inputs_list && ctx.inputs_list[0] && ctx.inputs_list[0].id;
    if (rows === undefined || rows === null || !id) { return noUpdate; }
    const until = performance.now() + ROWS_WAIT_MS;
    function figuresDrawn() {
        const holders = document.querySelectorAll('#_pages_content .dash-graph');
        for (const holder of holders) {
            const gd = holder.querySelector('.js-plotly-plot');
            if (!gd || !gd._fullLayout || gd.classList.contains('dash-graph--pending')) { return false; }
        }
        return true;
    }
    return new Promise(function (resolve) {
        function give() {
            // The columns come with the first rows only (later rows keep the columns' sort, filter and widths);
            // the columns store is then emptied (this callback's output).
            const props = columns ? {columnDefs: columns, rowData: rows} : {rowData: rows};
            window.dash_clientside.set_props(id.table, props);
            resolve(columns ? null : noUpdate);
        }
        (function wait() {
            if (figuresDrawn() || performance.now() > until) { setTimeout(give, 0); }
            else { requestAnimationFrame(wait); }
        })();
    });
}
""".replace("ROWS_WAIT_MS", str(ROWS_WAIT_MS))


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    # The columns store is also the output: a table written whole by a callback (``store_rows``) comes with its rows
    # in the store, and Dash calls a callback for new components only through an output among them.
    app.clientside_callback(ROWS_AFTER_FIGURES_JS, Output({"type": TABLE_COLUMNS, "table": MATCH}, "data"),
                            Input({"type": TABLE_ROWS, "table": MATCH}, "data"),
                            State({"type": TABLE_COLUMNS, "table": MATCH}, "data"))
