"""Response: plasma HER2 CN vs CEA vs tumour size at each scan, AUCs for progression, lead times."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.components.graphs import graph
from dashboard.components.tables import data_table
from dashboard.page_frame import page_frame, parse_page_query
from dashboard.views.concordance import empty_frame
from dashboard.views.response import (
    ASSESSMENT_LABELS,
    ASSESSMENT_NUMERIC,
    AUC_LABELS,
    AUC_NUMERIC,
    CORRELATION_LABELS,
    CORRELATION_NUMERIC,
    HER2_CLASS_LABELS,
    HER2_CLASS_NUMERIC,
    LEAD_LABELS,
    LEAD_NUMERIC,
)

dash.register_page(
    __name__, path="/response", name="Response", order=4, title="Response - HER2 liquid biopsy"
)


def layout(**query) -> html.Div:
    """The page skeleton; dashboard.callbacks.response fills it once the cohort analysis is ready."""
    window = parse_page_query(query).params.pairing_window_days
    return page_frame(
        "Response: plasma HER2 CN vs CEA vs tumour size",
        query,
        dcc.Location(id=ids.RESPONSE_NAVIGATE, refresh="callback-nav"),
        html.Div(id=ids.RESPONSE_HEADLINE, className="stat-row"),
        html.Section(
            [
                html.H2("Change from baseline at each scan"),
                html.P(
                    "Each scan after baseline is paired with the nearest plasma draw and the nearest CEA "
                    f"value within {window} days (same-day CEA values averaged). Points are scans; colour "
                    "marks radiological progression (PD). Click a point to open the patient.",
                    className="muted small",
                ),
                html.Div(
                    className="two-col",
                    children=[
                        graph(ids.RESPONSE_SCATTER_CN, filename="response-her2-cn-vs-tumour"),
                        graph(ids.RESPONSE_SCATTER_CEA, filename="response-cea-vs-tumour"),
                    ],
                ),
                html.H3("Spearman correlations of the % changes"),
                data_table(empty_frame(CORRELATION_LABELS), ids.RESPONSE_CORRELATIONS, CORRELATION_LABELS,
                           numeric=CORRELATION_NUMERIC, rows_after_figures=True),
            ]
        ),
        html.Section(
            [
                html.H2("Which marker flags progression: ROC curves side by side"),
                html.Div(
                    className="two-col",
                    children=[
                        graph(ids.RESPONSE_ROC, filename="response-roc-her2-vs-cea"),
                        html.Div(
                            className="response-auc",
                            children=[
                                html.Ul(id=ids.RESPONSE_AUC, className="auc-list"),
                                html.P(id=ids.RESPONSE_DELONG, className="delong"),
                                data_table(empty_frame(AUC_LABELS), ids.RESPONSE_AUC_TABLE, AUC_LABELS,
                                           numeric=AUC_NUMERIC, rows_after_figures=True),
                                html.P(
                                    "Score: % change from baseline at the scan (higher = more "
                                    "suspicious). Scans of one patient are treated as independent, so "
                                    "intervals may be too narrow.",
                                    className="muted small",
                                ),
                            ],
                        ),
                    ],
                ),
            ]
        ),
        html.Section(
            [
                html.H2("Lead time: HER2 CN rise before radiological progression"),
                html.P(
                    "A rise is the first draw after baseline whose ERBB2 CN is at least nadir + max(0.5, "
                    "0.5 x (nadir - 2)) copies. Lead time = progression day - rise day.",
                    className="muted small",
                ),
                html.P(id=ids.RESPONSE_LEAD_SUMMARY, className="lead-summary"),
                html.Div(
                    className="two-col",
                    children=[
                        graph(ids.RESPONSE_LEAD_PLOT, filename="response-lead-times"),
                        data_table(
                            empty_frame(LEAD_LABELS), ids.RESPONSE_LEAD_TABLE, LEAD_LABELS, page_size=12,
                            numeric=LEAD_NUMERIC, rows_after_figures=True
                        ),
                    ],
                ),
            ]
        ),
        html.Section(
            [
                html.H2("HER2 CN at progression vs baseline, by resistance class"),
                html.P(
                    "Innate: progression at the first evaluation or PFS below the innate cutoff; acquired: "
                    "later. Wilcoxon signed-rank test of progression vs baseline within each class.",
                    className="muted small",
                ),
                graph(ids.RESPONSE_HER2_SLOPE, filename="response-her2-at-progression"),
                data_table(empty_frame(HER2_CLASS_LABELS), ids.RESPONSE_HER2_TABLE, HER2_CLASS_LABELS,
                           numeric=HER2_CLASS_NUMERIC, rows_after_figures=True),
            ]
        ),
        html.Section(
            [
                html.H2("Every scan and what it was paired with"),
                data_table(
                    empty_frame(ASSESSMENT_LABELS), ids.RESPONSE_PAIRS_TABLE, ASSESSMENT_LABELS, page_size=15,
                    numeric=ASSESSMENT_NUMERIC, rows_after_figures=True
                ),
            ]
        ),
        html.Div(id=ids.RESPONSE_CAVEATS),
    )
