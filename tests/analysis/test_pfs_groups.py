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
        "P1": "≥ 5",
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
        assert grouping.group_order == (f"< {median:g}", f"≥ {median:g}")
        high = set(study.patients.loc[study.patients["age"] >= median, "patient_id"])
        assert set(table.loc[table["group"] == f"≥ {median:g}", "patient_id"]) == high
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


# --- guarantee-time bias: baseline-only groupings and the landmark analysis ------------------------------
LANDMARK_DAY = 90.0


def make_landmark_study(n: int = 30, seed: int = 11) -> Study:
    """HER2+ patients with a baseline draw (day -3), a day-60 draw and, for progressors, a progression draw.

    Index i: PIK3CA E545K at baseline when i % 3 == 0 (PI3K), also ERBB2 S310F when i % 6 == 0 (HER family,
    so 2+ mechanisms); KRAS G12D in the day-60 draw when i % 4 == 1 (known by the landmark) and only in the
    progression draw when i % 4 == 3 (after it: must not count).  NF1 at progression for every progressor.
    """
    rng = np.random.default_rng(seed)
    ids = [f"L{i:02d}" for i in range(n)]
    pfs_days = np.round(rng.uniform(20, 400, n))
    event = rng.random(n) < 0.75
    patients = pd.DataFrame({"patient_id": ids, "her2_status": "POSITIVE", "pfs_months": pfs_days / 30.4375,
                             "pfs_event": event, "os_months": pfs_days / 30.4375 + 6, "os_event": event})
    samples, variants = [], []

    def mutation(sample_id: str, gene: str, change: str) -> dict:
        return {"sample_id": sample_id, "gene": gene, "variant_classification": "Missense_Mutation",
                "protein_change": change, "vaf": 0.05, "t_ref_count": 950, "t_alt_count": 50, "depth": 1000}

    for i, pid in enumerate(ids):
        samples.append({"sample_id": f"{pid}-B", "patient_id": pid, "sample_type": "plasma", "collection_day": -3.0})
        samples.append({"sample_id": f"{pid}-D60", "patient_id": pid, "sample_type": "plasma",
                        "collection_day": 60.0})
        variants.append(mutation(f"{pid}-B", "TP53", "R175H"))
        if i % 3 == 0:
            variants.append(mutation(f"{pid}-B", "PIK3CA", "E545K"))
        if i % 6 == 0:
            variants.append(mutation(f"{pid}-B", "ERBB2", "S310F"))
        if i % 4 == 1:
            variants.append(mutation(f"{pid}-D60", "KRAS", "G12D"))
        if event[i] and pfs_days[i] > 75:
            samples.append({"sample_id": f"{pid}-P", "patient_id": pid, "sample_type": "plasma",
                            "collection_day": float(pfs_days[i])})
            variants.append(mutation(f"{pid}-P", "NF1", "R1362*"))
            if i % 4 == 3:
                variants.append(mutation(f"{pid}-P", "KRAS", "G12D"))
    return Study.from_tables(patients=patients, samples=pd.DataFrame(samples), variants=pd.DataFrame(variants))


@pytest.fixture(scope="module")
def landmark_context():
    study = make_landmark_study()
    trajectories = analyse_trajectories(study)
    return study, trajectories, call_mechanisms(study, trajectories)


def _expected_landmark_table(study: Study, groups: dict[str, str]) -> pd.DataFrame:
    """By hand: patients followed beyond the landmark, PFS counted from it."""
    pts = study.patients.set_index("patient_id")
    days = pts["pfs_months"] * 30.4375
    keep = [p for p in groups if days[p] > LANDMARK_DAY]
    return pd.DataFrame({"patient_id": keep,
                         "months": [pts.loc[p, "pfs_months"] - LANDMARK_DAY / 30.4375 for p in keep],
                         "event": [bool(pts.loc[p, "pfs_event"]) for p in keep],
                         "group": [groups[p] for p in keep]})


def test_landmark_gene_counts_only_samples_by_the_landmark_and_matches_lifelines(landmark_context):
    study, t, _ = landmark_context
    grouping = pfs_groups.landmark_gene(study, t, "KRAS", LANDMARK_DAY)
    assert grouping.landmark_day == LANDMARK_DAY and grouping.bias_note == ""
    ids = study.patients["patient_id"].tolist()
    groups = {p: "KRAS altered" if i % 4 == 1 else "KRAS not altered" for i, p in enumerate(ids)}
    expected = _expected_landmark_table(study, groups)
    # PFS table (what the cohort analysis uses) and the endpoint table agree with the hand-built one.
    table, caveats = pfs_groups.endpoint_table(grouping, "pfs", t.patients)
    got = table.set_index("patient_id").sort_index()
    want = expected.set_index("patient_id").sort_index()
    assert got.index.tolist() == want.index.tolist()
    assert got["group"].tolist() == want["group"].tolist()
    assert np.allclose(got["months"], want["months"])
    assert np.allclose(grouping.table.set_index("patient_id").sort_index()["pfs_months"], want["months"])
    # Left out and counted: events and censorings on or before the landmark.
    days = study.patients.set_index("patient_id")["pfs_months"] * 30.4375
    early = study.patients[(days <= LANDMARK_DAY).to_numpy()]
    n_early, n_early_events = len(early), int(early["pfs_event"].sum())
    assert n_early > 0
    assert any(f"{n_early} patient(s) with no follow-up beyond it" in c and f"{n_early_events} with a progression" in c
               for c in caveats)
    result = pfs_groups.grouping_survival(grouping, t.patients, "pfs")
    _lifelines_check(result, want.reset_index())


