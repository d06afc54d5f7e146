"""The patient timeline reads without scrolling: one palette, per-panel legends, marks, CEA and VAF ticks."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from analysis.answers import patient_answers
from analysis.her2_marks import her2_marks
from analysis.io.cbioportal import read_study
from analysis.params import AnalysisParameters
from analysis.patient import analyse_patient
from analysis.resistance import load_knowledge_base
from analysis.study import Study
from dashboard.figures.palette import MECHANISM_COLOURS, MUTED, SERIES, gene_colour, gene_colours
from dashboard.figures.patient import (
    ADJUSTED_NAME,
    CEA_NAME,
    OBSERVED_NAME,
    SIZE_NAME,
    nice_ticks,
    patient_timeline,
    vaf_ticks,
)
from dashboard.report import build_report
from dashboard.views.patient import vaf_tracks
from tests.conftest import PROJECT_ROOT, make_tiny_study
from tests.dashboard.colour_distance import delta_e
from tests.dashboard.test_patient_figure_dict import graph_figure

PARAMS = AnalysisParameters()


@pytest.fixture(scope="module")
def demo(demo_study_dir):
    study = read_study(demo_study_dir)
    truth = json.loads((demo_study_dir.parent / "demo.truth.json").read_text())["patients"]
    return study, truth


def acquired_with_lead(truth: dict) -> str:
    """P033 when the generator planted it so (acquired resistance, a molecular lead, two mechanisms)."""
    if truth.get("P033", {}).get("resistance_class") == "acquired" and truth["P033"]["molecular_lead_draw_day"]:
        return "P033"
    return next(pid for pid, p in sorted(truth.items())
                if p["resistance_class"] == "acquired" and p["molecular_lead_draw_day"] is not None)


def _figure(study: Study, pid: str, params: AnalysisParameters = PARAMS):
    patient = analyse_patient(study, pid, params)
    return patient, graph_figure(patient_timeline(patient, vaf_tracks(patient), params))


def _colour(trace) -> str:
    return (trace.line.color or trace.marker.color).upper()




# --------------------------------------------------------------------------- palette

def test_one_colour_per_series_and_mechanism_genes_unlike_every_fixed_series():
    fixed = [SERIES[k] for k in ("erbb2_cn", "erbb2_cn_adjusted", "cea", "tumour_size", "progression", "cutoff",
                                 "treatment")] + [MUTED]
    assert len({c.upper() for c in fixed}) == len(fixed), "every fixed series has its own colour"
    assert len(set(MECHANISM_COLOURS)) == len(MECHANISM_COLOURS)
    kb_genes = set(load_knowledge_base(PROJECT_ROOT / "data" / "resistance_kb.tsv").table["gene"].str.upper())
    for gene in kb_genes | {"SOMEGENE", "TP53"}:
        colour = gene_colour(gene)
        assert colour in MECHANISM_COLOURS
        # Not merely a different hex code: clearly different to the eye (CIE76 delta E).
        assert min(delta_e(colour, c) for c in fixed) > 20, (gene, colour)
    assert gene_colour("pik3ca") == gene_colour("PIK3CA")  # the same gene, the same colour, on every patient
    # The genes of one figure never share a colour while colours are left, whatever their stable colours.
    colours = gene_colours(sorted(kb_genes)[: len(MECHANISM_COLOURS)])
    assert len(set(colours.values())) == len(colours)
    assert gene_colours(["KRAS", "PIK3CA"]) == gene_colours(["KRAS", "PIK3CA"])


def test_series_keep_their_colour_in_every_panel_and_in_the_report_figure(demo):
    study, truth = demo
    pid = acquired_with_lead(truth)
    patient, fig = _figure(study, pid)
    traces = {t.name: t for t in fig.data}
    assert _colour(traces[OBSERVED_NAME]) == SERIES["erbb2_cn"].upper()
    assert _colour(traces[ADJUSTED_NAME]) == SERIES["erbb2_cn_adjusted"].upper()
    assert _colour(traces[CEA_NAME]) == SERIES["cea"].upper()
    assert _colour(traces[SIZE_NAME]) == SERIES["tumour_size"].upper()
    assert all(s.line.color == SERIES["progression"] for s in fig.layout.shapes if s.type == "line" and s.x0 == s.x1)
    # Mechanism variants in their gene's colour and bold; the others muted grey and thin.
    tracks = vaf_tracks(patient).drop_duplicates("label")
    mechanism = tracks[tracks["is_mechanism"]]
    others = tracks[~tracks["is_mechanism"]]
    assert len(mechanism) and len(others)
    gene_map = gene_colours(mechanism["gene"])
    for label, gene in zip(mechanism["label"], mechanism["gene"], strict=True):
        trace = traces[f"{label} (mechanism)"]
        assert trace.line.color == gene_map[gene.upper()] and trace.line.width >= 3
    for label in others["label"]:
        trace = next(t for name, t in traces.items() if name.startswith(label))
        assert trace.line.color == MUTED and trace.line.width < 2
    # The report prints the same figure: every series in the same colour.
    report = build_report(study, pid, patient=patient)
    printed = {t.name: t for t in graph_figure(report.figure).data if t.type == "scatter"}
    assert {OBSERVED_NAME, CEA_NAME, ADJUSTED_NAME, SIZE_NAME} <= set(printed)
    for name, trace in traces.items():
        if trace.type == "scatter" and trace.line.color:
            assert printed[name].line.color == trace.line.color, name


def test_each_panel_has_its_own_legend_right_above_it(demo):
    study, truth = demo
    _, fig = _figure(study, acquired_with_lead(truth))
    layout = fig.layout
    legends = {t.legend or "legend" for t in fig.data if t.showlegend is not False}
    assert len(legends) >= 4, "one legend per panel with a legend"
    cn = next(t for t in fig.data if t.name == OBSERVED_NAME)
    cea = next(t for t in fig.data if t.name == CEA_NAME)
    assert cn.legend != cea.legend
    # The CN panel's legend sits on the top edge of the CN panel (not below the figure).
    cn_domain = layout[f"yaxis{cn.yaxis[1:]}"].domain
    assert layout[cn.legend].y == pytest.approx(cn_domain[1]) and layout[cn.legend].yanchor == "bottom"
    titles = [a for a in layout.annotations if (a.name or "").startswith("title-")]
    assert [a.name for a in titles][:2] == ["title-cn", "title-cea"]
    assert titles[0].y == pytest.approx(cn_domain[1]) and titles[0].yshift > 0


# --------------------------------------------------------------------------- marks

def _sentence_days(text: str) -> dict[str, float]:
    days = {}
    if m := re.search(r"a nadir of ([0-9.]+) copies on day (-?[0-9.]+)", text):
        days["nadir"] = float(m.group(2))
    if m := re.search(r"rose to ([0-9.]+) copies on day (-?[0-9.]+)", text):
        days["rise"] = float(m.group(2))
    if m := re.search(r"radiological progression (?:on day|\(day) (-?[0-9.]+)", text):
        days["progression"] = float(m.group(1))
    if m := re.search(r"([0-9.]+) days before radiological progression", text):
        days["lead"] = float(m.group(1))
    return days


def test_nadir_rise_and_progression_marked_on_the_days_the_answer_states(demo):
    study, truth = demo
    pid = acquired_with_lead(truth)
    patient, fig = _figure(study, pid)
    said = _sentence_days(patient_answers(patient).her2_trajectory)
    assert {"nadir", "rise", "progression", "lead"} <= set(said), said
    assert said["progression"] == truth[pid]["progression_day"]
    marks = {a.name: a for a in fig.layout.annotations if a.name in ("nadir", "rise", "progression", "lead time")}
    assert set(marks) == {"nadir", "rise", "progression", "lead time"}
    assert marks["nadir"].x == said["nadir"] and f"day {said['nadir']:g}" in marks["nadir"].text
    assert marks["rise"].x == said["rise"] and f"day {said['rise']:g}" in marks["rise"].text
    assert f"day {said['progression']:g}" in marks["progression"].text
    assert f"lead time {said['lead']:g} days" == marks["lead time"].text
    cn_axis = next(t for t in fig.data if t.name == OBSERVED_NAME).xaxis
    assert marks["nadir"].xref == cn_axis and marks["rise"].xref == cn_axis  # on the CN panel
    # The progression scan is a line through every panel.
    lines = [s for s in fig.layout.shapes if s.type == "line" and s.x0 == s.x1 == said["progression"]]
    assert len(lines) == len({t.yaxis for t in fig.data})


def test_marks_agree_with_the_answer_for_every_demo_patient(demo):
    study, truth = demo
    for pid in sorted(truth):
        patient = analyse_patient(study, pid)
        said = _sentence_days(patient_answers(patient).her2_trajectory)
        marks = her2_marks(patient)
        assert marks.nadir_day == said.get("nadir"), pid
        assert marks.rise_day == said.get("rise"), pid
        if "lead" in said:
            assert marks.lead_time_days == said["lead"], pid
        if "progression" in said:
            assert marks.progression_day == said["progression"], pid


# --------------------------------------------------------------------------- axes

@pytest.mark.parametrize(("largest", "step", "top"), [(130.0, 50.0, 150.0), (14.4, 5.0, 15.0), (4.2, 2.0, 6.0),
                                                      (1000.0, 250.0, 1250.0), (0.8, 0.2, 1.0), (50.0, 20.0, 60.0)])
def test_cea_nice_ticks(largest, step, top):
    assert nice_ticks(largest) == (step, top)
    assert top > largest and (top / step) == pytest.approx(round(top / step))


def test_cea_has_its_own_panel_and_axis_with_nice_ticks(demo):
    study, truth = demo
    _, fig = _figure(study, acquired_with_lead(truth))
    cea = next(t for t in fig.data if t.name == CEA_NAME)
    axis = fig.layout[f"yaxis{cea.yaxis[1:]}"]
    assert axis.tick0 == 0 and axis.range[0] == 0
    assert axis.dtick in (1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500)
    intervals = axis.range[1] / axis.dtick
    assert axis.range[1] >= max(cea.y) and intervals == pytest.approx(round(intervals))
    # The amplification cutoff is on the CN axis; CEA never shares that panel.
    cutoff = next(s for s in fig.layout.shapes if s.type == "line" and s.y0 == s.y1 == PARAMS.plasma_amplification_cn)
    cn = next(t for t in fig.data if t.name == OBSERVED_NAME)
    assert cutoff.yref == cn.yaxis != cea.yaxis
    cn_domain, cea_domain = fig.layout[f"yaxis{cn.yaxis[1:]}"].domain, axis.domain
    assert cea_domain[1] < cn_domain[0], "CEA panel below the CN panel, no overlap"


def test_vaf_log_axis_has_percent_tick_labels(demo):
    study, truth = demo
    _, fig = _figure(study, acquired_with_lead(truth))
    vaf = next(name for name in fig.layout if name.startswith("yaxis") and fig.layout[name].type == "log")
    ticktext = list(fig.layout[vaf].ticktext)
    assert ticktext and all(re.fullmatch(r"[0-9.]+%", t) for t in ticktext)
    assert vaf_ticks(0.3, 40) == (0.1, 1, 10, 50)
    assert [f"{t:g}%" for t in vaf_ticks(0.8, 60)] == ["0.1%", "1%", "10%", "50%", "100%"]
    assert vaf_ticks(2, 9) == (2, 5, 10)


# --------------------------------------------------------------------------- escaping

def test_study_text_is_escaped_in_hover_legend_and_ticks():
    tiny = make_tiny_study()
    samples = tiny.samples.replace({"sample_id": {"P1-D2": "P1-D2<i>"}})
    variants = tiny.variants.replace({"sample_id": {"P1-D2": "P1-D2<i>"}, "protein_change": {"H1047R": "<b>X</b>"}})
    copy_number = tiny.copy_number.replace({"sample_id": {"P1-D2": "P1-D2<i>"}})
    timeline = tiny.timeline.replace({"sample_id": {"P1-D2": "P1-D2<i>"}, "agent": {"Trastuzumab": "T<script>"}})
    study = Study.from_tables(patients=tiny.patients, samples=samples, variants=variants, copy_number=copy_number,
                              timeline=timeline)
    _, fig = _figure(study, "P1")
    text = json.dumps(fig.to_plotly_json(), default=str)
    assert "<i>" not in text and "<b>X</b>" not in text and "<script>" not in text
    assert "P1-D2&lt;i&gt;" in text and "T&lt;script&gt;" in text


def test_figure_without_cea_or_variants_says_so_per_panel():
    tiny = make_tiny_study()
    timeline = tiny.timeline[tiny.timeline["event_type"] != "LAB_TEST"]
    study = Study.from_tables(patients=tiny.patients, samples=tiny.samples, variants=tiny.variants.iloc[0:0],
                              copy_number=tiny.copy_number, timeline=timeline)
    _, fig = _figure(study, "P1")
    notes = {a.text for a in fig.layout.annotations}
    assert "No CEA values recorded" in notes and "No plasma variants detected" in notes
    assert not any(pd.isna(list(t.y)).all() for t in fig.data if t.y is not None and len(t.y))
