"""What every page has around its own content: title, parameter panel, cohort progress."""

from __future__ import annotations

from dash import dcc, html

from analysis.errors import AnalysisError
from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.parameters import ParsedParameters, parameter_panel, params_from_query, params_to_query
from dashboard.study_service import get_service


def parse_page_query(query: dict) -> ParsedParameters:
    """The analysis parameters of a page's URL query."""
    return params_from_query(query, get_analysis_service().knowledge_bases())


def study_alert() -> html.Div | None:
    """Says so when the study files changed into something invalid (the last good study is still shown)."""
    outcome = get_service().refresh_if_changed()
    if outcome.ok:
        return None
    details = outcome.report.format().splitlines()[:10] if outcome.report is not None else [outcome.message]
    return html.Div(id=ids.STUDY_ALERT, className="alert alert-error", role="alert", children=[
        html.Strong("The study files changed and now have errors; the last valid version is still shown. "),
        html.Ul([html.Li(line) for line in details]),
    ])


def study_notice() -> html.Div | None:
    """Says so when the study folder was put back or tidied after a writer was stopped half-way."""
    notices = get_service().notices
    if not notices:
        return None
    return html.Div(id=ids.STUDY_NOTICE, className="alert alert-warning", role="status", children=[
        html.Strong("The study folder was recovered after an interrupted write. "),
        html.Ul([html.Li(notice) for notice in notices[-5:]]),
    ])


def cache_notice() -> html.Div | None:
    """Says so when the result cache on disk is deleted, damaged or full (results are recomputed)."""
    notice = getattr(get_analysis_service().cache, "notice", None)
    if not notice:
        return None
    return html.Div(notice, id=ids.CACHE_NOTICE, className="alert alert-warning", role="status")


def cohort_progress() -> html.Div:
    """Progress of the whole-cohort analysis; hidden while results are ready."""
    return html.Div(id=ids.COHORT_PROGRESS, className="cohort-progress", hidden=True, children=[
        html.Span("Computing the cohort analysis: ", className="muted"),
        html.Progress(id=ids.COHORT_PROGRESS_BAR, value="0", max="9"),
        html.Span(id=ids.COHORT_PROGRESS_LABEL, className="muted"),
    ])


def cohort_stores(parsed: ParsedParameters) -> list:
    """The stores through which a page waits for the whole-cohort analysis.

    When the analysis for the page's parameters is already cached, the page says so itself
    (``COHORT_STATUS``): the browser then marks the cohort ready at once (``READINESS_JS`` in
    :mod:`dashboard.callbacks.parameters`) and the page's callbacks start with the page, without first
    asking the server in a round trip of its own.  Otherwise (or after a parameter change) the browser
    asks the server (``COHORT_CHECK``), which starts the background computation when needed.
    """
    try:
        cached = get_analysis_service().cohort_is_cached(parsed.params)
    except (AnalysisError, OSError):  # unsure: the browser asks the server, which reports the error in words
        cached = False
    return [
        dcc.Store(id=ids.COHORT_STATUS, data={"cached_for": params_to_query(parsed.params)} if cached else {}),
        dcc.Store(id=ids.COHORT_CHECK),
        dcc.Store(id=ids.COHORT_READY),
        dcc.Store(id=ids.COHORT_NEEDED),
    ]


def page_frame(title: str, query: dict, *children, needs_cohort: bool = True, page_state: dict | None = None,
               lead: str | None = None) -> html.Div:
    """A page: parameter panel, (cohort progress), title, lead text, content, URL state store.

    Parameters
    ----------
    title
        The page heading.
    query
        The page's URL query arguments (analysis parameters and page state).
    needs_cohort
        Whether the page's callbacks wait for the whole-cohort analysis (``COHORT_READY``).
    page_state
        Page-specific values to keep in the URL (e.g. the chosen survival grouping).
    """
    knowledge_bases = get_analysis_service().knowledge_bases()
    parsed = params_from_query(query, knowledge_bases)
    return html.Div([
        *(cohort_stores(parsed) if needs_cohort else []),
        study_alert(),
        study_notice(),
        cache_notice(),
        parameter_panel(parsed, knowledge_bases),
        cohort_progress() if needs_cohort else None,
        html.Div(id=ids.COHORT_ERROR) if needs_cohort else None,
        dcc.Store(id=ids.PAGE_STATE, data=page_state or {}),
        html.H1(title),
        html.P(lead, className="lead") if lead else None,
        *children,
    ])
