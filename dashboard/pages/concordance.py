"""Concordance: plasma vs tissue agreement on paired baseline samples, with a plasma ERBB2 cutoff slider."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.callbacks.table_pages import study_needs_server_rows
from dashboard.components.graphs import graph
from dashboard.components.tables import data_table
from dashboard.page_frame import page_frame, parse_page_query
from dashboard.views.concordance import (
    DETECTION_LABELS,
    DETECTION_NUMERIC,
    PER_GENE_LABELS,
    PER_GENE_NUMERIC,
    PER_PATIENT_LABELS,
    PER_PATIENT_NUMERIC,
    empty_frame,
    slider_spec,
)

dash.register_page(
    __name__, path="/concordance", name="Concordance", order=3, title="Concordance - HER2 liquid biopsy"
)

LEAD = (
    "Agreement between the baseline plasma draw and the baseline tissue sample of each patient who has both. "
    "Tissue is a comparator, not the truth: a plasma call that tissue misses may be tissue heterogeneity or "
    "sampling, so these are agreement statistics (PPA, NPA, OPA), not sensitivity or specificity."
)


def _slider_block(spec, analysis_cutoff: float) -> html.Div:
    return html.Div(
        className="concordance-slider",
        children=[
            html.Label(
                "Plasma ERBB2 amplification cutoff (copies): drag it, use the arrow keys (0.05 copies; "
                "Page Up/Down 0.5) or type a value",
                htmlFor=ids.CONCORDANCE_SLIDER,
                id="concordance-slider-label",
            ),
            dcc.Slider(
                id=ids.CONCORDANCE_SLIDER,
                min=spec.minimum,
                max=spec.maximum,
                step=spec.step,
                value=spec.value,
                marks=spec.marks,
                updatemode="mouseup",
                allow_direct_input=True,
                tooltip={"always_visible": False, "placement": "bottom"},
            ),
            html.Div(
                className="concordance-slider-buttons",
                children=[
                    html.Button(
                        f"Analysis cutoff ({analysis_cutoff:g})",
                        id=ids.CONCORDANCE_SLIDER_ANALYSIS,
                        className="button-secondary button-small",
                        title="Set the slider to the cutoff used on every page (parameter panel)",
                    ),
                    html.Button(
                        "Youden cutoff",
                        id=ids.CONCORDANCE_SLIDER_YOUDEN,
                        className="button-secondary button-small",
                        title="Set the slider to the cutoff with the largest PPA + NPA - 1 vs tissue NGS",
                    ),
                ],
            ),
            html.P(spec.problem, className="param-problems") if spec.problem else None,
            html.P(id=ids.CONCORDANCE_SLIDER_NOTE, className="muted", **{"aria-live": "polite"}),
        ],
    )


def layout(**query) -> html.Div:
    """The page skeleton; dashboard.callbacks.concordance fills it once the cohort analysis is ready."""
    params = parse_page_query(query).params
    spec = slider_spec(params.plasma_amplification_cn, query.get("slider"))
    page_state = {"slider": f"{spec.value:g}"} if query.get("slider") and spec.problem is None else {}
    return page_frame(
        "Plasma vs tissue concordance",
        query,
        html.Div(id=ids.CONCORDANCE_HEADLINE, className="stat-row"),
        html.Div(
            className="concordance-stats-export",
            children=[
                html.Button(
                    "Download statistics (CSV)",
                    id=ids.CONCORDANCE_STATS_BUTTON,
                    className="button-secondary button-small",
                    n_clicks=0,
                    title="Every concordance and survival statistic as one tidy CSV: page, comparison, "
                    "statistic, estimate, ci_low, ci_high, p_value, n",
                ),
                dcc.Download(id=ids.CONCORDANCE_STATS_DOWNLOAD),
            ],
        ),
        html.Section(
            className="concordance-her2",
            children=[
                html.H2("HER2 amplification: plasma vs tissue"),
                _slider_block(spec, params.plasma_amplification_cn),
                html.Div(
                    className="two-col",
                    children=[
                        html.Div(
                            id=ids.CONCORDANCE_NGS,
                            className="concordance-2x2",
                            children=html.P("Waiting for the cohort analysis...", className="muted"),
                        ),
                        html.Div(id=ids.CONCORDANCE_PATHOLOGY, className="concordance-2x2"),
                    ],
                ),
                html.P(
                    [
                        "Rows: the plasma call; columns: the comparator. PPA = a/(a+c), NPA = d/(b+d), "
                        "OPA = (a+d)/n, PPV = a/(a+b), NPV = d/(c+d); Wilson 95% intervals; Cohen's kappa "
                        "with a large-sample interval; McNemar's exact test asks whether plasma-only (b) and "
                        "tissue-only (c) calls are equally common."
                    ],
                    className="muted small",
                ),
            ],
        ),
        html.Div(
            className="two-col",
            children=[
                html.Section(
                    [
                        html.H2("Copy number: plasma against tissue"),
                        graph(ids.CONCORDANCE_SCATTER, filename="concordance-erbb2-scatter"),
                    ]
                ),
                html.Section(
                    [
                        html.H2("Cutoff sweep: ROC of plasma ERBB2 CN"),
                        graph(ids.CONCORDANCE_ROC, filename="concordance-erbb2-roc"),
                    ]
                ),
            ],
        ),
        html.Section(
            [
                html.H2("Agreement per gene and alteration type"),
                html.P(
                    "Mutations: any protein-changing variant of the gene (a gene without a reported "
                    "variant counts as wild type). Amplifications: CN at or above the cutoff in each sample "
                    "type; a pair without a value is 'not measured', not negative. CH gene: often mutated by "
                    "clonal haematopoiesis, so plasma-only calls are expected.",
                    className="muted small",
                ),
                data_table(
                    empty_frame(PER_GENE_LABELS), ids.CONCORDANCE_GENE_TABLE, PER_GENE_LABELS, page_size=15,
                    numeric=PER_GENE_NUMERIC, rows_after_figures=True
                ),
            ]
        ),
        html.Section(
            [
                html.H2("Tissue-informed detection by plasma tumour fraction"),
                html.P(
                    "Share of each patient's tissue mutations found in the baseline plasma draw, by the "
                    "draw's tumour fraction. Variants of one patient are not independent: the intervals are "
                    "optimistic.",
                    className="muted small",
                ),
                html.Div(
                    className="concordance-detection",
                    children=[
                        graph(
                            ids.CONCORDANCE_DETECTION_BAR, filename="concordance-detection-by-tumour-fraction"
                        ),
                        data_table(
                            empty_frame(DETECTION_LABELS), ids.CONCORDANCE_DETECTION_TABLE, DETECTION_LABELS,
                            numeric=DETECTION_NUMERIC, rows_after_figures=True
                        ),
                    ],
                ),
            ]
        ),
        html.Section(
            [
                html.H2("Per patient"),
                data_table(
                    empty_frame(PER_PATIENT_LABELS),
                    ids.CONCORDANCE_PATIENT_TABLE,
                    PER_PATIENT_LABELS,
                    page_size=15,
                    numeric=PER_PATIENT_NUMERIC,
                    # one row per paired patient: paged on the server for large studies
                    pageable=True, server_rows=study_needs_server_rows(), rows_after_figures=True,
                ),
            ]
        ),
        html.Div(id=ids.CONCORDANCE_CAVEATS),
        page_state=page_state,
        lead=LEAD,
    )
