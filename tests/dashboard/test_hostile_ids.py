"""Ids and values that need escaping (issue 15.6): plotly text, Markdown links and URLs.

A study whose patient ids, a sample id and a clinical attribute value hold markup and URL-special
characters is analysed for real, and every figure of every page and report is built from it: no text of
the figure JSON may carry the raw markup (plotly would draw ``<b>`` bold and ``<a href>`` as a live
link), and the clicks, links and paths must give the ids back exactly.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import unquote

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from analysis.cohort import analyse_cohort
from analysis.io.cbioportal import read_study
from analysis.params import AnalysisParameters
from analysis.patient import analyse_patient
from dashboard.callbacks import resistance as resistance_callbacks
from dashboard.callbacks import response as response_callbacks
from dashboard.figures.oncoprint import oncoprint_figure
from dashboard.figures.patient import patient_timeline
from dashboard.figures.plotly_text import escape, escape_all, link, link_survives, template_text, unescape
from dashboard.figures.resistance import her2_slope_figure
from dashboard.figures.swimmer import swimmer_figure
from dashboard.report.cohort import cohort_figures
from dashboard.report.figure import print_figure
from dashboard.views.cohort import (
    CohortFilters,
    filter_patients,
    in_table_order,
    patient_from_click,
    patient_rows,
    patient_table,
    swimmer_view,
)
from dashboard.views.concordance import cutoff_view, static_view
from dashboard.views.markdown_text import markdown_escape, markdown_link
from dashboard.views.patient import vaf_tracks
from dashboard.views.patient_navigation import patient_href, patient_path
from dashboard.views.resistance import (
    her2_progression_frame,
    oncoprint_for_genes,
    oncoprint_view,
)
from dashboard.views.response import response_view
from dashboard.views.survival import ATTRIBUTE_GROUP, SurvivalChoice, survival_view
from tests.faults.faults import replace_values

#: Demo patients renamed (all innate progressors with a HER2 CN rise: Response lead-time plot, oncoprint, the
#: Cohort table filtered to innate resistance), a plasma sample and a clinical attribute value.
HOSTILE = {
    "P009": "P 1/a#b",
    "P043": "<b>X</b>",
    "P067": '<a href="https://example.org/">Z</a>',
    "P043-D1": "<i>S</i>",
    "diffuse": "<b>diffuse</b> 50%",
}
#: What must never reach a figure's text raw.
MARKUP = ("<b>X", "<a href=\"https://example.org", "<i>S", "<b>diffuse")


def hostile_study_dir(demo_study_dir: Path, target: Path) -> Path:
    """A copy of the demo study with the values of :data:`HOSTILE`."""
    shutil.copytree(demo_study_dir, target)
    assert replace_values(target, HOSTILE) > 0
    return target


@pytest.fixture(scope="module")
def hostile(demo_study_dir, tmp_path_factory):
    study = read_study(hostile_study_dir(demo_study_dir, tmp_path_factory.mktemp("hostile") / "study"))
    assert {"P 1/a#b", "<b>X</b>", HOSTILE["P067"]} <= set(study.patients["patient_id"].astype(str))
    params = AnalysisParameters()
    return study, params, analyse_cohort(study, params)


def strings(value, path: str = ""):
    """Every (path, string) of a figure's JSON; ``meta`` (never drawn) left out."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "meta":
                yield from strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, f"{path}[{i}]")


def figure_json(figure) -> dict:
    return json.loads(pio.to_json(go.Figure(figure), validate=False))


def markup_leaks(figure) -> list[tuple[str, str]]:
    """The (path, string) of *figure* that carry raw markup from the study."""
    return [(path, text) for path, text in strings(figure_json(figure)) if any(m in text for m in MARKUP)]


