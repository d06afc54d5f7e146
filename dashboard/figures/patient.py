"""The patient timeline: one day axis for ERBB2 copy number, CEA, tumour size, treatment and VAF.

Every panel carries its own title and legend right above it (plotly's one-legend-per-panel
``legend2``, ``legend3``, ...), so a reader never scrolls to find what a line means; colours come from
the one palette of :mod:`dashboard.figures.palette`.  CEA has its own panel with "nice" ticks (0, 50,
100, ...), so it never lines up with the amplification cutoff by accident of two axes sharing a
panel.  The copy-number panel marks the nadir, the rise that counts for lead time and the
progression scan (:func:`analysis.her2_marks.her2_marks`, the numbers of the answer sentence).
Text that comes from the study (sample ids, genes, agents) is escaped: plotly reads hover, legend and
tick text as HTML (:mod:`dashboard.figures.plotly_text`).  The figure is plain plotly JSON, the schema
plotly.js reads, built without graph_objects (:class:`_Figure`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.her2_marks import Her2Marks, her2_marks
from analysis.params import AnalysisParameters
from analysis.patient import PatientAnalysis
from analysis.wording import copies_text, day_text
from dashboard.figures.palette import CLEAR, LABEL_BACKGROUND, MUTED, NEUTRAL, SERIES, gene_colours
from dashboard.figures.plotly_json import typed_array
from dashboard.figures.plotly_text import escape
from dashboard.figures.style import base_layout_dict, empty_figure_dict, vaf_text

#: Panel key -> title shown above the panel (units in the title).
PANEL_TITLES = {
    "cn": "Plasma ERBB2 copy number (copies)",
    "cea": "Serum CEA (ng/mL)",
    "adjusted": "Purity-adjusted ERBB2 copy number (copies per tumour cell)",
    "size": "Tumour size: sum of target lesions (mm), RECIST 1.1",
    "treatment": "Treatment",
    "vaf": "Plasma variant allele fraction (%, log scale)",
}
#: Kept for callers that list the titles (the order of the panels, all shown).
ROW_TITLES = tuple(PANEL_TITLES.values())

OBSERVED_NAME = "Plasma ERBB2 CN (observed, copies)"
ADJUSTED_NAME = "ERBB2 CN purity-adjusted (copies per tumour cell)"
CEA_NAME = "CEA (ng/mL)"
SIZE_NAME = "Tumour size (mm); RECIST call above each scan (* derived from lesion sums)"

#: Plot height of each panel (px) and the figure's fixed parts (px).
PANEL_PX = {"cn": 230, "cea": 105, "adjusted": 125, "size": 135, "treatment": 34, "vaf": 230}
TICKS_PX, TITLE_PX, LEGEND_ROW_PX = 22, 22, 21
MARGIN_TOP_EXTRA, MARGIN_BOTTOM = 8, 52
#: Legend width estimate (px per character, per entry) and the width legends wrap at.
CHAR_PX, ENTRY_PX, LEGEND_WIDTH_PX = 6.6, 44, 1050
LEGEND_FONT = dict(size=12, color=NEUTRAL["ink"])
INK, SUBTLE = NEUTRAL["ink"], NEUTRAL["subtle"]

#: VAF axis tick candidates (percent): fine steps on a narrow range, decades and 50% on a wide one.
VAF_TICKS_FINE = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)
VAF_TICKS_WIDE = (0.01, 0.1, 1, 10, 50, 100)

@dataclass
class _Panels:
    """Which panels the figure has, their subplot rows, and the legend each one uses."""

    keys: list[str]

    def row(self, key: str) -> int | None:
        return self.keys.index(key) + 1 if key in self.keys else None

    def legend(self, key: str) -> str:
        """The VAF panel uses plotly's main legend (the report moves it under the figure); the others
        ``legend2``, ``legend3``, ..."""
        return "legend" if key == "vaf" else f"legend{self.keys.index(key) + 2}"


def patient_timeline(patient: PatientAnalysis, tracks: pd.DataFrame, params: AnalysisParameters) -> dict:
    """The patient page's main figure, as a plain plotly figure dict (``{"data": [...], "layout": {...}}``).

    Built without graph_objects (their validation and copies cost 140-200 ms of server CPU per figure, to
    20-30 ms now, most of it :func:`analysis.her2_marks.her2_marks`; benchmarks/bench_patient_figure.py):
    the subplot axes are laid out here as ``make_subplots(shared_xaxes=True)`` would (every day axis
    ``matches`` the bottom one), and the layout carries the app's template itself
    (:func:`dashboard.figures.style.base_layout_dict`).  ``go.Figure(figure)`` accepts it (the tests check
    that on every demo patient).

    Parameters
    ----------
    patient
        :class:`analysis.patient.PatientAnalysis`.
    tracks
        :func:`dashboard.views.patient.vaf_tracks` of the patient.
    params
        Parameters in force (the amplification cutoff line; purity adjustment on/off; lead-time rule).
    """
    draws = patient.trajectories.draws.sort_values("draw_day")
    cea = patient.trajectories.cea.sort_values("day")
    imaging = patient.trajectories.imaging.sort_values("day")
    if draws.empty and cea.empty and imaging.empty:
        return empty_figure_dict("No plasma draws, CEA values or imaging for this patient.")
    treatments = patient.treatments.dropna(subset=["start_day"])
    keys = ["cn", "cea", "adjusted", "size", "treatment", "vaf"]
    if not params.purity_adjustment:
        keys.remove("adjusted")
    panels = _Panels(keys)
    legend_rows = {key: 1 for key in keys}
    legend_rows["treatment"] = 0
    legend_rows["vaf"] = 0  # the VAF legend is under the panel (the bottom one), where print puts it too
    vaf_rows = _legend_rows([_vaf_name(label, track) for label, track in tracks.groupby("label", sort=False)])
    heights = dict(PANEL_PX, treatment=PANEL_PX["treatment"] + 22 * max(1, treatments["agent"].nunique()))
    gaps = {key: TICKS_PX + TITLE_PX + LEGEND_ROW_PX * legend_rows[key] + 6 for key in keys}
    plot_px = sum(heights[k] for k in keys) + sum(gaps[k] for k in keys[1:])
    top_px = gaps[keys[0]] - TICKS_PX + MARGIN_TOP_EXTRA
    bottom_px = MARGIN_BOTTOM + LEGEND_ROW_PX * vaf_rows
    fig = _Figure.subplots(len(keys), height=plot_px + top_px + bottom_px)
    _fix_domains(fig, keys, heights, gaps, plot_px)

    marks = her2_marks(patient, params)
    _copy_number_panel(fig, panels, draws, marks, params)
    _cea_panel(fig, panels, cea)
    if panels.row("adjusted"):
        _adjusted_panel(fig, panels, draws, params)
    _size_panel(fig, panels, imaging)
    _treatment_panel(fig, panels, treatments, draws, imaging)
    _vaf_panel(fig, panels, tracks)
    _progression(fig, panels, marks)

    fig.layout.update(hovermode="closest", margin=dict(t=top_px, b=bottom_px, l=72, r=24), showlegend=True)
    _titles_and_legends(fig, panels, legend_rows, plot_px)
    fig.xaxis(len(keys))["title"] = {"text": "Days from first trastuzumab dose"}
    for row in range(1, len(keys) + 1):
        fig.xaxis(row)["showticklabels"] = True
    return fig.to_dict()


# --------------------------------------------------------------------------- the figure as plotly JSON

class _Figure:
    """A plotly figure as plain JSON (the schema plotly.js reads), built like graph_objects' subplots.

    Rows are numbered from 1, as in ``make_subplots``; row *n*'s axes are ``xaxis{n}`` / ``yaxis{n}``
    (``xaxis`` / ``yaxis`` for row 1), and traces, shapes and annotations refer to them as ``x{n}`` / ``y{n}``.
    """

    def __init__(self, layout: dict) -> None:
        self.data: list[dict] = []
        self.layout = layout
        self.layout.setdefault("annotations", [])
        self.layout.setdefault("shapes", [])

    @classmethod
    def subplots(cls, rows: int, *, height: int) -> _Figure:
        """One column of *rows* panels sharing the day axis, as ``make_subplots(rows, 1, shared_xaxes=True)``:
        every x axis spans the width and matches the bottom one; each axis anchored on its row's other axis.
        (The vertical domains are set by :func:`_fix_domains`.)"""
        names = [_axis_name(letter, row) for row in range(1, rows + 1) for letter in "xy"]
        fig = cls(base_layout_dict(height=height, legend_below=False, xaxes=tuple(names[0::2]),
                                   yaxes=tuple(names[1::2])))
        for row in range(1, rows + 1):
            fig.xaxis(row).update(anchor=_axis("y", row), domain=[0.0, 1.0])
            fig.yaxis(row)["anchor"] = _axis("x", row)
            if row < rows:
                fig.xaxis(row)["matches"] = _axis("x", rows)
        return fig

    def xaxis(self, row: int) -> dict:
        return self.layout[_axis_name("x", row)]

    def yaxis(self, row: int) -> dict:
        return self.layout[_axis_name("y", row)]

    def add_trace(self, trace: dict, row: int) -> None:
        trace.update(xaxis=_axis("x", row), yaxis=_axis("y", row))
        self.data.append(trace)

    def add_annotation(self, annotation: dict, row: int | None = None) -> None:
        """An annotation; with *row*, in that panel's data coordinates (``x{row}`` / ``y{row}``)."""
        if row is not None:
            annotation.update(xref=_axis("x", row), yref=_axis("y", row))
        self.layout["annotations"].append(annotation)

    def has_content(self, row: int) -> bool:
        """Whether the panel holds a trace, or a shape or annotation in its data coordinates: graph_objects'
        ``add_hline`` / ``add_vline`` leave out panels without (their ``exclude_empty_subplots``)."""
        refs = (_axis("x", row), _axis("y", row))
        return (any((t.get("xaxis", "x"), t.get("yaxis", "y")) == refs for t in self.data)
                or any((item.get("xref", "x"), item.get("yref", "y")) == refs
                       for kind in ("shapes", "annotations") for item in self.layout[kind]))

    def add_hline(self, y: float, row: int, line: dict, annotation: dict) -> None:
        """A horizontal line across the panel with its label at the bottom right, as graph_objects'
        ``add_hline(..., annotation_position="bottom right")``; nothing on an empty panel."""
        if not self.has_content(row):
            return
        x, yref = f"{_axis('x', row)} domain", _axis("y", row)
        self.layout["shapes"].append(dict(type="line", x0=0, x1=1, xref=x, y0=y, y1=y, yref=yref, line=line))
        self.layout["annotations"].append(dict(annotation, showarrow=False, x=1, xanchor="right", xref=x, y=y,
                                               yanchor="top", yref=yref))

    def add_vline(self, x: float, row: int, line: dict) -> None:
        """A vertical line the panel's height, as graph_objects' ``add_vline``; nothing on an empty panel."""
        if self.has_content(row):
            self.layout["shapes"].append(dict(type="line", x0=x, x1=x, xref=_axis("x", row), y0=0, y1=1,
                                              yref=f"{_axis('y', row)} domain", line=line))

    def to_dict(self) -> dict:
        for kind in ("shapes", "annotations"):
            if not self.layout[kind]:
                del self.layout[kind]
        return {"data": self.data, "layout": self.layout}


