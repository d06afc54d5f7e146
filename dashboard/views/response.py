"""View models of the Response page: plasma HER2 CN vs CEA vs tumour size, AUCs, lead times.

Pure functions from :class:`analysis.response.ResponseResult` to display tables and
JSON-able dicts; the dashboard caches :func:`response_view` on the parameters.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.params import AnalysisParameters
from analysis.response import ResponseResult
from analysis.roc import DeLongTestResult
from analysis.trajectory import ACQUIRED, INNATE
from dashboard.figures.style import P_DISPLAY_FLOOR, p_exact, p_phrase
from dashboard.labels import RESISTANCE_CLASS_NAMES
from dashboard.views.concordance import EN_DASH, empty_frame, format_fixed, format_p

MEASURE_NAMES = {"her2_cn": "Plasma HER2 (ERBB2) CN", "cea": "Serum CEA", "tumour_size": "Tumour size"}
_IN_TEXT = {"her2_cn": "plasma HER2 CN", "cea": "CEA", "tumour_size": "tumour size"}

CORRELATION_LABELS = {
    "pair": "Compared",
    "n": "Assessments",
    "rho": "Spearman rho",
    "ci": "95% CI",
    "p_value": "p",
    "p_exact": "p (exact)",
}
#: Columns of the tables above that hold numbers (right-aligned, number filter); the rest is text.
CORRELATION_NUMERIC = frozenset({"n", "p_exact"})
AUC_LABELS = {
    "measure": "Score (% change from baseline)",
    "auc": "AUC",
    "ci": "95% CI (DeLong)",
    "n_pos": "Scans with PD",
    "n_neg": "Scans without PD",
}
AUC_NUMERIC = frozenset({"n_pos", "n_neg"})
LEAD_LABELS = {
    "patient_id": "Patient",
    "resistance_class": "Resistance",
    "progression_day": "Progression day",
    "rise_day": "HER2 CN rise day",
    "rise_erbb2_cn": "CN at rise (copies)",
    "nadir_before_rise": "Nadir before (copies)",
    "rise_threshold": "Rise threshold (copies)",
    "lead_time_days": "Lead time (days)",
    "note": "Note",
}
LEAD_NUMERIC = frozenset({"progression_day", "rise_day", "rise_erbb2_cn", "nadir_before_rise", "rise_threshold",
                          "lead_time_days"})
HER2_CLASS_LABELS = {
    "resistance_class": "Resistance class",
    "n": "Patients",
    "n_higher": "Higher at progression",
    "n_lower": "Lower at progression",
    "n_equal": "Equal",
    "median_baseline_cn": "Median baseline CN (copies)",
    "median_progression_cn": "Median CN at progression (copies)",
    "median_change": "Median change (copies)",
    "p_value": "Wilcoxon p",
    "p_exact": "Wilcoxon p (exact)",
}
HER2_CLASS_NUMERIC = frozenset({"n", "n_higher", "n_lower", "n_equal", "median_baseline_cn", "median_progression_cn",
                                "median_change", "p_exact"})
ASSESSMENT_LABELS = {
    "patient_id": "Patient",
    "imaging_day": "Scan day",
    "recist_response": "RECIST",
    "tumour_pct_change": "Tumour size change (%)",
    "draw_day": "Plasma draw day",
    "erbb2_cn": "ERBB2 CN (copies)",
    "erbb2_cn_pct_change": "ERBB2 CN change (%)",
    "cea_day": "CEA day",
    "cea": "CEA (ng/mL)",
    "cea_pct_change": "CEA change (%)",
    "note": "Note",
}
ASSESSMENT_NUMERIC = frozenset({"imaging_day", "tumour_pct_change", "draw_day", "erbb2_cn", "erbb2_cn_pct_change",
                                "cea_day", "cea", "cea_pct_change"})


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def estimate_with_ci(estimate: float, low: float, high: float, digits: int = 2) -> str:
    """``"0.86 (95% CI 0.76-0.96)"``; ``"undefined"`` without an estimate; no interval when it is NaN."""
    if _missing(estimate):
        return "undefined"
    text = format_fixed(estimate, digits)
    if not (_missing(low) or _missing(high)):
        text += f" (95% CI {format_fixed(low, digits)}{EN_DASH}{format_fixed(high, digits)})"
    return text


def correlation_table(correlations: pd.DataFrame) -> pd.DataFrame:
    """Spearman correlations of the % changes, side by side (columns: keys of :data:`CORRELATION_LABELS`)."""
    if correlations.empty:
        return empty_frame(CORRELATION_LABELS)
    texts = [
        f"{_IN_TEXT.get(a, a)} vs {_IN_TEXT.get(b, b)} (% change)"
        for a, b in zip(correlations["measure_a"], correlations["measure_b"], strict=True)
    ]
    pair = [text[:1].upper() + text[1:] for text in texts]
    return pd.DataFrame(
        {
            "pair": pair,
            "n": correlations["n"].astype(int),
            "rho": [format_fixed(r) or "undefined" for r in correlations["rho"]],
            "ci": [
                (f"{format_fixed(lo)}{EN_DASH}{format_fixed(hi)}" if not _missing(lo) else "")
                for lo, hi in zip(correlations["ci_low"], correlations["ci_high"], strict=True)
            ],
            "p_value": [format_p(p) for p in correlations["p_value"]],
            "p_exact": correlations["p_value"].astype("float64"),
        }
    )[list(CORRELATION_LABELS)]


def correlation_of(correlations: pd.DataFrame, measure_a: str, measure_b: str = "tumour_size") -> dict:
    """One correlation row as a dict (``n, rho, ci_low, ci_high, p_value``; NaN when absent)."""
    row = correlations[(correlations["measure_a"] == measure_a) & (correlations["measure_b"] == measure_b)]
    if row.empty:
        return {"n": 0, "rho": math.nan, "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan}
    rec = row.iloc[0]
    return {"n": int(rec["n"]), **{k: float(rec[k]) for k in ("rho", "ci_low", "ci_high", "p_value")}}


def auc_table(auc: pd.DataFrame) -> pd.DataFrame:
    """AUC of each score for progression, with its DeLong CI (columns: keys of :data:`AUC_LABELS`)."""
    if auc.empty:
        return empty_frame(AUC_LABELS)
    return pd.DataFrame(
        {
            "measure": [MEASURE_NAMES.get(m, m) for m in auc["measure"]],
            "auc": [format_fixed(v) or "undefined" for v in auc["auc"]],
            "ci": [
                (f"{format_fixed(lo)}{EN_DASH}{format_fixed(hi)}" if not _missing(lo) else "not computed")
                for lo, hi in zip(auc["ci_low"], auc["ci_high"], strict=True)
            ],
            "n_pos": auc["n_pos"].astype(int),
            "n_neg": auc["n_neg"].astype(int),
        }
    )[list(AUC_LABELS)]


def auc_text(auc: pd.DataFrame, measure: str) -> str:
    """``"AUC 0.86 (95% CI 0.76-0.96; 17 scans with PD, 56 without)"`` for one score."""
    row = auc[auc["measure"] == measure]
    if row.empty:
        return "AUC undefined (no assessments)"
    rec = row.iloc[0]
    counts = f"{int(rec['n_pos'])} scans with PD, {int(rec['n_neg'])} without"
    if _missing(rec["auc"]):
        return f"AUC undefined ({counts})"
    if _missing(rec["ci_low"]):
        return f"AUC {format_fixed(rec['auc'])} (no DeLong interval; {counts})"
    return (
        f"AUC {format_fixed(rec['auc'])} (95% CI {format_fixed(rec['ci_low'])}{EN_DASH}"
        f"{format_fixed(rec['ci_high'])}; {counts})"
    )


def delong_text(delong: DeLongTestResult) -> str:
    """The paired DeLong test of HER2 CN vs CEA in one sentence, with its n."""
    n = f"{delong.n_pos} scans with PD and {delong.n_neg} without, both scores present"
    if _missing(delong.p_value):
        reason = delong.caveats[-1] if delong.caveats else "too few assessments"
        return f"DeLong test of HER2 CN vs CEA: not computed ({reason}; {n})."
    diff = estimate_with_ci(delong.difference, delong.ci_low, delong.ci_high)
    exact = f"; exact p = {p_exact(delong.p_value)}" if delong.p_value < P_DISPLAY_FLOOR else ""
    return f"DeLong test of HER2 CN vs CEA: AUC difference {diff}, {p_phrase(delong.p_value)} ({n}{exact})."


def lead_time_table(lead_times: pd.DataFrame, patients: pd.DataFrame | None = None) -> pd.DataFrame:
    """Lead time per progressor (columns: keys of :data:`LEAD_LABELS`), with a note when there is none."""
    if lead_times.empty:
        return empty_frame(LEAD_LABELS)
    table = lead_times.copy()
    if patients is not None and len(patients):
        table = table.merge(patients[["patient_id", "resistance_class"]], on="patient_id", how="left")
    else:
        table["resistance_class"] = pd.NA
    table["resistance_class"] = table["resistance_class"].map(
        lambda c: RESISTANCE_CLASS_NAMES.get(str(c), str(c)) if not _missing(c) else ""
    )
    note = np.where(
        table["rise_day"].isna(),
        "no HER2 CN rise up to the end of the progression window",
        np.where(
            table["lead_time_days"] > 0,
            "rise before progression",
            np.where(
                table["lead_time_days"] == 0, "rise on the day of progression", "rise after progression"
            ),
        ),
    )
    table["note"] = note
    for col in ("rise_erbb2_cn", "nadir_before_rise", "rise_threshold"):
        table[col] = table[col].astype("float64").round(2)
    return table[list(LEAD_LABELS)].reset_index(drop=True)


def lead_time_summary(lead_times: pd.DataFrame) -> dict:
    """``n_progressors, n_with_rise, median, q1, q3`` (days) and a ``text`` sentence."""
    with_rise = lead_times["lead_time_days"].dropna().astype(float)
    n_prog, n_rise = len(lead_times), len(with_rise)
    out = {"n_progressors": n_prog, "n_with_rise": n_rise, "median": math.nan, "q1": math.nan, "q3": math.nan}
    if n_prog == 0:
        out["text"] = "No patient progressed after a baseline plasma draw: no lead time."
        return out
    if n_rise == 0:
        out["text"] = (
            f"None of the {n_prog} progressors had a HER2 CN rise before the end of the progression window."
        )
        return out
    q1, median, q3 = np.percentile(with_rise, [25, 50, 75])
    out.update(median=float(median), q1=float(q1), q3=float(q3))
    out["text"] = (
        f"Median lead time {median:g} days (IQR {q1:g} to {q3:g}; n = {n_rise} progressors with a "
        f"HER2 CN rise, of {n_prog}). Positive: the rise came before radiological progression."
    )
    return out


def lead_class_sentence(lead_by_class: pd.DataFrame) -> str:
    """Lead time per resistance class in one sentence (n, median, IQR), and the share whose rise came first.

    Empty when there is no progressor with a baseline draw.
    """
    if lead_by_class.empty:
        return ""
    by = lead_by_class.set_index("resistance_class")
    parts = []
    for cls in (ACQUIRED, INNATE):
        if cls not in by.index or int(by.loc[cls, "n_evaluable"]) == 0:
            continue
        rec = by.loc[cls]
        n_rise, n_eval = int(rec["n_with_rise"]), int(rec["n_evaluable"])
        if n_rise == 0:
            parts.append(f"{cls}: no HER2 CN rise (n = {n_eval})")
        else:
            parts.append(f"{cls}: median {rec['median_lead_days']:g} days (IQR {rec['q1_lead_days']:g} to "
                         f"{rec['q3_lead_days']:g}; n = {n_rise} with a rise, of {n_eval})")
    text = "By resistance class, " + "; ".join(parts) + "." if parts else ""
    if "all" in by.index and int(by.loc["all", "n_evaluable"]):
        rec = by.loc["all"]
        text += (f" The HER2 CN rise preceded radiological progression in {int(rec['n_rise_before'])} of "
                 f"{int(rec['n_evaluable'])} progressors with a baseline draw ({_share(rec)}).")
    return text.strip()


def _share(rec) -> str:
    """"35.3%, 95% CI 17.3-58.7% (Wilson)" of a lead-by-class row."""
    if _missing(rec["share_rise_before"]):
        return "undefined"
    return (f"{100 * rec['share_rise_before']:.1f}%, 95% CI {100 * rec['ci_low']:.1f}{EN_DASH}"
            f"{100 * rec['ci_high']:.1f}% (Wilson)")


def her2_class_table(her2_by_class: pd.DataFrame) -> pd.DataFrame:
    """HER2 CN at progression vs baseline per resistance class (columns: :data:`HER2_CLASS_LABELS` keys)."""
    if her2_by_class.empty:
        return empty_frame(HER2_CLASS_LABELS)
    table = her2_by_class.copy()
    table["resistance_class"] = table["resistance_class"].map(
        lambda c: RESISTANCE_CLASS_NAMES.get(str(c), str(c))
    )
    for col in ("median_baseline_cn", "median_progression_cn", "median_change"):
        table[col] = table[col].astype("float64").round(2)
    table["p_exact"] = table["p_value"].astype("float64")
    table["p_value"] = [format_p(p) for p in table["p_value"]]
    return table[list(HER2_CLASS_LABELS)].reset_index(drop=True)


def assessment_table(pairs: pd.DataFrame, window_days: float) -> pd.DataFrame:
    """Every post-baseline scan with its paired draw and CEA, and a note saying what is missing and why.

    Columns: keys of :data:`ASSESSMENT_LABELS` (% changes rounded to 1 decimal, CN to 2).
    """
    if pairs.empty:
        return empty_frame(ASSESSMENT_LABELS)
    window = f"{window_days:g}"
    notes = []
    for rec in pairs.itertuples(index=False):
        parts = []
        if _missing(rec.erbb2_cn):
            parts.append(f"no plasma draw within {window} days of this scan")
        elif _missing(rec.erbb2_cn_pct_change):
            parts.append("no baseline ERBB2 CN: % change not computable")
        if _missing(rec.cea):
            parts.append(f"no CEA within {window} days of this scan")
        elif _missing(rec.cea_pct_change):
            parts.append("no baseline CEA: % change not computable")
        elif bool(rec.cea_averaged) if not _missing(rec.cea_averaged) else False:
            parts.append("same-day CEA values averaged")
        if _missing(rec.tumour_pct_change):
            parts.append("no baseline lesion sum: tumour change not computable")
        if rec.response_source == "derived":
            parts.append("RECIST derived from lesion sums")
        notes.append("; ".join(parts))
    table = pd.DataFrame(
        {
            "patient_id": pairs["patient_id"].astype(str),
            "imaging_day": pairs["imaging_day"],
            "recist_response": pairs["recist_response"].astype(str),
            "tumour_pct_change": pairs["tumour_pct_change"].astype("float64").round(1),
            "draw_day": pairs["draw_day"],
            "erbb2_cn": pairs["erbb2_cn"].astype("float64").round(2),
            "erbb2_cn_pct_change": pairs["erbb2_cn_pct_change"].astype("float64").round(1),
            "cea_day": pairs["cea_day"],
            "cea": pairs["cea"].astype("float64").round(2),
            "cea_pct_change": pairs["cea_pct_change"].astype("float64").round(1),
            "note": notes,
        }
    )
    return table[list(ASSESSMENT_LABELS)].reset_index(drop=True)


def headline_facts(response: ResponseResult) -> list[tuple[str, str, str]]:
    """Stat cards (value, label, detail): assessments, both AUCs with CIs, DeLong p, median lead time."""
    pairs = response.pairs
    n_pd = int(pairs["progression"].astype("boolean").fillna(False).sum()) if len(pairs) else 0
    n_patients = pairs["patient_id"].nunique() if len(pairs) else 0
    facts = [
        (str(len(pairs)), "scans after baseline", f"{n_pd} with progression (PD); {n_patients} patients")
    ]
    for measure, label in (
        ("her2_cn", "AUC for progression: plasma HER2 CN change"),
        ("cea", "AUC for progression: CEA change"),
    ):
        row = response.auc[response.auc["measure"] == measure]
        if row.empty or _missing(row.iloc[0]["auc"]):
            facts.append(("-", label, "undefined: needs scans with and without PD"))
            continue
        rec = row.iloc[0]
        ci = (
            "no DeLong interval"
            if _missing(rec["ci_low"])
            else f"95% CI {format_fixed(rec['ci_low'])}{EN_DASH}{format_fixed(rec['ci_high'])} (DeLong)"
        )
        facts.append(
            (format_fixed(rec["auc"]), label, f"{ci}; n = {int(rec['n_pos'])} PD + {int(rec['n_neg'])}")
        )
    facts.append(
        (
            format_p(response.delong.p_value),
            "DeLong p, HER2 CN vs CEA",
            f"n = {response.delong.n_pos} PD + {response.delong.n_neg} scans with both scores"
            + (f"; exact p = {p_exact(response.delong.p_value)}"
               if response.delong.p_value < P_DISPLAY_FLOOR else ""),
        )
    )
    # Lead time per resistance class: a cohort median mixes acquired resistance (rise weeks before
    # progression) with innate resistance (progression at the first scan).
    by = response.lead_by_class.set_index("resistance_class") if len(response.lead_by_class) else None
    for cls in (ACQUIRED, INNATE):
        if by is None or cls not in by.index:
            continue
        rec = by.loc[cls]
        n_rise, n_eval = int(rec["n_with_rise"]), int(rec["n_evaluable"])
        detail = (f"IQR {rec['q1_lead_days']:g} to {rec['q3_lead_days']:g}; " if n_rise else "") + (
            f"n = {n_rise} of {n_eval} {cls} progressors with a HER2 CN rise")
        facts.append(("-" if _missing(rec["median_lead_days"]) else f"{rec['median_lead_days']:g}",
                      f"median lead time, {cls} (days)", detail))
    if by is not None and "all" in by.index:
        rec = by.loc["all"]
        k, n = int(rec["n_rise_before"]), int(rec["n_evaluable"])
        value = "-" if not n else f"{100 * rec['share_rise_before']:.1f}% ({k}/{n})"
        facts.append((value, "HER2 CN rise before radiological progression",
                      (_share(rec).split(", ", 1)[1] + "; " if n else "") + f"of {n} progressors with a baseline draw"))
    return facts


#: Rows of a table sent to the browser; larger cohorts are summarised by the figures and statistics.
MAX_TABLE_ROWS = 1000


def response_view(
    response: ResponseResult, params: AnalysisParameters, patients: pd.DataFrame | None = None,
    trajectory_caveats: list[str] | tuple[str, ...] = (),
) -> dict:
    """Everything the Response page shows, as JSON-able data (cached per parameters by the dashboard).

    Parameters
    ----------
    response
        The cohort's response-tracking result.
    params
        Parameters in force (pairing window in days).
    patients
        ``TrajectoryResult.patients`` (for the resistance class of each progressor), optional.
    trajectory_caveats
        Trajectory caveats behind these numbers (no baseline draw, averaged CEA, early baseline scans),
        shown after the response caveats.

    Returns
    -------
    dict with ``headline``, ``scatter_cn``, ``scatter_cea``, ``roc``, ``lead_plot``, ``her2_slope``
    (plotly dicts), ``correlations``, ``auc``, ``lead_table``, ``her2_table``, ``assessments`` (records),
    ``auc_her2_text``, ``auc_cea_text``, ``delong_text``, ``lead_text`` and ``caveats``.
    """
    from dashboard.figures.response import change_scatter, her2_slope, lead_time_plot, progression_roc

    window = params.pairing_window_days
    correlations = response.correlations
    lead = lead_time_summary(response.lead_times)
    caveats = list(response.caveats) + list(trajectory_caveats)
    lead_rows = lead_time_table(response.lead_times, patients)
    scan_rows = assessment_table(response.pairs, window)
    for label, table in (("lead-time", lead_rows), ("scan", scan_rows)):
        if len(table) > MAX_TABLE_ROWS:
            caveats.append(f"The {label} table lists the first {MAX_TABLE_ROWS:,} of {len(table):,} rows; the "
                           "statistics and figures use all of them.")
    return {
        "headline": headline_facts(response),
        "scatter_cn": change_scatter(
            response.pairs, "her2_cn", correlation_of(correlations, "her2_cn"), window
        ).to_dict(),
        "scatter_cea": change_scatter(
            response.pairs, "cea", correlation_of(correlations, "cea"), window
        ).to_dict(),
        "roc": progression_roc(response.pairs, response.auc, response.delong).to_dict(),
        "lead_plot": lead_time_plot(response.lead_times, lead).to_dict(),
        "her2_slope": her2_slope(response.her2_at_progression, response.her2_by_class).to_dict(),
        "correlations": _records(correlation_table(correlations)),
        "auc": _records(auc_table(response.auc)),
        "lead_table": _records(lead_rows.head(MAX_TABLE_ROWS)),
        "her2_table": _records(her2_class_table(response.her2_by_class)),
        "assessments": _records(scan_rows.head(MAX_TABLE_ROWS)),
        "auc_her2_text": f"Plasma HER2 CN: {auc_text(response.auc, 'her2_cn')}",
        "auc_cea_text": f"CEA: {auc_text(response.auc, 'cea')}",
        "delong_text": delong_text(response.delong),
        "lead_text": " ".join(t for t in (lead["text"], lead_class_sentence(response.lead_by_class)) if t),
        "caveats": caveats,
    }
