"""Faults of the environment: a result cache deleted, corrupted or unwritable while the server runs, a
study folder holding a pipe, a device link or a link out of the folder, a reader bug during a reload."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading

import pytest

from analysis.io.cbioportal import read_study
from dashboard.analysis_cache import AnalysisCache
from dashboard.study_service import StudyService


def _compute(value):
    calls = []

    def compute():
        calls.append(1)
        return {"value": value}

    return compute, calls


def test_cache_folder_deleted_while_running_recomputes_and_recovers(tmp_path):
    cache = AnalysisCache(tmp_path / "cache", memory_items=0)
    compute, calls = _compute(1)
    assert cache.get("k", "h", {"p": 1}, compute) == {"value": 1}
    shutil.rmtree(tmp_path / "cache")
    assert cache.get("k", "h", {"p": 1}, compute) == {"value": 1}
    assert cache.get("k", "h", {"p": 2}, compute) == {"value": 1}
    assert len(calls) >= 2
    # afterwards the folder works again: a hit is served without computing
    before = len(calls)
    assert cache.get("k", "h", {"p": 2}, compute) == {"value": 1}
    assert len(calls) == before


def test_corrupt_cache_database_at_start_is_set_aside_not_fatal(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "cache.db").write_bytes(b"this is not a sqlite database" * 100)
    cache = AnalysisCache(folder)
    compute, calls = _compute(3)
    assert cache.get("k", "h", {}, compute) == {"value": 3}
    assert any(p.name.startswith("cache.broken-") for p in tmp_path.iterdir())
    assert calls == [1]


def test_unwritable_cache_is_bypassed_with_one_notice(tmp_path, monkeypatch, caplog):
    cache = AnalysisCache(tmp_path / "cache", memory_items=0)

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(cache.disk, "set", full)
    monkeypatch.setattr(AnalysisCache, "_reopen_disk", lambda self: None)
    compute, calls = _compute(5)
    with caplog.at_level("WARNING"):
        for params in range(5):
            assert cache.get("k", "h", {"p": params}, compute) == {"value": 5}
    assert len(calls) == 5
    assert cache.notice is not None and "disk is full" in cache.notice
    assert sum("result cache" in r.getMessage() for r in caplog.records) == 1


def test_memory_lru_keeps_within_its_byte_budget(tmp_path):
    cache = AnalysisCache(tmp_path / "cache", memory_items=100, memory_bytes=50_000)
    for i in range(20):
        cache.get("k", "h", {"p": i}, lambda: b"x" * 10_000)
    assert 0 < cache.memory_used_bytes <= 50_000


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_pipe_and_outside_link_in_study_folder_are_listed_not_opened(tiny_study_dir, tmp_path):
    folder = tmp_path / "study"
    shutil.copytree(tiny_study_dir, folder)
    os.mkfifo(folder / "data_pipe.txt")
    outside = tmp_path / "secret.txt"
    outside.write_text("patient_id\tsecret\n")
    (folder / "data_outside.txt").symlink_to(outside)
    (folder / "meta_zero.txt").symlink_to("/dev/zero")
    result = {}

    def read():
        result["study"] = read_study(folder)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=60)
    assert not reader.is_alive(), "reading a study folder with a pipe in it hung"
    messages = {m.file: m.message for m in result["study"].report.warnings}
    assert "pipe" in messages["data_pipe.txt"]
    assert "outside the study folder" in messages["data_outside.txt"]
    assert "not opened" in messages["meta_zero.txt"]


def test_reader_bug_during_reload_keeps_the_last_good_study(tiny_study_dir, tmp_path, monkeypatch):
    folder = tmp_path / "study"
    shutil.copytree(tiny_study_dir, folder)
    service = StudyService(folder)
    good = service.study
    (folder / "data_clinical_patient.txt").write_text(
        (folder / "data_clinical_patient.txt").read_text() + "\n")

    def bug(*_args, **_kwargs):
        raise ZeroDivisionError("reader bug")

    monkeypatch.setattr("dashboard.study_service.load_study", bug)
    outcome = service.refresh_if_changed()
    assert not outcome.ok and "ZeroDivisionError" in outcome.message
    assert service.study is good