def _axis_name(letter: str, row: int) -> str:
    """The layout key of row *row*'s axis: ``xaxis``, ``xaxis2``, ..."""
    return f"{letter}axis{row if row > 1 else ''}"


# --------------------------------------------------------------------------- layout in pixels

def _legend_rows(names: list[str]) -> int:
    """How many rows a horizontal legend of *names* takes at :data:`LEGEND_WIDTH_PX` (estimate)."""
    if not names:
        return 0
    rows, used = 1, 0.0
    for name in names:
        width = ENTRY_PX + CHAR_PX * len(name)
        if used and used + width > LEGEND_WIDTH_PX:
            rows, used = rows + 1, 0.0
        used += width
    return rows


def _fix_domains(fig: _Figure, keys: list[str], heights: dict, gaps: dict, plot_px: float) -> None:
    """Each panel's vertical domain from its height and the gap (ticks, title, legend) above it."""
    top = float(plot_px)
    for i, key in enumerate(keys):
        if i:
            top -= gaps[key]
        bottom = top - heights[key]
        fig.yaxis(i + 1)["domain"] = [max(0.0, bottom / plot_px), min(1.0, top / plot_px)]
        top = bottom


def _titles_and_legends(fig: _Figure, panels: _Panels, legend_rows: dict, plot_px: float) -> None:
    """Each panel's title, with its legend between the title and the panel.

    Legends sit on the panel's top edge (paper coordinates) and titles a fixed number of pixels above
    (``yshift``), so neither runs into the other when the figure is drawn at another size (the report
    prints it smaller).  The VAF panel, the bottom one, has its legend under its day axis.
    """
    for i, key in enumerate(panels.keys):
        domain_bottom, domain_top = fig.yaxis(i + 1)["domain"]
        fig.add_annotation(dict(text=f"<b>{PANEL_TITLES[key]}</b>", name=f"title-{key}", x=0, xref="paper",
                                y=domain_top, yref="paper", xanchor="left", yanchor="bottom", showarrow=False,
                                yshift=LEGEND_ROW_PX * legend_rows[key] + 3, font=dict(size=13, color=INK)))
        if key == "vaf":
            fig.layout["legend"] = dict(orientation="h", x=0, xanchor="left", yanchor="top", font=dict(LEGEND_FONT),
                                        y=domain_bottom - (TICKS_PX + TITLE_PX + 10) / plot_px, bgcolor=CLEAR)
            continue
        fig.layout[panels.legend(key)] = dict(orientation="h", x=0, xanchor="left", y=domain_top,
                                              yanchor="bottom", font=dict(LEGEND_FONT), bgcolor=CLEAR)


