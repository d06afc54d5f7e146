"""Data page view models: study identity, provenance with checksums, validation report, parameters, cache."""

from __future__ import annotations

import hashlib
from dataclasses import fields

import pandas as pd

from analysis.io.cbioportal import read_study
from analysis.params import AnalysisParameters
from analysis.resistance import load_knowledge_base
from analysis.validation import ValidationReport
from dashboard.views.data import (
    PARAMETER_INFO,
    cache_table,
    fixed_thresholds,
    human_bytes,
    knowledge_base_table,
    open_outcome_text,
    parameter_table,
    provenance_table,
    study_identity,
    validation_table,
)


def test_every_parameter_is_listed_with_a_unit_and_its_default():
    table = parameter_table(AnalysisParameters())
    names = [f.name for f in fields(AnalysisParameters)]
    assert table["field"].tolist() == names
    assert set(names) <= set(PARAMETER_INFO), "describe every new AnalysisParameters field in PARAMETER_INFO"
    assert (table["status"] == "default").all()
    assert (table["unit"] != "").all() and (table["meaning"] != "").all()
    row = table.set_index("field").loc["baseline_window_days"]
    assert row["value"] == "-28 to 3" and row["unit"] == "days from day 0"


def test_changed_parameters_are_marked():
    params = AnalysisParameters().with_changes(plasma_amplification_cn=2.6, purity_adjustment=False)
    table = parameter_table(params).set_index("field")
    cutoff = table.loc["plasma_amplification_cn", ["value", "default", "status"]].tolist()
    assert cutoff == ["2.6", "2.4", "changed"]
    assert table.loc["purity_adjustment", ["value", "status"]].tolist() == ["off", "changed"]
    assert (table.drop(index=["plasma_amplification_cn", "purity_adjustment"])["status"] == "default").all()


def test_provenance_gives_each_file_with_its_checksum(tiny_study_dir):
    study = read_study(tiny_study_dir)
    table = provenance_table(study)
    assert list(table.columns) == ["file", "bytes", "rows", "sha256"]
    assert "data_clinical_patient.txt" in set(table["file"])
    for file, size, sha in table[["file", "bytes", "sha256"]].itertuples(index=False):
        path = tiny_study_dir / file
        assert size == path.stat().st_size
        assert sha == hashlib.sha256(path.read_bytes()).hexdigest()  # independent reference
    assert table.set_index("file").loc["data_clinical_patient.txt", "rows"] == 2


def test_study_identity(tiny_study_dir):
    study = read_study(tiny_study_dir)
    facts = study_identity(study, tiny_study_dir).set_index("field")["value"]
    assert facts["Study id"] == "tiny" and facts["Folder"] == str(tiny_study_dir)
    assert facts["Content hash (SHA-256 over the tables)"] == study.content_hash
    assert facts["Patients"] == "2" and facts["Validation"] == "0 error(s), 0 warning(s)"


def test_validation_report_rows_errors_first():
    report = ValidationReport()
    report.warning("data_mutations.txt", None, None, "odd casing")
    report.error("data_clinical_patient.txt", 6, "PFS_MONTHS", "not a number: 'five'", "a number of months")
    table = validation_table(report)
    assert table["level"].tolist() == ["error", "warning"]
    assert table.iloc[0][["file", "line", "column", "expected"]].tolist() == [
        "data_clinical_patient.txt", 6, "PFS_MONTHS", "a number of months"]
    assert pd.isna(table.iloc[1]["line"])
    # the records a background job returns give the same table
    records = report.to_frame().astype(object).where(report.to_frame().notna(), None).to_dict("records")
    pd.testing.assert_frame_equal(validation_table(records), table)
    assert len(validation_table(ValidationReport())) == 0


def test_knowledge_base_table():
    kb = load_knowledge_base()
    facts = knowledge_base_table(kb).set_index("field")["value"]
    assert facts["Version"] == kb.version and facts["SHA-256"] == kb.sha256
    assert "ERBB2" in facts["Genes"] and facts["Pathways"].startswith("PI3K")


def test_cache_and_fixed_tables():
    facts = cache_table(analysis_version="0.1.0", directory="/tmp/c", entries=3, volume_bytes=2048,
                        study_hash="abc", cohort_key="cohort:1", cohort_cached=False)
    facts = facts.set_index("field")["value"]
    assert facts["Size on disk"] == "2.0 KiB" and facts["Entries on disk"] == "3"
    assert facts["Cohort result for these parameters"].startswith("not cached")
    assert human_bytes(100) == "100 bytes" and human_bytes(3 * 1024 ** 3) == "3.0 GiB"
    assert "Days per month" in fixed_thresholds()["name"].iloc[0]


def test_open_outcome_text():
    opened = {"ok": True, "name": "Demo", "folder": "/x", "n_patients": 78, "n_warnings": 0}
    assert open_outcome_text(opened) == "Opened Demo from /x: 78 patients, 0 warning(s)."
    assert "1 error(s)" in open_outcome_text({"ok": False, "folder": "/x", "n_errors": 1, "n_warnings": 0})
    assert "no folder given" in open_outcome_text({"ok": False, "folder": "", "message": "no folder given"})
