"""Tables shown on the pages: DataFrame -> Dash DataTable, with a named CSV download.

dash_table's own export (``export_format="csv"``) always names the file ``Data.csv`` and cannot be
told otherwise (plotly/dash-table issues 575 and 636), so every table gets its own "Download CSV"
button and ``dcc.Download`` instead: a clientside callback (:data:`TABLE_EXPORT_JS`, helpers in
``assets/exports.js``) writes the table's rows, in the order shown, under the display headers to
``<page>_[<patient>_]<table>_<YYYY-MM-DD>.csv`` (:func:`export_filename`), e.g.
``concordance_per-gene_2026-12-03.csv`` or ``patient_P007_alterations_2026-12-03.csv``.  Page and
table come from the table id (``patient-alterations`` -> page ``patient``, table ``alterations``), or
from *export_name*; the patient is the one the page shows (:data:`PATIENT_SOURCES`).
"""

from __future__ import annotations

import json
import re
from datetime import date

import pandas as pd
from dash import dash_table, dcc, html
from dash.dash_table.Format import Format, Scheme

#: Columns holding a VAF in percent: shown with 3 significant digits (d3 ".3r": 3.12, 10.0, 0.500),
#: while the data (and so the CSV download) keep the exact value.
VAF_PERCENT_COLUMNS = frozenset({"vaf_pct", "baseline_vaf_pct"})
VAF_FORMAT = Format(precision=3, scheme=Scheme.decimal)
#: Exact p-values (kept for the CSV download): shown with 3 significant digits (0.412, 5.1e-06).
EXACT_P_COLUMNS = frozenset({"p_exact"})
EXACT_P_FORMAT = Format(precision=3, scheme=Scheme.decimal_or_exponent)

TABLE_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"

TABLE_EXPORT = "table-export"  # pattern-matching type: {"type": TABLE_EXPORT, "table": table id} (the button)
TABLE_DOWNLOAD = "table-download"  # pattern-matching type: {"type": TABLE_DOWNLOAD, "table": table id}
#: Page (first word of a component id) -> the component whose ``data`` is the patient the page shows.
PATIENT_SOURCES = {"patient": "patient-id"}
#: Table ids whose file name says more than the id does.
EXPORT_NAMES = {
    "concordance-gene-table": "concordance-per-gene",
    "concordance-patient-table": "concordance-per-patient",
    "concordance-detection-table": "concordance-detection-by-tumour-fraction",
}


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


class ExportableTable(html.Div):
    """A ``dash_table.DataTable`` with its "Download CSV" button and ``dcc.Download``.

    The table keeps its id, so callbacks keep writing its ``data`` and ``columns``; DataTable
    properties read or set on this wrapper (``.columns``, ``.style_data = ...``) go to the table.
    """

    _TABLE_PROPS = frozenset(dash_table.DataTable()._prop_names) - frozenset(html.Div()._prop_names)

    def __init__(self, table: dash_table.DataTable, name: str | None = None) -> None:
        table_id = str(table.id)
        info = export_info(table_id, name)
        super().__init__(className="table-with-export", children=[
            html.Div(className="table-export-row", children=[
                html.Button("Download CSV", id={"type": TABLE_EXPORT, "table": table_id},
                            className="button-secondary button-small", n_clicks=0, value=json.dumps(info),
                            title="Save this table (all rows, in the order shown) as a CSV file"),
                dcc.Download(id={"type": TABLE_DOWNLOAD, "table": table_id}),
            ]),
            table,
        ])
        object.__setattr__(self, "table", table)

    def __getattr__(self, name: str):
        table = self.__dict__.get("table")
        if table is not None and name in ExportableTable._TABLE_PROPS:
            return getattr(table, name)
        raise AttributeError(name)

    def __setattr__(self, name: str, value) -> None:
        if name in ExportableTable._TABLE_PROPS and "table" in self.__dict__:
            setattr(self.__dict__["table"], name, value)
        else:
            super().__setattr__(name, value)


def data_table(frame: pd.DataFrame, table_id: str, labels: dict[str, str] | None = None,
               page_size: int = 20, export_name: str | None = None) -> ExportableTable:
    """A sortable table with a "Download CSV" button (file named by :func:`export_filename`).

    Parameters
    ----------
    frame
        The rows to show, already filtered and formatted by the caller.
    table_id
        Id of the DataTable (callbacks write its ``data``); its first word names the page of the file.
    labels
        Column name -> header text (units in the header, e.g. "CN (copies)"); the CSV has these headers.
    export_name
        ``<page>-<table>`` for the file name when the id does not say it well (default: the id).
    """
    labels = labels or {}
    formats = {**dict.fromkeys(VAF_PERCENT_COLUMNS, VAF_FORMAT), **dict.fromkeys(EXACT_P_COLUMNS, EXACT_P_FORMAT)}
    columns = [{"name": labels.get(c, c), "id": c, "type": "numeric", "format": formats[c]}
               if c in formats else {"name": labels.get(c, c), "id": c} for c in frame.columns]
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    table = dash_table.DataTable(
        id=table_id,
        columns=columns,
        data=records,
        sort_action="native",
        page_size=page_size,
        style_table={"overflowX": "auto"},
        style_cell={"fontFamily": TABLE_FONT, "fontSize": "0.9rem", "padding": "4px 8px", "textAlign": "left"},
        style_header={"fontWeight": "600", "backgroundColor": "#f1f3f5"},
        css=[{"selector": "td, th, .dash-cell-value, .column-header-name", "rule": f"font-family: {TABLE_FONT};"}],
    )
    return ExportableTable(table, export_name)


#: Clientside: the button writes its table as CSV into the dcc.Download beside it (assets/exports.js).
TABLE_EXPORT_JS = """
function(clicks, info) {
    if (!clicks || !info || !window.her2Exports) { return window.dash_clientside.no_update; }
    return window.her2Exports.tableDownload(JSON.parse(info));
}
"""


def stat_card(label: str, value: str | int, detail: str = "", card_id: str | None = None) -> html.Div:
    """A headline number with its label (and an optional detail line)."""
    props = {"id": card_id} if card_id else {}
    return html.Div(className="stat-card", **props, children=[
        html.Div(str(value), className="stat-value"),
        html.Div(label, className="stat-label"),
        html.Div(detail, className="stat-detail") if detail else None,
    ])
