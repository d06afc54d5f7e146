"""Named CSV downloads of every table built with dashboard.components.tables.data_table."""

from __future__ import annotations

from dash import MATCH, Input, Output, State

from dashboard.components.tables import TABLE_DOWNLOAD, TABLE_EXPORT, TABLE_EXPORT_JS


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    app.clientside_callback(
        TABLE_EXPORT_JS,
        Output({"type": TABLE_DOWNLOAD, "table": MATCH}, "data"),
        Input({"type": TABLE_EXPORT, "table": MATCH}, "n_clicks"),
        State({"type": TABLE_EXPORT, "table": MATCH}, "value"),
        prevent_initial_call=True,
    )
