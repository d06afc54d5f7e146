"""Response page: view models, figure builders and click-to-patient on hand-built response results."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from analysis.params import AnalysisParameters
from analysis.response import PAIR_COLUMNS, ResponseResult, analyse_response, spearman_with_ci
from analysis.roc import auc_delong, delong_test
from analysis.trajectory import analyse_trajectories
from dashboard.callbacks.response import patient_from_click
from dashboard.figures.response import (
    LEAD_BIN_DAYS,
    LEAD_DOTS_MAX,
    change_scatter,
    her2_slope,
    lead_time_bins,
    lead_time_plot,
    progression_roc,
)
from dashboard.views.response import (
    ASSESSMENT_LABELS,
    assessment_table,
    auc_table,
    auc_text,
    correlation_table,
    delong_text,
    headline_facts,
    lead_time_summary,
    lead_time_table,
    response_view,
)

# Ten scans of five patients.  Scan 3 has no plasma draw within the window, scan 7 no CEA, scan 5 an
# averaged CEA.  PD at scans 2, 6 and 9.
SCANS = pd.DataFrame(
    {
        "patient_id": ["A", "A", "B", "B", "C", "C", "D", "D", "E", "E"],
        "imaging_day": [42.0, 84.0, 42.0, 84.0, 42.0, 84.0, 42.0, 84.0, 42.0, 84.0],
        "recist_response": ["PR", "PD", "SD", "SD", "PR", "PD", "SD", "SD", "PD", "SD"],
        "response_source": ["recorded"] * 9 + ["derived"],
        "progression": [False, True, False, False, False, True, False, False, True, False],
        "tumour_pct_change": [-35.0, 25.0, -10.0, 5.0, -50.0, 30.0, -20.0, -15.0, 40.0, 0.0],
        "sample_id": ["A1", "A2", "B1", None, "C1", "C2", "D1", "D2", "E1", "E2"],
        "draw_day": [40.0, 85.0, 41.0, np.nan, 43.0, 84.0, 42.0, 80.0, 44.0, 86.0],
        "erbb2_cn": [3.0, 6.0, 3.5, np.nan, 2.5, 5.0, 4.0, 3.8, 7.0, 4.5],
        "erbb2_cn_pct_change": [-40.0, 20.0, -12.0, np.nan, -30.0, 10.0, -5.0, -8.0, 35.0, -2.0],
        "erbb2_excess_pct_change": [-60.0, 30.0, -20.0, np.nan, -50.0, 15.0, -8.0, -12.0, 50.0, -3.0],
        "cea_day": [42.0, 84.0, 42.0, 84.0, 42.0, 84.0, 42.0, np.nan, 42.0, 84.0],
        "cea": [5.0, 9.0, 4.0, 4.5, 3.0, 3.2, 6.0, np.nan, 8.0, 7.0],
        "cea_averaged": [False, False, False, False, False, True, False, pd.NA, False, False],
        "cea_pct_change": [-20.0, 10.0, 5.0, 12.0, -40.0, -35.0, 15.0, np.nan, 30.0, 25.0],
    }
)


def make_response(pairs: pd.DataFrame = SCANS) -> ResponseResult:
    """A ResponseResult whose statistics come from the analysis functions on *pairs*."""
    pairs = pairs.astype({k: v for k, v in PAIR_COLUMNS.items() if k in pairs})
    labels = pairs["progression"].astype("boolean")
    measures = {"her2_cn": "erbb2_cn_pct_change", "cea": "cea_pct_change", "tumour_size": "tumour_pct_change"}
    correlations = pd.DataFrame(
        [
            {"measure_a": a, "measure_b": b, **spearman_with_ci(pairs[measures[a]], pairs[measures[b]])}
            for a, b in (("her2_cn", "tumour_size"), ("cea", "tumour_size"), ("her2_cn", "cea"))
        ]
    )
    aucs = []
    for measure in ("her2_cn", "cea"):
        res = auc_delong(pairs[measures[measure]].astype(float), labels)
        aucs.append(
            {
                "measure": measure,
                "auc": res.auc,
                "ci_low": res.ci_low,
                "ci_high": res.ci_high,
                "se": res.se,
                "n_pos": res.n_pos,
                "n_neg": res.n_neg,
            }
        )
    delong = delong_test(
        pairs["erbb2_cn_pct_change"].astype(float),
        pairs["cea_pct_change"].astype(float),
        labels,
        name_a="HER2 CN",
        name_b="CEA",
    )
    lead_times = pd.DataFrame(
        {
            "patient_id": pd.array(["A", "C", "E"], dtype="string"),
            "progression_day": [84.0, 84.0, 42.0],
            "rise_day": [70.0, np.nan, 44.0],
            "rise_erbb2_cn": [4.5, np.nan, 7.0],
            "nadir_before_rise": [3.0, np.nan, 4.2],
            "rise_threshold": [3.5, np.nan, 4.7],
            "lead_time_days": [14.0, np.nan, -2.0],
        }
    )
    per = pd.DataFrame(
        {
            "patient_id": pd.array(["A", "C", "E"], dtype="string"),
            "resistance_class": pd.array(["acquired", "acquired", "innate"], dtype="string"),
            "baseline_erbb2_cn": [5.0, 4.0, 4.5],
            "progression_erbb2_cn": [4.0, 3.0, 7.0],
            "change": [-1.0, -1.0, 2.5],
            "direction": pd.array(["lower", "lower", "higher"], dtype="string"),
        }
    )
    by_class = pd.DataFrame(
        [
            {
                "resistance_class": "innate",
                "n": 1,
                "n_higher": 1,
                "n_lower": 0,
                "n_equal": 0,
                "median_baseline_cn": 4.5,
                "median_progression_cn": 7.0,
                "median_change": 2.5,
                "wilcoxon_statistic": math.nan,
                "p_value": math.nan,
            },
            {
                "resistance_class": "acquired",
                "n": 2,
                "n_higher": 0,
                "n_lower": 2,
                "n_equal": 0,
                "median_baseline_cn": 4.5,
                "median_progression_cn": 3.5,
                "median_change": -1.0,
                "wilcoxon_statistic": 0.0,
                "p_value": 0.5,
            },
        ]
    )
    return ResponseResult(
        pairs=pairs,
        correlations=correlations,
        auc=pd.DataFrame(aucs),
        delong=delong,
        lead_times=lead_times,
        her2_at_progression=per,
        her2_by_class=by_class,
        summary=pd.DataFrame({"measure": [], "value": []}),
        caveats=("a caveat",),
    )


@pytest.fixture(scope="module")
def response() -> ResponseResult:
    return make_response()


def mann_whitney_auc(scores, labels) -> float:
    """AUC by counting every (progression, no progression) pair: the slow, obviously correct way."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y and not math.isnan(s)]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y and not math.isnan(s)]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_auc_texts_quote_estimate_ci_and_n(response):
    her2 = response.auc.set_index("measure").loc["her2_cn"]
    assert her2["auc"] == pytest.approx(mann_whitney_auc(SCANS["erbb2_cn_pct_change"], SCANS["progression"]))
    text = auc_text(response.auc, "her2_cn")
    assert text.startswith(f"AUC {her2['auc']:.2f} (95% CI {her2['ci_low']:.2f}\u2013{her2['ci_high']:.2f}; ")
    assert "3 scans with PD, 6 without" in text  # scan 3 has no draw
    assert "3 scans with PD, 6 without" in auc_text(response.auc, "cea")  # scan 7 has no CEA
    table = auc_table(response.auc)
    assert table["auc"].tolist() == [f"{v:.2f}" for v in response.auc["auc"]]


