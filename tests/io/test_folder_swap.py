"""The study folder swap is all-or-nothing, and a writer killed half-way is recovered from (issue 15,
item 5): the old study is put back with a notice, staging leftovers are removed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from analysis.io import folder_swap
from analysis.io.cbioportal import read_study, study_file_fingerprint, write_study
from analysis.io.folder_swap import recover_folder, recovery_notices, replace_folder
from analysis.snapshot import load_study
from tests.faults.faults import kill_writer_mid_swap

ROOT = Path(__file__).resolve().parents[2]


def _dead_pid() -> int:
    """The PID of a process that has ended (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.fixture
def study(demo_study_dir, tmp_path) -> Path:
    folder = tmp_path / "studies" / "study"
    shutil.copytree(demo_study_dir, folder)
    return folder


def test_killed_between_the_renames_the_old_study_is_put_back_with_a_notice(study):
    before = read_study(study)
    fingerprint = study_file_fingerprint(study)
    pid = _dead_pid()
    os.replace(study, study.parent / f".study.old-{pid}")  # the first rename happened, then the kill
    staging = study.parent / f".study.writing-{pid}-k2j4"
    shutil.copytree(study.parent / f".study.old-{pid}", staging)  # the complete new version, never swapped in
    assert not study.exists()
    after = read_study(study)
    assert study_file_fingerprint(study) == fingerprint
    pd.testing.assert_frame_equal(after.patients, before.patients)
    assert sorted(p.name for p in study.parent.iterdir()) == [".study.recovered", "study"]
    notices = recovery_notices(study)
    assert any(f"process {pid}" in n and "previous version was put back" in n for n in notices)
    assert any("half-written copy" in n and staging.name in n for n in notices)
    assert any("previous version was put back" in note for note in after.notes)


def test_the_snapshot_loader_recovers_too(study, tmp_path):
    pid = _dead_pid()
    os.replace(study, study.parent / f".study.old-{pid}")
    assert len(load_study(study, tmp_path / "snapshots").patients) == 78
    assert study.is_dir()


def test_folders_of_a_running_writer_are_never_touched(study):
    aside = study.parent / f".study.old-{os.getpid()}"
    os.replace(study, aside)
    staging = study.parent / f".study.writing-{os.getpid()}-abcd"
    staging.mkdir()
    assert recover_folder(study) == []
    assert aside.is_dir() and staging.is_dir() and not study.exists()


def test_a_stale_old_copy_beside_the_new_study_is_removed(study):
    pid = _dead_pid()
    shutil.copytree(study, study.parent / f".study.old-{pid}")  # killed after the swap, before the clean-up
    notices = recover_folder(study)
    assert len(notices) == 1 and "leftover previous version" in notices[0]
    assert sorted(p.name for p in study.parent.iterdir()) == [".study.recovered", "study"]
    assert recover_folder(study) == []


def test_other_folders_beside_the_study_are_left_alone(study):
    for name in (".study.old-x", ".other.old-1", ".study.writing-abc", "study2"):
        (study.parent / name).mkdir()
    assert recover_folder(study) == []
    assert len(list(study.parent.iterdir())) == 5


def test_the_swap_is_one_step_where_the_system_can_exchange_folders(study, tmp_path, monkeypatch):
    new = tmp_path / "studies" / ".study.writing-1-x"
    new.mkdir()
    (new / "meta_study.txt").write_text("new")
    if not folder_swap._exchange(new, new):  # exchanging a folder with itself probes for support
        pytest.skip("this file system cannot exchange two folders in one step")

    def no_two_step_swap(*args):
        raise AssertionError("target renamed aside: there was an instant without a study")

    monkeypatch.setattr(os, "replace", no_two_step_swap)
    replace_folder(new, study)
    assert (study / "meta_study.txt").read_text() == "new"
    assert sorted(p.name for p in study.parent.iterdir()) == ["study"]


def test_a_writer_killed_with_sigkill_between_the_renames_leaves_a_recoverable_study(study):
    before = read_study(study)
    fingerprint = study_file_fingerprint(study)
    assert kill_writer_mid_swap(study) == -signal.SIGKILL
    assert not study.exists()  # the fault: no study at the target path
    left = sorted(p.name.split("-")[0] for p in study.parent.iterdir())
    assert left == [".study.old", ".study.writing"]
    after = read_study(study)
    assert study_file_fingerprint(study) == fingerprint
    pd.testing.assert_frame_equal(after.samples, before.samples)
    assert sorted(p.name for p in study.parent.iterdir()) == [".study.recovered", "study"]
    assert len(recovery_notices(study)) == 2


def test_a_writer_killed_after_the_exchange_leaves_the_new_study_and_no_leftover(study):
    child = textwrap.dedent("""
        import os, shutil, signal, sys
        from analysis.io.cbioportal import read_study, write_study

        shutil.rmtree = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)  # killed after the exchange
        write_study(read_study(sys.argv[1]), sys.argv[1])
    """)
    result = subprocess.run([sys.executable, "-c", child, str(study)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    if result.returncode == 0:
        pytest.skip("no kill: this file system cannot exchange two folders in one step")
    assert result.returncode == -signal.SIGKILL
    assert study.is_dir()
    assert len(read_study(study).patients) == 78
    assert sorted(p.name for p in study.parent.iterdir()) == [".study.recovered", "study"]


def test_write_study_stages_beside_the_target_under_its_pid(study, monkeypatch):
    seen = []
    real = folder_swap.replace_folder

    def spy(new, target):
        seen.append(Path(new).name)
        real(new, target)

    monkeypatch.setattr("analysis.io.cbioportal.replace_folder", spy)
    write_study(read_study(study), study)
    assert seen and seen[0].startswith(f".study.writing-{os.getpid()}-")


def test_notices_reach_every_process_serving_the_study_until_it_is_written_again(study, monkeypatch):
    os.replace(study, study.parent / f".study.old-{_dead_pid()}")
    recover_folder(study)
    monkeypatch.setattr(folder_swap, "_notices", {})  # another server worker: nothing in its memory
    assert any("previous version was put back" in n for n in recovery_notices(study))
    write_study(read_study(study), study)  # a complete new version: the notices no longer apply
    assert recovery_notices(study) == []
    assert sorted(p.name for p in study.parent.iterdir()) == ["study"]