# --------------------------------------------------------------------------- panels

def _copy_number_panel(fig: _Figure, panels: _Panels, draws: pd.DataFrame, marks: Her2Marks,
                       params: AnalysisParameters) -> None:
    """Observed plasma ERBB2 CN, the amplification cutoff, and the nadir, rise and lead time."""
    row, legend = panels.row("cn"), panels.legend("cn")
    if row is None:
        return
    if len(draws):
        hover = [f"{_esc(sid)}<br>day {day:g}<br>ERBB2 {cn:.2f} copies<br>tumour fraction {_pct(tf)}"
                 for sid, day, cn, tf in zip(draws["sample_id"], draws["draw_day"], draws["erbb2_cn"],
                                             draws["tumour_fraction"], strict=True)]
        fig.add_trace(dict(type="scatter", x=typed_array(draws["draw_day"]), y=typed_array(draws["erbb2_cn"]),
                           mode="lines+markers", name=OBSERVED_NAME, line=dict(color=SERIES["erbb2_cn"], width=3),
                           marker=dict(size=9), hovertext=hover, hoverinfo="text", legend=legend), row)
    else:
        _note(fig, row, "No plasma ERBB2 copy number")
    fig.add_hline(params.plasma_amplification_cn, row, line=dict(color=SERIES["cutoff"], dash="dash", width=1.5),
                  annotation=dict(text=f"amplification cutoff {params.plasma_amplification_cn:g} copies",
                                  font=dict(color=SUBTLE)))
    top = float(np.nanmax([draws["erbb2_cn"].max() if len(draws) else 0, params.plasma_amplification_cn]))
    fig.yaxis(row).update(title={"text": "copies"}, range=[0, top * 1.3 + 0.3])
    if marks.nadir_day is not None and marks.nadir_cn is not None:
        _mark(fig, row, marks.nadir_day, marks.nadir_cn, "nadir",
              f"nadir {copies_text(marks.nadir_cn)} copies, day {day_text(marks.nadir_day)}", "triangle-down", 34)
    if marks.rise_day is not None and marks.rise_cn is not None:
        threshold = "" if marks.rise_threshold is None else copies_text(marks.rise_threshold)
        _mark(fig, row, marks.rise_day, marks.rise_cn, "rise",
              f"rise to {copies_text(marks.rise_cn)} copies, day {day_text(marks.rise_day)}", "star", -24,
              hover=f"first draw at or above nadir + max(0.5, 0.5 x (nadir - 2)) = {threshold} copies")
    if marks.rise_day is not None and marks.progression_day is not None and marks.lead_time_days is not None:
        _lead_time(fig, row, marks.rise_day, marks.progression_day, marks.lead_time_days, top * 1.22 + 0.2)


