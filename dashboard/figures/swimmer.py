"""Swimmer plot: one horizontal bar per patient from day 0 to progression or last follow-up.

Bars are coloured by resistance class; on each bar sit the plasma draws (white circles), the
imaging assessments (a symbol per RECIST call, above the bar) and the progression (a cross);
thin bars underneath show the treatments.  Every mark carries the patient id in ``customdata``
so that a click opens that patient, and each y label is a link to the patient's page (an id that
plotly.js cannot carry in a link, one holding ``/``, ``#`` or ``?``, is a plain label: its bar opens it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.params import DAYS_PER_MONTH
from analysis.trajectory import ACQUIRED, INNATE, NO_PROGRESSION, UNKNOWN_CLASS
from dashboard.figures.palette import NEUTRAL, PROGRESSION, RESISTANCE_CLASS, SERIES, outline_for
from dashboard.figures.plotly_text import escape, escape_all, link
from dashboard.figures.style import base_layout, empty_figure
from dashboard.views.cohort import TREATMENT_LANES, SwimmerView

CLASS_STYLE = {
    INNATE: ("Innate resistance", RESISTANCE_CLASS["innate"]),
    ACQUIRED: ("Acquired resistance", RESISTANCE_CLASS["acquired"]),
    NO_PROGRESSION: ("No progression", RESISTANCE_CLASS["none"]),
    UNKNOWN_CLASS: ("Not followed / status unknown", RESISTANCE_CLASS["unknown"]),
}
#: RECIST call -> (marker symbol, legend label).  Shapes differ, so colour is not needed to tell them apart.
RECIST_SYMBOLS = {
    "CR": ("star", "Imaging: complete response (CR)"),
    "PR": ("triangle-down", "Imaging: partial response (PR)"),
    "SD": ("square", "Imaging: stable disease (SD)"),
    "PD": ("triangle-up", "Imaging: progressive disease (PD)"),
    "NE": ("circle-open", "Imaging: not evaluable (NE)"),
    "": ("diamond-open", "Imaging: baseline / no call"),
}
TREATMENT_COLOUR = SERIES["treatment"]

# Vertical layout of one patient's row (row i is centred on y = i; the axis runs top to bottom).
BAR_TOP, BAR_WIDTH = -0.36, 0.46
BAR_MIDDLE = BAR_TOP + BAR_WIDTH / 2
IMAGING_Y = BAR_TOP - 0.02
LANE_TOP, LANE_WIDTH, LANE_GAP = 0.16, 0.07, 0.1
ROW_PIXELS = 26
#: Plots with more patients than this repeat the time axis on top.
TOP_AXIS_ROWS = 30


def _scale(unit: str) -> tuple[float, str]:
    if unit == "days":
        return 1.0, "Days from the first trastuzumab dose"
    return 1.0 / DAYS_PER_MONTH, f"Months from the first trastuzumab dose (1 month = {DAYS_PER_MONTH} days)"


def _fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.{digits}f}"


def swimmer_figure(view: SwimmerView, unit: str = "months",
                   patient_href: Callable[[str], str] | None = None) -> go.Figure:
    """The swimmer plot of *view*.

    Parameters
    ----------
    view
        :class:`dashboard.views.cohort.SwimmerView`.
    unit
        ``"months"`` or ``"days"`` on the x axis (hover text always gives the day too).
    patient_href
        ``patient_id -> URL``; when given, every y label links to that patient's page
        (:func:`dashboard.figures.plotly_text.link`).

    Returns
    -------
    ``go.Figure``; an explanatory empty figure when no patient is drawn.
    """
    rows = view.rows
    if not len(rows):
        return empty_figure("No patient with follow-up matches the filters.")
    scale, axis_title = _scale(unit)
    unit_word = "days" if unit == "days" else "months"
    position = pd.Series(np.arange(len(rows), dtype=float), index=rows["patient_id"].astype(str))
    fig = go.Figure()

    for resistance_class, (label, colour) in CLASS_STYLE.items():
        part = rows[rows["resistance_class"] == resistance_class]
        if not len(part):
            continue
        hover = [
            f"<b>{escape(pid)}</b> · HER2 {escape(str(her2))} · {label}<br>"
            f"{'Progression' if reason == 'progression' else 'Last follow-up'}: day {_fmt(end, 0)} "
            f"({_fmt(end / DAYS_PER_MONTH, 2)} months)<br>"
            f"PFS {_fmt(pfs, 2)} months<br>Mechanisms: {escape(mech) if mech else 'none called'}"
            for pid, her2, end, reason, pfs, mech in zip(
                part["patient_id"], part["her2_status"], part["end_day"], part["end_reason"],
                part["pfs_months"], part["mechanisms"], strict=True)
        ]
        fig.add_trace(go.Bar(
            name=label, orientation="h", y=position[part["patient_id"]].to_numpy(),
            x=(part["end_day"] * scale).to_numpy(), base=0, width=BAR_WIDTH, offset=BAR_TOP,
            marker=dict(color=colour, line=outline_for(colour)), customdata=escape_all(part["patient_id"]),
            hovertext=hover, hoverinfo="text", legendgroup="class",
        ))

    segments = view.treatments
    if len(segments):
        y = position[segments["patient_id"]].to_numpy() + LANE_TOP + segments["lane"].clip(
            upper=TREATMENT_LANES - 1).to_numpy() * LANE_GAP
        fig.add_trace(go.Bar(
            name="Treatment (hover for agents)", orientation="h", y=y,
            x=((segments["stop_day"] - segments["start_day"]) * scale).to_numpy(),
            base=(segments["start_day"] * scale).to_numpy(), width=LANE_WIDTH, offset=0,
            marker=dict(color=TREATMENT_COLOUR, line=dict(width=0)),
            customdata=escape_all(segments["patient_id"]),
            hovertext=[f"<b>{escape(pid)}</b> · {escape(agents)}<br>day {_fmt(a, 0)} to day {_fmt(b, 0)}"
                       for pid, agents, a, b in zip(segments["patient_id"], segments["agents"],
                                                    segments["start_day"], segments["stop_day"],
                                                    strict=True)],
            hoverinfo="text",
        ))

    draws = view.draws
    if len(draws):
        fig.add_trace(go.Scatter(
            name="Plasma draw", mode="markers", x=(draws["day"] * scale).to_numpy(),
            y=position[draws["patient_id"]].to_numpy() + BAR_MIDDLE,
            marker=dict(symbol="circle", size=8, color=NEUTRAL["white"], line=dict(color=NEUTRAL["ink"], width=1.5)),
            customdata=escape_all(draws["patient_id"]),
            hovertext=[f"<b>{escape(pid)}</b> · plasma draw {escape(sid)}<br>day {_fmt(day, 0)} "
                       f"({_fmt(day * scale, 2 if unit != 'days' else 0)} {unit_word})<br>"
                       f"ERBB2 CN {_fmt(cn, 2)} copies"
                       for pid, sid, day, cn in zip(draws["patient_id"], draws["sample_id"], draws["day"],
                                                    draws["erbb2_cn"], strict=True)],
            hoverinfo="text",
        ))

    imaging = view.imaging
    if len(imaging):
        calls = imaging["recist_response"].fillna("").astype(str).str.upper()
        calls = calls.where(calls.isin(list(RECIST_SYMBOLS)), "NE")
        for call, (symbol, label) in RECIST_SYMBOLS.items():
            part = imaging[calls == call]
            if not len(part):
                continue
            fig.add_trace(go.Scatter(
                name=label, mode="markers", x=(part["day"] * scale).to_numpy(),
                y=position[part["patient_id"]].to_numpy() + IMAGING_Y,
                marker=dict(symbol=symbol, size=9, color=NEUTRAL["ink"], line=dict(color=NEUTRAL["white"], width=0.8)),
                customdata=escape_all(part["patient_id"]),
                hovertext=[f"<b>{escape(pid)}</b> · imaging day {_fmt(day, 0)}<br>"
                           f"RECIST {call or 'baseline / no call'}"
                           f"{' (' + escape(str(source)) + ')' if call and not pd.isna(source) else ''}<br>"
                           f"target lesions {_fmt(size)} mm"
                           f"{'' if pd.isna(change) else f' ({change:+.1f}% from baseline)'}"
                           for pid, day, source, size, change in zip(
                               part["patient_id"], part["day"], part["response_source"],
                               part["target_lesion_sum_mm"], part["pct_change_from_baseline"], strict=True)],
                hoverinfo="text",
            ))

    ends = rows[rows["end_reason"] == "progression"]
    if len(ends):
        fig.add_trace(go.Scatter(
            name="Progression", mode="markers", x=(ends["end_day"] * scale).to_numpy(),
            y=position[ends["patient_id"]].to_numpy() + BAR_MIDDLE,
            marker=dict(symbol="x-thin", size=13, color=PROGRESSION, line=dict(color=PROGRESSION, width=3)),
            customdata=escape_all(ends["patient_id"]),
            hovertext=[f"<b>{escape(pid)}</b> · progression day {_fmt(day, 0)} "
                       f"({_fmt(day / DAYS_PER_MONTH, 2)} months)"
                       for pid, day in zip(ends["patient_id"], ends["end_day"], strict=True)],
            hoverinfo="text",
        ))
    censored = rows[rows["end_reason"] != "progression"]
    if len(censored):
        fig.add_trace(go.Scatter(
            name="No progression at last follow-up", mode="markers",
            x=(censored["end_day"] * scale).to_numpy(),
            y=position[censored["patient_id"]].to_numpy() + BAR_MIDDLE,
            marker=dict(symbol="triangle-right", size=10, color=NEUTRAL["ink"]),
            customdata=escape_all(censored["patient_id"]),
            hovertext=[f"<b>{escape(pid)}</b> · no progression; last follow-up day {_fmt(day, 0)}"
                       for pid, day in zip(censored["patient_id"], censored["end_day"], strict=True)],
            hoverinfo="text",
        ))

    row_ids = rows["patient_id"].astype(str).tolist()
    labels = [link(patient_href(pid), pid) for pid in row_ids] if patient_href is not None else escape_all(row_ids)
    legend_px = min(140, 40 + 6 * len(fig.data))
    top_axis_px = 34 if len(rows) > TOP_AXIS_ROWS else 0
    plot_px = 94 + ROW_PIXELS * len(rows)
    base_layout(fig, height=plot_px + legend_px + top_axis_px + 56, legend_below=False)
    fig.update_layout(
        barmode="overlay", bargap=0, clickmode="event", hovermode="closest",
        legend=dict(orientation="h", yanchor="bottom", y=1.0 + top_axis_px / plot_px, xanchor="left", x=0,
                    font=dict(size=12)),
        margin=dict(l=88, r=24, t=legend_px + top_axis_px, b=56),
    )
    fig.update_yaxes(tickmode="array", tickvals=list(range(len(rows))), ticktext=labels,
                     range=[len(rows) - 0.5, -0.6], title_text="Patient (click a bar or an id to open it)",
                     showgrid=False, ticks="")
    fig.update_xaxes(title_text=axis_title, zeroline=True, zerolinecolor=NEUTRAL["axis"], zerolinewidth=1)
    if len(rows) > TOP_AXIS_ROWS:
        # A tall plot also gets the time scale on top; the axis needs a (silent) trace of its own.
        fig.add_trace(go.Scatter(x=[0], y=[0], xaxis="x2", mode="markers", marker=dict(opacity=0),
                                 hoverinfo="skip", showlegend=False, name="time axis"))
        fig.update_layout(xaxis2=dict(matches="x", overlaying="x", side="top", showline=True,
                                      linecolor=NEUTRAL["axis"], ticks="outside", showgrid=False, zeroline=False))
    return fig
