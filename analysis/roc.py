"""ROC curves, AUC with DeLong intervals, the paired DeLong test, Youden cutoff, cutoff sweeps.

Convention: a *higher* score means "more likely positive"; a case is called
positive at cutoff t when ``score >= t``.  Labels are True for the positive
class (e.g. tissue-amplified, or progression at this assessment).

AUC variance follows DeLong, DeLong and Clarke-Pearson (1988) computed with
the midrank algorithm of Sun and Xu (2014); ties count one half.  Definitions
are in ``docs/methods.md (Part B)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

import numpy as np
import pandas as pd

from analysis.agreement import ROW_COLUMNS, agreement_from_counts
from analysis.params import CONFIDENCE_LEVEL

ArrayLike: TypeAlias = Sequence | np.ndarray | pd.Series

#: Columns of :func:`roc_curve_table`.
ROC_COLUMNS = ("threshold", "tpr", "fpr", "tp", "fp", "fn", "tn")

#: Most cutoffs one sweep evaluates, whatever the data: grids are bounded by design, not by the values'
#: range (one implausible value once made a 0.1-copy grid of 20 GiB).
MAX_SWEEP_CUTOFFS = 400


def round_step_up(step: float) -> float:
    """The smallest 1, 2 or 5 x 10^k at or above *step* (> 0).

    >>> round_step_up(0.1), round_step_up(0.13), round_step_up(3.0), round_step_up(700.0)
    (0.1, 0.2, 5.0, 1000.0)
    """
    magnitude = 10.0 ** math.floor(math.log10(step))
    for multiple in (1.0, 2.0, 5.0, 10.0):
        if multiple * magnitude >= step * (1 - 1e-9):
            return float(multiple * magnitude)
    return 10.0 * magnitude  # pragma: no cover - the loop always returns


def sweep_grid(scores: ArrayLike, step: float, include: Sequence[float] = (),
               max_points: int = MAX_SWEEP_CUTOFFS) -> np.ndarray:
    """Cutoffs at multiples of *step* over the range of the finite *scores*, plus *include*.

    At most half of ``max_points`` fine steps are taken from the lowest score up; a range wider than
    that continues with a coarser round step (1, 2 or 5 x 10^k) for the other half, so the grid never
    holds more than about ``max_points + len(include)`` cutoffs, whatever the values.

    >>> sweep_grid([1.03, 2.96], 0.5, include=[2.4]).tolist()
    [1.0, 1.5, 2.0, 2.4, 2.5, 3.0]
    >>> grid = sweep_grid([0.5, 2.7e8], 0.1)
    >>> len(grid) <= MAX_SWEEP_CUTOFFS, grid[:3].tolist(), bool(grid[-1] >= 2.7e8)
    (True, [0.5, 0.6, 0.7], True)
    """
    values = np.asarray(scores, dtype=float)
    values = values[np.isfinite(values)]
    extra = np.asarray([v for v in include if np.isfinite(v)], dtype=float)
    if not len(values):
        return np.unique(extra)
    low, high = (min(max(float(v), -1e300), 1e300) for v in (values.min(), values.max()))
    half = max(max_points // 2, 2)
    first = math.floor(low / step + 1e-9)
    fine_last = min(math.ceil(high / step - 1e-9), first + half - 1)
    grid = [np.round(np.arange(first, fine_last + 1, dtype=float) * step, 10)]
    fine_high = fine_last * step
    if high > fine_high:
        coarse = round_step_up(max(step, (high - fine_high) / (half - 1)))
        grid.append(np.arange(math.ceil(fine_high / coarse), math.ceil(high / coarse) + 1, dtype=float) * coarse)
    return np.union1d(np.concatenate(grid), extra)


def _clean(scores: ArrayLike, labels: ArrayLike, *extra: ArrayLike) -> tuple[np.ndarray, ...]:
    """Float scores and bool labels with incomplete rows dropped; returns (*scores, labels, n_dropped)."""
    columns = [pd.to_numeric(pd.Series(np.asarray(s, dtype=object)), errors="coerce").astype(float).to_numpy()
               for s in (scores, *extra)]
    label_series = pd.Series(np.asarray(labels, dtype=object))
    if any(len(c) != len(label_series) for c in columns):
        raise ValueError(f"expected scores and labels of equal length, got {[len(c) for c in columns]} "
                         f"and {len(label_series)}")
    label_missing = label_series.isna().to_numpy()
    present = label_series[~label_missing].unique()
    bad = [v for v in present if not (isinstance(v, (bool, np.bool_)) or v in (0, 1))]
    if bad:
        raise ValueError(f"labels: expected True/False (or 1/0), got {bad[:3]!r}")
    keep = ~label_missing
    for c in columns:
        keep &= np.isfinite(c)
    label_values = label_series[keep].astype(bool).to_numpy()
    return (*(c[keep] for c in columns), label_values, np.int64((~keep).sum()))


def roc_curve_table(scores: ArrayLike, labels: ArrayLike) -> pd.DataFrame:
    """The empirical ROC curve, one row per distinct cutoff.

    Parameters
    ----------
    scores
        Continuous test values (e.g. plasma ERBB2 copies); higher = more likely positive.
    labels
        True for comparator-positive cases.  Rows with a missing score or label are dropped.

    Returns
    -------
    DataFrame
        ``threshold`` (call positive when score >= threshold; the first row is +inf:
        nothing called positive), ``tpr`` = tp / (tp + fn), ``fpr`` = fp / (fp + tn),
        and the counts ``tp, fp, fn, tn``; thresholds descending, so tpr and fpr ascend.
        Empty (typed) when there are no complete rows; tpr (fpr) is NaN without
        positives (negatives).
    """
    x, y, _ = _clean(scores, labels)
    if len(x) == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("threshold", "tpr", "fpr") else "int64")
                             for c in ROC_COLUMNS})
    order = np.argsort(-x, kind="mergesort")
    xs, ys = x[order], y[order]
    distinct = np.r_[np.nonzero(np.diff(xs))[0], len(xs) - 1]
    tp = np.r_[0, np.cumsum(ys)[distinct]]
    fp = np.r_[0, np.cumsum(~ys)[distinct]]
    n_pos, n_neg = int(ys.sum()), int((~ys).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = tp / n_pos if n_pos else np.full(len(tp), np.nan)
        fpr = fp / n_neg if n_neg else np.full(len(fp), np.nan)
    return pd.DataFrame({
        "threshold": np.r_[np.inf, xs[distinct]],
        "tpr": tpr.astype(float), "fpr": fpr.astype(float),
        "tp": tp.astype("int64"), "fp": fp.astype("int64"),
        "fn": (n_pos - tp).astype("int64"), "tn": (n_neg - fp).astype("int64"),
    })


def roc_corners(roc: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`roc_curve_table` where the curve turns: drawing only these gives the same line.

    Inside a run of cutoffs that each add only positives (a vertical run) or only negatives (a
    horizontal run), the middle points lie on the straight segment between the run's ends; they are
    dropped (as scikit-learn's ``roc_curve(drop_intermediate=True)``).  The first and last rows and every
    point where the direction changes, or where a cutoff adds both (tied scores), are kept.  For drawing
    only: AUCs and tests use every cutoff.
    """
    if len(roc) < 3:
        return roc
    dtp = np.diff(roc["tp"].to_numpy())
    dfp = np.diff(roc["fp"].to_numpy())
    vertical, horizontal = (dtp > 0) & (dfp == 0), (dfp > 0) & (dtp == 0)
    middle = (vertical[:-1] & vertical[1:]) | (horizontal[:-1] & horizontal[1:])
    keep = np.r_[True, ~middle, True]
    return roc[keep]


