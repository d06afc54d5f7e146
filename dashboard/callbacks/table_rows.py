"""Tables drawn after the figures: rows written to a table's rows store reach its grid once the figures
that came in the same callback answer have been drawn.

Dash applies all the outputs of an answer at once; the grids render their rows at once (0.1-0.15 s each in
headless Chromium) while plotly.js draws its figures a moment later, so on a page of figures above tables the
figures (what the reader sees first) waited for the tables below them.  The store's rows are handed to the grid
(``dash_clientside.set_props``) once the page's figures are drawn (:data:`ROWS_AFTER_FIGURES_JS`).  Tables built
with ``data_table(..., rows_after_figures=True)`` (dashboard/components/tables.py).
"""

from __future__ import annotations

from dash import MATCH, Input

from dashboard.components.tables import TABLE_ROWS

#: Clientside: once every graph of the page is drawn and none is being drawn (plotly.js loaded, its figure plotted),
#: then one more turn of the event loop, the store's rows become the grid's ``rowData``; after
#: ``ROWS_WAIT_MS`` at most (a table never waits long for a figure that is slow or fails).
ROWS_WAIT_MS = 1500
ROWS_AFTER_FIGURES_JS = """
function (rows) {
    const ctx = window.dash_clientside.callback_context;
    const id = ctx.inputs_list && ctx.inputs_list[0] && ctx.inputs_list[0].id;
    if (rows === undefined || rows === null || !id) { return; }
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
            window.dash_clientside.set_props(id.table, {rowData: rows});
            resolve();
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
    app.clientside_callback(ROWS_AFTER_FIGURES_JS, Input({"type": TABLE_ROWS, "table": MATCH}, "data"))
