"""The patient timeline as the report prints it: fixed size, legible in black and white."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.figures.palette import NEUTRAL, PRINT

#: Printable width of an A4 or Letter page with the report's margins, in CSS pixels (96 per inch):
#: A4 is the narrower (210 mm - 2 x 12 mm = 186 mm = 703 px).
PRINT_WIDTH_PX = 700
#: Height that leaves room for the section title on the shorter page (Letter, 279 mm - 2 x 14 mm).
PRINT_HEIGHT_PX = 900

#: Marker symbols and dash patterns that tell the VAF tracks apart without colour.
_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "triangle-down", "star", "cross")
_DASHES = ("solid", "dash", "dashdot", "longdash", "longdashdot", "dot", "solid", "dash")


def print_figure(figure: go.Figure) -> go.Figure:
    """A copy of *figure* for print: fixed size, black text and axes, and the VAF tracks told apart by
    marker symbol and dash pattern as well as colour (the page's colours are kept for screens).

    Traces other than the VAF tracks already differ in line style (ERBB2 solid, CEA dotted, adjusted
    CN with square markers); their colours are kept.
    """
    fig = go.Figure(figure)
    vaf_traces = [t for t in fig.data if t.type == "scatter" and _is_vaf_track(t)]
    for i, trace in enumerate(vaf_traces):
        dash = "dot" if trace.line.dash == "dot" else _DASHES[i % len(_DASHES)]
        trace.update(marker=dict(symbol=_SYMBOLS[i % len(_SYMBOLS)], size=8,
                                 line=dict(width=1, color=NEUTRAL["ink"])), line=dict(dash=dash))
    fig.update_layout(width=PRINT_WIDTH_PX, height=PRINT_HEIGHT_PX, autosize=False, paper_bgcolor=PRINT["paper"],
                      plot_bgcolor=PRINT["paper"], font=dict(color=PRINT["ink"], size=11),
                      margin=dict(l=60, r=50, t=50, b=40), legend=dict(font=dict(size=10), y=-0.085))
    fig.update_xaxes(linecolor=PRINT["ink"], gridcolor=PRINT["grid"], tickfont=dict(color=PRINT["ink"]))
    fig.update_yaxes(linecolor=PRINT["ink"], gridcolor=PRINT["grid"], tickfont=dict(color=PRINT["ink"]))
    # Log-scale VAF axis: at print size every minor digit would be labelled, on top of each other.
    # A VAF axis keeps its own ticks (1%, 10%, 50%), which are few enough for print.
    for name in [key for key in fig.layout if key.startswith("yaxis")]:
        if fig.layout[name].type == "log" and fig.layout[name].tickvals is None:
            fig.layout[name].update(dtick="D2")
    # At print size the day ticks of the upper panels run into the next panel's title: days are read
    # on the bottom axis (the one with the title) and on the vertical grid lines shared by every panel.
    for name in [key for key in fig.layout if key.startswith("xaxis")]:
        axis = fig.layout[name]
        if not (axis.title and axis.title.text):
            axis.update(showticklabels=False)
    return fig


def _is_vaf_track(trace) -> bool:
    """VAF tracks are the traces of the log-scale VAF panel: their hover text gives the VAF."""
    return trace.hovertext is not None and len(trace.hovertext) > 0 and "VAF" in str(trace.hovertext[0])
