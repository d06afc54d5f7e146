"""Figures of the Response page: % change scatters, ROC for progression, lead times, HER2 CN at progression.

Every point that belongs to a patient carries the patient id as ``customdata[0]`` so that a
click can open the patient's page.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.roc import DeLongTestResult, roc_corners, roc_curve_table
from analysis.trajectory import ACQUIRED, INNATE
from dashboard.figures.concordance import ROC_MARKERS_MAX, WEBGL_ABOVE, with_subtitle
from dashboard.figures.palette import DIRECTION, NEUTRAL, NO_PROGRESSION, PROGRESSION, SERIES
from dashboard.figures.plotly_text import escape, escape_all
from dashboard.figures.style import (
    TWO_DRAWS_X,
    base_layout,
    chance_diagonal,
    empty_figure,
    p_exact,
    p_phrase,
    two_draws_axis,
)

EN_DASH = "\u2013"
GE_TEXT = "\u2265"

#: Score column, axis title, raw value column, raw unit, day column of each measure.
MEASURES = {
    "her2_cn": (
        "erbb2_cn_pct_change",
        "Plasma ERBB2 CN change (%)",
        "erbb2_cn",
        "copies",
        "draw_day",
        "plasma draw",
    ),
    "cea": ("cea_pct_change", "CEA change (%)", "cea", "ng/mL", "cea_day", "CEA"),
}
MEASURE_TITLES = {"her2_cn": "Plasma HER2 CN", "cea": "Serum CEA"}

#: RECIST 1.1 lines on the tumour-size axis (% change from baseline).
#: RECIST 1.1 partial response: -30% from baseline (PD, +20% from nadir, has no line on a baseline axis).
RECIST_PR = -30.0


def _fmt(value: float, digits: int = 2) -> str:
    return f"{round(float(value), digits) + 0.0:.{digits}f}"


def _compact(values: pd.Series, fmt: str) -> list[str]:
    """Numbers as short text for hover data (plotly formats them again); a missing one as ""."""
    return [fmt.format(v) if pd.notna(v) else "" for v in pd.to_numeric(values, errors="coerce")]


def _round(value, digits: int = 3):
    return round(float(value), digits) if pd.notna(value) else None


def correlation_subtitle(correlation: dict, unit: str = "scans") -> str:
    """``"Spearman rho 0.71 (95% CI 0.57-0.81), p = 1.4e-12, n = 73 scans"`` (or why there is none)."""
    n = correlation.get("n", 0)
    rho = correlation.get("rho", math.nan)
    if rho is None or math.isnan(rho):
        return f"Spearman rho not computed (n = {n} {unit}; needs at least 3 with some spread)"
    ci = (
        ""
        if math.isnan(correlation.get("ci_low", math.nan))
        else f" (95% CI {_fmt(correlation['ci_low'])}{EN_DASH}{_fmt(correlation['ci_high'])})"
    )
    p = correlation.get("p_value", math.nan)
    p_text = "" if math.isnan(p) else f", {p_phrase(p)}"
    return f"Spearman rho {_fmt(rho)}{ci}{p_text}, n = {n} {unit}"


def change_scatter(pairs: pd.DataFrame, measure: str, correlation: dict, window_days: float) -> go.Figure:
    """% change of a marker vs % change of tumour size, one point per scan, coloured by progression.

    Parameters
    ----------
    pairs
        :attr:`analysis.response.ResponseResult.pairs`.
    measure
        ``"her2_cn"`` (plasma ERBB2 CN) or ``"cea"``.
    correlation
        Spearman ``n, rho, ci_low, ci_high, p_value`` (subtitle).
    window_days
        Pairing window (days), for the empty-state message.
    """
    column, axis_title, raw, unit, day_column, what = MEASURES[measure]
    shown = pairs[pairs[column].notna() & pairs["tumour_pct_change"].notna()] if len(pairs) else pairs
    if shown.empty:
        reason = (
            f"no {what} within {window_days:g} days of any scan after baseline"
            if len(pairs)
            else "no imaging assessment after baseline"
        )
        return empty_figure(f"{MEASURE_TITLES[measure]} vs tumour size: {reason}.")
    fig = go.Figure()
    progression = shown["progression"].astype("boolean").fillna(False).astype(bool)
    scatter = go.Scattergl if len(shown) > WEBGL_ABOVE else go.Scatter
    for flag, name, colour, symbol in (
        (False, "no progression", NO_PROGRESSION, "circle"),
        (True, "progression (PD)", PROGRESSION, "diamond"),
    ):
        sub = shown[progression == flag]
        fig.add_trace(
            scatter(
                x=sub["tumour_pct_change"],
                y=sub[column],
                mode="markers",
                name=f"{name} (n = {len(sub)})",
                marker=dict(
                    color=colour, symbol=symbol, size=9, opacity=0.85, line=dict(width=0.5, color=NEUTRAL["white"])
                ),
                # Days as whole numbers and the raw value to 4 significant digits (the hover shows 3):
                # at 10,000 patients full float text made up most of the page's 3 MB.
                customdata=np.column_stack(
                    [
                        escape_all(sub["patient_id"].astype(str)),
                        _compact(sub["imaging_day"], "{:.0f}"),
                        _compact(sub[day_column], "{:.0f}"),
                        _compact(sub[raw], "{:.4g}"),
                        escape_all(sub["recist_response"].astype(str)),
                    ]
                ),
                hovertemplate=(
                    "%{customdata[0]}, scan day %{customdata[1]:.0f} (%{customdata[4]})"
                    f"<br>{what} day %{{customdata[2]:.0f}}: %{{customdata[3]:.3g}} {unit}"
                    f"<br>{MEASURE_TITLES[measure]} %{{y:+.1f}}%<br>tumour size %{{x:+.1f}}%"
                    f"<br>Spearman p (exact) {p_exact(correlation.get('p_value', math.nan))}"
                    "<extra>click to open the patient</extra>"
                ),
            )
        )
    # RECIST 1.1: PR is -30% from *baseline*, so its line belongs on this axis; PD is +20% (and +5 mm)
    # from the *nadir*, which differs per patient, so a PD line at +20% from baseline would be wrong.
    fig.add_vline(x=RECIST_PR, line=dict(color=SERIES["cutoff"], dash="dot", width=1),
                  annotation_text="PR -30% from baseline", annotation_position="top")
    fig.add_hline(y=0, line=dict(color=NEUTRAL["axis"], width=1))
    fig.update_xaxes(title_text="Tumour size change from baseline (%, target-lesion sum)<br><sup>PD is judged "
                                "from the nadir (+20% and +5 mm), not from baseline:<br>no PD line here; "
                                "PD scans are the diamonds</sup>")
    fig.update_yaxes(title_text=axis_title)
    base_layout(fig, title=f"{MEASURE_TITLES[measure]} vs tumour size", height=470)
    # The two-line axis note needs room: the legend goes below it, never on top of it.
    fig.update_layout(legend=dict(orientation="h", y=-0.42, yanchor="top", x=0), margin_b=150)
    return with_subtitle(fig, correlation_subtitle(correlation))


def progression_roc(pairs: pd.DataFrame, auc: pd.DataFrame, delong: DeLongTestResult) -> go.Figure:
    """ROC curves of the % change of HER2 CN and of CEA for progression at the scan, side by side.

    Each curve uses the scans that have that score (as its AUC); the DeLong test (subtitle) uses
    the scans that have both.
    """
    labels = pairs["progression"].astype("boolean") if len(pairs) else pd.Series(dtype="boolean")
    fig = go.Figure()
    fig.add_trace(chance_diagonal())
    drawn = 0
    for measure, colour in (("her2_cn", SERIES["erbb2_cn"]), ("cea", SERIES["cea"])):
        column = MEASURES[measure][0]
        if pairs.empty:
            continue
        roc = roc_curve_table(pairs[column].astype(float), labels)
        row = auc[auc["measure"] == measure]
        if roc.empty or roc["tpr"].isna().all() or roc["fpr"].isna().all() or row.empty:
            continue
        rec = row.iloc[0]
        ci = (
            ""
            if pd.isna(rec["ci_low"])
            else f" (95% CI {_fmt(rec['ci_low'])}{EN_DASH}{_fmt(rec['ci_high'])})"
        )
        # A curve of many cutoffs is drawn through those where it turns (the same line; thousands fewer points
        # at 10,000 patients); a short one keeps every cutoff to hover. The AUC and DeLong test use every cutoff.
        if len(roc) > ROC_MARKERS_MAX:
            roc = roc_corners(roc)
        rule = [
            f"change {GE_TEXT} {t:+.1f}%" if np.isfinite(t) else "no scan flagged" for t in roc["threshold"]
        ]
        # A curve is one SVG path however many thresholds it has: no WebGL context (costly to create).
        fig.add_trace(
            go.Scatter(
                x=roc["fpr"],
                y=roc["tpr"],
                mode="lines",
                line=dict(
                    color=colour, width=2.5, shape="hv", dash="solid" if measure == "her2_cn" else "dash"
                ),
                name=f"{MEASURE_TITLES[measure]}: AUC {_fmt(rec['auc'])}{ci}, n = {int(rec['n_pos'])} PD + "
                f"{int(rec['n_neg'])}",
                customdata=np.array(rule, dtype=object).reshape(-1, 1),
                hovertemplate=(
                    f"{MEASURE_TITLES[measure]} %{{customdata[0]}}<br>progression scans flagged %{{y:.1%}}"
                    "<br>other scans flagged %{x:.1%}"
                    f"<br>DeLong p HER2 CN vs CEA (exact) {p_exact(delong.p_value)}<extra></extra>"
                ),
            )
        )
        drawn += 1
    if drawn == 0:
        return empty_figure(
            "No ROC: needs scans with and without progression that have a paired plasma draw or CEA value."
        )
    fig.update_xaxes(title_text="Scans without PD flagged (FPR)", range=[-0.02, 1.02], tickformat=".0%")
    fig.update_yaxes(title_text="Scans with PD flagged (TPR)", range=[-0.02, 1.02], tickformat=".0%")
    base_layout(fig, title="Progression at the scan: HER2 CN vs CEA", height=470)
    if math.isnan(delong.p_value):
        subtitle = "DeLong test of HER2 CN vs CEA not computed"
    else:
        subtitle = (
            f"DeLong test HER2 CN vs CEA: difference {_fmt(delong.difference)}, {p_phrase(delong.p_value)} "
            f"(n = {delong.n_pos} PD + {delong.n_neg} scans with both)"
        )
    return with_subtitle(fig, subtitle)


#: Up to this many progressors the lead-time plot has one row per patient; above, bars of LEAD_BIN_DAYS.
LEAD_DOTS_MAX = 60
LEAD_BIN_DAYS = 7.0
LEAD_AXIS_TITLE = "Days from HER2 CN rise to progression (+ = rise first)"


def lead_time_plot(lead_times: pd.DataFrame, summary: dict) -> go.Figure:
    """Days from the first HER2 CN rise to radiological progression: one row per progressor, or bars.

    Up to :data:`LEAD_DOTS_MAX` progressors each has a row (click opens the patient); more are drawn as
    counts per :data:`LEAD_BIN_DAYS` days (:func:`lead_time_bins`), the patients being in the table.

    Parameters
    ----------
    lead_times
        :attr:`analysis.response.ResponseResult.lead_times`.
    summary
        :func:`dashboard.views.response.lead_time_summary` (median line and subtitle).
    """
    shown = lead_times[lead_times["lead_time_days"].notna()] if len(lead_times) else lead_times
    if shown.empty:
        return empty_figure(summary.get("text") or "No progressor has a HER2 CN rise: no lead time.")
    if len(shown) > LEAD_DOTS_MAX:
        return _lead_time_histogram(lead_times, shown, summary)
    shown = shown.sort_values(["lead_time_days", "patient_id"], ascending=[True, False])
    lead = shown["lead_time_days"].astype(float)
    # The sign is the position left or right of the progression line; the marker says it again by shape
    # (filled: the rise came first; open: progression came first), in the one colour of plasma HER2 CN.
    symbol = np.where(lead > 0, "circle", np.where(lead < 0, "circle-open", "diamond"))
    # Ids are study text: the category axis shows them as tick labels, so they are escaped (plotly_text).
    shown_ids = escape_all(shown["patient_id"].astype(str))
    fig = go.Figure(
        go.Scatter(
            x=lead,
            y=shown_ids,
            mode="markers",
            name="lead time",
            marker=dict(
                color=SERIES["erbb2_cn"], size=11, symbol=symbol, line=dict(width=1.5, color=SERIES["erbb2_cn"])
            ),
            customdata=np.column_stack(
                [
                    shown_ids,
                    shown["rise_day"].astype(float),
                    shown["progression_day"].astype(float),
                    shown["rise_erbb2_cn"].astype(float),
                    shown["rise_threshold"].astype(float),
                ]
            ),
            hovertemplate=(
                "%{customdata[0]}: lead time %{x:.0f} days<br>HER2 CN rise on day %{customdata[1]:.0f} "
                "(%{customdata[3]:.2f} copies, threshold %{customdata[4]:.2f})<br>progression on day "
                "%{customdata[2]:.0f}<extra>click to open the patient</extra>"
            ),
            showlegend=False,
        )
    )
    _mark_progression_and_median(fig, summary)
    fig.update_xaxes(title_text=LEAD_AXIS_TITLE)
    fig.update_yaxes(title_text="Patient", type="category")
    base_layout(
        fig,
        title="HER2 CN rise before radiological progression",
        height=max(300, 120 + 22 * len(shown)),
        legend_below=False,
    )
    subtitle = _lead_subtitle(lead_times, shown) + "; filled: rise before progression, open: after"
    return with_subtitle(fig, subtitle)


def _mark_progression_and_median(fig: go.Figure, summary: dict) -> None:
    fig.add_vline(
        x=0, line=dict(color=PROGRESSION, width=1.5), annotation_text="progression", annotation_position="top"
    )
    if not math.isnan(summary.get("median", math.nan)):
        fig.add_vline(
            x=summary["median"],
            line=dict(color=SERIES["erbb2_cn"], dash="dash", width=1.5),
            annotation_text=f"median {summary['median']:g} d",
            annotation_position="bottom right",
        )


def _lead_subtitle(lead_times: pd.DataFrame, shown: pd.DataFrame) -> str:
    n_none = int(lead_times["lead_time_days"].isna().sum())
    return f"n = {len(shown):,} progressors with a rise" + (f"; {n_none:,} without (see table)" if n_none else "")


def lead_time_bins(lead_days: pd.Series, width: float = LEAD_BIN_DAYS) -> pd.DataFrame:
    """Counts of lead times in bins of *width* days, edges on multiples of *width* (``start, stop, n``).

    A bin holds the lead times ``start <= days < stop``; every lead time is in exactly one bin, so the
    counts add up to the number of patients with a lead time.  Bins between the first and last are all
    listed, empty ones with n = 0 (a gap in the distribution stays visible).
    """
    days = pd.to_numeric(lead_days, errors="coerce").dropna().to_numpy(float)
    if not len(days):
        return pd.DataFrame({"start": [], "stop": [], "n": []})
    first, last = np.floor(days.min() / width), np.floor(days.max() / width)
    edges = np.arange(first, last + 2) * width
    index = np.floor(days / width).astype(int) - int(first)
    counts = np.bincount(index, minlength=len(edges) - 1)
    return pd.DataFrame({"start": edges[:-1], "stop": edges[1:], "n": counts})


def _lead_time_histogram(lead_times: pd.DataFrame, shown: pd.DataFrame, summary: dict) -> go.Figure:
    """Lead times of many progressors as a distribution (a row per patient would be thousands of rows tall)."""
    bins = lead_time_bins(shown["lead_time_days"])
    fig = go.Figure(
        go.Bar(
            x=(bins["start"] + bins["stop"]) / 2,
            y=bins["n"],
            width=LEAD_BIN_DAYS,
            name="progressors",
            marker=dict(color=SERIES["erbb2_cn"], line=dict(color=NEUTRAL["white"], width=0.5)),
            customdata=[[float(a), float(b), "progressor" if n == 1 else "progressors"]
                        for a, b, n in zip(bins["start"], bins["stop"], bins["n"], strict=True)],
            hovertemplate=(
                "lead time %{customdata[0]:.0f} to under %{customdata[1]:.0f} days: %{y} %{customdata[2]}"
                "<extra></extra>"
            ),
            showlegend=False,
        )
    )
    _mark_progression_and_median(fig, summary)
    fig.update_xaxes(title_text=LEAD_AXIS_TITLE)
    fig.update_yaxes(title_text=f"Progressors (per {LEAD_BIN_DAYS:g} days)", rangemode="tozero")
    base_layout(fig, title="HER2 CN rise before radiological progression", height=400, legend_below=False)
    subtitle = _lead_subtitle(lead_times, shown) + f"; bars of {LEAD_BIN_DAYS:g} days"
    return with_subtitle(fig, subtitle)


def her2_slope(per_patient: pd.DataFrame, by_class: pd.DataFrame) -> go.Figure:
    """Plasma HER2 CN at baseline and at progression, one line per progressor, one panel per resistance class.

    Parameters
    ----------
    per_patient
        :attr:`analysis.response.ResponseResult.her2_at_progression` (copies).
    by_class
        :attr:`analysis.response.ResponseResult.her2_by_class` (counts higher/lower, Wilcoxon p).
    """
    if per_patient.empty:
        return empty_figure("No progressor has both a baseline and a progression plasma draw with ERBB2 CN.")
    titles = []
    for cls, name in ((INNATE, "Innate resistance"), (ACQUIRED, "Acquired resistance")):
        row = by_class[by_class["resistance_class"] == cls] if len(by_class) else by_class
        if row.empty or int(row.iloc[0]["n"]) == 0:
            titles.append(f"{name}: no patient")
            continue
        rec = row.iloc[0]
        titles.append(
            f"{name} (n = {int(rec['n'])}): {int(rec['n_higher'])} higher, {int(rec['n_lower'])} lower;"
            f"<br>{p_phrase(rec['p_value'], 'Wilcoxon p')}"
        )
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, shared_yaxes=True, horizontal_spacing=0.08)
    legend_seen: set[str] = set()
    colours = DIRECTION
    # Three points per patient (baseline, progression, gap). Past a few thousand points the markers go
    # (lines of one trace are one SVG path, markers one node each) and the lines thin out; hover stays.
    many = 3 * len(per_patient) > WEBGL_ABOVE
    for col, cls in enumerate((INNATE, ACQUIRED), start=1):
        sub = per_patient[per_patient["resistance_class"] == cls]
        # One trace per direction, patients separated by gaps: thousands of patients stay one small trace.
        for direction, group in sub.groupby(sub["direction"].astype(str), sort=True):
            x: list = []
            y: list = []
            custom: list = []
            for rec in group.itertuples(index=False):
                # hover shows 2 decimals: 3 are sent (full floats were most of the bytes at 10,000 patients)
                point = [escape(rec.patient_id), _round(rec.baseline_erbb2_cn), _round(rec.progression_erbb2_cn),
                         _round(rec.change)]
                x += [*TWO_DRAWS_X, None]
                y += [rec.baseline_erbb2_cn, rec.progression_erbb2_cn, None]
                custom += [point, point, [None, None, None, None]]
            colour = colours.get(direction, NEUTRAL["subtle"])
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines" if many else "lines+markers",
                    connectgaps=False,
                    line=dict(color=colour, width=0.8 if many else 1.8),
                    opacity=0.45 if many else 1.0,
                    marker=dict(size=8, color=colour),
                    name=f"{direction} at progression",
                    legendgroup=direction,
                    showlegend=direction not in legend_seen,
                    customdata=custom,
                    hovertemplate=(
                        "%{customdata[0]}<br>baseline %{customdata[1]:.2f} copies<br>progression "
                        "%{customdata[2]:.2f} copies (change %{customdata[3]:+.2f})"
                        "<extra>click to open the patient</extra>"
                    ),
                ),
                row=1,
                col=col,
            )
            legend_seen.add(direction)
    fig.update_yaxes(title_text="Plasma ERBB2 copy number (copies)", row=1, col=1)
    fig.update_xaxes(title_text="Plasma draw", **two_draws_axis("baseline", "progression"))
    base_layout(fig, height=430)
    fig.update_layout(margin_t=70)
    fig.update_annotations(font_size=13)
    return fig
