"""The parameter panel, the URL that mirrors it, and the whole-cohort computation it triggers."""

from __future__ import annotations

from dash import ALL, Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate

from analysis.errors import AnalysisError
from analysis.wording import analysis_step_name
from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.parameters import DEFAULTS, params_from_controls, params_from_store, params_to_query

CONTROLS = [ids.PARAM_CUTOFF, ids.PARAM_TISSUE_CUTOFF, ids.PARAM_PURITY, ids.PARAM_INNATE, ids.PARAM_BASELINE,
            ids.PARAM_PROGRESSION, ids.PARAM_KB]


def controls_to_params(cutoff, tissue_cutoff, purity, innate, baseline, progression, kb, current):
    """A control changed: store the new parameters (invalid entries keep their previous value)."""
    if cutoff is None or tissue_cutoff is None or innate is None:
        raise PreventUpdate  # a number box is being edited or out of range
    parsed = params_from_controls(cutoff, tissue_cutoff, purity, innate, baseline, progression, kb)
    query = params_to_query(parsed.params)
    if parsed.problems:
        previous = params_to_query(params_from_store(current))
        for key in ("baseline", "progression"):
            if any(key + "=" in problem for problem in parsed.problems):
                query.pop(key, None)
                if key in previous:
                    query[key] = previous[key]
    if query == (current or {}):
        raise PreventUpdate
    return query


def reset_parameters(_clicks):
    d = DEFAULTS
    return (d.plasma_amplification_cn, d.tissue_amplification_cn, ["on"] if d.purity_adjustment else [],
            d.innate_pfs_months, ",".join(map(str, d.baseline_window_days)),
            ",".join(map(str, d.progression_window_days)), d.knowledge_base)


# The URL mirrors the parameters (and page state) without reloading the page, and the
# navigation links carry the parameters to every other page.
URL_SYNC_JS = """
    function(params, pageState, hrefs) {
        const query = new URLSearchParams();
        for (const [k, v] of Object.entries(params || {})) { query.set(k, v); }
        for (const [k, v] of Object.entries(pageState || {})) {
            if (v !== null && v !== undefined && v !== "") { query.set(k, v); }
        }
        const search = query.toString() ? "?" + query.toString() : "";
        if (window.location.search !== search) {
            window.history.replaceState(window.history.state, "", window.location.pathname + search);
        }
        const global = new URLSearchParams();
        for (const [k, v] of Object.entries(params || {})) { global.set(k, v); }
        const g = global.toString() ? "?" + global.toString() : "";
        return [search, (hrefs || []).map(h => h.split("?")[0] + g)];
    }
    """



def summarise_parameters(query):
    from dashboard.parameters import URL_KEYS

    if not query:
        return "Analysis parameters: defaults"
    return "Analysis parameters: " + ", ".join(f"{URL_KEYS[k][1]} {v}" for k, v in query.items())


#: Clientside, as the page appears and at every parameter change: when the page was made with the cohort
#: analysis of exactly these parameters cached (``COHORT_STATUS``), the cohort is ready at once, with no round
#: trip; otherwise the server is asked (``COHORT_CHECK`` -> :func:`cohort_readiness`).
READINESS_JS = """
function(query, status) {
    const sorted = (value) => JSON.stringify(Object.keys(value || {}).sort().map((key) => [key, value[key]]));
    const current = query || {};
    if (status && status.cached_for && sorted(status.cached_for) === sorted(current)) {
        return [current, window.dash_clientside.no_update];
    }
    return [window.dash_clientside.no_update, {query: current, asked: Date.now()}];
}
"""


def cohort_readiness(check):
    """Cached cohort analysis: ready at once; otherwise hand over to the background computation."""
    service = get_analysis_service()
    query = (check or {}).get("query") or {}
    params = params_from_store(query)
    try:
        ready = service.cohort_is_cached(params)
    except (AnalysisError, OSError) as exc:
        return no_update, no_update, _error(exc), True
    if ready:
        return query or {}, no_update, None, True
    return no_update, query or {}, None, no_update


def compute_cohort(set_progress, query):
    """Compute (and cache) the whole-cohort analysis, reporting each step."""
    service = get_analysis_service()
    params = params_from_store(query)

    def report(done: int, total: int, step: str) -> None:
        set_progress((str(done), str(total), f" {analysis_step_name(step)}, {done + 1} of {total}"))

    try:
        service.cohort(params, progress=report)
    except (AnalysisError, OSError) as exc:
        return no_update, _error(exc)
    return query or {}, None


def _error(exc: Exception) -> html.Div:
    return html.Div(className="alert alert-error", role="alert", children=[
        html.Strong("The analysis could not run with these parameters. "), str(exc)])


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    app.callback(
        Output(ids.PARAMS, "data"),
        [Input(control, "value") for control in CONTROLS],
        State(ids.PARAMS, "data"),
        prevent_initial_call=True,
    )(controls_to_params)
    app.callback(
        [Output(control, "value", allow_duplicate=True) for control in CONTROLS],
        Input(ids.PARAM_RESET, "n_clicks"),
        prevent_initial_call=True,
    )(reset_parameters)
    app.callback(
        Output(ids.PARAM_SUMMARY, "children"),
        Input(ids.PARAMS, "data"),
        prevent_initial_call=True,
    )(summarise_parameters)
    app.clientside_callback(
        READINESS_JS,
        Output(ids.COHORT_READY, "data"),
        Output(ids.COHORT_CHECK, "data"),
        Input(ids.PARAMS, "data"),
        State(ids.COHORT_STATUS, "data"),
    )
    app.callback(
        Output(ids.COHORT_READY, "data", allow_duplicate=True),
        Output(ids.COHORT_NEEDED, "data"),
        Output(ids.COHORT_ERROR, "children"),
        Output(ids.COHORT_PROGRESS, "hidden", allow_duplicate=True),
        Input(ids.COHORT_CHECK, "data"),
        prevent_initial_call=True,
    )(cohort_readiness)
    app.callback(
        Output(ids.COHORT_READY, "data", allow_duplicate=True),
        Output(ids.COHORT_ERROR, "children", allow_duplicate=True),
        Input(ids.COHORT_NEEDED, "data"),
        background=True,
        progress=[Output(ids.COHORT_PROGRESS_BAR, "value"), Output(ids.COHORT_PROGRESS_BAR, "max"),
                  Output(ids.COHORT_PROGRESS_LABEL, "children")],
        running=[(Output(ids.COHORT_PROGRESS, "hidden"), False, True)],
        prevent_initial_call=True,
    )(compute_cohort)
    app.clientside_callback(
        URL_SYNC_JS,
        Output(ids.URL_SYNC, "data"),
        Output({"type": ids.NAV_LINK, "path": ALL}, "href"),
        Input(ids.PARAMS, "data"),
        Input(ids.PAGE_STATE, "data"),
        State({"type": ids.NAV_LINK, "path": ALL}, "href"),
    )
