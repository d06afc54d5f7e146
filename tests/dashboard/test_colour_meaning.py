"""One colour meaning across the app (issue 11, item 3).

The colour map (:mod:`dashboard.figures.palette`) gives no colour two meanings; every figure, built from
the demo study, colours each meaning with the map's colour and uses no colour outside the map; the
stylesheets colour the same meanings with the same colours.  The concrete bugs cannot come back:
amplification, innate resistance and PFS progression shared one vermilion, deep deletion shared the
acquired-resistance blue.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict

import plotly.graph_objects as go
import pytest

from analysis.cohort import analyse_cohort
from analysis.io.cbioportal import read_study
from analysis.params import AnalysisParameters
from analysis.patient import analyse_patient
from dashboard.figures import palette
from dashboard.figures.concordance import AGREEMENT_GROUPS
from dashboard.figures.oncoprint import FREQUENCY_TITLE, GLYPHS, STATUS_MARKS, oncoprint_figure
from dashboard.figures.palette import (
    ALTERATION,
    NO_PROGRESSION,
    PFS,
    PROGRESSION,
    RESISTANCE_CLASS,
    SERIES,
    SOURCE,
    SURVIVAL_GROUPS,
)
from dashboard.figures.patient import OBSERVED_NAME, patient_timeline
from dashboard.figures.resistance import her2_slope_figure
from dashboard.figures.survival import BAND_FILL_OPACITY, km_traces
from dashboard.figures.swimmer import CLASS_STYLE, swimmer_figure
from dashboard.report import build_report
from dashboard.report.cohort import cohort_figures
from dashboard.views.cohort import patient_rows, swimmer_view
from dashboard.views.concordance import cutoff_view, static_view
from dashboard.views.patient import vaf_tracks
from dashboard.views.resistance import her2_progression_frame, oncoprint_view
from dashboard.views.response import response_view
from dashboard.views.survival import SurvivalChoice, survival_view
from tests.conftest import PROJECT_ROOT
from tests.dashboard.colour_distance import delta_e
from tests.dashboard.test_patient_figure import acquired_with_lead
from tests.dashboard.test_patient_figure_dict import graph_figure

PARAMS = AnalysisParameters()


# ----------------------------------------------------------------------------------------------- helpers



_RGBA = re.compile(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*([\d.]+)\s*)?\)")


def _hex(value: str) -> str:
    """``#RRGGBB`` (upper case) of a hex, short hex or rgb()/rgba() colour."""
    value = value.strip()
    match = _RGBA.fullmatch(value)
    if match:
        return "#" + "".join(f"{int(match.group(i)):02X}" for i in (1, 2, 3))
    h = value.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    assert re.fullmatch(r"[0-9A-Fa-f]{6}", h), f"not a colour: {value!r}"
    return "#" + h.upper()


_COLOUR_KEYS = {"color", "fillcolor", "fgcolor", "bgcolor", "bordercolor", "outlinecolor"}


def _colours_in(node, path: str = "") -> list[tuple[str, str]]:
    """Every ``(path, colour)`` in a figure-JSON subtree (strings and arrays under colour keys)."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _COLOUR_KEYS:
                values = value if isinstance(value, (list, tuple)) else [value]
                found += [(f"{path}.{key}", v) for v in values if isinstance(v, str)]
            elif key != "colorscale":
                found += _colours_in(value, f"{path}.{key}")
    elif isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            found += _colours_in(item, f"{path}[{i}]")
    return found


def _figure_json(figure) -> dict:
    return (figure if isinstance(figure, go.Figure) else go.Figure(figure)).to_plotly_json()


def _data_colours(figure) -> list[tuple[str, str]]:
    """The colours of a figure's traces and shapes (the marks that carry meaning; text and axes excluded)."""
    fig = _figure_json(figure)
    return _colours_in(fig.get("data", []), "data") + _colours_in(fig["layout"].get("shapes", []), "shapes")


def _traces(figure: go.Figure, name: str) -> list:
    return [t for t in figure.data if t.name == name]


