"""PFS groupings: groups, exclusions with caveats, and that they feed kaplan_meier."""

from __future__ import annotations

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
    # P1: excess 1.0 at day 42 vs 4.0 at baseline -> decline; P2's first on-treatment draw is its
    # progression draw (excess 3.0 vs 2.0) -> no decline; P3 has no later draw: not grouped, and why.
    assert groups_of(g) == {"P1": "decline", "P2": "no decline"}
    assert any("no draw after the baseline draw" in c and "P3" in c for c in g.caveats)
    assert g.summary.set_index("group").loc["not grouped", "n"] == 1


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
