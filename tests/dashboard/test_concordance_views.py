"""Concordance page: view models, figure builders and 2x2 rendering on a small study with known answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from analysis.concordance import concordance_analysis
from analysis.params import AnalysisParameters
from analysis.study import Study, StudyMeta
from dashboard.callbacks.concordance import two_by_two_table
from dashboard.figures.concordance import cn_scatter, detection_bar, roc_figure
from dashboard.views.concordance import (
    DETECTION_LABELS,
    PER_GENE_LABELS,
    PER_PATIENT_LABELS,
    cutoff_view,
    detection_table,
    format_fixed,
    format_p,
    her2_agreement_at,
    per_gene_table,
    per_patient_table,
    plasma_calls_at,
    slider_spec,
    slider_value_for,
    static_view,
    statistics_table,
)
from tests.dashboard.test_patient_figure_dict import graph_figure

# Eight patients, baseline plasma and tissue each.  Tissue NGS amplified (>= 4 copies): P3, P4, P6, P7, P8.
# Pathology: HER2_STATUS given for all but P8 (IHC 2+ with FISH 2.5 -> positive).
PLASMA_CN = [1.9, 2.1, 2.3, 2.5, 2.8, 3.5, 6.0, 2.2]
TISSUE_CN = [2.0, 2.2, 5.0, 6.0, 3.0, 8.0, 12.0, 4.5]
HER2_STATUS = ["NEGATIVE", "NEGATIVE", "POSITIVE", "POSITIVE", "POSITIVE", "POSITIVE", "POSITIVE", None]
PATIENTS = [f"P{i}" for i in range(1, 9)]


def make_concordance_study(plasma_cn=PLASMA_CN, tissue_cn=TISSUE_CN) -> Study:
    n = len(plasma_cn)
    ids = PATIENTS[:n]
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "her2_status": HER2_STATUS[:n],
            "her2_ihc": ["1+", "0", "3+", "3+", "2+", "3+", "3+", "2+"][:n],
            "her2_fish_ratio": [1.0, 1.1, 5.0, 6.0, 2.2, 7.0, 9.0, 2.5][:n],
            "pfs_months": [6.0] * n,
            "pfs_event": [True] * n,
            "os_months": [12.0] * n,
            "os_event": [False] * n,
        }
    )
    samples = pd.DataFrame(
        {
            "sample_id": [f"{p}-T" for p in ids] + [f"{p}-B0" for p in ids],
            "patient_id": ids + ids,
            "sample_type": ["tissue"] * n + ["plasma"] * n,
            "collection_day": [-30.0] * n + [-2.0] * n,
            "timepoint": ["BASELINE"] * (2 * n),
        }
    )
    copy_number = pd.DataFrame(
        {
            "sample_id": [f"{p}-T" for p in ids] + [f"{p}-B0" for p in ids],
            "gene": ["ERBB2"] * (2 * n),
            "copy_number": list(tissue_cn) + list(plasma_cn),
            "log2_ratio": [math.log2(c / 2) for c in list(tissue_cn) + list(plasma_cn)],
            "cna_discrete": [2 if c >= 4 else 0 for c in tissue_cn]
            + [2 if c >= 2.4 else 0 for c in plasma_cn],
        }
    )
    # TP53 R175H in every tissue sample; found in plasma of the first five patients only.
    variants = pd.DataFrame(
        {
            "sample_id": [f"{p}-T" for p in ids] + [f"{p}-B0" for p in ids[:5]],
            "gene": ["TP53"] * (n + min(n, 5)),
            "chromosome": ["17"] * (n + min(n, 5)),
            "start_position": [7578406] * (n + min(n, 5)),
            "reference_allele": ["C"] * (n + min(n, 5)),
            "tumor_seq_allele": ["T"] * (n + min(n, 5)),
            "variant_classification": ["Missense_Mutation"] * (n + min(n, 5)),
            "protein_change": ["R175H"] * (n + min(n, 5)),
            "t_ref_count": [300] * n + [950] * min(n, 5),
            "t_alt_count": [100] * n + [50] * min(n, 5),
            "depth": [400] * n + [1000] * min(n, 5),
            "vaf": [0.25] * n + [0.05] * min(n, 5),
        }
    )
    return Study.from_tables(
        patients=patients,
        samples=samples,
        variants=variants,
        copy_number=copy_number,
        meta=StudyMeta(study_id="concordance-test", name="Concordance test"),
    )


@pytest.fixture(scope="module")
def concordance():
    return concordance_analysis(make_concordance_study(), AnalysisParameters())


def naive_counts(plasma_cn, comparator, cutoff):
    """Count a, b, c, d by hand: rows plasma call (CN >= cutoff), columns comparator."""
    a = b = c = d = 0
    for cn, comp in zip(plasma_cn, comparator, strict=True):
        called = cn >= cutoff
        a += called and comp
        b += called and not comp
        c += (not called) and comp
        d += (not called) and not comp
    return a, b, c, d


TISSUE_AMP = [t >= 4.0 for t in TISSUE_CN]
PATHOLOGY = [False, False, True, True, True, True, True, True]


def test_at_the_analysis_cutoff_the_slider_view_equals_the_analysis(concordance):
    ngs, pathology = her2_agreement_at(concordance, AnalysisParameters().plasma_amplification_cn)
    for mine, theirs in ((ngs, concordance.her2_tissue_ngs), (pathology, concordance.her2_pathology)):
        assert (mine.a, mine.b, mine.c, mine.d, mine.n) == (theirs.a, theirs.b, theirs.c, theirs.d, theirs.n)
        assert mine.estimate("PPA") == theirs.estimate("PPA")
        assert mine.kappa.kappa == pytest.approx(theirs.kappa.kappa)


@pytest.mark.parametrize("cutoff", [1.5, 2.2, 2.4, 2.5, 3.0, 6.0, 8.0])
def test_counts_at_any_cutoff_match_a_hand_count(concordance, cutoff):
    ngs, pathology = her2_agreement_at(concordance, cutoff)
    assert (ngs.a, ngs.b, ngs.c, ngs.d) == naive_counts(PLASMA_CN, TISSUE_AMP, cutoff)
    assert (pathology.a, pathology.b, pathology.c, pathology.d) == naive_counts(PLASMA_CN, PATHOLOGY, cutoff)


def test_known_table_at_2_4_copies(concordance):
    # Plasma >= 2.4: P4, P5, P6, P7.  Tissue >= 4: P3, P4, P6, P7, P8.
    ngs, _ = her2_agreement_at(concordance, 2.4)
    assert (ngs.a, ngs.b, ngs.c, ngs.d) == (3, 1, 2, 2)
    assert ngs.estimate("PPA") == pytest.approx(3 / 5)
    assert ngs.estimate("NPA") == pytest.approx(2 / 3)


@settings(max_examples=40, deadline=None)
@given(cutoff=st.floats(min_value=1.5, max_value=8.0, allow_nan=False))
def test_slider_view_agrees_with_the_precomputed_sweep(cutoff):
    """Independent path: analysis.roc.cutoff_sweep on the same scores gives the same 2x2 counts."""
    result = concordance_analysis(make_concordance_study(), AnalysisParameters(), sweep_cutoffs=[cutoff])
    ngs, _ = her2_agreement_at(result, cutoff)
    row = result.sweep.iloc[0]
    assert (ngs.a, ngs.b, ngs.c, ngs.d) == (row["a"], row["b"], row["c"], row["d"])
    assert 0.0 <= ngs.estimate("OPA") <= 1.0


def test_higher_cutoff_never_calls_more_plasma_positives(concordance):
    positives = [
        sum(her2_agreement_at(concordance, c)[0].__getattribute__(k) for k in ("a", "b"))
        for c in np.arange(1.5, 8.0, 0.25)
    ]
    assert positives == sorted(positives, reverse=True)
    assert positives[0] == 8 and positives[-1] == 0


def test_a_pair_without_plasma_cn_keeps_its_discrete_call():
    calls = pd.DataFrame(
        {
            "plasma_erbb2_cn": [3.0, np.nan, np.nan],
            "plasma_amplified": pd.array([True, True, pd.NA], dtype="boolean"),
        }
    )
    out = plasma_calls_at(calls, 5.0)
    assert out.tolist()[:2] == [False, True]
    assert out.isna().tolist() == [False, False, True]


def test_statistics_use_wilson_intervals_like_statsmodels(concordance):
    ngs, _ = her2_agreement_at(concordance, 2.4)
    table = statistics_table(ngs).set_index("key")
    low, high = proportion_confint(3, 5, alpha=0.05, method="wilson")
    assert table.loc["PPA", "counts"] == "3/5"
    assert table.loc["PPA", "estimate"] == "60.0%"
    assert table.loc["PPA", "ci"] == f"{100 * low:.1f}\u2013{100 * high:.1f}%"
    assert table.loc["mcnemar_p", "counts"] == "b = 1, c = 2"
    assert table.loc["mcnemar_p", "estimate"] == "p = 1"  # exact binomial: min(1, 2 x P(X <= 1 | 3, 1/2)) = 1
    assert list(table.index) == ["PPA", "NPA", "OPA", "PPV", "NPV", "kappa", "mcnemar_p"]


def test_formatting():
    assert format_fixed(-0.0000001) == "0.00"
    assert format_fixed(float("nan")) == ""
    assert format_p(0.0123) == "0.012"
    assert format_p(1.1105e-07) == "< 0.001"  # exact value on hover and in CSV (issue 9.9)
    assert format_p(float("nan")) == "not computed"


def test_slider_spec_reads_the_url_and_refuses_nonsense():
    assert slider_spec(2.4).value == 2.4
    assert slider_spec(2.4, "3.05").value == 3.05
    bad = slider_spec(2.4, "99")
    assert bad.value == 2.4 and "between 1.5 and 8" in bad.problem
    assert slider_spec(2.4, "abc").problem is not None
    wide = slider_spec(9.5)
    assert wide.maximum >= 10 and wide.value == 9.5


def test_slider_value_for_keeps_the_patient_at_the_cutoff():
    youden = 2.191471626392853
    assert slider_value_for(youden) <= youden
    assert youden - slider_value_for(youden) < 1e-4


def test_cutoff_view_is_json_and_says_agreement_not_sensitivity(concordance):
    view = cutoff_view(concordance, 3.0)
    text = pio.json.to_json_plotly(view)
    json.loads(text)
    assert "sensitivity" not in text.lower() and "specificity" not in text.lower()
    assert view["ngs"]["a"] + view["ngs"]["b"] == 2  # P6, P7 at >= 3 copies
    assert "3 copies (slider)" in view["note"]
    assert view["point"]["tpr"] == pytest.approx(2 / 5)
    assert view["point"]["fpr"] == pytest.approx(0.0)


def test_scatter_draws_the_slider_cutoff_on_log_axes(concordance):
    rho = {"estimate": 0.8, "ci_low": 0.2, "ci_high": 0.96, "n": 8}
    fig = graph_figure(cn_scatter(concordance.her2_calls, 3.0, 4.0, rho, analysis_cutoff=2.4))
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    lines = {
        (round(s.y0, 3) if s.y0 == s.y1 else None, round(s.x0, 3) if s.x0 == s.x1 else None)
        for s in fig.layout.shapes
    }
    assert (3.0, None) in lines and (None, 4.0) in lines and (2.4, None) in lines
    assert sum(len(t.x) for t in fig.data) == 8
    by_name = {t.name.split(" (")[0]: len(t.x) for t in fig.data}
    assert by_name == {"amplified in both": 2, "plasma only": 0, "tissue only": 3, "amplified in neither": 3}
    assert "0.80 (95% CI 0.20\u20130.96)" in fig.layout.title.subtitle.text


def test_roc_marks_youden_and_slider_points(concordance):
    point = {"tpr": 0.4, "fpr": 0.0}
    fig = graph_figure(roc_figure(concordance.roc, concordance.auc, concordance.youden, 3.0, point))
    names = [t.name for t in fig.data]
    youden = next(t for t in fig.data if t.name.startswith("Youden"))
    assert youden.x[0] == pytest.approx(concordance.youden.fpr) and youden.y[0] == pytest.approx(
        concordance.youden.tpr
    )
    slider = next(t for t in fig.data if t.name.startswith("slider"))
    assert (slider.x[0], slider.y[0]) == (0.0, 0.4)
    assert any(f"AUC {concordance.auc.auc:.2f}" in n for n in names)
    assert "PPA" in fig.layout.yaxis.title.text and "NPA" in fig.layout.xaxis.title.text


def test_detection_bar_has_wilson_error_bars(concordance):
    fig = detection_bar(concordance.detection_by_tf)
    bar = fig.data[0]
    shown = concordance.detection_by_tf[concordance.detection_by_tf["n_variants"] > 0]
    assert list(bar.x) == shown["tumour_fraction_stratum"].astype(str).tolist()
    np.testing.assert_allclose(np.asarray(bar.y) + np.asarray(bar.error_y.array), shown["ci_high"])
    np.testing.assert_allclose(np.asarray(bar.y) - np.asarray(bar.error_y.arrayminus), shown["ci_low"])


def test_tables_have_the_labelled_columns(concordance):
    genes = per_gene_table(concordance.per_gene)
    assert list(genes.columns) == list(PER_GENE_LABELS)
    erbb2 = genes[(genes["gene"] == "ERBB2") & (genes["alteration"] == "amplification")].iloc[0]
    assert (erbb2["a"], erbb2["b"], erbb2["c"], erbb2["d"]) == (3, 1, 2, 2)
    patients = per_patient_table(concordance)
    assert list(patients.columns) == list(PER_PATIENT_LABELS)
    assert patients["patient_id"].tolist() == PATIENTS
    assert patients.loc[patients["patient_id"] == "P8", "pathology"].item() == "positive"  # IHC 2+, FISH 2.5
    assert list(detection_table(concordance.detection_by_tf).columns) == list(DETECTION_LABELS)


def test_an_empty_study_gives_empty_tables_and_explaining_figures():
    empty = concordance_analysis(Study.from_tables(meta=StudyMeta(study_id="empty", name="Empty")))
    view = static_view(empty)
    assert view["per_gene"] == [] and view["per_patient"] == []
    assert "No tissue mutation" in view["detection_figure"]["layout"]["annotations"][0]["text"]
    cut = cutoff_view(empty, 2.4)
    assert cut["ngs"]["n"] == 0
    assert "No paired patient" in cut["scatter"]["layout"]["annotations"][0]["text"]
    assert "No ROC" in cut["roc"]["layout"]["annotations"][0]["text"]
    rendered = str(two_by_two_table(cut["ngs"], "x", "t"))
    assert "nothing to compare" in rendered


def test_two_by_two_renders_counts_and_margins(concordance):
    view = cutoff_view(concordance, 2.4)
    table = two_by_two_table(view["ngs"], "concordance-ngs", "Plasma vs tissue NGS")
    found = {}

    def walk(node):
        node_id = getattr(node, "id", None)
        if isinstance(node_id, str):
            found[node_id] = node
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str):
                walk(child)

    walk(table)
    counts = {k: found[f"concordance-ngs-{k}"].children[0].children for k in "abcd"}
    assert counts == {"a": "3", "b": "1", "c": "2", "d": "2"}
    assert found["concordance-ngs-n"].children == "8"
    assert "concordance-ngs-ppa" in found and "concordance-ngs-mcnemar_p" in found


def test_a_large_cohort_is_drawn_with_webgl():
    rng = np.random.default_rng(7)
    n = 2500
    calls = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(n)],
            "plasma_erbb2_cn": rng.lognormal(1.0, 0.4, n),
            "tissue_erbb2_cn": rng.lognormal(1.3, 0.5, n),
            "pathology_her2_positive": pd.array(rng.random(n) > 0.5, dtype="boolean"),
        }
    )
    fig = graph_figure(cn_scatter(calls, 2.4, 4.0, {"estimate": math.nan, "n": n}))
    assert {t.type for t in fig.data} == {"scattergl"}
    assert sum(len(t.x) for t in fig.data) == n


def test_a_roc_of_thousands_of_cutoffs_is_drawn_through_its_corners_without_markers(concordance):
    from analysis.roc import roc_curve_table
    from dashboard.figures.concordance import ROC_MARKERS_MAX

    rng = np.random.default_rng(5)
    tissue = rng.random(4000) < 0.4
    roc = roc_curve_table(rng.normal(3 + tissue, 1.0), tissue)
    fig = graph_figure(roc_figure(roc, concordance.auc, concordance.youden, 3.0, {"tpr": 0.4, "fpr": 0.0}))
    curve = next(t for t in fig.data if t.name.startswith("plasma ERBB2 CN"))
    assert curve.mode == "lines" and ROC_MARKERS_MAX < len(curve.x) < len(roc)
    assert (curve.x[0], curve.y[0]) == (0.0, 0.0) and (curve.x[-1], curve.y[-1]) == (1.0, 1.0)
    small = graph_figure(roc_figure(concordance.roc, concordance.auc, concordance.youden, 3.0,
                                    {"tpr": 0.4, "fpr": 0.0}))
    kept = next(t for t in small.data if t.name.startswith("plasma ERBB2 CN"))
    assert kept.mode == "lines+markers" and len(kept.x) == len(concordance.roc)  # every cutoff to hover
