"""Survival page: Kaplan-Meier figure, log-rank p, statistics and caveats for the grouping chosen."""

from __future__ import annotations

from dash import Input, Output, html, no_update
from dash.exceptions import PreventUpdate

from analysis.errors import AnalysisError
from analysis.pfs_groups import DEFAULT_LANDMARK_DAYS
from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.components.tables import data_table
from dashboard.parameters import params_from_store
from dashboard.views.survival import (
    ATTRIBUTE_GROUP,
    DEFAULT_ENDPOINT,
    DEFAULT_GROUP,
    ENDPOINTS,
    GENE_GROUPS,
    LANDMARK_GROUPS,
    SurvivalChoice,
    landmark_from_text,
    survival_view,
)

STATS_LABELS = {"group": "Group", "n": "Patients", "events": "Progressions", "censored": "Censored",
                "median": "Median, months (95% CI)", "hazard_ratio": "Cox HR vs reference (95% CI)",
                "hr_p": "HR p (Wald)", "hr_p_exact": "HR p (exact)"}
RISK_LABELS = {"group": "Group", "time": "Months", "at_risk": "At risk", "censored": "Censored (cumulative)",
               "events": "Events (cumulative)"}


def _choice(group, gene, attribute, endpoint=None, landmark=None) -> SurvivalChoice:
    day = landmark_from_text(landmark)
    return SurvivalChoice(group=group or DEFAULT_GROUP, gene=gene or None, attribute=attribute or None,
                          endpoint=endpoint if endpoint in ENDPOINTS else DEFAULT_ENDPOINT,
                          landmark_day=DEFAULT_LANDMARK_DAYS if day is None else day)


def draw_survival(ready, group, gene, attribute, endpoint="pfs", landmark=None):
    """KM figure, title, p-value sentence (with the guarantee-time caution), statistics tables and caveats."""
    if ready is None or not group:
        raise PreventUpdate
    choice = _choice(group, gene, attribute, endpoint, landmark)
    if (choice.group in GENE_GROUPS and not choice.gene) or (choice.group == ATTRIBUTE_GROUP and not choice.attribute):
        raise PreventUpdate
    service = get_analysis_service()
    params = params_from_store(ready)
    try:
        view = service.view("survival", params, lambda: survival_view(service.cohort(params), service.study, choice),
                            *choice.key())
    except (AnalysisError, OSError, KeyError, ValueError) as exc:
        alert = html.Div(className="alert alert-error", role="alert",
                         children=[html.Strong("This grouping could not be computed. "), str(exc)])
        return no_update, "", "", alert, None
    stats = [
        data_table(view.stats, ids.SURVIVAL_STATS_TABLE, {**STATS_LABELS, "events": view.event_label.capitalize()}),
        html.Details(className="risk-table-details", children=[
            html.Summary("Risk table as numbers (CSV download)"),
            data_table(view.risk, ids.SURVIVAL_RISK_TABLE, RISK_LABELS, page_size=30),
        ]),
    ]
    caveats = html.Details(className="caveats", open=True, children=[
        html.Summary(f"Caveats ({len(view.caveats)})"), html.Ul([html.Li(c) for c in view.caveats])],
    ) if view.caveats else None
    exact = view.p_value_exact
    p_value = [html.Span(view.p_value_text, title=f"exact p = {exact:.3g}" if exact == exact else None)]
    if view.bias_note:
        p_value += [html.Br(), html.Span(view.bias_note, id=ids.SURVIVAL_BIAS_NOTE, className="survival-bias-note")]
    return view.figure, view.title, p_value, stats, caveats


def show_fields(group):
    """The gene picker only for the gene groupings, the attribute picker only for "clinical attribute"."""
    return group not in GENE_GROUPS, group != ATTRIBUTE_GROUP


def show_landmark(group):
    """The landmark day only for the landmark groupings."""
    return group not in LANDMARK_GROUPS


def keep_state(group, gene, attribute, endpoint="pfs", landmark=None):
    """The grouping, endpoint and landmark choice go into the URL (page state)."""
    return _choice(group, gene, attribute, endpoint, landmark).state()


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    app.callback(
        Output(ids.SURVIVAL_KM, "figure"),
        Output(ids.SURVIVAL_TITLE, "children"),
        Output(ids.SURVIVAL_PVALUE, "children"),
        Output(ids.SURVIVAL_STATS, "children"),
        Output(ids.SURVIVAL_CAVEATS, "children"),
        Input(ids.COHORT_READY, "data"),
        Input(ids.SURVIVAL_GROUP, "value"),
        Input(ids.SURVIVAL_GENE, "value"),
        Input(ids.SURVIVAL_ATTRIBUTE, "value"),
        Input(ids.SURVIVAL_ENDPOINT, "value"),
        Input(ids.SURVIVAL_LANDMARK, "value"),
    )(draw_survival)
    app.callback(
        Output(ids.SURVIVAL_GENE_FIELD, "hidden"),
        Output(ids.SURVIVAL_ATTRIBUTE_FIELD, "hidden"),
        Input(ids.SURVIVAL_GROUP, "value"),
    )(show_fields)
    app.callback(Output(ids.SURVIVAL_LANDMARK_FIELD, "hidden"), Input(ids.SURVIVAL_GROUP, "value"))(show_landmark)
    app.callback(
        Output(ids.PAGE_STATE, "data", allow_duplicate=True),
        Input(ids.SURVIVAL_GROUP, "value"),
        Input(ids.SURVIVAL_GENE, "value"),
        Input(ids.SURVIVAL_ATTRIBUTE, "value"),
        Input(ids.SURVIVAL_ENDPOINT, "value"),
        Input(ids.SURVIVAL_LANDMARK, "value"),
        prevent_initial_call=True,
    )(keep_state)
