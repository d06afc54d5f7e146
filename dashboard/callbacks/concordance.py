"""Concordance page: the cutoff slider drives the HER2 2x2 tables, scatter cutoff line, ROC point."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from analysis.export import statistics_table
from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.callbacks.table_pages import PagedTable, register_table, source_of
from dashboard.components.tables import PAGES_PER_BLOCK, TABLE_SOURCE, export_filename, rows_store, stat_card
from dashboard.parameters import params_from_store
from dashboard.views.concordance import (
    PER_PATIENT_LABELS,
    PER_PATIENT_NUMERIC,
    cutoff_view,
    slider_value_for,
    static_view,
)

#: Rows per page of the per-patient table.
PATIENT_PAGE_SIZE = 15

EN_DASH = "\u2013"


# ---------------------------------------------------------------------------------------------- builders
def two_by_two_table(model: dict, prefix: str, title: str) -> html.Div:
    """A 2x2 table with margins and its statistics, from :func:`dashboard.views.concordance.two_by_two_model`.

    Cells carry ids ``{prefix}-a`` .. ``{prefix}-d``; the statistics table is ``{prefix}-stats`` with one
    row id per statistic (``{prefix}-ppa``, ...).
    """
    a, b, c, d, n = (model[k] for k in ("a", "b", "c", "d", "n"))
    test, comparator, short = model["test_label"], model["comparator_label"], model["comparator_short"]

    def cell(key: str, value: int, meaning: str) -> html.Td:
        return html.Td(
            [html.Span(str(value), className="count"), html.Span(f" {key}", className="cell-key")],
            id=f"{prefix}-{key}",
            title=f"{key}: {meaning}",
            className=f"cell-{key}",
        )

    table = html.Table(
        className="two-by-two",
        id=f"{prefix}-table",
        children=[
            html.Caption(f"Rows: {test}; columns: {comparator}"),
            html.Thead(
                html.Tr(
                    [
                        html.Td(""),
                        html.Th(f"{short} +", scope="col"),
                        html.Th(f"{short} \u2212", scope="col"),
                        html.Th("Total", scope="col"),
                    ]
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Th("Plasma +", scope="row"),
                            cell("a", a, "positive in both"),
                            cell("b", b, "plasma only"),
                            html.Td(str(a + b), className="margin"),
                        ]
                    ),
                    html.Tr(
                        [
                            html.Th("Plasma \u2212", scope="row"),
                            cell("c", c, "comparator only"),
                            cell("d", d, "negative in both"),
                            html.Td(str(c + d), className="margin"),
                        ]
                    ),
                    html.Tr(
                        [
                            html.Th("Total", scope="row"),
                            html.Td(str(a + c), className="margin"),
                            html.Td(str(b + d), className="margin"),
                            html.Td(str(n), className="margin total", id=f"{prefix}-n"),
                        ]
                    ),
                ]
            ),
        ],
    )
    stats = html.Table(
        className="agreement-stats",
        id=f"{prefix}-stats",
        children=[
            html.Thead(
                html.Tr(
                    [
                        html.Th("Statistic", scope="col"),
                        html.Th("Counts", scope="col"),
                        html.Th("Estimate", scope="col"),
                        html.Th("95% CI", scope="col"),
                    ]
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Th(row["statistic"], scope="row"),
                            html.Td(row["counts"]),
                            html.Td(row["estimate"], className="estimate"),
                            html.Td(row["ci"]),
                        ],
                        id=f"{prefix}-{row['key'].lower()}",
                    )
                    for row in model["statistics"]
                ]
            ),
        ],
    )
    notes = []
    if model["n_missing"]:
        notes.append(f"{model['n_missing']} pair(s) without a call on either side were left out.")
    if model["n"] == 0:
        notes.append("No patient has a plasma call and a comparator call: nothing to compare.")
    return html.Div(
        [
            html.H3(title),
            html.P(model["headline"], className="agreement-headline", id=f"{prefix}-headline"),
            table,
            stats,
            html.Ul([html.Li(note) for note in notes], className="muted small") if notes else None,
        ]
    )


def caveat_list(caveats: list[str]) -> html.Details | None:
    """The analysis' caveats, collapsed."""
    if not caveats:
        return None
    return html.Details(
        className="caveats",
        children=[html.Summary(f"Caveats ({len(caveats)})"), html.Ul([html.Li(c) for c in caveats])],
    )


# ---------------------------------------------------------------------------------------------- callbacks
def _concordance(ready):
    if ready is None:
        raise PreventUpdate  # the cohort analysis is still being computed
    service = get_analysis_service()
    params = params_from_store(ready)
    return service, params, service.cohort(params).concordance


def _static_view(ready) -> tuple:
    service, params, concordance = _concordance(ready)
    return params, service.view("concordance-static", params, lambda: static_view(concordance))


def per_patient_frame(records: list[dict]) -> pd.DataFrame:
    """The per-patient table of :func:`static_view`'s records, as a frame (the server-paged table's rows)."""
    return pd.DataFrame.from_records(records, columns=list(PER_PATIENT_LABELS))


def per_patient_rows(key: dict) -> pd.DataFrame:
    """The per-patient table for a server-paged table's source key (``ready``), from the cached view."""
    return per_patient_frame(_static_view(key.get("ready"))[1]["per_patient"])


