"""The patient timeline is built as plain plotly JSON: valid for plotly, and laid out as make_subplots would.

``patient_timeline`` returns a ``{"data": [...], "layout": {...}}`` dict built without graph_objects
(dashboard/figures/patient.py); these tests check plotly's own schema accepts it unchanged for every demo
patient, and the structure it must have: one trace per series, the day axes shared, one legend per panel,
the app's template carried in the layout, the empty state, and the print copy.

:func:`graph_figure` is the tests' way to read such a dict with attribute access (``fig.data[0].y``): the
dict's numeric columns are plotly.js typed arrays (base64), decoded here into numpy arrays first, as
graph_objects held them.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from _plotly_utils.utils import to_typed_array_spec
from plotly.io.json import to_json_plotly

from analysis.io.cbioportal import read_study
from analysis.params import AnalysisParameters
from analysis.patient import analyse_patient
from dashboard.figures import style
from dashboard.figures.patient import (
    ADJUSTED_NAME,
    CEA_NAME,
    OBSERVED_NAME,
    PANEL_TITLES,
    SIZE_NAME,
    patient_timeline,
)
from dashboard.figures.plotly_json import typed_array
from dashboard.figures.style import empty_figure, empty_figure_dict
from dashboard.report.figure import PRINT_WIDTH_PX, print_figure
from dashboard.views.patient import is_followed, vaf_tracks

PARAMS = AnalysisParameters()
#: plotly.js typed-array dtypes (``_plotly_utils.utils.plotlyjsShortTypes``, reversed).
_DTYPES = {"i1": "int8", "u1": "uint8", "i2": "int16", "u2": "uint16", "i4": "int32", "u4": "uint32",
           "f4": "float32", "f8": "float64"}


def decoded(value):
    """*value* (plotly JSON) with every typed array (``{"dtype", "bdata"}``) decoded into a numpy array."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=_DTYPES[value["dtype"]])
            if "shape" in value:
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return array
        return {key: decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decoded(item) for item in value]
    return value


def graph_figure(figure: dict) -> go.Figure:
    """A plotly JSON figure as graph_objects, its typed arrays decoded (for attribute access in tests)."""
    return go.Figure(decoded(figure))


def _json(figure) -> dict:
    return json.loads(to_json_plotly(figure))


@pytest.fixture(scope="module")
def demo(demo_study_dir):
    study = read_study(demo_study_dir)
    analysed = {pid: analyse_patient(study, pid, PARAMS) for pid in study.patients["patient_id"].astype(str)}
    return study, analysed


@pytest.fixture(scope="module")
def figures(demo):
    """Every followed demo patient's figure and a few not followed (those draw it too, from what they have)."""
    _, analysed = demo
    followed = [pid for pid, p in analysed.items() if is_followed(p)]
    others = [pid for pid, p in analysed.items() if not is_followed(p)][:4]
    assert len(followed) >= 10
    return {pid: (analysed[pid], patient_timeline(analysed[pid], vaf_tracks(analysed[pid]), PARAMS))
            for pid in followed + others}


def _p033(figures) -> tuple:
    """A patient with every panel filled (progression, CEA, tumour size, mechanism variants)."""
    pid = "P033" if "P033" in figures else next(iter(figures))
    return figures[pid]


def test_every_figure_is_plain_json_that_plotly_accepts_unchanged(figures):
    for pid, (_, figure) in figures.items():
        assert type(figure) is dict and set(figure) == {"data", "layout"}, pid
        plain = _json(figure)
        # plotly's own schema check: graph_objects raise on any unknown property or invalid value ...
        validated = go.Figure(figure)
        # ... and coerce nothing: the validated figure writes the same JSON.
        assert _json(validated.to_dict()) == plain, pid
        assert all(isinstance(trace, dict) and trace["type"] in ("scatter", "bar") for trace in figure["data"]), pid


def test_one_trace_per_series_and_variant_in_its_panel(figures):
    patient, figure = _p033(figures)
    names = [t["name"] for t in figure["data"]]
    for name in (OBSERVED_NAME, CEA_NAME, ADJUSTED_NAME, SIZE_NAME, "Treatment", "nadir", "rise"):
        assert names.count(name) == 1, name
    tracks = vaf_tracks(patient)
    labels = tracks["label"].unique()
    vaf = [t for t in figure["data"] if t["yaxis"] == "y6"]
    assert len(vaf) == len(labels) >= 2
    assert [t["name"].split(" (")[0] for t in vaf] == list(labels)
    rows = {OBSERVED_NAME: "y", CEA_NAME: "y2", ADJUSTED_NAME: "y3", SIZE_NAME: "y4", "Treatment": "y5"}
    for trace in figure["data"]:
        if trace["name"] in rows:
            assert trace["yaxis"] == rows[trace["name"]] and trace["xaxis"] == "x" + rows[trace["name"]][1:]
    # Decoded, the series are the patient's values.
    observed = next(t for t in graph_figure(figure).data if t.name == OBSERVED_NAME)
    draws = patient.trajectories.draws.sort_values("draw_day")
    assert list(observed.x) == list(draws["draw_day"]) and list(observed.y) == list(draws["erbb2_cn"])