def test_landmark_mechanisms_ignore_what_came_after_the_landmark(landmark_context):
    study, t, r = landmark_context
    grouping = pfs_groups.landmark_mechanism_count(t, r, LANDMARK_DAY)
    ids = study.patients["patient_id"].tolist()
    # Baseline PI3K (i % 3 == 0) plus HER family (i % 6 == 0); NF1/KRAS at a progression after the
    # landmark never count (a progression draw before it does, but those patients are left out anyway).
    groups = {p: "2+" if i % 6 == 0 else "1" if i % 3 == 0 else "0" for i, p in enumerate(ids)}
    days = study.patients.set_index("patient_id")["pfs_months"] * 30.4375
    followed = [p for p in ids if days[p] > LANDMARK_DAY]
    assert grouping.members.set_index("patient_id")["group"][followed].to_dict() == {p: groups[p] for p in followed}
    # Whereas the paper's count, from the progression draw, does count them.
    paper = pfs_groups.by_mechanism_count(t, r)
    assert paper.bias_note.startswith("Caution") and "guarantee-time" in paper.bias_note
    paper_groups = paper.members.set_index("patient_id")["group"]
    assert any(paper_groups.get(p) != groups[p] for p in followed)
    expected = _expected_landmark_table(study, groups)
    result = pfs_groups.grouping_survival(grouping, t.patients, "pfs")
    _lifelines_check(result, expected)
    with pytest.raises(ValueError, match="landmark"):
        pfs_groups.landmark_mechanism_count(t, r, -5)


def test_baseline_only_gene_grouping_and_bias_notes(landmark_context):
    study, t, r = landmark_context
    ids = study.patients["patient_id"].tolist()
    baseline = pfs_groups.by_gene(study, t, "KRAS", sources="baseline")
    # KRAS appears only after baseline: nobody is altered in the baseline draw.
    assert set(baseline.members["group"]) == {"KRAS not altered"} and baseline.bias_note == ""
    any_sample = pfs_groups.by_gene(study, t, "KRAS")
    assert "guarantee-time" in any_sample.bias_note
    carriers = set(any_sample.members.loc[any_sample.members["group"] == "KRAS altered", "patient_id"])
    assert {p for i, p in enumerate(ids) if i % 4 == 1} <= carriers
    pik3ca = pfs_groups.by_gene(study, t, "PIK3CA", sources="baseline")
    assert set(pik3ca.members.loc[pik3ca.members["group"] == "PIK3CA altered", "patient_id"]) == {
        p for i, p in enumerate(ids) if i % 3 == 0}
    assert "circular" in pfs_groups.by_resistance_class(t).bias_note
    assert pfs_groups.by_baseline_mutation(t, r).bias_note == ""


def test_gene_grouping_leaves_out_patients_whose_samples_did_not_profile_the_gene(context):
    import dataclasses

    study, t, _ = context
    samples = study.samples["sample_id"].tolist()
    # P3's only sample was sequenced with a panel without KRAS; everyone else with a panel that has it.
    panel = {s: ("SMALL" if s.startswith("P3") else "BIG") for s in samples}
    panelled = dataclasses.replace(
        study, gene_panels=pd.DataFrame({"sample_id": samples, "profile": "mutations",
                                         "panel_id": [panel[s] for s in samples]}),
        panel_genes=pd.DataFrame({"panel_id": ["SMALL", "BIG", "BIG", "BIG"],
                                  "gene": ["TP53", "TP53", "KRAS", "ERBB4"]}))
    grouping = pfs_groups.by_gene(panelled, t, "KRAS")
    assert groups_of(grouping) == {"P1": "KRAS altered", "P2": "KRAS not altered"}
    assert any("KRAS not profiled" in c and "P3" in c for c in grouping.caveats)


def test_structural_variants_make_a_gene_altered(context):
    import dataclasses

    study, t, _ = context
    with_sv = dataclasses.replace(study, structural_variants=pd.DataFrame(
        {"sample_id": ["P3-B"], "gene1": ["EML4"], "gene2": ["ALK"], "sv_class": ["FUSION"]}))
    assert groups_of(pfs_groups.by_gene(with_sv, t, "ALK"))["P3"] == "ALK altered"
    altered = pfs_groups.altered_samples(with_sv, genes="EML4")
    assert altered[["sample_id", "gene"]].values.tolist() == [["P3-B", "EML4"]]
