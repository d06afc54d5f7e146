"""The answer sentences say what the demo generator planted (its truth file) and what the tables say."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from analysis.answers import (
    REASON_LOW_TUMOUR_FRACTION,
    REASON_NO_EVALUABLE_DRAWS,
    REASON_NOT_FOLLOWED,
    REASON_NOT_FOUND,
    patient_answers,
)
from analysis.io.cbioportal import read_study
from analysis.patient import analyse_patient
from analysis.response import lead_times
from analysis.study import Study
from analysis.wording import pathway_name, vaf_text
from tests.conftest import make_tiny_study
from tests.dashboard.test_status_words import pathway_part


@pytest.fixture(scope="module")
def demo(demo_study_dir):
    study = read_study(demo_study_dir)
    truth = json.loads((demo_study_dir.parent / "demo.truth.json").read_text())["patients"]
    return study, truth


def _day(value: float) -> str:
    return f"{value:g}"


def _planted_mechanisms_are_named(answers, planted: dict) -> None:
    assert answers.mechanism.startswith(f"{planted['n_mechanisms']} mechanism"), answers.mechanism
    for mechanism in planted["mechanisms"]:
        part = pathway_part(answers.mechanism, pathway_name(mechanism["pathway"]))
        assert mechanism["gene"] in part and mechanism["status"] in part, (mechanism, answers.mechanism)


def test_innate_patient_rise_at_progression_and_baseline_mechanisms(demo):
    study, truth = demo
    pid, planted = next((pid, p) for pid, p in sorted(truth.items())
                        if p["resistance_class"] == "innate" and p["mechanisms"])
    answers = patient_answers(analyse_patient(study, pid))
    assert answers.her2_reason is None
    text = answers.her2_trajectory
    assert text.startswith("Plasma ERBB2 CN ")
    assert f"radiological progression (day {_day(planted['progression_day'])})" in text \
        or f"radiological progression on day {_day(planted['progression_day'])}" in text, text
    risen = float(re.search(r"rose to ([0-9.]+) copies", text).group(1))
    assert risen == pytest.approx(planted["erbb2_cn_progression"], abs=0.01)
    _planted_mechanisms_are_named(answers, planted)
    assert all(m["status"] == "baseline" for m in planted["mechanisms"])
    assert "new at progression" not in answers.mechanism


def _planted_rise_is_clear(planted: dict, margin: float = 0.1) -> bool:
    """Whether the noise-free plasma CN the generator planted (2 + (T - 2) f per draw) rises at the planted
    lead draw by the lead-time rule (analysis.params LEAD_RISE_*) with *margin* copies to spare."""
    draws = sorted(planted["plasma_samples"].values(), key=lambda s: s["collection_day"])
    expected = [(s["collection_day"], 2 + (s["tumour_erbb2_cn"] - 2) * s["tumour_fraction"]) for s in draws]
    lead_day = planted["molecular_lead_draw_day"]
    nadir = min(cn for day, cn in expected if day < lead_day)
    at_lead = next(cn for day, cn in expected if day == lead_day)
    return at_lead >= nadir + max(0.5, 0.5 * (nadir - 2)) + margin


def test_acquired_patients_with_a_planted_lead_read_that_lead(demo):
    study, truth = demo
    planted_leads = {pid: p for pid, p in sorted(truth.items())
                     if p["resistance_class"] == "acquired" and p["molecular_lead_draw_day"] is not None}
    clear = {pid for pid, p in planted_leads.items() if _planted_rise_is_clear(p)}
    assert len(planted_leads) >= 8 and len(clear) >= 3
    said = set()
    for pid, planted in planted_leads.items():
        patient = analyse_patient(study, pid)
        text = patient_answers(patient).her2_trajectory
        progression = planted["progression_day"]
        assert f"radiological progression on day {_day(progression)}" in text, (pid, text)
        if "did not rise" in text:
            continue
        lead_day = planted["molecular_lead_draw_day"]
        assert f"on day {_day(lead_day)}, {_day(progression - lead_day)} days before radiological progression" \
            in text, (pid, text)
        # The same lead time as the Response page's lead-time table.
        table = lead_times(patient.trajectories).set_index("patient_id")
        assert table.loc[pid, "lead_time_days"] == progression - lead_day
        said.add(pid)
    assert clear <= said, (clear, said)


def test_acquired_patient_with_a_lead_reads_like_the_issue(demo):
    study, truth = demo
    pid, planted = next((pid, p) for pid, p in sorted(truth.items())
                        if p["resistance_class"] == "acquired" and p["molecular_lead_draw_day"] is not None
                        and _planted_rise_is_clear(p) and len(p["mechanisms"]) == 2
                        and any(m["status"] == "new at progression" for m in p["mechanisms"]))
    answers = patient_answers(analyse_patient(study, pid))
    lead = planted["progression_day"] - planted["molecular_lead_draw_day"]
    assert re.fullmatch(
        rf"Plasma ERBB2 CN fell from [0-9.]+ to a nadir of [0-9.]+ copies on day \d+, then rose to [0-9.]+ copies on "
        rf"day {planted['molecular_lead_draw_day']}, {lead} days before radiological progression on day "
        rf"{planted['progression_day']}\.", answers.her2_trajectory), answers.her2_trajectory
    _planted_mechanisms_are_named(answers, planted)


def test_not_followed_and_censored_patients(demo):
    study, truth = demo
    not_followed = [pid for pid, p in sorted(truth.items()) if not p["followed"]]
    censored = [pid for pid, p in sorted(truth.items()) if p["profile"] == "C"]
    assert not_followed and censored
    for pid in not_followed[:10]:
        answers = patient_answers(analyse_patient(study, pid))
        assert answers.her2_reason == REASON_NOT_FOLLOWED, pid
        assert "not followed on trastuzumab" in answers.her2_trajectory
        assert answers.mechanism.startswith("Not followed"), answers.mechanism
    for pid in censored:
        answers = patient_answers(analyse_patient(study, pid))
        assert answers.her2_reason is None, pid
        assert answers.her2_trajectory.endswith(("no radiological progression recorded (censored).",
                                                 "says little about the tumour.")), answers.her2_trajectory
        assert "radiological progression on day" not in answers.her2_trajectory


def test_every_demo_patient_sentence_matches_the_tables(demo):
    study, truth = demo
    for pid in sorted(truth):
        patient = analyse_patient(study, pid)
        answers = patient_answers(patient)
        calls = patient.resistance.calls
        assert answers.n_mechanisms == len(calls) == truth[pid]["n_mechanisms"] or not truth[pid]["followed"], pid
        evidence = patient.resistance.evidence
        support = evidence[evidence["evidence_direction"] == "resistance"]
        for row in support.itertuples(index=False):
            part = pathway_part(answers.mechanism, pathway_name(row.pathway))
            assert row.status in part, (pid, row.status, part)
            if row.alteration_type == "mutation":
                assert f"VAF {vaf_text(row.vaf)} on day {_day(row.day)}" in part, (pid, part)
        count = re.search(r"(\d+) mechanisms?: ", answers.mechanism)
        assert (int(count.group(1)) if count else 0) == len(calls), (pid, answers.mechanism)
        progressed = bool(patient.trajectories.patients["progressed"].iloc[0])
        assert answers.mechanism[0].isdigit() == (progressed and len(calls) > 0), (pid, answers.mechanism)


def _low_fraction_study() -> Study:
    """The tiny study with every plasma VAF at 0.4%: tumour fraction 0.8%, below the 2% minimum."""
    tiny = make_tiny_study()
    variants = tiny.variants.copy()
    plasma = variants["sample_id"].isin(["P1-B0", "P1-D2"])
    variants.loc[plasma, "vaf"] = 0.004
    variants.loc[plasma, "t_alt_count"] = (variants.loc[plasma, "depth"] * 0.004).round().astype(int)
    variants.loc[plasma, "t_ref_count"] = variants.loc[plasma, "depth"] - variants.loc[plasma, "t_alt_count"]
    return Study.from_tables(patients=tiny.patients, samples=tiny.samples, variants=variants,
                             copy_number=tiny.copy_number, timeline=tiny.timeline)


def test_tumour_fraction_too_low_in_every_draw():
    # The generator plants no followed patient with a low tumour fraction throughout: built here.
    study = _low_fraction_study()
    patient = analyse_patient(study, "P1")
    assert (patient.trajectories.draws["tumour_fraction"].fillna(0) < 0.02).all()
    answers = patient_answers(patient)
    assert answers.her2_reason == REASON_LOW_TUMOUR_FRACTION
    assert answers.her2_trajectory == (
        "The plasma HER2 trajectory cannot be described: the tumour fraction is below 2% or not estimated in all "
        "3 draws; highest 0.800%, so plasma ERBB2 copy number reflects mostly normal DNA.")
    # The unchanged tiny study is described (one draw of three has no tumour fraction, said).
    described = patient_answers(analyse_patient(make_tiny_study(), "P1"))
    assert described.her2_reason is None
    assert described.her2_trajectory.startswith("Plasma ERBB2 CN fell from 4.00 to a nadir of 2.50 copies on day 42, "
                                                "then rose to 3.00 copies on day 167")
    assert "in 1 of 3 draws" in described.her2_trajectory
    assert described.mechanism == "1 mechanism: PI3K pathway (PIK3CA H1047R: new at progression, VAF 5.00% on day 167)."


def test_no_evaluable_draws_and_unknown_patient():
    tiny = make_tiny_study()
    no_cn = Study.from_tables(patients=tiny.patients, samples=tiny.samples, variants=tiny.variants,
                              copy_number=tiny.copy_number.iloc[0:0], timeline=tiny.timeline)
    answers = patient_answers(analyse_patient(no_cn, "P1"))
    assert answers.her2_reason == REASON_NO_EVALUABLE_DRAWS
    assert answers.her2_trajectory.endswith("no plasma draw has an ERBB2 copy number.")
    late = tiny.samples.assign(collection_day=tiny.samples["collection_day"].where(
        tiny.samples["sample_id"] != "P1-B0", 20.0))
    no_baseline = Study.from_tables(patients=tiny.patients, samples=late, variants=tiny.variants,
                                    copy_number=tiny.copy_number, timeline=tiny.timeline)
    answers = patient_answers(analyse_patient(no_baseline, "P1"))
    assert answers.her2_reason == REASON_NO_EVALUABLE_DRAWS
    assert "no plasma draw in the baseline window (-28 to +3 days" in answers.her2_trajectory
    nobody = patient_answers(analyse_patient(tiny, "NOBODY"))
    assert nobody.her2_reason == REASON_NOT_FOUND and nobody.n_mechanisms == 0
    assert isinstance(nobody.mechanism, str) and pd.notna(nobody.mechanism)
