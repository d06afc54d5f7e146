"""Figures of the Concordance page: plasma vs tissue ERBB2 CN, ROC of plasma CN, detection by tumour fraction.

Tissue is the comparator, not the truth: axes and legends say agreement (PPA, NPA), never
sensitivity or specificity.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.roc import AucResult, YoudenCutoff, roc_corners
from dashboard.figures.palette import AGREEMENT, NEUTRAL, ROC_MARK, SERIES, SOURCE
from dashboard.figures.plotly_json import typed_array
from dashboard.figures.plotly_text import escape_all
from dashboard.figures.style import (
    base_layout,
    base_layout_dict,
    chance_diagonal_dict,
    empty_figure,
    empty_figure_dict,
)

GE = "\u2265"
EN_DASH = "\u2013"

#: Plasma call vs tissue NGS call at the chosen cutoffs: legend label, colour, marker symbol.
AGREEMENT_GROUPS = {
    "both": ("amplified in both", AGREEMENT["both"], "circle"),
    "plasma_only": ("plasma only", AGREEMENT["plasma_only"], "triangle-up"),
    "tissue_only": ("tissue only", AGREEMENT["tissue_only"], "square"),
    "neither": ("amplified in neither", AGREEMENT["neither"], "circle-open"),
}

#: Above this many points a scatter is drawn with WebGL (SVG slows the browser at 10,000 patients).
WEBGL_ABOVE = 2000
#: A ROC curve with more cutoffs than this is drawn as a line without a marker per cutoff.
ROC_MARKERS_MAX = 300

#: Log-axis ticks in copies.
CN_TICKS = [1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]


def with_subtitle(fig: go.Figure, subtitle: str) -> go.Figure:
    """A grey subtitle under the figure's title (n, CI, p), with room for it in the top margin."""
    fig.update_layout(
        title_subtitle_text=subtitle, title_subtitle_font=dict(size=12, color=NEUTRAL["subtle"]), margin_t=96
    )
    return fig


def _cn_ticks(low: float, high: float) -> list[float]:
    ticks = [t for t in CN_TICKS if low <= t <= high]
    return ticks or [round(low, 1), round(high, 1)]


def _subtitled(layout: dict, subtitle: str) -> dict:
    """:func:`with_subtitle` for a layout dict (the title must be set)."""
    layout["title"]["subtitle"] = {"font": {"size": 12, "color": NEUTRAL["subtle"]}, "text": subtitle}
    layout["margin"]["t"] = 96
    return layout


def _cutoff_line(layout: dict, axis: str, value: float, line: dict, text: str, position: str) -> None:
    """A cutoff line across the plot with its label, as graph_objects' ``add_hline`` (*axis* "y") or
    ``add_vline`` (*axis* "x") with ``annotation_position`` *position* write it."""
    if axis == "y":
        layout["shapes"].append({"line": line, "type": "line", "x0": 0, "x1": 1, "xref": "x domain",
                                 "y0": value, "y1": value, "yref": "y"})
        left = position.endswith("left")
        layout["annotations"].append({"showarrow": False, "text": text, "x": 0 if left else 1,
                                      "xanchor": "left" if left else "right", "xref": "x domain", "y": value,
                                      "yanchor": "bottom" if position.startswith("top") else "top", "yref": "y"})
    else:
        layout["shapes"].append({"line": line, "type": "line", "x0": value, "x1": value, "xref": "x",
                                 "y0": 0, "y1": 1, "yref": "y domain"})
        top = position.startswith("top")
        layout["annotations"].append({"showarrow": False, "text": text, "x": value,
                                      "xanchor": "left" if position.endswith("right") else "right", "xref": "x",
                                      "y": 1 if top else 0, "yanchor": "top" if top else "bottom",
                                      "yref": "y domain"})


