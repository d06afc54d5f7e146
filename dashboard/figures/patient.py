"""The patient timeline: one day axis for ERBB2 copy number, CEA, tumour size, treatment and VAF."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.params import AnalysisParameters
from analysis.patient import PatientAnalysis
from dashboard.figures.style import COLOURS, SEQUENCE, base_layout, empty_figure, vaf_text

ROW_TITLES = (
    "Plasma ERBB2 copy number (copies) and CEA (ng/mL)",
    "Purity-adjusted ERBB2 copy number (copies per tumour cell)",
    "Tumour size: sum of target lesions (mm), RECIST 1.1",
    "Treatment",
    "Plasma variant allele fraction (%, log scale)",
)


def patient_timeline(patient: PatientAnalysis, tracks: pd.DataFrame, params: AnalysisParameters) -> go.Figure:
    """The patient page's main figure.

    Parameters
    ----------
    patient
        :class:`analysis.patient.PatientAnalysis`.
    tracks
        :func:`dashboard.views.patient.vaf_tracks` of the patient.
    params
        Parameters in force (the amplification cutoff line; purity adjustment on/off).
    """
    draws = patient.trajectories.draws.sort_values("draw_day")
    cea = patient.trajectories.cea.sort_values("day")
    imaging = patient.trajectories.imaging.sort_values("day")
    if draws.empty and cea.empty and imaging.empty:
        return empty_figure("No plasma draws, CEA values or imaging for this patient.")
    show_adjusted = params.purity_adjustment
    titles = [t for i, t in enumerate(ROW_TITLES) if show_adjusted or i != 1]
    rows = len(titles)
    heights = [0.30, 0.17, 0.19, 0.10, 0.24] if show_adjusted else [0.34, 0.22, 0.12, 0.32]
    specs = [[{"secondary_y": True}]] + [[{}] for _ in range(rows - 1)]
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.045, row_heights=heights,
                        subplot_titles=titles, specs=specs)
    row = {"cn": 1, "adjusted": 2 if show_adjusted else None}
    row["size"], row["treatment"], row["vaf"] = (3, 4, 5) if show_adjusted else (2, 3, 4)

    # Row 1: observed plasma ERBB2 CN, the amplification cutoff, CEA on the second axis.
    if len(draws):
        hover = [f"{sid}<br>day {day:g}<br>ERBB2 {cn:.2f} copies<br>tumour fraction {_pct(tf)}"
                 for sid, day, cn, tf in zip(draws["sample_id"], draws["draw_day"], draws["erbb2_cn"],
                                             draws["tumour_fraction"], strict=True)]
        fig.add_trace(go.Scatter(x=draws["draw_day"], y=draws["erbb2_cn"], mode="lines+markers",
                                 name="Plasma ERBB2 CN (observed, copies)", line=dict(color=COLOURS["erbb2_cn"],
                                                                                      width=3),
                                 marker=dict(size=9), hovertext=hover, hoverinfo="text"), row=1, col=1)
        fig.add_hline(y=params.plasma_amplification_cn, line=dict(color=COLOURS["cutoff"], dash="dash", width=1.5),
                      annotation_text=f"amplification cutoff {params.plasma_amplification_cn:g}",
                      annotation_position="top left", annotation_font_color="#5b6570", row=1, col=1)
    if len(cea):
        marker_symbol = np.where(cea["averaged"], "diamond", "circle")
        hover = [f"day {day:g}<br>CEA {value:.3g} ng/mL" + (f" (mean of {n} same-day values)" if avg else "")
                 for day, value, n, avg in zip(cea["day"], cea["cea"], cea["n_values"], cea["averaged"], strict=True)]
        fig.add_trace(go.Scatter(x=cea["day"], y=cea["cea"], mode="lines+markers", name="CEA (ng/mL)",
                                 line=dict(color=COLOURS["cea"], width=2, dash="dot"),
                                 marker=dict(size=8, symbol=marker_symbol), hovertext=hover, hoverinfo="text"),
                      row=1, col=1, secondary_y=True)
    fig.update_yaxes(title_text="ERBB2 (copies)", row=1, col=1, rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="CEA (ng/mL)", row=1, col=1, rangemode="tozero", secondary_y=True,
                     showgrid=False)

    # Row 2: purity-adjusted CN; draws whose tumour fraction is too low are marked, not plotted.
    if row["adjusted"] and len(draws):
        evaluable = draws[draws["erbb2_cn_adjusted"].notna()]
        hover = [f"{sid}<br>day {day:g}<br>{adj:.1f} copies per tumour cell<br>tumour fraction {_pct(tf)}"
                 for sid, day, adj, tf in zip(evaluable["sample_id"], evaluable["draw_day"],
                                              evaluable["erbb2_cn_adjusted"], evaluable["tumour_fraction"],
                                              strict=True)]
        fig.add_trace(go.Scatter(x=evaluable["draw_day"], y=evaluable["erbb2_cn_adjusted"], mode="lines+markers",
                                 name="ERBB2 CN purity-adjusted (copies per tumour cell)",
                                 line=dict(color=COLOURS["erbb2_cn_adjusted"], width=2),
                                 marker=dict(size=8, symbol="square"), hovertext=hover, hoverinfo="text"),
                      row=row["adjusted"], col=1)
        not_evaluable = draws[draws["erbb2_cn_adjusted"].isna()]
        if len(not_evaluable):
            fig.add_trace(go.Scatter(x=not_evaluable["draw_day"], y=np.zeros(len(not_evaluable)), mode="markers",
                                     name="not evaluable (tumour fraction < "
                                          f"{100 * params.min_tumour_fraction:g}%)",
                                     marker=dict(symbol="x-thin-open", size=10, color="#5b6570", line_width=2),
                                     hovertext=[f"{s}: tumour fraction {_pct(t)}, too low to adjust"
                                                for s, t in zip(not_evaluable["sample_id"],
                                                                not_evaluable["tumour_fraction"], strict=True)],
                                     hoverinfo="text"), row=row["adjusted"], col=1)
        fig.update_yaxes(title_text="copies", row=row["adjusted"], col=1, rangemode="tozero")

    # Row 3: tumour size with the RECIST call of each assessment.
    if len(imaging):
        labels = imaging["recist_response"].fillna("").astype(str)
        source = imaging["response_source"].fillna("").astype(str)
        text = [f"{call}*" if src == "derived" else call for call, src in zip(labels, source, strict=True)]
        hover = [f"day {day:g}<br>{size:g} mm ({_signed(pct)} from baseline)<br>RECIST {call or 'baseline'}"
                 + (" (derived from lesion sums)" if src == "derived" else "")
                 for day, size, pct, call, src in zip(imaging["day"], imaging["target_lesion_sum_mm"],
                                                      imaging["pct_change_from_baseline"], labels, source,
                                                      strict=True)]
        fig.add_trace(go.Scatter(x=imaging["day"], y=imaging["target_lesion_sum_mm"], mode="lines+markers+text",
                                 name="Tumour size (mm)", text=text, textposition="top center", cliponaxis=False,
                                 textfont=dict(size=12, color="#1d2329"),
                                 line=dict(color=COLOURS["tumour_size"], width=2.5), marker=dict(size=9),
                                 hovertext=hover, hoverinfo="text"), row=row["size"], col=1)
        fig.update_yaxes(title_text="mm", row=row["size"], col=1, rangemode="tozero")

    # Row 4: treatment bars.
    treatments = patient.treatments.dropna(subset=["start_day"])
    if len(treatments):
        last_day = float(np.nanmax([draws["draw_day"].max() if len(draws) else 0,
                                    imaging["day"].max() if len(imaging) else 0]))
        stop = treatments["stop_day"].fillna(last_day)
        fig.add_trace(go.Bar(y=treatments["agent"], x=stop - treatments["start_day"], base=treatments["start_day"],
                             orientation="h", marker_color="#8a96a3", name="Treatment", showlegend=False,
                             hovertext=[f"{a}: day {s:g} to {e:g}" for a, s, e in
                                        zip(treatments["agent"], treatments["start_day"], stop, strict=True)],
                             hoverinfo="text"), row=row["treatment"], col=1)

    # Row 5: VAF tracks on a log scale.
    if len(tracks):
        for i, (label, track) in enumerate(tracks.groupby("label", sort=False)):
            mechanism = bool(track["is_mechanism"].iloc[0])
            excluded = str(track["excluded"].iloc[0]) if "excluded" in track else ""
            why = f"<br>{excluded}" if excluded else ""
            hover = [f"{label}<br>{sid}, day {day:g}<br>VAF {vaf_text(vaf)} ({alt} / {depth} reads){why}"
                     for sid, day, vaf, alt, depth in zip(track["sample_id"], track["day"], track["vaf"],
                                                          track["t_alt_count"], track["depth"], strict=True)]
            # CHIP and likely germline variants: dotted, with the reason in the legend and on hover.
            mark = f" ({excluded.split(' (')[0].split(':')[0]}: not in tumour fraction)" if excluded else ""
            fig.add_trace(go.Scatter(x=track["day"], y=100 * track["vaf"], mode="lines+markers",
                                     name=f"{label}{' (mechanism)' if mechanism else ''}{mark}",
                                     line=dict(color=SEQUENCE[i % len(SEQUENCE)], width=3 if mechanism else 1.5,
                                               dash="dot" if excluded else "solid"),
                                     marker=dict(size=8 if mechanism else 6, symbol="circle-open" if excluded
                                                 else "circle"), hovertext=hover, hoverinfo="text"),
                          row=row["vaf"], col=1)
        fig.update_yaxes(type="log", title_text="VAF (%)", row=row["vaf"], col=1)
    else:
        fig.add_annotation(text="No plasma variants detected", xref="x domain", yref="y domain", x=0.5, y=0.5,
                           showarrow=False, row=row["vaf"], col=1, font=dict(color="#5b6570"))

    # Radiological progression across every row.
    progression = patient.trajectories.patients.get("progression_day", pd.Series(dtype=float)).dropna()
    if len(progression):
        day = float(progression.iloc[0])
        fig.add_vline(x=day, line=dict(color=COLOURS["progression"], width=2, dash="dash"))
        fig.add_annotation(x=day, y=1.0, xref="x", yref="paper", text=f"progression (day {day:g})",
                           showarrow=False, xanchor="left", yanchor="bottom", font=dict(color=COLOURS["progression"]))
    fig.update_xaxes(title_text="Days from first trastuzumab dose", row=rows, col=1)
    fig.update_xaxes(showticklabels=True)
    base_layout(fig, height=1050 if show_adjusted else 900)
    fig.update_layout(hovermode="closest", legend=dict(y=-0.07), margin=dict(t=60))
    for annotation in fig.layout.annotations[: len(titles)]:
        annotation.update(x=0, xanchor="left", font=dict(size=13, color="#1d2329"))
    return fig


def _pct(fraction: float) -> str:
    return "not estimated" if pd.isna(fraction) else f"{100 * fraction:.3g}%"


def _signed(pct: float) -> str:
    return "baseline" if pd.isna(pct) else f"{pct:+.0f}%"
