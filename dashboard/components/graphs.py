"""A figure on a page: the graph plus PNG and SVG download buttons, keyboard-usable.

Downloads are named like table downloads (:func:`dashboard.components.tables.export_filename`):
``<page>_[<patient>_]<figure>_<YYYY-MM-DD>.png``, e.g. ``concordance_erbb2-scatter_2026-12-03.svg``.
"""

from __future__ import annotations

import json

from dash import dcc, html

from dashboard.components.tables import export_filename, export_info, export_stem

DOWNLOAD = "graph-download"  # pattern-matching type: {"type": DOWNLOAD, "graph": id, "format": "png"|"svg"}

#: Private by default: no "edit in Chart Studio" / send-to-cloud button and no plotly server to post
#: to, so a figure of patient data can never be uploaded from its toolbar.
GRAPH_CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "plotlyServerURL": "",
    "showLink": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def graph(graph_id: str, figure=None, filename: str | None = None, height: int | None = None,
          loading: bool = True) -> html.Div:
    """A ``dcc.Graph`` with "Download PNG" / "Download SVG" buttons underneath.

    Parameters
    ----------
    graph_id
        Id of the ``dcc.Graph`` (callbacks write its ``figure``).
    filename
        What the figure shows, for the download file name (default: the graph id); the page is the
        first word of the graph id, the date is added (:func:`figure_filename`).
    """
    info = export_info(graph_id, filename)
    config = {**GRAPH_CONFIG, "toImageButtonOptions": {**GRAPH_CONFIG["toImageButtonOptions"],
                                                       "filename": figure_filename(graph_id, filename)[:-4]}}
    extra = {"style": {"height": f"{height}px"}} if height else {}
    body = dcc.Graph(id=graph_id, figure=figure or blank_figure(height), config=config, **extra)
    return html.Div(className="figure", children=[
        dcc.Loading(body, type="dot", delay_show=300) if loading else body,
        html.Div(className="figure-downloads", children=[
            html.Button(f"Download {fmt.upper()}", id={"type": DOWNLOAD, "graph": graph_id, "format": fmt},
                        className="button-secondary button-small", title=f"Save this figure as {fmt.upper()}",
                        value=json.dumps(info), **{"data-filename": filename or graph_id})
            for fmt in ("png", "svg")
        ]),
    ])


def blank_figure(height: int | None = None) -> dict:
    """What a graph shows before its callback's figure arrives: nothing (no axes from -1 to 6), at the height
    the figure will most likely have, so that plotly's first, throw-away drawing is as cheap as it can be."""
    axis = {"visible": False, "fixedrange": True}
    return {"data": [], "layout": {"xaxis": axis, "yaxis": axis, "height": height or 450,
                                   "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "showlegend": False}}


def figure_filename(graph_id: str, filename: str | None = None, extension: str = "png",
                    patient: str | None = None, day=None) -> str:
    """The download name of a figure (the browser adds the patient of a patient page itself)."""
    page, what = export_stem(graph_id, filename)
    return export_filename(page, what, patient, day, extension)


#: Clientside: the button asks plotly.js to download the graph next to it, under its export name.
DOWNLOAD_JS = """
function(clicks) {
    const ctx = window.dash_clientside.callback_context;
    if (!ctx.triggered.length || !ctx.triggered[0].value) { return window.dash_clientside.no_update; }
    const id = JSON.parse(ctx.triggered[0].prop_id.split(".")[0]);
    const holder = document.getElementById(id.graph);
    const plot = holder && holder.querySelector(".js-plotly-plot");
    const exports = window.her2Exports;
    const button = exports ? exports.layoutProps(id) : null;
    let name = id.graph;
    if (exports && button && button.value) {
        const file = exports.filename(JSON.parse(button.value), id.format);
        name = file.slice(0, file.length - id.format.length - 1);
    }
    if (plot) { window.Plotly.downloadImage(plot, {format: id.format, filename: name, scale: 2}); }
    return window.dash_clientside.no_update;
}
"""