def cn_scatter(
    her2_calls: pd.DataFrame,
    plasma_cutoff: float,
    tissue_cutoff: float,
    spearman: dict,
    analysis_cutoff: float | None = None,
) -> dict:
    """Plasma vs tissue ERBB2 copy number on log axes, one point per paired patient (plotly JSON).

    Built as a plain dict (the slider draws it again for every new cutoff: as a graph_objects figure it
    cost about 70 ms at 10,000 patients, most of a new slider position).

    Parameters
    ----------
    her2_calls
        :attr:`analysis.concordance.ConcordanceResult.her2_calls` (``patient_id, plasma_erbb2_cn,
        tissue_erbb2_cn, pathology_her2_positive``, copies).
    plasma_cutoff, tissue_cutoff
        Amplification cutoffs (copies): the slider's plasma cutoff (horizontal line) and the tissue
        NGS cutoff (vertical line).  Points are coloured by the two calls at these cutoffs.
    spearman
        ``estimate, ci_low, ci_high, n`` of Spearman's rho (shown in the title).
    analysis_cutoff
        The analysis' plasma cutoff (copies), drawn dotted when it differs from *plasma_cutoff*.
    """
    both = her2_calls[her2_calls["plasma_erbb2_cn"].notna() & her2_calls["tissue_erbb2_cn"].notna()]
    both = both[(both["plasma_erbb2_cn"] > 0) & (both["tissue_erbb2_cn"] > 0)]
    if both.empty:
        return empty_figure_dict("No paired patient has an ERBB2 copy number in both plasma and tissue.")
    plasma = both["plasma_erbb2_cn"].astype(float).to_numpy()
    tissue = both["tissue_erbb2_cn"].astype(float).to_numpy()
    in_plasma = plasma >= plasma_cutoff
    in_tissue = tissue >= tissue_cutoff
    group = np.select(
        [in_plasma & in_tissue, in_plasma & ~in_tissue, ~in_plasma & in_tissue],
        ["both", "plasma_only", "tissue_only"],
        "neither",
    )
    pathology = both["pathology_her2_positive"].map({True: "positive", False: "negative"}).astype(object)
    pathology = pathology.where(pathology.notna(), "unknown").to_numpy()
    patient_ids = np.asarray(escape_all(both["patient_id"].astype(str)), dtype=object)
    kind = "scattergl" if len(both) > WEBGL_ABOVE else "scatter"
    data = []
    for key, (label, colour, symbol) in AGREEMENT_GROUPS.items():
        mask = group == key
        n = int(mask.sum())
        data.append({
            "customdata": np.column_stack([patient_ids[mask], pathology[mask]]).tolist(),
            "hovertemplate": ("%{customdata[0]}<br>plasma ERBB2 %{y:.2f} copies<br>tissue ERBB2 %{x:.2f} copies"
                              "<br>pathology HER2 %{customdata[1]}<extra>" + label + "</extra>"),
            "marker": {"color": colour, "line": {"color": colour, "width": 2 if symbol.endswith("-open") else 1},
                       "size": 9, "symbol": symbol},
            "mode": "markers", "name": f"{label} (n = {n})", "visible": True if n else "legendonly",
            "x": typed_array(tissue[mask]), "y": typed_array(plasma[mask]), "type": kind,
        })
    x_low, x_high = min(tissue.min(), tissue_cutoff) * 0.85, max(tissue.max(), tissue_cutoff) * 1.15
    y_low, y_high = min(plasma.min(), plasma_cutoff) * 0.92, max(plasma.max(), plasma_cutoff) * 1.1
    layout = base_layout_dict(title="Plasma vs tissue ERBB2 copy number", height=480)
    layout["shapes"], layout["annotations"] = [], []
    _cutoff_line(layout, "y", plasma_cutoff, {"color": SERIES["cutoff"], "dash": "dash", "width": 1.5},
                 f"plasma cutoff {plasma_cutoff:g} copies", "top left")
    _cutoff_line(layout, "x", tissue_cutoff, {"color": SERIES["cutoff"], "dash": "dash", "width": 1.5},
                 f"tissue cutoff {tissue_cutoff:g}", "top right")
    if analysis_cutoff is not None and not math.isclose(analysis_cutoff, plasma_cutoff):
        _cutoff_line(layout, "y", analysis_cutoff, {"color": SERIES["cutoff"], "dash": "dot", "width": 1},
                     f"analysis cutoff {analysis_cutoff:g}", "bottom right")
    rho = spearman.get("estimate", math.nan)
    if rho is None or math.isnan(rho):
        subtitle = f"n = {len(both)} patients; too few pairs for Spearman's rho"
    else:
        ci = (
            ""
            if spearman.get("ci_low") is None or math.isnan(spearman["ci_low"])
            else f" (95% CI {spearman['ci_low']:.2f}{EN_DASH}{spearman['ci_high']:.2f})"
        )
        subtitle = f"Spearman rho {rho:.2f}{ci}, n = {spearman.get('n', len(both))} patients"
    layout["xaxis"].update(title={"text": "Tissue ERBB2 CN (copies, log scale)"}, type="log",
                           range=[math.log10(x_low), math.log10(x_high)], tickvals=_cn_ticks(x_low, x_high))
    layout["yaxis"].update(title={"text": "Plasma ERBB2 CN (copies, log)"}, type="log",
                           range=[math.log10(y_low), math.log10(y_high)], tickvals=_cn_ticks(y_low, y_high))
    layout["legend"]["y"] = -0.2
    layout["margin"]["b"] = 110
    return {"data": data, "layout": _subtitled(layout, subtitle)}


