"""Every finding quotes its page: the Overview's findings and the researcher's report say each number as the
Concordance, Response, Resistance and Survival pages show it (their view models, computed here)."""

from __future__ import annotations

import pytest

from analysis.cohort import analyse_cohort
from analysis.findings import cohort_findings
from analysis.io.cbioportal import read_study
from analysis.params import AnalysisParameters
from dashboard.parameters import query_string
from dashboard.views import concordance as concordance_views
from dashboard.views import resistance as resistance_views
from dashboard.views import response as response_views
from dashboard.views.overview import finding_cards
from dashboard.views.survival import SurvivalChoice, stats_table, survival_view


@pytest.fixture(scope="module")
def demo(demo_study_dir):
    study = read_study(demo_study_dir)
    cohort = analyse_cohort(study)
    return study, cohort, {f.key: f for f in cohort_findings(cohort)}


def test_concordance_findings_are_the_concordance_page(demo):
    _, cohort, by_key = demo
    headline = concordance_views.headline_facts(cohort.concordance)
    n_pairs = headline[0][0]
    assert n_pairs == "78"
    for key, result in (("her2_agreement_ngs", cohort.concordance.her2_tissue_ngs),
                        ("her2_agreement_pathology", cohort.concordance.her2_pathology)):
        finding = by_key[key]
        page = concordance_views.statistics_table(result).set_index("key")
        assert finding.statement.startswith(f"{n_pairs} patients with paired baseline plasma and tissue")
        assert finding.value == f"{page.loc['OPA', 'estimate']} ({page.loc['OPA', 'counts']})"
        assert finding.ci_text == page.loc["OPA", "ci"]
        for statistic in ("PPA", "NPA"):
            assert f"{statistic} {page.loc[statistic, 'estimate']} ({page.loc[statistic, 'counts']})" \
                in finding.statement
        assert f"Cohen's kappa {page.loc['kappa', 'estimate']} (95% CI {page.loc['kappa', 'ci']})" in finding.statement
        assert page.loc["mcnemar_p", "estimate"] in finding.statement  # "p = 0.012"


def test_response_findings_are_the_response_page(demo):
    _, cohort, by_key = demo
    cards = {label: (value, detail) for value, label, detail in response_views.headline_facts(cohort.response)}
    her2_value, her2_detail = cards["AUC for progression: plasma HER2 CN change"]
    cea_value, cea_detail = cards["AUC for progression: CEA change"]
    assert by_key["her2_auc"].value == her2_value == "0.82"
    assert by_key["cea_auc"].value == cea_value == "0.45"
    assert f"95% CI {by_key['her2_auc'].ci_text} (DeLong)" in her2_detail
    assert f"95% CI {by_key['cea_auc'].ci_text} (DeLong)" in cea_detail
    table = response_views.auc_table(cohort.response.auc).set_index("measure")
    assert table.loc["Plasma HER2 (ERBB2) CN", "auc"] == by_key["her2_auc"].value
    assert table.loc["Plasma HER2 (ERBB2) CN", "ci"] == by_key["her2_auc"].ci_text
    delong_value, _ = cards["DeLong p, HER2 CN vs CEA"]
    assert by_key["delong"].value == delong_value == "< 0.001"
    page_delong = response_views.delong_text(cohort.response.delong)
    assert f"AUC difference {by_key['delong'].statement.split('scans: ')[1].split(';')[0]}" in page_delong
    classes = response_views.her2_class_table(cohort.response.her2_by_class).set_index("resistance_class")
    for cls, column, word in (("innate", "n_higher", "higher"), ("acquired", "n_lower", "lower")):
        row = classes.loc[response_views.RESISTANCE_CLASS_NAMES.get(cls, cls)]
        finding = by_key[f"her2_progression_{cls}"]
        assert finding.value == f"{row[column]}/{row['n']} {word}"
        assert finding.p_text == row["p_value"]
        assert f"median change {row['median_change']:+.2f} copies" in finding.statement


def test_resistance_findings_are_the_resistance_page(demo):
    _, cohort, by_key = demo
    headline = resistance_views.headline(cohort.resistance)
    share = by_key["mechanism_share"]
    assert share.value == headline["value"] == "76.5% (13/17)"
    assert f"CI {share.ci_text} (Wilson)" in headline["detail"]
    her_family = resistance_views.her_family_mutation_table(cohort.resistance).set_index("draw")
    for draw, expected in (("baseline", "6/17"), ("progression", "5/17")):
        row = her_family.loc[draw]
        finding = by_key[f"erbb_mutations_{draw}"]
        assert row["of_progressors"] == expected
        assert finding.value == f"{row['percent']} ({row['of_progressors']})"
        assert finding.ci_text == row["ci"]
    enrichment = resistance_views.enrichment_table(cohort.resistance)
    row = enrichment[(enrichment["level"] == "Gene") & (enrichment["mechanism"] == "PIK3CA")].iloc[0]
    finding = by_key["pik3ca_enrichment"]
    assert finding.value == f"{row['innate']} vs {row['acquired']}"
    assert finding.p_text == row["p_value"] and finding.p_value == row["p_exact"]
    assert row["odds_ratio"].split("; ")[1].replace("corrected OR", "Haldane-Anscombe-corrected odds ratio").split(
        ", Haldane")[0] in finding.statement


@pytest.mark.parametrize("key, group", [("pfs_mechanisms", "mechanism_count"),
                                        ("pfs_baseline_mutation", "baseline_mutation")])
def test_survival_findings_are_the_survival_page(demo, key, group):
    study, cohort, by_key = demo
    view = survival_view(cohort, study, SurvivalChoice(group=group))
    finding = by_key[key]
    assert finding.caution == view.bias_note
    assert finding.p_value == view.p_value_exact
    # "Log-rank p < 0.001 (3 groups compared, 2 df, ...)" on the page; "log-rank p < 0.001" in the finding.
    assert view.p_value_text.lower().startswith(finding.value)
    for row in stats_table(cohort.survival[group]).itertuples(index=False):
        assert f"{row.group}: n = {row.n}, median {row.median} months" in finding.statement
        if row.hazard_ratio != "1 (reference)":
            assert f"HR {row.hazard_ratio}" in finding.statement


def test_overview_cards_link_to_the_page_with_parameters_and_page_state(demo):
    _, cohort, by_key = demo
    params = AnalysisParameters(plasma_amplification_cn=2.6)
    cards = {card["key"]: card for card in finding_cards(cohort, params)}
    assert list(cards) == list(by_key)
    assert cards["mechanism_share"]["href"] == f"/resistance{query_string(params)}"
    assert cards["pfs_mechanisms"]["href"] == f"/survival{query_string(params, {'group': 'mechanism_count'})}"
    href = cards["pfs_mechanisms"]["href"]
    assert "cutoff=2.6" in href and "group=mechanism_count" in href
    assert cards["delong"]["value"] == "p < 0.001"
    assert cards["mechanism_share"]["value"] == by_key["mechanism_share"].value
    assert "n = 17 progressors" in cards["mechanism_share"]["detail"]
    assert cards["pfs_mechanisms"]["caution"].startswith("Caution:")
