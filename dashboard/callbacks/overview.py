"""Overview: the Findings summary (each number a link to its page) and the researcher's report downloads."""

from __future__ import annotations

from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from analysis.errors import AnalysisError
from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.parameters import params_from_store
from dashboard.report import (
    ReportError,
    build_cohort_report,
    cohort_report_file_name,
    cohort_report_pdf,
    render_cohort_html,
)
from dashboard.views.overview import finding_cards


def _alert(what: str, exc: Exception) -> html.Div:
    return html.Div(className="alert alert-error", role="alert", children=[html.Strong(what), str(exc)])


def finding_card(card: dict) -> html.Div:
    """One finding: its topic, its number (a link to the page that shows it), n, CI, test, caution."""
    return html.Div(className="finding-card", id=f"finding-{card['key']}", children=[
        html.Div(card["topic"], className="finding-topic"),
        dcc.Link(card["value"], href=card["href"], className="finding-value",
                 title=f"{card['statement']} (open the {card['page_name']} page)"),
        html.Div(card["detail"], className="finding-detail"),
        html.Div(card["caution"], className="finding-caution") if card["caution"] else None,
    ])


def fill_findings(ready):
    """The findings of the cohort analysis under the parameters in force."""
    if ready is None:
        raise PreventUpdate
    service = get_analysis_service()
    params = params_from_store(ready)
    try:
        cards = service.view("overview-findings", params, lambda: finding_cards(service.cohort(params), params))
    except (AnalysisError, OSError) as exc:
        return _alert("The findings could not be computed. ", exc)
    return [finding_card(card) for card in cards]


def download_cohort_report(_html_clicks, _pdf_clicks, query):
    """The researcher's report of the open study under the parameters in force, as HTML or PDF."""
    if ctx.triggered_id not in (ids.OVERVIEW_REPORT_HTML, ids.OVERVIEW_REPORT_PDF):
        raise PreventUpdate
    service = get_analysis_service()
    params = params_from_store(query)
    study = service.study
    try:
        report = build_cohort_report(study, params, cohort=service.cohort(params), content_hash=service.study_hash())
        if ctx.triggered_id == ids.OVERVIEW_REPORT_HTML:
            return dcc.send_string(render_cohort_html(report), cohort_report_file_name(study.meta.study_id, ".html"),
                                   type="text/html"), None
        return dcc.send_bytes(cohort_report_pdf(report), cohort_report_file_name(study.meta.study_id, ".pdf"),
                              type="application/pdf"), None
    except (ReportError, AnalysisError, OSError) as exc:
        return no_update, _alert("The report could not be made. ", exc)


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    app.callback(
        Output(ids.OVERVIEW_FINDINGS, "children"),
        Input(ids.COHORT_READY, "data"),
    )(fill_findings)
    app.callback(
        Output(ids.OVERVIEW_REPORT_DOWNLOAD, "data"),
        Output(ids.OVERVIEW_REPORT_ERROR, "children"),
        Input(ids.OVERVIEW_REPORT_HTML, "n_clicks"),
        Input(ids.OVERVIEW_REPORT_PDF, "n_clicks"),
        State(ids.PARAMS, "data"),
        prevent_initial_call=True,
    )(download_cohort_report)
