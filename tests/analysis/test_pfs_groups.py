"""PFS groupings: groups, exclusions with caveats, and that they feed kaplan_meier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import pfs_groups
from analysis.resistance import call_mechanisms
from analysis.study import Study
from analysis.survival import kaplan_meier
from analysis.trajectory import analyse_trajectories
from tests.analysis.test_trajectory import make_study


@pytest.fixture(scope="module")
def context():
    study = make_study()
    trajectories = analyse_trajectories(study)
    return study, trajectories, call_mechanisms(study, trajectories)


def groups_of(grouping):
    return grouping.table.set_index("patient_id")["group"].to_dict()


def test_mechanism_count(context):
    _, t, r = context
    g = pfs_groups.by_mechanism_count(t, r)
    assert groups_of(g) == {"P1": "2+", "P2": "1", "P3": "0"}
    assert list(g.table.columns) == ["patient_id", "pfs_months", "pfs_event", "group"]
    assert g.group_order == ("0", "1", "2+")


def test_baseline_mutation_and_class(context):
    _, t, r = context
    # P1 PIK3CA E545K and P2 ERBB4 S774G at baseline
    assert groups_of(pfs_groups.by_baseline_mutation(t, r)) == {"P1": "yes", "P2": "yes", "P3": "no"}
    assert groups_of(pfs_groups.by_resistance_class(t)) == {"P1": "acquired", "P2": "innate", "P3": "none"}


def test_baseline_her2_cutoff(context):
    _, t, _ = context
    assert groups_of(pfs_groups.by_baseline_her2_cn(t, cutoff=5.0)) == {
        "P1": ">= 5",
        "P2": "< 5",
        "P3": "< 5",
    }


def test_early_decline(context):
    _, t, _ = context
    g = pfs_groups.by_early_decline(t)
    # P1: excess 1.0 at day 42 vs 4.0 at baseline -> decline; P2's only later draw is its progression
    # draw and P3 has no later draw: both not grouped, and said so.
    assert groups_of(g) == {"P1": "decline"}
    assert any("P2" in c and "P3" in c for c in g.caveats)
    assert g.summary.set_index("group").loc["not grouped", "n"] == 2


def test_gene_and_attribute(context):
    study, t, _ = context
    assert groups_of(pfs_groups.by_gene(study, t, "kras")) == {
        "P1": "KRAS altered",
        "P2": "KRAS not altered",
        "P3": "KRAS not altered",
    }
    assert groups_of(pfs_groups.by_gene(study, t, "ERBB4", sources="tissue")) == {"P1": "ERBB4 not altered"}
    assert set(groups_of(pfs_groups.by_clinical_attribute(study, t, "HER2_STATUS")).values()) == {"POSITIVE"}
    with pytest.raises(KeyError, match="expected one of"):
        pfs_groups.by_clinical_attribute(study, t, "smoking")


def test_missing_pfs_left_out_with_caveat(context):
    study, _, _ = context
    patients = study.patients.assign(pfs_months=[study.patients["pfs_months"][0], None, 12.0])
    s2 = Study.from_tables(
        patients=patients,
        samples=study.samples,
        variants=study.variants,
        copy_number=study.copy_number,
        timeline=study.timeline,
    )
    t2 = analyse_trajectories(s2)
    g = pfs_groups.by_resistance_class(t2)
    # P2 progressed: its PFS is taken from the progression day (49 days), so it stays in
    assert set(g.table["patient_id"]) == {"P1", "P2", "P3"}
    s3 = Study.from_tables(
        patients=patients.assign(pfs_event=[True, None, False]),
        samples=study.samples,
        variants=study.variants,
        copy_number=study.copy_number,
        timeline=study.timeline,
    )
    g3 = pfs_groups.by_resistance_class(analyse_trajectories(s3))
    assert "P2" not in set(g3.table["patient_id"]) and any("without PFS" in c for c in g3.caveats)


def test_feeds_kaplan_meier(context):
    study, t, r = context
    for grouping in pfs_groups.default_groupings(study, t, r).values():
        table = grouping.table
        res = kaplan_meier(table["pfs_months"], table["pfs_event"].astype(bool), table["group"])
        assert set(res.summary["group"]) >= set(table["group"])


def test_empty_study():
    study = Study.from_tables()
    t = analyse_trajectories(study)
    groupings = pfs_groups.default_groupings(study, t, call_mechanisms(study, t))
    for g in groupings.values():
        assert g.table.empty and list(g.table.columns) == ["patient_id", "pfs_months", "pfs_event", "group"]
    assert isinstance(groupings["mechanism_count"].summary, pd.DataFrame)


# --- any cohort: a study whose only survival columns are OS_MONTHS / OS_STATUS --------------------------
OS_GENE_CARRIERS = {"TP53": range(0, 20), "KRAS": range(10, 22), "APC": range(30, 35)}  # patients by index
OS_AMPLIFIED = {"MYC": range(25, 33)}  # tissue CN 8 copies (amplified), the others 2


def make_os_only_study(n: int = 40, seed: int = 7) -> Study:
    """A non-HER2 cohort: tissue samples only, overall survival only (no PFS columns at all)."""
    rng = np.random.default_rng(seed)
    ids = [f"C{i:02d}" for i in range(n)]
    patients = pd.DataFrame({
        "patient_id": ids,
        "os_months": rng.exponential(20, n).round(2) + 0.1,
        "os_event": rng.random(n) < 0.7,
        "sex": rng.choice(["F", "M"], n),
        "stage": rng.choice(["II", "III", "IV"], n),
        "age": rng.normal(62, 9, n).round(),
    })
    assert not {"pfs_months", "pfs_event"} & set(patients.columns)
    samples = pd.DataFrame({"sample_id": [f"{p}-T" for p in ids], "patient_id": ids, "sample_type": "tissue"})
    rows = [(f"{ids[i]}-T", gene) for gene, who in OS_GENE_CARRIERS.items() for i in who]
    variants = pd.DataFrame({"sample_id": [r[0] for r in rows], "gene": [r[1] for r in rows],
                             "variant_classification": "Missense_Mutation", "protein_change": "X1Y", "vaf": 0.3})
    copy_number = pd.DataFrame({"sample_id": [f"{p}-T" for p in ids], "gene": "MYC",
                                "copy_number": [8.0 if i in OS_AMPLIFIED["MYC"] else 2.0 for i in range(n)]})
    return Study.from_tables(patients=patients, samples=samples, variants=variants, copy_number=copy_number)


@pytest.fixture(scope="module")
def os_only():
    study = make_os_only_study()
    return study, analyse_trajectories(study)


def _lifelines_check(result, table: pd.DataFrame) -> None:
    """KM medians and the log-rank p of *result* equal lifelines on the same (time, event, group)."""
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test, multivariate_logrank_test

    summary = result.summary.set_index("group")
    for group, rows in table.groupby("group"):
        fitted = KaplanMeierFitter().fit(rows["months"], rows["event"].astype(bool))
        assert summary.loc[str(group), "median"] == pytest.approx(fitted.median_survival_time_)
        assert summary.loc[str(group), "events"] == int(rows["event"].sum())
    groups = sorted(table["group"].unique())
    if len(groups) == 2:
        a, b = (table[table["group"] == g] for g in groups)
        expected = logrank_test(a["months"], b["months"], a["event"].astype(bool), b["event"].astype(bool)).p_value
    else:
        expected = multivariate_logrank_test(table["months"], table["group"], table["event"].astype(bool)).p_value
    assert result.logrank.p_value == pytest.approx(expected, rel=1e-9)


def test_os_only_study_ranks_genes_by_altered_patients(os_only):
    study, _ = os_only
    ranked = pfs_groups.most_altered_genes(study)
    expected = {**{g: len(w) for g, w in OS_GENE_CARRIERS.items()}, **{g: len(w) for g, w in OS_AMPLIFIED.items()}}
    assert ranked["gene"].tolist() == sorted(expected, key=lambda g: (-expected[g], g))
    assert ranked.set_index("gene")["n_patients"].to_dict() == expected


@pytest.mark.parametrize("gene", ["TP53", "KRAS", "MYC", "APC"])
def test_os_only_study_by_any_gene_matches_lifelines(os_only, gene):
    study, t = os_only
    grouping = pfs_groups.by_gene(study, t, gene)
    assert grouping.table.empty  # no PFS at all ...
    result = pfs_groups.grouping_survival(grouping, study.patients, "os")  # ... but overall survival works
    table, _ = pfs_groups.endpoint_table(grouping, "os", study.patients)
    carriers = {f"C{i:02d}" for i in {**OS_GENE_CARRIERS, **OS_AMPLIFIED}[gene]}
    assert set(table.loc[table["group"] == f"{gene} altered", "patient_id"]) == carriers
    assert result.summary["n"].sum() == 40
    _lifelines_check(result, table)


@pytest.mark.parametrize("attribute", ["sex", "stage", "age"])
def test_os_only_study_by_any_clinical_attribute_matches_lifelines(os_only, attribute):
    study, t = os_only
    grouping = pfs_groups.by_clinical_attribute(study, t, attribute)
    result = pfs_groups.grouping_survival(grouping, study.patients, "os")
    table, _ = pfs_groups.endpoint_table(grouping, "os", study.patients)
    if attribute == "age":  # a measurement: split at the median
        median = study.patients["age"].median()
        assert grouping.group_order == (f"< {median:g}", f">= {median:g}")
        high = set(study.patients.loc[study.patients["age"] >= median, "patient_id"])
        assert set(table.loc[table["group"] == f">= {median:g}", "patient_id"]) == high
    else:
        assert set(table["group"]) == set(study.patients[attribute])
    _lifelines_check(result, table)


def test_os_only_study_every_grouping_runs_and_says_why_it_is_empty(os_only):
    study, t = os_only
    groupings = pfs_groups.default_groupings(study, t, call_mechanisms(study, t))
    for name, grouping in groupings.items():
        result = pfs_groups.grouping_survival(grouping, study.patients, "os")
        assert result.caveats, name  # no plasma draws: nobody grouped, and said so
    pfs = pfs_groups.grouping_survival(pfs_groups.by_gene(study, t, "TP53"), t.patients, "pfs")
    assert pfs.summary["n"].sum() == 0 and any("without PFS" in c for c in pfs.caveats)
    assert pfs_groups.available_endpoints(study.patients) == ["os"]