def _all_figures(study, params, cohort) -> dict:
    """Every figure of the pages and reports, built from the hostile study."""
    treatments = study.events("TREATMENT")
    rows = patient_rows(cohort.trajectories, cohort.resistance, treatments)
    innate = filter_patients(rows, CohortFilters(resistance_class="innate"))
    figures = {"swimmer": swimmer_figure(swimmer_view(innate, cohort.trajectories, treatments), "months",
                                         lambda pid: patient_href(pid, {"cutoff": "2.6"}))}
    oncoprint = oncoprint_for_genes(cohort.oncoprint, study, cohort.trajectories, cohort.resistance, params, None)
    view = oncoprint_view(oncoprint, cohort.trajectories, study, "pfs", "progressors")
    figures["oncoprint"] = oncoprint_figure(view.patient_ids, view.rows, view.cells, view.tracks, view.details,
                                            not_profiled=view.not_profiled)
    figures["resistance slope"] = her2_slope_figure(her2_progression_frame(cohort.trajectories),
                                                    params.plasma_amplification_cn)
    response = response_view(cohort.response, params, cohort.trajectories.patients)
    for key in ("scatter_cn", "scatter_cea", "roc", "lead_plot", "her2_slope"):
        figures[f"response {key}"] = response[key]
    concordance = cutoff_view(cohort.concordance, params.plasma_amplification_cn)
    figures["concordance scatter"], figures["concordance roc"] = concordance["scatter"], concordance["roc"]
    figures["concordance detection"] = static_view(cohort.concordance)["detection_figure"]
    figures["survival lauren"] = survival_view(cohort, study, SurvivalChoice(group=ATTRIBUTE_GROUP,
                                                                           attribute="lauren")).figure
    for pid in ("<b>X</b>", "P 1/a#b"):
        patient = analyse_patient(study, pid, params)
        timeline = patient_timeline(patient, vaf_tracks(patient), params)
        figures[f"patient {pid}"] = timeline
        figures[f"patient report {pid}"] = print_figure(timeline)
    for key, (_, figure) in cohort_figures(cohort).items():
        figures[f"cohort report {key}"] = figure
    return figures


@pytest.fixture(scope="module")
def figures(hostile) -> dict:
    return _all_figures(*hostile)


def test_no_figure_carries_markup_from_the_study(figures):
    leaks = {name: found[:2] for name, figure in figures.items() if (found := markup_leaks(figure))}
    assert not leaks, f"raw markup in {leaks}"
    texts = {name: [text for _, text in strings(figure_json(figure))] for name, figure in figures.items()}
    # The values are there, escaped (the test would pass on figures that left them out).
    lead_ids = figure_json(figures["response lead_plot"])["data"][0]["y"]  # the category axis' tick labels
    assert "&lt;b&gt;X&lt;/b&gt;" in lead_ids and "P 1/a#b" in lead_ids
    oncoprint = " ".join(texts["oncoprint"])
    assert "&lt;b&gt;X&lt;/b&gt;" in oncoprint and "&lt;a href=\"https://example.org/\"&gt;Z&lt;/a&gt;" in oncoprint
    assert "&lt;i&gt;S&lt;/i&gt;" in oncoprint  # the sample id in the cell's per-draw hover lines
    assert any("&lt;b&gt;diffuse&lt;/b&gt;" in t for t in texts["survival lauren"])
    assert any("&lt;i&gt;S&lt;/i&gt;" in t for t in texts["patient <b>X</b>"])
    # The swimmer's labels are the figure's own links; an id plotly cannot carry in a link (its path holds
    # %2F, %23, ...: plotly would encode them twice) is a plain label, escaped.
    ticks = figure_json(figures["swimmer"])["layout"]["yaxis"]["ticktext"]
    assert '<a href="/patient/P016?cutoff=2.6" target="_self">P016</a>' in ticks
    assert {"&lt;b&gt;X&lt;/b&gt;", "P 1/a#b", escape(HOSTILE["P067"])} <= set(ticks)


def test_clicks_give_the_ids_back(hostile, figures):
    study, _, _ = hostile
    lead = figure_json(figures["response lead_plot"])["data"][0]
    clicked = {response_callbacks.patient_from_click({"points": [{"customdata": c}]}) for c in lead["customdata"]}
    assert {"<b>X</b>", "P 1/a#b", HOSTILE["P067"]} <= clicked <= set(study.patients["patient_id"].astype(str))
    heat = figure_json(figures["oncoprint"])["data"][0]
    clicked = {unescape(c) for c in heat["customdata"][0]}
    assert {"<b>X</b>", "P 1/a#b", HOSTILE["P067"]} <= clicked
    column = heat["customdata"][0].index(escape("P 1/a#b"))
    href = resistance_callbacks.open_patient({"points": [{"customdata": heat["customdata"][0][column]}]},
                                             {"cutoff": "2.6"})
    assert href == "/patient/P%201%2Fa%23b?cutoff=2.6"
    swimmer = figure_json(figures["swimmer"])
    assert {patient_from_click({"points": [{"customdata": c}]}) for t in swimmer["data"] if t.get("customdata")
            for c in t["customdata"]} >= {"<b>X</b>", "P 1/a#b"}


