"""Patient page: fill the timeline, header, mechanism call and alteration table for the parameters in force."""

from __future__ import annotations

import tempfile
from pathlib import Path

from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from analysis.answers import patient_answers
from analysis.resistance import load_knowledge_base
from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.components.tables import stat_card
from dashboard.figures.patient import patient_timeline
from dashboard.parameters import params_from_store, query_string
from dashboard.report import ReportError, build_report, html_to_pdf, render_html, report_file_name
from dashboard.views.patient import (
    alteration_table,
    draw_options,
    evidence_table,
    header_facts,
    neighbours,
    vaf_tracks,
)


def fill_patient(query, patient_id):
    """Everything on the page that depends on the patient and the parameters."""
    if not patient_id:
        raise PreventUpdate
    service = get_analysis_service()
    params = params_from_store(query)
    patient = service.patient(patient_id, params)
    figure = service.view("patient-timeline", params,
                          lambda: patient_timeline(patient, vaf_tracks(patient), params).to_dict(), patient_id)
    evidence = evidence_table(patient)
    previous, following = neighbours(service.patient_ids(), patient_id)
    link = query_string(params)
    header = [stat_card(label, value, detail) for value, label, detail in header_facts(patient)]
    answers = patient_answers(patient, params)
    caveats = []
    if patient.caveats:
        caveats.append(html.Details([html.Summary(f"Caveats ({len(patient.caveats)})"),
                                     html.Ul([html.Li(c) for c in patient.caveats])]))
    options = draw_options(patient)
    return (header, answers.her2_trajectory, answers.mechanism, figure, caveats, _records(evidence), options,
            options[0]["value"] if options else None,
            f"/patient/{previous}{link}" if previous else "", f"/patient/{following}{link}" if following else "")


def download_report(_html_clicks, _pdf_clicks, query, patient_id):
    """The tumour-board report of the patient under the parameters in force, as HTML or PDF."""
    if not patient_id or ctx.triggered_id not in (ids.PATIENT_REPORT_HTML, ids.PATIENT_REPORT_PDF):
        raise PreventUpdate
    service = get_analysis_service()
    params = params_from_store(query)
    try:
        report = build_report(service.study, patient_id, params,
                              load_knowledge_base(service.knowledge_base_path(params)),
                              patient=service.patient(patient_id, params), content_hash=service.study_hash())
        page = render_html(report)
        if ctx.triggered_id == ids.PATIENT_REPORT_HTML:
            return dcc.send_string(page, report_file_name(patient_id, ".html"), type="text/html"), None
        with tempfile.TemporaryDirectory(prefix="her2-report-") as folder:
            source = Path(folder) / "report.html"
            source.write_text(page, encoding="utf-8")
            pdf = html_to_pdf(source, Path(folder) / "report.pdf").read_bytes()
        return dcc.send_bytes(pdf, report_file_name(patient_id, ".pdf"), type="application/pdf"), None
    except ReportError as exc:
        return None, html.Div(className="alert alert-error", role="alert",
                              children=[html.Strong("The report could not be made. "), str(exc)])


def fill_alterations(sample_id, query, patient_id):
    """The alteration table of the chosen draw (or of all samples)."""
    if not patient_id or not sample_id:
        raise PreventUpdate
    service = get_analysis_service()
    params = params_from_store(query)
    table = alteration_table(service.patient(patient_id, params))
    if sample_id != "__all__":
        table = table[table["sample_id"] == sample_id]
    return _records(table)


def _records(frame):
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    app.callback(
        Output(ids.PATIENT_HEADER, "children"),
        Output(ids.PATIENT_ANSWER_HER2, "children"),
        Output(ids.PATIENT_MECHANISM_SUMMARY, "children"),
        Output(ids.PATIENT_TIMELINE, "figure"),
        Output(ids.PATIENT_CAVEATS, "children"),
        Output(ids.PATIENT_EVIDENCE, "data"),
        Output(ids.PATIENT_DRAW_SELECT, "options"),
        Output(ids.PATIENT_DRAW_SELECT, "value"),
        Output(ids.PATIENT_PREV, "href"),
        Output(ids.PATIENT_NEXT, "href"),
        Input(ids.PARAMS, "data"),
        State(ids.PATIENT_ID, "data"),
    )(fill_patient)
    app.callback(
        Output(ids.PATIENT_ALTERATIONS, "data"),
        Input(ids.PATIENT_DRAW_SELECT, "value"),
        Input(ids.PARAMS, "data"),
        State(ids.PATIENT_ID, "data"),
    )(fill_alterations)
    app.callback(
        Output(ids.PATIENT_REPORT_DOWNLOAD, "data"),
        Output(ids.PATIENT_REPORT_ERROR, "children"),
        Input(ids.PATIENT_REPORT_HTML, "n_clicks"),
        Input(ids.PATIENT_REPORT_PDF, "n_clicks"),
        State(ids.PARAMS, "data"),
        State(ids.PATIENT_ID, "data"),
        prevent_initial_call=True,
    )(download_report)
