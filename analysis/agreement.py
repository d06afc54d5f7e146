"""Agreement between two binary calls (a 2x2 table) and between two measurements.

A plasma assay is compared with a *comparator* (tissue NGS, pathology), which
is not a perfect reference: everything here is named "agreement" (positive,
negative, overall percent agreement), never sensitivity or specificity.

The 2x2 table, rows = test, columns = comparator::

                     comparator +   comparator -
        test +            a              b
        test -            c              d

Definitions, formulas and citations are in ``docs/methods.md (Part B)``.
Undefined statistics (a zero denominator) are NaN with a caveat, never an
exception.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.params import CONFIDENCE_LEVEL

#: Columns of :attr:`AgreementResult.summary`, in order.
SUMMARY_COLUMNS = ("statistic", "estimate", "ci_low", "ci_high", "numerator", "denominator")

#: Statistics of :attr:`AgreementResult.summary`, in order.
STATISTICS = ("PPA", "NPA", "OPA", "PPV", "NPV", "kappa", "mcnemar_p")

#: Columns of :func:`agreement_row` (one row per table, for per-gene tables and cutoff sweeps).
ROW_COLUMNS = (
    "a", "b", "c", "d", "n", "n_missing",
    "ppa", "ppa_ci_low", "ppa_ci_high",
    "npa", "npa_ci_low", "npa_ci_high",
    "opa", "opa_ci_low", "opa_ci_high",
    "ppv", "ppv_ci_low", "ppv_ci_high",
    "npv", "npv_ci_low", "npv_ci_high",
    "kappa", "kappa_ci_low", "kappa_ci_high",
    "mcnemar_p",
)


@lru_cache(maxsize=32)
def _z(confidence: float) -> float:
    from scipy import stats  # imported when used: not needed to serve a first page
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence: expected a level in (0, 1), got {confidence!r}")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(successes: int, total: int, confidence: float = CONFIDENCE_LEVEL) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927).

    Parameters
    ----------
    successes, total
        Counts; ``0 <= successes <= total``.
    confidence
        Two-sided confidence level, e.g. 0.95.

    Returns
    -------
    (low, high)
        Bounds within [0, 1]; ``(nan, nan)`` when ``total == 0``.

    Raises
    ------
    ValueError
        Negative counts or ``successes > total``.
    """
    if successes < 0 or total < 0 or successes > total:
        raise ValueError(f"expected 0 <= successes <= total, got {successes}/{total}")
    if total == 0:
        return (math.nan, math.nan)
    z = _z(confidence)
    p = successes / total
    denom = 1.0 + z * z / total
    centre = (p + z * z / (2.0 * total)) / denom
    half = z * math.sqrt(p * (1.0 - p) / total + z * z / (4.0 * total * total)) / denom
    # At p = 0 or 1 the exact bound is 0 or 1; floating point misses it by an ulp.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == total else min(1.0, centre + half)
    return (low, high)


@dataclass(frozen=True)
class KappaResult:
    """Cohen's kappa with its large-sample standard error and Wald interval."""

    kappa: float
    se: float
    ci_low: float
    ci_high: float
    observed_agreement: float
    expected_agreement: float


def cohens_kappa(a: int, b: int, c: int, d: int, confidence: float = CONFIDENCE_LEVEL) -> KappaResult:
    """Cohen's kappa (Cohen 1960) of a 2x2 table with the Fleiss-Cohen-Everitt (1969) standard error.

    kappa = (p_o - p_e) / (1 - p_e), p_o = (a + d) / n,
    p_e = (p_test+ p_comp+) + (p_test- p_comp-).  The variance is the
    large-sample (non-null) variance of Fleiss, Cohen and Everitt (1969),
    as in ``statsmodels.stats.inter_rater.cohens_kappa`` (``std_kappa``); the
    interval is kappa +/- z se, clipped to [-1, 1].

    Returns NaN fields when n = 0 or p_e = 1 (both raters constant and equal:
    kappa is undefined).
    """
    n = a + b + c + d
    nan = math.nan
    if n == 0:
        return KappaResult(nan, nan, nan, nan, nan, nan)
    table = np.array([[a, b], [c, d]], dtype=float) / n
    row = table.sum(axis=1)   # test +, test -
    col = table.sum(axis=0)   # comparator +, comparator -
    p_o = float(np.trace(table))
    p_e = float(row @ col)
    if math.isclose(p_e, 1.0):
        return KappaResult(nan, nan, nan, nan, p_o, p_e)
    kappa = (p_o - p_e) / (1.0 - p_e)
    diag = np.diag(table) * (1.0 - (row + col) * (1.0 - kappa)) ** 2
    off = table * (col[:, None] + row[None, :]) ** 2
    np.fill_diagonal(off, 0.0)
    variance = (diag.sum() + (1.0 - kappa) ** 2 * off.sum() - (kappa - p_e * (1.0 - kappa)) ** 2)
    variance /= (1.0 - p_e) ** 2 * n
    se = math.sqrt(max(variance, 0.0))
    z = _z(confidence)
    return KappaResult(kappa, se, max(-1.0, kappa - z * se), min(1.0, kappa + z * se), p_o, p_e)


