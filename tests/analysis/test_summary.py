"""Descriptive counts of a study."""

from __future__ import annotations

from analysis.study import Study
from analysis.summary import study_summary


def test_counts_of_tiny_study(tiny_study):
    summary = study_summary(tiny_study)
    assert (summary.n_patients, summary.n_samples, summary.n_variants) == (2, 6, 4)
    assert summary.n_followed_patients == 1 and summary.n_serial_draws == 3
    assert summary.n_progressions == 1
    table = summary.samples_by_type_timepoint
    assert table[["sample_type", "timepoint", "samples"]].values.tolist() == [
        ["plasma", "BASELINE", 2], ["plasma", "ON_TREATMENT", 1], ["plasma", "PROGRESSION", 1],
        ["tissue", "BASELINE", 2]]
    assert summary.her2_status.values.tolist() == [["POSITIVE", 1], ["NEGATIVE", 1]]


def test_missing_values_are_counted_as_not_recorded(tiny_study):
    patients = tiny_study.patients.copy()
    patients.loc[1, "her2_status"] = None
    study = Study.from_tables(patients=patients, samples=tiny_study.samples)
    assert study_summary(study).her2_status.values.tolist() == [["POSITIVE", 1], ["NEGATIVE", 0],
                                                                 ["Not recorded", 1]]


def test_empty_study_gives_zero_counts():
    summary = study_summary(Study.from_tables())
    assert summary.n_patients == 0 and summary.samples_by_type_timepoint.empty


def test_undated_samples_are_counted_and_not_serial_draws(tiny_study):
    samples = tiny_study.samples.copy()
    samples.loc[samples["sample_id"] == "P1-D1", "collection_day"] = None
    summary = study_summary(Study.from_tables(patients=tiny_study.patients, samples=samples))
    table = summary.samples_by_type_timepoint.set_index(["sample_type", "timepoint"])
    assert table.loc[("plasma", "ON_TREATMENT"), "undated"] == 1
    assert table["undated"].sum() == 1
    assert summary.n_serial_draws == 2  # the undated draw is not on any trajectory