def test_delong_sentence_has_difference_ci_and_p(response):
    text = delong_text(response.delong)
    assert f"difference {response.delong.difference:.2f}" in text
    p = response.delong.p_value
    assert (f"p = {p:.2g}" in text) if p >= 0.001 else ("p < 0.001" in text and f"exact p = {p:.3g}" in text)
    assert f"{response.delong.n_pos} scans with PD and {response.delong.n_neg} without" in text


def test_delong_without_negatives_says_why():
    no_negatives = SCANS.assign(progression=True)
    text = delong_text(make_response(no_negatives).delong)
    assert text.startswith("DeLong test of HER2 CN vs CEA: not computed (")
    assert "AUC undefined" in auc_text(make_response(no_negatives).auc, "her2_cn")


def test_correlations_side_by_side(response):
    table = correlation_table(response.correlations)
    assert table["pair"].tolist() == [
        "Plasma HER2 CN vs tumour size (% change)",
        "CEA vs tumour size (% change)",
        "Plasma HER2 CN vs CEA (% change)",
    ]
    from scipy.stats import spearmanr

    keep = SCANS["erbb2_cn_pct_change"].notna()
    rho = spearmanr(SCANS.loc[keep, "erbb2_cn_pct_change"], SCANS.loc[keep, "tumour_pct_change"]).statistic
    assert table.loc[0, "rho"] == f"{rho:.2f}" and table.loc[0, "n"] == 9