def roc_figure(
    roc: pd.DataFrame,
    auc: AucResult,
    youden: YoudenCutoff,
    cutoff: float | None = None,
    point: dict | None = None,
) -> dict:
    """ROC of plasma ERBB2 CN against tissue NGS amplification, with the Youden and slider cutoffs (plotly
    JSON, built as a plain dict: the slider draws it again for every new cutoff).

    Parameters
    ----------
    roc
        :data:`analysis.roc.ROC_COLUMNS` (``threshold`` in copies, ``tpr`` = PPA, ``fpr`` = 1 - NPA).
    auc
        AUC with its DeLong interval (title).
    youden
        The Youden cutoff (marked with a diamond).
    cutoff, point
        The slider's cutoff (copies) and its ``tpr``/``fpr`` (marked with a ring).
    """
    if roc.empty or roc["tpr"].isna().all() or roc["fpr"].isna().all():
        return empty_figure_dict(
            "No ROC: plasma ERBB2 CN vs tissue NGS status needs both tissue-amplified and "
            "tissue-non-amplified patients with a plasma ERBB2 CN."
        )
    # A curve of many cutoffs is drawn through those where it turns (the same line, thousands fewer points on a
    # large cohort) and without a marker per cutoff; a short one keeps every cutoff to hover. The AUC uses all.
    if len(roc) > ROC_MARKERS_MAX:
        roc = roc_corners(roc)
    threshold = roc["threshold"].astype(float)
    rule = [
        f"plasma CN {GE} {t:.2f} copies" if np.isfinite(t) else "no plasma call positive" for t in threshold
    ]
    auc_text = "AUC undefined" if math.isnan(auc.auc) else f"AUC {auc.auc:.2f}"
    if not math.isnan(auc.ci_low):
        auc_text += f" (95% CI {auc.ci_low:.2f}{EN_DASH}{auc.ci_high:.2f}, DeLong)"
    customdata = np.column_stack([rule, roc["tp"], roc["fp"], roc["fn"], roc["tn"]])
    data = [chance_diagonal_dict("no agreement beyond chance"), {
        "customdata": customdata.tolist(),
        "hovertemplate": ("%{customdata[0]}<br>PPA %{y:.1%} (%{customdata[1]} of tissue-amplified)"
                          "<br>1 - NPA %{x:.1%} (%{customdata[2]} of tissue-non-amplified)<extra></extra>"),
        "line": {"color": SERIES["erbb2_cn"], "shape": "hv", "width": 2},
        "marker": {"size": 4},
        "mode": "lines+markers" if len(roc) <= ROC_MARKERS_MAX else "lines",  # (after the thinning)
        "name": f"plasma ERBB2 CN: {auc_text}",
        "x": typed_array(roc["fpr"].to_numpy()), "y": typed_array(roc["tpr"].to_numpy()), "type": "scatter",
    }]
    if not math.isnan(youden.cutoff):
        data.append({
            "hovertemplate": (f"Youden cutoff: plasma CN {GE} {youden.cutoff:.2f} copies<br>PPA %{{y:.1%}}"
                              "<br>1 - NPA %{x:.1%}<extra></extra>"),
            "marker": {"color": ROC_MARK["youden"], "line": {"color": NEUTRAL["ink"], "width": 1}, "size": 13,
                       "symbol": "diamond"},
            "mode": "markers", "name": f"Youden cutoff {youden.cutoff:.2f} copies",
            "x": [youden.fpr], "y": [youden.tpr], "type": "scatter",
        })
    if cutoff is not None and point and not (math.isnan(point["tpr"]) or math.isnan(point["fpr"])):
        data.append({
            "hovertemplate": (f"slider: plasma CN {GE} {cutoff:g} copies<br>PPA %{{y:.1%}}<br>1 - NPA %{{x:.1%}}"
                              "<extra></extra>"),
            "marker": {"color": ROC_MARK["slider"], "line": {"width": 3}, "size": 16, "symbol": "circle-open"},
            "mode": "markers", "name": f"slider cutoff {cutoff:g} copies",
            "x": [point["fpr"]], "y": [point["tpr"]], "type": "scatter",
        })
    layout = base_layout_dict(title="Plasma ERBB2 CN vs tissue NGS amplification", height=480)
    layout["xaxis"].update(title={"text": "1 - NPA (tissue- called plasma+)"}, range=[-0.02, 1.02], tickformat=".0%")
    layout["yaxis"].update(title={"text": "PPA (tissue+ called plasma+)"}, range=[-0.02, 1.02], tickformat=".0%")
    return {"data": data, "layout": _subtitled(layout, f"{auc_text}; {auc.n_pos} tissue-amplified, {auc.n_neg} not")}


