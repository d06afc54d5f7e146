"""Getting around patients: search, previous/next order, the draw in the URL, the compact not-followed page."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from dash import no_update

from analysis.trajectory import NOT_FOLLOWED, analyse_trajectories
from dashboard import ids
from dashboard.views.cohort import CohortFilters
from dashboard.views.patient_navigation import (
    find_patients,
    followed_patient_ids,
    neighbours_in_walk,
    patient_href,
    patient_path,
    walk_filters,
    walk_query,
)

IDS = ["P001", "P007", "P017", "P070", "Q007", "p100", "A 1/b?"]


def test_search_exact_partial_case_insensitive_and_suggestions():
    assert find_patients("P007", IDS).patient_id == "P007"
    assert find_patients("p007", IDS).patient_id == "P007"          # any case
    assert find_patients("  p007 ", IDS).patient_id == "P007"       # blanks ignored
    assert find_patients("P100", IDS).patient_id == "p100"
    partial = find_patients("07", IDS)
    assert partial.patient_id is None and partial.suggestions == ("P007", "P070", "Q007")
    assert "3 patients match" in partial.message
    assert find_patients("p01", IDS).patient_id == "P017"           # the only match opens
    prefix_first = find_patients("P0", IDS).suggestions
    assert prefix_first[:4] == ("P001", "P007", "P017", "P070")     # natural order, prefix before inside
    assert find_patients("zzz", IDS).suggestions == () and "No patient" in find_patients("zzz", IDS).message
    assert find_patients("a 1/B?", IDS).patient_id == "A 1/b?"
    assert find_patients("", IDS) == find_patients(None, IDS)
    assert len(find_patients("P", [f"P{i}" for i in range(100)]).suggestions) == 8


def test_paths_and_queries_are_encoded_and_round_trip():
    href = patient_href("A 1/b?", {"cutoff": "2.6"}, walk_query(CohortFilters(resistance_class="acquired")),
                        "A 1/b?-D#2&x")
    parts = urlsplit(href)
    assert parts.path == patient_path("A 1/b?") == "/patient/A%201%2Fb%3F"
    assert unquote(parts.path.rsplit("/", 1)[1]) == "A 1/b?"
    query = dict(parse_qsl(parts.query))
    assert query == {"cutoff": "2.6", "walk": "cohort", "class": "acquired", "draw": "A 1/b?-D#2&x"}
    assert walk_filters(query) == CohortFilters(resistance_class="acquired")
    assert walk_filters({"class": "acquired"}) is None                # no walk=cohort: the followed patients
    assert walk_query(None) == {}


def test_previous_next_order():
    study_order = ["A", "B", "C", "D", "E"]
    walk = ["A", "C", "E"]
    assert neighbours_in_walk(walk, study_order, "A") == (None, "C")
    assert neighbours_in_walk(walk, study_order, "C") == ("A", "E")
    assert neighbours_in_walk(walk, study_order, "E") == ("C", None)
    assert neighbours_in_walk(walk, study_order, "D") == ("C", "E")   # outside the walk: the nearest in it
    assert neighbours_in_walk(walk, study_order, "Z") == (None, None)
    assert neighbours_in_walk(["E", "A"], study_order, "E") == (None, "A")  # the walk's own order (cohort table)


# --------------------------------------------------------------------------- on the demo study, through the app

@pytest.fixture(scope="module")
def app_on_demo(demo_study_dir, tmp_path_factory):
    from dashboard.server import create_app
    from dashboard.settings import Settings

    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path_factory.mktemp("cache")))
    truth = json.loads((demo_study_dir.parent / "demo.truth.json").read_text())["patients"]
    return app, truth


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


def test_followed_patients_walk_in_study_order(app_on_demo):
    from analysis.params import AnalysisParameters
    from dashboard.analysis_service import get_analysis_service
    from dashboard.callbacks.patient import walk_ids

    _, truth = app_on_demo
    service = get_analysis_service()
    params = AnalysisParameters()
    walk = walk_ids(params, {}, None)
    patients = analyse_trajectories(service.study, params).patients
    assert walk == patients.loc[patients["follow_up"] != NOT_FOLLOWED, "patient_id"].astype(str).tolist()
    assert walk == followed_patient_ids(patients)
    assert set(walk) == {pid for pid, p in truth.items() if p["followed"]}
    study_order = service.patient_ids()
    assert [study_order.index(p) for p in walk] == sorted(study_order.index(p) for p in walk)


def test_cohort_walk_is_the_cohort_tables_order(app_on_demo):
    from dashboard.callbacks.cohort import cohort_page_view
    from dashboard.callbacks.patient import walk_ids
    from dashboard.parameters import params_from_store

    filters = CohortFilters(resistance_class="progressed")
    content = cohort_page_view({}, filters)
    table_order = [record["patient"].split("]")[0].lstrip("[") for record in content["records"]]
    assert len(table_order) >= 10
    assert walk_ids(params_from_store({}), {}, filters) == table_order
    # The table's links carry the filter, so the patient page walks the same list.
    first_link = content["records"][0]["patient"]
    assert "walk=cohort" in first_link and "class=progressed" in first_link


def test_draw_from_the_url_and_the_progression_draw_by_default(app_on_demo):
    from dashboard.callbacks.patient import draw_to_page_state, fill_patient
    from dashboard.pages.patient import layout

    _, truth = app_on_demo
    pid = "P033" if truth["P033"]["progressed"] else next(p for p, t in sorted(truth.items()) if t["progressed"])
    page = layout(pid, draw=f"{pid}-B0", walk="cohort", **{"class": "acquired"})
    assert _find(page, ids.PATIENT_DRAW_SELECT).value == f"{pid}-B0"
    state = _find(page, ids.PAGE_STATE).data
    assert state == {"walk": "cohort", "class": "acquired", "draw": f"{pid}-B0"}
    outputs = fill_patient({}, pid, state)
    assert "walk=cohort" in outputs[7] + outputs[8]
    choices = _find(page, ids.PATIENT_DRAW_SELECT).options
    assert {o["value"] for o in choices} >= {f"{pid}-B0", "__all__"}
    default = layout(pid)
    assert _find(default, ids.PATIENT_DRAW_SELECT).value == truth[pid]["progression_sample_id"], \
        "the progression draw by default"
    assert _find(layout(pid, draw="NO-SUCH-DRAW"), ids.PATIENT_DRAW_SELECT).value == \
        truth[pid]["progression_sample_id"], "a draw the patient does not have falls back to the default"
    default_outputs = fill_patient({}, pid, {})
    assert "draw=" not in default_outputs[7] + default_outputs[8], "previous/next open their own default draw"
    assert draw_to_page_state(f"{pid}-D1", state) == {**state, "draw": f"{pid}-D1"}


def test_not_followed_patient_gets_a_compact_page(app_on_demo):
    from dashboard.callbacks.patient import fill_patient
    from dashboard.pages.patient import layout

    _, truth = app_on_demo
    pid = next(p for p, t in sorted(truth.items()) if not t["followed"])
    page = layout(pid)
    assert _find(page, ids.PATIENT_TRAJECTORY).hidden is True
    assert _find(page, ids.PATIENT_NOT_FOLLOWED).hidden is False
    outputs = fill_patient({}, pid, {})
    assert outputs[3] is no_update, "no figure is built for an empty frame"
    assert outputs[10] is True and outputs[12] is False  # trajectory hidden, notice shown
    followed = next(p for p, t in sorted(truth.items()) if t["followed"])
    assert _find(layout(followed), ids.PATIENT_TRAJECTORY).hidden is False


def test_unknown_patient_page_suggests_the_id_in_another_case(app_on_demo):
    from dashboard.pages.patient import layout

    page = layout("p033")
    suggestions = _find(page, "patient-suggestions")
    links = [li.children for li in suggestions.children[1].children]
    assert links[0].children == "P033" and links[0].href == "/patient/P033"
    assert layout("P%30%333") is not None and _find(layout("P%30%333"), ids.PATIENT_ID).data == "P033"
