"""A figure on a page: the graph plus PNG and SVG download buttons, keyboard-usable."""

from __future__ import annotations

from dash import dcc, html

DOWNLOAD = "graph-download"  # pattern-matching type: {"type": DOWNLOAD, "graph": id, "format": "png"|"svg"}

GRAPH_CONFIG = {
    "displaylogo": False,
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
        Download file name without extension (default: the graph id).
    """
    config = {**GRAPH_CONFIG, "toImageButtonOptions": {**GRAPH_CONFIG["toImageButtonOptions"],
                                                       "filename": filename or graph_id}}
    extra = {"style": {"height": f"{height}px"}} if height else {}
    body = dcc.Graph(id=graph_id, figure=figure or {}, config=config, **extra)
    return html.Div(className="figure", children=[
        dcc.Loading(body, type="dot", delay_show=300) if loading else body,
        html.Div(className="figure-downloads", children=[
            html.Button(f"Download {fmt.upper()}", id={"type": DOWNLOAD, "graph": graph_id, "format": fmt},
                        className="button-secondary button-small", title=f"Save this figure as {fmt.upper()}",
                        **{"data-filename": filename or graph_id})
            for fmt in ("png", "svg")
        ]),
    ])


#: Clientside: the button asks plotly.js to download the graph next to it.
DOWNLOAD_JS = """
function(clicks) {
    const ctx = window.dash_clientside.callback_context;
    if (!ctx.triggered.length || !ctx.triggered[0].value) { return window.dash_clientside.no_update; }
    const id = JSON.parse(ctx.triggered[0].prop_id.split(".")[0]);
    const holder = document.getElementById(id.graph);
    const plot = holder && holder.querySelector(".js-plotly-plot");
    if (plot) { window.Plotly.downloadImage(plot, {format: id.format, filename: id.graph, scale: 2}); }
    return window.dash_clientside.no_update;
}
"""
