"""The app's plotly template: plotly_white's look on every part the app's figures use, at a fraction of the cost."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard.figures import style
from dashboard.figures.patient import patient_timeline


def test_the_app_template_is_plotlys_default_once_the_figures_are_imported():
    assert pio.templates.default == style.TEMPLATE
    layout = go.Figure().to_dict()["layout"]
    assert layout["template"]["layout"]["plot_bgcolor"] == "white"


def _json(value):
    return value.to_plotly_json() if hasattr(value, "to_plotly_json") else value


@pytest.mark.parametrize("part", style._LAYOUT_PARTS)
def test_each_layout_part_kept_is_plotly_whites(part):
    """The same as plotly_white's, apart from the app's own axis defaults (next test)."""
    white = _json(pio.templates["plotly_white"].layout[part])
    ours = _json(pio.templates[style.TEMPLATE].layout[part])
    if part in ("xaxis", "yaxis"):
        ours = {key: value for key, value in ours.items() if key not in style.APP_AXIS_DEFAULTS}
    assert ours == white


@pytest.mark.parametrize("axis", ["xaxis", "yaxis"])
def test_every_axis_lets_its_tick_labels_be_without_measuring_them(axis):
    """plotly's default for a numeric axis measures each tick label after drawing it ("hide past div");
    the app's axes say "allow", in the template (graph_objects figures) and in its JSON (dict figures)."""
    assert "ticklabeloverflow" not in _json(pio.templates["plotly_white"].layout[axis])
    assert pio.templates[style.TEMPLATE].layout[axis].ticklabeloverflow == "allow"
    assert style.TEMPLATE_JSON["layout"][axis]["ticklabeloverflow"] == "allow"
    sent = go.Figure(go.Scatter(x=[1, 2], y=[3, 4])).to_dict()["layout"]["template"]["layout"][axis]
    assert sent["ticklabeloverflow"] == "allow"


@pytest.mark.parametrize("kind", style._TRACE_TYPES)
def test_each_trace_type_kept_has_plotly_whites_defaults(kind):
    white = [t.to_plotly_json() for t in pio.templates["plotly_white"].data[kind]]
    ours = [t.to_plotly_json() for t in pio.templates[style.TEMPLATE].data[kind]]
    assert ours == white


FIGURE_SOURCES = sorted((Path(style.__file__).parents[1]).rglob("*.py"))


def test_every_trace_type_the_app_draws_is_styled_by_the_template():
    """A trace type the template does not style (e.g. go.Scatterpolar) would lose plotly_white's look."""
    drawn = {name.lower() for path in FIGURE_SOURCES for name in re.findall(r"\bgo\.([A-Z][a-z]+)\(", path.read_text())
             } - {"figure"}
    assert drawn, "no trace constructor found: the scan is broken"
    assert drawn <= set(style._TRACE_TYPES)


def test_no_figure_uses_a_layout_part_the_template_dropped():
    """Polar, ternary, 3-D and map axes are styled by plotly_white but not by the app's template."""
    dropped = set(pio.templates["plotly_white"].layout.to_plotly_json()) - set(style._LAYOUT_PARTS)
    assert {"polar", "scene", "geo"} <= dropped
    for path in FIGURE_SOURCES:
        text = path.read_text()
        used = {part for part in dropped if re.search(rf"\b{part}\d*\s*=|[\"']{part}\d*[\"']", text)}
        assert not used, f"{path.name} uses {sorted(used)}"


def test_the_patient_timeline_keeps_the_look(demo_study_dir):
    from analysis.io.cbioportal import read_study
    from analysis.params import AnalysisParameters
    from analysis.patient import analyse_patient
    from dashboard.views.patient import is_followed, vaf_tracks

    study = read_study(demo_study_dir)
    params = AnalysisParameters()
    patient = next(p for p in (analyse_patient(study, pid, params) for pid in study.patients["patient_id"].astype(str))
                   if is_followed(p))
    layout = patient_timeline(patient, vaf_tracks(patient), params)["layout"]
    assert layout["template"]["layout"]["xaxis"]["gridcolor"] == "#EBF0F8"
    assert layout["template"]["data"]["scatter"][0]["type"] == "scatter"
