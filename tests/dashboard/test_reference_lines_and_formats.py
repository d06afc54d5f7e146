"""Issue 9.9: the right reference lines (no PD line on a change-from-baseline axis), p < 0.001 in text
with the exact value on hover and in CSV, VAF to 3 significant digits, and CHIP / likely germline
variants marked in tables and VAF tracks with the reason they are left out of the tumour fraction."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.params import AnalysisParameters
from analysis.patient import analyse_patient
from analysis.response import analyse_response
from analysis.roc import DeLongTestResult
from analysis.study import Study
from analysis.trajectory import analyse_trajectories
from dashboard.figures.patient import patient_timeline
from dashboard.figures.response import change_scatter, progression_roc
from dashboard.figures.style import format_p, p_phrase, vaf_text
from dashboard.views.patient import alteration_table, vaf_tracks
from dashboard.views.response import correlation_of, correlation_table, delong_text, headline_facts
from tests.analysis.test_trajectory import _variant, make_study
from tests.dashboard.test_patient_figure_dict import graph_figure


def test_no_pd_line_on_the_change_from_baseline_axis():
    response = analyse_response(analyse_trajectories(make_study()))
    fig = change_scatter(response.pairs, "her2_cn", correlation_of(response.correlations, "her2_cn"), 14)
    texts = [a.text for a in fig.layout.annotations]
    assert not any("PD +20%" in t for t in texts)
    assert any("PR -30% from baseline" in t for t in texts)
    assert "nadir" in fig.layout.xaxis.title.text


def _delong(p: float) -> DeLongTestResult:
    return DeLongTestResult(auc_a=0.82, auc_b=0.45, difference=0.37, ci_low=0.21, ci_high=0.53, se=0.08, z=4.56,
                            p_value=p, correlation=0.39, n_pos=17, n_neg=56, confidence=0.95)


def test_small_p_values_read_below_0001_with_the_exact_value_on_hover():
    assert format_p(5.08e-06) == "< 0.001" and p_phrase(5.08e-06) == "p < 0.001" and format_p(0.0123) == "0.012"
    text = delong_text(_delong(5.080894944300786e-06))
    assert "p < 0.001" in text and "exact p = 5.08e-06" in text and "e-06," not in text.split("exact")[0]
    response = analyse_response(analyse_trajectories(make_study()))
    fig = progression_roc(response.pairs, response.auc, _delong(5.080894944300786e-06))
    assert "p < 0.001" in fig.layout.title.subtitle.text
    assert any("5.08e-06" in (t.hovertemplate or "") for t in fig.data)
    facts = {label: (value, detail) for value, label, detail in headline_facts(
        type(response)(**{**response.__dict__, "delong": _delong(5.08e-06)}))}
    assert facts["DeLong p, HER2 CN vs CEA"][0] == "< 0.001" and "5.08e-06" in facts["DeLong p, HER2 CN vs CEA"][1]
    table = correlation_table(pd.DataFrame({"measure_a": ["her2_cn"], "measure_b": ["cea"], "n": [40], "rho": [0.7],
                                            "ci_low": [0.5], "ci_high": [0.8], "p_value": [1.4e-12]}))
    assert table.loc[0, "p_value"] == "< 0.001" and table.loc[0, "p_exact"] == pytest.approx(1.4e-12)


def test_vaf_text_has_three_significant_digits():
    assert [vaf_text(v) for v in (0.0312, 0.1, 0.005, 0.137005)] == ["3.12%", "10.0%", "0.500%", "13.7%"]


def _chip_study() -> Study:
    """One patient, two plasma draws: TP53 R175H somatic (VAF 8%, sets the tumour fraction 16%),
    DNMT3A R882H (CHIP, 2%), an APC germline SNP at VAF 49%."""
    patients = pd.DataFrame({"patient_id": ["H1"], "her2_status": ["POSITIVE"], "pfs_months": [6.0],
                             "pfs_event": [False]})
    samples = pd.DataFrame({"sample_id": ["H1-B", "H1-60"], "patient_id": ["H1", "H1"], "sample_type": "plasma",
                            "collection_day": [-2.0, 60.0], "timepoint": ["BASELINE", "ON_TREATMENT"]})
    variants = pd.DataFrame([
        _variant(sid, gene, change, vaf, pos=pos)
        for sid in ("H1-B", "H1-60")
        for gene, change, vaf, pos in (("TP53", "R175H", 0.08, 7578406), ("DNMT3A", "R882H", 0.02, 25457242),
                                       ("APC", "V1822D", 0.49, 112175951))
    ])
    copy_number = pd.DataFrame({"sample_id": ["H1-B", "H1-60"], "gene": "ERBB2", "copy_number": [5.0, 3.0]})
    return Study.from_tables(patients=patients, samples=samples, variants=variants, copy_number=copy_number)


def test_chip_and_germline_variants_are_marked_in_tables_and_vaf_tracks():
    patient = analyse_patient(_chip_study(), "H1")
    assert patient.tumour_fractions.set_index("sample_id").loc["H1-B", "tumour_fraction"] == pytest.approx(0.16)
    table = alteration_table(patient).set_index("gene")
    assert table.loc["DNMT3A", "tumour_fraction_note"].iloc[0].startswith("CHIP gene (clonal haematopoiesis)")
    assert table.loc["APC", "tumour_fraction_note"].iloc[0].startswith("likely germline (VAF 40-60%)")
    assert (table.loc["TP53", "tumour_fraction_note"] == "").all()
    tracks = vaf_tracks(patient).drop_duplicates("label").set_index("gene")
    assert tracks.loc["TP53", "excluded"] == "" and tracks.loc["DNMT3A", "excluded"].startswith("CHIP")
    assert tracks.loc["TP53", "priority"] < tracks.loc["APC", "priority"]  # somatic before excluded
    fig = graph_figure(patient_timeline(patient, vaf_tracks(patient), AnalysisParameters()))
    names = {t.name: t for t in fig.data}
    chip = names["DNMT3A R882H (CHIP gene: not in tumour fraction)"]
    assert chip.line.dash == "dot" and "left out of the tumour fraction" in chip.hovertext[0]
    assert "APC V1822D (likely germline: not in tumour fraction)" in names
    assert names["TP53 R175H"].line.dash == "solid"
