"""Put a new study folder in place all-or-nothing, and recover from a writer killed half-way.

A writer (:func:`analysis.io.cbioportal.write_study`, :func:`analysis.export.export_study`) builds the
new folder beside the target, in a staging folder named ``.NAME.writing-PID-*`` (``.NAME.export-PID-*``),
then :func:`replace_folder` swaps it in:

* where the kernel and file system can (Linux ``renameat2(RENAME_EXCHANGE)``), the two folders are
  exchanged in one step: at every instant *target* holds a complete study, the old or the new one;
* elsewhere in two renames: *target* -> ``.NAME.old-PID``, then staging -> *target*.  A writer killed
  between the two leaves no folder at *target*: the old study is in ``.NAME.old-PID``.

:func:`recover_folder` runs wherever a study folder is opened (``read_study``, ``load_study``, the
dashboard's study service, ingestion).  For writers that are no longer running (their PID is gone):

* *target* missing and a ``.NAME.old-PID`` beside it: the old study is moved back (the write did not
  happen, as if the writer had failed);
* a ``.NAME.old-PID`` beside a present *target* (killed after the swap, before the clean-up): removed;
* a ``.NAME.writing-PID-*`` or ``.NAME.export-PID-*`` staging folder: removed.

Each of these is said in one notice: returned, logged, and kept for :func:`recovery_notices` (which the
dashboard shows on every page) in this process and in ``.NAME.recovered`` beside the folder, for the other
processes serving it, until the study is next written whole.  Folders of a writer that is still running
are never touched.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
_notices: dict[str, list[str]] = {}

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_renameat2: Any = None  # the libc function once looked up; False where there is none


def staging_folder(target: Path, kind: str = "writing") -> Path:
    """A new, empty staging folder beside *target*, named so that :func:`recover_folder` can tell
    whether its writer still runs (``.NAME.KIND-PID-random``)."""
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.{kind}-{os.getpid()}-", dir=target.parent))


def _exchange(a: Path, b: Path) -> bool:
    """Swap folders *a* and *b* in one atomic step; False when this system cannot."""
    global _renameat2
    if _renameat2 is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            function = libc.renameat2
        except (OSError, AttributeError):
            _renameat2 = False
            return False
        function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        function.restype = ctypes.c_int
        _renameat2 = function
    if _renameat2 is False:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EPERM):
        return False  # not supported here: fall back to two renames
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def replace_folder(new: Path, target: Path) -> None:
    """Swap folder *new* into place at *target*; the old folder is then removed.

    All-or-nothing: on any failure *target* is left as it was.  See the module docstring for what a
    kill at any point leaves, and how it is recovered.
    """
    new, target = Path(new), Path(target)
    if target.exists() and _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # *new* now holds the old study
        _forget(target)
        return
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        if old.exists():
            shutil.rmtree(old)
        os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    _forget(target)


def _forget(target: Path) -> None:
    """A complete new study is in place: earlier recovery notices no longer apply to it."""
    with _lock:
        _notices.pop(_key(target), None)
    with contextlib.suppress(OSError):
        _record_path(target).unlink()


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except OSError:
        return True
    return True


def _leftovers(target: Path) -> tuple[list[tuple[Path, int]], list[tuple[Path, int]]]:
    """(``.NAME.old-PID`` folders, staging folders) beside *target*, each with its writer's PID."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(old|writing|export)-(\d+)(-.*)?")
    old, staging = [], []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return [], []
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match or not entry.is_dir() or entry.is_symlink():
            continue
        kind, pid = match.group(1), int(match.group(2))
        if kind == "old" and match.group(3) is None:
            old.append((entry, pid))
        elif kind != "old":
            staging.append((entry, pid))
    return old, staging


def recover_folder(target: str | Path) -> list[str]:
    """Undo what a writer killed half-way left at and beside *target* (module docstring).

    Returns the notices of what was done (none when nothing was left); they are also logged and kept
    for :func:`recovery_notices`.  Never raises for a folder that cannot be listed or moved: the reader
    that follows reports a missing study as usual.
    """
    target = Path(target)
    done: list[str] = []
    with _lock:
        old, staging = _leftovers(target)
        stale_old = sorted(((p, pid) for p, pid in old if not _running(pid)),
                           key=lambda item: item[0].stat().st_mtime_ns, reverse=True)
        if stale_old and not os.path.lexists(target):
            folder, pid = stale_old.pop(0)
            try:
                os.replace(folder, target)
            except OSError as exc:
                log.warning("study folder %s is missing and its previous version %s could not be put back: %s",
                            target.name, folder.name, exc)
            else:
                done.append(f"The study folder {target.name} was missing: a writer (process {pid}) was stopped "
                            f"between the two steps of replacing it. The previous version was put back from "
                            f"{folder.name}; the new version was not kept.")
        if os.path.lexists(target):
            for folder, pid in stale_old:
                shutil.rmtree(folder, ignore_errors=True)
                done.append(f"A leftover previous version of {target.name} ({folder.name}, from a writer, "
                            f"process {pid}, stopped after replacing it) was removed.")
        for folder, pid in staging:
            if _running(pid):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            done.append(f"A half-written copy of {target.name} ({folder.name}) left by a stopped writer "
                        f"(process {pid}) was removed; the study itself was not changed by it.")
        if done:
            stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
            done = [f"{notice} ({stamp})" for notice in done]
            _notices.setdefault(_key(target), []).extend(done)
            _record(target, done)
    for notice in done:
        log.warning("%s", notice)
    return done


def _record_path(target: Path) -> Path:
    return target.parent / f".{target.name}.recovered"


def _record(target: Path, notices: list[str]) -> None:
    """Keep *notices* beside *target* for other processes serving it (best effort)."""
    try:
        with open(_record_path(target), "a", encoding="utf-8") as handle:
            handle.writelines(json.dumps(notice) + "\n" for notice in notices)
    except OSError as exc:
        log.warning("the recovery notice of %s could not be kept beside it: %s", target.name, exc)


def _recorded(target: Path) -> list[str]:
    try:
        with open(_record_path(target), encoding="utf-8") as handle:
            lines = handle.read(1 << 16).splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    notices = []
    for line in lines:
        try:
            notice = json.loads(line)
        except ValueError:
            continue
        if isinstance(notice, str):
            notices.append(notice)
    return notices


def recovery_notices(target: str | Path) -> list[str]:
    """Every notice of :func:`recover_folder` for *target*, oldest first: those of this process and
    those kept beside the folder by any process (e.g. another server worker), until the study is next
    written whole by :func:`replace_folder`."""
    target = Path(target)
    with _lock:
        mine = list(_notices.get(_key(target), []))
    return mine + [notice for notice in _recorded(target) if notice not in mine]


def _key(target: Path) -> str:
    return os.path.abspath(target)


__all__ = ["replace_folder", "recover_folder", "recovery_notices", "staging_folder"]