def test_assessment_notes_explain_what_is_missing(response):
    table = assessment_table(response.pairs, 14)
    assert list(table.columns) == list(ASSESSMENT_LABELS)
    notes = table["note"].tolist()
    assert notes[3] == "no plasma draw within 14 days of this scan"
    assert notes[7] == "no CEA within 14 days of this scan"
    assert notes[5] == "same-day CEA values averaged"
    assert notes[9] == "RECIST derived from lesion sums"
    assert notes[0] == ""


def test_lead_time_median_and_n(response):
    summary = lead_time_summary(response.lead_times)
    assert summary["median"] == pytest.approx(np.median([14.0, -2.0]))
    assert (summary["n_with_rise"], summary["n_progressors"]) == (2, 3)
    assert "n = 2 progressors with a HER2 CN rise, of 3" in summary["text"]
    table = lead_time_table(response.lead_times)
    assert table["note"].tolist() == [
        "rise before progression",
        "no HER2 CN rise up to the end of the progression window",
        "rise after progression",
    ]
    empty = lead_time_summary(response.lead_times.iloc[0:0])
    assert math.isnan(empty["median"]) and "No patient progressed" in empty["text"]


def test_headline_cards_carry_both_aucs_and_the_delong_p(response):
    facts = {label: (value, detail) for value, label, detail in headline_facts(response)}
    her2 = facts["AUC for progression: plasma HER2 CN change"]
    assert (
        her2[0] == f"{response.auc.loc[0, 'auc']:.2f}" and "95% CI" in her2[1] and "n = 3 PD + 6" in her2[1]
    )
    assert "95% CI" in facts["AUC for progression: CEA change"][1]
    assert facts["scans after baseline"][0] == "10"


def test_scatter_colours_progression_and_carries_the_patient(response):
    corr = {"n": 9, "rho": 0.5, "ci_low": -0.2, "ci_high": 0.86, "p_value": 0.17}
    fig = change_scatter(response.pairs, "her2_cn", corr, 14)
    traces = {t.name: t for t in fig.data}
    pd_trace = traces["progression (PD) (n = 3)"]
    assert sorted(pd_trace.x) == [25.0, 30.0, 40.0]
    assert len(traces["no progression (n = 6)"].x) == 6  # scan 3 (no draw) is not drawn
    assert {row[0] for row in pd_trace.customdata} == {"A", "C", "E"}
    assert "Spearman rho 0.50 (95% CI -0.20\u20130.86)" in fig.layout.title.subtitle.text
    empty = change_scatter(response.pairs.assign(erbb2_cn_pct_change=np.nan), "her2_cn", corr, 14)
    assert "no plasma draw within 14 days of any scan after baseline" in empty.layout.annotations[0].text


def test_roc_curves_enclose_the_reported_aucs(response):
    fig = progression_roc(response.pairs, response.auc, response.delong)
    curves = [t for t in fig.data if t.name.startswith(("Plasma HER2 CN", "Serum CEA"))]
    assert len(curves) == 2
    for curve, column in zip(curves, ("erbb2_cn_pct_change", "cea_pct_change"), strict=True):
        area = np.trapezoid(np.asarray(curve.y, float), np.asarray(curve.x, float))
        assert area == pytest.approx(mann_whitney_auc(SCANS[column], SCANS["progression"]))
    assert "DeLong test HER2 CN vs CEA" in fig.layout.title.subtitle.text


def test_lead_time_plot_marks_median_and_progression(response):
    summary = lead_time_summary(response.lead_times)
    fig = lead_time_plot(response.lead_times, summary)
    assert sorted(fig.data[0].x) == [-2.0, 14.0]
    assert {s.x0 for s in fig.layout.shapes} == {0, summary["median"]}
    assert "1 without" in fig.layout.title.subtitle.text


