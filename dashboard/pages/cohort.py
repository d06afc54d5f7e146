"""Cohort: headline counts, filters (kept in the URL), the swimmer plot and the patient table."""

from __future__ import annotations

import dash
from dash import dcc, html

from analysis.resistance import PATHWAYS
from dashboard import ids
from dashboard.components.graphs import graph
from dashboard.components.tables import data_table
from dashboard.figures.style import empty_figure
from dashboard.page_frame import page_frame
from dashboard.views.cohort import (
    NOT_RECORDED,
    TABLE_LABELS,
    TABLE_NUMERIC,
    filters_from_query,
    filters_to_query,
    pathway_choices,
)

dash.register_page(__name__, path="/cohort", name="Cohort", order=1, title="Cohort - HER2 liquid biopsy")

HER2_OPTIONS = [("all", "All"), ("POSITIVE", "HER2-positive"), ("NEGATIVE", "HER2-negative"),
                (NOT_RECORDED, "Not recorded")]
CLASS_OPTIONS = [("all", "All"), ("progressed", "Progressed (innate or acquired)"), ("innate", "Innate"),
                 ("acquired", "Acquired"), ("none", "No progression"), ("unknown", "Not followed / status unknown")]
UNIT_OPTIONS = [("months", "Months"), ("days", "Days")]


def _options(pairs) -> list[dict]:
    return [{"label": label, "value": value} for value, label in pairs]


def _fieldset(legend: str, control) -> html.Fieldset:
    return html.Fieldset(className="cohort-filter", children=[html.Legend(legend), control])


def patient_table_component():
    """The (initially empty) patient table; its ids are Markdown links to the patient pages. On a study of more
    than SERVER_ROWS_ABOVE patients its rows are paged on the server (dashboard/callbacks/table_pages.py)."""
    import pandas as pd

    from dashboard.callbacks.table_pages import study_needs_server_rows

    table = data_table(pd.DataFrame(columns=list(TABLE_LABELS)), ids.COHORT_TABLE, TABLE_LABELS, page_size=20,
                       export_name="cohort-patients", markdown_columns=(next(iter(TABLE_LABELS)),),
                       numeric=TABLE_NUMERIC, pageable=True, server_rows=study_needs_server_rows(),
                       rows_after_figures=True)
    return table


def layout(**query) -> html.Div:
    """The cohort page; counts, plot and table are filled by dashboard.callbacks.cohort."""
    filters, problems = filters_from_query(query)
    filter_bar = html.Div(className="cohort-filters", role="group", **{"aria-label": "Filters"}, children=[
        _fieldset("HER2 status (pathology)", dcc.RadioItems(
            id=ids.COHORT_FILTER_HER2, options=_options(HER2_OPTIONS), value=filters.her2, inline=True)),
        _fieldset("Resistance class", dcc.RadioItems(
            id=ids.COHORT_FILTER_CLASS, options=_options(CLASS_OPTIONS), value=filters.resistance_class,
            inline=True)),
        _fieldset("Resistance mechanism", dcc.Dropdown(
            id=ids.COHORT_FILTER_PATHWAY, options=_options(pathway_choices(PATHWAYS, filters.pathway)),
            value=filters.pathway, clearable=False, searchable=False, className="cohort-pathway")),
        _fieldset("Follow-up", dcc.Checklist(
            id=ids.COHORT_FILTER_FOLLOWED,
            options=[{"label": " followed with serial plasma only", "value": "on"}],
            value=["on"] if filters.followed_only else [])),
        _fieldset("Time axis", dcc.RadioItems(
            id=ids.COHORT_UNIT, options=_options(UNIT_OPTIONS), value=filters.unit, inline=True)),
    ])
    return page_frame(
        "Cohort", query,
        dcc.Location(id=ids.COHORT_NAVIGATE, refresh="callback-nav"),
        html.Div(id=ids.COHORT_COUNTS, className="stat-row", **{"aria-live": "polite"}),
        filter_bar,
        html.Ul([html.Li(p) for p in problems], id=ids.COHORT_FILTER_PROBLEMS, className="param-problems")
        if problems else html.Div(id=ids.COHORT_FILTER_PROBLEMS),
        html.P(id=ids.COHORT_MATCHING, className="cohort-matching", **{"aria-live": "polite"}),
        html.Section(className="cohort-swimmer", children=[
            html.H2("Swimmer plot"),
            html.P(id=ids.COHORT_SWIMMER_NOTE, className="muted"),
            html.P("One bar per patient from the first trastuzumab dose (day 0) to progression or last "
                   "follow-up, coloured by resistance class; white circles are plasma draws, dark symbols "
                   "above the bar imaging assessments with their RECIST call, a wine-red cross the progression; thin "
                   "dark bars underneath are treatments. Click a bar or a patient id to open that patient.",
                   className="muted"),
            graph(ids.COHORT_SWIMMER, figure=empty_figure("Waiting for the cohort analysis..."),
                  filename="cohort-swimmer"),
        ]),
        html.Div(id=ids.COHORT_CAVEATS),
        html.Section([
            html.H2("Patients matching the filters"),
            html.P("Each id opens the patient's page with the parameters in force. PFS in months "
                   "(30.4375 days); mechanisms are the resistance pathways called in the baseline or "
                   "progression plasma draw.", className="muted"),
            patient_table_component(),
        ]),
        needs_cohort=True,
        page_state=filters_to_query(filters),
        lead="Who is in the study, how each HER2-positive patient fared on trastuzumab, and why they "
             "progressed.",
    )
