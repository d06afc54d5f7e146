"""Which study is open, shared by every server process of one deployment.

Under gunicorn each worker process holds its own :class:`~dashboard.study_service.StudyService`.
When a user opens another study on the Data page, the worker that served the request switches and
then *announces* the folder here; every other worker notices before its next request and switches
too (from the study's snapshot, well under a second at 10,000 patients), so no user keeps seeing the
old study because another worker served them.

The pointer is one small JSON file in the cache folder (``current-study.json``, replaced atomically),
or one Redis key when the deployment shares a Redis (several machines; see
:mod:`dashboard.cache_backends`).  A worker checks it with one ``stat`` (or one Redis ``GET``) per
request.  A folder that no longer validates is refused by that worker as by the first one: it keeps
serving its last good study and logs why.

Only the production entry point (:mod:`dashboard.wsgi`) turns this on: a development server
started with ``python app.py --study X`` never follows a pointer left by an earlier deployment.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

POINTER_FILE = "current-study.json"
REDIS_KEY = "her2dash:current-study"


class StudyPointer(Protocol):
    def read(self) -> dict | None: ...
    def write(self, folder: Path) -> None: ...
    def version(self) -> object: ...


class FilePointer:
    """The pointer as a JSON file, replaced atomically (write beside it, then rename)."""

    def __init__(self, cache_dir: Path) -> None:
        self.path = Path(cache_dir) / POINTER_FILE

    def version(self) -> object:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def read(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def write(self, folder: Path) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = json.dumps({"folder": str(Path(folder).resolve()), "announced_at": time.time(), "pid": os.getpid()})
        handle, staging = tempfile.mkstemp(prefix=".current-study-", dir=self.path.parent)
        with os.fdopen(handle, "w") as out:
            out.write(record)
        os.replace(staging, self.path)


class RedisPointer:
    """The pointer as one Redis key (several web machines sharing one Redis)."""

    def __init__(self, client) -> None:
        self.client = client

    def version(self) -> object:
        return self.client.get(REDIS_KEY)

    def read(self) -> dict | None:
        raw = self.client.get(REDIS_KEY)
        return json.loads(raw) if raw else None

    def write(self, folder: Path) -> None:
        self.client.set(REDIS_KEY, json.dumps({"folder": str(Path(folder).resolve()), "announced_at": time.time(),
                                               "pid": os.getpid()}))


class SharedStudy:
    """Follows the pointer in this process: :meth:`follow` before each request, :meth:`announce` after a switch."""

    def __init__(self, pointer: StudyPointer) -> None:
        self.pointer = pointer
        self._seen: object = pointer.version()
        self._lock = threading.Lock()

    def announce(self, folder: Path) -> None:
        """Tell every process that *folder* is now the open study (this one has switched already)."""
        with self._lock:
            self.pointer.write(folder)
            self._seen = self.pointer.version()

    def follow(self) -> None:
        """Switch this process to the announced study if another process announced one since the last check."""
        if self.pointer.version() == self._seen:
            return
        with self._lock:
            version = self.pointer.version()
            if version == self._seen:
                return
            record = self.pointer.read()
            self._seen = version
            if not record:
                return
            self._switch_to(Path(record["folder"]))

    @staticmethod
    def _switch_to(folder: Path) -> None:
        from analysis.errors import AnalysisError
        from dashboard.study_service import get_service
        from dashboard.study_switch import switch_study

        if get_service().folder.resolve() == folder:
            return
        try:
            switch_study(folder)
        except (AnalysisError, OSError) as exc:
            # The folder changed into something invalid since it was announced: keep the last good study.
            log.warning("another server process opened %s, but it cannot be opened here (%s); the current study "
                        "stays open", folder, exc)


_shared: SharedStudy | None = None


def enable(pointer: StudyPointer) -> SharedStudy:
    """Follow *pointer* in this process (done by the production entry point only)."""
    global _shared
    _shared = SharedStudy(pointer)
    return _shared


def announce(folder: Path) -> None:
    """After a switch: tell the other processes (nothing to do when the pointer is not followed)."""
    if _shared is not None:
        _shared.announce(folder)


def follow_current() -> None:
    """Switch to the announced study if it changed (a Celery worker calls this before each task)."""
    if _shared is not None:
        _shared.follow()


def follow_before_requests(app) -> None:
    """Check the pointer before every request of *app*'s Flask server."""
    @app.server.before_request
    def _follow_shared_study():
        if _shared is not None:
            _shared.follow()
