"""Figure downloads (PNG / SVG) for every graph built with dashboard.components.graphs.graph."""

from __future__ import annotations

from dash import ALL, Input, Output

from dashboard.components.graphs import DOWNLOAD, DOWNLOAD_JS


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    app.clientside_callback(
        DOWNLOAD_JS,
        Output({"type": DOWNLOAD, "graph": ALL, "format": ALL}, "title"),
        Input({"type": DOWNLOAD, "graph": ALL, "format": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
