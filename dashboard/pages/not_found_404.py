"""Any unknown address: the app's frame, what was asked for, and the ways back (issue 11.6)."""

from __future__ import annotations

import dash
from dash import dcc, html

dash.register_page(__name__, path="/404", name="Page not found", nav=False,
                   title="Page not found - HER2 liquid biopsy")


def layout(**_query) -> html.Div:
    return html.Div(className="not-found", children=[
        html.H1("Page not found"),
        html.P("There is no page at this address. It may have been mistyped, or come from an older "
               "version of the dashboard."),
        html.P(["Go to the ", dcc.Link("Overview", href="/"), ", the ", dcc.Link("Cohort", href="/cohort"),
                " (every patient, with links to their pages), or find a patient with the search box above."]),
    ])
