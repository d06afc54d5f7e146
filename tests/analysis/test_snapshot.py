"""The study snapshot: the same study as a parse, rebuilt when a file changes, never trusted when corrupted."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import StudyValidationError
from analysis.io.cbioportal import read_study, write_study
from analysis.patient import subset_study
from analysis.patient_index import PatientIndex
from analysis.snapshot import load_study, snapshot_home, snapshot_path
from analysis.study import Study
from tests.conftest import PROJECT_ROOT, make_tiny_study

DEMO = PROJECT_ROOT / "data" / "demo"


def assert_same_study(parsed: Study, loaded: Study) -> None:
    for field in dataclasses.fields(Study):
        expected, found = getattr(parsed, field.name), getattr(loaded, field.name)
        if isinstance(expected, pd.DataFrame):
            pd.testing.assert_frame_equal(found, expected, check_exact=True, obj=field.name)
        else:
            assert found == expected, field.name


@pytest.fixture
def study_folder(tmp_path: Path) -> Path:
    """The tiny study written as a folder, with one value that the reader warns about."""
    folder = tmp_path / "study"
    write_study(make_tiny_study(), folder)
    clinical = folder / "data_clinical_patient.txt"
    clinical.write_text(clinical.read_text().replace("\t3+\t", "\t5+\t", 1))
    return folder


def _touch_later(path: Path) -> None:
    """Move a file's modification time on (a rewrite within the same clock tick would not show)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_snapshot_gives_the_parsed_study_with_its_warnings(study_folder, tmp_path):
    snapshots = tmp_path / "snapshots"
    parsed = read_study(study_folder)
    assert len(parsed.report.warnings) == 1
    first = load_study(study_folder, snapshots)  # parses and writes the snapshot
    assert (snapshot_path(study_folder, snapshots) / "manifest.json").is_file()
    loaded = load_study(study_folder, snapshots)
    assert_same_study(parsed, first)
    assert_same_study(parsed, loaded)
    assert loaded.report.warnings[0].column == "HER2_IHC"
    assert loaded.content_hash == parsed.content_hash


def test_snapshot_is_read_not_parsed(study_folder, tmp_path, monkeypatch):
    snapshots = tmp_path / "snapshots"
    load_study(study_folder, snapshots)

    def no_parse(folder):
        raise AssertionError("parsed although a snapshot matches")

    monkeypatch.setattr("analysis.snapshot.read_study", no_parse)
    assert len(load_study(study_folder, snapshots).patients) == 2


def test_demo_round_trip(tmp_path):
    if not (DEMO / "meta_study.txt").is_file():
        pytest.skip("the demo study is written by `make demo`")
    load_study(DEMO, tmp_path)
    loaded = load_study(DEMO, tmp_path)
    parsed = read_study(DEMO)
    assert_same_study(parsed, loaded)
    loaded.__dict__.pop("content_hash")  # recomputed from the loaded tables
    assert loaded.content_hash == parsed.content_hash


def test_changed_file_rebuilds_the_snapshot(study_folder, tmp_path):
    snapshots = tmp_path / "snapshots"
    before = load_study(study_folder, snapshots)
    old = snapshot_path(study_folder, snapshots)
    clinical = study_folder / "data_clinical_patient.txt"
    clinical.write_text(clinical.read_text().replace("\t61\t", "\t62\t", 1))
    _touch_later(clinical)
    assert snapshot_path(study_folder, snapshots) != old
    after = load_study(study_folder, snapshots)
    assert before.patients.loc[0, "age"] == 61.0
    assert after.patients.loc[0, "age"] == 62.0
    assert after.content_hash != before.content_hash
    assert_same_study(read_study(study_folder), load_study(study_folder, snapshots))
    # Only the current snapshot of the folder is kept.
    assert [p.name for p in snapshot_home(study_folder, snapshots).iterdir()] == [snapshot_path(
        study_folder, snapshots).name]


def test_file_in_a_sub_folder_changes_the_key(study_folder, tmp_path):
    snapshots = tmp_path / "snapshots"
    (study_folder / "case_lists").mkdir()
    (study_folder / "case_lists" / "notes.txt").write_text("a\n")
    key = snapshot_path(study_folder, snapshots)
    (study_folder / "case_lists" / "notes.txt").write_text("ab\n")
    assert snapshot_path(study_folder, snapshots) != key


