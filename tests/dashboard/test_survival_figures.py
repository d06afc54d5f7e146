"""Kaplan-Meier figure: steps, bands, censor ticks and the risk table equal the analysis tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.survival import kaplan_meier
from dashboard.figures.survival import hazard_text, km_figure, km_traces, median_text, p_text

# Two groups with ties, censoring and a censored last time (hand-checkable).
DURATIONS = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 1.5, 2.5, 6.0, 7.0, 8.0, 8.0]
EVENTS = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1]
GROUPS = ["a"] * 6 + ["b"] * 6


@pytest.fixture(scope="module")
def result():
    return kaplan_meier(DURATIONS, EVENTS, GROUPS, at_times=[0, 2, 4, 6, 8])


@pytest.fixture(scope="module")
def figure(result):
    return km_figure(result.curves, result.risk_table, result.summary, legend_title="Arm")


def _naive_km(durations, events):
    """Product-limit estimate at each distinct time (the textbook formula, no library)."""
    times, survival, s = [0.0], [1.0], 1.0
    for t in sorted(set(durations)):
        at_risk = sum(d >= t for d in durations)
        died = sum(d == t and e for d, e in zip(durations, events, strict=True))
        s *= 1 - died / at_risk
        times.append(t)
        survival.append(s)
    return times, survival


def test_steps_equal_the_curve_table_and_a_naive_product_limit(result, figure):
    km = {t.meta["group"]: t for t in km_traces(figure, "km")}
    assert set(km) == {"a", "b"}
    for group in ("a", "b"):
        curve = result.curves[result.curves["group"] == group]
        assert list(km[group].x) == curve["time"].tolist()
        assert list(km[group].y) == curve["survival"].tolist()
        assert km[group].line.shape == "hv"
        pick = [g == group for g in GROUPS]
        times, survival = _naive_km(list(np.array(DURATIONS)[pick]), list(np.array(EVENTS)[pick]))
        assert list(km[group].x) == times
        assert np.allclose(list(km[group].y), survival)


def test_censor_ticks_sit_at_censored_times_on_the_curve(result, figure):
    ticks = {t.meta["group"]: t for t in km_traces(figure, "censor")}
    for group in ("a", "b"):
        censored_times = sorted({d for d, e, g in zip(DURATIONS, EVENTS, GROUPS, strict=True) if g == group and not e})
        assert list(ticks[group].x) == censored_times
        curve = result.curves[result.curves["group"] == group].set_index("time")["survival"]
        assert list(ticks[group].y) == [curve[t] for t in censored_times]
        assert ticks[group].marker.symbol == "line-ns-open"


def test_ci_band_follows_the_interval(result, figure):
    bands = [t for t in figure.data if t.name == "a 95% CI"]
    curve = result.curves[result.curves["group"] == "a"]
    assert list(bands[0].y) == curve["ci_low"].tolist() and list(bands[1].y) == curve["ci_high"].tolist()
    assert bands[1].fill == "tonexty"


def test_risk_table_numbers_are_aligned_with_the_x_ticks(result, figure):
    risk = km_traces(figure, "risk")
    assert len(risk) == 2 * 3
    ticks = list(figure.layout.xaxis.tickvals)
    assert ticks == [0, 2, 4, 6, 8] and list(figure.layout.xaxis2.tickvals) == ticks
    for trace in risk:
        expected = result.risk_table[result.risk_table["group"] == trace.meta["group"]]
        assert list(trace.x) == ticks
        assert list(trace.text) == [str(v) for v in expected[trace.meta["row"]]]
    # KMunicate: at risk + cumulative events + cumulative censored = n at every time.
    a = {t.meta["row"]: np.array(t.text, dtype=int) for t in risk if t.meta["group"] == "a"}
    assert set(a["at_risk"] + a["events"] + a["censored"]) == {6}


def test_legend_names_carry_the_group_size(figure):
    assert [t.name for t in km_traces(figure, "km")] == ["a (n=6)", "b (n=6)"]
    assert figure.layout.legend.title.text == "Arm:"
    assert figure.layout.yaxis.title.text == "Progression-free probability"


def test_a_group_without_a_curve_is_listed_in_the_table_only():
    res = kaplan_meier([1, 2, 3], [1, 0, 1], ["x", "x", "x"], group_order=["x", "empty"], at_times=[0, 2])
    fig = km_figure(res.curves, res.risk_table, res.summary)
    assert [t.meta["group"] for t in km_traces(fig, "km")] == ["x"]
    assert {t.meta["group"] for t in km_traces(fig, "risk")} == {"x", "empty"}


def test_nothing_to_estimate_gives_an_explaining_figure():
    res = kaplan_meier([], [], [])
    assert "No patient" in km_figure(res.curves, res.risk_table, res.summary).layout.annotations[0].text


def _row(**values):
    base = {"status": "ok", "median": 5.0, "median_ci_low": 3.0, "median_ci_high": 8.25, "is_reference": False,
            "hazard_ratio": 2.345, "hr_ci_low": 1.1, "hr_ci_high": 4.8}
    return pd.Series({**base, **values})


def test_medians_and_hazard_ratios_say_why_they_are_missing():
    assert median_text(_row()) == "5 (3-8.25)"
    assert median_text(_row(median_ci_high=math.inf)) == "5 (3-NR)"
    assert median_text(_row(median=math.inf, median_ci_low=6.0)) == "not reached (lower bound 6)"
    assert median_text(_row(status="too small")) == "too small to estimate"
    assert hazard_text(_row()) == "2.35 (1.1-4.8)"
    assert hazard_text(_row(is_reference=True, hazard_ratio=1.0)) == "1 (reference)"
    assert hazard_text(_row(status="no events", hazard_ratio=math.nan, group="none")) == \
        "not estimable (no events in none)"
    # A degenerate estimate is never shown as a number, whatever the table holds.
    assert hazard_text(_row(hazard_ratio=1.6e8, hr_note="separation: ...")) == "not estimable (separation: ...)"
    assert hazard_text(_row(hazard_ratio=math.nan)) == "not estimable"
    assert p_text(0.0331) == "0.033" and p_text(1.48e-5) == "< 0.001" and p_text(math.nan) == "not testable"
