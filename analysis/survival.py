"""Kaplan-Meier curves, KMunicate risk tables, medians, log-rank and Cox hazard ratios (lifelines).

Generic machinery: durations, event flags and group labels in, tables out.
The clinical groupings (mechanism count, baseline PI3K mutation, ...) are
built elsewhere and passed here as labels.

Groups too small to estimate are kept in every table with a ``status``
("too small", "no events", "empty") and a caveat, never silently dropped.
A median that the curve never reaches is ``inf`` ("not reached"); a statistic
that cannot be estimated at all is NaN.  Definitions: ``docs/methods.md (Part B)``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd

from analysis.frames import typed_frame
from analysis.params import CONFIDENCE_LEVEL, MIN_SURVIVAL_GROUP_SIZE

ArrayLike: TypeAlias = Sequence | np.ndarray | pd.Series

#: Label of the single group when no grouping is given.
ALL_PATIENTS = "all"

#: Status values of :attr:`SurvivalResult.summary`.
STATUS_OK = "ok"
STATUS_NO_EVENTS = "no events"
STATUS_TOO_SMALL = "too small"
STATUS_EMPTY = "empty"

CURVE_COLUMNS = {"group": "string", "time": "float64", "survival": "float64", "ci_low": "float64",
                 "ci_high": "float64", "at_risk": "int64", "events": "int64", "censored": "int64"}
RISK_COLUMNS = {"group": "string", "time": "float64", "at_risk": "int64", "events": "int64",
                "censored": "int64", "survival": "float64", "ci_low": "float64", "ci_high": "float64"}
SUMMARY_COLUMNS = {"group": "string", "n": "int64", "events": "int64", "censored": "int64",
                   "status": "string", "median": "float64", "median_ci_low": "float64",
                   "median_ci_high": "float64", "is_reference": "boolean", "hazard_ratio": "float64",
                   "hr_ci_low": "float64", "hr_ci_high": "float64", "hr_p_value": "float64",
                   "hr_note": "string"}

#: A Cox log hazard ratio whose standard error exceeds this is not estimable (a 95% interval wider
#: than a factor of exp(2 x 1.96 x 5), about 3e8): the partial likelihood is flat or monotone
#: (Heinze and Schemper, Biometrics 2001;57:114-119), and the "estimate" is where the optimiser stopped.
MAX_LOG_HR_SE = 5.0
#: lifelines ConvergenceWarning texts that mean the fit itself did not converge (its other warnings,
#: e.g. "high sample correlation with the duration column", are pre-fit heuristics and only noted).
NOT_CONVERGED_WARNINGS = ("norm(delta) is still high", "failed to converge")




@dataclass(frozen=True)
class LogRankResult:
    """k-group log-rank test (Mantel 1966; Peto and Peto 1972) over the estimable groups."""

    test_statistic: float
    degrees_of_freedom: int
    p_value: float
    groups: tuple[str, ...]


@dataclass(frozen=True)
class SurvivalResult:
    """Kaplan-Meier estimates per group, with tests.

    Attributes
    ----------
    curves
        Step function per group: ``group, time, survival, ci_low, ci_high`` (exponential
        Greenwood "log-log" interval, lifelines' default) and the counts at that time
        ``at_risk`` (followed at least to ``time``), ``events``, ``censored``.  Starts at
        time 0 with survival 1.  Times in the input's unit (e.g. months).
    risk_table
        KMunicate table (Morris et al. 2019) at the chosen times: ``group, time``,
        ``at_risk`` (still followed after ``time``), cumulative ``events`` and ``censored``
        up to and including ``time`` (the three add up to the group's n), and
        ``survival, ci_low, ci_high`` at ``time``.
    summary
        One row per group: ``group, n, events, censored, status`` ("ok", "no events",
        "too small", "empty"), ``median, median_ci_low, median_ci_high`` (inf = not
        reached, NaN = not estimable), ``is_reference`` and the Cox ``hazard_ratio,
        hr_ci_low, hr_ci_high, hr_p_value`` of the group vs the reference group; ``hr_note``
        says why a hazard ratio is not estimable ("no events in B", "separation: ...", "Cox model
        did not converge"), empty otherwise.  A hazard ratio that is not estimable is NaN, never
        the number the optimiser stopped at (see :func:`_estimability`).
    logrank
        The k-group log-rank test, or None when fewer than 2 groups can be compared.
    reference_group
        The Cox reference group, or None.
    caveats
        Plain-language notes.
    """

    curves: pd.DataFrame
    risk_table: pd.DataFrame
    summary: pd.DataFrame
    logrank: LogRankResult | None
    reference_group: str | None
    confidence: float
    caveats: tuple[str, ...] = ()


def nice_times(max_time: float, n_intervals: int = 5) -> list[float]:
    """Round time points 0, s, 2s, ... up to *max_time*; s is the 1, 2 or 5 x 10^k nearest max_time / n."""
    if not np.isfinite(max_time) or max_time <= 0:
        return [0.0]
    raw = max_time / n_intervals
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 5, 10)), key=lambda v: abs(math.log(v / raw)))
    return [float(v) for v in np.arange(0.0, max_time + step * 1e-9, step)]


def _group_rows(label: str, durations: np.ndarray, events: np.ndarray, status: str,
                at_times: list[float], alpha: float) -> tuple[list[dict], list[dict], dict]:
    """Curve rows, risk-table rows and the summary row of one group."""
    # lifelines is imported when used: it is not needed to serve a first page.
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times
    n = len(durations)
    n_events = int(events.sum())
    summary = {"group": label, "n": n, "events": n_events, "censored": n - n_events, "status": status,
               "median": math.nan, "median_ci_low": math.nan, "median_ci_high": math.nan,
               "is_reference": False, "hazard_ratio": math.nan, "hr_ci_low": math.nan,
               "hr_ci_high": math.nan, "hr_p_value": math.nan, "hr_note": ""}
    if n == 0:
        risk = [{"group": label, "time": t, "at_risk": 0, "events": 0, "censored": 0,
                 "survival": math.nan, "ci_low": math.nan, "ci_high": math.nan} for t in at_times]
        return [], risk, summary
    kmf = KaplanMeierFitter(alpha=alpha).fit(durations, events)
    ci = kmf.confidence_interval_
    table = kmf.event_table
    curve = []
    for time, surv, low, high, at_risk, observed, censored in zip(
            kmf.survival_function_.index, kmf.survival_function_.iloc[:, 0], ci.iloc[:, 0], ci.iloc[:, 1],
            table["at_risk"], table["observed"], table["censored"], strict=True):
        curve.append({"group": label, "time": float(time), "survival": float(surv), "ci_low": float(low),
                      "ci_high": float(high), "at_risk": int(at_risk), "events": int(observed),
                      "censored": int(censored)})
    if status != STATUS_TOO_SMALL:
        summary["median"] = float(kmf.median_survival_time_)
        bounds = median_survival_times(ci)
        summary["median_ci_low"] = float(bounds.iloc[0, 0])
        summary["median_ci_high"] = float(bounds.iloc[0, 1])
    surv_at = kmf.survival_function_at_times(at_times).to_numpy()
    low_at = kmf.confidence_interval_survival_function_.iloc[:, 0]
    high_at = kmf.confidence_interval_survival_function_.iloc[:, 1]
    risk = []
    for t, s in zip(at_times, surv_at, strict=True):
        # The CI is a step function too: take the last estimate at or before t.
        idx = low_at.index.searchsorted(t, side="right") - 1
        risk.append({
            "group": label, "time": float(t),
            "at_risk": int(np.sum(durations > t)),
            "events": int(np.sum(events & (durations <= t))),
            "censored": int(np.sum(~events & (durations <= t))),
            "survival": float(s),
            "ci_low": float(low_at.iloc[idx]) if idx >= 0 else 1.0,
            "ci_high": float(high_at.iloc[idx]) if idx >= 0 else 1.0,
        })
    return curve, risk, summary


def _clean_inputs(durations: ArrayLike, events: ArrayLike, groups: ArrayLike | None,
                  caveats: list[str]) -> pd.DataFrame:
    duration_values = pd.to_numeric(pd.Series(np.asarray(durations, dtype=object)), errors="coerce")
    event_series = pd.Series(np.asarray(events, dtype=object))
    if len(event_series) != len(duration_values):
        raise ValueError(f"expected durations and events of equal length, got {len(duration_values)} "
                         f"and {len(event_series)}")
    present = event_series.dropna().unique()
    bad = [v for v in present if not (isinstance(v, (bool, np.bool_)) or v in (0, 1))]
    if bad:
        raise ValueError(f"events: expected True/False (or 1/0), got {bad[:3]!r}")
    if groups is None:
        group_series = pd.Series([ALL_PATIENTS] * len(duration_values), dtype="object")
    else:
        group_series = pd.Series(np.asarray(groups, dtype=object))
        if len(group_series) != len(duration_values):
            raise ValueError(f"expected one group label per duration, got {len(group_series)} "
                             f"and {len(duration_values)}")
    frame = pd.DataFrame({"duration": duration_values.astype(float), "event": event_series,
                          "group": group_series})
    incomplete = frame["duration"].isna() | frame["event"].isna()
    if incomplete.sum():
        caveats.append(f"{int(incomplete.sum())} patient(s) with a missing time or event status "
                       "were left out.")
    no_group = ~incomplete & frame["group"].isna()
    if no_group.sum():
        caveats.append(f"{int(no_group.sum())} patient(s) without a group label were left out.")
    negative = ~incomplete & (frame["duration"] < 0)
    if negative.sum():
        caveats.append(f"{int(negative.sum())} patient(s) with a negative time were left out.")
    frame = frame[~(incomplete | no_group | negative)].copy()
    frame["event"] = frame["event"].astype(bool)
    frame["group"] = frame["group"].astype(str)
    return frame.reset_index(drop=True)


def kaplan_meier(durations: ArrayLike, events: ArrayLike, groups: ArrayLike | None = None, *,
                 at_times: Sequence[float] | None = None, group_order: Sequence[str] | None = None,
                 reference: str | None = None, confidence: float = CONFIDENCE_LEVEL,
                 min_group_size: int = MIN_SURVIVAL_GROUP_SIZE) -> SurvivalResult:
    """Kaplan-Meier estimate per group with log-rank test and Cox hazard ratios.

    Parameters
    ----------
    durations
        Follow-up time per patient (e.g. ``pfs_months``), >= 0.
    events
        True when the event (progression, death) was observed, False when censored.
    groups
        Group label per patient (any values; compared as strings); None = one group "all".
        Patients with a missing time, status or label are left out with a caveat.
    at_times
        Times of the KMunicate risk table (default: 0 and round steps up to the longest follow-up).
    group_order
        Order of the groups in the tables; labels listed here but absent from the data are
        reported as "empty".  Default: sorted labels.
    reference
        Reference group of the Cox hazard ratios (default: the first group in order that
        has at least one event).
    confidence
        Level of every interval.
    min_group_size
        Groups with fewer patients are "too small": curve shown, no median, left out of
        the log-rank test and Cox model.

    Returns
    -------
    SurvivalResult
        Tables as documented on :class:`SurvivalResult`; empty (typed) tables with a caveat
        when nothing is left to estimate.

    Raises
    ------
    ValueError
        Inputs of unequal length, non-binary events, or an unknown ``reference``.

    Examples
    --------
    >>> res = kaplan_meier([1, 2, 3, 3, 5], [1, 0, 1, 1, 0])
    >>> row = res.summary.iloc[0]
    >>> int(row["n"]), int(row["events"]), float(row["median"])
    (5, 3, 3.0)
    """
    # lifelines is imported when used: it is not needed to serve a first page.
    from lifelines.statistics import multivariate_logrank_test
    caveats: list[str] = []
    frame = _clean_inputs(durations, events, groups, caveats)
    observed = sorted(frame["group"].unique())
    order = [str(g) for g in group_order] if group_order is not None else observed
    missing_from_order = [g for g in observed if g not in order]
    order = order + missing_from_order
    if reference is not None and str(reference) not in order:
        raise ValueError(f"reference: expected one of the groups {order}, got {reference!r}")
    if at_times is None:
        times = nice_times(float(frame["duration"].max()) if len(frame) else 0.0)
    else:
        times = sorted(float(t) for t in at_times)

    if frame.empty:
        caveats.append("no patients with a usable time and event status: nothing to estimate.")
    elif not frame["event"].any():
        caveats.append("every patient is censored: survival never drops, medians not reached, no tests.")

    alpha = 1.0 - confidence
    curves: list[dict] = []
    risk: list[dict] = []
    summaries: list[dict] = []
    for label in order:
        sub = frame[frame["group"] == label]
        n, n_events = len(sub), int(sub["event"].sum())
        if n == 0:
            status = STATUS_EMPTY
            caveats.append(f"group {label}: no patients.")
        elif n < min_group_size:
            status = STATUS_TOO_SMALL
            caveats.append(f"group {label}: {n} patient(s), fewer than {min_group_size}: too small to "
                           "estimate; left out of the log-rank test and Cox model.")
        elif n_events == 0:
            status = STATUS_NO_EVENTS
            caveats.append(f"group {label}: no events: median not reached, hazard ratio not estimable.")
        else:
            status = STATUS_OK
        c, r, s = _group_rows(label, sub["duration"].to_numpy(), sub["event"].to_numpy(dtype=bool),
                              status, times, alpha)
        curves += c
        risk += r
        if status == STATUS_OK and math.isinf(s["median"]):
            caveats.append(f"group {label}: median not reached (survival stays above 0.5).")
        summaries.append(s)

    comparable = [s["group"] for s in summaries if s["status"] in (STATUS_OK, STATUS_NO_EVENTS)]
    logrank = None
    if len(order) > 1:
        if len(comparable) < 2:
            caveats.append("fewer than 2 groups large enough to compare: no log-rank test or hazard ratio.")
        elif not frame.loc[frame["group"].isin(comparable), "event"].any():
            caveats.append("no events in the groups compared: no log-rank test or hazard ratio.")
        else:
            tested = frame[frame["group"].isin(comparable)]
            res = multivariate_logrank_test(tested["duration"], tested["group"], tested["event"])
            logrank = LogRankResult(float(res.test_statistic), int(res.degrees_of_freedom),
                                    float(res.p_value), tuple(comparable))

    reference_group = None
    if logrank is not None:
        reference_group = _cox_hazard_ratios(frame, summaries, reference, confidence, caveats)

    return SurvivalResult(curves=typed_frame(curves, CURVE_COLUMNS), risk_table=typed_frame(risk, RISK_COLUMNS),
                          summary=typed_frame(summaries, SUMMARY_COLUMNS), logrank=logrank,
                          reference_group=reference_group, confidence=confidence, caveats=tuple(caveats))


def _separation(frame: pd.DataFrame, group: str, reference: str) -> str:
    """Why *group* vs *reference* has no finite Cox estimate from the data alone, or "".

    With one indicator variable the partial likelihood is monotone (the MLE is 0 or infinity) when
    the group has no events, or when every event of one group happens after the other group has left
    the risk set (Heinze and Schemper 2001).
    """
    g = frame[frame["group"] == group]
    r = frame[frame["group"] == reference]
    if not g["event"].any():
        return f"no events in {group}"
    if not r["event"].any():
        return f"no events in {reference}"
    if g["duration"].max() < r.loc[r["event"], "duration"].min():
        return f"separation: every patient in {group} had the event or was censored before the first event in " \
               f"{reference}"
    if r["duration"].max() < g.loc[g["event"], "duration"].min():
        return f"separation: every patient in {reference} had the event or was censored before the first event in " \
               f"{group}"
    return ""


def _fit_cox(frame: pd.DataFrame, reference: str, compared: list[str],
             confidence: float) -> tuple[pd.DataFrame | None, bool]:
    """lifelines Cox fit on one indicator per compared group; (summary by group, converged)."""
    # lifelines is imported when used: it is not needed to serve a first page.
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError, ConvergenceWarning
    data = frame[frame["group"].isin([reference, *compared])]
    design = pd.DataFrame({"duration": data["duration"].to_numpy(), "event": data["event"].to_numpy()})
    for i, g in enumerate(compared):
        design[f"g{i}"] = (data["group"] == g).to_numpy().astype(float)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            cph = CoxPHFitter(alpha=1.0 - confidence).fit(design, duration_col="duration", event_col="event")
    except ConvergenceError:
        return None, False
    converged = not any(issubclass(w.category, ConvergenceWarning)
                        and any(text in str(w.message) for text in NOT_CONVERGED_WARNINGS) for w in caught)
    table = cph.summary
    low_col = [c for c in table.columns if c.startswith("exp(coef) lower")][0]
    high_col = [c for c in table.columns if c.startswith("exp(coef) upper")][0]
    out = pd.DataFrame({"group": compared,
                        "hazard_ratio": table["exp(coef)"].to_numpy(float),
                        "hr_ci_low": table[low_col].to_numpy(float),
                        "hr_ci_high": table[high_col].to_numpy(float),
                        "hr_p_value": table["p"].to_numpy(float),
                        "se": table["se(coef)"].to_numpy(float)}).set_index("group")
    return out, converged


def _estimability(fit: pd.DataFrame | None, converged: bool, compared: list[str]) -> dict[str, str]:
    """Groups of *compared* whose hazard ratio is not estimable, with the reason.

    Not estimable: the fit did not converge (lifelines raised, or warned that Newton-Raphson stopped
    with a large step), or the estimate, its interval or its standard error is not finite, or the
    standard error of log HR exceeds :data:`MAX_LOG_HR_SE`.
    """
    if fit is None or not converged:
        return {g: "Cox model did not converge" for g in compared}
    notes = {}
    for group, row in fit.iterrows():
        values = row[["hazard_ratio", "hr_ci_low", "hr_ci_high", "se"]].to_numpy(float)
        if not np.all(np.isfinite(values)) or row["hazard_ratio"] <= 0 or row["hr_ci_low"] <= 0:
            notes[str(group)] = "infinite estimate or interval (separation)"
        elif row["se"] > MAX_LOG_HR_SE:
            notes[str(group)] = f"standard error of log HR {row['se']:.3g} > {MAX_LOG_HR_SE:g} (separation)"
    return notes


def _cox_hazard_ratios(frame: pd.DataFrame, summaries: list[dict], reference: str | None,
                       confidence: float, caveats: list[str]) -> str | None:
    """Fill the hazard ratios of *summaries* in place (each group vs the reference); return the reference.

    Groups whose hazard ratio is not estimable (no events, separation from the reference, an infinite
    or absurd standard error, no convergence) keep NaN and an ``hr_note``; the other groups' hazard
    ratios come from a model fitted without them (the estimable part of the likelihood).
    """
    with_events = [s["group"] for s in summaries if s["status"] == STATUS_OK]
    if reference is None:
        if not with_events:
            return None
        reference = with_events[0]
    reference = str(reference)
    by_group = {s["group"]: s for s in summaries}
    if reference not in with_events:
        caveats.append(f"reference group {reference} has no estimable hazard (too small or no events): "
                       "no hazard ratios.")
        return None
    by_group[reference]["is_reference"] = True
    by_group[reference]["hazard_ratio"] = 1.0
    notes = {s["group"]: f"no events in {s['group']}" for s in summaries if s["status"] == STATUS_NO_EVENTS}
    compared = [g for g in with_events if g != reference]
    notes.update({g: why for g in compared if (why := _separation(frame, g, reference))})
    compared = [g for g in compared if g not in notes]
    fit = None
    while compared:
        fit, converged = _fit_cox(frame, reference, compared, confidence)
        failed = _estimability(fit, converged, compared)
        if not failed:
            break
        notes.update(failed)
        # Refit without the groups that ran off to 0 or infinity; when the whole fit failed, stop.
        compared = [] if fit is None or not converged else [g for g in compared if g not in failed]
        fit = None
    for group, note in notes.items():
        by_group[group]["hr_note"] = note
        caveats.append(f"group {group}: hazard ratio vs {reference} not estimable ({note}).")
    if fit is not None:
        for group, row in fit.iterrows():
            s = by_group[str(group)]
            s["hazard_ratio"], s["hr_ci_low"] = float(row["hazard_ratio"]), float(row["hr_ci_low"])
            s["hr_ci_high"], s["hr_p_value"] = float(row["hr_ci_high"]), float(row["hr_p_value"])
    return reference
