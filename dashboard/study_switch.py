"""Opening another study folder in the running dashboard, all or nothing.

Two halves, because reading a large study is slow (a 10,000-patient study takes about 10 s) and
runs in a Dash background job, in another process, while the switch itself must happen in the
server process:

1. :func:`prepare_study` (background job): check the folder, read and validate it, hash its
   content, and leave the loaded study in a shared disk cache (a *handoff*) so that the server
   does not read it a second time.  Returns a small JSON-able result with the full validation
   report.
2. :func:`switch_study` (server): build a new :class:`StudyService` for the folder (from the
   handoff when the files did not change since, else by reading again) and re-point the study
   service and the analysis service to it.  Anything wrong raises before either is touched, so
   the current study stays open; nothing is ever half-loaded.

Analysis results need no invalidation: the result cache is keyed on the study's content hash.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from analysis.errors import AnalysisError, InputError, StudyValidationError
from analysis.io.cbioportal import study_file_fingerprint
from analysis.snapshot import load_study
from analysis.study import Study
from dashboard.analysis_service import AnalysisService, get_analysis_service, set_analysis_service
from dashboard.settings import get_settings
from dashboard.study_service import StudyService, get_service, set_service

#: Steps reported by :func:`prepare_study` (the reader has no finer progress hook).
STEPS = ("checking the folder", "validating and loading the files", "hashing the content", "handing over")

#: Seconds a prepared study waits in the handoff cache for the server to pick it up.
HANDOFF_SECONDS = 900
HANDOFF_PREFIX = "study-handoff:"

_switch_lock = threading.Lock()


def resolve_folder(text: str) -> Path:
    """The folder a user typed (``~`` expanded, made absolute).

    Raises
    ------
    InputError
        Nothing was typed, or the path is not an existing folder.
    """
    text = (text or "").strip().strip('"').strip("'")
    if not text:
        raise InputError("no folder given; type the path of a study folder (the one holding meta_study.txt)")
    folder = Path(text).expanduser()
    if not folder.is_dir():
        raise InputError("not an existing folder on this machine; give the folder holding meta_study.txt and "
                         "data_*.txt", path=str(folder))
    folder = folder.resolve()
    root = get_settings().studies_root
    if root is not None and not folder.is_relative_to(root.resolve()):
        raise InputError(f"only study folders under {root} may be opened here (--studies-root)", path=str(folder))
    return folder


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def prepare_study(text: str, progress: Callable[[int, int, str], None] | None = None, handoff=None) -> dict:
    """Read and validate the study folder *text*; the slow half of opening a study.

    Parameters
    ----------
    text
        The folder path as typed.
    progress
        Called as ``progress(step_done, n_steps, label)`` before each step of :data:`STEPS`.
    handoff
        A ``diskcache.Cache`` shared with the server process; the loaded study is left there under
        the returned ``token`` (None: nothing is handed over and the server reads the folder again).

    Returns
    -------
    dict (JSON-able): ``ok``, ``folder``, ``message``, ``n_errors``, ``n_warnings``, ``messages``
    (every validation finding as ``level, file, line, column, message, expected``), and when ok
    ``study_id``, ``name``, ``n_patients``, ``content_hash``, ``fingerprint``, ``token``.
    Problems are reported in the result, never raised.
    """
    total = len(STEPS)

    def step(done: int, detail: str = "") -> None:
        if progress is not None:
            progress(done, total, f"{STEPS[done].capitalize()}{detail} (step {done + 1} of {total})")

    result: dict = {"ok": False, "folder": (text or "").strip(), "message": "", "n_errors": 0,
                    "n_warnings": 0, "messages": []}
    step(0)
    try:
        folder = resolve_folder(text)
    except InputError as exc:
        result["message"] = str(exc)
        return result
    result["folder"] = str(folder)
    fingerprint = study_file_fingerprint(folder)
    step(1, f": {_folder_size(folder) / 1e6:.1f} MB")
    try:
        study = load_study(folder, _snapshot_dir())  # snapshotted here: every server process then loads it fast
    except StudyValidationError as exc:
        report = exc.report
        result.update(message=str(exc), n_errors=len(report.errors), n_warnings=len(report.warnings),
                      messages=_records(report))
        return result
    except (AnalysisError, OSError) as exc:
        result["message"] = str(exc)
        return result
    step(2)
    content_hash = study.content_hash
    step(3)
    token = ""
    if handoff is not None:
        token = uuid.uuid4().hex
        handoff.set(HANDOFF_PREFIX + token, (str(folder), fingerprint, study), expire=HANDOFF_SECONDS,
                    retry=True)
    result.update(ok=True, message="", n_warnings=len(study.report.warnings), messages=_records(study.report),
                  study_id=study.meta.study_id, name=study.meta.name,
                  n_patients=int(study.patients["patient_id"].nunique()), content_hash=content_hash,
                  fingerprint=fingerprint, token=token)
    if progress is not None:
        progress(total, total, "Done")
    return result


def _snapshot_dir() -> Path | None:
    """The open study service's snapshot folder (None when the dashboard keeps no snapshots)."""
    try:
        return get_service().snapshot_dir
    except RuntimeError:
        return None


def _records(report) -> list[dict]:
    frame = report.to_frame()
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_dict("records")


def take_handoff(handoff, token: str, folder: Path) -> Study | None:
    """The study a background job left under *token*, if it is for *folder* and its files did not change."""
    if handoff is None or not token:
        return None
    found = handoff.pop(HANDOFF_PREFIX + token, default=None, retry=True)
    if found is None:
        return None
    stored_folder, fingerprint, study = found
    if Path(stored_folder) != folder or study_file_fingerprint(folder) != fingerprint:
        return None
    return study


def switch_study(text: str | Path, handoff=None, token: str = "") -> StudyService:
    """Open the study folder *text* in the running dashboard (server process).

    Parameters
    ----------
    text
        The folder.
    handoff, token
        Where :func:`prepare_study` left the loaded study; without them (or when the files changed
        since) the folder is read again.

    Returns
    -------
    The new :class:`StudyService`, now installed (``get_service()``), with the analysis service
    (``get_analysis_service()``) re-pointed to it and keeping its result cache.

    Raises
    ------
    InputError
        The folder does not exist.
    StudyValidationError
        The study has errors.  In both cases the current study stays open.
    """
    folder = resolve_folder(str(text))
    with _switch_lock:
        study = take_handoff(handoff, token, folder)
        if study is not None:
            service = StudyService.from_study(folder, study, study_file_fingerprint(folder), _snapshot_dir())
        else:
            # Reads (from the snapshot when there is one) and validates; raises before anything is switched.
            service = StudyService(folder, snapshot_dir=_snapshot_dir())
        cache = get_analysis_service().cache
        set_service(service)
        set_analysis_service(AnalysisService(service, cache))
    return service