def _mark(fig: _Figure, row: int, day: float, cn: float, name: str, text: str, symbol: str, ay: int,
          hover: str = "") -> None:
    fig.add_trace(dict(type="scatter", x=[day], y=[cn], mode="markers", name=name, showlegend=False,
                       marker=dict(symbol=symbol, size=15, color=SERIES["erbb2_cn"],
                                   line=dict(color=NEUTRAL["white"], width=1.5)),
                       hovertext=[f"{text}<br>{hover}" if hover else text], hoverinfo="text"), row)
    # The nadir's label below the point, the rise's above and to its left (the lead-time bracket is above).
    fig.add_annotation(dict(x=day, y=cn, text=text, name=name, showarrow=True, arrowhead=0, arrowcolor=SUBTLE,
                            ax=-16 if name == "rise" else 0, ay=ay, xanchor="right" if name == "rise" else "center",
                            font=dict(size=12, color=INK), bgcolor=LABEL_BACKGROUND), row)


def _lead_time(fig: _Figure, row: int, rise_day: float, progression_day: float, days: float, y: float) -> None:
    """A bracket from the rise to the progression scan, labelled with the lead time (days)."""
    label = (f"lead time {day_text(days)} days" if days > 0 else "rise on the day of progression" if days == 0
             else f"rise {day_text(-days)} days after progression")
    fig.add_annotation(dict(x=progression_day, y=y, ax=rise_day, ay=y, axref=_axis("x", row),
                            ayref=_axis("y", row), xref=_axis("x", row), yref=_axis("y", row), showarrow=True,
                            arrowhead=2, arrowside="end+start", arrowcolor=SERIES["progression"], arrowwidth=1.5,
                            text="", name="lead-time-bracket"))
    fig.add_annotation(dict(x=(rise_day + progression_day) / 2, y=y, text=label, name="lead time",
                            showarrow=False, yanchor="bottom", font=dict(size=12, color=SERIES["progression"])), row)