def test_cohort_table_links_are_markdown_escaped_and_percent_encoded(hostile):
    study, params, cohort = hostile
    rows = patient_rows(cohort.trajectories, cohort.resistance, study.events("TREATMENT"))
    table = patient_table(in_table_order(filter_patients(rows, CohortFilters(resistance_class="innate"))),
                          patient_path)
    links = set(table["patient"])
    assert "[P 1\\/a\\#b](/patient/P%201%2Fa%23b)" in links
    assert "[\\<b\\>X\\<\\/b\\>](/patient/%3Cb%3EX%3C%2Fb%3E)" in links


# --------------------------------------------------------------------------- the helpers

@pytest.mark.parametrize("value", ["<b>X</b>", "P 1/a#b", '<a href="https://example.org/">Z</a>', "&lt;",
                                   "&amp;amp;", "50%{y}", "it's \"quoted\"", "", "P007"])
def test_escape_is_undone_exactly_and_leaves_no_tag(value):
    for escaped in (escape(value), template_text(value)):
        assert "<" not in escaped and ">" not in escaped
        assert unescape(escaped) == value
    assert "%{" not in template_text(value)
    assert escape_all([value, 3]) == [escape(value), "3"]


def test_escape_keeps_quotes_and_percent_readable():
    """plotly.js decodes &amp; &lt; &gt; and numeric entities, not &quot;: quotes stay as they are."""
    assert escape("it's 50% \"x\"") == "it's 50% \"x\""
    assert escape("a&b<c>") == "a&amp;b&lt;c&gt;"


def test_link_keeps_the_query_and_cannot_end_the_attribute():
    assert link('/patient/x"onclick=1', "<b>") == '<a href="/patient/x%22onclick=1" target="_self">&lt;b&gt;</a>'
    assert link("/patient/P?a=1&b=2", "P") == '<a href="/patient/P?a=1&b=2" target="_self">P</a>'
    assert link(patient_path("<i>é 1</i>"), "<i>é 1</i>") == "&lt;i&gt;é 1&lt;/i&gt;"  # %2F: no link
    assert link(patient_path("é 1!"), "é 1!") == '<a href="/patient/%C3%A9%201%21" target="_self">é 1!</a>'


@pytest.mark.parametrize("href", ["/patient/P%2F1", "/patient/P%231", "/patient/P?x=a%26b", "/patient/P%3f"])
def test_no_link_that_plotly_would_encode_twice(href):
    assert not link_survives(href) and "<a" not in link(href, "P")


@pytest.mark.parametrize("pid", ["P 1/a#b", "<b>X</b>", "a?b=c&d", "100%", "é/ü", "[x](y)"])
def test_patient_path_is_undone_by_one_unquote(pid):
    path = patient_path(pid)
    segment = path.removeprefix("/patient/")
    assert "/" not in segment and "#" not in segment and "?" not in segment
    assert unquote(segment) == pid


def test_markdown_escape_and_link():
    assert markdown_escape("*P_1* [x](y) `c` \\ <b>") == "\\*P\\_1\\* \\[x\\]\\(y\\) \\`c\\` \\\\ \\<b\\>"
    assert markdown_escape("two\nlines") == "two lines"
    assert markdown_link("P 1", "/patient/P%201") == "[P 1](/patient/P%201)"
    assert markdown_link("x", "/a b(c)<d>") == "[x](/a%20b%28c%29%3Cd%3E)"


def test_dash_passes_the_path_variable_still_encoded():
    """The patient page decodes its path variable once: Dash itself must not have decoded it already."""
    from dash._pages import _parse_path_variables

    path = patient_path("P 1/a#b%")
    assert _parse_path_variables(path.strip("/"), "patient/<patient_id>") == {"patient_id": "P%201%2Fa%23b%25"}
    assert unquote("P%201%2Fa%23b%25") == "P 1/a#b%"