def _colour(value) -> str:
    """The one colour of a trace's marker or line colour (a constant array collapses to its value)."""
    values = set(value) if isinstance(value, (list, tuple)) or hasattr(value, "tolist") else {value}
    assert len(values) == 1, values
    return _hex(str(values.pop()))


# ----------------------------------------------------------------------------------------------- the map

def test_alteration_colours_are_cbioportals():
    # cbioportal-frontend, src/shared/components/oncoprint/geneticrules.ts (CNA_COLOR_AMP, CNA_COLOR_GAIN,
    # CNA_COLOR_HOMDEL, CNA_COLOR_HETLOSS, MUT_COLOR_MISSENSE, MUT_COLOR_TRUNC, MUT_COLOR_INFRAME,
    # STRUCTURAL_VARIANT_COLOR / MUT_COLOR_FUSION, MUT_COLOR_OTHER).
    assert {k: v.upper() for k, v in ALTERATION.items()} == {
        "amplification": "#FF0000", "gain": "#FFB6C1", "deletion": "#0000FF", "shallow_deletion": "#8FD8D8",
        "missense": "#008000", "truncating": "#000000", "inframe": "#993404", "structural_variant": "#8B00C9",
        "other_mutation": "#CF58BC",
    }
    # The oncoprint's glyphs are drawn in them.
    for kind, (_, colour, _) in GLYPHS.items():
        if kind in ALTERATION:
            assert colour == ALTERATION[kind], kind


def test_no_colour_has_two_meanings():
    by_colour: dict[str, set] = defaultdict(set)
    for meaning, colour in palette.meaning_colours().items():
        by_colour[colour].add(meaning)
    for colour, meanings in by_colour.items():
        if len(meanings) > 1:
            assert any(meanings <= same for same in palette.SAME_MEANING), (colour, sorted(meanings))
    # A meaning's colour is never a neutral one (ink, axes, empty cells) either.
    neutral = {c.upper() for c in palette.NEUTRAL.values()}
    assert not neutral & set(palette.meaning_colours().values()) - {ALTERATION["truncating"]}
    assert ALTERATION["truncating"].upper() not in neutral


def test_the_meanings_of_the_issue_look_different():
    """Alteration types, resistance classes, plasma/tissue, progression and survival groups: every two of
    them differ by a CIE76 delta E above 20, not merely by a hex code."""
    colours = {**{f"alteration {k}": v for k, v in ALTERATION.items()},
               **{f"class {k}": v for k, v in RESISTANCE_CLASS.items()},
               **{f"source {k}": v for k, v in SOURCE.items()},
               "progression": PROGRESSION,
               **{f"survival group {i}": v for i, v in enumerate(SURVIVAL_GROUPS)}}
    close = [(a, b, round(delta_e(colours[a], colours[b]), 1)) for a, b in itertools.combinations(colours, 2)
             if delta_e(colours[a], colours[b]) <= 20]
    assert not close


def test_the_reported_clashes_are_gone():
    # Amplification, innate and PFS progression were one vermilion; deep deletion was the acquired blue.
    clash = [ALTERATION["amplification"], RESISTANCE_CLASS["innate"], PFS["progression"]]
    assert len({c.upper() for c in clash}) == 3
    assert all(delta_e(a, b) > 20 for a, b in itertools.combinations(clash, 2))
    assert ALTERATION["deletion"].upper() != RESISTANCE_CLASS["acquired"].upper()
    assert delta_e(ALTERATION["deletion"], RESISTANCE_CLASS["acquired"]) > 20
    # Plasma and tissue are not an alteration or a class either.
    for source in SOURCE.values():
        assert min(delta_e(source, c) for c in [*ALTERATION.values(), *RESISTANCE_CLASS.values()]) > 20


def test_survival_curves_and_marks_read_against_white():
    # WCAG 2 non-text contrast (3:1): every survival group colour, progression, plasma; and the ratio itself.
    assert all(palette.contrast_on_white(c) >= 3 for c in [*SURVIVAL_GROUPS, PROGRESSION, SOURCE["plasma"]])
    assert palette.contrast_on_white("#FFFFFF") == pytest.approx(1) and palette.contrast_on_white("#000000") == 21