def _cea_panel(fig: _Figure, panels: _Panels, cea: pd.DataFrame) -> None:
    """Serum CEA on its own axis with nice ticks (0, 50, 100, ...)."""
    row = panels.row("cea")
    assert row is not None  # the CEA panel is always drawn
    if cea.empty:
        _note(fig, row, "No CEA values recorded")
        fig.yaxis(row)["showticklabels"] = False
        return
    marker_symbol = np.where(cea["averaged"], "diamond", "circle").tolist()
    hover = [f"day {day:g}<br>CEA {value:.3g} ng/mL" + (f" (mean of {n} same-day values)" if avg else "")
             for day, value, n, avg in zip(cea["day"], cea["cea"], cea["n_values"], cea["averaged"], strict=True)]
    fig.add_trace(dict(type="scatter", x=typed_array(cea["day"]), y=typed_array(cea["cea"]), mode="lines+markers",
                       name=CEA_NAME, line=dict(color=SERIES["cea"], width=2.5),
                       marker=dict(size=8, symbol=marker_symbol), hovertext=hover, hoverinfo="text",
                       legend=panels.legend("cea")), row)
    step, top = nice_ticks(float(cea["cea"].max()))
    fig.yaxis(row).update(title={"text": "ng/mL"}, range=[0, top], tick0=0, dtick=step, tickmode="linear")


