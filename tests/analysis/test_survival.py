"""Kaplan-Meier, log-rank and Cox against published values (R survival) and hand-built data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.survival import (
    STATUS_EMPTY,
    STATUS_NO_EVENTS,
    STATUS_OK,
    STATUS_TOO_SMALL,
    kaplan_meier,
    nice_times,
)

SURVIVAL_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "survival"


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    # Comma-separated with a header; status already recoded 1 = dead, 0 = censored; sex 1 = male, 2 = female.
    frame = pd.read_csv(SURVIVAL_DATA / "lung.csv")
    assert set(frame["status"]) == {0, 1}
    return frame


@pytest.fixture(scope="module")
def gehan() -> pd.DataFrame:
    # Whitespace-separated, no header: group (1 placebo, 2 6-MP), weeks, relapse (1 = relapsed).
    frame = pd.read_csv(SURVIVAL_DATA / "gehan.dat", sep=r"\s+", header=None,
                        names=["group", "weeks", "relapse"])
    assert len(frame) == 42 and frame["group"].value_counts().tolist() == [21, 21]
    return frame


@pytest.fixture(scope="module")
def gbsg2() -> pd.DataFrame:
    # Comma-separated with a header; cens 1 = event; horTh no/yes.
    return pd.read_csv(SURVIVAL_DATA / "gbsg2.csv")


def by_group(result, group):
    return result.summary.set_index("group").loc[group]


def test_lung_by_sex_matches_r(lung):
    sex = lung["sex"].map({1: "male", 2: "female"})
    res = kaplan_meier(lung["time"], lung["status"], sex, group_order=["male", "female"])
    male, female = by_group(res, "male"), by_group(res, "female")
    # R survdiff(Surv(time, status) ~ sex): N 138/90, observed 112/53, chisq 10.3, p 0.00131.
    assert (male["n"], male["events"], female["n"], female["events"]) == (138, 112, 90, 53)
    assert res.logrank.test_statistic == pytest.approx(10.3, abs=0.05)
    assert res.logrank.p_value == pytest.approx(0.00131, abs=5e-6)
    assert res.logrank.degrees_of_freedom == 1
    assert (male["median"], female["median"]) == (270, 426)
    # R coxph(Surv(time, status) ~ sex): exp(coef) 0.588, 95% CI 0.4237-0.816, p 0.00149 (female vs male).
    assert res.reference_group == "male" and bool(male["is_reference"])
    assert female["hazard_ratio"] == pytest.approx(0.588, abs=5e-4)
    assert (female["hr_ci_low"], female["hr_ci_high"]) == pytest.approx((0.4237, 0.816), abs=5e-4)
    assert female["hr_p_value"] == pytest.approx(0.00149, abs=1e-5)
    assert list(res.summary["group"]) == ["male", "female"]


def test_lung_overall_median(lung):
    res = kaplan_meier(lung["time"], lung["status"])
    overall = by_group(res, "all")
    assert overall["median"] == 310
    assert overall["median_ci_low"] <= 310 <= overall["median_ci_high"]
    assert res.logrank is None and res.reference_group is None


def test_gehan_matches_published(gehan):
    res = kaplan_meier(gehan["weeks"], gehan["relapse"], gehan["group"].map({1: "placebo", 2: "6-MP"}),
                       reference="placebo")
    assert by_group(res, "placebo")["median"] == 8
    assert by_group(res, "6-MP")["median"] == 23
    assert res.logrank.test_statistic == pytest.approx(16.79, abs=0.005)
    assert res.logrank.p_value == pytest.approx(4.17e-5, rel=1e-3)
    # The 6-MP median CI has no upper bound within follow-up: "not reached" is inf, not NaN.
    assert math.isinf(by_group(res, "6-MP")["median_ci_high"])
    assert by_group(res, "6-MP")["hazard_ratio"] < 1


def test_gbsg2_by_hormone_therapy(gbsg2):
    res = kaplan_meier(gbsg2["time"], gbsg2["cens"], gbsg2["horTh"])
    no, yes = by_group(res, "no"), by_group(res, "yes")
    assert (no["n"], no["events"], yes["n"], yes["events"]) == (440, 205, 246, 94)
    assert res.logrank.test_statistic == pytest.approx(8.56, abs=0.005)
    assert res.logrank.p_value == pytest.approx(0.0034, abs=5e-5)
    assert (no["median"], yes["median"]) == (1528, 2018)


def test_kmunicate_table_partitions_each_group(lung):
    sex = lung["sex"].map({1: "male", 2: "female"})
    res = kaplan_meier(lung["time"], lung["status"], sex, at_times=[0, 200, 400, 600])
    table = res.risk_table
    assert list(table.columns) == ["group", "time", "at_risk", "events", "censored", "survival", "ci_low",
                                   "ci_high"]
    n = res.summary.set_index("group")["n"]
    for _, row in table.iterrows():
        assert row["at_risk"] + row["events"] + row["censored"] == n[row["group"]]
    male = table[table["group"] == "male"].set_index("time")
    lung_male = lung[lung["sex"] == 1]
    assert male.loc[200, "at_risk"] == (lung_male["time"] > 200).sum()
    assert male.loc[400, "events"] == ((lung_male["time"] <= 400) & (lung_male["status"] == 1)).sum()
    assert male.loc[0, "survival"] == 1.0
    curve = res.curves[res.curves["group"] == "male"]
    assert male.loc[400, "survival"] == pytest.approx(curve.loc[curve["time"] <= 400, "survival"].iloc[-1])
    assert (male["ci_low"] <= male["survival"]).all() and (male["survival"] <= male["ci_high"]).all()


def test_curve_hand_computed():
    # Times 1, 2+, 3, 3, 5+: S(1) = 4/5, S(3) = 4/5 x 1/3.
    res = kaplan_meier([1, 2, 3, 3, 5], [1, 0, 1, 1, 0])
    curve = res.curves.set_index("time")
    assert curve.loc[0, "survival"] == 1.0
    assert curve.loc[1, "survival"] == pytest.approx(0.8)
    assert curve.loc[3, "survival"] == pytest.approx(0.8 / 3)
    assert (curve.loc[3, "at_risk"], curve.loc[3, "events"], curve.loc[2, "censored"]) == (3, 2, 1)
    assert by_group(res, "all")["median"] == 3
    # KMunicate at t = 3 (a tied event time): followed beyond 3, events and censorings up to 3.
    row = kaplan_meier([1, 2, 3, 3, 5], [1, 0, 1, 1, 0], at_times=[3]).risk_table.iloc[0]
    assert (row["at_risk"], row["events"], row["censored"]) == (1, 3, 1)
    assert row["survival"] == pytest.approx(0.8 / 3)


def test_small_and_eventless_groups_reported_not_dropped():
    durations = [5, 6, 7, 8, 3, 4, 9, 10, 2]
    events = [1, 1, 0, 1, 0, 0, 1, 1, 1]
    groups = ["A", "A", "A", "A", "B", "B", "C", "C", "D"]
    res = kaplan_meier(durations, events, groups, group_order=["A", "B", "C", "D", "E"])
    status = res.summary.set_index("group")["status"]
    assert status.to_dict() == {"A": STATUS_OK, "B": STATUS_NO_EVENTS, "C": STATUS_OK, "D": STATUS_TOO_SMALL,
                                "E": STATUS_EMPTY}
    assert res.logrank.groups == ("A", "B", "C")
    assert res.logrank.degrees_of_freedom == 2
    b = by_group(res, "B")
    assert math.isinf(b["median"]) and math.isnan(b["hazard_ratio"])
    assert math.isnan(by_group(res, "D")["median"])
    assert by_group(res, "A")["is_reference"]
    # C's two events (months 9, 10) come after every A patient has left follow-up (month 8): separated.
    assert math.isnan(by_group(res, "C")["hazard_ratio"]) and "separation" in by_group(res, "C")["hr_note"]
    text = " ".join(res.caveats)
    assert "group D" in text and "too small" in text and "group E: no patients" in text
    assert "group B: no events" in text


def test_cox_k_groups_vs_reference_matches_lifelines_direct(gbsg2):
    from lifelines import CoxPHFitter

    grade = gbsg2["tgrade"]
    res = kaplan_meier(gbsg2["time"], gbsg2["cens"], grade, reference="I")
    design = pd.DataFrame({"T": gbsg2["time"], "E": gbsg2["cens"], "II": (grade == "II") * 1.0,
                           "III": (grade == "III") * 1.0})
    ref = CoxPHFitter().fit(design, "T", "E").summary
    for level in ("II", "III"):
        assert by_group(res, level)["hazard_ratio"] == pytest.approx(ref.loc[level, "exp(coef)"], rel=1e-6)
    assert res.logrank.degrees_of_freedom == 2


def test_all_censored_and_empty_inputs():
    res = kaplan_meier([1, 2, 3, 4], [0, 0, 0, 0], ["a", "a", "b", "b"])
    assert res.logrank is None
    assert set(res.summary["status"]) == {STATUS_NO_EVENTS}
    assert any("every patient is censored" in c for c in res.caveats)
    empty = kaplan_meier([], [], [])
    assert empty.summary.empty and empty.curves.empty and empty.logrank is None
    assert list(empty.summary.columns)[:5] == ["group", "n", "events", "censored", "status"]
    assert empty.caveats
    single = kaplan_meier([4.0], [True])
    assert by_group(single, "all")["status"] == STATUS_TOO_SMALL


def test_missing_values_dropped_with_caveats():
    res = kaplan_meier([1, 2, None, 4, -1, 6], [1, None, 1, 0, 1, 1], ["a", "a", "b", None, "b", "b"])
    assert res.summary["n"].sum() == 2
    text = " ".join(res.caveats)
    assert "missing time or event" in text and "without a group" in text and "negative time" in text


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="equal length"):
        kaplan_meier([1, 2], [1])
    with pytest.raises(ValueError, match="reference"):
        kaplan_meier([1, 2], [1, 1], ["a", "b"], reference="z")
    with pytest.raises(ValueError, match="events"):
        kaplan_meier([1, 2], [1, 2])


def test_nice_times():
    assert nice_times(23.4) == [0, 5, 10, 15, 20]
    assert nice_times(1022) == [0, 200, 400, 600, 800, 1000]
    assert nice_times(0) == [0.0]
    assert np.all(np.diff(nice_times(7.3)) > 0)


# --- estimability of the Cox hazard ratio (complete / quasi-complete separation) ----------------------
# Quasi-complete separation: every "fast" patient has progressed by month 3, before the first "slow"
# event (month 4); lifelines then stops at a log HR of about 18 with a standard error in the
# thousands, which is no estimate at all (Heinze and Schemper 2001).
SEPARATED = {"durations": [1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
             "events": [1, 1, 1, 1, 1, 1, 0, 1, 1, 0],
             "groups": ["fast"] * 4 + ["slow"] * 6}


def test_quasi_complete_separation_is_not_estimable():
    from lifelines import CoxPHFitter

    # The library on its own returns a "number": check that the data really are degenerate.
    design = pd.DataFrame({"T": SEPARATED["durations"], "E": SEPARATED["events"],
                           "fast": [g == "fast" for g in SEPARATED["groups"]]}).astype(float)
    with pytest.warns(Warning):
        raw = CoxPHFitter().fit(design, "T", "E").summary.loc["fast"]
    assert raw["se(coef)"] > 100

    res = kaplan_meier(SEPARATED["durations"], SEPARATED["events"], SEPARATED["groups"], group_order=["slow", "fast"])
    fast = by_group(res, "fast")
    assert fast["status"] == STATUS_OK and fast["median"] == 2.0  # the curve and median are fine
    assert math.isnan(fast["hazard_ratio"]) and math.isnan(fast["hr_ci_high"]) and math.isnan(fast["hr_p_value"])
    assert fast["hr_note"].startswith("separation") and "slow" in fast["hr_note"]
    assert any("not estimable" in c and "fast" in c for c in res.caveats)
    assert res.logrank is not None  # the log-rank test is still valid


def test_group_without_events_has_a_reason_and_the_others_keep_their_estimate():
    # "none" has no events: its HR is not estimable; b vs a is the two-group fit of lifelines.
    from lifelines import CoxPHFitter

    durations = [1, 3, 5, 7, 9, 2, 4, 6, 8, 10, 3, 6, 9]
    events = [1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0]
    groups = ["a"] * 5 + ["b"] * 5 + ["none"] * 3
    res = kaplan_meier(durations, events, groups, group_order=["a", "b", "none"])
    none = by_group(res, "none")
    assert math.isnan(none["hazard_ratio"]) and none["hr_note"] == "no events in none"
    design = pd.DataFrame({"T": durations[:10], "E": events[:10], "b": [g == "b" for g in groups[:10]]}).astype(float)
    expected = CoxPHFitter().fit(design, "T", "E").summary.loc["b", "exp(coef)"]
    assert by_group(res, "b")["hazard_ratio"] == pytest.approx(expected, rel=1e-6)
    assert by_group(res, "b")["hr_note"] == ""


def test_separated_group_is_left_out_of_the_model_of_the_others():
    # fast vs slow separated; mid overlaps slow and keeps the HR of the model without "fast".
    from lifelines import CoxPHFitter

    durations = SEPARATED["durations"] + [3.5, 5.5, 6.5, 8.5, 10.0]
    events = SEPARATED["events"] + [1, 1, 0, 1, 1]
    groups = SEPARATED["groups"] + ["mid"] * 5
    res = kaplan_meier(durations, events, groups, group_order=["slow", "mid", "fast"])
    assert math.isnan(by_group(res, "fast")["hazard_ratio"])
    keep = [g != "fast" for g in groups]
    design = pd.DataFrame({"T": np.array(durations)[keep], "E": np.array(events)[keep],
                           "mid": [g == "mid" for g, k in zip(groups, keep, strict=True) if k]}).astype(float)
    expected = CoxPHFitter().fit(design, "T", "E").summary.loc["mid", "exp(coef)"]
    assert by_group(res, "mid")["hazard_ratio"] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("failure", ["error", "warning"])
def test_a_cox_fit_that_does_not_converge_gives_no_hazard_ratio(monkeypatch, failure):
    import warnings

    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError, ConvergenceWarning

    real_fit = CoxPHFitter.fit

    def failing_fit(self, *args, **kwargs):
        if failure == "error":
            raise ConvergenceError("Convergence halted due to matrix inversion problems.")
        warnings.warn("Newton-Raphson convergence completed successfully but norm(delta) is still high, 0.5.",
                      ConvergenceWarning, stacklevel=2)
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(CoxPHFitter, "fit", failing_fit)
    durations = [1, 3, 5, 7, 9, 2, 4, 6, 8, 10]
    res = kaplan_meier(durations, [1, 1, 0, 1, 1, 1, 0, 1, 1, 1], ["a"] * 5 + ["b"] * 5)
    b = by_group(res, "b")
    assert math.isnan(b["hazard_ratio"]) and b["hr_note"] == "Cox model did not converge"
    assert res.logrank is not None
