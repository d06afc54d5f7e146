"""The paper's findings on the demo study: what the generator planted, what the cohort analysis computed,
and independent references (Mann-Whitney AUC, Wilson interval, Fisher exact test from scipy)."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pandas as pd
import pytest
from scipy import stats

from analysis.cohort import analyse_cohort
from analysis.findings import FINDING_COLUMNS, cohort_findings, findings_caveats, findings_table
from analysis.io.cbioportal import read_study
from analysis.resistance import mutation_carriers

EXPECTED_KEYS = ["her2_agreement_ngs", "her2_agreement_pathology", "her2_auc", "cea_auc", "delong",
                 "her2_progression_innate", "her2_progression_acquired", "mechanism_share", "erbb_mutations_baseline",
                 "erbb_mutations_progression", "pik3ca_enrichment", "pfs_mechanisms", "pfs_baseline_mutation"]


@pytest.fixture(scope="module")
def demo(demo_study_dir):
    study = read_study(demo_study_dir)
    truth = json.loads((demo_study_dir.parent / "demo.truth.json").read_text())
    cohort = analyse_cohort(study)
    return study, truth, cohort, {f.key: f for f in cohort_findings(cohort)}


def test_every_finding_of_the_paper_in_its_order(demo):
    _, _, cohort, by_key = demo
    assert [f.key for f in cohort_findings(cohort)] == EXPECTED_KEYS
    for finding in by_key.values():
        assert finding.statement and finding.value and finding.n and finding.test and finding.paper
        assert finding.page in ("/concordance", "/response", "/resistance", "/survival")
    table = findings_table(list(by_key.values()))
    assert list(table.columns) == list(FINDING_COLUMNS) and len(table) == len(EXPECTED_KEYS)


def test_headline_counts_are_what_the_generator_planted(demo):
    _, truth, _, by_key = demo
    counts = truth["counts"]
    assert by_key["her2_agreement_ngs"].statement.startswith(f"{counts['patients']} patients with paired baseline")
    assert by_key["her2_agreement_ngs"].n == f"{counts['patients']} paired patients"
    k, n = counts["with_mechanism"], counts["progressions"]
    assert by_key["mechanism_share"].value == f"{100 * k / n:.1f}% ({k}/{n})" == "76.5% (13/17)"
    for draw in ("baseline", "progression"):
        k = counts[f"erbb_mutation_{draw}"]
        assert by_key[f"erbb_mutations_{draw}"].value == f"{100 * k / n:.1f}% ({k}/{n})"
    assert by_key["pik3ca_enrichment"].value.startswith(
        f"{counts['pik3ca_innate']}/{counts['innate']} (") and f"vs {counts['pik3ca_acquired']}/{counts['acquired']}" \
        in by_key["pik3ca_enrichment"].value


def test_her2_at_progression_matches_the_planted_trajectories(demo):
    _, truth, _, by_key = demo
    patients = truth["patients"].values()
    for cls, word in (("innate", "higher"), ("acquired", "lower")):
        members = [p for p in patients if p["resistance_class"] == cls and p["erbb2_cn_baseline"] is not None
                   and p["erbb2_cn_progression"] is not None]
        moved = sum((p["erbb2_cn_progression"] > p["erbb2_cn_baseline"]) == (word == "higher") for p in members)
        assert by_key[f"her2_progression_{cls}"].value == f"{moved}/{len(members)} {word}"


def test_aucs_and_delong_are_the_cohort_analysis_and_a_mann_whitney_reference(demo):
    _, _, cohort, by_key = demo
    auc = cohort.response.auc.set_index("measure")
    pairs = cohort.response.pairs
    for key, measure, column in (("her2_auc", "her2_cn", "erbb2_cn_pct_change"), ("cea_auc", "cea", "cea_pct_change")):
        finding = by_key[key]
        assert finding.estimate == pytest.approx(auc.loc[measure, "auc"])
        interval = (auc.loc[measure, "ci_low"], auc.loc[measure, "ci_high"])
        assert (finding.ci_low, finding.ci_high) == pytest.approx(interval)
        scored = pairs[pairs[column].notna() & pairs["progression"].notna()]
        pd_scores = scored.loc[scored["progression"].astype(bool), column]
        other = scored.loc[~scored["progression"].astype(bool), column]
        u = stats.mannwhitneyu(pd_scores, other).statistic
        assert finding.estimate == pytest.approx(u / (len(pd_scores) * len(other)))
    assert round(by_key["her2_auc"].estimate, 3) == 0.821 and by_key["her2_auc"].value == "0.82"
    assert round(by_key["cea_auc"].estimate, 3) == 0.449 and by_key["cea_auc"].value == "0.45"
    delong = by_key["delong"]
    assert delong.p_value == cohort.response.delong.p_value
    assert f"{delong.p_value:.2g}" == "5.1e-06" and delong.value == "< 0.001" and delong.p_text == "< 0.001"
    assert "p < 0.001 (exact 5.08e-06)" in delong.statement


def test_intervals_and_tests_against_scipy(demo):
    _, truth, cohort, by_key = demo
    share = by_key["mechanism_share"]
    reference = stats.binomtest(13, 17).proportion_ci(method="wilson")
    assert (share.ci_low, share.ci_high) == pytest.approx((reference.low, reference.high))
    enrichment = by_key["pik3ca_enrichment"]
    counts = truth["counts"]
    table = [[counts["pik3ca_innate"], counts["innate"] - counts["pik3ca_innate"]],
             [counts["pik3ca_acquired"], counts["acquired"] - counts["pik3ca_acquired"]]]
    assert enrichment.p_value == pytest.approx(stats.fisher_exact(table).pvalue)
    assert "odds ratio not estimable (a zero cell)" in enrichment.statement
    agreement = cohort.concordance.her2_tissue_ngs
    ngs = by_key["her2_agreement_ngs"]
    mcnemar = stats.binomtest(min(agreement.b, agreement.c), agreement.b + agreement.c).pvalue
    assert ngs.p_value == pytest.approx(mcnemar)
    assert ngs.estimate == pytest.approx((agreement.a + agreement.d) / agreement.n)


def test_survival_findings_carry_the_grouping_caution(demo):
    _, _, cohort, by_key = demo
    mechanisms = by_key["pfs_mechanisms"]
    assert mechanisms.caution == cohort.groupings["mechanism_count"].bias_note
    assert mechanisms.caution.startswith("Caution:") and "guarantee-time bias" in mechanisms.caution
    assert mechanisms.page_state == {"group": "mechanism_count"}
    assert mechanisms.p_value == cohort.survival["mechanism_count"].logrank.p_value
    baseline = by_key["pfs_baseline_mutation"]
    assert baseline.caution == cohort.groupings["baseline_mutation"].bias_note == ""
    assert "yes: n = 8" in baseline.statement and "HR 10.9 (2.78-42.9)" in baseline.statement
    caveats = findings_caveats(cohort)
    assert any(c.startswith("PFS by Number of resistance mechanisms") for c in caveats)
    assert not any(c.startswith("PFS by Resistance class") for c in caveats)


def test_mutation_carriers_count_progressors_only_and_mutations_only(demo):
    _, _, cohort, _ = demo
    resistance = cohort.resistance
    k, n, carriers = mutation_carriers(resistance, ("ERBB2", "ERBB4"), "baseline")
    assert (k, n) == (6, 17) and len(carriers) == 6
    # An amplification row, a non-progressor's mutation and a gene outside the list do not count.
    extra = resistance.evidence.iloc[:1].assign(patient_id="NOT_A_PROGRESSOR", gene="ERBB2", alteration_type="mutation",
                                                draw="baseline")
    amp = resistance.evidence.iloc[:1].assign(patient_id=carriers[0], gene="ERBB4", alteration_type="amplification")
    changed = replace(resistance, evidence=pd.concat([resistance.evidence, extra, amp], ignore_index=True))
    assert mutation_carriers(changed, ("ERBB2", "ERBB4"), "baseline")[:2] == (6, 17)
    assert mutation_carriers(resistance, ("PIK3CA",), "baseline")[0] == 4


def test_a_study_without_progressors_gives_undefined_findings_not_errors(tiny_study):
    study = replace(tiny_study, patients=tiny_study.patients.assign(pfs_event=False))
    study = replace(study, timeline=study.timeline[study.timeline["event_type"] != "STATUS"])
    found = {f.key: f for f in cohort_findings(analyse_cohort(study))}
    assert found["mechanism_share"].value == "undefined (no progressors)"
    assert math.isnan(found["mechanism_share"].estimate)
    assert found["her2_progression_innate"].value == "-"