def nice_ticks(largest: float, intervals: int = 4) -> tuple[float, float]:
    """(step, top) of an axis from 0 to at least *largest*: the step 1, 2, 2.5 or 5 x 10^k giving about
    *intervals* intervals, top the first multiple of the step above *largest*.

    >>> nice_ticks(130.0), nice_ticks(14.4), nice_ticks(4.2), nice_ticks(0.0)
    ((50.0, 150.0), (5.0, 15.0), (2.0, 6.0), (1.0, 1.0))
    """
    if not largest > 0 or not math.isfinite(largest):
        return 1.0, 1.0
    raw = largest / intervals
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    top = step * math.ceil(largest / step)
    if top <= largest:
        top += step
    return float(step), float(top)


def _adjusted_panel(fig: _Figure, panels: _Panels, draws: pd.DataFrame, params: AnalysisParameters) -> None:
    """Purity-adjusted CN; draws whose tumour fraction is too low are marked, not plotted."""
    row, legend = panels.row("adjusted"), panels.legend("adjusted")
    assert row is not None  # drawn only when the panel is shown
    if draws.empty:
        _note(fig, row, "No plasma draws")
        return
    evaluable = draws[draws["erbb2_cn_adjusted"].notna()]
    hover = [f"{_esc(sid)}<br>day {day:g}<br>{adj:.1f} copies per tumour cell<br>tumour fraction {_pct(tf)}"
             for sid, day, adj, tf in zip(evaluable["sample_id"], evaluable["draw_day"],
                                          evaluable["erbb2_cn_adjusted"], evaluable["tumour_fraction"], strict=True)]
    fig.add_trace(dict(type="scatter", x=typed_array(evaluable["draw_day"]),
                       y=typed_array(evaluable["erbb2_cn_adjusted"]), mode="lines+markers", name=ADJUSTED_NAME,
                       line=dict(color=SERIES["erbb2_cn_adjusted"], width=2.5), marker=dict(size=8, symbol="square"),
                       hovertext=hover, hoverinfo="text", legend=legend), row)
    not_evaluable = draws[draws["erbb2_cn_adjusted"].isna()]
    if len(not_evaluable):
        fig.add_trace(dict(type="scatter", x=typed_array(not_evaluable["draw_day"]),
                           y=typed_array(np.zeros(len(not_evaluable))), mode="markers",
                           name=f"not evaluable (tumour fraction < {100 * params.min_tumour_fraction:g}%)",
                           marker=dict(symbol="x-thin-open", size=10, color=SUBTLE, line=dict(width=2)),
                           hovertext=[f"{_esc(s)}: tumour fraction {_pct(t)}, too low to adjust"
                                      for s, t in zip(not_evaluable["sample_id"], not_evaluable["tumour_fraction"],
                                                      strict=True)],
                           hoverinfo="text", legend=legend), row)
    fig.yaxis(row).update(title={"text": "copies"}, rangemode="tozero")


