"""Resistance and Survival callbacks stay thin: page state and navigation only."""

from __future__ import annotations

import pytest
from dash.exceptions import PreventUpdate

from dashboard.callbacks import resistance, survival


def test_a_click_on_a_patient_column_opens_the_patient_page_with_the_same_parameters():
    click = {"points": [{"x": 3, "y": 5, "customdata": "P009"}]}
    assert resistance.open_patient(click, {"cutoff": "2.6"}) == "/patient/P009?cutoff=2.6"
    assert resistance.open_patient(click, {}) == "/patient/P009"
    with pytest.raises(PreventUpdate):
        resistance.open_patient(None, {})
    with pytest.raises(PreventUpdate):
        resistance.open_patient({"points": [{"x": 1}]}, {})


def test_controls_become_url_page_state():
    assert resistance.keep_state("pfs", "all") == {"sort": "pfs", "show": "all"}
    assert survival.keep_state("gene", "KRAS", "lauren") == {"group": "gene", "gene": "KRAS"}
    assert survival.keep_state("attribute", "KRAS", "lauren") == {"group": "attribute", "attribute": "lauren"}
    assert survival.show_fields("gene") == (False, True)
    assert survival.show_fields("mechanism_count") == (True, True)


def test_nothing_is_drawn_before_the_cohort_analysis_is_ready():
    with pytest.raises(PreventUpdate):
        resistance.draw_oncoprint(None, "mechanism", "progressors")
    with pytest.raises(PreventUpdate):
        survival.draw_survival(None, "mechanism_count", None, None)
