"""Cached recomputation: the dashboard's only way to run an analysis.

Results are keyed on (kind, study content hash, analysis version and code
fingerprint, parameters, extra key parts) — small, explicit values, never DataFrames.  Results live in
a diskcache on local disk (shared by every worker process of the server) with
a small in-process LRU in front, so a warm request does not even unpickle.

The disk is a convenience, never a dependency: a cache folder that is deleted, corrupted or full
while the server runs (or corrupt at start) is set aside and opened afresh, or else bypassed;
results are then computed again, one warning line is logged per fault (never per request), and
:attr:`AnalysisCache.notice` says so for the pages.  The in-memory LRU holds at most
``memory_items`` results and ``memory_bytes`` of pickled size.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import hashlib
import json
import logging
import os
import pickle
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

import diskcache

from analysis import ANALYSIS_VERSION
from dashboard.disk_cache import DISK_FAULTS

T = TypeVar("T")

log = logging.getLogger(__name__)


#: Default byte budget of the in-memory LRU (pickled size of the results it holds).
MEMORY_BYTES = 256 << 20
#: Default most results the in-memory LRU holds.  Many are small (one patient's page, one slider
#: position): a few dozen items would make every other request of a busy server a disk read.
MEMORY_ITEMS = 4096
#: Inserts between two looks at the size of the frozen set (``gc.get_freeze_count`` walks it whole:
#: tens of milliseconds once a large study is frozen, too dear to pay on every insert).
FREEZE_CHECK_EVERY = 64


def code_fingerprint() -> str:
    """SHA-256 of the source of everything that shapes a cached result: the analysis package and the
    dashboard's figure and view builders.  A cache left by an older build is never served."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in fingerprinted_files(root):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def fingerprinted_files(root: Path) -> list[Path]:
    """The files :func:`code_fingerprint` reads: the analysis package, the figure and view builders, and the
    report code with its stylesheets (rendered report pages are cached too)."""
    files: list[Path] = []
    for folder in (root / "analysis", root / "dashboard" / "figures", root / "dashboard" / "views",
                   root / "dashboard" / "report"):
        files += sorted(folder.rglob("*.py")) + sorted(folder.rglob("*.css"))
    print_css = root / "assets" / "print.css"
    return files + ([print_css] if print_css.is_file() else [])


CODE_FINGERPRINT = code_fingerprint()


def cache_key(kind: str, study_hash: str, params: Any, *extra: Any) -> str:
    """A short, stable key: SHA-256 of the JSON of its parts (with the analysis version and code fingerprint)."""
    params_dict = asdict(params) if is_dataclass(params) else params
    payload = json.dumps([kind, study_hash, ANALYSIS_VERSION, CODE_FINGERPRINT, params_dict, list(extra)],
                         sort_keys=True, default=str)
    return f"{kind}:{hashlib.sha256(payload.encode()).hexdigest()}"