def _size_panel(fig: _Figure, panels: _Panels, imaging: pd.DataFrame) -> None:
    """Tumour size with the RECIST call of each assessment."""
    row = panels.row("size")
    assert row is not None  # the size panel is always drawn
    if imaging.empty:
        _note(fig, row, "No imaging assessments")
        return
    labels = imaging["recist_response"].fillna("").astype(str)
    source = imaging["response_source"].fillna("").astype(str)
    text = [_esc(f"{call}*" if src == "derived" else call) for call, src in zip(labels, source, strict=True)]
    hover = [f"day {day:g}<br>{size:g} mm ({_signed(pct)} from baseline)<br>RECIST {_esc(call) or 'baseline'}"
             + (" (derived from lesion sums)" if src == "derived" else "")
             for day, size, pct, call, src in zip(imaging["day"], imaging["target_lesion_sum_mm"],
                                                  imaging["pct_change_from_baseline"], labels, source, strict=True)]
    fig.add_trace(dict(type="scatter", x=typed_array(imaging["day"]), y=typed_array(imaging["target_lesion_sum_mm"]),
                       mode="lines+markers+text", name=SIZE_NAME, text=text, textposition="top center",
                       cliponaxis=False, textfont=dict(size=12, color=INK),
                       line=dict(color=SERIES["tumour_size"], width=2.5), marker=dict(size=9), hovertext=hover,
                       hoverinfo="text", legend=panels.legend("size")), row)
    top = float(imaging["target_lesion_sum_mm"].max())
    fig.yaxis(row).update(title={"text": "mm"}, range=[0, (top if top > 0 else 1) * 1.3])


def _treatment_panel(fig: _Figure, panels: _Panels, treatments: pd.DataFrame, draws: pd.DataFrame,
                     imaging: pd.DataFrame) -> None:
    """One bar per agent (its name on the axis)."""
    row = panels.row("treatment")
    assert row is not None  # the treatment panel is always drawn
    if treatments.empty:
        _note(fig, row, "No treatment recorded")
        fig.yaxis(row)["showticklabels"] = False
        return
    last_day = float(np.nanmax([draws["draw_day"].max() if len(draws) else 0,
                                imaging["day"].max() if len(imaging) else 0]))
    stop = treatments["stop_day"].fillna(last_day)
    agents = treatments["agent"].astype(str).map(_esc)
    fig.add_trace(dict(type="bar", y=agents.tolist(), x=typed_array(stop - treatments["start_day"]),
                       base=treatments["start_day"].tolist(), orientation="h", marker=dict(color=SERIES["treatment"]),
                       name="Treatment", showlegend=False,
                       hovertext=[f"{a}: day {s:g} to {e:g}" for a, s, e in
                                  zip(agents, treatments["start_day"], stop, strict=True)],
                       hoverinfo="text", legend=panels.legend("treatment")), row)


def _vaf_name(label: str, track: pd.DataFrame) -> str:
    """Legend name of a VAF track: the variant, ``(mechanism)``, or why it is left out of the tumour fraction."""
    mechanism = bool(track["is_mechanism"].iloc[0])
    excluded = str(track["excluded"].iloc[0]) if "excluded" in track else ""
    mark = f" ({excluded.split(' (')[0].split(':')[0]}: not in tumour fraction)" if excluded else ""
    return _esc(f"{label}{' (mechanism)' if mechanism else ''}{mark}")


def _vaf_panel(fig: _Figure, panels: _Panels, tracks: pd.DataFrame) -> None:
    """VAF tracks on a log scale: mechanism variants in their gene's colour and bold, the rest muted grey."""
    row, legend = panels.row("vaf"), panels.legend("vaf")
    assert row is not None  # the VAF panel is always drawn
    if tracks.empty:
        _note(fig, row, "No plasma variants detected")
        return
    groups = list(tracks.groupby("label", sort=False))
    mechanism_genes = [str(t["gene"].iloc[0]) for _, t in groups if bool(t["is_mechanism"].iloc[0])]
    colours = gene_colours(mechanism_genes)
    symbols = iter(("circle", "diamond", "square", "triangle-up", "star", "hexagon", "cross", "x"))
    for label, track in groups:
        mechanism = bool(track["is_mechanism"].iloc[0])
        excluded = str(track["excluded"].iloc[0]) if "excluded" in track else ""
        why = f"<br>{_esc(excluded)}" if excluded else ""
        hover = [f"{_esc(label)}<br>{_esc(sid)}, day {day:g}<br>VAF {vaf_text(vaf)} ({alt} / {depth} reads){why}"
                 for sid, day, vaf, alt, depth in zip(track["sample_id"], track["day"], track["vaf"],
                                                      track["t_alt_count"], track["depth"], strict=True)]
        if mechanism:
            style = dict(line=dict(color=colours[str(track["gene"].iloc[0]).upper()], width=3.5),
                         marker=dict(size=10, symbol=next(symbols, "circle")), opacity=1.0)
        else:
            style = dict(line=dict(color=MUTED, width=1.3, dash="dot" if excluded else "solid"),
                         marker=dict(size=6, symbol="circle-open" if excluded else "circle", color=MUTED),
                         opacity=0.9)
        fig.add_trace(dict(type="scatter", x=typed_array(track["day"]), y=typed_array(100 * track["vaf"]),
                           mode="lines+markers", name=_vaf_name(label, track), hovertext=hover, hoverinfo="text",
                           legend=legend, **style),
                      row)
    values = 100 * tracks["vaf"].astype(float)
    values = values[values > 0]
    low, high = (float(values.min()), float(values.max())) if len(values) else (0.1, 10.0)
    ticks = vaf_ticks(low, high)
    fig.yaxis(row).update(type="log", title={"text": "VAF"}, tickmode="array", tickvals=list(ticks),
                          ticktext=[f"{v:g}%" for v in ticks],
                          range=[math.log10(min(low * 0.7, ticks[0])), math.log10(max(high * 1.4, ticks[-1]))])


