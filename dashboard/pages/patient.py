"""Patient: the two answers, one patient's trajectory on one time axis, the mechanism call, alterations per draw.

A patient never followed on trastuzumab gets a compact page (answers, facts, alterations) that says so
instead of empty figure frames.  The URL keeps the parameters, the walk of previous/next (followed
patients, or the Cohort page's filters) and the chosen draw, so "Copy link" copies the exact view.
"""

from __future__ import annotations

from urllib.parse import unquote

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.components.graphs import graph
from dashboard.components.tables import data_table
from dashboard.page_frame import page_frame, parse_page_query
from dashboard.parameters import params_to_query
from dashboard.report import report_file_name
from dashboard.report_route import report_href
from dashboard.views.patient import (
    ALTERATION_LABELS,
    ALTERATION_NUMERIC,
    EVIDENCE_LABELS,
    EVIDENCE_NUMERIC,
    draw_choice,
    empty_frame,
    is_followed,
)
from dashboard.views.patient_navigation import DRAW_KEY, find_patients, patient_href, walk_filters, walk_query

dash.register_page(__name__, path_template="/patient/<patient_id>", name="Patient", order=2,
                   title="Patient - HER2 liquid biopsy")


def layout(patient_id: str | None = None, **query) -> html.Div:
    """The patient's page; content is filled by dashboard.callbacks.patient from the parameters in force."""
    service = get_analysis_service()
    patient_id = unquote(patient_id) if patient_id is not None else None
    patient_ids = service.patient_ids()
    if patient_id not in set(patient_ids):
        return not_found(patient_id, query, patient_ids)
    params = parse_page_query(query).params
    patient = service.patient(patient_id, params)
    followed = is_followed(patient)
    walk = walk_query(walk_filters(query))
    requested_draw = str(query.get(DRAW_KEY) or "")
    # The sample choice is made here, not by a callback: the alteration table's callback then starts with
    # the page's other callback instead of waiting for it (one round trip less on every patient page).
    draw_choices, draw = draw_choice(patient, requested_draw)
    return page_frame(
        f"Patient {patient_id}", query,
        dcc.Store(id=ids.PATIENT_ID, data=patient_id),
        html.Nav(className="patient-nav", **{"aria-label": "Patients"}, children=[
            html.Span(id=ids.PATIENT_WALK, className="muted patient-walk"),
            dcc.Link("< previous patient", id=ids.PATIENT_PREV, href="", className="button-secondary"),
            dcc.Link("next patient >", id=ids.PATIENT_NEXT, href="", className="button-secondary"),
            dcc.Clipboard(id=ids.PATIENT_COPY_LINK, title="Copy a link to exactly this view (patient, parameters, "
                          "draw)", className="button-secondary copy-link",
                          children=html.Span("Copy link"), copied_children=html.Span("Link copied")),
            html.Span(id=ids.PATIENT_COPY_STATUS, className="muted copy-status", role="status"),
        ]),
        # The two answers a tumour board asks first, above the figure (analysis.answers).
        html.Section(id=ids.PATIENT_ANSWERS, className="answers", children=[
            html.P(id=ids.PATIENT_ANSWER_HER2, className="answer"),
            html.P(id=ids.PATIENT_MECHANISM_SUMMARY, className="answer"),
            # Plain links to the report route (dashboard.report_route): the browser downloads the file itself,
            # no callback; fill_patient keeps their addresses on the parameters in force.
            html.Div(className="report-actions no-print", children=[
                html.A("Tumour-board report (HTML)", id=ids.PATIENT_REPORT_HTML, className="button-secondary",
                       href=report_href(patient_id, params, ".html"), download=report_file_name(patient_id, ".html"),
                       title="Self-contained file: answers, figure, alterations, evidence with citations, "
                             "parameters and provenance"),
                html.A("Tumour-board report (PDF)", id=ids.PATIENT_REPORT_PDF, className="button-secondary",
                       href=report_href(patient_id, params, ".pdf"), download=report_file_name(patient_id, ".pdf"),
                       title="The same report as a PDF (A4)"),
            ]),
        ]),
        html.Div(id=ids.PATIENT_HEADER, className="stat-row patient-facts"),
        html.Div(id=ids.PATIENT_NOT_FOLLOWED, className="notice not-followed", hidden=followed, children=[
            html.Strong("Not followed on trastuzumab. "),
            "This patient has no follow-up status and no response assessment after baseline: there is no "
            "trajectory to draw, and a known resistance alteration is not a resistance. What was found is "
            "listed below.",
        ]),
        html.Section(id=ids.PATIENT_TRAJECTORY, hidden=not followed, children=[
            html.H2("Trajectory"),
            html.P("One day axis for every panel; each panel's legend is right above it. Hover for exact values; "
                   "click a legend entry to hide or show that line.", className="muted"),
            graph(ids.PATIENT_TIMELINE, filename=f"patient-{patient_id}-timeline"),
        ]),
        html.Section(id=ids.PATIENT_MECHANISM, hidden=not followed, children=[
            html.H2("Resistance mechanism call"),
            html.Div(id=ids.PATIENT_CAVEATS),
            html.Div(className="screen-only", children=data_table(empty_frame(EVIDENCE_LABELS), ids.PATIENT_EVIDENCE,
                                                                  EVIDENCE_LABELS, numeric=EVIDENCE_NUMERIC,
                                                                  rows_after_figures=True)),
            html.Div(id=ids.PATIENT_EVIDENCE_PRINT, className="print-only"),
        ]),
        html.Section([
            html.H2("Alterations per draw"),
            html.Label(["Sample: ", dcc.Dropdown(id=ids.PATIENT_DRAW_SELECT, clearable=False,
                                                 options=draw_choices, value=draw,
                                                 style={"minWidth": "320px"})],
                       className="param"),
            html.Div(className="screen-only", children=data_table(empty_frame(ALTERATION_LABELS),
                                                                  ids.PATIENT_ALTERATIONS, ALTERATION_LABELS,
                                                                  page_size=25, numeric=ALTERATION_NUMERIC,
                                                                  rows_after_figures=True)),
            html.Div(id=ids.PATIENT_ALTERATIONS_PRINT, className="print-only"),
        ]),
        needs_cohort=False,
        page_state={**walk, DRAW_KEY: draw or ""},
    )


def not_found(patient_id: str | None, query: dict, patient_ids: list[str]) -> html.Div:
    """No such patient: say so, and suggest the ids that match (``/patient/p007`` suggests P007)."""
    result = find_patients(patient_id or "", patient_ids)
    params_query = params_to_query(parse_page_query(query).params)
    suggestions = [s for s in result.suggestions if s != patient_id]
    children: list = [html.P([f"There is no patient {patient_id!s} in this study. ",
                              dcc.Link("Back to the overview", href="/")], className="lead")]
    if suggestions:
        children.append(html.Div(id="patient-suggestions", children=[
            html.P("Did you mean:"),
            html.Ul([html.Li(dcc.Link(pid, href=patient_href(pid, params_query))) for pid in suggestions]),
        ]))
    return page_frame("Patient not found", query, *children, needs_cohort=False)