def test_day_axes_shared_and_panels_stacked(figures):
    for pid, (_, figure) in figures.items():
        layout = figure["layout"]
        rows = len([key for key in layout if key.startswith("yaxis")])
        assert rows == len(PANEL_TITLES), pid
        for row in range(1, rows + 1):
            suffix = str(row) if row > 1 else ""
            xaxis, yaxis = layout[f"xaxis{suffix}"], layout[f"yaxis{suffix}"]
            assert xaxis["anchor"] == f"y{suffix}" and yaxis["anchor"] == f"x{suffix}", pid
            assert xaxis["domain"] == [0.0, 1.0] and xaxis["showticklabels"] is True
            assert xaxis.get("matches") == (f"x{rows}" if row < rows else None), pid
        assert layout[f"xaxis{rows}"]["title"]["text"] == "Days from first trastuzumab dose"
        domains = [layout[f"yaxis{row if row > 1 else ''}"]["domain"] for row in range(1, rows + 1)]
        assert domains[0][1] == 1.0 and domains[-1][0] == 0.0
        assert all(upper[0] > lower[1] for upper, lower in zip(domains, domains[1:], strict=False)), pid
        assert layout[f"yaxis{rows}"]["type"] == "log"
    # Without the purity adjustment: five panels, the same sharing.
    patient, _ = _p033(figures)
    five = patient_timeline(patient, vaf_tracks(patient), AnalysisParameters(purity_adjustment=False))["layout"]
    assert "yaxis6" not in five and five["xaxis"]["matches"] == "x5" and "matches" not in five["xaxis5"]


def test_each_panel_has_its_own_legend(figures):
    _, figure = _p033(figures)
    layout = figure["layout"]
    expected = {"y": "legend2", "y2": "legend3", "y3": "legend4", "y4": "legend5", "y5": "legend6", "y6": "legend"}
    for trace in figure["data"]:
        if trace.get("showlegend") is not False:
            assert trace["legend"] == expected[trace["yaxis"]], trace["name"]
    for yaxis, legend in expected.items():
        axis = layout["yaxis" + yaxis[1:]]
        assert layout[legend]["orientation"] == "h"
        if legend != "legend":  # on the panel's top edge; the VAF legend under the bottom day axis
            assert layout[legend]["y"] == axis["domain"][1] and layout[legend]["yanchor"] == "bottom"
    assert layout["legend"]["y"] < 0 and layout["showlegend"] is True
    titles = [a["name"] for a in layout["annotations"] if a.get("name", "").startswith("title-")]
    assert titles == [f"title-{key}" for key in PANEL_TITLES]


def test_the_template_and_base_look_are_in_the_figure(figures):
    _, figure = _p033(figures)
    layout = figure["layout"]
    assert layout["template"] == pio.templates[style.TEMPLATE].to_plotly_json()
    assert layout["template"]["layout"]["xaxis"]["gridcolor"] == "#EBF0F8"
    assert layout["font"] == style.FONT and layout["colorway"] == style.SEQUENCE
    assert layout["margin"] == {"t": layout["margin"]["t"], "b": layout["margin"]["b"], "l": 72, "r": 24}
    for key in [k for k in layout if k.startswith(("xaxis", "yaxis"))]:
        assert layout[key]["showline"] is True and layout[key]["ticks"] == "outside", key
        assert layout[key]["zeroline"] is False
    # Each figure gets its own layout parts (the template alone is shared, read-only).
    other = next(f for pid, (_, f) in figures.items() if f is not figure)
    assert other["layout"]["font"] is not layout["font"]
    assert other["layout"]["template"] is layout["template"]


def test_empty_state_is_the_apps_empty_figure():
    message = "No plasma draws, CEA values or imaging for this patient."
    built = empty_figure_dict(message)
    reference = empty_figure(message).to_dict()
    reference["layout"].pop("title")  # graph_objects write an empty title ({}): the same to plotly.js
    assert _json(built) == _json(reference)
    assert _json(go.Figure(built).to_dict()) == _json(built)


def test_print_copy_is_a_restyled_dict_and_leaves_the_page_figure_alone(figures):
    patient, figure = _p033(figures)
    before = _json(figure)
    printed = print_figure(figure)
    assert _json(figure) == before, "the page's figure is unchanged"
    assert type(printed) is dict and printed["layout"]["width"] == PRINT_WIDTH_PX
    font = printed["layout"]["font"]
    assert font["color"] == "#000000" and font["family"] == style.FONT["family"]
    go.Figure(printed)  # valid for plotly
    vaf = [t for t in printed["data"] if t["yaxis"] == "y6"]
    symbols = [t["marker"]["symbol"] for t in vaf]
    assert len(set(symbols)) == len(vaf) == len(vaf_tracks(patient)["label"].unique())
    assert all(t["marker"]["line"] == {"width": 1, "color": "#1D2329"} for t in vaf)
    shown = [k for k in printed["layout"] if k.startswith("xaxis") and printed["layout"][k]["showticklabels"]]
    assert shown == ["xaxis6"]
    assert printed["data"][0]["x"] == figure["data"][0]["x"] and printed["data"][0] is not figure["data"][0]


@pytest.mark.parametrize("values", [np.array([1.0, np.nan, -3.5]), pd.Series([1, 2, 300]), np.array([1, 2, -70000]),
                                    np.array([2**40]), np.array([], float), np.array(["a", "b"], object),
                                    np.array([1, 2], np.uint64), np.array([True, False]), np.array([1.5], np.float32)])
def test_numeric_columns_are_written_as_graph_objects_write_them(values):
    expected = to_typed_array_spec(np.asarray(values))
    expected = expected.tolist() if isinstance(expected, np.ndarray) else expected
    assert typed_array(values) == expected
    assert np.array_equal(decoded(typed_array(values)), np.asarray(values), equal_nan=values.dtype.kind == "f")
