"""Resistance page: oncoprint for the chosen sort and filter, mechanism tables, HER2 CN slope plot."""

from __future__ import annotations

from pathlib import Path

from dash import Input, Output, State, ctx, html, no_update
from dash.exceptions import MissingCallbackContextException, PreventUpdate

from analysis.errors import AnalysisError
from analysis.oncoprint import GENES_MOST_ALTERED, MIN_KB_GENES_ALTERED, gene_ranking
from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.components.tables import data_table, stat_card
from dashboard.figures.oncoprint import oncoprint_figure
from dashboard.figures.plotly_text import unescape
from dashboard.figures.resistance import her2_slope_figure
from dashboard.parameters import params_from_store, query_string
from dashboard.views.patient_navigation import patient_path
from dashboard.views.resistance import (
    enrichment_table,
    evidence_table,
    gene_options,
    headline,
    her2_progression_frame,
    her_family_mutation_table,
    mechanism_table,
    oncoprint_for_genes,
    oncoprint_view,
    page_state,
    parse_genes,
    progressors_without_paired_cn,
    resistance_caveats,
    select_patients,
)

MECHANISM_LABELS = {"mechanisms": "Mechanisms per progressor", "patients": "Progressors",
                    "of_progressors": "n / progressors", "percent": "%", "ci": "95% CI (Wilson)"}
HER_FAMILY_LABELS = {"draw": "Plasma draw", "patients": "Progressors with a mutation",
                     "of_progressors": "n / progressors", "percent": "%", "ci": "95% CI (Wilson)"}
ENRICHMENT_LABELS = {"level": "Level", "mechanism": "Mechanism", "innate": "Innate with (n/N)",
                     "acquired": "Acquired with (n/N)", "odds_ratio": "Odds ratio, innate vs acquired (95% CI)",
                     "p_value": "Fisher exact p (two-sided)", "p_exact": "Fisher p (exact)"}
EVIDENCE_LABELS = {"patient_id": "Patient", "pathway": "Pathway", "gene": "Gene", "alteration": "Alteration",
                   "draw": "Draw", "sample_id": "Sample", "day": "Day", "vaf_pct": "VAF (%)",
                   "copy_number": "CN (copies)",
                   "status": "Status (baseline / expanding / new at progression)",
                   "evidence_direction": "Evidence", "citation": "Citation",
                   "tumour_fraction_note": "Tumour fraction"}


def _alert(exc: Exception) -> html.Div:
    return html.Div(className="alert alert-error", role="alert",
                    children=[html.Strong("The resistance analysis could not be shown. "), str(exc)])


def draw_oncoprint(ready, sort, show, genes=None):
    """The oncoprint figure and its note (what was capped) for the sort, filter and genes chosen
    (no genes picked: the default genes)."""
    if ready is None:
        raise PreventUpdate
    service = get_analysis_service()
    params = params_from_store(ready)
    state = page_state(sort, show)
    picked = parse_genes(genes)

    def build() -> dict:
        cohort = service.cohort(params)
        oncoprint = oncoprint_for_genes(cohort.oncoprint, service.study, cohort.trajectories, cohort.resistance,
                                        params, picked)
        view = oncoprint_view(oncoprint, cohort.trajectories, service.study, state["sort"], state["show"])
        figure = oncoprint_figure(view.patient_ids, view.rows, view.cells, view.tracks, view.details,
                                  not_profiled=view.not_profiled)
        selection = view.selection
        unprofiled = f", {len(view.not_profiled)} not profiled" if len(view.not_profiled) else ""
        note = selection.note or (f"{len(selection.patient_ids)} of {selection.n_cohort} patients shown, "
                                  f"{len(oncoprint.gene_order)} genes, {len(view.cells)} altered cells{unprofiled}.")
        return {"figure": figure.to_plotly_json(), "note": note}

    try:
        result = service.view("resistance-oncoprint", params, build, state["sort"], state["show"],
                              ",".join(sorted(picked)))
    except (AnalysisError, OSError) as exc:
        return no_update, _alert(exc)
    return result["figure"], result["note"]


def default_genes_note(gene_choice: str, n_genes: int) -> str:
    """How the default genes were chosen, in words."""
    if gene_choice == GENES_MOST_ALTERED:
        return (f"Default genes: the study's most altered genes ({n_genes}), because fewer than "
                f"{MIN_KB_GENES_ALTERED} knowledge-base genes are altered.")
    return f"Default genes: the knowledge-base genes altered in at least one patient ({n_genes})."


