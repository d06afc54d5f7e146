"""The whole-cohort entry point, edge cases, and recovery of what the demo generator planted."""

from __future__ import annotations

import dataclasses
import pickle
import warnings

import pandas as pd
import pytest

from analysis.cohort import CohortAnalysis, analyse_cohort
from analysis.study import Study
from tests.analysis.test_trajectory import make_study

try:
    from analysis.demo.generator import generate_demo
except ImportError as exc:  # the generator is written by another helper
    generate_demo = None
    _GENERATOR_MISSING = f"analysis.demo.generator not importable: {exc}"
else:
    _GENERATOR_MISSING = ""


def _quiet(study: Study) -> CohortAnalysis:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return analyse_cohort(study)


def test_small_study():
    res = _quiet(make_study())
    assert (
        set(res.survival)
        == set(res.groupings)
        >= {"mechanism_count", "baseline_mutation", "resistance_class", "baseline_her2_cn", "early_decline"}
    )
    assert res.resistance.patients.set_index("patient_id").loc["P1", "n_mechanisms"] == 3
    assert set(res.timings["step"]) >= {"trajectories", "response", "concordance", "resistance", "oncoprint"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.params = None  # type: ignore[misc]
    # The dashboard caches results on disk: they must pickle.
    assert pickle.loads(pickle.dumps(res)).resistance.patients.equals(res.resistance.patients)


def test_empty_study_gives_caveats_not_exceptions():
    res = _quiet(Study.from_tables())
    assert res.trajectories.patients.empty and res.response.pairs.empty and res.oncoprint.cells.empty
    assert res.caveats


def test_single_patient():
    study = make_study()
    keep = lambda frame: frame[frame["patient_id"] == "P1"]  # noqa: E731
    one = Study.from_tables(
        patients=keep(study.patients),
        samples=keep(study.samples),
        variants=study.variants[study.variants["sample_id"].str.startswith("P1")],
        copy_number=study.copy_number[study.copy_number["sample_id"].str.startswith("P1")],
        timeline=keep(study.timeline),
    )
    res = _quiet(one)
    assert len(res.trajectories.patients) == 1
    assert res.resistance.summary.set_index("measure").loc["progressors", "value"] == 1
    assert any("enrichment" in c.lower() or "innate and acquired" in c for c in res.caveats)


def test_all_censored():
    study = make_study()
    censored = Study.from_tables(
        patients=study.patients.assign(pfs_event=False),
        samples=study.samples,
        variants=study.variants,
        copy_number=study.copy_number,
        timeline=study.timeline[study.timeline["event_type"] != "STATUS"],
    )
    res = _quiet(censored)
    assert not res.trajectories.patients["progressed"].any()
    assert any("all censored" in c for c in res.caveats)
    assert res.survival["resistance_class"].summary["events"].sum() == 0


# --------------------------------------------------------------------------- demo cohort


@pytest.fixture(scope="module")
def demo():
    if generate_demo is None:
        pytest.skip(_GENERATOR_MISSING)
    cohort = generate_demo()
    return cohort, _quiet(cohort.study)


def _progressors(truth: dict) -> dict:
    return {pid: p for pid, p in truth["patients"].items() if p["progressed"]}


def test_demo_classes_recovered(demo):
    cohort, res = demo
    classes = res.trajectories.patients.set_index("patient_id")["resistance_class"]
    for pid, planted in _progressors(cohort.truth).items():
        assert classes[pid] == planted["resistance_class"], pid
    assert (classes == "innate").sum() == cohort.truth["counts"]["innate"]
    assert (classes == "acquired").sum() == cohort.truth["counts"]["acquired"]


def test_demo_each_planted_mechanism_called(demo):
    cohort, res = demo
    ev = res.resistance.evidence
    ev = ev[ev["evidence_direction"] == "resistance"]
    for pid, planted in _progressors(cohort.truth).items():
        mine = ev[ev["patient_id"] == pid]
        for mech in planted["mechanisms"]:
            hits = mine[(mine["pathway"] == mech["pathway"]) & (mine["gene"] == mech["gene"])]
            assert len(hits), (pid, mech)
            if mech["status"] == "new at progression":
                assert (hits["status"] == "new at progression").any(), (pid, mech)
            else:
                assert (hits["draw"] == "baseline").any(), (pid, mech)
        called = {
            p for p in res.resistance.patients.set_index("patient_id").loc[pid, "pathways"].split(";") if p
        }
        assert called == {m["pathway"] for m in planted["mechanisms"]}, pid


def test_demo_share_with_mechanism(demo):
    cohort, res = demo
    summary = res.resistance.summary.set_index("measure")["value"]
    assert summary["progressors"] == 17 and summary["progressors with >= 1 mechanism"] == 13
    assert summary["% progressors with a mechanism"] == pytest.approx(76.47, abs=0.01)
    assert summary["progressors with 2+ mechanisms"] == cohort.truth["counts"]["multiple_mechanisms"]


def test_demo_her2_direction_by_class(demo):
    _, res = demo
    by = res.response.her2_by_class.set_index("resistance_class")
    assert by.loc["innate", "n_higher"] == by.loc["innate", "n"] == 7
    assert by.loc["acquired", "n_lower"] == by.loc["acquired", "n"] == 10
    assert by.loc["acquired", "p_value"] < 0.05


def test_demo_her2_auc_above_cea(demo):
    _, res = demo
    auc = res.response.auc.set_index("measure")["auc"]
    assert auc["her2_cn"] > auc["cea"]
    assert res.response.delong.difference > 0


def test_demo_pik3ca_enriched_in_innate(demo):
    cohort, res = demo
    row = res.resistance.enrichment.set_index(["level", "mechanism"]).loc[("gene", "PIK3CA")]
    assert row["innate_with"] == cohort.truth["counts"]["pik3ca_innate"]
    assert row["acquired_with"] == cohort.truth["counts"]["pik3ca_acquired"]


def test_demo_her2_at_progression_matches_truth(demo):
    cohort, res = demo
    per = res.response.her2_at_progression.set_index("patient_id")
    for pid, planted in _progressors(cohort.truth).items():
        assert per.loc[pid, "baseline_erbb2_cn"] == pytest.approx(planted["erbb2_cn_baseline"], rel=1e-3)
        assert per.loc[pid, "progression_erbb2_cn"] == pytest.approx(
            planted["erbb2_cn_progression"], rel=1e-3
        )
    assert isinstance(res.oncoprint.cells, pd.DataFrame) and len(res.oncoprint.patient_order) == 78


def test_demo_lead_time_recovered_in_acquired_resistance(demo):
    """The generator plants a ctDNA rise one draw before radiological progression in acquired resistance."""
    cohort, result = demo
    truth = cohort.truth
    leads = result.response.lead_times.set_index("patient_id")
    planted = {pid: p["molecular_lead_draw_day"] for pid, p in truth["patients"].items()
               if p.get("molecular_lead_draw_day") is not None}
    assert planted, "the demo plants lead times"
    recovered = [pid for pid, day in planted.items()
                 if pid in leads.index and leads.loc[pid, "rise_day"] == day and leads.loc[pid, "lead_time_days"] > 30]
    assert len(recovered) >= len(planted) // 2
