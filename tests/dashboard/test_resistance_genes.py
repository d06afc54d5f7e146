"""The oncoprint's gene picker: URL page state round trip, defaults, and the redraw for the genes picked.

Runs the page layout and the callbacks as plain functions on the tiny study (two patients), with the
analysis service the app factory would set up.
"""

from __future__ import annotations

import pytest

import dashboard.analysis_service as analysis_service_module
import dashboard.study_service as study_service_module
from dashboard import ids
from dashboard.analysis_cache import AnalysisCache
from dashboard.analysis_service import AnalysisService, set_analysis_service
from dashboard.callbacks import resistance as callbacks
from dashboard.study_service import StudyService, set_service
from dashboard.views.resistance import gene_options, page_state, parse_genes


@pytest.fixture
def services(tiny_study_dir, tmp_path):
    saved = study_service_module._service, analysis_service_module._analysis
    service = StudyService(tiny_study_dir)
    set_service(service)
    set_analysis_service(AnalysisService(service, AnalysisCache(tmp_path / "cache")))
    yield service
    study_service_module._service, analysis_service_module._analysis = saved


@pytest.fixture
def resistance_layout(tiny_study_dir, tmp_path):
    """The Resistance page's layout function, registered by the app factory on the tiny study."""
    import dash

    from dashboard.server import create_app
    from dashboard.settings import Settings

    saved = study_service_module._service, analysis_service_module._analysis
    create_app(Settings(study=tiny_study_dir, cache_dir=tmp_path / "app-cache"))
    page = next(p for p in dash.page_registry.values() if p["path"] == "/resistance")
    yield page["layout"]
    study_service_module._service, analysis_service_module._analysis = saved


def _find(component, component_id):
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


def _gene_rows(figure: dict) -> list[str]:
    """Gene rows of the oncoprint figure (y tick labels 'GENE · source' of the cell grid)."""
    ticks = figure["layout"]["yaxis3"]["ticktext"]
    return sorted({t.split(" · ")[0] for t in ticks if " · " in t})


def test_the_genes_picked_go_into_the_url_only_when_they_differ_from_the_defaults():
    defaults = ["ERBB2", "KRAS", "PIK3CA", "TP53"]
    assert callbacks.keep_state("pfs", "all", ["kras", "ERBB2"], defaults) == {
        "sort": "pfs", "show": "all", "genes": "KRAS,ERBB2"}
    assert callbacks.keep_state("pfs", "all", ["TP53", "KRAS", "PIK3CA", "ERBB2"], defaults) == {
        "sort": "pfs", "show": "all"}  # the defaults in another order: a short link
    assert callbacks.keep_state("pfs", "all", [], defaults) == {"sort": "pfs", "show": "all"}
    assert "genes" not in callbacks.keep_state("pfs", "all")
    assert parse_genes("KRAS,ERBB2") == ("KRAS", "ERBB2") and parse_genes("") == () and parse_genes(None) == ()


def test_gene_options_name_the_altered_patients_most_altered_first():
    import pandas as pd

    ranking = pd.DataFrame({"gene": ["KRAS", "TP53", "MYC"], "n_patients": [7, 1, 0]})
    options = gene_options(ranking, ["KRAS", "ZZZ3"])
    assert [o["label"] for o in options] == ["KRAS (7 patients)", "TP53 (1 patient)", "MYC (0 patients)",
                                             "ZZZ3 (no data)"]


def test_a_shared_link_with_genes_round_trips_through_the_layout(resistance_layout):
    state = page_state("pfs", "all", ["kras", "TP53"])
    assert state["genes"] == "KRAS,TP53"
    tree = resistance_layout(**state)  # what the URL query gives back to the page
    picker = _find(tree, ids.RESISTANCE_GENES)
    assert picker.value == ["KRAS", "TP53"] and picker.multi
    assert {"label": "KRAS (1 patient)", "value": "KRAS"} in picker.options
    assert _find(tree, ids.PAGE_STATE).data == {"sort": "pfs", "show": "all", "genes": "KRAS,TP53"}
    assert _find(tree, ids.RESISTANCE_GENES_RESET) is not None
    # No genes in the link: an empty picker, filled with the defaults once the cohort is ready.
    assert _find(resistance_layout(), ids.RESISTANCE_GENES).value == []


def test_the_picker_fills_in_the_defaults_keeps_a_pick_and_the_oncoprint_redraws_for_it(services):
    options, value, default, note = callbacks.fill_gene_picker({}, None, [])
    # The tiny study matches few knowledge-base genes: the default is the most altered genes.
    assert value == default and set(default) == {"ERBB2", "KRAS", "PIK3CA", "TP53"}
    assert "most altered" in note
    assert options[0]["label"].endswith("patients)") or options[0]["label"].endswith("patient)")
    assert callbacks.fill_gene_picker({}, None, ["kras"])[1] == ["KRAS"]  # a pick is kept
    # The previous defaults (other parameters) follow the new defaults; a pick that differs is kept.
    assert callbacks.fill_gene_picker({}, None, ["ERBB2", "MYC"], ["MYC", "ERBB2"])[1] == default
    assert callbacks.fill_gene_picker({}, None, ["ERBB2"], ["MYC", "ERBB2"])[1] == ["ERBB2"]

    figure, note = callbacks.draw_oncoprint({}, "mechanism", "all", default)
    assert _gene_rows(figure) == sorted(default) and "4 genes" in note
    figure, note = callbacks.draw_oncoprint({}, "mechanism", "all", ["KRAS", "MYC"])
    assert _gene_rows(figure) == ["KRAS", "MYC"] and "2 genes" in note
    assert "Missense mutation" in {t.get("name") for t in figure["data"]}  # P2's tissue KRAS G12D
    # No pick (an empty picker) is the default view.
    assert _gene_rows(callbacks.draw_oncoprint({}, "mechanism", "all", [])[0]) == sorted(default)


def _as_if_triggered_by(function, *prop_ids, args=()):
    """Call a callback function inside a Dash callback context whose triggering inputs are *prop_ids*."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": p, "value": None} for p in prop_ids]))
    try:
        return function(*args)
    finally:
        context_value.reset(token)


def test_the_picker_and_the_oncoprint_come_in_one_answer(services):
    """Loading the page fills the picker and draws the oncoprint for the genes it settled on, in one round
    trip; a change of genes or sort redraws only the oncoprint and leaves the picker as the user set it."""
    from dash import no_update

    _, _, default, _ = callbacks.fill_gene_picker({}, None, [])
    ready = f"{ids.COHORT_READY}.data"
    options, value, stored, note, figure, onco_note = _as_if_triggered_by(
        callbacks.genes_and_oncoprint, ready, args=({}, None, "mechanism", "all", [], None))
    assert value == stored == default and "most altered" in note
    assert _gene_rows(figure) == sorted(default) and f"{len(default)} genes" in onco_note
    picked = _as_if_triggered_by(callbacks.genes_and_oncoprint, f"{ids.RESISTANCE_GENES}.value",
                                 args=({}, None, "mechanism", "all", ["KRAS", "MYC"], default))
    assert picked[:4] == (no_update,) * 4
    assert _gene_rows(picked[4]) == ["KRAS", "MYC"]
    reset = _as_if_triggered_by(callbacks.genes_and_oncoprint, f"{ids.RESISTANCE_GENES_RESET}.n_clicks",
                                args=({}, 1, "mechanism", "all", ["KRAS", "MYC"], default))
    assert reset[1] == default and _gene_rows(reset[4]) == sorted(default)