def test_lead_time_bins_hold_every_lead_time_once():
    bins = lead_time_bins(pd.Series([-3.0, 0.0, 6.9, 7.0, 20.0, np.nan]), width=7.0)
    assert bins.to_dict("list") == {"start": [-7.0, 0.0, 7.0, 14.0], "stop": [0.0, 7.0, 14.0, 21.0],
                                    "n": [1, 2, 1, 1]}
    gap = lead_time_bins(pd.Series([0.0, 30.0]), width=7.0)
    assert gap["n"].tolist() == [1, 0, 0, 0, 1]  # the empty weeks between stay on the axis
    assert lead_time_bins(pd.Series([np.nan])).empty


def test_many_progressors_give_a_distribution_not_thousands_of_rows():
    rng = np.random.default_rng(3)
    n = LEAD_DOTS_MAX + 500
    days = rng.integers(-30, 120, n).astype(float)
    lead_times = pd.DataFrame({
        "patient_id": [f"P{i:05d}" for i in range(n)] + ["NORISE"],
        "lead_time_days": list(days) + [np.nan],
        "rise_day": 50.0, "progression_day": 100.0, "rise_erbb2_cn": 5.0, "rise_threshold": 4.5,
    })
    summary = lead_time_summary(lead_times)
    fig = lead_time_plot(lead_times, summary)
    (bars,) = fig.data
    assert bars.type == "bar" and sum(bars.y) == n
    assert fig.layout.height <= 500
    assert all(width == LEAD_BIN_DAYS for width in [bars.width])
    # the bar over days 0-6 counts exactly the lead times in [0, 7)
    assert bars.y[list(bars.x).index(3.5)] == int(((days >= 0) & (days < 7)).sum())
    assert "n = 560 progressors with a rise; 1 without" in fig.layout.title.subtitle.text
    assert {s.x0 for s in fig.layout.shapes} == {0, summary["median"]}
    # a click on a bar opens no patient (no id on it)
    assert patient_from_click({"points": [{"customdata": list(bars.customdata[0])}]}) is None
    few = lead_time_plot(lead_times.tail(LEAD_DOTS_MAX + 1), summary)
    assert few.data[0].type == "scatter" and len(few.data[0].y) == LEAD_DOTS_MAX


def test_her2_slope_one_line_per_progressor_per_class(response):
    fig = her2_slope(response.her2_at_progression, response.her2_by_class)

    def lines(traces):
        # Each patient is a (baseline, progression) pair; pairs are separated by gaps (None).
        return [(t.y[i], t.y[i + 1]) for t in traces for i in range(0, len(t.y), 3)]

    assert len(lines(fig.data)) == 3
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0].startswith("Innate resistance (n = 1): 1 higher, 0 lower")
    assert "Wilcoxon p not computed" in titles[0] and "Wilcoxon p = 0.5" in titles[1]
    acquired = lines([t for t in fig.data if t.xaxis == "x2"])
    assert len(acquired) == 2 and all(progression < baseline for baseline, progression in acquired)
    # the draws are numbers on an axis labelled with their names (categories drew 2x slower)
    assert {tuple(t.x[:3]) for t in fig.data} == {(0, 1, None)}
    assert [list(fig.layout[axis].ticktext) for axis in ("xaxis", "xaxis2")] == [["baseline", "progression"]] * 2


def test_click_on_a_point_names_the_patient():
    assert patient_from_click({"points": [{"customdata": ["P009", 42.0]}]}) == "P009"
    assert patient_from_click({"points": [{"x": 1}]}) is None
    assert patient_from_click(None) is None


def test_view_is_json_serialisable(response):
    view = response_view(response, AnalysisParameters())
    json.loads(pio.json.to_json_plotly(view))
    assert view["auc_her2_text"].startswith("Plasma HER2 CN: AUC ")
    assert view["caveats"] == ["a caveat"]


def test_an_empty_study_gives_explaining_figures(tiny_study):
    params = AnalysisParameters()
    empty = analyse_response(analyse_trajectories(tiny_study.__class__.from_tables()), params)
    view = response_view(empty, params)
    for key in ("scatter_cn", "scatter_cea", "roc", "lead_plot", "her2_slope"):
        assert view[key]["layout"]["annotations"], key
    assert "no imaging assessment after baseline" in view["scatter_cn"]["layout"]["annotations"][0]["text"]
    assert view["assessments"] == [] and view["lead_table"] == []
    assert "not computed" in view["delong_text"]
