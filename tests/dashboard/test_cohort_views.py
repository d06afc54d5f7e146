"""Cohort page view models: patient rows, filters in the URL, counts, swimmer rows and figure."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cohort import analyse_cohort
from analysis.params import DAYS_PER_MONTH
from dashboard.figures.swimmer import swimmer_figure
from dashboard.views.cohort import (
    CLASS_CHOICES,
    HER2_CHOICES,
    PATIENT_ROW_COLUMNS,
    CohortFilters,
    cohort_counts,
    filter_patients,
    filters_from_controls,
    filters_from_query,
    filters_to_query,
    pathway_choices,
    patient_from_click,
    patient_rows,
    patient_table,
    swimmer_note,
    swimmer_view,
    treatment_segments,
)

# --------------------------------------------------------------------------- hand-built inputs

def _trajectories(patients: list[dict], draws: list[tuple], imaging: list[tuple] = ()) -> SimpleNamespace:
    """The parts of a TrajectoryResult the views read."""
    pat = pd.DataFrame([{"her2_status": "POSITIVE", **p} for p in patients])
    for column, default in (("pfs_months", np.nan), ("pfs_event", pd.NA),
                            ("progression_day", np.nan), ("progressed", False)):
        if column not in pat:
            pat[column] = default
    # As analysis.trajectory: only a recorded censoring is "censored" / class "none".
    event = pat["pfs_event"].astype("boolean")
    pat["progressed"] = pat["progressed"].astype("boolean").fillna(False).astype(bool)
    follow_up = np.select([pat["progressed"], (event == False).fillna(False).astype(bool),  # noqa: E712
                           pat["pfs_months"].notna()], ["progressed", "censored", "status unknown"], "not followed")
    if "follow_up" not in pat:
        pat["follow_up"] = follow_up
    if "resistance_class" not in pat:
        pat["resistance_class"] = np.where(follow_up == "censored", "none", "unknown")
    pat["resistance_class"] = pat["resistance_class"].fillna(
        pd.Series(np.where(follow_up == "censored", "none", "unknown"), index=pat.index))
    per_patient = pd.Series([d[0] for d in draws]).value_counts()
    pat["n_draws"] = pat["patient_id"].map(per_patient).fillna(0).astype(int)
    return SimpleNamespace(
        patients=pat,
        draws=pd.DataFrame(draws, columns=["patient_id", "sample_id", "draw_day", "erbb2_cn", "timepoint"]),
        imaging=pd.DataFrame(list(imaging), columns=["patient_id", "day", "target_lesion_sum_mm",
                                                     "pct_change_from_baseline", "recist_response",
                                                     "response_source"]),
    )


def _resistance(patients: list[tuple], calls: list[tuple] = ()) -> SimpleNamespace:
    return SimpleNamespace(
        patients=pd.DataFrame(patients, columns=["patient_id", "n_mechanisms", "pathways"]),
        calls=pd.DataFrame(list(calls), columns=["patient_id", "pathway", "genes"]),
    )


NO_TREATMENT = pd.DataFrame(columns=["patient_id", "start_day", "stop_day", "agent"])


@pytest.fixture
def small_cohort():
    """Four patients with known follow-up:

    A progresses on day 60 (innate, PI3K), B progresses on day 300 (acquired, PI3K + MAPK),
    C is censored at 10 months (304.375 days, no mechanism), D has a single baseline draw and nothing else.
    """
    trajectories = _trajectories(
        [
            dict(patient_id="A", pfs_months=60 / DAYS_PER_MONTH, pfs_event=True, progression_day=60.0,
                 progressed=True, resistance_class="innate"),
            dict(patient_id="B", pfs_months=300 / DAYS_PER_MONTH, pfs_event=True, progression_day=300.0,
                 progressed=True, resistance_class="acquired"),
            dict(patient_id="C", pfs_months=10.0, pfs_event=False),
            dict(patient_id="D", her2_status=None),
        ],
        draws=[("A", "A-0", -2.0, 3.1, "BASELINE"), ("A", "A-1", 60.0, 3.9, "PROGRESSION"),
               ("B", "B-0", -5.0, 4.0, "BASELINE"), ("B", "B-1", 42.0, 2.5, "ON_TREATMENT"),
               ("B", "B-2", 301.0, 2.2, "PROGRESSION"),
               ("C", "C-0", -1.0, 3.0, "BASELINE"), ("C", "C-1", 90.0, 2.4, "ON_TREATMENT"),
               ("D", "D-0", -3.0, 2.0, "BASELINE")],
        imaging=[("A", -7.0, 50.0, np.nan, None, "none"), ("A", 60.0, 70.0, 40.0, "PD", "recorded"),
                 ("B", 42.0, 30.0, -40.0, "PR", "derived")],
    )
    resistance = _resistance([("A", 1, "PI3K"), ("B", 2, "MAPK;PI3K"), ("C", 0, ""), ("D", 0, "")],
                             [("A", "PI3K", "PIK3CA"), ("B", "MAPK", "NF1"), ("B", "PI3K", "PIK3R1")])
    treatments = pd.DataFrame({
        "patient_id": ["A", "A", "B", "B", "B"],
        "start_day": [0.0, 0.0, 0.0, 0.0, 130.0],
        "stop_day": [60.0, 60.0, 300.0, 126.0, np.nan],
        "agent": ["Trastuzumab", "Capecitabine", "Trastuzumab", "Oxaliplatin", "Capecitabine"],
    })
    return trajectories, resistance, treatments


# --------------------------------------------------------------------------- patient rows

def test_patient_rows_follow_up_end_and_mechanisms(small_cohort):
    rows = patient_rows(*small_cohort).set_index("patient_id")
    assert list(rows.index) == ["A", "B", "C", "D"]
    assert rows.loc["A", "end_day"] == 60 and rows.loc["A", "end_reason"] == "progression"
    assert rows.loc["B", "end_day"] == 300
    # censored: the PFS censoring time, 10 months of 30.4375 days
    assert rows.loc["C", "end_day"] == pytest.approx(304.375)
    assert rows.loc["C", "end_reason"] == "last follow-up"
    # only a baseline draw before day 0: no follow-up, no bar
    assert rows.loc["D", "end_day"] == 0 and rows.loc["D", "end_reason"] == "no follow-up"
    assert rows.loc["D", "her2_status"] == "not recorded"
    assert rows["followed"].tolist() == [True, True, True, False]
    assert rows.loc["B", "mechanisms"] == "MAPK pathway: NF1; PI3K pathway: PIK3R1"
    assert rows.loc["C", "mechanisms"] == ""


def test_patient_rows_without_pfs_use_last_recorded_day(small_cohort):
    trajectories, resistance, treatments = small_cohort
    trajectories.patients.loc[trajectories.patients["patient_id"] == "C", "pfs_months"] = np.nan
    rows = patient_rows(trajectories, resistance, treatments).set_index("patient_id")
    assert rows.loc["C", "end_day"] == 90  # its last draw


def test_patient_rows_of_an_empty_cohort_are_empty_and_typed():
    empty = _trajectories([dict(patient_id="X")], draws=[])
    empty.patients = empty.patients.iloc[0:0]
    rows = patient_rows(empty, _resistance([]), NO_TREATMENT)
    assert len(rows) == 0 and list(rows.columns) == list(PATIENT_ROW_COLUMNS)


def test_patient_rows_on_the_tiny_study(tiny_study):
    cohort = analyse_cohort(tiny_study)
    rows = patient_rows(cohort.trajectories, cohort.resistance, tiny_study.events("TREATMENT")).set_index(
        "patient_id")
    # P1 progressed on day 167 (STATUS event); P2 is censored at 12 months
    assert rows.loc["P1", "end_day"] == 167 and rows.loc["P1", "n_draws"] == 3
    assert rows.loc["P2", "end_day"] == pytest.approx(12 * DAYS_PER_MONTH)
    assert rows.loc["P1", "mechanisms"] == "PI3K pathway: PIK3CA"


# --------------------------------------------------------------------------- filters

def test_filters_keep_the_matching_patients(small_cohort):
    rows = patient_rows(*small_cohort)

    def ids(**changes) -> list[str]:
        return filter_patients(rows, CohortFilters(**changes))["patient_id"].tolist()

    assert ids() == ["A", "B", "C"]  # followed only by default
    assert ids(followed_only=False) == ["A", "B", "C", "D"]
    assert ids(resistance_class="innate") == ["A"]
    assert ids(resistance_class="progressed") == ["A", "B"]
    # D was never followed: its class is unknown, not "no progression" (issue 9.4).
    assert ids(resistance_class="none", followed_only=False) == ["C"]
    assert ids(resistance_class="unknown", followed_only=False) == ["D"]
    assert ids(pathway="PI3K") == ["A", "B"]
    assert ids(pathway="MAPK") == ["B"]
    assert ids(pathway="any") == ["A", "B"]
    assert ids(pathway="none", followed_only=False) == ["C", "D"]
    assert ids(her2="not recorded", followed_only=False) == ["D"]
    assert ids(her2="NEGATIVE") == []


def _naive_filter(rows: pd.DataFrame, f: CohortFilters) -> list[str]:
    kept = []
    for row in rows.to_dict("records"):
        pathways = [p for p in row["pathways"].split(";") if p]
        if f.her2 != "all" and row["her2_status"] != f.her2:
            continue
        if f.resistance_class == "progressed" and row["resistance_class"] not in ("innate", "acquired"):
            continue
        if f.resistance_class not in ("all", "progressed") and row["resistance_class"] != f.resistance_class:
            continue
        if f.pathway == "any" and not pathways:
            continue
        if f.pathway == "none" and pathways:
            continue
        if f.pathway not in ("all", "any", "none") and f.pathway not in pathways:
            continue
        if f.followed_only and not row["followed"]:
            continue
        kept.append(row["patient_id"])
    return kept


FILTERS = st.builds(
    CohortFilters,
    her2=st.sampled_from(HER2_CHOICES),
    resistance_class=st.sampled_from(CLASS_CHOICES),
    pathway=st.sampled_from(["all", "any", "none", "PI3K", "MAPK", "HER_FAMILY"]),
    followed_only=st.booleans(),
    unit=st.sampled_from(["months", "days"]),
)


@settings(max_examples=60, deadline=None)
@given(filters=FILTERS)
def test_filters_agree_with_a_naive_loop(filters):
    rng = np.random.default_rng(7)
    n = 40
    rows = pd.DataFrame({
        "patient_id": [f"P{i:02d}" for i in range(n)],
        "her2_status": rng.choice(["POSITIVE", "NEGATIVE", "not recorded"], n),
        "resistance_class": rng.choice(["innate", "acquired", "none"], n),
        "followed": rng.random(n) < 0.5,
        "pathways": rng.choice(["", "PI3K", "MAPK;PI3K", "HER_FAMILY"], n),
    })
    rows["n_mechanisms"] = rows["pathways"].map(lambda p: len([x for x in p.split(";") if x]))
    assert filter_patients(rows, filters)["patient_id"].tolist() == _naive_filter(rows, filters)


@settings(max_examples=60, deadline=None)
@given(filters=FILTERS)
def test_filters_survive_the_url(filters):
    query = filters_to_query(filters)
    assert all(isinstance(v, str) for v in query.values())
    assert filters_from_query(query) == (filters, ())


def test_default_filters_leave_the_url_clean():
    assert filters_to_query(CohortFilters()) == {}
    assert filters_from_query({}) == (CohortFilters(), ())


def test_unreadable_url_filters_fall_back_and_say_so():
    filters, problems = filters_from_query({"her2": "maybe", "unit": "weeks", "followed": "perhaps",
                                            "class": "ACQUIRED"})
    assert filters == CohortFilters(resistance_class="acquired")
    assert len(problems) == 3
    assert any("her2='maybe'" in p for p in problems) and any("unit='weeks'" in p for p in problems)


def test_filters_from_controls():
    assert filters_from_controls("POSITIVE", "innate", "PI3K", [], "days") == CohortFilters(
        "POSITIVE", "innate", "PI3K", False, "days")
    assert filters_from_controls(None, None, None, ["on"], None) == CohortFilters()


def test_pathway_choices_keep_display_order_and_unknown_values():
    values = [v for v, _ in pathway_choices(["MAPK", "PI3K", "CUSTOM"], current="OTHER")]
    assert values == ["all", "any", "none", "PI3K", "MAPK", "CUSTOM", "OTHER"]


# --------------------------------------------------------------------------- counts

def test_counts_with_denominators(small_cohort):
    counts = cohort_counts(patient_rows(*small_cohort)).set_index("key")
    assert counts.loc["patients", "n"] == 4
    assert counts.loc["her2_positive", "n"] == 3 and counts.loc["her2_positive", "percent"] == 75
    assert counts.loc["followed", "n"] == 3
    # progressions are counted over patients with PFS follow-up
    assert counts.loc["progressions", ["n", "denominator"]].tolist() == [2, 3]
    assert counts.loc["innate", ["n", "denominator"]].tolist() == [1, 2]
    assert counts.loc["with_mechanism", ["n", "denominator", "percent"]].tolist() == [2, 2, 100]


def test_counts_without_progressions_have_no_percentage(small_cohort):
    trajectories, resistance, treatments = small_cohort
    trajectories.patients["progressed"] = False
    trajectories.patients["resistance_class"] = "none"
    counts = cohort_counts(patient_rows(trajectories, resistance, treatments)).set_index("key")
    assert counts.loc["innate", "n"] == 0 and np.isnan(counts.loc["innate", "percent"])


def test_counts_reproduce_the_published_design(demo_study_dir):
    """The demo mirrors Wang et al.: 78 patients (46 HER2+), 24 followed, 17 progressions, 13 (76.5%) with a
    known mechanism."""
    from analysis.io.cbioportal import read_study

    study = read_study(demo_study_dir)
    cohort = analyse_cohort(study)
    counts = cohort_counts(patient_rows(cohort.trajectories, cohort.resistance, study.events("TREATMENT")))
    counts = counts.set_index("key")
    assert counts["n"].to_dict() == {"patients": 78, "her2_positive": 46, "her2_negative": 32, "followed": 24,
                                     "progressions": 17, "innate": counts.loc["innate", "n"],
                                     "acquired": 17 - counts.loc["innate", "n"], "with_mechanism": 13}
    assert counts.loc["with_mechanism", "percent"] == pytest.approx(76.47, abs=0.01)


# --------------------------------------------------------------------------- swimmer

def test_swimmer_view_sorts_by_follow_up_and_limits(small_cohort):
    trajectories, resistance, treatments = small_cohort
    rows = patient_rows(trajectories, resistance, treatments)
    view = swimmer_view(filter_patients(rows, CohortFilters(followed_only=False)), trajectories, treatments)
    assert view.rows["patient_id"].tolist() == ["C", "B", "A"]  # D has no follow-up and no bar
    assert (view.n_matching, view.n_drawable, view.n_shown) == (4, 3, 3)
    assert set(view.draws["patient_id"]) == {"A", "B", "C"}
    assert "1 matching patient(s) have no follow-up" in swimmer_note(view)
    limited = swimmer_view(rows, trajectories, treatments, limit=2)
    assert limited.rows["patient_id"].tolist() == ["C", "B"] and limited.truncated
    assert swimmer_note(limited).startswith("Showing 2 of 3 patients")
    assert "narrow with the filters" in swimmer_note(limited)


def test_swimmer_view_of_a_large_cohort_shows_at_most_150():
    n = 10_000
    rng = np.random.default_rng(2019)
    ids = [f"P{i:05d}" for i in range(n)]
    pfs = rng.uniform(0.5, 30, n)
    trajectories = _trajectories([dict(patient_id=p, pfs_months=m, pfs_event=False)
                                  for p, m in zip(ids, pfs, strict=True)],
                                 draws=[(p, f"{p}-0", -1.0, 2.5, "BASELINE") for p in ids]
                                 + [(p, f"{p}-1", 30.0, 2.5, "ON_TREATMENT") for p in ids])
    rows = patient_rows(trajectories, _resistance([(p, 0, "") for p in ids]), NO_TREATMENT)
    view = swimmer_view(rows, trajectories, NO_TREATMENT)
    assert view.n_shown == 150 and view.n_drawable == n
    assert view.rows["pfs_months"].tolist() == sorted(pfs, reverse=True)[:150]
    assert swimmer_note(view).startswith("Showing 150 of 10000 patients")
    fig = swimmer_figure(view)
    assert len(fig.data[0].y) == 150
    assert fig.layout.xaxis2.side == "top" and fig.layout.xaxis2.matches == "x"  # tall: time axis on top too


def test_treatment_segments_merge_agents_and_stack_overlaps(small_cohort):
    _, _, treatments = small_cohort
    end_day = pd.Series({"A": 60.0, "B": 300.0})
    segments = treatment_segments(treatments, end_day)
    a = segments[segments["patient_id"] == "A"]
    assert a["agents"].tolist() == ["Capecitabine + Trastuzumab"] and a["lane"].tolist() == [0]
    b = segments[segments["patient_id"] == "B"].set_index("agents")
    # trastuzumab 0-300 and oxaliplatin 0-126 overlap; capecitabine from 130 fits after oxaliplatin
    assert b.loc["Trastuzumab", "lane"] != b.loc["Oxaliplatin", "lane"]
    assert b.loc["Capecitabine", "lane"] == b.loc["Oxaliplatin", "lane"]
    assert b.loc["Capecitabine", "stop_day"] == 300  # no stop day: runs to the follow-up end


def test_click_gives_the_patient():
    assert patient_from_click({"points": [{"customdata": "P007"}]}) == "P007"
    assert patient_from_click({"points": [{"customdata": ["P009", 1]}]}) == "P009"
    assert patient_from_click(None) is None and patient_from_click({"points": []}) is None


# --------------------------------------------------------------------------- figure and table

def test_swimmer_figure_bars_carry_patient_ids_and_links(small_cohort):
    trajectories, resistance, treatments = small_cohort
    rows = patient_rows(trajectories, resistance, treatments)
    view = swimmer_view(rows, trajectories, treatments)
    fig = swimmer_figure(view, "months", lambda pid: f"/patient/{pid}?cutoff=2.6&kb=x")
    bars = [t for t in fig.data if t.type == "bar" and t.name != "Treatment (hover for agents)"]
    assert {t.name for t in bars} == {"Innate resistance", "Acquired resistance", "No progression"}
    by_patient = {pid: x for t in bars for pid, x in zip(t.customdata, t.x, strict=True)}
    assert by_patient["B"] == pytest.approx(300 / DAYS_PER_MONTH)
    assert by_patient["C"] == pytest.approx(10.0)
    for trace in fig.data:
        assert trace.customdata is not None and set(trace.customdata) <= {"A", "B", "C"}
    ticks = fig.layout.yaxis.ticktext
    # plotly decodes no entity in an href: the query's "&" stays raw ("&amp;" would make a key "amp;kb")
    assert ticks[0] == '<a href="/patient/C?cutoff=2.6&kb=x" target="_self">C</a>'
    assert "Months" in fig.layout.xaxis.title.text
    imaging = [t for t in fig.data if t.name.startswith("Imaging")]
    assert {t.name for t in imaging} == {"Imaging: baseline / no call", "Imaging: progressive disease (PD)",
                                         "Imaging: partial response (PR)"}
    days = swimmer_figure(view, "days")
    assert {pid: x for t in days.data if t.type == "bar" and t.name != "Treatment (hover for agents)"
            for pid, x in zip(t.customdata, t.x, strict=True)}["B"] == 300
    assert days.layout.yaxis.ticktext[0] == "C"


def test_swimmer_figure_of_nothing_explains_itself(small_cohort):
    trajectories, resistance, treatments = small_cohort
    rows = patient_rows(trajectories, resistance, treatments)
    view = swimmer_view(rows.iloc[0:0], trajectories, treatments)
    fig = swimmer_figure(view)
    assert not fig.data and "No patient" in fig.layout.annotations[0].text
    assert swimmer_note(view) == "No patient matches the filters."


def test_patient_table_links_every_id(small_cohort):
    rows = patient_rows(*small_cohort)
    table = patient_table(rows, lambda pid: f"/patient/{pid}")
    assert table["patient"].tolist() == [f"[{p}](/patient/{p})" for p in "ABCD"]
    assert table["pfs_status"].tolist() == ["progression", "progression", "censored", "not followed"]
    assert table["resistance_class"].tolist()[:2] == ["Innate resistance", "Acquired resistance"]
