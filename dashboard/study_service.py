"""The open study, held for the running dashboard.

The service keeps the last study that read without errors: when the folder
later changes into something invalid, ``reload`` reports why and the
dashboard keeps serving the last good data.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import AnalysisError, StudyValidationError
from analysis.io.cbioportal import study_file_fingerprint
from analysis.io.folder_swap import recover_folder, recovery_notices
from analysis.snapshot import load_study
from analysis.study import Study
from analysis.validation import ValidationReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadOutcome:
    """What the last reload attempt found: ``ok`` or the refusal (message + report)."""

    ok: bool
    message: str = ""
    report: ValidationReport | None = None


class StudyService:
    """Holds one study folder's last good :class:`Study` and notices file changes.

    With a *snapshot_dir* the study is loaded from its columnar snapshot when one matches the folder's
    files (:mod:`analysis.snapshot`), and snapshotted after a parse; without one it is parsed every time.
    """

    snapshot_dir: Path | None = None
    #: Seconds between two looks at the folder's files (0: on every access).  Each look lists the folder
    #: and stats every file, and a request asks for the study several times: a server sets this to a
    #: second or so (:func:`dashboard.production.build_app`); a changed file is then seen within it.
    check_interval: float = 0.0
    _checked_at: float = float("-inf")

    def __init__(self, folder: Path, snapshot_dir: Path | None = None) -> None:
        self.folder = Path(folder)
        self.snapshot_dir = snapshot_dir
        self._lock = threading.Lock()
        self._study = self._read()  # raises: a broken study is refused at start-up
        self._fingerprint = study_file_fingerprint(self.folder)
        gc.freeze()  # the study lives as long as the server: keep it out of every garbage collection
        self.last_reload = ReloadOutcome(ok=True)

    @classmethod
    def from_study(cls, folder: Path, study: Study, fingerprint: str,
                   snapshot_dir: Path | None = None) -> StudyService:
        """A service holding a study already read from *folder* (whose files had *fingerprint*)."""
        service = cls.__new__(cls)
        service.folder = Path(folder)
        service.snapshot_dir = snapshot_dir
        service._lock = threading.Lock()
        service._study = study
        service._fingerprint = fingerprint
        service.last_reload = ReloadOutcome(ok=True)
        return service

    def _read(self) -> Study:
        return load_study(self.folder, self.snapshot_dir, background_write=True)

    @property
    def study(self) -> Study:
        """The current study, re-read first if its files changed since the last read."""
        self.refresh_if_changed()
        return self._study

    def refresh_if_changed(self) -> ReloadOutcome:
        """Re-read the folder if any file changed; on failure keep the last good study.

        Within :attr:`check_interval` seconds of the last look, the folder is not looked at again.
        """
        if self.check_interval > 0:
            now = time.monotonic()
            if now - self._checked_at < self.check_interval:
                return self.last_reload
            self._checked_at = now
        fingerprint = self._current_fingerprint()
        if fingerprint == self._fingerprint:
            return self.last_reload
        with self._lock:
            if fingerprint == self._fingerprint:
                return self.last_reload
            outcome = self._reload()
            if not outcome.ok and outcome.message != self.last_reload.message:
                # One line per change of the folder, never per request; no patient data in the log.
                log.warning("study %s changed and could not be read; the last good study is kept: %s",
                            self.folder.name, outcome.message.splitlines()[0][:300])
            self.last_reload = outcome
            self._fingerprint = fingerprint
        return self.last_reload

    @property
    def notices(self) -> list[str]:
        """What was recovered at or beside the study folder (a writer killed mid-swap), oldest first."""
        return recovery_notices(self.folder)

    def _current_fingerprint(self) -> str:
        """The folder's file fingerprint; "" when it is gone or cannot be listed (a fault, handled by reload).

        A folder gone because a writer was killed between the two renames of its swap is put back first
        (:func:`analysis.io.folder_swap.recover_folder`, which says so in :attr:`notices`).
        """
        if not self.folder.is_dir():
            recover_folder(self.folder)
        try:
            return study_file_fingerprint(self.folder) if self.folder.is_dir() else ""
        except OSError:
            return "unlistable"

    def _reload(self) -> ReloadOutcome:
        """Read the folder again; any failure, expected or not, is an outcome, never an exception."""
        try:
            study = self._read()
        except StudyValidationError as exc:
            return ReloadOutcome(False, str(exc), exc.report)
        except (AnalysisError, OSError) as exc:
            return ReloadOutcome(False, str(exc))
        except Exception as exc:  # noqa: BLE001 - a reader bug must not blank the running dashboard
            log.exception("unexpected error re-reading study %s", self.folder.name)
            return ReloadOutcome(False, f"the study files could not be read ({type(exc).__name__}); "
                                 "the last good version is kept")
        self._study = study
        return ReloadOutcome(ok=True)


_service: StudyService | None = None


def set_service(service: StudyService) -> None:
    """Install the service the pages read from (done once by the app factory)."""
    global _service
    _service = service


def get_service() -> StudyService:
    if _service is None:
        raise RuntimeError("the dashboard has no study service; build the app with dashboard.app.create_app")
    return _service