def _midrank(values: np.ndarray) -> np.ndarray:
    """Midranks (1-based; ties share the mean rank), as in Sun and Xu (2014)."""
    from scipy import stats  # imported when used: not needed to serve a first page
    return stats.rankdata(values, method="average")


def _placements(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC and the DeLong structural components V10 (per positive) and V01 (per negative).

    V10_i = P(score of a negative < x_i) + 1/2 P(=); V01_j = P(score of a positive > y_j) + 1/2 P(=).
    Sun and Xu (2014): V10 = (Tz_i - Tx_i) / n, V01 = 1 - (Tz_j - Ty_j) / m, with
    midranks Tz in the pooled sample, Tx among positives, Ty among negatives.
    """
    m, n = len(x), len(y)
    tz = _midrank(np.concatenate([x, y]))
    v10 = (tz[:m] - _midrank(x)) / n
    v01 = 1.0 - (tz[m:] - _midrank(y)) / m
    return float(v10.mean()), v10, v01


@dataclass(frozen=True)
class AucResult:
    """AUC with its DeLong standard error and Wald interval (clipped to [0, 1])."""

    auc: float
    ci_low: float
    ci_high: float
    se: float
    n_pos: int
    n_neg: int
    confidence: float
    caveats: tuple[str, ...] = ()

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{"auc": self.auc, "ci_low": self.ci_low, "ci_high": self.ci_high,
                              "se": self.se, "n_pos": self.n_pos, "n_neg": self.n_neg}])


def _undefined_auc_caveat(n_pos: int, n_neg: int) -> str | None:
    if n_pos == 0 or n_neg == 0:
        return f"{n_pos} positive and {n_neg} negative case(s): AUC undefined."
    return None


def auc_delong(scores: ArrayLike, labels: ArrayLike, confidence: float = CONFIDENCE_LEVEL) -> AucResult:
    """AUC (= Mann-Whitney U / (n_pos n_neg)) with the DeLong (1988) variance.

    Parameters
    ----------
    scores, labels
        As :func:`roc_curve_table`; incomplete rows dropped (caveat).
    confidence
        Two-sided level of the interval AUC +/- z se, clipped to [0, 1] (as pROC).

    Returns
    -------
    AucResult
        NaN fields and a caveat when there are no positives or no negatives; the
        standard error needs at least 2 of each (else NaN, with a caveat).

    Examples
    --------
    >>> res = auc_delong([0.5, 2.0, 3.0, 3.0, 4.0], [False, False, True, False, True])
    >>> round(res.auc, 4)   # (2.5 + 3) / (2 x 3): the tie at 3.0 counts one half
    0.9167
    """
    from scipy import stats  # imported when used: not needed to serve a first page
    x_all, y_all, dropped = _clean(scores, labels)
    x, y = x_all[y_all], x_all[~y_all]
    caveats: list[str] = []
    if dropped:
        caveats.append(f"{int(dropped)} case(s) with a missing score or label were left out.")
    undefined = _undefined_auc_caveat(len(x), len(y))
    nan = math.nan
    if undefined:
        caveats.append(undefined)
        return AucResult(nan, nan, nan, nan, len(x), len(y), confidence, tuple(caveats))
    auc, v10, v01 = _placements(x, y)
    if len(x) < 2 or len(y) < 2:
        caveats.append("fewer than 2 positive or negative cases: no DeLong variance.")
        return AucResult(auc, nan, nan, nan, len(x), len(y), confidence, tuple(caveats))
    var = v10.var(ddof=1) / len(x) + v01.var(ddof=1) / len(y)
    se = math.sqrt(var)
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    if len(x) < 10 or len(y) < 10:
        caveats.append(f"{len(x)} positive and {len(y)} negative cases: the normal-approximation "
                       "interval may be inaccurate.")
    return AucResult(auc, max(0.0, auc - z * se), min(1.0, auc + z * se), se, len(x), len(y),
                     confidence, tuple(caveats))


@dataclass(frozen=True)
class DeLongTestResult:
    """Paired DeLong test of two correlated AUCs on the same cases."""

    auc_a: float
    auc_b: float
    difference: float
    ci_low: float
    ci_high: float
    se: float
    z: float
    p_value: float
    correlation: float
    n_pos: int
    n_neg: int
    confidence: float
    name_a: str = "a"
    name_b: str = "b"
    caveats: tuple[str, ...] = ()

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{"auc_a": self.auc_a, "auc_b": self.auc_b, "difference": self.difference,
                              "ci_low": self.ci_low, "ci_high": self.ci_high, "se": self.se, "z": self.z,
                              "p_value": self.p_value, "correlation": self.correlation,
                              "n_pos": self.n_pos, "n_neg": self.n_neg}])


def delong_test(scores_a: ArrayLike, scores_b: ArrayLike, labels: ArrayLike, *,
                confidence: float = CONFIDENCE_LEVEL, name_a: str = "a",
                name_b: str = "b") -> DeLongTestResult:
    """DeLong (1988) test of AUC_a = AUC_b for two scores measured on the same cases.

    Parameters
    ----------
    scores_a, scores_b
        Two scores of the same cases (e.g. % change of plasma HER2 CN and of CEA).
    labels
        True for positive cases.  A case missing either score or its label is dropped
        from both (the comparison must be paired).
    confidence
        Level of the interval of the difference AUC_a - AUC_b.
    name_a, name_b
        Labels of the two scores, for captions.

    Returns
    -------
    DeLongTestResult
        difference = auc_a - auc_b; se from the 2x2 DeLong covariance; z = difference / se;
        two-sided normal p.  NaN fields with a caveat when undefined (no positives or
        negatives, fewer than 2 of either, or se = 0 e.g. identical scores).
    """
    from scipy import stats  # imported when used: not needed to serve a first page
    a_all, b_all, y_all, dropped = _clean(scores_a, labels, scores_b)
    caveats: list[str] = []
    if dropped:
        caveats.append(f"{int(dropped)} case(s) missing a score or label were left out of both curves.")
    n_pos, n_neg = int(y_all.sum()), int((~y_all).sum())
    nan = math.nan
    undefined = _undefined_auc_caveat(n_pos, n_neg)
    if undefined:
        caveats.append(undefined)
        return DeLongTestResult(nan, nan, nan, nan, nan, nan, nan, nan, nan, n_pos, n_neg, confidence,
                                name_a, name_b, tuple(caveats))
    auc_a, v10_a, v01_a = _placements(a_all[y_all], a_all[~y_all])
    auc_b, v10_b, v01_b = _placements(b_all[y_all], b_all[~y_all])
    diff = auc_a - auc_b
    if n_pos < 2 or n_neg < 2:
        caveats.append("fewer than 2 positive or negative cases: no DeLong variance.")
        return DeLongTestResult(auc_a, auc_b, diff, nan, nan, nan, nan, nan, nan, n_pos, n_neg, confidence,
                                name_a, name_b, tuple(caveats))
    s10 = np.cov(np.vstack([v10_a, v10_b]), ddof=1)
    s01 = np.cov(np.vstack([v01_a, v01_b]), ddof=1)
    cov = s10 / n_pos + s01 / n_neg
    var = cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1]
    denom = math.sqrt(cov[0, 0] * cov[1, 1])
    corr = float(cov[0, 1] / denom) if denom > 0 else nan
    if not var > 1e-15:
        caveats.append("the two curves do not differ on any case (variance 0): no test.")
        return DeLongTestResult(auc_a, auc_b, diff, nan, nan, 0.0, nan, nan, corr, n_pos, n_neg, confidence,
                                name_a, name_b, tuple(caveats))
    se = math.sqrt(var)
    z = diff / se
    p = float(2.0 * stats.norm.sf(abs(z)))
    q = float(stats.norm.ppf(0.5 + confidence / 2.0))
    if n_pos < 10 or n_neg < 10:
        caveats.append(f"{n_pos} positive and {n_neg} negative cases: the normal approximation "
                       "may be inaccurate.")
    return DeLongTestResult(auc_a, auc_b, diff, diff - q * se, diff + q * se, se, z, p, corr, n_pos, n_neg,
                            confidence, name_a, name_b, tuple(caveats))


class YoudenCutoff(NamedTuple):
    """The cutoff maximising Youden's J = tpr - fpr (call positive when score >= cutoff)."""

    cutoff: float
    tpr: float
    fpr: float
    j: float


def youden_cutoff(scores: ArrayLike, labels: ArrayLike) -> YoudenCutoff:
    """The observed score that maximises J = tpr - fpr (Youden 1950).

    Ties in J go to the highest cutoff (fewest positive calls).  Returns all-NaN
    when there are no positives or no negatives.
    """
    roc = roc_curve_table(scores, labels)
    roc = roc[np.isfinite(roc["threshold"])]
    if roc.empty or roc["tpr"].isna().all() or roc["fpr"].isna().all():
        return YoudenCutoff(math.nan, math.nan, math.nan, math.nan)
    j = (roc["tpr"] - roc["fpr"]).to_numpy()
    best = int(np.argmax(j))   # first maximum = highest threshold, rows are descending
    rec = roc.iloc[best]
    return YoudenCutoff(float(rec["threshold"]), float(rec["tpr"]), float(rec["fpr"]), float(j[best]))


def cutoff_sweep(scores: ArrayLike, labels: ArrayLike, cutoffs: ArrayLike | None = None, *,
                 confidence: float = CONFIDENCE_LEVEL) -> pd.DataFrame:
    """Agreement statistics of ``score >= cutoff`` with the labels, at each cutoff.

    Parameters
    ----------
    scores, labels
        As :func:`roc_curve_table`; incomplete rows dropped.
    cutoffs
        Cutoffs in score units (e.g. plasma ERBB2 copies); default: every distinct score.
    confidence
        Level of the intervals.

    Returns
    -------
    DataFrame
        ``cutoff`` then the columns of :data:`analysis.agreement.ROW_COLUMNS`
        (a, b, c, d, n, ppa/npa/opa/ppv/npv/kappa with ci_low/ci_high, mcnemar_p),
        one row per cutoff in ascending order; ``youden_j`` = ppa + npa - 1.
    """
    x, y, _ = _clean(scores, labels)
    grid = np.unique(x) if cutoffs is None else np.sort(np.asarray(cutoffs, dtype=float))
    if len(grid) > MAX_SWEEP_CUTOFFS:  # bounded by design: evenly spaced quantiles of the grid asked for
        grid = np.unique(np.quantile(grid, np.linspace(0.0, 1.0, MAX_SWEEP_CUTOFFS)))
    rows = []
    for cut in grid:
        called = x >= cut
        res = agreement_from_counts(int(np.sum(called & y)), int(np.sum(called & ~y)),
                                    int(np.sum(~called & y)), int(np.sum(~called & ~y)),
                                    test_name="score >= cutoff", comparator_name="label",
                                    confidence=confidence)
        rows.append({"cutoff": float(cut), **res.as_row()})
    columns = ["cutoff", *ROW_COLUMNS]
    table = pd.DataFrame(rows, columns=columns).astype("float64") if rows else pd.DataFrame(
        {c: pd.Series(dtype="float64") for c in columns})
    for col in ("a", "b", "c", "d", "n", "n_missing"):
        table[col] = table[col].astype("int64")
    table["youden_j"] = table["ppa"] + table["npa"] - 1.0
    return table