def mcnemar_exact(b: int, c: int) -> float:
    """McNemar's exact test: two-sided binomial test of b vs c discordant pairs with p = 1/2.

    p = min(1, 2 x P(X <= min(b, c))), X ~ Binomial(b + c, 1/2); 1.0 when there
    are no discordant pairs.  Same as ``statsmodels`` ``mcnemar(exact=True)``.
    """
    from scipy import stats  # imported when used: not needed to serve a first page
    if b < 0 or c < 0:
        raise ValueError(f"expected non-negative counts, got b={b}, c={c}")
    if b + c == 0:
        return 1.0
    return float(min(1.0, 2.0 * stats.binom.cdf(min(b, c), b + c, 0.5)))


@dataclass(frozen=True)
class AgreementResult:
    """A 2x2 agreement table and its statistics.

    Attributes
    ----------
    test_name, comparator_name
        What was compared (e.g. "plasma ERBB2 CN >= 2.4", "tissue ERBB2 CN >= 4").
    a, b, c, d, n
        Counts: both positive, test only, comparator only, both negative; n = a + b + c + d.
    n_missing
        Pairs dropped because either call was missing.
    summary
        One row per statistic (PPA, NPA, OPA, PPV, NPV, kappa, mcnemar_p) with columns
        ``statistic, estimate, ci_low, ci_high, numerator, denominator`` (proportions as
        fractions in [0, 1]; kappa and McNemar have no numerator/denominator).  Built on
        access from ``statistics``, the same rows as plain tuples.
    kappa
        Cohen's kappa with its standard error and interval.
    mcnemar_p
        McNemar exact p-value (NaN when n = 0).
    caveats
        Plain-language notes (undefined statistics, dropped pairs, small n).
    """

    test_name: str
    comparator_name: str
    a: int
    b: int
    c: int
    d: int
    n: int
    n_missing: int
    kappa: KappaResult
    mcnemar_p: float
    confidence: float
    statistics: tuple[tuple[str, float, float, float, float, float], ...]
    caveats: tuple[str, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.statistics), columns=list(SUMMARY_COLUMNS)).astype(
            {"statistic": "string", "estimate": "float64", "ci_low": "float64", "ci_high": "float64",
             "numerator": "float64", "denominator": "float64"})

    def _row(self, statistic: str) -> tuple[str, float, float, float, float, float]:
        for row in self.statistics:
            if row[0] == statistic:
                return row
        raise KeyError(f"statistic: expected one of {STATISTICS}, got {statistic!r}")

    def estimate(self, statistic: str) -> float:
        """The estimate of one statistic by name (PPA, NPA, OPA, PPV, NPV, kappa, mcnemar_p)."""
        return float(self._row(statistic)[1])

    @property
    def table(self) -> pd.DataFrame:
        """The 2x2 counts with margins; rows = test, columns = comparator."""
        return pd.DataFrame(
            {f"{self.comparator_name} +": [self.a, self.c, self.a + self.c],
             f"{self.comparator_name} -": [self.b, self.d, self.b + self.d],
             "total": [self.a + self.b, self.c + self.d, self.n]},
            index=[f"{self.test_name} +", f"{self.test_name} -", "total"],
        )

    def as_row(self) -> dict[str, float]:
        """The counts and statistics as one flat dict with the keys of :data:`ROW_COLUMNS`."""
        row: dict[str, float] = {"a": self.a, "b": self.b, "c": self.c, "d": self.d, "n": self.n,
                                 "n_missing": self.n_missing}
        for stat in ("PPA", "NPA", "OPA", "PPV", "NPV", "kappa"):
            _, estimate, low, high, _, _ = self._row(stat)
            key = stat.lower()
            row[key] = float(estimate)
            row[f"{key}_ci_low"] = float(low)
            row[f"{key}_ci_high"] = float(high)
        row["mcnemar_p"] = self.mcnemar_p
        return row


def _as_calls(values: Sequence | np.ndarray | pd.Series, name: str) -> pd.Series:
    """Binary calls as a nullable boolean Series; None/NaN/pd.NA become missing."""
    series = pd.Series(list(values) if not isinstance(values, pd.Series) else values.to_numpy(),
                       dtype="object")
    missing = series.isna()
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    present = series[~missing]
    bad = [v for v in present.unique() if not (isinstance(v, (bool, np.bool_)) or v in (0, 1))]
    if bad:
        raise ValueError(f"{name}: expected True/False (or 1/0) calls, got {bad[:3]!r}")
    out[~missing] = present.astype(bool).to_numpy()
    return out