@pytest.mark.parametrize("damage", ["truncate_table", "flip_byte", "drop_index", "bad_manifest"])
def test_corrupted_snapshot_is_rebuilt_not_trusted(study_folder, tmp_path, caplog, damage):
    snapshots = tmp_path / "snapshots"
    load_study(study_folder, snapshots)
    target = snapshot_path(study_folder, snapshots)
    table = target / "patients.parquet"
    if damage == "truncate_table":
        table.write_bytes(table.read_bytes()[:40])
    elif damage == "flip_byte":
        data = bytearray(table.read_bytes())
        data[len(data) // 2] ^= 0xFF
        table.write_bytes(bytes(data))
    elif damage == "drop_index":
        (target / "patient_index.npz").unlink()
    else:
        (target / "manifest.json").write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="analysis.snapshot"):
        loaded = load_study(study_folder, snapshots)
    assert "cannot be trusted" in caplog.text
    assert_same_study(read_study(study_folder), loaded)
    # Rebuilt: the next load reads a sound snapshot again.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="analysis.snapshot"):
        assert_same_study(read_study(study_folder), load_study(study_folder, snapshots))
    assert "cannot be trusted" not in caplog.text


def test_refused_study_leaves_no_snapshot(study_folder, tmp_path):
    snapshots = tmp_path / "snapshots"
    samples = study_folder / "data_clinical_sample.txt"
    samples.write_text(samples.read_text().replace("P1-B0\tP1", "P1-B0\tP9", 1))
    with pytest.raises(StudyValidationError):
        load_study(study_folder, snapshots)
    assert not snapshot_home(study_folder, snapshots).exists() or not any(
        snapshot_home(study_folder, snapshots).iterdir())


def test_without_a_snapshot_folder_it_is_a_plain_parse(study_folder):
    assert_same_study(read_study(study_folder), load_study(study_folder, None))


def test_snapshot_copied_elsewhere_is_not_used_for_another_folder(study_folder, tmp_path):
    snapshots = tmp_path / "snapshots"
    load_study(study_folder, snapshots)
    other = tmp_path / "other"
    shutil.copytree(study_folder, other)
    assert snapshot_path(other, snapshots) != snapshot_path(study_folder, snapshots)
    assert load_study(other, snapshots).path == str(other.resolve())


# ---------------------------------------------------------------------------------------- patient index
def _scanned(study: Study, patient_ids: list[str]) -> dict[str, pd.DataFrame]:
    """The reference: every table filtered by scanning it (what subset_study did before the index)."""
    keep = set(patient_ids)
    samples = study.samples[study.samples["patient_id"].isin(keep)]
    sample_ids = set(samples["sample_id"])

    def own(frame):
        return frame[frame["sample_id"].isin(sample_ids).fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)

    return {"patients": study.patients[study.patients["patient_id"].isin(keep)].reset_index(drop=True),
            "samples": samples.reset_index(drop=True), "variants": own(study.variants),
            "copy_number": own(study.copy_number),
            "timeline": study.timeline[study.timeline["patient_id"].isin(keep)].reset_index(drop=True)}


def test_patient_index_finds_the_rows_a_scan_finds(tiny_study):
    for patient_ids in (["P1"], ["P2"], ["P1", "P2"], ["nobody"], []):
        subset = subset_study(tiny_study, patient_ids)
        for name, expected in _scanned(tiny_study, patient_ids).items():
            pd.testing.assert_frame_equal(getattr(subset, name), expected, obj=f"{name} {patient_ids}")


def test_patient_index_on_the_demo_matches_a_scan_and_survives_the_snapshot(tmp_path):
    if not (DEMO / "meta_study.txt").is_file():
        pytest.skip("the demo study is written by `make demo`")
    load_study(DEMO, tmp_path)
    loaded = load_study(DEMO, tmp_path)
    assert "patient_index" in loaded.__dict__  # came with the snapshot, not rebuilt
    rebuilt = PatientIndex.build(loaded.tables())
    for name in rebuilt.order:
        np.testing.assert_array_equal(loaded.patient_index.order[name], rebuilt.order[name])
    ids = sorted(loaded.patients["patient_id"])
    for patient_ids in ([ids[0]], [ids[-1]], ids[5:9]):
        subset = subset_study(loaded, patient_ids)
        for name, expected in _scanned(loaded, patient_ids).items():
            pd.testing.assert_frame_equal(getattr(subset, name), expected, obj=name)