def fill_static(ready, patient_row_model=None):
    """The slider-independent parts: headline cards, per-gene / per-patient / detection tables, caveats; the
    per-patient table's rows, or its rows' source when it is paged on the server."""
    params, view = _static_view(ready)
    cards = [stat_card(label, value, detail) for value, label, detail in view["headline"]]
    per_patient, source = view["per_patient"], no_update
    if patient_row_model == "infinite":
        per_patient = no_update
        source = source_of(ids.CONCORDANCE_PATIENT_TABLE, {"ready": ready}, per_patient_frame(view["per_patient"]),
                           PATIENT_PAGE_SIZE * PAGES_PER_BLOCK)
    return (
        cards,
        view["per_gene"],
        per_patient,
        view["detection"],
        view["detection_figure"],
        caveat_list(view["caveats"]),
        f"Analysis cutoff ({params.plasma_amplification_cn:g})",
        source,
    )


def fill_cutoff(cutoff, ready):
    """The HER2 2x2 tables, scatter and ROC at the slider's cutoff (cached per cutoff)."""
    if cutoff is None:
        raise PreventUpdate
    service, params, concordance = _concordance(ready)
    cutoff = round(float(cutoff), 4)
    view = service.view("concordance-cutoff", params, lambda: cutoff_view(concordance, cutoff), cutoff)
    return (
        two_by_two_table(view["ngs"], "concordance-ngs", "Plasma vs tissue NGS (ERBB2 copy number)"),
        two_by_two_table(view["pathology"], "concordance-pathology", "Plasma vs pathology (IHC/FISH)"),
        view["scatter"],
        view["roc"],
        view["note"],
    )


def remember_cutoff(cutoff, state):
    """The slider's value is page state: kept in the URL (``slider=2.6``) so a shared link shows the same."""
    if cutoff is None:
        raise PreventUpdate
    value = f"{round(float(cutoff), 4):g}"
    if (state or {}).get("slider") == value:
        raise PreventUpdate
    return {**(state or {}), "slider": value}


def jump_to(_analysis_clicks, _youden_clicks, ready):
    """The buttons set the slider to the analysis cutoff or the Youden cutoff."""
    params = params_from_store(ready)
    if ctx.triggered_id == ids.CONCORDANCE_SLIDER_ANALYSIS:
        return params.plasma_amplification_cn
    if ready is None:
        raise PreventUpdate
    youden = get_analysis_service().cohort(params).concordance.youden.cutoff
    if youden != youden:  # NaN: no Youden cutoff (one class only)
        raise PreventUpdate
    return slider_value_for(youden)


def download_statistics(clicks, ready):
    """The concordance and survival statistics as one tidy CSV (analysis.export.statistics_table)."""
    if not clicks:
        raise PreventUpdate
    if ready is None:
        raise PreventUpdate  # the cohort analysis is still being computed
    cohort = get_analysis_service().cohort(params_from_store(ready))
    table = statistics_table(cohort)
    return dcc.send_data_frame(table.to_csv, export_filename("concordance", "statistics"), index=False)


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    app.callback(
        Output(ids.CONCORDANCE_HEADLINE, "children"),
        Output(rows_store(ids.CONCORDANCE_GENE_TABLE), "data"),
        Output(rows_store(ids.CONCORDANCE_PATIENT_TABLE), "data"),
        Output(rows_store(ids.CONCORDANCE_DETECTION_TABLE), "data"),
        Output(ids.CONCORDANCE_DETECTION_BAR, "figure"),
        Output(ids.CONCORDANCE_CAVEATS, "children"),
        Output(ids.CONCORDANCE_SLIDER_ANALYSIS, "children"),
        Output({"type": TABLE_SOURCE, "table": ids.CONCORDANCE_PATIENT_TABLE}, "data"),
        Input(ids.COHORT_READY, "data"),
        State(ids.CONCORDANCE_PATIENT_TABLE, "rowModelType"),
    )(fill_static)
    register_table(app, PagedTable(ids.CONCORDANCE_PATIENT_TABLE, per_patient_rows, PER_PATIENT_LABELS,
                                   PER_PATIENT_NUMERIC))
    app.callback(
        Output(ids.CONCORDANCE_STATS_DOWNLOAD, "data"),
        Input(ids.CONCORDANCE_STATS_BUTTON, "n_clicks"),
        State(ids.COHORT_READY, "data"),
        prevent_initial_call=True,
    )(download_statistics)
    app.callback(
        Output(ids.CONCORDANCE_NGS, "children"),
        Output(ids.CONCORDANCE_PATHOLOGY, "children"),
        Output(ids.CONCORDANCE_SCATTER, "figure"),
        Output(ids.CONCORDANCE_ROC, "figure"),
        Output(ids.CONCORDANCE_SLIDER_NOTE, "children"),
        Input(ids.CONCORDANCE_SLIDER, "value"),
        Input(ids.COHORT_READY, "data"),
    )(fill_cutoff)
    app.callback(
        Output(ids.PAGE_STATE, "data", allow_duplicate=True),
        Input(ids.CONCORDANCE_SLIDER, "value"),
        State(ids.PAGE_STATE, "data"),
        prevent_initial_call=True,
    )(remember_cutoff)
    app.callback(
        Output(ids.CONCORDANCE_SLIDER, "value"),
        Input(ids.CONCORDANCE_SLIDER_ANALYSIS, "n_clicks"),
        Input(ids.CONCORDANCE_SLIDER_YOUDEN, "n_clicks"),
        State(ids.COHORT_READY, "data"),
        prevent_initial_call=True,
    )(jump_to)