def agreement_table(test: Sequence | np.ndarray | pd.Series, comparator: Sequence | np.ndarray | pd.Series,
                    *, test_name: str = "test", comparator_name: str = "comparator",
                    confidence: float = CONFIDENCE_LEVEL) -> AgreementResult:
    """Agreement of a binary test with a binary comparator, pair by pair.

    Parameters
    ----------
    test, comparator
        Paired calls of equal length (True = positive); None/NaN/pd.NA mark a
        missing call and drop the pair (counted in ``n_missing`` and a caveat).
    test_name, comparator_name
        Labels used in the table and caveats.
    confidence
        Two-sided level of every interval (default 0.95).

    Returns
    -------
    AgreementResult
        Counts a (both +), b (test + / comparator -), c (test - / comparator +),
        d (both -); PPA = a/(a+c), NPA = d/(b+d), OPA = (a+d)/n, PPV = a/(a+b),
        NPV = d/(c+d), each with a Wilson interval; Cohen's kappa with a
        Fleiss-Cohen-Everitt interval; McNemar exact p on (b, c).

    Raises
    ------
    ValueError
        Inputs of different lengths, or values that are not binary calls.

    Examples
    --------
    >>> res = agreement_table([True, True, False, False, None], [True, False, False, False, True])
    >>> (res.a, res.b, res.c, res.d, res.n_missing)
    (1, 1, 0, 2, 1)
    >>> round(res.estimate("NPA"), 3), round(res.estimate("OPA"), 2)
    (0.667, 0.75)
    """
    test_calls = _as_calls(test, test_name)
    comparator_calls = _as_calls(comparator, comparator_name)
    if len(test_calls) != len(comparator_calls):
        raise ValueError(f"expected paired calls of equal length, got {len(test_calls)} {test_name} "
                         f"and {len(comparator_calls)} {comparator_name}")
    both = test_calls.notna() & comparator_calls.notna()
    n_missing = int((~both).sum())
    t = test_calls[both].astype(bool).to_numpy()
    r = comparator_calls[both].astype(bool).to_numpy()
    a = int(np.sum(t & r))
    b = int(np.sum(t & ~r))
    c = int(np.sum(~t & r))
    d = int(np.sum(~t & ~r))
    return agreement_from_counts(a, b, c, d, test_name=test_name, comparator_name=comparator_name,
                                 n_missing=n_missing, confidence=confidence)


def agreement_from_counts(a: int, b: int, c: int, d: int, *, test_name: str = "test",
                          comparator_name: str = "comparator", n_missing: int = 0,
                          confidence: float = CONFIDENCE_LEVEL) -> AgreementResult:
    """:func:`agreement_table` from the four counts of an already tabulated 2x2 table.

    Raises ``ValueError`` on negative counts.
    """
    counts = {"a": a, "b": b, "c": c, "d": d}
    if any(v < 0 for v in counts.values()):
        raise ValueError(f"expected non-negative counts, got {counts}")
    a, b, c, d = (int(v) for v in (a, b, c, d))
    n = a + b + c + d
    caveats: list[str] = []
    if n_missing:
        caveats.append(f"{n_missing} pair(s) with a missing {test_name} or {comparator_name} call "
                       "were left out.")
    if n == 0:
        caveats.append("no complete pairs: every statistic is undefined.")
    else:
        if a + c == 0:
            caveats.append(f"no {comparator_name}-positive samples: PPA undefined.")
        if b + d == 0:
            caveats.append(f"no {comparator_name}-negative samples: NPA undefined.")
        if a + b == 0:
            caveats.append(f"no {test_name}-positive samples: PPV undefined.")
        if c + d == 0:
            caveats.append(f"no {test_name}-negative samples: NPV undefined.")
        if n < 10:
            caveats.append(f"only {n} pairs: intervals are wide.")
    kappa = cohens_kappa(a, b, c, d, confidence)
    if n > 0 and math.isnan(kappa.kappa):
        caveats.append("both calls constant and equal: kappa undefined.")
    if kappa.se == 0.0:
        caveats.append("kappa standard error is 0 (perfect agreement or a constant call): "
                       "the asymptotic interval has no width and understates uncertainty.")
    p_mcnemar = mcnemar_exact(b, c)
    if n > 0 and b + c == 0:
        caveats.append("no discordant pairs: McNemar p = 1.")

    rows = []
    for stat, num, den in (("PPA", a, a + c), ("NPA", d, b + d), ("OPA", a + d, n),
                           ("PPV", a, a + b), ("NPV", d, c + d)):
        low, high = wilson_interval(num, den, confidence)
        rows.append((stat, num / den if den else math.nan, low, high, float(num), float(den)))
    rows.append(("kappa", kappa.kappa, kappa.ci_low, kappa.ci_high, math.nan, math.nan))
    rows.append(("mcnemar_p", p_mcnemar if n else math.nan, math.nan, math.nan, float(b), float(b + c)))
    return AgreementResult(test_name=test_name, comparator_name=comparator_name, a=a, b=b, c=c, d=d,
                           n=n, n_missing=int(n_missing), kappa=kappa,
                           mcnemar_p=p_mcnemar if n else math.nan, confidence=confidence,
                           statistics=tuple(rows), caveats=tuple(caveats))