def fill_gene_picker(ready, _reset_clicks, current, previous_default=None):
    """Options (with altered-patient counts for the current parameters), the default genes, and the value:
    the genes picked (kept), else the defaults; "Reset to default genes" puts the defaults back.  A value
    that was the previous defaults follows the new ones (parameters changed what is altered)."""
    if ready is None:
        raise PreventUpdate
    service = get_analysis_service()
    params = params_from_store(ready)

    def build() -> dict:
        oncoprint = service.cohort(params).oncoprint
        return {"default": list(oncoprint.gene_order), "choice": oncoprint.gene_choice,
                "ranking": gene_ranking(service.study, params)}

    try:
        view = service.view("resistance-gene-picker", params, build)
    except (AnalysisError, OSError) as exc:
        return no_update, no_update, no_update, _alert(exc)
    picked = parse_genes(current)
    was_default = bool(previous_default) and set(picked) == set(parse_genes(previous_default))
    value = view["default"] if _reset_pressed() or not picked or was_default else list(picked)
    options = gene_options(view["ranking"], [g for g in value if g])
    return options, value, view["default"], default_genes_note(view["choice"], len(view["default"]))


#: The tables sit between the oncoprint and the slope plot: they get their columns and rows once both are drawn.
AFTER_FIGURES = {"rows_after_figures": True, "store_rows": True}


def fill_tables(ready, show):
    """Headline, mechanism / enrichment / evidence tables and the HER2 CN slope plot."""
    if ready is None:
        raise PreventUpdate
    service = get_analysis_service()
    params = params_from_store(ready)
    state = page_state(None, show)

    def build() -> dict:
        cohort = service.cohort(params)
        resistance = cohort.resistance
        # The same patients as the oncoprint (capped on large studies), whatever their order.
        shown = select_patients(cohort.oncoprint, show=state["show"])
        slope = her2_progression_frame(cohort.trajectories)
        return {
            "headline": headline(resistance),
            "mechanisms": mechanism_table(resistance),
            "her_family": her_family_mutation_table(resistance),
            "enrichment": enrichment_table(resistance),
            "evidence": evidence_table(resistance, shown.patient_ids),
            "slope": her2_slope_figure(slope, params.plasma_amplification_cn).to_plotly_json(),
            "slope_left_out": progressors_without_paired_cn(cohort.trajectories),
            "caveats": resistance_caveats(resistance, cohort.oncoprint, cohort.trajectories),
            "kb_version": str(resistance.knowledge_base.version),
            "kb_file": Path(resistance.knowledge_base.path).name,
            "show_label": state["show"],
        }

    try:
        view = service.view("resistance-tables", params, build, state["show"])
    except (AnalysisError, OSError) as exc:
        return None, _alert(exc), no_update, None
    head = view["headline"]
    cards = [
        stat_card("progressors with at least one known resistance mechanism", head["value"], head["detail"],
                  card_id="resistance-with-mechanism"),
        stat_card("knowledge base version", view["kb_version"], view["kb_file"]),
    ]
    tables = [
        html.Div(className="resistance-table-row", children=[
            html.Section([
                html.H2("Resistance mechanisms per progressor"),
                data_table(view["mechanisms"], ids.RESISTANCE_MECHANISM_TABLE, MECHANISM_LABELS, **AFTER_FIGURES),
                html.P("A mechanism is a pathway with at least one knowledge-base match in the baseline or "
                       "progression plasma draw.", className="muted"),
                html.H2("ERBB2/ERBB4 mutations in progressors, by draw"),
                data_table(view["her_family"], ids.RESISTANCE_HER_FAMILY_TABLE, HER_FAMILY_LABELS, **AFTER_FIGURES),
                html.P("Knowledge-base ERBB2 or ERBB4 mutations (not amplification) in the baseline and in the "
                       "progression plasma draw (Wang et al. 2019: 6/17 and 5/17).", className="muted"),
            ]),
            html.Section([
                html.H2("Enrichment in innate vs acquired resistance"),
                data_table(view["enrichment"], ids.RESISTANCE_ENRICHMENT_TABLE, ENRICHMENT_LABELS, page_size=12,
                           **AFTER_FIGURES),
                html.P("Fisher exact test per mechanism, progressors only; p-values are not adjusted for multiple "
                       "testing. An infinite odds ratio means no acquired-resistance carrier.", className="muted"),
            ]),
        ]),
        html.Section([
            html.H2(f"Evidence per patient ({len(view['evidence'])} knowledge-base matches in the patients of the "
                    "oncoprint)"),
            data_table(view["evidence"], ids.RESISTANCE_EVIDENCE_TABLE, EVIDENCE_LABELS, page_size=15,
                       numeric=("day", "vaf_pct", "copy_number"), **AFTER_FIGURES),
        ]),
    ]
    caveats = list(view["caveats"])
    if view["slope_left_out"]:
        caveats.append(f"HER2 CN slope plot: {view['slope_left_out']} progressor(s) without ERBB2 CN at both "
                       "the baseline and the progression draw are not drawn.")
    caveat_block = html.Details(className="caveats", children=[
        html.Summary(f"Caveats ({len(caveats)})"), html.Ul([html.Li(c) for c in caveats])]) if caveats else None
    return cards, tables, view["slope"], caveat_block


