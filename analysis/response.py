"""Response tracking: plasma HER2 copy number vs CEA vs tumour size (design.md section 3).

For each imaging assessment after the baseline scan, the nearest plasma draw and the
nearest CEA value (same-day CEA values averaged) within +/- the pairing window are
paired with it; the % changes from baseline of the three measures are compared by
Spearman correlation (Fisher-z interval) and by ROC AUC for progression (PD at that
assessment) with DeLong intervals and a paired DeLong test of HER2 CN vs CEA.  Also:
lead time of a HER2 CN rise before radiological progression, and HER2 CN at progression
vs baseline by resistance class (Wilcoxon signed-rank).

Copy-number scale: the % change of *observed* plasma ERBB2 copies is the primary score
(design.md: "% change from baseline of plasma HER2 CN"); the % change of the excess over
2 copies is reported beside it and can be chosen with ``cn_scale="excess"``.  The lead-time
rule and early decline are judged on the excess over 2, as design.md says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.agreement import wilson_interval
from analysis.frames import empty_frame, typed_frame
from analysis.params import CONFIDENCE_LEVEL, LEAD_RISE_ABSOLUTE_CN, LEAD_RISE_RELATIVE, AnalysisParameters
from analysis.roc import AucResult, DeLongTestResult, auc_delong, delong_test
from analysis.trajectory import ACQUIRED, INNATE, TrajectoryResult

#: Variance of Fisher's z of a Spearman coefficient is 1.06 / (n - 3) (Fieller, Hartley & Pearson,
#: Biometrika 1957;44:470-481), a little wider than Pearson's 1 / (n - 3).
SPEARMAN_Z_VARIANCE = 1.06

#: Score columns by copy-number scale.
CN_SCORE = {"observed": "erbb2_cn_pct_change", "excess": "erbb2_excess_pct_change"}

PAIR_COLUMNS = {
    "patient_id": "string",
    "imaging_day": "float64",
    "recist_response": "string",
    "response_source": "string",
    "progression": "boolean",
    "tumour_pct_change": "float64",
    "sample_id": "string",
    "draw_day": "float64",
    "erbb2_cn": "float64",
    "erbb2_cn_pct_change": "float64",
    "erbb2_excess_pct_change": "float64",
    "cea_day": "float64",
    "cea": "float64",
    "cea_averaged": "boolean",
    "cea_pct_change": "float64",
}

#: Lead time per resistance class (``ResponseResult.lead_by_class``); see :func:`lead_time_by_class`.
LEAD_CLASS_COLUMNS = {
    "resistance_class": "string",
    "n_progressors": "int64",
    "n_evaluable": "int64",
    "n_with_rise": "int64",
    "median_lead_days": "float64",
    "q1_lead_days": "float64",
    "q3_lead_days": "float64",
    "n_rise_before": "int64",
    "share_rise_before": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
}




@dataclass(frozen=True)
class ResponseResult:
    """Response-tracking results.

    Attributes
    ----------
    pairs
        One row per post-baseline imaging assessment: ``patient_id, imaging_day, recist_response,
        response_source, progression`` (PD), ``tumour_pct_change`` (%), the paired draw
        (``sample_id, draw_day, erbb2_cn, erbb2_cn_pct_change, erbb2_excess_pct_change``) and CEA
        (``cea_day, cea`` ng/mL, ``cea_averaged, cea_pct_change`` %); missing when nothing lies
        within the pairing window.
    correlations
        ``measure_a, measure_b, n, rho, ci_low, ci_high, p_value`` (Spearman, Fisher-z interval).
    auc
        ``measure, auc, ci_low, ci_high, se, n_pos, n_neg`` for progression vs no progression.
    delong
        Paired DeLong test HER2 CN vs CEA on assessments that have both.
    lead_times
        One row per progressor with draws: ``patient_id, progression_day, rise_day, rise_erbb2_cn,
        nadir_before_rise, rise_threshold, lead_time_days`` (progression_day - rise_day; positive
        = the rise came first; missing when no rise).
    her2_at_progression
        One row per progressor with both draws: ``patient_id, resistance_class, baseline_erbb2_cn,
        progression_erbb2_cn, change, direction`` (higher/lower/equal).
    her2_by_class
        Per resistance class: ``resistance_class, n, n_higher, n_lower, n_equal,
        median_baseline_cn, median_progression_cn, median_change, wilcoxon_statistic, p_value``.
    summary
        Headline numbers (measure, value).
    caveats
        Caveats (small n, clustering of assessments within patients, ...).
    lead_by_class
        Lead time per resistance class (innate, acquired, then all progressors):
        :data:`LEAD_CLASS_COLUMNS`, see :func:`lead_time_by_class`.
    """

    pairs: pd.DataFrame
    correlations: pd.DataFrame
    auc: pd.DataFrame
    delong: DeLongTestResult
    lead_times: pd.DataFrame
    her2_at_progression: pd.DataFrame
    her2_by_class: pd.DataFrame
    summary: pd.DataFrame
    caveats: tuple[str, ...] = ()
    lead_by_class: pd.DataFrame = field(default_factory=lambda: empty_frame(LEAD_CLASS_COLUMNS))


def spearman_with_ci(
    x: np.ndarray | pd.Series, y: np.ndarray | pd.Series, confidence: float = CONFIDENCE_LEVEL
) -> dict:
    """Spearman's rho with a Fisher-z confidence interval.

    Parameters
    ----------
    x, y
        Paired values; pairs with a missing value are dropped.
    confidence
        Two-sided level.

    Returns
    -------
    dict with ``n, rho, ci_low, ci_high, p_value``.  rho needs n >= 3 and some variation;
    the interval needs n >= 4 (var z = 1.06 / (n - 3)); otherwise NaN.
    """
    from scipy import stats  # imported when used: not needed to serve a first page
    xs = pd.to_numeric(pd.Series(np.asarray(x, dtype=float)), errors="coerce")
    ys = pd.to_numeric(pd.Series(np.asarray(y, dtype=float)), errors="coerce")
    keep = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[keep].to_numpy(), ys[keep].to_numpy()
    n = len(xs)
    out = {"n": n, "rho": math.nan, "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan}
    if n < 3 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return out
    res = stats.spearmanr(xs, ys)
    rho = float(res.statistic)
    out.update(rho=rho, p_value=float(res.pvalue))
    if n >= 4 and abs(rho) >= 1.0:
        # Fisher's z is infinite at |rho| = 1: the interval degenerates to the point.
        out.update(ci_low=rho, ci_high=rho)
    elif n >= 4:
        z = math.atanh(rho)
        half = float(stats.norm.ppf(0.5 + confidence / 2.0)) * math.sqrt(SPEARMAN_Z_VARIANCE / (n - 3))
        out.update(ci_low=math.tanh(z - half), ci_high=math.tanh(z + half))
    return out


def pair_assessments(trajectories: TrajectoryResult, pairing_window_days: float) -> pd.DataFrame:
    """Pair each post-baseline imaging assessment with the nearest draw and CEA value.

    Nearest within +/- *pairing_window_days*; on a tie the earlier one (``merge_asof``).

    Returns
    -------
    DataFrame with the columns of :data:`PAIR_COLUMNS`.
    """
    imaging = trajectories.imaging
    patients = trajectories.patients
    post = imaging[
        ~imaging["is_baseline"] & imaging["recist_response"].notna() & (imaging["recist_response"] != "NE")
    ]
    post = post.merge(
        patients[["patient_id", "baseline_imaging_day", "baseline_cea"]], on="patient_id", how="left"
    )
    post = post[post["baseline_imaging_day"].isna() | (post["day"] > post["baseline_imaging_day"])]
    if post.empty:
        return typed_frame(pd.DataFrame(columns=list(PAIR_COLUMNS)), PAIR_COLUMNS)
    left = pd.DataFrame(
        {
            "patient_id": post["patient_id"].astype(str),
            "imaging_day": post["day"].astype(float),
            "recist_response": post["recist_response"],
            "response_source": post["response_source"],
            "progression": post["recist_response"] == "PD",
            "tumour_pct_change": post["pct_change_from_baseline"],
            "baseline_cea": post["baseline_cea"],
        }
    ).sort_values("imaging_day", kind="stable")
    draws = trajectories.draws
    draws = draws[draws["erbb2_cn"].notna()]
    right = pd.DataFrame(
        {
            "patient_id": draws["patient_id"].astype(str),
            "draw_day": draws["draw_day"],
            "sample_id": draws["sample_id"],
            "erbb2_cn": draws["erbb2_cn"],
            "erbb2_cn_pct_change": draws["erbb2_cn_pct_change"],
            "erbb2_excess_pct_change": draws["erbb2_excess_pct_change"],
        }
    ).sort_values("draw_day")
    tol = float(pairing_window_days)
    paired = pd.merge_asof(
        left,
        right,
        left_on="imaging_day",
        right_on="draw_day",
        by="patient_id",
        direction="nearest",
        tolerance=tol,
    )
    cea = trajectories.cea
    cea_right = pd.DataFrame(
        {
            "patient_id": cea["patient_id"].astype(str),
            "cea_day": cea["day"],
            "cea": cea["cea"],
            "cea_averaged": cea["averaged"],
        }
    ).sort_values("cea_day")
    paired = pd.merge_asof(
        paired.sort_values("imaging_day", kind="stable"),
        cea_right,
        left_on="imaging_day",
        right_on="cea_day",
        by="patient_id",
        direction="nearest",
        tolerance=tol,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        base = paired["baseline_cea"].where(paired["baseline_cea"] > 0)
        paired["cea_pct_change"] = 100.0 * (paired["cea"] - base) / base
    paired = paired.sort_values(["patient_id", "imaging_day"], kind="stable")
    return typed_frame(paired, PAIR_COLUMNS)


def lead_times(
    trajectories: TrajectoryResult,
    params: AnalysisParameters = AnalysisParameters(),
    rise_absolute_cn: float = LEAD_RISE_ABSOLUTE_CN,
    rise_relative: float = LEAD_RISE_RELATIVE,
) -> pd.DataFrame:
    """Lead time of a plasma HER2 CN rise before radiological progression.

    A rise is the first draw after baseline whose CN is at least nadir + max(*rise_absolute_cn*,
    *rise_relative* x (nadir - 2)) copies, nadir being the lowest CN from the baseline draw to the
    previous draw.  Draws up to the end of the progression window after progression count, so a
    rise seen after progression gives a negative lead time.

    Returns
    -------
    DataFrame (see :class:`ResponseResult`.lead_times), one row per progressor with a baseline draw.
    """
    cols = [
        "patient_id",
        "progression_day",
        "rise_day",
        "rise_erbb2_cn",
        "nadir_before_rise",
        "rise_threshold",
        "lead_time_days",
    ]
    patients = trajectories.patients
    prog = patients[patients["progressed"] & patients["baseline_day"].notna()][
        ["patient_id", "progression_day"]
    ]
    draws = trajectories.draws
    d = draws[["patient_id", "draw_day", "erbb2_cn", "running_nadir_cn", "baseline_day"]].copy()
    d["prior_nadir"] = d.groupby("patient_id")["running_nadir_cn"].shift(1)
    d = d.merge(prog, on="patient_id", how="inner")
    d = d[
        (d["draw_day"] > d["baseline_day"])
        & (d["draw_day"] <= d["progression_day"] + params.progression_window_days[1])
        & d["erbb2_cn"].notna()
        & d["prior_nadir"].notna()
    ]
    d["rise_threshold"] = d["prior_nadir"] + np.maximum(
        rise_absolute_cn, rise_relative * (d["prior_nadir"] - 2.0)
    )
    rises = d[d["erbb2_cn"] >= d["rise_threshold"]].groupby("patient_id", sort=False).head(1)
    rises = rises.rename(
        columns={"draw_day": "rise_day", "erbb2_cn": "rise_erbb2_cn", "prior_nadir": "nadir_before_rise"}
    )
    out = prog.merge(
        rises[["patient_id", "rise_day", "rise_erbb2_cn", "nadir_before_rise", "rise_threshold"]],
        on="patient_id",
        how="left",
    )
    out["lead_time_days"] = out["progression_day"] - out["rise_day"]
    return out[cols].astype({"patient_id": "string"}).reset_index(drop=True)


def lead_time_by_class(
    lead_times_table: pd.DataFrame, patients: pd.DataFrame, confidence: float = CONFIDENCE_LEVEL
) -> pd.DataFrame:
    """Lead time per resistance class, and the share of progressors whose rise preceded progression.

    A cohort median mixes two different things: in acquired resistance the HER2 CN rise comes
    weeks before radiological progression, while innate-resistance patients progress at their
    first scan, with the rise seen at or after it.  So lead time is reported per class.

    Parameters
    ----------
    lead_times_table
        :func:`lead_times` (one row per progressor with a baseline draw).
    patients
        ``TrajectoryResult.patients`` (``patient_id, progressed, resistance_class``).
    confidence
        Level of the Wilson interval.

    Returns
    -------
    DataFrame with :data:`LEAD_CLASS_COLUMNS`, rows ``innate``, ``acquired``, ``all``:
    ``n_progressors`` (in the class), ``n_evaluable`` (with a baseline draw, so that a rise can be
    looked for; the denominator of the share), ``n_with_rise``, ``median_lead_days``,
    ``q1_lead_days``, ``q3_lead_days`` (days, over progressors with a rise; numpy's linear
    percentiles), ``n_rise_before`` (lead time > 0: the rise came before radiological
    progression), ``share_rise_before`` = n_rise_before / n_evaluable with its Wilson interval
    ``ci_low, ci_high`` (NaN when n_evaluable = 0).
    """
    progressors = patients[patients["progressed"].astype(bool)][["patient_id", "resistance_class"]]
    leads = lead_times_table[["patient_id", "lead_time_days"]].merge(progressors, on="patient_id", how="left")
    records = []
    for cls in (INNATE, ACQUIRED, "all"):
        in_class = progressors if cls == "all" else progressors[progressors["resistance_class"] == cls]
        sub = leads if cls == "all" else leads[leads["resistance_class"] == cls]
        days = sub["lead_time_days"].dropna().astype(float).to_numpy()
        q1, median, q3 = np.percentile(days, [25, 50, 75]) if len(days) else (math.nan,) * 3
        n_eval, n_before = len(sub), int((days > 0).sum())
        low, high = wilson_interval(n_before, n_eval, confidence)
        records.append({
            "resistance_class": cls,
            "n_progressors": len(in_class),
            "n_evaluable": n_eval,
            "n_with_rise": len(days),
            "median_lead_days": float(median),
            "q1_lead_days": float(q1),
            "q3_lead_days": float(q3),
            "n_rise_before": n_before,
            "share_rise_before": n_before / n_eval if n_eval else math.nan,
            "ci_low": low,
            "ci_high": high,
        })
    return typed_frame(records, LEAD_CLASS_COLUMNS)


def her2_at_progression(trajectories: TrajectoryResult) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """HER2 CN at the progression draw vs the baseline draw, per progressor and per class.

    Returns
    -------
    (per-patient table, per-class table, caveats); see :class:`ResponseResult`.  The
    Wilcoxon signed-rank test (scipy, two-sided, zero differences dropped) is NaN with a
    caveat when a class has fewer than 2 non-zero differences.
    """
    from scipy import stats  # imported when used: not needed to serve a first page
    caveats: list[str] = []
    p = trajectories.patients
    rows = p[p["progressed"] & p["baseline_erbb2_cn"].notna() & p["progression_erbb2_cn"].notna()]
    per = pd.DataFrame(
        {
            "patient_id": rows["patient_id"],
            "resistance_class": rows["resistance_class"],
            "baseline_erbb2_cn": rows["baseline_erbb2_cn"],
            "progression_erbb2_cn": rows["progression_erbb2_cn"],
        }
    ).reset_index(drop=True)
    per["change"] = per["progression_erbb2_cn"] - per["baseline_erbb2_cn"]
    per["direction"] = pd.Series(
        np.select([per["change"] > 0, per["change"] < 0], ["higher", "lower"], "equal"), dtype="string"
    )
    n_missing = int(p["progressed"].sum()) - len(per)
    if n_missing > 0:
        caveats.append(
            f"{n_missing} progressor(s) lack a baseline or progression draw with ERBB2 CN and are "
            "left out of HER2-at-progression."
        )
    records = []
    for cls in (INNATE, ACQUIRED):
        sub = per[per["resistance_class"] == cls]
        diffs = sub["change"].to_numpy(dtype=float)
        stat = pval = math.nan
        if int((diffs != 0).sum()) >= 2:
            res = stats.wilcoxon(
                sub["progression_erbb2_cn"].to_numpy(float),
                sub["baseline_erbb2_cn"].to_numpy(float),
                zero_method="wilcox",
                alternative="two-sided",
            )
            stat, pval = float(res.statistic), float(res.pvalue)
        elif len(sub):
            caveats.append(f"{cls}: fewer than 2 non-zero changes; Wilcoxon test not computed.")
        records.append(
            {
                "resistance_class": cls,
                "n": len(sub),
                "n_higher": int((diffs > 0).sum()),
                "n_lower": int((diffs < 0).sum()),
                "n_equal": int((diffs == 0).sum()),
                "median_baseline_cn": float(sub["baseline_erbb2_cn"].median()) if len(sub) else math.nan,
                "median_progression_cn": float(sub["progression_erbb2_cn"].median())
                if len(sub)
                else math.nan,
                "median_change": float(np.median(diffs)) if len(diffs) else math.nan,
                "wilcoxon_statistic": stat,
                "p_value": pval,
            }
        )
    return per.astype({"patient_id": "string", "resistance_class": "string"}), pd.DataFrame(records), caveats


def _auc_row(measure: str, result: AucResult) -> dict:
    return {
        "measure": measure,
        "auc": result.auc,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "se": result.se,
        "n_pos": result.n_pos,
        "n_neg": result.n_neg,
    }


def analyse_response(
    trajectories: TrajectoryResult,
    params: AnalysisParameters = AnalysisParameters(),
    cn_scale: str = "observed",
) -> ResponseResult:
    """Response tracking of design.md section 3.

    Parameters
    ----------
    trajectories
        From :func:`analysis.trajectory.analyse_trajectories`.
    params
        Pairing window (days) and progression window.
    cn_scale
        ``"observed"`` (% change of observed ERBB2 copies, default) or ``"excess"`` (% change of the
        copies above 2) as the HER2 CN score in correlations and ROC.

    Returns
    -------
    :class:`ResponseResult`; empty inputs give empty tables and NaN statistics with caveats.

    Raises
    ------
    ValueError
        Unknown *cn_scale*.
    """
    if cn_scale not in CN_SCORE:
        raise ValueError(f"cn_scale: expected one of {sorted(CN_SCORE)}, got {cn_scale!r}")
    caveats: list[str] = []
    pairs = pair_assessments(trajectories, params.pairing_window_days)
    cn_col = CN_SCORE[cn_scale]
    measures = {"her2_cn": cn_col, "cea": "cea_pct_change", "tumour_size": "tumour_pct_change"}
    corr = []
    for a, b in (("her2_cn", "tumour_size"), ("cea", "tumour_size"), ("her2_cn", "cea")):
        row = spearman_with_ci(pairs[measures[a]].astype(float), pairs[measures[b]].astype(float))
        corr.append({"measure_a": a, "measure_b": b, **row})
    correlations = pd.DataFrame(corr)
    labels = pairs["progression"].astype("boolean")
    auc_cn = auc_delong(pairs[cn_col].astype(float), labels)
    auc_cea = auc_delong(pairs["cea_pct_change"].astype(float), labels)
    delong = delong_test(
        pairs[cn_col].astype(float),
        pairs["cea_pct_change"].astype(float),
        labels,
        name_a="HER2 CN",
        name_b="CEA",
    )
    auc = pd.DataFrame([_auc_row("her2_cn", auc_cn), _auc_row("cea", auc_cea)])
    for name, res in (("HER2 CN AUC", auc_cn), ("CEA AUC", auc_cea), ("DeLong HER2 CN vs CEA", delong)):
        caveats.extend(f"{name}: {c}" for c in res.caveats)
    if pairs["patient_id"].nunique() < len(pairs):
        caveats.append(
            "Assessments from the same patient are treated as independent in Spearman, AUC and "
            "DeLong; intervals may be too narrow."
        )
    n_unpaired = int(pairs["erbb2_cn"].isna().sum())
    if n_unpaired:
        caveats.append(
            f"{n_unpaired} assessment(s) had no plasma draw within +/-{params.pairing_window_days} days."
        )
    leads = lead_times(trajectories, params)
    lead_classes = lead_time_by_class(leads, trajectories.patients)
    n_no_base = int(trajectories.patients["progressed"].astype(bool).sum()) - len(leads)
    if n_no_base > 0:
        caveats.append(
            f"{n_no_base} progressor(s) have no baseline draw: no HER2 CN rise can be looked for, and they "
            "are left out of lead times and of the share with a rise before progression."
        )
    by = lead_classes.set_index("resistance_class")
    per, by_class, her2_caveats = her2_at_progression(trajectories)
    caveats.extend(her2_caveats)
    with_lead = leads["lead_time_days"].dropna()
    summary = pd.DataFrame(
        {
            "measure": [
                "paired assessments",
                "assessments with PD",
                "HER2 CN AUC",
                "CEA AUC",
                "DeLong p",
                "progressors with a HER2 CN rise",
                "median lead time (days)",
                "median lead time, acquired (days)",
                "median lead time, innate (days)",
                "progressors with the rise before progression",
                "% progressors with the rise before progression",
            ],
            "value": [
                len(pairs),
                int(labels.fillna(False).sum()),
                auc_cn.auc,
                auc_cea.auc,
                delong.p_value,
                len(with_lead),
                float(with_lead.median()) if len(with_lead) else math.nan,
                by.loc[ACQUIRED, "median_lead_days"],
                by.loc[INNATE, "median_lead_days"],
                int(by.loc["all", "n_rise_before"]),
                100.0 * by.loc["all", "share_rise_before"],
            ],
        }
    )
    return ResponseResult(
        pairs=pairs,
        correlations=correlations,
        auc=auc,
        delong=delong,
        lead_times=leads,
        her2_at_progression=per,
        her2_by_class=by_class,
        summary=summary,
        caveats=tuple(caveats),
        lead_by_class=lead_classes,
    )
