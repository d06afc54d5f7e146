"""Kaplan-Meier figure with 95% CI bands, censor ticks and a KMunicate risk table under the plot.

The risk table is part of the figure (a second panel sharing the time axis), so that its columns sit
exactly under the x ticks, and it is downloaded with the plot.  Input: the tables of
:class:`analysis.survival.SurvivalResult` (``curves``, ``risk_table``, ``summary``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.wording import hazard_text, median_text, p_text  # noqa: F401  (shared with the findings)
from dashboard.figures.palette import rgba, survival_group_colour
from dashboard.figures.plotly_text import escape, template_text
from dashboard.figures.style import base_layout, empty_figure

#: KMunicate rows under the plot, per group (Morris et al., BMJ Open 2019;9:e030215).
RISK_ROWS = (("at_risk", "at risk"), ("censored", "censored"), ("events", "events"))
RISK_ROW_PX = 17
#: Blank space between the groups' blocks of the risk table (in rows).
RISK_GROUP_GAP = 0.5


#: Confidence bands: a light fill, so that overlapping bands stay readable, and dotted edges in the group's
#: colour, so that each band's outline can be followed where bands overlap.
BAND_FILL_OPACITY = 0.08
BAND_EDGE = dict(width=1, dash="dot")


def group_colour(group: str, index: int) -> str:
    """The resistance classes keep their colours (as on every page), other groups take the survival groups'
    colours in order (:func:`dashboard.figures.palette.survival_group_colour`)."""
    return survival_group_colour(group, index)


def legend_name(group: str, n: int) -> str:
    return f"{group} (n={n})"


def km_figure(curves: pd.DataFrame, risk_table: pd.DataFrame, summary: pd.DataFrame, *,
              y_label: str = "Progression-free probability", x_label: str = "Months since first trastuzumab dose",
              title: str | None = None, legend_title: str | None = None, confidence: float = 0.95,
              empty_text: str = "No patient with a PFS time and status in this grouping.") -> go.Figure:
    """Kaplan-Meier curves (step functions) with CI bands, censor ticks and a risk table.

    Parameters
    ----------
    curves
        ``group, time, survival, ci_low, ci_high, at_risk, events, censored`` (time in months; one
        row per distinct time, starting at 0 with survival 1).
    risk_table
        ``group, time, at_risk, events, censored`` at the tick times (KMunicate: at risk after the
        time; cumulative events and censored up to it).
    summary
        ``group, n, status`` in display order (groups without a curve, e.g. empty, are listed in
        the risk table only).
    legend_title
        Shown before the legend entries (e.g. the grouping's title).
    confidence
        Level of the bands (for the hover text).
    empty_text
        What the figure says when there is no curve (names the endpoint).
    """
    groups = [str(g) for g in summary["group"]]
    if not groups or curves.empty:
        return empty_figure(empty_text)
    n_by_group = dict(zip(summary["group"].astype(str), summary["n"].astype(int), strict=True))
    n_risk_rows = len(groups) * len(RISK_ROWS)
    km_px, table_px = 420, int(RISK_ROW_PX * (n_risk_rows + RISK_GROUP_GAP * len(groups))) + 30
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[km_px, table_px], vertical_spacing=0.03)
    times = sorted(float(t) for t in risk_table["time"].unique()) if len(risk_table) else []
    band_label = f"{round(100 * confidence)}% CI"

    for i, group in enumerate(groups):
        sub = curves[curves["group"].astype(str) == group].sort_values("time", kind="stable")
        if sub.empty:
            continue
        colour = group_colour(group, i)
        shown = escape(group)  # group names are study values (genes, clinical attributes): escaped for plotly
        t = sub["time"].to_numpy(float)
        # Bands: lower edge, then the upper edge filled down to it (both steps, like the curve).
        edge = dict(color=colour, shape="hv", **BAND_EDGE)
        fig.add_trace(go.Scatter(x=t, y=sub["ci_low"].to_numpy(float), mode="lines", line=edge,
                                 hoverinfo="skip", showlegend=False, legendgroup=shown, name=f"{shown} {band_label}",
                                 meta={"role": "band", "group": group, "edge": "low"}),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=t, y=sub["ci_high"].to_numpy(float), mode="lines", line=edge, fill="tonexty",
                                 fillcolor=rgba(colour, BAND_FILL_OPACITY), hoverinfo="skip", showlegend=False,
                                 legendgroup=shown, name=f"{shown} {band_label}",
                                 meta={"role": "band", "group": group, "edge": "high"}),
                      row=1, col=1)
        hover = [f"<b>{shown}</b><br>{tt:.3g} months: {s:.3f} ({band_label} {lo:.3f}-{hi:.3f})<br>"
                 f"at risk {r}, events {e}, censored {c}"
                 for tt, s, lo, hi, r, e, c in zip(t, sub["survival"], sub["ci_low"], sub["ci_high"],
                                                   sub["at_risk"], sub["events"], sub["censored"], strict=True)]
        fig.add_trace(go.Scatter(x=t, y=sub["survival"].to_numpy(float), mode="lines",
                                 line=dict(color=colour, width=2.4, shape="hv"), name=legend_name(shown,
                                                                                                  n_by_group[group]),
                                 legendgroup=shown, text=hover, hovertemplate="%{text}<extra></extra>",
                                 meta={"role": "km", "group": group}),
                      row=1, col=1)
        censored = sub[sub["censored"] > 0]
        fig.add_trace(go.Scatter(
            x=censored["time"].to_numpy(float), y=censored["survival"].to_numpy(float), mode="markers",
            marker=dict(symbol="line-ns-open", size=11, color=colour, line=dict(width=2, color=colour)),
            showlegend=False, legendgroup=shown, name=f"{shown} censored",
            text=[f"{shown}: {c} censored at {tt:.3g} months" for c, tt in zip(censored["censored"],
                                                                               censored["time"], strict=True)],
            hovertemplate="%{text}<extra></extra>", meta={"role": "censor", "group": group}), row=1, col=1)

    # --- KMunicate risk table ----------------------------------------------------------------------------
    tickvals, ticktext = [], []
    for i, group in enumerate(groups):
        colour = group_colour(group, i)
        shown = escape(group)
        sub = risk_table[risk_table["group"].astype(str) == group].sort_values("time")
        for j, (column, label) in enumerate(RISK_ROWS):
            y = -(i * (len(RISK_ROWS) + RISK_GROUP_GAP) + j)
            tickvals.append(y)
            ticktext.append(f"{shown}: {label}" if j == 0 else label)
            fig.add_trace(go.Scatter(
                x=sub["time"].to_numpy(float), y=np.full(len(sub), y), mode="text",
                text=[str(int(v)) for v in sub[column]], textfont=dict(color=colour, size=12),
                hovertemplate=f"{template_text(group)}, {label} at " + "%{x:g} months: %{text}<extra></extra>",
                showlegend=False,
                name=f"{shown} {label}", meta={"role": "risk", "group": group, "row": column}), row=2, col=1)

    base_layout(fig, title=escape(title) if title else None, height=km_px + table_px + 150)
    fig.update_layout(hovermode="closest", margin=dict(l=170, r=24, t=48 if title else 16, b=60),
                      legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0,
                                  title_text=f"{escape(legend_title)}:" if legend_title else None))
    max_time = max([float(curves["time"].max()), *times]) if len(curves) else 1.0
    x_range = [-0.02 * max_time, max_time * 1.03]
    fig.update_yaxes(title_text=y_label, range=[-0.02, 1.03], tickformat=".1f", row=1, col=1)
    fig.update_xaxes(tickvals=times or None, range=x_range, row=1, col=1, showticklabels=True)
    fig.update_xaxes(tickvals=times or None, range=x_range, title_text=x_label, row=2, col=1, showgrid=False,
                     showline=False, ticks="")
    fig.update_yaxes(tickvals=tickvals, ticktext=ticktext, range=[min(tickvals, default=0) - 0.7, 0.7],
                     showgrid=False, zeroline=False, showline=False, ticks="", row=2, col=1, tickfont=dict(size=11))
    return fig


def km_traces(fig: go.Figure, role: str) -> list:
    """The traces of one role (``km``, ``censor``, ``risk``, ``band``) in a figure from :func:`km_figure`."""
    out = []
    for trace in fig.data:
        meta = trace.meta if isinstance(trace.meta, dict) else {}
        if meta.get("role") == role:
            out.append(trace)
    return out


# ------------------------------------------------------------------------------------------- formatting