def genes_and_oncoprint(ready, reset_clicks, sort, show, genes, previous_default=None):
    """The gene picker and the oncoprint in one round trip.

    When the cohort becomes ready (page load, new parameters) or "Reset" is pressed, the picker is filled
    (:func:`fill_gene_picker`) and the oncoprint drawn for the genes it settles on; when the user changes
    the sort, the filter or the genes, only the oncoprint is drawn (the picker keeps what the user did).
    As two chained callbacks, the oncoprint waited for the picker's answer and its rendering on every load.
    """
    if ready is None:
        raise PreventUpdate
    picker_triggers = {ids.COHORT_READY, ids.RESISTANCE_GENES_RESET}
    triggered = set(ctx.triggered_prop_ids.values())
    if not triggered or triggered & picker_triggers:
        options, value, default, note = fill_gene_picker(ready, reset_clicks, genes, previous_default)
        # the picker failed (its alert is in the note): the oncoprint keeps the genes shown and says why too
        figure, onco_note = draw_oncoprint(ready, sort, show, genes if value is no_update else value)
        return options, value, default, note, figure, onco_note
    figure, onco_note = draw_oncoprint(ready, sort, show, genes)
    return no_update, no_update, no_update, no_update, figure, onco_note


def _reset_pressed() -> bool:
    """Whether "Reset to default genes" fired the callback (False when called outside Dash, as in tests)."""
    try:
        return ctx.triggered_id == ids.RESISTANCE_GENES_RESET
    except MissingCallbackContextException:
        return False


def keep_state(sort, show, genes=None, default_genes=None):
    """The sort, filter and the genes picked (when not the defaults) go into the URL (page state)."""
    return page_state(sort, show, genes, default_genes)


def open_patient(click, params_query):
    """A click on a patient column opens that patient's page with the same parameters."""
    if not click or not click.get("points"):
        raise PreventUpdate
    point = click["points"][0]
    patient_id = point.get("customdata")
    if isinstance(patient_id, list):
        patient_id = patient_id[0] if patient_id else None
    if not patient_id:
        raise PreventUpdate
    # customdata holds the id escaped for plotly (plotly_text); the path holds it percent-encoded.
    return patient_path(unescape(patient_id)) + query_string(params_from_store(params_query))


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    # One callback with the genes value as input and output (Dash allows this within one callback):
    # the oncoprint no longer waits for a separate gene-picker round trip.
    app.callback(
        Output(ids.RESISTANCE_GENES, "options"),
        Output(ids.RESISTANCE_GENES, "value"),
        Output(ids.RESISTANCE_GENES_DEFAULT, "data"),
        Output(ids.RESISTANCE_GENES_NOTE, "children"),
        Output(ids.RESISTANCE_ONCOPRINT, "figure"),
        Output(ids.RESISTANCE_ONCOPRINT_NOTE, "children"),
        Input(ids.COHORT_READY, "data"),
        Input(ids.RESISTANCE_GENES_RESET, "n_clicks"),
        Input(ids.RESISTANCE_SORT, "value"),
        Input(ids.RESISTANCE_SHOW, "value"),
        Input(ids.RESISTANCE_GENES, "value"),
        State(ids.RESISTANCE_GENES_DEFAULT, "data"),
    )(genes_and_oncoprint)
    app.callback(
        Output(ids.RESISTANCE_HEADLINE, "children"),
        Output(ids.RESISTANCE_TABLES, "children"),
        Output(ids.RESISTANCE_HER2_SLOPE, "figure"),
        Output(ids.RESISTANCE_CAVEATS, "children"),
        Input(ids.COHORT_READY, "data"),
        Input(ids.RESISTANCE_SHOW, "value"),
    )(fill_tables)
    app.callback(
        Output(ids.PAGE_STATE, "data", allow_duplicate=True),
        Input(ids.RESISTANCE_SORT, "value"),
        Input(ids.RESISTANCE_SHOW, "value"),
        Input(ids.RESISTANCE_GENES, "value"),
        State(ids.RESISTANCE_GENES_DEFAULT, "data"),
        prevent_initial_call=True,
    )(keep_state)
    app.callback(
        Output(ids.RESISTANCE_NAVIGATE, "href"),
        Input(ids.RESISTANCE_ONCOPRINT, "clickData"),
        State(ids.PARAMS, "data"),
        prevent_initial_call=True,
    )(open_patient)
