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
    assert by_group(res, "A")["is_reference"] and not math.isnan(by_group(res, "C")["hazard_ratio"])
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