def vaf_ticks(low: float, high: float) -> tuple[float, ...]:
    """Tick values (percent) of a log VAF axis showing *low* to *high* percent: 1-2-5 steps on a narrow
    range, decades and 50% on a wide one; always at least two ticks, the data inside them or one step out.

    >>> vaf_ticks(0.3, 40.0)
    (0.1, 1, 10, 50)
    >>> vaf_ticks(2.0, 9.0)
    (2, 5, 10)
    """
    wide = math.log10(max(high, 1e-6) / max(low, 1e-6)) > 1.2
    candidates = VAF_TICKS_WIDE if wide else VAF_TICKS_FINE
    below = [t for t in candidates if t <= low]
    above = [t for t in candidates if t >= high]
    start = below[-1] if below else candidates[0]
    stop = above[0] if above else candidates[-1]
    ticks = tuple(t for t in candidates if start <= t <= stop)
    if len(ticks) < 2:
        i = candidates.index(ticks[0]) if ticks else 0
        ticks = candidates[max(0, i - 1): i + 2]
    return ticks


def _progression(fig: _Figure, panels: _Panels, marks: Her2Marks) -> None:
    """Radiological progression: a dashed line through every panel, labelled on the copy-number panel."""
    if marks.progression_day is None:
        return
    day = marks.progression_day
    for row in range(1, len(panels.keys) + 1):
        fig.add_vline(day, row, line=dict(color=SERIES["progression"], width=2, dash="dash"))
    cn_row = panels.row("cn")
    fig.add_annotation(dict(x=day, y=1, yref=f"{_axis('y', cn_row)} domain", xref=_axis("x", cn_row),
                            text=f"progression scan, day {day_text(day)}", name="progression", showarrow=False,
                            xanchor="left", yanchor="top", xshift=4, font=dict(size=12, color=SERIES["progression"]),
                            bgcolor=LABEL_BACKGROUND))


# --------------------------------------------------------------------------- helpers

def _note(fig: _Figure, row: int, text: str) -> None:
    fig.add_annotation(dict(text=text, xref=f"{_axis('x', row)} domain", yref=f"{_axis('y', row)} domain", x=0.5,
                            y=0.5, showarrow=False, font=dict(color=SUBTLE)))


def _axis(letter: str, row: int | None) -> str:
    return f"{letter}{row if row and row > 1 else ''}"


def _esc(text) -> str:
    """Study text for plotly's HTML-like labels (hover, legend, ticks): :func:`dashboard.figures.plotly_text.escape`."""
    return escape(text)


def _pct(fraction: float) -> str:
    return "not estimated" if pd.isna(fraction) else f"{100 * fraction:.3g}%"


def _signed(pct: float) -> str:
    return "baseline" if pd.isna(pct) else f"{pct:+.0f}%"
