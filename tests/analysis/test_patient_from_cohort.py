"""A patient's analysis taken from the whole-cohort result equals the one computed on the patient alone."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from analysis.cohort import analyse_cohort
from analysis.io.cbioportal import read_study
from analysis.params import AnalysisParameters
from analysis.patient import analyse_patient, patient_from_cohort
from analysis.resistance import load_knowledge_base
from analysis.study import Study, StudyMeta
from tests.conftest import make_tiny_study
from tests.dashboard.test_hostile_ids import hostile_study_dir


def assert_same(left, right, where: str = "") -> None:
    """Field by field: tables with pandas testing (dtypes, index, order), tuples and scalars with ==."""
    if isinstance(left, pd.DataFrame):
        if not _identical(left, right):  # pandas' own check only where they differ (it names the difference)
            pd.testing.assert_frame_equal(left, right, obj=where)
            raise AssertionError(f"{where}: frames differ")
    elif dataclasses.is_dataclass(left) and not isinstance(left, type):
        assert type(left) is type(right), where
        for field in dataclasses.fields(left):
            assert_same(getattr(left, field.name), getattr(right, field.name), f"{where}.{field.name}")
    else:
        assert left == right, where


def _identical(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    """Same columns, index, dtypes and values (missing where missing): a fast form of assert_frame_equal."""
    return (isinstance(right, pd.DataFrame) and list(left.columns) == list(right.columns)
            and left.index.equals(right.index) and type(left.index) is type(right.index)
            and list(left.dtypes) == list(right.dtypes) and left.equals(right))


@pytest.fixture(scope="module")
def demo(demo_study_dir):
    return read_study(demo_study_dir)


@pytest.mark.parametrize("params", [AnalysisParameters(),
                                    AnalysisParameters(plasma_amplification_cn=3.1, purity_adjustment=True,
                                                       baseline_window_days=(-14, 0))],
                         ids=["defaults", "changed"])
def test_every_demo_patient_from_the_cohort_equals_its_own_analysis(demo, params):
    kb = load_knowledge_base(params.knowledge_base)
    cohort = analyse_cohort(demo, params, kb)
    patients = [*demo.patients["patient_id"].astype(str), "NOBODY"]
    for pid in patients:
        assert_same(patient_from_cohort(demo, pid, cohort), analyse_patient(demo, pid, params, kb), pid)


def caveat_study():
    """The tiny study plus three patients who, between them, raise every trajectory caveat:
    P3 censored for PFS with a progression event, P4 with no follow-up, an undated plasma sample and no
    baseline draw, P5 with a baseline scan before the window and two CEA values on one day."""
    tiny = make_tiny_study()
    patients = pd.concat([tiny.patients, pd.DataFrame({
        "patient_id": ["P3", "P4", "P5"], "her2_status": ["POSITIVE"] * 3, "pfs_months": [9.0, None, 7.0],
        "pfs_event": [False, None, True]})], ignore_index=True)
    samples = pd.concat([tiny.samples, pd.DataFrame({
        "sample_id": ["P3-B0", "P3-D1", "P4-U", "P4-D1", "P5-B0", "P5-D1"],
        "patient_id": ["P3", "P3", "P4", "P4", "P5", "P5"], "sample_type": ["plasma"] * 6,
        "collection_day": [-2.0, 90.0, None, 60.0, -5.0, 120.0],
        "timepoint": ["BASELINE", "ON_TREATMENT", None, "ON_TREATMENT", "BASELINE", "PROGRESSION"]})],
        ignore_index=True)
    copy_number = pd.concat([tiny.copy_number, pd.DataFrame({
        "sample_id": ["P3-B0", "P3-D1", "P4-D1", "P5-B0", "P5-D1"], "gene": ["ERBB2"] * 5,
        "copy_number": [5.0, 3.0, 4.0, 6.0, 7.5]})], ignore_index=True)
    timeline = pd.concat([tiny.timeline, pd.DataFrame({
        "patient_id": ["P3", "P3", "P5", "P5", "P5", "P5", "P5"],
        "start_day": [0.0, 100.0, 0.0, -60.0, 56.0, 30.0, 30.0],
        "event_type": ["TREATMENT", "STATUS", "TREATMENT", "IMAGING", "IMAGING", "LAB_TEST", "LAB_TEST"],
        "agent": ["Trastuzumab", None, "Trastuzumab", None, None, None, None],
        "status": [None, "PROGRESSION", None, None, None, None, None],
        "target_lesion_sum_mm": [None, None, None, 70.0, 90.0, None, None],
        "test": [None] * 5 + ["CEA", "CEA"], "result": [None] * 5 + [8.0, 10.0],
        "unit": [None] * 5 + ["ng/mL", "ng/mL"]})], ignore_index=True)
    return Study.from_tables(patients=patients, samples=samples, variants=tiny.variants, copy_number=copy_number,
                             timeline=timeline, meta=StudyMeta(study_id="caveats", name="Every caveat"))


def test_every_trajectory_caveat_is_the_patients_own_from_the_cohort():
    """Each patient's caveats, taken from the cohort's rows, are those of the patient analysed alone."""
    study = caveat_study()
    params = AnalysisParameters()
    kb = load_knowledge_base(params.knowledge_base)
    cohort = analyse_cohort(study, params, kb)
    raised = {topic for topic, _ in cohort.trajectories.caveat_topics}
    assert {"draws", "cea", "imaging", "follow_up", "baseline"} <= raised, cohort.trajectories.caveat_topics
    texts = " ".join(cohort.trajectories.caveats)
    for fragment in ("without a collection day", "several CEA values", "pre-treatment scan before day",
                     "censored for PFS have a progression event or PD scan; PFS_STATUS is trusted: P3",
                     "no PFS status", "no plasma draw in the baseline window"):
        assert fragment in texts, fragment
    for pid in (*study.patients["patient_id"].astype(str), "NOBODY"):
        sliced = patient_from_cohort(study, pid, cohort)
        assert_same(sliced, analyse_patient(study, pid, params, kb), pid)
    assert any("PFS_STATUS is trusted: P3" in c for c in patient_from_cohort(study, "P3", cohort).caveats)
    assert not any("PFS_STATUS" in c for c in patient_from_cohort(study, "P5", cohort).caveats)


def test_hostile_ids_from_the_cohort(demo_study_dir, tmp_path):
    study = read_study(hostile_study_dir(demo_study_dir, tmp_path / "hostile"))
    params = AnalysisParameters()
    kb = load_knowledge_base(params.knowledge_base)
    cohort = analyse_cohort(study, params, kb)
    for pid in ("P 1/a#b", "<b>X</b>", '<a href="https://example.org/">Z</a>'):
        sliced = patient_from_cohort(study, pid, cohort)
        assert sliced.found and len(sliced.resistance.evidence)  # innate progressors with evidence
        assert_same(sliced, analyse_patient(study, pid, params, kb), pid)


def test_the_comparison_sees_a_difference(demo):
    """The equality above can fail: one changed cell of one table is found."""
    params = AnalysisParameters()
    kb = load_knowledge_base(params.knowledge_base)
    pid = demo.patients["patient_id"].astype(str).iloc[0]
    own = analyse_patient(demo, pid, params, kb)
    changed = own.resistance.patients.assign(n_mechanisms=own.resistance.patients["n_mechanisms"] + 1)
    other = dataclasses.replace(own, resistance=dataclasses.replace(own.resistance, patients=changed))
    with pytest.raises(AssertionError):
        assert_same(other, own)