def empty_agreement_rows() -> pd.DataFrame:
    """An empty, typed frame with the columns of :data:`ROW_COLUMNS` (for per-gene tables)."""
    return pd.DataFrame({col: pd.Series(dtype="float64") for col in ROW_COLUMNS})


@dataclass(frozen=True)
class CorrelationResult:
    """A correlation coefficient with its interval, p-value and n."""

    method: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    caveats: tuple[str, ...] = ()

    def as_row(self) -> dict[str, float | str]:
        return {"method": self.method, "estimate": self.estimate, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "p_value": self.p_value, "n": self.n}


def _as_float(values: Sequence | np.ndarray | pd.Series) -> np.ndarray:
    """Floats with anything non-numeric (None, pd.NA, text) as NaN."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        as_objects = pd.Series(np.asarray(values, dtype=object))
        return pd.to_numeric(as_objects, errors="coerce").astype(float).to_numpy()


def correlation(x: Sequence | np.ndarray | pd.Series, y: Sequence | np.ndarray | pd.Series, *,
                method: str = "spearman", confidence: float = CONFIDENCE_LEVEL) -> CorrelationResult:
    """Spearman or Pearson correlation of paired measurements, with a Fisher-z interval.

    Pairs with a missing value are dropped.  Pearson: z = atanh(r), se = 1/sqrt(n - 3).
    Spearman: se = sqrt(1.06 / (n - 3)) (Fieller, Hartley and Pearson 1957).
    The p-value is from the t distribution on n - 2 df (as scipy's pearsonr/spearmanr).

    Parameters
    ----------
    x, y
        Paired measurements (e.g. plasma and tissue ERBB2 copies).
    method
        "spearman" or "pearson".
    confidence
        Two-sided level.

    Returns
    -------
    CorrelationResult
        NaN fields with a caveat when fewer than 3 complete pairs (no p-value) or
        fewer than 4 (no interval), or when either variable is constant.

    Raises
    ------
    ValueError
        Unknown method or unequal lengths.
    """
    from scipy import stats  # imported when used: not needed to serve a first page
    if method not in ("spearman", "pearson"):
        raise ValueError(f"method: expected 'spearman' or 'pearson', got {method!r}")
    xs, ys = _as_float(x), _as_float(y)
    if len(xs) != len(ys):
        raise ValueError(f"expected paired values of equal length, got {len(xs)} and {len(ys)}")
    keep = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[keep], ys[keep]
    n = int(keep.sum())
    caveats: list[str] = []
    if (~keep).sum():
        caveats.append(f"{int((~keep).sum())} pair(s) with a missing value were left out.")
    nan = math.nan
    if n < 3:
        caveats.append(f"only {n} complete pair(s): correlation not estimated.")
        return CorrelationResult(method, nan, nan, nan, nan, n, tuple(caveats))
    if np.ptp(xs) == 0 or np.ptp(ys) == 0:
        caveats.append("a constant variable: correlation undefined.")
        return CorrelationResult(method, nan, nan, nan, nan, n, tuple(caveats))
    if method == "spearman":
        # Spearman's rho is Pearson's r of the midranks.
        xs, ys = stats.rankdata(xs), stats.rankdata(ys)
        se_factor = math.sqrt(1.06)
    else:
        se_factor = 1.0
    r = float(np.clip(np.corrcoef(xs, ys)[0, 1], -1.0, 1.0))
    # Two-sided p from t = r sqrt((n - 2) / (1 - r^2)) on n - 2 df, as scipy's pearsonr and spearmanr.
    p = 0.0 if abs(r) == 1.0 else float(2.0 * stats.t.sf(abs(r) * math.sqrt((n - 2) / (1.0 - r * r)), n - 2))
    if n < 4:
        caveats.append(f"only {n} pairs: no interval.")
        return CorrelationResult(method, r, nan, nan, p, n, tuple(caveats))
    z = _z(confidence)
    zr = math.atanh(max(min(r, 1 - 1e-15), -1 + 1e-15))
    half = z * se_factor / math.sqrt(n - 3)
    return CorrelationResult(method, r, math.tanh(zr - half), math.tanh(zr + half), p, n, tuple(caveats))
