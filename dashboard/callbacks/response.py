"""Response page: figures and tables from the cached response view; a click on a point opens the patient."""

from __future__ import annotations

from dash import Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate

from analysis import caveats as C
from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.callbacks.concordance import caveat_list
from dashboard.components.tables import rows_store, stat_card
from dashboard.figures.plotly_text import unescape
from dashboard.parameters import params_from_store, query_string
from dashboard.views.patient_navigation import patient_path
from dashboard.views.response import response_view

CLICKABLE = [
    ids.RESPONSE_SCATTER_CN,
    ids.RESPONSE_SCATTER_CEA,
    ids.RESPONSE_LEAD_PLOT,
    ids.RESPONSE_HER2_SLOPE,
]


def fill_response(ready):
    """Everything on the page, from one cached view of the response analysis."""
    if ready is None:
        raise PreventUpdate  # the cohort analysis is still being computed
    service = get_analysis_service()
    params = params_from_store(ready)
    cohort = service.cohort(params)
    view = service.view(
        "response", params, lambda: response_view(
            cohort.response, params, cohort.trajectories.patients,
            cohort.trajectories.caveats_about(C.BASELINE, C.CEA, C.IMAGING, C.FOLLOW_UP)),
    )
    cards = [stat_card(label, value, detail) for value, label, detail in view["headline"]]
    auc_items = [
        html.Li(view["auc_her2_text"], id="response-auc-her2"),
        html.Li(view["auc_cea_text"], id="response-auc-cea"),
    ]
    return (
        cards,
        view["scatter_cn"],
        view["scatter_cea"],
        view["correlations"],
        view["roc"],
        auc_items,
        view["delong_text"],
        view["auc"],
        view["lead_text"],
        view["lead_plot"],
        view["lead_table"],
        view["her2_slope"],
        view["her2_table"],
        view["assessments"],
        caveat_list(view["caveats"]),
    )


def patient_from_click(click_data: dict | None) -> str | None:
    """The patient id of a clicked point (``customdata[0]``, escaped for plotly: decoded here), or None."""
    points = (click_data or {}).get("points") or []
    if not points:
        return None
    custom = points[0].get("customdata")
    if isinstance(custom, list) and custom:
        custom = custom[0]
    # Only a patient's point carries an id; a bar of counts (lead times of many patients) carries numbers.
    return unescape(custom) if isinstance(custom, str) else None


def open_patient(*args):
    """A click on a patient's point opens the patient page with the same parameters."""
    *clicks, query = args
    clicked = dict(zip(CLICKABLE, clicks, strict=True)).get(ctx.triggered_id)
    patient_id = patient_from_click(clicked)
    if not patient_id:
        raise PreventUpdate
    return patient_path(patient_id) + query_string(params_from_store(query))


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    app.callback(
        Output(ids.RESPONSE_HEADLINE, "children"),
        Output(ids.RESPONSE_SCATTER_CN, "figure"),
        Output(ids.RESPONSE_SCATTER_CEA, "figure"),
        Output(rows_store(ids.RESPONSE_CORRELATIONS), "data"),
        Output(ids.RESPONSE_ROC, "figure"),
        Output(ids.RESPONSE_AUC, "children"),
        Output(ids.RESPONSE_DELONG, "children"),
        Output(rows_store(ids.RESPONSE_AUC_TABLE), "data"),
        Output(ids.RESPONSE_LEAD_SUMMARY, "children"),
        Output(ids.RESPONSE_LEAD_PLOT, "figure"),
        Output(rows_store(ids.RESPONSE_LEAD_TABLE), "data"),
        Output(ids.RESPONSE_HER2_SLOPE, "figure"),
        Output(rows_store(ids.RESPONSE_HER2_TABLE), "data"),
        Output(rows_store(ids.RESPONSE_PAIRS_TABLE), "data"),
        Output(ids.RESPONSE_CAVEATS, "children"),
        Input(ids.COHORT_READY, "data"),
    )(fill_response)
    app.callback(
        Output(ids.RESPONSE_NAVIGATE, "href"),
        [Input(graph_id, "clickData") for graph_id in CLICKABLE],
        State(ids.PARAMS, "data"),
        prevent_initial_call=True,
    )(open_patient)