def test_figure_code_names_no_colour_of_its_own():
    """Every colour of the figure modules and the report figures comes from the palette, by name."""
    dashboard = PROJECT_ROOT / "dashboard"
    sources = [*(dashboard / "figures").glob("*.py"), dashboard / "report" / "figure.py"]
    literal = re.compile(r"""["']#[0-9A-Fa-f]{3,6}["']|rgba?\(\s*\d""")
    found = {path.name: literal.findall(path.read_text()) for path in sources if path.name != "palette.py"}
    assert {name: hits for name, hits in found.items() if hits} == {}
    assert len(found) >= 9


def test_stylesheets_colour_the_meanings_with_the_maps_colours():
    css = (PROJECT_ROOT / "assets" / "style.css").read_text()
    variables = {name: value.upper() for name, value in re.findall(r"--([a-z0-9-]+):\s*(#[0-9A-Fa-f]{6})", css)}
    expected = {"plasma": SOURCE["plasma"], "tissue": SOURCE["tissue"], "her2-cn": SERIES["erbb2_cn"],
                "cea": SERIES["cea"], "agreement": palette.AGREEMENT["both"],
                "innate": RESISTANCE_CLASS["innate"], "acquired": RESISTANCE_CLASS["acquired"],
                "no-progression": NO_PROGRESSION, "unknown": palette.UNKNOWN, "progression": PROGRESSION}
    assert {k: variables.get(k) for k in expected} == {k: v.upper() for k, v in expected.items()}
    # The pages' meaning colours go through the variables, never a copied hex code.
    response = (PROJECT_ROOT / "assets" / "response.css").read_text()
    assert "var(--her2-cn)" in response and "var(--cea)" in response
    concordance = (PROJECT_ROOT / "assets" / "concordance.css").read_text()
    for cell, variable in (("cell-a", "agreement"), ("cell-b", "plasma"), ("cell-c", "tissue")):
        rule = next(line for line in concordance.splitlines() if f"td.{cell}" in line and "background" in line)
        assert f"var(--{variable})" in rule, rule
    meaning_hex = set(palette.meaning_colours().values())
    for text in (response, concordance):
        assert not {_hex(h) for h in re.findall(r"#[0-9A-Fa-f]{6}\b", text)} & meaning_hex


# ------------------------------------------------------------------------------ figures of the demo study

@pytest.fixture(scope="module")
def demo(demo_study_dir):
    study = read_study(demo_study_dir)
    return study, analyse_cohort(study, PARAMS)


@pytest.fixture(scope="module")
def oncoprint(demo):
    study, cohort = demo
    view = oncoprint_view(cohort.oncoprint, cohort.trajectories, study, show="all")
    return oncoprint_figure(view.patient_ids, view.rows, view.cells, view.tracks, view.details,
                            not_profiled=view.not_profiled)


@pytest.fixture(scope="module")
def swimmer(demo):
    study, cohort = demo
    treatments = study.events("TREATMENT")
    rows = patient_rows(cohort.trajectories, cohort.resistance, treatments)
    return swimmer_figure(swimmer_view(rows, cohort.trajectories, treatments))


@pytest.fixture(scope="module")
def survival(demo):
    study, cohort = demo
    return {group: go.Figure(survival_view(cohort, study, SurvivalChoice(group=group)).figure)
            for group in ("resistance_class", "mechanism_count")}


