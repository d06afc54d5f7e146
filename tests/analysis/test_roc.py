"""ROC, DeLong AUC and paired test against Mann-Whitney, a naive O(n^2) DeLong and a bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.agreement import agreement_table
from analysis.roc import auc_delong, cutoff_sweep, delong_test, roc_corners, roc_curve_table, youden_cutoff

# --- the slow, obviously correct reference ----------------------------------------------

def naive_components(scores: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """DeLong structural components by the definition: psi(x, y) = 1 if x > y, 1/2 if equal, else 0."""
    positives = scores[labels]
    negatives = scores[~labels]
    psi = np.array([[1.0 if x > y else 0.5 if x == y else 0.0 for y in negatives] for x in positives])
    return float(psi.mean()), psi.mean(axis=1), psi.mean(axis=0)


def naive_delong_variance(scores: np.ndarray, labels: np.ndarray) -> float:
    _, v10, v01 = naive_components(scores, labels)
    m, n = len(v10), len(v01)
    s10 = np.sum((v10 - v10.mean()) ** 2) / (m - 1)
    s01 = np.sum((v01 - v01.mean()) ** 2) / (n - 1)
    return float(s10 / m + s01 / n)


def naive_delong_test(a: np.ndarray, b: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    auc_a, v10_a, v01_a = naive_components(a, labels)
    auc_b, v10_b, v01_b = naive_components(b, labels)
    m, n = len(v10_a), len(v01_a)

    def cov(u, v):
        return float(np.sum((u - u.mean()) * (v - v.mean())) / (len(u) - 1))

    var = (cov(v10_a, v10_a) + cov(v10_b, v10_b) - 2 * cov(v10_a, v10_b)) / m \
        + (cov(v01_a, v01_a) + cov(v01_b, v01_b) - 2 * cov(v01_a, v01_b)) / n
    z = (auc_a - auc_b) / math.sqrt(var)
    return z, 2 * (1 - stats.norm.cdf(abs(z)))


def example(seed: int = 1, m: int = 25, n: int = 35, shift: float = 1.0, rounding: int | None = None):
    rng = np.random.default_rng(seed)
    scores = np.r_[rng.normal(shift, 1, m), rng.normal(0, 1, n)]
    if rounding is not None:
        scores = np.round(scores, rounding)
    labels = np.r_[np.ones(m, bool), np.zeros(n, bool)]
    return scores, labels


# --- AUC and variance ---------------------------------------------------------------------

@pytest.mark.parametrize("rounding", [None, 1, 0])   # 0 decimals: heavy ties
def test_auc_equals_mann_whitney(rounding):
    scores, labels = example(rounding=rounding)
    u = stats.mannwhitneyu(scores[labels], scores[~labels], alternative="two-sided").statistic
    res = auc_delong(scores, labels)
    assert res.auc == pytest.approx(u / (labels.sum() * (~labels).sum()), abs=1e-12)
    assert (res.n_pos, res.n_neg) == (25, 35)


@pytest.mark.parametrize("rounding", [None, 1, 0])
def test_delong_variance_equals_naive(rounding):
    scores, labels = example(seed=3, rounding=rounding)
    res = auc_delong(scores, labels)
    assert res.se ** 2 == pytest.approx(naive_delong_variance(scores, labels), rel=1e-10)
    z = stats.norm.ppf(0.975)
    assert res.ci_low == pytest.approx(max(0, res.auc - z * res.se))
    assert res.ci_high == pytest.approx(min(1, res.auc + z * res.se))


def test_delong_ci_close_to_bootstrap():
    scores, labels = example(seed=11, m=40, n=50, shift=0.8)
    res = auc_delong(scores, labels)
    pos, neg = scores[labels], scores[~labels]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    rng = np.random.default_rng(20190101)
    # Stratified bootstrap (resample positives and negatives separately), as pROC.
    boot = np.array([psi[np.ix_(rng.integers(0, len(pos), len(pos)), rng.integers(0, len(neg), len(neg)))]
                     .mean() for _ in range(3000)])
    assert res.se == pytest.approx(boot.std(ddof=1), rel=0.10)
    low, high = np.quantile(boot, [0.025, 0.975])
    assert res.ci_low == pytest.approx(low, abs=0.02)
    assert res.ci_high == pytest.approx(high, abs=0.02)


def test_delong_interval_coverage():
    # Binormal model: true AUC = Phi(shift / sqrt 2).  400 replicates of 30 + 30 cases.
    shift = 1.0
    truth = stats.norm.cdf(shift / math.sqrt(2))
    covered = 0
    for seed in range(400):
        scores, labels = example(seed=1000 + seed, m=30, n=30, shift=shift)
        res = auc_delong(scores, labels)
        covered += res.ci_low <= truth <= res.ci_high
    assert 0.91 <= covered / 400 <= 0.98


def test_auc_undefined_cases_give_caveats():
    res = auc_delong([1, 2, 3], [True, True, True])
    assert math.isnan(res.auc) and res.caveats
    res = auc_delong([1, 2, 3], [True, False, False])
    assert res.auc == 0.0 and math.isnan(res.se)
    res = auc_delong([], [])
    assert math.isnan(res.auc) and res.n_pos == 0
    res = auc_delong([1, np.nan, 3, 4], [True, False, None, False])
    assert (res.n_pos, res.n_neg) == (1, 1)
    assert any("2 case(s)" in c for c in res.caveats)


# --- paired DeLong test -----------------------------------------------------------------

@pytest.mark.parametrize("rounding", [None, 0])
def test_delong_test_matches_naive(rounding):
    rng = np.random.default_rng(5)
    scores_a, labels = example(seed=5, rounding=rounding)
    scores_b = scores_a * 0.5 + rng.normal(0, 1, len(scores_a))   # correlated, weaker
    if rounding is not None:
        scores_b = np.round(scores_b, rounding)
    res = delong_test(scores_a, scores_b, labels, name_a="HER2 CN", name_b="CEA")
    z, p = naive_delong_test(scores_a, scores_b, labels)
    assert res.z == pytest.approx(z, rel=1e-10)
    assert res.p_value == pytest.approx(p, rel=1e-8)
    assert res.auc_a == pytest.approx(auc_delong(scores_a, labels).auc)
    assert res.difference == pytest.approx(res.auc_a - res.auc_b)
    assert res.ci_low < res.difference < res.ci_high
    assert 0 < res.correlation < 1
    assert list(res.summary.columns)[:3] == ["auc_a", "auc_b", "difference"]


def test_delong_test_identical_scores_and_missing():
    scores, labels = example(seed=2)
    res = delong_test(scores, scores, labels)
    assert res.difference == 0 and math.isnan(res.p_value) and res.caveats
    b = scores.copy().astype(object)
    b[0] = None
    res = delong_test(scores, b, labels)
    assert res.n_pos == labels.sum() - 1
    assert any("left out of both" in c for c in res.caveats)


def test_delong_test_unpaired_lengths_raise():
    with pytest.raises(ValueError, match="equal length"):
        delong_test([1, 2, 3], [1, 2], [True, False, True])


# --- ROC table, Youden, sweep -------------------------------------------------------------

def test_roc_table_hand_example():
    scores = [1, 2, 2, 3, 4]
    labels = [False, False, True, True, True]
    roc = roc_curve_table(scores, labels)
    assert list(roc["threshold"]) == [np.inf, 4, 3, 2, 1]
    assert list(roc["tp"]) == [0, 1, 2, 3, 3]
    assert list(roc["fp"]) == [0, 0, 0, 1, 2]
    assert roc["tpr"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1, 1])
    assert roc["fpr"].tolist() == pytest.approx([0, 0, 0, 0.5, 1])
    # Trapezoids under the empirical curve = Mann-Whitney AUC, ties counting one half.
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(auc_delong(scores, labels).auc)
    assert youden_cutoff(scores, labels) == pytest.approx((3.0, 2 / 3, 0.0, 2 / 3))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.booleans()), min_size=2, max_size=30))
def test_roc_area_equals_auc_with_ties(pairs):
    scores = np.array([s for s, _ in pairs], dtype=float)
    labels = np.array([lab for _, lab in pairs])
    if labels.all() or not labels.any():
        return
    roc = roc_curve_table(scores, labels)
    assert np.all(np.diff(roc["tpr"]) >= 0) and np.all(np.diff(roc["fpr"]) >= 0)
    auc, _, _ = naive_components(scores, labels)
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(auc)
    assert auc_delong(scores, labels).auc == pytest.approx(auc)
    cut = youden_cutoff(scores, labels)
    assert cut.j == pytest.approx((roc["tpr"] - roc["fpr"]).max())


def test_cutoff_sweep_matches_agreement_table():
    scores, labels = example(seed=8, rounding=1)
    sweep = cutoff_sweep(scores, labels, [0.0, 0.5, 1.2])
    assert list(sweep["cutoff"]) == [0.0, 0.5, 1.2]
    for _, row in sweep.iterrows():
        ref = agreement_table(scores >= row["cutoff"], labels)
        assert (row["a"], row["b"], row["c"], row["d"]) == (ref.a, ref.b, ref.c, ref.d)
        assert row["kappa"] == pytest.approx(ref.estimate("kappa"))
        assert row["ppa_ci_low"] == pytest.approx(ref.summary.set_index("statistic").loc["PPA", "ci_low"])
        assert row["youden_j"] == pytest.approx(ref.estimate("PPA") + ref.estimate("NPA") - 1)
    default = cutoff_sweep(scores, labels)
    assert len(default) == len(np.unique(scores))


def test_empty_inputs_give_typed_empty_tables():
    roc = roc_curve_table([], [])
    assert roc.empty and list(roc.columns) == ["threshold", "tpr", "fpr", "tp", "fp", "fn", "tn"]
    assert all(math.isnan(v) for v in youden_cutoff([], []))
    sweep = cutoff_sweep([], [], [2.4])
    assert sweep.loc[0, "n"] == 0 and math.isnan(sweep.loc[0, "ppa"])


def _drawn_path(fpr, tpr):
    """The hv step path through the points (horizontal then vertical), as the sequence of its corners."""
    path = [(fpr[0], tpr[0])]
    for x, y in zip(fpr[1:], tpr[1:], strict=True):
        for corner in ((x, path[-1][1]), (x, y)):
            if corner != path[-1]:
                path.append(corner)
    # merge collinear corners: the same drawn line has one canonical form
    out = [path[0]]
    for i in range(1, len(path)):
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == path[i][0] or out[-2][1] == out[-1][1] == path[i][1]):
            out[-1] = path[i]
        else:
            out.append(path[i])
    return out


def test_roc_corners_draw_the_same_line_with_fewer_points():
    rng = np.random.default_rng(11)
    labels = rng.random(3000) < 0.3
    scores = np.round(rng.normal(labels * 0.8, 1.0), 3)  # rounded: a few ties, cutoffs that add both classes
    roc = roc_curve_table(scores, labels)
    corners = roc_corners(roc)
    assert len(corners) < 0.6 * len(roc) and ((roc["tp"].diff() > 0) & (roc["fp"].diff() > 0)).any()
    assert corners.iloc[0].equals(roc.iloc[0]) and corners.iloc[-1].equals(roc.iloc[-1])
    assert _drawn_path(list(corners["fpr"]), list(corners["tpr"])) == _drawn_path(list(roc["fpr"]), list(roc["tpr"]))
    # the same area under the curve as every cutoff (trapezoids)
    assert np.trapezoid(corners["tpr"], corners["fpr"]) == pytest.approx(np.trapezoid(roc["tpr"], roc["fpr"]))
    # a curve of two points, or one without any run, is kept whole
    assert len(roc_corners(roc.head(2))) == 2
    alternating = roc_curve_table([4, 3, 2, 1], [True, False, True, False])
    assert len(roc_corners(alternating)) == len(alternating)