def detection_bar(detection_by_tf: pd.DataFrame) -> go.Figure:
    """Tissue-informed detection rate by plasma tumour-fraction stratum, with Wilson 95% CI error bars.

    Parameters
    ----------
    detection_by_tf
        :attr:`analysis.concordance.ConcordanceResult.detection_by_tf`; strata without tissue
        variants are left out of the chart (the table lists them).
    """
    shown = detection_by_tf[detection_by_tf["n_variants"] > 0] if len(detection_by_tf) else detection_by_tf
    if shown.empty:
        return empty_figure("No tissue mutation in a paired patient: no tissue-informed detection rate.")
    rate = shown["detection_rate"].astype(float)
    upper = (shown["ci_high"].astype(float) - rate).clip(lower=0)
    lower = (rate - shown["ci_low"].astype(float)).clip(lower=0)
    labels = [f"{d}/{v}" for d, v in zip(shown["n_detected"], shown["n_variants"], strict=True)]
    fig = go.Figure(
        go.Bar(
            x=shown["tumour_fraction_stratum"].astype(str),
            y=rate,
            marker_color=SOURCE["plasma"],
            error_y=dict(
                type="data", array=upper, arrayminus=lower, visible=True, color=NEUTRAL["ink"], thickness=1.5
            ),
            text=labels,
            textposition="inside",
            insidetextanchor="start",
            name="detected in plasma",
            customdata=np.column_stack(
                [
                    shown["n_detected"],
                    shown["n_variants"],
                    shown["n_patients"],
                    shown["ci_low"].astype(float),
                    shown["ci_high"].astype(float),
                ]
            ),
            hovertemplate=(
                "plasma tumour fraction %{x}<br>detected %{y:.1%} (%{customdata[0]} of %{customdata[1]} "
                "tissue variants, %{customdata[2]} patients)<br>95% CI %{customdata[3]:.1%}"
                f"{EN_DASH}%{{customdata[4]:.1%}}<extra></extra>"
            ),
        )
    )
    fig.update_xaxes(title_text="Plasma tumour fraction (baseline draw)")
    fig.update_yaxes(title_text="Tissue variants found in plasma (%)", range=[0, 1.05], tickformat=".0%")
    base_layout(
        fig, title="Tissue variants detected in plasma, by tumour fraction", height=400, legend_below=False
    )
    return with_subtitle(
        fig,
        f"Wilson 95% CI; {int(shown['n_variants'].sum())} tissue variants in "
        f"{int(shown['n_patients'].sum())} patients",
    )
