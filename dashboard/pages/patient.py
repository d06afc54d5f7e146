"""Patient: one patient's trajectory on one time axis, alterations per draw, the mechanism call."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.components.graphs import graph
from dashboard.components.tables import data_table
from dashboard.page_frame import page_frame
from dashboard.views.patient import ALTERATION_LABELS, EVIDENCE_LABELS, empty_frame

dash.register_page(__name__, path_template="/patient/<patient_id>", name="Patient", order=2,
                   title="Patient - HER2 liquid biopsy")


def layout(patient_id: str | None = None, **query) -> html.Div:
    """The patient's page; content is filled by dashboard.callbacks.patient from the parameters in force."""
    service = get_analysis_service()
    if patient_id not in set(service.patient_ids()):
        return page_frame("Patient not found", query, html.P(
            [f"There is no patient {patient_id!s} in this study. ",
             dcc.Link("Back to the overview", href="/")], className="lead"), needs_cohort=False)
    return page_frame(
        f"Patient {patient_id}", query,
        dcc.Store(id=ids.PATIENT_ID, data=patient_id),
        html.Nav(className="patient-nav", children=[
            dcc.Link("< previous patient", id=ids.PATIENT_PREV, href="", className="button-secondary"),
            dcc.Link("next patient >", id=ids.PATIENT_NEXT, href="", className="button-secondary"),
        ]),
        html.Div(id=ids.PATIENT_HEADER, className="stat-row"),
        # The two answers a tumour board asks first, above the figure (analysis.answers).
        html.Section(id=ids.PATIENT_ANSWERS, className="answers", children=[
            html.H2("Answers"),
            html.P(id=ids.PATIENT_ANSWER_HER2, className="answer"),
            html.P(id=ids.PATIENT_MECHANISM_SUMMARY, className="answer"),
            html.Div(className="report-actions no-print", children=[
                html.Button("Tumour-board report (HTML)", id=ids.PATIENT_REPORT_HTML, className="button-secondary"),
                html.Button("Tumour-board report (PDF)", id=ids.PATIENT_REPORT_PDF, className="button-secondary"),
                html.Span("Self-contained file: answers, figure, alterations, evidence with citations, "
                          "parameters and provenance.", className="muted"),
                dcc.Download(id=ids.PATIENT_REPORT_DOWNLOAD),
            ]),
            html.Div(id=ids.PATIENT_REPORT_ERROR),
        ]),
        html.Section([
            html.H2("Trajectory"),
            html.P("ERBB2 copy number in plasma against CEA and tumour size on one time axis. Hover for exact "
                   "values; * marks a RECIST call derived from lesion sums.", className="muted"),
            graph(ids.PATIENT_TIMELINE, filename=f"patient-{patient_id}-timeline"),
        ]),
        html.Section(id=ids.PATIENT_MECHANISM, children=[
            html.H2("Resistance mechanism call"),
            html.Div(id=ids.PATIENT_CAVEATS),
            data_table(empty_frame(EVIDENCE_LABELS), ids.PATIENT_EVIDENCE, EVIDENCE_LABELS),
        ]),
        html.Section([
            html.H2("Alterations per draw"),
            html.Label(["Sample: ", dcc.Dropdown(id=ids.PATIENT_DRAW_SELECT, clearable=False,
                                                 style={"minWidth": "320px"})], className="param"),
            data_table(empty_frame(ALTERATION_LABELS), ids.PATIENT_ALTERATIONS, ALTERATION_LABELS, page_size=25),
        ]),
        needs_cohort=False,
    )
