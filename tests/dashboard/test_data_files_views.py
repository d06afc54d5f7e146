"""Data page view models for the study folder's files: what was not read and why, what the study holds."""

from __future__ import annotations

import pytest

from analysis.io.cbioportal import read_study
from dashboard.views.data import decided_files_table, study_contents, unread_files_table
from tests.conftest import SHARED_DATA

STUDY_ES_0 = SHARED_DATA / "cbioportal_validator" / "study_es_0"


@pytest.fixture(scope="module")
def study_es_0():
    return read_study(STUDY_ES_0)


def test_unread_files_are_listed_with_their_reason(study_es_0):
    unread = unread_files_table(study_es_0)
    reasons = dict(zip(unread["file"], unread["reason"], strict=True))
    assert reasons["data_expression_median.txt"] == "mRNA expression: not a data type this tool uses"
    assert reasons["result_report.html"] == "not a data file"
    # Every file of the folder is either read (in the provenance) or listed here; meta files are listed as such.
    on_disk = {p.relative_to(STUDY_ES_0).as_posix() for p in STUDY_ES_0.rglob("*") if p.is_file()}
    read = set(study_es_0.provenance["file"])
    metas = set(study_es_0.files.loc[study_es_0.files["read_as"].eq("meta file"), "file"])
    assert on_disk == read | set(unread["file"]) | metas
    assert not read & set(unread["file"])


def test_study_contents_counts(study_es_0):
    contents = study_contents(study_es_0).set_index("what")["count"]
    assert contents["Samples"] == len(study_es_0.samples)
    assert contents["Structural variants"] == len(study_es_0.structural_variants) > 0
    assert contents["Case lists"] == 5


def test_files_read_by_name_or_content_are_said(tiny_study_dir):
    (tiny_study_dir / "meta_mutations.txt").unlink()
    (tiny_study_dir / "data_mutations.txt").rename(tiny_study_dir / "lab_calls.txt")
    decided = decided_files_table(read_study(tiny_study_dir))
    row = decided[decided["file"] == "lab_calls.txt"].iloc[0]
    assert row["found_by"] == "content" and "looks like a MAF" in row["reason"]