class AnalysisCache:
    """Disk cache of analysis results with an in-memory LRU in front.

    ``computations`` counts, per kind, how often a result actually had to be
    computed (used by tests and benchmarks to tell a hit from a miss).
    """

    def __init__(self, directory: str | Path, memory_items: int = MEMORY_ITEMS, size_limit_bytes: int = 2 << 30,
                 memory_bytes: int = MEMORY_BYTES) -> None:
        self.directory = Path(directory)
        self.size_limit_bytes = size_limit_bytes
        self.memory_items = memory_items
        self.memory_bytes = memory_bytes
        self._memory: OrderedDict[str, Any] = OrderedDict()
        self._sizes: dict[str, int] = {}
        self._used = 0  # sum of _sizes, kept as it changes (summing thousands of items per insert is dear)
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self.computations: Counter[str] = Counter()
        self.notice: str | None = None
        self._frozen_at_compaction = 0
        self._inserts_since_check = 0
        self._lock_dir = self.directory.with_name(f"{self.directory.name}.locks")
        self.disk = self._open_disk()

    # ------------------------------------------------------------------ the disk, and its faults
    def _open_disk(self) -> diskcache.Cache:
        """The disk cache at :attr:`directory`; a folder that cannot be opened (corrupt) is set aside first."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            return diskcache.Cache(str(self.directory), size_limit=self.size_limit_bytes)
        except DISK_FAULTS as exc:
            self._disk_fault("could not be opened", exc)
            self._set_aside()
            self.directory.mkdir(parents=True, exist_ok=True)
            return diskcache.Cache(str(self.directory), size_limit=self.size_limit_bytes)

    def _set_aside(self) -> None:
        """Move an unusable cache folder out of the way (kept for inspection, never deleted here)."""
        if self.directory.exists():
            aside = self.directory.with_name(f"{self.directory.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
            self.directory.rename(aside)
            log.warning("result cache folder %s set aside as %s", self.directory, aside.name)

    def _disk_fault(self, what: str, exc: BaseException) -> None:
        """Record a disk fault: one log line and a notice, only when the fault is new."""
        full = isinstance(exc, OSError) and exc.errno == errno.ENOSPC or "full" in str(exc).lower()
        reason = "the disk is full" if full else f"{type(exc).__name__}: {exc}"
        notice = (f"The result cache on disk ({self.directory}) {what} ({reason}); results are being computed "
                  "again, which is slower. Nothing shown is affected.")
        if notice != self.notice:
            log.warning("result cache %s %s (%s); recomputing", self.directory, what, reason)
        self.notice = notice

    def _reopen_disk(self) -> None:
        """After a fault: open the folder again (recreated if deleted, set aside first if corrupt)."""
        with contextlib.suppress(*DISK_FAULTS):
            self.disk.close()
        try:
            if self.directory.is_dir():
                probe = diskcache.Cache(str(self.directory), size_limit=self.size_limit_bytes)
                probe.get("__probe__", retry=True)  # a corrupt database fails here
                self.disk = probe
                return
        except DISK_FAULTS:
            try:
                self._set_aside()
            except OSError:
                return
        # Still unusable (e.g. full): keep bypassing the disk; the notice stays.
        with contextlib.suppress(*DISK_FAULTS):
            self.disk = self._open_disk()

    def _disk_get(self, key: str) -> Any:
        try:
            found = self.disk.get(key, default=_MISSING, retry=True)
        except DISK_FAULTS as exc:
            self._disk_fault("could not be read", exc)
            self._reopen_disk()
            return _MISSING
        return found

    def _disk_set(self, key: str, value: Any) -> None:
        try:
            self.disk.set(key, value, retry=True)
        except DISK_FAULTS as exc:
            self._disk_fault("could not be written", exc)
            self._reopen_disk()
        else:
            if self.notice is not None:
                log.warning("result cache %s works again", self.directory)
                self.notice = None

    def get(self, kind: str, study_hash: str, params: Any, compute: Callable[[], T], *extra: Any) -> T:
        """The cached result for this key, computing (once, even under concurrent requests) on a miss."""
        key = cache_key(kind, study_hash, params, *extra)
        found = self._from_memory(key)
        if found is not _MISSING:
            return found
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            found = self._from_memory(key)
            if found is not _MISSING:
                return found
            found = self._disk_get(key)
            if found is _MISSING:
                with self._across_processes(key):
                    found = self._disk_get(key)  # another server process may have just computed it
                    if found is _MISSING:
                        found = compute()
                        self.computations[kind] += 1
                        self._disk_set(key, found)
            self._remember(key, found)
            return found

    @contextlib.contextmanager
    def _across_processes(self, key: str):
        """Held while *key* is computed: another process of this machine missing the same key waits for it and
        then reads it from the disk, instead of computing it too (4 workers meeting a cold view at once did the
        same work 4 times).  A lock file that cannot be made (disk fault) means no waiting, never an error."""
        path = self._lock_dir / f"{key.replace(':', '-')}.lock"
        try:
            self._lock_dir.mkdir(parents=True, exist_ok=True)
            handle = open(path, "ab")  # noqa: SIM115 (closed below)
        except OSError:
            handle = None
        try:
            if handle is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            if handle is not None:
                # The result is on disk by now: the lock file goes (one per distinct key would pile up without
                # bound), unless another process has already put a new one in its place.  A process still
                # waiting on this file reads the result from the disk once it gets the lock.
                with contextlib.suppress(OSError):
                    if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                        os.unlink(path)
                handle.close()  # releases the lock

    def contains(self, key: str) -> bool:
        """True when *key* (from :func:`cache_key`) is in memory or on disk."""
        if self._from_memory(key) is not _MISSING:
            return True
        try:
            return key in self.disk
        except DISK_FAULTS as exc:
            self._disk_fault("could not be read", exc)
            self._reopen_disk()
            return False

    def clear(self) -> None:
        with self._lock:
            self._memory.clear()
            self._sizes.clear()
            self._used = 0
        try:
            self.disk.clear(retry=True)
        except DISK_FAULTS as exc:
            self._disk_fault("could not be cleared", exc)
            self._reopen_disk()

    @property
    def memory_used_bytes(self) -> int:
        """Pickled size of the results held in memory (bytes)."""
        with self._lock:
            return self._used

    def _from_memory(self, key: str) -> Any:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        return _MISSING

    def _remember(self, key: str, value: Any) -> None:
        """Keep *value* in the in-memory LRU, within ``memory_items`` and ``memory_bytes``."""
        size = _pickled_size(value)
        if size > self.memory_bytes:
            return  # larger than the whole budget: served from disk (or recomputed) each time
        with self._lock:
            self._memory[key] = value
            self._used += size - self._sizes.get(key, 0)
            self._sizes[key] = size
            self._memory.move_to_end(key)
            while len(self._memory) > self.memory_items or self._used > self.memory_bytes:
                evicted, _ = self._memory.popitem(last=False)
                self._used -= self._sizes.pop(evicted, 0)
            if len(self._key_locks) > 2 * len(self._memory) + 64:  # now and then, not on every insert
                self._key_locks = {k: lock for k, lock in self._key_locks.items()
                                   if k in self._memory or lock.locked()}
        self._freeze_long_lived()

    def _freeze_long_lived(self) -> None:
        """Move long-lived results to the garbage collector's permanent generation, within a bound.

        Otherwise every full collection walks the whole cohort's tables and a warm request now and then
        takes 100+ ms longer (measured on 10,000 patients).  But a frozen object is never collected, and an
        evicted result (or a request's garbage frozen with it) that holds a reference cycle leaked ~36 MB
        per 100 parameter sets: so the frozen set is compacted (unfrozen, collected, frozen again) whenever
        it has doubled since the last compaction.
        """
        self._inserts_since_check += 1
        due = self._inserts_since_check >= FREEZE_CHECK_EVERY
        if due:
            self._inserts_since_check = 0
        if due and self._freeze_grew_too_much():
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self._frozen_at_compaction = gc.get_freeze_count()
        else:
            gc.collect(1)  # the young garbage of this request is not frozen with the result
            gc.freeze()

    def _freeze_grew_too_much(self) -> bool:
        """True when the frozen set has doubled since the last compaction (a walk of the whole set)."""
        return gc.get_freeze_count() > 2 * self._frozen_at_compaction + 100_000


def _pickled_size(value: Any) -> int:
    """Bytes of *value* pickled (what the disk holds), a fair measure of what it holds in memory."""
    try:
        return len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except (pickle.PicklingError, TypeError, AttributeError):
        return 0


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
