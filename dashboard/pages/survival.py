"""Survival: Kaplan-Meier by a chosen grouping, with the KMunicate risk table, medians, log-rank and Cox."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.components.graphs import graph
from dashboard.page_frame import page_frame
from dashboard.parameters import DEFAULTS
from dashboard.views.survival import (
    ATTRIBUTE_GROUP,
    GENE_GROUP,
    GENE_GROUPS,
    GROUP_LABELS,
    LANDMARK_GROUPS,
    ON_REQUEST_LABELS,
    OS_NOTE,
    attribute_options,
    choice_from_query,
    default_gene,
    default_group_for,
    endpoint_options,
    endpoint_radio,
    gene_dropdown,
    gene_options,
)

dash.register_page(__name__, path="/survival", name="Survival", order=6, title="Survival - HER2 liquid biopsy")

LEAD = ("Progression-free (or overall) survival from the first trastuzumab dose, compared between groups of patients: "
        "Kaplan-Meier estimates with 95% confidence bands, log-rank test and Cox hazard ratios.")


def study_choices() -> dict:
    """Genes (most altered first), attributes, endpoints with data and the default grouping of the open
    study (cached on the study's content hash)."""
    service = get_analysis_service()
    study = service.study
    return service.view("survival-options", DEFAULTS, lambda: {
        "genes": gene_options(study), "gene_dropdown": gene_dropdown(study), "attributes": attribute_options(study),
        "endpoints": endpoint_options(study), "default_group": default_group_for(study)})


def layout(group: str | None = None, gene: str | None = None, attribute: str | None = None,
           endpoint: str | None = None, landmark: str | None = None, **query) -> html.Div:
    """Grouping and endpoint pickers, the KM figure with its risk table, the statistics table."""
    options = study_choices()
    genes, attributes, endpoints = options["genes"], options["attributes"], options["endpoints"]
    choice, problems = choice_from_query({"group": group, "gene": gene, "attribute": attribute,
                                          "endpoint": endpoint, "landmark": landmark}, genes, attributes,
                                         endpoints=endpoints,
                                         default_group=options["default_group"])
    group_options = [{"label": label, "value": key} for key, label in GROUP_LABELS.items()]
    group_options += [{"label": label, "value": key} for key, label in ON_REQUEST_LABELS.items()
                      if key != ATTRIBUTE_GROUP or attributes]
    return page_frame(
        "Survival by group", query,
        html.Section(className="survival-controls", children=[
            html.Label(className="control control-wide", children=[
                html.Span("Group patients by"),
                dcc.Dropdown(id=ids.SURVIVAL_GROUP, options=group_options, value=choice.group, clearable=False),
            ]),
            html.Label(id=ids.SURVIVAL_GENE_FIELD, className="control", hidden=choice.group not in GENE_GROUPS,
                       children=[
                html.Span("Gene (mutation, amplification or deletion; most altered first)"),
                dcc.Dropdown(id=ids.SURVIVAL_GENE, options=options["gene_dropdown"],
                             value=choice.gene or default_gene(genes),
                             clearable=False),
            ]),
            html.Label(id=ids.SURVIVAL_ATTRIBUTE_FIELD, className="control", hidden=choice.group != ATTRIBUTE_GROUP,
                       children=[
                           html.Span("Clinical attribute (numbers split at the median)"),
                           dcc.Dropdown(id=ids.SURVIVAL_ATTRIBUTE, options=attributes,
                                        value=choice.attribute or (attributes[0] if attributes else None),
                                        clearable=False),
                       ]),
            html.Label(id=ids.SURVIVAL_LANDMARK_FIELD, className="control",
                       hidden=choice.group not in LANDMARK_GROUPS, children=[
                html.Span("Landmark day (days from the first trastuzumab dose)"),
                dcc.Input(id=ids.SURVIVAL_LANDMARK, type="number", min=0, step=1, value=choice.landmark_day,
                          debounce=True),
            ]),
            html.Fieldset(className="control", children=[
                html.Legend("Endpoint"),
                dcc.RadioItems(id=ids.SURVIVAL_ENDPOINT, value=choice.endpoint, inline=True,
                               options=endpoint_radio(endpoints)),
            ]),
            html.P(OS_NOTE, className="muted survival-note") if options["default_group"] != GENE_GROUP else None,
            html.Ul([html.Li(p) for p in problems], className="param-problems") if problems else None,
        ]),
        html.Section([
            html.H2(id=ids.SURVIVAL_TITLE),
            html.P(id=ids.SURVIVAL_PVALUE, className="survival-pvalue"),
            graph(ids.SURVIVAL_KM, filename="kaplan_meier"),
            html.P(className="muted figure-caption", children=(
                "Lightly shaded, with dotted edges: 95% confidence band (log-log), so that overlapping bands "
                "stay readable. Ticks (|): censored patients. Under the plot, the "
                "KMunicate table: patients still at risk after each time, and cumulative censored and events "
                "up to it. Times in months from the first trastuzumab dose.")),
        ]),
        html.Section([
            html.H2("Median survival and hazard ratios"),
            html.Div(id=ids.SURVIVAL_STATS),
        ]),
        html.P(className="muted survival-note", children=(
            "Groupings from the progression draw, from any sample, or by resistance class (defined by PFS) build "
            "the outcome into the groups (guarantee-time bias; Anderson, Cain and Gelber 1983); the page says so "
            "beside their p-value. Fair alternatives: the baseline-draw groupings, and the landmark analysis "
            "(groups from samples up to the landmark day, times counted from it, patients without follow-up "
            "beyond it left out and counted).")),
        html.Div(id=ids.SURVIVAL_CAVEATS),
        page_state=choice.state(),
        lead=LEAD,
    )
