"""Plasma HER2 copy number at progression vs baseline, one panel per resistance class (paired slopes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.figures.concordance import WEBGL_ABOVE
from dashboard.figures.palette import NEUTRAL, RESISTANCE_CLASS, SERIES
from dashboard.figures.plotly_text import escape
from dashboard.figures.style import TWO_DRAWS_X, base_layout, empty_figure, two_draws_axis

#: Panels, left to right.
CLASSES = ("innate", "acquired")


def her2_slope_figure(frame: pd.DataFrame, cutoff: float, classes: tuple[str, ...] = CLASSES) -> go.Figure:
    """One line per patient from the baseline to the progression draw's ERBB2 CN, per resistance class.

    Parameters
    ----------
    frame
        ``patient_id, resistance_class, baseline_erbb2_cn, progression_erbb2_cn`` (copies), optionally
        ``baseline_day, progression_draw_day`` (days from day 0) for the hover text.
    cutoff
        Plasma amplification cutoff (copies), drawn as a dashed line.
    classes
        Resistance classes to show, one panel each.

    Each panel's title counts the patients whose CN at progression is above baseline (k/n).
    """
    if frame.empty:
        return empty_figure("No progressor has plasma ERBB2 copy number at both baseline and progression.")
    titles = []
    for cls in classes:
        sub = frame[frame["resistance_class"] == cls]
        up = int((sub["progression_erbb2_cn"] > sub["baseline_erbb2_cn"]).sum())
        titles.append(f"{cls.capitalize()} resistance: {up}/{len(sub)} above baseline at progression"
                      if len(sub) else f"{cls.capitalize()} resistance: no patient")
    fig = make_subplots(rows=1, cols=len(classes), shared_yaxes=True, subplot_titles=titles, horizontal_spacing=0.06)
    # Three points per patient (baseline, progression, gap). Past a few thousand points the markers go
    # (the lines of one trace are one SVG path; markers one node each, and WebGL a costly context) and the
    # lines thin out. The hover is a template over short per-point data (full text per point was 0.8 MB at
    # 10,000 patients).
    many = 3 * len(frame) > WEBGL_ABOVE
    for col, cls in enumerate(classes, start=1):
        sub = frame[frame["resistance_class"] == cls]
        colour = RESISTANCE_CLASS.get(cls, RESISTANCE_CLASS["unknown"])
        xs: list = []
        ys: list = []
        custom: list = []
        for rec in sub.itertuples(index=False):
            change = rec.progression_erbb2_cn - rec.baseline_erbb2_cn
            days = ""
            if hasattr(rec, "baseline_day") and hasattr(rec, "progression_draw_day"):
                days = f" (days {_day(rec.baseline_day)} and {_day(rec.progression_draw_day)})"
            point = [escape(rec.patient_id), f"{rec.baseline_erbb2_cn:.3g}", f"{rec.progression_erbb2_cn:.3g}",
                     f"{change:+.3g}", days]
            xs += [*TWO_DRAWS_X, None]
            ys += [round(float(rec.baseline_erbb2_cn), 4), round(float(rec.progression_erbb2_cn), 4), None]
            custom += [point, point, [None] * 5]
        fig.add_trace(go.Scatter(
            x=xs, y=ys, customdata=custom, mode="lines" if many else "lines+markers",
            line=dict(color=colour, width=0.8 if many else 1.6), opacity=0.45 if many else 1.0,
            marker=dict(size=7, color=colour),
            hovertemplate=(f"<b>%{{customdata[0]}}</b> · {cls}<br>baseline CN %{{customdata[1]}} copies<br>"
                           "progression CN %{customdata[2]} copies%{customdata[4]}<br>"
                           "change %{customdata[3]} copies<extra></extra>"),
            connectgaps=False, name=f"{cls} (n={len(sub)})", legendgroup=cls), row=1, col=col)
        if len(sub):
            medians = [float(np.median(sub["baseline_erbb2_cn"])), float(np.median(sub["progression_erbb2_cn"]))]
            fig.add_trace(go.Scatter(
                x=list(TWO_DRAWS_X), y=medians, mode="lines+markers",
                line=dict(color=NEUTRAL["ink"], width=3, dash="dot"), marker=dict(symbol="diamond", size=10,
                                                                                color=NEUTRAL["ink"]),
                name="median" if col == 1 else f"median ({cls})", showlegend=col == 1, legendgroup="median",
                hovertemplate=f"{cls} median: " + "%{y:.3g} copies<extra></extra>"), row=1, col=col)
        label = dict(annotation_text=f"amplification cutoff {cutoff:g} copies", annotation_position="top left",
                     annotation_font_size=11) if col == 1 else {}
        fig.add_hline(y=cutoff, line=dict(color=SERIES["cutoff"], dash="dash", width=1), row=1, col=col, **label)
    base_layout(fig, height=440)
    fig.update_layout(margin=dict(t=40))  # room for the panel titles
    fig.update_yaxes(title_text="Plasma ERBB2 copy number (copies)", row=1, col=1)
    fig.update_xaxes(title_text="Plasma draw", **two_draws_axis("Baseline", "Progression"))
    return fig


def _day(value) -> str:
    return "not recorded" if pd.isna(value) else f"{value:g}"
