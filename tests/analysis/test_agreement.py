"""2x2 agreement statistics against statsmodels, hand-computed tables and invariants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.proportion import proportion_confint

from analysis.agreement import (
    STATISTICS,
    agreement_from_counts,
    agreement_table,
    cohens_kappa,
    correlation,
    mcnemar_exact,
    wilson_interval,
)


def calls_from_counts(a: int, b: int, c: int, d: int) -> tuple[list[bool], list[bool]]:
    test = [True] * a + [True] * b + [False] * c + [False] * d
    comparator = [True] * a + [False] * b + [True] * c + [False] * d
    return test, comparator


# --- hand-computed example -------------------------------------------------------------

def test_hand_computed_table():
    # a=40 both +, b=2 plasma only, c=6 tissue only, d=30 both -: n = 78 as in Wang et al.'s paired set.
    test, comparator = calls_from_counts(40, 2, 6, 30)
    res = agreement_table(test, comparator, test_name="plasma", comparator_name="tissue")
    assert (res.a, res.b, res.c, res.d, res.n, res.n_missing) == (40, 2, 6, 30, 78, 0)
    assert res.estimate("PPA") == pytest.approx(40 / 46)
    assert res.estimate("NPA") == pytest.approx(30 / 32)
    assert res.estimate("OPA") == pytest.approx(70 / 78)
    assert res.estimate("PPV") == pytest.approx(40 / 42)
    assert res.estimate("NPV") == pytest.approx(30 / 36)
    # kappa by hand: p_o = 70/78; p_e = (42/78)(46/78) + (36/78)(32/78).
    p_o, p_e = 70 / 78, (42 * 46 + 36 * 32) / 78 ** 2
    assert res.estimate("kappa") == pytest.approx((p_o - p_e) / (1 - p_e))
    # McNemar exact by hand: 2 x P(X <= 2), X ~ Bin(8, 1/2) = 2 x (1 + 8 + 28) / 256.
    assert res.mcnemar_p == pytest.approx(2 * 37 / 256)
    summary = res.summary
    assert list(summary.columns) == ["statistic", "estimate", "ci_low", "ci_high", "numerator", "denominator"]
    assert list(summary["statistic"]) == list(STATISTICS)
    ppa = summary.set_index("statistic").loc["PPA"]
    assert (ppa["numerator"], ppa["denominator"]) == (40, 46)
    assert res.caveats == ()
    table = res.table
    assert table.loc["plasma +", "tissue +"] == 40 and table.loc["total", "total"] == 78


def test_wilson_hand_computed():
    # 8/10 at 95%: centre (0.8 + 1.96^2/20) / (1 + 1.96^2/10), known bounds 0.4902, 0.9433.
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.49016, abs=1e-4)
    assert high == pytest.approx(0.94332, abs=1e-4)


# --- against statsmodels ---------------------------------------------------------------

TABLES = [(40, 2, 6, 30), (20, 5, 10, 15), (3, 0, 0, 7), (0, 4, 3, 9), (12, 7, 1, 0), (1, 1, 1, 1),
          (100, 13, 22, 250)]


@pytest.mark.parametrize("a,b,c,d", TABLES)
def test_kappa_matches_statsmodels(a, b, c, d):
    ref = sm_cohens_kappa(np.array([[a, b], [c, d]]))
    ours = cohens_kappa(a, b, c, d)
    assert ours.kappa == pytest.approx(ref.kappa, abs=1e-12)
    assert ours.se == pytest.approx(ref.std_kappa, abs=1e-12)
    assert ours.ci_low == pytest.approx(max(-1.0, ref.kappa_low), abs=1e-12)
    assert ours.ci_high == pytest.approx(min(1.0, ref.kappa_upp), abs=1e-12)


@pytest.mark.parametrize("k,n", [(0, 5), (5, 5), (3, 10), (40, 46), (1, 1), (17, 300)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_statsmodels(k, n, confidence):
    ref = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    assert wilson_interval(k, n, confidence) == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("b,c", [(0, 0), (0, 1), (2, 6), (5, 5), (1, 12), (30, 11)])
def test_mcnemar_matches_statsmodels(b, c):
    ref = mcnemar(np.array([[10, b], [c, 10]]), exact=True).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(ref, abs=1e-12)
    if b + c:
        assert mcnemar_exact(b, c) == pytest.approx(stats.binomtest(b, b + c, 0.5).pvalue, abs=1e-12)


# --- undefined values, missing pairs ---------------------------------------------------

def test_no_comparator_positive_gives_nan_and_caveat():
    res = agreement_table([False, True, False], [False, False, False], test_name="plasma",
                          comparator_name="tissue")
    assert math.isnan(res.estimate("PPA"))
    assert res.estimate("NPA") == pytest.approx(2 / 3)
    assert any("no tissue-positive samples: PPA undefined" in c for c in res.caveats)
    ppa = res.summary.set_index("statistic").loc["PPA"]
    assert math.isnan(ppa["ci_low"]) and math.isnan(ppa["ci_high"])


def test_constant_equal_calls_kappa_undefined():
    res = agreement_table([True] * 4, [True] * 4)
    assert math.isnan(res.estimate("kappa"))
    assert res.estimate("OPA") == 1.0
    assert any("kappa undefined" in c for c in res.caveats)
    assert res.mcnemar_p == 1.0


def test_missing_pairs_dropped_and_counted():
    test = [True, None, False, np.nan, True, pd.NA]
    comparator = [True, True, False, False, None, False]
    res = agreement_table(test, comparator)
    assert (res.a, res.d, res.n, res.n_missing) == (1, 1, 2, 4)
    assert any("4 pair(s)" in c for c in res.caveats)


def test_nullable_boolean_series_accepted():
    res = agreement_table(pd.Series([True, False, pd.NA], dtype="boolean"),
                          pd.Series([1, 0, 1]))
    assert (res.a, res.d, res.n_missing) == (1, 1, 1)


def test_empty_input_gives_nan_not_exception():
    res = agreement_table([], [])
    assert res.n == 0
    assert res.summary["estimate"].isna().all()
    assert any("no complete pairs" in c for c in res.caveats)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="equal length"):
        agreement_table([True], [True, False])
    with pytest.raises(ValueError, match="expected True/False"):
        agreement_table(["yes"], [True])
    with pytest.raises(ValueError):
        agreement_from_counts(-1, 0, 0, 0)


def test_no_sensitivity_wording():
    res = agreement_table([True, False, True], [True, False, False])
    text = " ".join(res.summary["statistic"]) + " ".join(res.caveats)
    assert "sensitivity" not in text.lower() and "specificity" not in text.lower()


# --- invariants (hypothesis) -----------------------------------------------------------

counts = st.tuples(*(st.integers(min_value=0, max_value=60) for _ in range(4)))
PROPORTIONS = ["PPA", "NPA", "OPA", "PPV", "NPV"]


@settings(max_examples=150, deadline=None)
@given(counts)
def test_agreement_within_unit_interval(abcd):
    res = agreement_from_counts(*abcd)
    s = res.summary.set_index("statistic")
    for stat in PROPORTIONS:
        for col in ("estimate", "ci_low", "ci_high"):
            value = s.loc[stat, col]
            assert math.isnan(value) or 0.0 <= value <= 1.0
        if not math.isnan(s.loc[stat, "estimate"]):
            assert s.loc[stat, "ci_low"] <= s.loc[stat, "estimate"] <= s.loc[stat, "ci_high"]
    kappa = s.loc["kappa", "estimate"]
    assert math.isnan(kappa) or -1.0 <= kappa <= 1.0
    p = res.mcnemar_p
    assert math.isnan(p) or 0.0 <= p <= 1.0


@settings(max_examples=150, deadline=None)
@given(counts)
def test_swapping_test_and_comparator(abcd):
    a, b, c, d = abcd
    forward = agreement_from_counts(a, b, c, d)
    swapped = agreement_from_counts(a, c, b, d)   # the comparator becomes the test
    same = pytest.approx(nan_ok=True, abs=1e-12, expected=forward.estimate("kappa"))
    assert swapped.estimate("kappa") == same
    assert swapped.estimate("OPA") == pytest.approx(forward.estimate("OPA"), nan_ok=True)
    assert forward.estimate("PPA") == pytest.approx(swapped.estimate("PPV"), nan_ok=True)
    assert forward.estimate("NPA") == pytest.approx(swapped.estimate("NPV"), nan_ok=True)
    assert forward.mcnemar_p == pytest.approx(swapped.mcnemar_p, nan_ok=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=0, max_size=40))
def test_table_from_calls_matches_counts(pairs):
    test = [t for t, _ in pairs]
    comparator = [r for _, r in pairs]
    res = agreement_table(test, comparator)
    assert res.a == sum(t and r for t, r in pairs)
    assert res.b == sum(t and not r for t, r in pairs)
    assert res.c == sum(r and not t for t, r in pairs)
    assert res.n == len(pairs)


# --- correlation ------------------------------------------------------------------------

def test_correlation_matches_scipy_and_fisher_interval():
    rng = np.random.default_rng(7)
    x = rng.normal(size=30)
    y = x + rng.normal(scale=0.8, size=30)
    res = correlation(x, y, method="pearson")
    ref = stats.pearsonr(x, y)
    assert res.estimate == pytest.approx(ref.statistic)
    assert res.p_value == pytest.approx(ref.pvalue)
    ci = ref.confidence_interval(0.95)   # scipy's Fisher-z interval
    assert (res.ci_low, res.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-9)
    spear = correlation(x, y, method="spearman")
    rho = stats.spearmanr(x, y).statistic
    half = 1.959963984540054 * math.sqrt(1.06 / 27)
    assert spear.estimate == pytest.approx(rho)
    assert (spear.ci_low, spear.ci_high) == pytest.approx((math.tanh(math.atanh(rho) - half),
                                                           math.tanh(math.atanh(rho) + half)))


def test_correlation_small_or_constant_gives_caveat():
    assert math.isnan(correlation([1, 2], [2, 3]).estimate)
    res = correlation([1, 1, 1, 1], [1, 2, 3, 4])
    assert math.isnan(res.estimate) and res.caveats
    res = correlation([1, 2, None, 4, 5], [1, 3, 2, np.nan, 5])
    assert res.n == 3 and math.isnan(res.ci_low)
