"""The frame around every page: header with navigation, the page, a footer."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids


def shell() -> html.Div:
    """The app layout: navigation built from the registered pages, then the page container."""
    links = [
        dcc.Link(page["name"], href=page["relative_path"], className="nav-link",
                 id={"type": ids.NAV_LINK, "path": page["relative_path"]})
        for page in dash.page_registry.values()
        if page.get("nav", True) is not False and page.get("path_template") is None
    ]
    return html.Div(className="app", children=[
        html.Header(className="app-header", children=[
            html.Div(className="brand", children=[
                html.Span("HER2 liquid biopsy", className="brand-title"),
                html.Span("trastuzumab resistance in HER2+ metastatic gastric cancer", className="brand-sub"),
            ]),
            html.Nav(links, className="nav", **{"aria-label": "Pages"}),
            patient_search(),
        ]),
        dcc.Store(id=ids.URL_SYNC),
        html.Main(dash.page_container, className="page"),
        html.Footer(className="app-footer", children=[
            "Research use. Analyses follow Wang et al., Gut 2019;68:1152-1161. ",
            "Tissue is a comparator, not ground truth: agreement statistics are reported as agreement.",
        ]),
    ])


def patient_search() -> html.Div:
    """The patient search box of every page (dashboard.callbacks.search): id, partial id, any case."""
    return html.Div(className="patient-search", role="search", children=[
        html.Label([html.Span("Find a patient by id", className="visually-hidden"),
                    dcc.Input(id=ids.PATIENT_SEARCH, type="search", placeholder="Find a patient by id",
                              debounce=0.25, autoComplete="off")]),
        html.Button("Go", id=ids.PATIENT_SEARCH_GO, className="button-small"),
        html.Div(id=ids.PATIENT_SEARCH_RESULTS, className="search-results", **{"aria-live": "polite"}),
        dcc.Location(id=ids.PATIENT_SEARCH_NAVIGATE, refresh="callback-nav"),
        dcc.Store(id=ids.PATIENT_SEARCH_SUBMITTED),
    ])
