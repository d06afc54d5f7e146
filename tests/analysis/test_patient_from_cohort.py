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
