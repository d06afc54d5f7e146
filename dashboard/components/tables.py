"""Tables shown on the pages: DataFrame -> Dash DataTable, with CSV download."""

from __future__ import annotations

import pandas as pd
from dash import dash_table, html
from dash.dash_table.Format import Format, Scheme

#: Columns holding a VAF in percent: shown with 3 significant digits (d3 ".3r": 3.12, 10.0, 0.500),
#: while the data (and so the CSV download) keep the exact value.
VAF_PERCENT_COLUMNS = frozenset({"vaf_pct", "baseline_vaf_pct"})
VAF_FORMAT = Format(precision=3, scheme=Scheme.decimal)

TABLE_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"


def data_table(frame: pd.DataFrame, table_id: str, labels: dict[str, str] | None = None,
               page_size: int = 20, export_name: str | None = None) -> dash_table.DataTable:
    """A sortable, downloadable table.

    Parameters
    ----------
    frame
        The rows to show, already filtered and formatted by the caller.
    labels
        Column name -> header text (units in the header, e.g. "CN (copies)").
    """
    labels = labels or {}
    columns = [{"name": labels.get(c, c), "id": c, "type": "numeric", "format": VAF_FORMAT}
               if c in VAF_PERCENT_COLUMNS else {"name": labels.get(c, c), "id": c} for c in frame.columns]
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return dash_table.DataTable(
        id=table_id,
        columns=columns,
        data=records,
        sort_action="native",
        page_size=page_size,
        export_format="csv",
        export_headers="display",
        style_table={"overflowX": "auto"},
        style_cell={"fontFamily": TABLE_FONT, "fontSize": "0.9rem", "padding": "4px 8px", "textAlign": "left"},
        style_header={"fontWeight": "600", "backgroundColor": "#f1f3f5"},
        css=[{"selector": ".export", "rule": "margin: 4px 0;"},
             {"selector": "td, th, .dash-cell-value, .column-header-name", "rule": f"font-family: {TABLE_FONT};"}],
        **({"export_columns": "visible"} if export_name else {}),
    )


def stat_card(label: str, value: str | int, detail: str = "", card_id: str | None = None) -> html.Div:
    """A headline number with its label (and an optional detail line)."""
    props = {"id": card_id} if card_id else {}
    return html.Div(className="stat-card", **props, children=[
        html.Div(str(value), className="stat-value"),
        html.Div(label, className="stat-label"),
        html.Div(detail, className="stat-detail") if detail else None,
    ])
