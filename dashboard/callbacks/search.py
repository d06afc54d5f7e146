"""The patient search box in the page header: exact id opens the patient, anything else suggests patients."""

from __future__ import annotations

from dash import Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.parameters import params_from_store, params_to_query
from dashboard.views.patient_navigation import find_patients, patient_href


def search_patients(submitted, text, _pathname, params_query):
    """Typing suggests patients; Enter or "Go" opens the patient found (an exact id in any case, or the only
    match), carrying the analysis parameters in force.  Opening a page closes the suggestions.

    Enter and "Go" come as *submitted*, the box's text read in the browser at that moment: the box's
    ``value`` waits 0.25 s after the last key (debounce), so "p033" typed and Enter pressed at once would
    otherwise open with the text of before (or nothing)."""
    if ctx.triggered_id == ids.PAGES_LOCATION:
        return no_update, None
    opening = ctx.triggered_id == ids.PATIENT_SEARCH_SUBMITTED
    if opening:
        text = (submitted or {}).get("text", "")
    result = find_patients(text, get_analysis_service().patient_ids())
    if not result.text:
        return no_update, None
    query = params_to_query(params_from_store(params_query))
    if opening and result.patient_id is not None:
        return patient_href(result.patient_id, query), None
    if not result.suggestions:
        return no_update, html.P(result.message, className="search-message")
    return no_update, html.Div([
        html.P(result.message, className="search-message"),
        html.Ul([html.Li(dcc.Link(pid, href=patient_href(pid, query))) for pid in result.suggestions]),
    ])


#: Clientside: Enter or "Go" reads the box's text as it is now (its debounced value may lag behind).
SUBMIT_JS = """
function(_submitted, _clicked) {
    const box = document.getElementById("BOX");
    return {text: box ? box.value : "", at: Date.now()};
}
""".replace("BOX", ids.PATIENT_SEARCH)


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    app.clientside_callback(
        SUBMIT_JS,
        Output(ids.PATIENT_SEARCH_SUBMITTED, "data"),
        Input(ids.PATIENT_SEARCH, "n_submit"),
        Input(ids.PATIENT_SEARCH_GO, "n_clicks"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.PATIENT_SEARCH_NAVIGATE, "href"),
        Output(ids.PATIENT_SEARCH_RESULTS, "children"),
        Input(ids.PATIENT_SEARCH_SUBMITTED, "data"),
        Input(ids.PATIENT_SEARCH, "value"),
        Input(ids.PAGES_LOCATION, "pathname"),
        # The parameter store is part of each page's content, which is not there yet on the first load.
        State(ids.PARAMS, "data", allow_optional=True),
        prevent_initial_call=True,
    )(search_patients)
