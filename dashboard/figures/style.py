"""Shared figure style: the one colour map (:mod:`dashboard.figures.palette`), fonts, axes, hover formats."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from analysis.wording import (  # noqa: F401  (shared with the findings)
    P_DISPLAY_FLOOR,
    format_p,
    p_exact,
    p_phrase,
    vaf_text,  # noqa: F401  (3 significant digits, shared with the report)
)
from dashboard.figures.palette import NEUTRAL, SERIES, SURVIVAL_GROUPS

#: Trace colours in order, for traces that name no colour (every figure of the app names its colours from
#: the one colour map, :mod:`dashboard.figures.palette`).
SEQUENCE = list(SURVIVAL_GROUPS)

#: plotly_white's trace defaults for the trace types the app draws (the others are never used).
_TRACE_TYPES = ("scatter", "scattergl", "bar", "heatmap", "histogram")
#: plotly_white's layout parts for the 2-D cartesian plots the app draws (no polar, ternary, 3-D or maps).
_LAYOUT_PARTS = ("autotypenumbers", "colorway", "font", "hovermode", "hoverlabel", "paper_bgcolor", "plot_bgcolor",
                 "coloraxis", "colorscale", "xaxis", "yaxis", "shapedefaults", "annotationdefaults", "title")


#: The app's own additions to plotly_white, on every x and y axis.  ``ticklabeloverflow="allow"``: plotly's
#: default for a numeric axis ("hide past div") measures every tick label's box after drawing it, to hide
#: labels that stick out of the figure; the app's margins leave room for its labels (``automargin``), so
#: the check never hides one, and it cost 0.2-0.4 s per draw of the 150-row swimmer plot (a link per
#: label).  docs/performance-browser.md, "Session 10".
APP_AXIS_DEFAULTS = {"ticklabeloverflow": "allow"}


def _app_template() -> go.layout.Template:
    """plotly_white cut down to what the app's figures use: the same look, a fraction of the cost.

    The full template styles some 25 trace types and 3-D, polar, ternary and map axes: applying it cost
    15 ms of server CPU per figure and sent 7 KB with each figure; this one costs under 1 ms and 2.5 KB
    (tests/dashboard/test_figure_template.py checks that it equals plotly_white on every part kept).
    """
    white = pio.templates["plotly_white"]
    layout = {key: white.layout[key] for key in _LAYOUT_PARTS}
    data = {kind: white.data[kind] for kind in _TRACE_TYPES}
    template = go.layout.Template(layout=layout, data=data)
    template.layout.update({axis: APP_AXIS_DEFAULTS for axis in ("xaxis", "yaxis")})
    return template


#: The app's template, registered under this name and made plotly's default in this process.
TEMPLATE = "her2_white"
pio.templates[TEMPLATE] = _app_template()
pio.templates.default = TEMPLATE

FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif", size=13,
            color=NEUTRAL["ink"])


#: x positions of the two draws of a slope chart (baseline, progression): numbers with tick labels, not
#: categories (plotly.js drew 6,500 categorical points in 270 ms, numeric ones in 130 ms, headless Chromium).
TWO_DRAWS_X = (0, 1)


def two_draws_axis(baseline: str, progression: str) -> dict:
    """An x axis with the two draws of a slope chart at :data:`TWO_DRAWS_X`, labelled *baseline* and
    *progression*, with room either side for the markers."""
    return {"tickmode": "array", "tickvals": list(TWO_DRAWS_X), "ticktext": [baseline, progression],
            "range": [-0.25, 1.25], "zeroline": False}


def base_layout(fig: go.Figure, *, title: str | None = None, height: int = 420, legend_below: bool = True
                ) -> go.Figure:
    """Apply the shared look: white background, light grid, readable fonts, legend below the plot.

    The template is the app's (:data:`TEMPLATE`), plotly's default from the import of this module: a figure
    gets it when created, at no cost, where naming it here again would copy it (6 ms per figure)."""
    fig.update_layout(
        font=FONT,
        colorway=SEQUENCE,
        height=height,
        margin=dict(l=64, r=24, t=48 if title else 16, b=56),
        title=dict(text=title, x=0, xanchor="left", font=dict(size=15)) if title else None,
        hoverlabel=dict(font_size=13),
        legend=dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0) if legend_below else None,
    )
    fig.update_xaxes(showline=True, linecolor=NEUTRAL["axis"], ticks="outside", zeroline=False)
    fig.update_yaxes(showline=True, linecolor=NEUTRAL["axis"], ticks="outside", zeroline=False)
    return fig


#: The app's template as plotly JSON, made once per process for figures built as plain dicts (a dict figure
#: carries its template itself; plotly's default applies only to graph_objects figures).  Shared by every
#: dict figure: read it, never change it.
TEMPLATE_JSON: dict = pio.templates[TEMPLATE].to_plotly_json()


def base_layout_dict(*, height: int = 420, title: str | None = None, legend_below: bool = True,
                     xaxes: tuple[str, ...] = ("xaxis",), yaxes: tuple[str, ...] = ("yaxis",)) -> dict:
    """:func:`base_layout` as a plain plotly layout dict, for figures built without graph_objects.

    The same values :func:`base_layout` sets (and the template it relies on, :data:`TEMPLATE_JSON`), with
    the axis look on each axis named in *xaxes* and *yaxes* (``"xaxis"``, ``"xaxis2"``, ...).  Every part
    is a new dict but the template, so the caller may change them.
    """
    layout: dict = {
        "template": TEMPLATE_JSON,
        "font": dict(FONT),
        "colorway": list(SEQUENCE),
        "height": height,
        "margin": dict(l=64, r=24, t=48 if title else 16, b=56),
        "hoverlabel": {"font": {"size": 13}},
    }
    if title:
        layout["title"] = {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}}
    if legend_below:
        layout["legend"] = dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0)
    for name in (*xaxes, *yaxes):
        layout[name] = dict(showline=True, linecolor=NEUTRAL["axis"], ticks="outside", zeroline=False)
    return layout


def empty_figure_dict(message: str, height: int = 320) -> dict:
    """:func:`empty_figure` as a plain plotly figure dict."""
    layout = base_layout_dict(height=height)
    layout["xaxis"]["visible"] = layout["yaxis"]["visible"] = False
    layout["annotations"] = [dict(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                                  font=dict(size=15, color=NEUTRAL["subtle"]))]
    return {"data": [], "layout": layout}


def empty_figure(message: str, height: int = 320) -> go.Figure:
    """A figure that explains why it is empty (e.g. "no plasma draw within 14 days of this scan")."""
    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=15, color=NEUTRAL["subtle"]))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return base_layout(fig, height=height)


def chance_diagonal_dict(name: str = "chance") -> dict:
    """The dotted diagonal of a ROC plot (an uninformative score), as a plain plotly trace dict."""
    return {"hoverinfo": "skip", "line": {"color": SERIES["cutoff"], "dash": "dot", "width": 1}, "mode": "lines",
            "name": name, "x": [0, 1], "y": [0, 1], "type": "scatter"}


def chance_diagonal(name: str = "chance") -> go.Scatter:
    """:func:`chance_diagonal_dict` as a graph_objects trace."""
    return go.Scatter(chance_diagonal_dict(name))
