"""A columnar snapshot of a parsed, validated study, so a server starts without parsing text again.

``load_study(folder, snapshot_dir)`` returns the same :class:`~analysis.study.Study` that
:func:`analysis.io.cbioportal.read_study` returns (tables with their dtypes, validation warnings,
notes, provenance, file listing), read from Parquet files (pyarrow) when a snapshot of the folder's
current files exists, else parsed from the text files and then snapshotted.

- **Key.** A snapshot is keyed on the folder's file fingerprint
  (:func:`analysis.io.cbioportal.study_file_fingerprint`: names, sizes and modification times of its
  files, sub-folders included here) and on the source code of the analysis package (a reader that
  changed may read the same files differently).  A changed file, or new code, gives a new key: the
  study is parsed again and the older snapshots of that folder are removed.
- **Integrity.** The manifest records the SHA-256 of every file of the snapshot; a snapshot whose files
  do not match (truncated, overwritten, half-written) is never trusted: it is removed and rebuilt
  from the text files, with a warning in the log (which names the folder, never a patient).
- **Atomic.** A snapshot is written into a temporary folder and renamed into place, so several server
  processes may build the same snapshot at once; the first rename wins and the others are dropped.
- **Only valid studies.** A study with validation errors raises as ``read_study`` does and leaves no
  snapshot.
- **Extras.** The study's content hash (:attr:`Study.content_hash`, seconds at 10,000 patients) and its
  per-patient row index (:mod:`analysis.patient_index`) are stored too and come back with the study.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.io.cbioportal import read_study, study_file_fingerprint
from analysis.io.folder_swap import recover_folder
from analysis.patient_index import PatientIndex
from analysis.study import Study, StudyMeta
from analysis.validation import ValidationMessage, ValidationReport

log = logging.getLogger(__name__)

#: Bumped whenever the snapshot layout changes.
SNAPSHOT_FORMAT = 1
MANIFEST = "manifest.json"
INDEX_FILE = "patient_index.npz"
#: Tables of a study kept in a snapshot (the Study's data frames).
TABLE_NAMES = ("patients", "samples", "variants", "copy_number", "timeline", "structural_variants",
               "gene_panels", "panel_genes", "case_lists", "segments", "provenance", "files")


class SnapshotError(Exception):
    """A snapshot that cannot be trusted (missing file, checksum mismatch, unreadable)."""


def reader_code_fingerprint() -> str:
    """SHA-256 of the analysis package's source: a snapshot written by other code is not reused."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_CODE = reader_code_fingerprint()


def folder_fingerprint(folder: Path) -> str:
    """:func:`study_file_fingerprint` plus every file in the folder's sub-folders (e.g. ``case_lists/``)."""
    digest = hashlib.sha256(study_file_fingerprint(folder).encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.parent != folder):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def snapshot_key(folder: str | Path) -> str:
    """The key of the snapshot of *folder*'s current files under the current code."""
    folder = Path(folder).resolve()
    payload = f"{SNAPSHOT_FORMAT}\0{_CODE}\0{folder}\0{folder_fingerprint(folder)}"
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def snapshot_home(folder: str | Path, snapshot_dir: str | Path) -> Path:
    """The folder holding *folder*'s snapshots (one sub-folder per key)."""
    resolved = str(Path(folder).resolve())
    return Path(snapshot_dir) / hashlib.sha256(resolved.encode()).hexdigest()[:16]


def snapshot_path(folder: str | Path, snapshot_dir: str | Path) -> Path:
    """Where the snapshot of *folder*'s current files is (or would be)."""
    return snapshot_home(folder, snapshot_dir) / snapshot_key(folder)


def load_study(folder: str | Path, snapshot_dir: str | Path | None, *, background_write: bool = False) -> Study:
    """The study in *folder*, from its snapshot under *snapshot_dir* when one matches its files.

    Parameters
    ----------
    folder
        The study folder.
    snapshot_dir
        Where snapshots are kept (None: no snapshot, a plain :func:`read_study`).
    background_write
        Write a new snapshot in a background thread, so that the first parse is not slowed by it.

    Raises
    ------
    StudyValidationError, InputError
        As :func:`read_study` (only when the study is parsed from text).
    """
    folder = Path(folder)
    recover_folder(folder)  # a writer killed mid-swap: the old study is put back before anything is read
    if snapshot_dir is None:
        return read_study(folder)
    target = snapshot_path(folder, snapshot_dir)
    if target.is_dir():
        try:
            return read_snapshot(target)
        except (SnapshotError, OSError, ValueError, KeyError, pa.ArrowException) as exc:
            log.warning("study snapshot %s cannot be trusted (%s); it is removed and the study is read again "
                        "from its text files", target, exc)
            shutil.rmtree(target, ignore_errors=True)
    study = read_study(folder)
    if background_write:
        # Not a daemon: a process that ends soon after (a command-line run) still finishes the snapshot.
        threading.Thread(target=_write_quietly, args=(study, target), name="study-snapshot", daemon=False).start()
    else:
        _write_quietly(study, target)
    return study