@pytest.fixture(scope="module")
def every_figure(demo, oncoprint, swimmer, survival, demo_study_dir):
    """Every figure of every page and report, from the demo study: name -> figure."""
    study, cohort = demo
    figures: dict = {"oncoprint": oncoprint, "swimmer": swimmer,
                     **{f"km {group}": fig for group, fig in survival.items()}}
    response = response_view(cohort.response, PARAMS, cohort.trajectories.patients)
    figures |= {f"response {k}": response[k] for k in ("scatter_cn", "scatter_cea", "roc", "lead_plot",
                                                        "her2_slope")}
    cut = cutoff_view(cohort.concordance, PARAMS.plasma_amplification_cn)
    figures |= {"concordance scatter": cut["scatter"], "concordance roc": cut["roc"],
                "concordance detection": static_view(cohort.concordance)["detection_figure"]}
    figures["resistance slope"] = her2_slope_figure(her2_progression_frame(cohort.trajectories),
                                                    PARAMS.plasma_amplification_cn)
    # A patient with progression, CEA, tumour size and mechanism variants on a log VAF axis.
    truth = json.loads((demo_study_dir.parent / "demo.truth.json").read_text())["patients"]
    pid = acquired_with_lead(truth)
    patient = analyse_patient(study, pid, PARAMS)
    figures["patient timeline"] = graph_figure(patient_timeline(patient, vaf_tracks(patient), PARAMS))
    figures["patient report"] = graph_figure(build_report(study, pid, patient=patient).figure)
    figures |= {f"cohort report {k}": fig for k, (_, fig) in cohort_figures(cohort).items()}
    return figures


def test_every_figure_uses_only_the_maps_colours(every_figure):
    allowed = palette.all_colours()
    outside = {name: sorted({_hex(c) for _, c in _data_colours(fig)} - allowed)
               for name, fig in every_figure.items()}
    assert {name: found for name, found in outside.items() if found} == {}
    assert len(every_figure) >= 15


def test_oncoprint_colours_each_meaning_from_the_map(oncoprint):
    drawn = {t.name: t for t in oncoprint.data}
    shown = 0
    for kind, (label, _, _) in GLYPHS.items():
        if label in drawn and kind in ALTERATION:
            assert _colour(drawn[label].marker.color) == _hex(ALTERATION[kind]), kind
            shown += 1
    assert shown >= 3 and "Amplification" in drawn
    # HER2 loss: an open cell outlined in the amplification red.
    if "HER2 loss at progression" in drawn:
        loss = drawn["HER2 loss at progression"].marker
        assert _hex(loss.line.color) == _hex(ALTERATION["amplification"]) and _colour(loss.color) == "#FFFFFF"
    # Resistance-class track, PFS track, side bars: the map's colours.
    for cls in ("innate", "acquired", "none"):
        assert _colour(drawn[cls].marker.color) == _hex(RESISTANCE_CLASS[cls]), cls
    assert _colour(drawn["PFS: progression"].marker.color) == _hex(PFS["progression"])
    assert _colour(drawn["PFS: censored"].marker.color) == _hex(PFS["censored"])
    for label, (_, _, fill, _) in STATUS_MARKS.items():
        del label
        assert _hex(fill) in palette.all_colours()
    side = drawn["frequency"]
    sources = [row[1] for row in side.customdata]
    assert [_hex(c) for c in side.marker.color] == [_hex(SOURCE[s]) for s in sources]
    # The side bars say what they show: an axis title, "67%" on the bar and "67% (n=2)" on hover.
    assert oncoprint.layout.xaxis4.title.text == FREQUENCY_TITLE
    for text, row in zip(side.text, side.customdata, strict=True):
        assert re.fullmatch(r"\d+%", text) and row[5] == f"{text} (n={row[2]})"
    # The bug: the amplification glyph, the innate track and the PFS progression bar had one colour.
    assert len({_colour(drawn[n].marker.color) for n in ("Amplification", "innate", "PFS: progression")}) == 3


def test_swimmer_colours_classes_and_progression_from_the_map(swimmer):
    drawn = {t.name: t for t in swimmer.data}
    for cls, (label, _) in CLASS_STYLE.items():
        if label in drawn:
            assert _colour(drawn[label].marker.color) == _hex(RESISTANCE_CLASS[cls])
    assert _colour(drawn["Progression"].marker.color) == _hex(PROGRESSION)
    # A pale class colour (below 3:1 against white) gets an ink edge, so that its bar still has an outline.
    for cls, (label, colour) in CLASS_STYLE.items():
        if label in drawn:
            line = drawn[label].marker.line
            pale = palette.contrast_on_white(colour) < 3
            assert bool(line.width) == pale and (not pale or _hex(line.color) == _hex(palette.NEUTRAL["ink"])), cls
    assert _colour(drawn["Treatment (hover for agents)"].marker.color) == _hex(SERIES["treatment"])


