"""Survival page view models: the choice in the URL, on-request groupings, statistics text."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.cohort import analyse_cohort, survival_for
from analysis.pfs_groups import by_clinical_attribute, by_gene
from analysis.survival import kaplan_meier
from dashboard.views.survival import (
    DEFAULT_GROUP,
    SurvivalChoice,
    attribute_options,
    choice_from_query,
    gene_options,
    logrank_sentence,
    stats_table,
    survival_view,
)
from tests.conftest import make_tiny_study

GENES = ["ERBB2", "KRAS", "PIK3CA", "TP53"]  # most altered first, as gene_options gives them
ATTRIBUTES = ["her2_status", "lauren"]


def test_default_choice_and_its_url_state():
    choice, problems = choice_from_query({}, GENES, ATTRIBUTES)
    assert choice == SurvivalChoice(DEFAULT_GROUP) and problems == []
    assert choice.state() == {"group": "mechanism_count"}


def test_gene_and_attribute_groupings_get_a_default_and_keep_it_in_the_url():
    gene, _ = choice_from_query({"group": "gene"}, GENES, ATTRIBUTES)
    assert gene.gene == "ERBB2" and gene.state() == {"group": "gene", "gene": "ERBB2"}
    attribute, _ = choice_from_query({"group": "attribute", "attribute": "lauren"}, GENES, ATTRIBUTES)
    assert attribute.state() == {"group": "attribute", "attribute": "lauren"}
    # A gene left over from another grouping does not change the cache key of a default grouping.
    assert SurvivalChoice("resistance_class", gene="KRAS").key() == SurvivalChoice("resistance_class").key()


def test_unknown_url_values_fall_back_with_a_note():
    choice, problems = choice_from_query({"group": "horoscope", "gene": "NOTAGENE", "endpoint": "dfs"},
                                         GENES, ATTRIBUTES)
    assert choice == SurvivalChoice(DEFAULT_GROUP)
    assert len(problems) == 3 and "horoscope" in problems[0] and "NOTAGENE" in problems[1]
    assert "PFS" in problems[2]
    choice, problems = choice_from_query({"endpoint": "os"}, GENES, ATTRIBUTES)
    assert choice.endpoint == "os" and problems == []


def test_study_choices_list_genes_and_attributes_but_not_ids_or_outcomes():
    study = make_tiny_study()
    assert gene_options(study) == ["ERBB2", "KRAS", "PIK3CA", "TP53"]  # one altered patient each: by name
    attributes = attribute_options(study)
    # Categories, and measurements (split at the median) such as age.
    assert {"her2_status", "her2_ihc", "lauren", "age", "her2_fish_ratio"} <= set(attributes)
    assert not {"patient_id", "pfs_months", "os_event", "os_months"} & set(attributes)


def test_statistics_table_and_logrank_sentence():
    res = kaplan_meier([1, 2, 3, 4, 5, 6, 2.5], [1, 1, 0, 1, 1, 0, 1], ["a", "a", "a", "b", "b", "b", "c"],
                       group_order=["a", "b", "c"])
    table = stats_table(res)
    assert table["group"].tolist() == ["a", "b", "c"]
    assert table["hazard_ratio"].tolist()[0] == "1 (reference)"
    assert table.iloc[2][["median", "hazard_ratio"]].tolist() == ["too small to estimate", "too small"]
    sentence = logrank_sentence(res)
    assert sentence.startswith(f"Log-rank p = {res.logrank.p_value:.2g} (2 groups compared, 1 df")


@pytest.fixture(scope="module")
def demo_like():
    """The tiny study with 30 more HER2+ patients, so that groups are large enough to test."""
    study = make_tiny_study()
    n = 30
    patients = pd.concat([study.patients, pd.DataFrame({
        "patient_id": [f"X{i:02d}" for i in range(n)], "her2_status": "POSITIVE", "her2_ihc": "3+",
        "her2_fish_ratio": 3.0, "pfs_months": [2.0 + (i * 7) % 13 for i in range(n)],
        "pfs_event": [i % 4 != 0 for i in range(n)], "os_months": 20.0, "os_event": False, "age": 60.0,
        "lauren": ["diffuse" if i % 3 == 0 else "intestinal" for i in range(n)],
    })], ignore_index=True)
    samples = pd.concat([study.samples, pd.DataFrame({
        "sample_id": [f"X{i:02d}-B0" for i in range(n)], "patient_id": [f"X{i:02d}" for i in range(n)],
        "sample_type": "plasma", "collection_day": -2.0, "timepoint": "BASELINE"})], ignore_index=True)
    variants = pd.concat([study.variants, pd.DataFrame({
        "sample_id": [f"X{i:02d}-B0" for i in range(0, n, 3)], "gene": "KRAS", "chromosome": "12",
        "start_position": 25398284, "reference_allele": "C", "tumor_seq_allele": "T",
        "variant_classification": "Missense_Mutation", "protein_change": "G12D", "t_ref_count": 900,
        "t_alt_count": 100, "depth": 1000, "vaf": 0.1})], ignore_index=True)
    bigger = type(study).from_tables(patients=patients, samples=samples, variants=variants,
                                     copy_number=study.copy_number, timeline=study.timeline, meta=study.meta)
    return bigger, analyse_cohort(bigger)


def test_gene_grouping_is_computed_on_request_like_the_analysis_does(demo_like):
    study, cohort = demo_like
    view = survival_view(cohort, study, SurvivalChoice("gene", gene="KRAS"))
    expected = survival_for(by_gene(study, cohort.trajectories, "KRAS", cohort.params))
    assert view.stats["n"].tolist() == expected.summary["n"].tolist()
    assert view.legend == tuple(f"{g} (n={n})" for g, n in zip(expected.summary["group"], expected.summary["n"],
                                                                strict=True))
    assert view.p_value_text.startswith(f"Log-rank p = {expected.logrank.p_value:.2g}")
    assert view.title == "Any KRAS alteration (any samples)"


def test_attribute_and_default_groupings_give_their_own_curves(demo_like):
    study, cohort = demo_like
    lauren = survival_view(cohort, study, SurvivalChoice("attribute", attribute="lauren"))
    expected = survival_for(by_clinical_attribute(study, cohort.trajectories, "lauren"))
    assert lauren.stats["group"].tolist() == expected.summary["group"].tolist() == ["diffuse", "intestinal"]
    default = survival_view(cohort, study, SurvivalChoice("resistance_class"))
    assert default.stats["group"].tolist() == cohort.survival["resistance_class"].summary["group"].tolist()
    km_names = [t["name"] for t in default.figure["data"] if (t.get("meta") or {}).get("role") == "km"]
    assert tuple(km_names) == default.legend


@pytest.fixture(scope="module")
def demo_cohort_for_os(demo_study_dir):
    from analysis.io.cbioportal import read_study

    study = read_study(demo_study_dir)
    return analyse_cohort(study), study


def test_overall_survival_uses_os_columns(demo_cohort_for_os):
    cohort, study = demo_cohort_for_os
    from dashboard.views.survival import SurvivalChoice, survival_view

    pfs = survival_view(cohort, study, SurvivalChoice(group="resistance_class"))
    os_view = survival_view(cohort, study, SurvivalChoice(group="resistance_class", endpoint="os"))
    assert os_view.title.startswith("Overall survival")
    assert os_view.figure != pfs.figure
    # Independent check: lifelines on the OS columns of the same patients gives the same medians.
    from lifelines import KaplanMeierFitter

    grouping = cohort.groupings["resistance_class"].table.merge(study.patients, on="patient_id")
    for group, rows in grouping.groupby("group"):
        fitted = KaplanMeierFitter().fit(rows["os_months"], rows["os_event"].astype(bool))
        shown = os_view.stats.set_index("group").loc[str(group), "median"]
        expected = fitted.median_survival_time_
        if expected != float("inf"):
            assert shown.startswith(f"{expected:.3g} (")


# --- any cohort: only OS_MONTHS / OS_STATUS ------------------------------------------------------------
@pytest.fixture(scope="module")
def os_only_cohort():
    from tests.analysis.test_pfs_groups import make_os_only_study

    study = make_os_only_study()
    return study, analyse_cohort(study)


def test_os_only_study_opens_on_overall_survival_by_its_most_altered_gene(os_only_cohort):
    from dashboard.views.survival import default_group_for, endpoint_options, endpoint_radio

    study, _ = os_only_cohort
    genes, attributes, endpoints = gene_options(study), attribute_options(study), endpoint_options(study)
    assert endpoints == ["os"] and genes[0] == "TP53" and {"sex", "stage", "age"} <= set(attributes)
    choice, problems = choice_from_query({}, genes, attributes, endpoints=endpoints,
                                         default_group=default_group_for(study))
    assert choice == SurvivalChoice("gene", gene="TP53", endpoint="os") and problems == []
    # A shared PFS link on such a study falls back to OS, and says why.
    choice, problems = choice_from_query({"endpoint": "pfs"}, genes, attributes, endpoints=endpoints)
    assert choice.endpoint == "os" and "no PFS data in this study" in problems[0]
    pfs_option = next(o for o in endpoint_radio(endpoints) if o["value"] == "pfs")
    assert pfs_option["disabled"] and "no PFS data in this study" in pfs_option["label"]


@pytest.mark.parametrize("choice", [SurvivalChoice("gene", gene="KRAS", endpoint="os"),
                                    SurvivalChoice("attribute", attribute="stage", endpoint="os"),
                                    SurvivalChoice("attribute", attribute="age", endpoint="os")])
def test_os_only_study_view_matches_lifelines_and_counts_deaths(os_only_cohort, choice):
    from lifelines.statistics import multivariate_logrank_test

    study, cohort = os_only_cohort
    view = survival_view(cohort, study, choice)
    assert view.event_label == "deaths" and view.title.startswith("Overall survival")
    grouping = (by_gene(study, cohort.trajectories, choice.gene) if choice.group == "gene"
                else by_clinical_attribute(study, cohort.trajectories, choice.attribute))
    data = grouping.members.merge(study.patients[["patient_id", "os_months", "os_event"]], on="patient_id")
    assert view.stats["n"].sum() == len(data) == 40
    assert view.stats.set_index("group")["events"].to_dict() == data.groupby("group")["os_event"].sum().to_dict()
    p = multivariate_logrank_test(data["os_months"], data["group"], data["os_event"].astype(bool)).p_value
    assert view.p_value_text.startswith(f"Log-rank p = {p:.2g}")


def test_os_only_study_through_the_callback(os_only_cohort, tmp_path):
    from analysis.io.cbioportal import write_study
    from dashboard import analysis_service
    from dashboard.analysis_cache import AnalysisCache
    from dashboard.callbacks.survival import draw_survival
    from dashboard.study_service import StudyService

    study, _ = os_only_cohort
    folder = write_study(study, tmp_path / "os_only")
    previous = analysis_service._analysis
    analysis_service.set_analysis_service(
        analysis_service.AnalysisService(StudyService(folder), AnalysisCache(tmp_path / "cache")))
    try:
        figure, title, p_text, stats, _ = draw_survival({}, "gene", "TP53", None, "os")
    finally:
        analysis_service._analysis = previous
    assert title == "Overall survival: Any TP53 alteration (any samples)"
    # The p-value sentence, with the guarantee-time caution beside it (alterations from any sample).
    assert p_text[0].children.startswith("Log-rank p") and "guarantee-time bias" in p_text[-1].children
    table = stats[0]
    events_header = next(c["headerName"] for c in table.grid.columnDefs if c["field"] == "events")
    assert events_header == "Deaths"
    assert [t["name"] for t in figure["data"] if (t.get("meta") or {}).get("role") == "km"] == [
        "TP53 not altered (n=20)", "TP53 altered (n=20)"]


# --- guarantee-time bias: the caution beside the p-value, baseline-only and landmark groupings ----------
def test_outcome_dependent_groupings_carry_a_caution_and_the_fair_ones_do_not(demo_like):
    study, cohort = demo_like
    for group in ("mechanism_count", "resistance_class"):
        assert "guarantee-time bias" in survival_view(cohort, study, SurvivalChoice(group)).bias_note
    assert "guarantee-time bias" in survival_view(cohort, study, SurvivalChoice("gene", gene="KRAS")).bias_note
    for fair in (SurvivalChoice("baseline_mutation"), SurvivalChoice("gene_baseline", gene="KRAS"),
                 SurvivalChoice("landmark_mechanisms"), SurvivalChoice("landmark_gene", gene="KRAS")):
        assert survival_view(cohort, study, fair).bias_note == "", fair


def test_landmark_choice_lives_in_the_url():
    choice, problems = choice_from_query({"group": "landmark_gene", "landmark": "60"}, GENES, ATTRIBUTES)
    assert choice.landmark_day == 60 and choice.gene == "ERBB2" and problems == []
    assert choice.state() == {"group": "landmark_gene", "gene": "ERBB2", "landmark": "60"}
    assert SurvivalChoice("landmark_gene", gene="ERBB2", landmark_day=60).key() != \
        SurvivalChoice("landmark_gene", gene="ERBB2", landmark_day=90).key()
    # The landmark does not change the cache key of a grouping that does not use it.
    assert SurvivalChoice("mechanism_count", landmark_day=60).key() == SurvivalChoice("mechanism_count").key()
    choice, problems = choice_from_query({"group": "landmark_mechanisms", "landmark": "-3"}, GENES, ATTRIBUTES)
    assert choice.landmark_day == 90 and "not a day >= 0" in problems[0]


def test_landmark_view_counts_time_from_the_landmark(demo_like):
    from analysis.pfs_groups import grouping_survival, landmark_gene

    study, cohort = demo_like
    view = survival_view(cohort, study, SurvivalChoice("landmark_gene", gene="KRAS", landmark_day=100))
    expected = grouping_survival(landmark_gene(study, cohort.trajectories, "KRAS", 100), cohort.trajectories.patients)
    assert view.stats["n"].tolist() == expected.summary["n"].tolist()
    assert view.figure["layout"]["xaxis2"]["title"]["text"] == "Months since the landmark (day 100)"
    assert any("Landmark day 100" in c for c in view.caveats)


def test_small_p_values_read_below_a_floor_with_the_exact_value_on_hover_and_in_the_csv():
    from dashboard.figures.survival import p_text

    assert p_text(5.1e-06) == "< 0.001" and p_text(0.0123) == "0.012"
    times = list(range(1, 21))
    groups = ["a", "b"] * 10
    result = kaplan_meier(times, [True] * 20, groups)
    table = stats_table(result)
    assert "hr_p_exact" in table and table["hr_p_exact"].notna().any()
    assert (table["hr_p"].astype(str) != "").any()
