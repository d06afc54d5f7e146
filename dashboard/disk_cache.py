"""A diskcache that survives its folder being deleted, damaged or full while the server runs.

Used for the background-callback job store (``DiskcacheManager``): a job's progress, result and
signing secret are short-lived, so after a fault the folder is opened afresh (recreated if gone) and
the operation retried once; a job that was running when its entry vanished is simply run again by
the page.  One warning line is logged per fault, never patient data.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import shutil
import sqlite3
import time
from typing import Any

import diskcache

log = logging.getLogger(__name__)

#: What a vanished, corrupt or full cache folder raises (sqlite: corrupt or full; OS: deleted, full):
#: survived by reopening the folder or by recomputing.
DISK_FAULTS: tuple[type[BaseException], ...] = (sqlite3.Error, OSError, EOFError, pickle.UnpicklingError)


class SelfHealingCache(diskcache.Cache):
    """``diskcache.Cache`` whose get/set/add/delete/touch/contains reopen the folder after a fault."""

    def __init__(self, directory: str | None = None, *args: Any, **kwargs: Any) -> None:
        try:
            super().__init__(directory, *args, **kwargs)
        except DISK_FAULTS as exc:  # damaged beyond opening (e.g. not a database): set aside, start empty
            if directory is None:
                raise
            log.warning("job cache %s could not be opened (%s); set aside", directory, type(exc).__name__)
            shutil.move(directory, f"{directory}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
            super().__init__(directory, *args, **kwargs)

    def _heal(self, exc: BaseException) -> None:
        log.warning("job cache %s failed (%s); opened afresh", self.directory, type(exc).__name__)
        directory = self.directory
        with contextlib.suppress(*DISK_FAULTS):
            self.close()
        SelfHealingCache.__init__(self, directory)

    def _retry(self, name: str, *args: Any, **kwargs: Any) -> Any:
        method = getattr(diskcache.Cache, name)
        try:
            return method(self, *args, **kwargs)
        except DISK_FAULTS as exc:
            self._heal(exc)
            return method(self, *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._retry("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._retry("set", *args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._retry("add", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._retry("delete", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._retry("touch", *args, **kwargs)

    def __contains__(self, key: Any) -> bool:
        return bool(self._retry("__contains__", key))
