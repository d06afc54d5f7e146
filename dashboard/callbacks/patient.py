"""Patient page: fill the timeline, header, mechanism call and alteration table for the parameters in force."""

from __future__ import annotations

from dash import Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate

from analysis.answers import patient_answers
from analysis.trajectory import analyse_trajectories
from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.components.print_table import print_table
from dashboard.components.tables import rows_store, stat_card
from dashboard.figures.patient import patient_timeline
from dashboard.parameters import params_from_store, params_to_query
from dashboard.report_route import report_href
from dashboard.views.patient import (
    ALTERATION_LABELS,
    EVIDENCE_LABELS,
    alteration_table,
    evidence_table,
    header_facts,
    is_followed,
    vaf_tracks,
)
from dashboard.views.patient_navigation import (
    DRAW_KEY,
    cohort_walk_ids,
    followed_patient_ids,
    neighbours_in_walk,
    patient_href,
    walk_description,
    walk_filters,
    walk_query,
)


def fill_patient(query, patient_id, page_state):
    """Everything on the page that depends on the patient and the parameters."""
    if not patient_id:
        raise PreventUpdate
    service = get_analysis_service()
    params = params_from_store(query)
    patient = service.patient(patient_id, params)
    followed = is_followed(patient)
    if followed:
        figure = service.view("patient-timeline", params,
                              lambda: patient_timeline(patient, vaf_tracks(patient), params), patient_id)
    else:
        figure = no_update  # the compact page has no figure to fill
    evidence = _records(evidence_table(patient))
    filters = walk_filters(page_state)
    walk = walk_ids(params, query, filters)
    previous, following = neighbours_in_walk(walk, service.patient_ids(), patient_id)
    params_query = params_to_query(params)
    walk_args = walk_query(filters)
    header = [stat_card(label, value, detail) for value, label, detail in header_facts(patient)]
    answers = patient_answers(patient, params)
    caveats = []
    if patient.caveats:
        caveats.append(html.Details([html.Summary(f"Caveats ({len(patient.caveats)})"),
                                     html.Ul([html.Li(c) for c in patient.caveats])]))
    return (header, answers.her2_trajectory, answers.mechanism, figure, caveats, evidence,
            print_table(evidence, EVIDENCE_LABELS, "Resistance evidence"),
            patient_href(previous, params_query, walk_args) if previous else "",
            patient_href(following, params_query, walk_args) if following else "",
            walk_description(filters, walk, patient_id), not followed, not followed and not evidence, followed,
            report_href(patient_id, params, ".html"), report_href(patient_id, params, ".pdf"))


def walk_ids(params, params_query, filters) -> list[str]:
    """The patients previous/next walk: followed patients, or those matching the Cohort page's filters."""
    service = get_analysis_service()
    if filters is None:
        study = service.study
        return service.view("followed-patients", params,
                            lambda: followed_patient_ids(analyse_trajectories(study, params).patients))
    from dashboard.callbacks.cohort import cohort_rows

    _, _, rows = cohort_rows(params_query)
    return cohort_walk_ids(rows, filters)


def draw_to_page_state(draw, page_state):
    """The chosen draw goes into the URL (page state), beside the walk."""
    state = dict(page_state or {})
    if not draw or state.get(DRAW_KEY) == draw:
        raise PreventUpdate
    state[DRAW_KEY] = draw
    return state


#: Clientside: "Copy link" copies the page's URL as it is now (parameters, walk, draw).
COPY_LINK_JS = """
function(clicks) {
    if (!clicks) { return [window.dash_clientside.no_update, window.dash_clientside.no_update]; }
    return [window.location.href, "Link to this view copied."];
}
"""


def fill_alterations(sample_id, query, patient_id):
    """The alteration table of the chosen draw (or of all samples), and its copy for print (every row)."""
    if not patient_id or not sample_id:
        raise PreventUpdate
    service = get_analysis_service()
    params = params_from_store(query)
    table = alteration_table(service.patient(patient_id, params))
    if sample_id != "__all__":
        table = table[table["sample_id"] == sample_id]
    records = _records(table)
    caption = "Alterations of all samples" if sample_id == "__all__" else f"Alterations of {sample_id}"
    return records, print_table(records, ALTERATION_LABELS, caption)


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
        Output(rows_store(ids.PATIENT_EVIDENCE), "data"),
        Output(ids.PATIENT_EVIDENCE_PRINT, "children"),
        Output(ids.PATIENT_PREV, "href"),
        Output(ids.PATIENT_NEXT, "href"),
        Output(ids.PATIENT_WALK, "children"),
        Output(ids.PATIENT_TRAJECTORY, "hidden"),
        Output(ids.PATIENT_MECHANISM, "hidden"),
        Output(ids.PATIENT_NOT_FOLLOWED, "hidden"),
        Output(ids.PATIENT_REPORT_HTML, "href"),
        Output(ids.PATIENT_REPORT_PDF, "href"),
        Input(ids.PARAMS, "data"),
        State(ids.PATIENT_ID, "data"),
        State(ids.PAGE_STATE, "data"),
    )(fill_patient)
    app.callback(
        Output(ids.PAGE_STATE, "data", allow_duplicate=True),
        Input(ids.PATIENT_DRAW_SELECT, "value"),
        State(ids.PAGE_STATE, "data"),
        prevent_initial_call=True,
    )(draw_to_page_state)
    app.clientside_callback(
        COPY_LINK_JS,
        Output(ids.PATIENT_COPY_LINK, "content"),
        Output(ids.PATIENT_COPY_STATUS, "children"),
        Input(ids.PATIENT_COPY_LINK, "n_clicks"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(rows_store(ids.PATIENT_ALTERATIONS), "data"),
        Output(ids.PATIENT_ALTERATIONS_PRINT, "children"),
        Input(ids.PATIENT_DRAW_SELECT, "value"),
        Input(ids.PARAMS, "data"),
        State(ids.PATIENT_ID, "data"),
    )(fill_alterations)
