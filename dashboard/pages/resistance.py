"""Resistance: oncoprint of resistance mechanisms, mechanism tables, HER2 CN at progression by class."""

from __future__ import annotations

import dash
from dash import dcc, html

from analysis.oncoprint import gene_ranking
from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.components.graphs import graph
from dashboard.page_frame import page_frame, parse_page_query
from dashboard.views.resistance import MAX_ONCOPRINT_PATIENTS, SHOWS, SORTS, gene_options, page_state, parse_genes

dash.register_page(__name__, path="/resistance", name="Resistance", order=5,
                   title="Resistance mechanisms - HER2 liquid biopsy")

LEAD = ("Known trastuzumab-resistance mechanisms (knowledge base matches) in each patient's baseline and "
        "progression plasma draws, with tissue alongside. Percentages are over progressors.")


def gene_picker_options(query: dict, picked: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """The gene picker's options for the URL's parameters (cached on study and parameters)."""
    service = get_analysis_service()
    params = parse_page_query(query).params
    ranking = service.view("resistance-gene-ranking", params, lambda: gene_ranking(service.study, params))
    return gene_options(ranking, picked)


def layout(sort: str | None = None, show: str | None = None, genes: str | None = None, **query) -> html.Div:
    """Headline, oncoprint controls and figure, mechanism tables, HER2 CN at progression vs baseline."""
    state = page_state(sort, show, genes)
    picked = parse_genes(genes)
    return page_frame(
        "Resistance mechanisms", query,
        html.Div(id=ids.RESISTANCE_HEADLINE, className="stat-row"),
        html.Section(className="resistance-oncoprint", children=[
            html.H2("Oncoprint: patients x genes"),
            html.Div(className="resistance-controls", children=[
                html.Label(className="control", children=[
                    html.Span("Sort patients by"),
                    dcc.Dropdown(id=ids.RESISTANCE_SORT, value=state["sort"], clearable=False, searchable=False,
                                 options=[{"label": label, "value": key} for key, label in SORTS.items()]),
                ]),
                html.Fieldset(className="control", children=[
                    html.Legend("Show"),
                    dcc.RadioItems(id=ids.RESISTANCE_SHOW, value=state["show"], inline=True,
                                   options=[{"label": label, "value": key} for key, label in SHOWS.items()]),
                ]),
            ]),
            html.Div(className="resistance-controls resistance-gene-picker", children=[
                html.Label(className="control control-wide", children=[
                    html.Span("Genes (patients with an altered sample; most altered first)"),
                    dcc.Dropdown(id=ids.RESISTANCE_GENES, multi=True, value=list(picked),
                                 options=gene_picker_options(query, picked),
                                 placeholder="Default genes (filled in when the cohort analysis is ready)"),
                ]),
                html.Button("Reset to default genes", id=ids.RESISTANCE_GENES_RESET, className="button-secondary"),
                dcc.Store(id=ids.RESISTANCE_GENES_DEFAULT),
            ]),
            html.Div(id=ids.RESISTANCE_GENES_NOTE, className="muted oncoprint-note"),
            html.Div(id=ids.RESISTANCE_ONCOPRINT_NOTE, className="muted oncoprint-note"),
            graph(ids.RESISTANCE_ONCOPRINT, filename="oncoprint"),
            html.P(className="muted figure-caption", children=[
                "Each gene has a plasma row (baseline and progression draws) and a tissue row, in cBioPortal's "
                "oncoprint colours. Full cells: copy-number change (red: amplification at or above the plasma / "
                "tissue cutoff; blue: deep deletion; red outline: HER2 loss at progression); narrower purple "
                "bars: structural variants (fusions, one cell per partner gene); thin inner bars: "
                "protein-changing mutations (green missense, black truncating, brown in-frame); yellow diamond: "
                "new at "
                "progression (absent from the baseline draw); white triangle: expanding (present at baseline, VAF "
                "at least doubled); open circle: status unknown (no baseline draw). Grey hatching: not profiled "
                "(the gene is not on the panel of the patient's samples shown), which is not the same as not "
                "altered. Right: share of the profiled patients shown with an alteration in that row (plasma "
                "rows blue, tissue rows orange; hover for the count). "
                f"At most {MAX_ONCOPRINT_PATIENTS} patients are drawn. Click a patient column to open the "
                "patient's page."]),
            dcc.Location(id=ids.RESISTANCE_NAVIGATE, refresh="callback-nav"),
        ]),
        html.Div(id=ids.RESISTANCE_TABLES, className="resistance-tables"),
        html.Section([
            html.H2("Plasma HER2 copy number at progression vs baseline, by resistance class"),
            graph(ids.RESISTANCE_HER2_SLOPE, filename="her2_cn_progression_vs_baseline"),
            html.P(className="muted figure-caption", children=(
                "One line per progressor with an ERBB2 copy number at both the baseline and the progression "
                "draw; the dotted black line joins the class medians. Wang et al. (Gut 2019) found HER2 CN at "
                "progression mostly above baseline in innate and below baseline in acquired resistance.")),
        ]),
        html.Div(id=ids.RESISTANCE_CAVEATS),
        page_state=state,
        lead=LEAD,
    )
