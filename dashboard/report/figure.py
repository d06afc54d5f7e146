"""The patient timeline as the report prints it: fixed size, legible in black and white."""

from __future__ import annotations

from dashboard.figures.palette import NEUTRAL, PRINT

#: Printable width of an A4 or Letter page with the report's margins, in CSS pixels (96 per inch):
#: A4 is the narrower (210 mm - 2 x 12 mm = 186 mm = 703 px).
PRINT_WIDTH_PX = 700
#: Height that leaves room for the section title on the shorter page (Letter, 279 mm - 2 x 14 mm).
PRINT_HEIGHT_PX = 900

#: Marker symbols and dash patterns that tell the VAF tracks apart without colour.
_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "triangle-down", "star", "cross")
_DASHES = ("solid", "dash", "dashdot", "longdash", "longdashdot", "dot", "solid", "dash")


def print_figure(figure: dict) -> dict:
    """A copy of *figure* (a plotly figure dict, :func:`dashboard.figures.patient.patient_timeline`) for print:
    fixed size, black text and axes, and the VAF tracks told apart by marker symbol and dash pattern as
    well as colour (the page's colours are kept for screens).

    Traces other than the VAF tracks already differ in line style (ERBB2 solid, CEA dotted, adjusted
    CN with square markers); their colours are kept.  *figure* is left as it is; the copy shares only
    the (read-only) template with it.
    """
    layout = {key: value if key == "template" else _copy(value) for key, value in figure.get("layout", {}).items()}
    fig = {"data": _copy(list(figure.get("data", []))), "layout": layout}
    vaf_traces = [t for t in fig["data"] if t.get("type", "scatter") == "scatter" and _is_vaf_track(t)]
    for i, trace in enumerate(vaf_traces):
        line = trace.setdefault("line", {})
        line["dash"] = "dot" if line.get("dash") == "dot" else _DASHES[i % len(_DASHES)]
        marker = trace.setdefault("marker", {})
        marker.update(symbol=_SYMBOLS[i % len(_SYMBOLS)], size=8)
        marker.setdefault("line", {}).update(width=1, color=NEUTRAL["ink"])
    layout.update(width=PRINT_WIDTH_PX, height=PRINT_HEIGHT_PX, autosize=False, paper_bgcolor=PRINT["paper"],
                  plot_bgcolor=PRINT["paper"])
    layout.setdefault("font", {}).update(color=PRINT["ink"], size=11)
    layout.setdefault("margin", {}).update(l=60, r=50, t=50, b=40)
    legend = layout.setdefault("legend", {})
    legend.setdefault("font", {})["size"] = 10
    legend["y"] = -0.085
    axes = [key for key in layout if key.startswith(("xaxis", "yaxis"))]
    for name in axes:
        axis = layout[name]
        axis.update(linecolor=PRINT["ink"], gridcolor=PRINT["grid"])
        axis.setdefault("tickfont", {})["color"] = PRINT["ink"]
        # Log-scale VAF axis: at print size every minor digit would be labelled, on top of each other.
        # A VAF axis keeps its own ticks (1%, 10%, 50%), which are few enough for print.
        if name.startswith("yaxis") and axis.get("type") == "log" and axis.get("tickvals") is None:
            axis["dtick"] = "D2"
        # At print size the day ticks of the upper panels run into the next panel's title: days are read
        # on the bottom axis (the one with the title) and on the vertical grid lines shared by every panel.
        if name.startswith("xaxis") and not (axis.get("title") or {}).get("text"):
            axis["showticklabels"] = False
    return fig


def _copy(value):
    """A copy of plotly JSON: new dicts and lists all the way down (strings and numbers are immutable)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(item) for item in value]
    return value


def _is_vaf_track(trace: dict) -> bool:
    """VAF tracks are the traces of the log-scale VAF panel: their hover text gives the VAF."""
    hovertext = trace.get("hovertext")
    return isinstance(hovertext, list | tuple) and len(hovertext) > 0 and "VAF" in str(hovertext[0])