def _write_quietly(study: Study, target: Path) -> None:
    try:
        write_snapshot(study, target)
    except (OSError, ValueError, TypeError, pa.ArrowException) as exc:
        # The study itself is fine; only the next start will parse the text again.
        log.warning("could not write the study snapshot %s (%s); the next start reads the text files again",
                    target, exc)


def write_snapshot(study: Study, target: Path) -> Path:
    """Write *study* as the snapshot *target* (atomically) and remove the folder's older snapshots."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=target.parent))
    try:
        tables: dict[str, dict] = {}
        for name in TABLE_NAMES:
            frame: pd.DataFrame = getattr(study, name)
            path = staging / f"{name}.parquet"
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, compression="zstd")
            tables[name] = {"rows": len(frame), "columns": list(map(str, frame.columns)),
                            "dtypes": [str(dtype) for dtype in frame.dtypes], "sha256": _sha256(path)}
        index_path = staging / INDEX_FILE
        with open(index_path, "wb") as handle:
            np.savez(handle, allow_pickle=False, **study.patient_index.to_arrays())
        manifest = {
            "format": SNAPSHOT_FORMAT, "key": target.name, "tables": tables,
            "patient_index_sha256": _sha256(index_path),
            "meta": asdict(study.meta), "report": [asdict(m) for m in study.report.messages],
            "notes": list(study.notes), "path": study.path, "content_hash": study.content_hash,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1))
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():
                raise
            shutil.rmtree(staging, ignore_errors=True)  # another process wrote the same snapshot first
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for older in target.parent.iterdir():
        if older.is_dir() and older.name != target.name and not older.name.startswith(".writing-"):
            shutil.rmtree(older, ignore_errors=True)
    return target


def read_snapshot(target: Path) -> Study:
    """The study stored in the snapshot *target*, every file checked against the manifest first.

    Raises
    ------
    SnapshotError
        A file is missing or differs from what the manifest recorded, or the manifest is not this format.
    """
    try:
        manifest = json.loads((target / MANIFEST).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"manifest unreadable: {exc}") from exc
    if manifest.get("format") != SNAPSHOT_FORMAT or manifest.get("key") != target.name:
        raise SnapshotError("manifest of another format or key")
    frames: dict[str, pd.DataFrame] = {}
    for name in TABLE_NAMES:
        entry = manifest["tables"][name]
        path = target / f"{name}.parquet"
        _check(path, entry["sha256"])
        frame = pq.read_table(path).to_pandas()
        if list(map(str, frame.columns)) != entry["columns"] or len(frame) != entry["rows"]:
            raise SnapshotError(f"{name}: columns or row count differ from the manifest")
        frames[name] = _with_dtypes(frame, entry["dtypes"])
    index_path = target / INDEX_FILE
    _check(index_path, manifest["patient_index_sha256"])
    with np.load(index_path, allow_pickle=False) as arrays:
        index = PatientIndex.from_arrays({key: arrays[key] for key in arrays.files})
    study = Study(meta=StudyMeta(**manifest["meta"]),
                  report=ValidationReport([ValidationMessage(**m) for m in manifest["report"]]),
                  notes=tuple(manifest["notes"]), path=manifest["path"], **frames)
    if not index.covers(study.tables()):
        raise SnapshotError("the patient index does not match the tables")
    # Both are cached properties: seeding them saves recomputing what the snapshot already holds.
    study.__dict__["content_hash"] = manifest["content_hash"]
    study.__dict__["patient_index"] = index
    return study


def _with_dtypes(frame: pd.DataFrame, dtypes: list[str]) -> pd.DataFrame:
    """The columns back in the dtypes they had (Parquet keeps the values; pandas' string storage may differ)."""
    changed = {column: dtype for column, dtype, now in zip(frame.columns, dtypes, frame.dtypes, strict=True)
               if str(now) != dtype}
    return frame.astype(changed) if changed else frame


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _check(path: Path, expected: str) -> None:
    if not path.is_file():
        raise SnapshotError(f"{path.name} is missing")
    if _sha256(path) != expected:
        raise SnapshotError(f"{path.name} differs from the manifest (checksum)")