def test_survival_groups_keep_their_colours_and_bands_stay_readable(survival):
    by_class = survival["resistance_class"]
    curves = km_traces(by_class, "km")
    assert {t.meta["group"] for t in curves} >= {"innate", "acquired"}
    for trace in curves:
        assert _hex(trace.line.color) == _hex(palette.survival_group_colour(trace.meta["group"], 0))
    by_count = survival["mechanism_count"]
    curves = km_traces(by_count, "km")
    assert [_hex(t.line.color) for t in curves] == [_hex(c) for c in SURVIVAL_GROUPS[:len(curves)]]
    # Bands: a light fill (overlaps stay readable) and dotted edges in the group's colour.
    for fig in survival.values():
        colour_of = {t.meta["group"]: _hex(t.line.color) for t in km_traces(fig, "km")}
        bands = km_traces(fig, "band")
        assert len(bands) == 2 * len(colour_of)
        for band in bands:
            assert band.line.dash == "dot" and band.line.width and band.line.width > 0
            assert _hex(band.line.color) == colour_of[band.meta["group"]]
            if band.fill:
                alpha = float(_RGBA.fullmatch(band.fillcolor).group(4))
                assert alpha == BAND_FILL_OPACITY <= 0.1
                assert _hex(band.fillcolor) == colour_of[band.meta["group"]]


def test_pages_colour_progression_plasma_and_tissue_alike(every_figure):
    # Response: PD scans in the progression colour, the others in the no-progression grey.
    scatter = go.Figure(every_figure["response scatter_cn"])
    pd_trace = next(t for t in scatter.data if t.name.startswith("progression (PD)"))
    other = next(t for t in scatter.data if t.name.startswith("no progression"))
    assert _colour(pd_trace.marker.color) == _hex(PROGRESSION) and _colour(other.marker.color) == _hex(NO_PROGRESSION)
    # Concordance: plasma-only calls in the plasma colour, tissue-only in the tissue colour.
    concordance = go.Figure(every_figure["concordance scatter"])
    for key, source in (("plasma_only", "plasma"), ("tissue_only", "tissue")):
        for trace in concordance.data:
            if trace.name and trace.name.startswith(AGREEMENT_GROUPS[key][0]):
                assert _colour(trace.marker.color) == _hex(SOURCE[source])
    # Patient timeline: plasma ERBB2 CN in the plasma colour, the progression line in the progression colour.
    timeline = every_figure["patient timeline"]
    assert _hex(next(t for t in timeline.data if t.name == OBSERVED_NAME).line.color) == _hex(SOURCE["plasma"])
    lines = [s for s in timeline.layout.shapes if s.type == "line" and s.x0 == s.x1]
    assert lines and all(_hex(s.line.color) == _hex(PROGRESSION) for s in lines)
    drawn = {_hex(c) for _, c in _data_colours(timeline)}
    assert {_hex(SERIES[k]) for k in ("erbb2_cn", "cea", "tumour_size", "progression", "treatment")} <= drawn


def test_vaf_log_axes_read_in_percent(every_figure):
    """Wherever VAF is on a log axis (patient page and its printed report): ticks such as 1%, 10%, 50%."""
    seen = 0
    for name in ("patient timeline", "patient report"):
        layout = every_figure[name].layout
        for key in [k for k in layout if k.startswith("yaxis")]:
            axis = layout[key]
            if axis.type != "log":
                continue
            seen += 1
            assert axis.title.text == "VAF" and axis.tickmode == "array" and axis.dtick is None, name
            assert len(axis.tickvals) >= 2
            assert list(axis.ticktext) == [f"{v:g}%" for v in axis.tickvals]
    assert seen == 2
