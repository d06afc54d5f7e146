"""Patient page view models and figure, on the demo cohort's planted patients."""

from __future__ import annotations

import dataclasses
import json

import pytest

from analysis.io.cbioportal import read_study
from analysis.params import AnalysisParameters
from analysis.patient import analyse_patient
from dashboard.figures.patient import patient_timeline
from dashboard.views.patient import (
    alteration_table,
    draw_options,
    evidence_table,
    header_facts,
    mechanism_summary,
    neighbours,
    vaf_tracks,
)
from tests.dashboard.test_patient_figure_dict import graph_figure


@pytest.fixture(scope="module")
def demo(demo_study_dir):
    study = read_study(demo_study_dir)
    truth = json.loads((demo_study_dir.parent / "demo.truth.json").read_text())
    return study, truth


def _innate_with_mechanism(truth) -> str:
    return next(pid for pid, p in sorted(truth["patients"].items())
                if p.get("resistance_class") == "innate" and p.get("mechanisms"))


def test_vaf_tracks_put_mechanism_variants_first_and_leave_out_chip(demo):
    study, truth = demo
    pid = _innate_with_mechanism(truth)
    patient = analyse_patient(study, pid)
    tracks = vaf_tracks(patient)
    first = tracks.drop_duplicates("label").head(1)
    assert bool(first["is_mechanism"].iloc[0])
    # CHIP variants are kept but marked, never unmarked (issue 9.9)
    chip = tracks[tracks["gene"].isin(["DNMT3A", "TET2"])]
    assert chip["excluded"].str.startswith("CHIP gene").all()
    assert tracks["label"].nunique() <= 8
    assert tracks["vaf"].between(0, 1).all()


def test_alteration_table_marks_supporting_alterations(demo):
    study, truth = demo
    pid = _innate_with_mechanism(truth)
    patient = analyse_patient(study, pid)
    table = alteration_table(patient)
    planted = {(m["gene"], m["alteration"]) for m in truth["patients"][pid]["mechanisms"] if m["type"] == "mutation"}
    marked = table[table["mechanism"].notna()]
    assert planted <= set(zip(marked["gene"], marked["alteration"], strict=True))
    # VAF shown as a percentage with 3 significant digits (d3 ".3r", so 10.0 and 0.500 keep their
    # zeros); the data, and so the CSV download, keep the exact value (issue 9.9).
    from dashboard.components.tables import data_table

    column = next(c for c in data_table(table, "t").grid.columnDefs if c["field"] == "vaf_pct")
    assert column["type"] == "rightAligned" and "d3.format('.3r')" in column["valueFormatter"]["function"]
    plasma = patient.variants.set_index("sample_id")["vaf"]
    assert table["vaf_pct"].dropna().max() == 100 * plasma.max()


def test_evidence_and_summary_name_the_planted_pathways(demo):
    study, truth = demo
    pid = _innate_with_mechanism(truth)
    patient = analyse_patient(study, pid)
    evidence = evidence_table(patient)
    assert evidence["citation"].str.len().gt(10).all()
    summary = mechanism_summary(patient)
    assert summary.startswith(f"{len(truth['patients'][pid]['mechanisms'])} mechanism")


def test_timeline_has_observed_and_adjusted_cn_and_cutoff(demo):
    study, truth = demo
    pid = _innate_with_mechanism(truth)
    patient = analyse_patient(study, pid)
    figure = graph_figure(patient_timeline(patient, vaf_tracks(patient), AnalysisParameters()))
    names = [trace.name for trace in figure.data]
    assert "Plasma ERBB2 CN (observed, copies)" in names
    assert "ERBB2 CN purity-adjusted (copies per tumour cell)" in names
    assert any(shape.y0 == 2.4 for shape in figure.layout.shapes)
    observed = next(t for t in figure.data if t.name == "Plasma ERBB2 CN (observed, copies)")
    assert observed.y[-1] > observed.y[0], "innate resistance: ERBB2 CN higher at progression"
    without = patient_timeline(patient, vaf_tracks(patient), AnalysisParameters(purity_adjustment=False))
    assert "ERBB2 CN purity-adjusted (copies per tumour cell)" not in [t["name"] for t in without["data"]]


def test_neighbours():
    assert neighbours(["A", "B"], "A") == (None, "B")
    assert neighbours(["A", "B"], "Z") == (None, None)


def test_patient_without_follow_up_or_clinical_values(demo):
    study, truth = demo
    pid = next(pid for pid, p in sorted(truth["patients"].items())
               if not p["followed"] and not p.get("baseline_driver"))
    patient = analyse_patient(study, pid)
    facts = header_facts(patient)
    assert facts[0][1] == "HER2 status (pathology)"
    # Never followed: unknown, not "No progression" (issue 9.4).
    assert any(label == "resistance class" and value == "Not followed" for value, label, _ in facts)
    figure = patient_timeline(patient, vaf_tracks(patient), AnalysisParameters())
    assert len(figure["data"]) >= 1
    assert mechanism_summary(patient).startswith("Not followed")


def test_sample_choices_say_what_a_study_did_not_record(demo):
    """A sample without type, timepoint or day (cBioPortal's study_es_0) reads in words, never "?"/"nan"."""
    study, _ = demo
    pid = sorted(study.patients["patient_id"])[0]
    patient = analyse_patient(study, pid)
    samples = patient.samples.copy()
    first = samples.index[0]
    samples.loc[first, ["sample_type", "timepoint", "collection_day"]] = [None, None, float("nan")]
    patient = dataclasses.replace(patient, samples=samples)
    labels = [option["label"] for option in draw_options(patient)]
    sid = samples.loc[first, "sample_id"]
    assert labels[0] == f"{sid} - sample type, timepoint and day not recorded"
    assert all("nan" not in label and "?" not in label for label in labels)
    assert labels[1].split(" - ")[1].split(", ")[-1].startswith("day ")
