"""Patient page: fill the timeline, header, mechanism call and alteration table for the parameters in force."""

from __future__ import annotations

from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.components.tables import stat_card
from dashboard.figures.patient import patient_timeline
from dashboard.parameters import params_from_store, query_string
from dashboard.views.patient import (
    alteration_table,
    draw_options,
    evidence_table,
    header_facts,
    mechanism_summary,
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
    caveats = [html.P(mechanism_summary(patient), className="lead", id="patient-mechanism-summary")]
    if patient.caveats:
        caveats.append(html.Details([html.Summary(f"Caveats ({len(patient.caveats)})"),
                                     html.Ul([html.Li(c) for c in patient.caveats])]))
    options = draw_options(patient)
    return (header, figure, caveats, _records(evidence), options, options[0]["value"] if options else None,
            f"/patient/{previous}{link}" if previous else "", f"/patient/{following}{link}" if following else "")


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
