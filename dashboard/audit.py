"""The audit log: who saw which patient, report, export or study, and when.

One JSON object per line, appended (``O_APPEND``; the file is never rewritten or truncated by the
dashboard)::

    {"time": "2026-12-03T09:14:02.311Z", "user": "dr.li", "event": "patient_page",
     "patient": "p-3f1c...", "study": "her2_gc_2019", "client": "10.1.2.3"}

``event`` is one of :data:`EVENTS`.  Patients appear only as pseudonyms, an HMAC-SHA256 of the patient
id under a key kept in a separate file (:func:`pseudonym`): the log alone does not say who the patient
is, and the privacy officer, holding the key, finds one patient's history with

    python -m dashboard.audit history --log var/audit.jsonl --patient P0042 [--key-file var/audit.key]

No clinical value, file content or parameter value is ever written.

Events are recognised from the Dash callback requests the server answers (:func:`events_of_callback`),
so callbacks need no audit code: the page router showing ``/patient/<id>``, the study-zip and statistics
downloads, and a study switch that succeeded.  The tumour-board report is a plain download route
(:mod:`dashboard.report_route`) that records its own event (:func:`record_report`).  Table CSV and figure
image downloads are made in the browser from what the page already shows; they are covered by the
patient-page event.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

from dashboard import ids
from dashboard.auth import current_user, load_or_create_secret

EVENTS = ("login", "login_failed", "logout", "patient_page", "report", "export", "study_switch")
PAGES_CONTENT = "_pages_content"
PAGES_LOCATION = "_pages_location"


def pseudonym(key: bytes, patient_id: str) -> str:
    """The patient's id in the audit log: ``p-`` and 24 hex digits of HMAC-SHA256(key, id).

    >>> pseudonym(b"k" * 32, "P001") == pseudonym(b"k" * 32, "P001") != pseudonym(b"k" * 32, "P002")
    True
    """
    return "p-" + hmac.new(key, str(patient_id).encode("utf-8"), hashlib.sha256).hexdigest()[:24]


class AuditLog:
    """Append-only JSON-lines audit log at *path*, patient pseudonyms under *key*."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = Path(path)
        self.key = key
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path, key_file: Path) -> AuditLog:
        return cls(path, load_or_create_secret(key_file))

    def record(self, event: str, user: str, patient_id: str | None = None, study: str | None = None,
               client: str | None = None, **detail: str) -> dict:
        """Append one event; returns the record written."""
        if event not in EVENTS:
            raise ValueError(f"unknown audit event {event!r}")
        entry: dict = {"time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                       "user": user, "event": event}
        if patient_id is not None:
            entry["patient"] = pseudonym(self.key, patient_id)
        if study is not None:
            entry["study"] = study
        if client is not None:
            entry["client"] = client
        entry.update(detail)
        line = (json.dumps(entry, ensure_ascii=True, sort_keys=False) + "\n").encode("ascii")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)  # one write of one line: whole lines even with several worker processes
            finally:
                os.close(fd)
        return entry


def read_log(path: Path) -> Iterator[dict]:
    """The records of an audit log, in order (a damaged line is skipped with a note on stderr)."""
    with open(path, encoding="ascii", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                print(f"{path}:{number}: not a JSON line; skipped", file=sys.stderr)


def patient_history(path: Path, key: bytes, patient_id: str) -> list[dict]:
    """Every record about *patient_id* (by its pseudonym), oldest first."""
    wanted = pseudonym(key, patient_id)
    return [entry for entry in read_log(path) if entry.get("patient") == wanted]


# ---------------------------------------------------------------------------------------------- callbacks
def _values(items) -> dict[str, object]:
    """``{"component-id.property": value}`` of a callback request's inputs or state."""
    found: dict[str, object] = {}
    for item in items or ():
        for entry in item if isinstance(item, list) else [item]:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                found[f"{entry['id']}.{entry.get('property')}"] = entry.get("value")
    return found


def _output_value(answer: dict, component: str, prop: str):
    return ((answer.get("response") or {}).get(component) or {}).get(prop)


def events_of_callback(body: dict, answer: dict, patient_ids) -> list[tuple[str, str | None, dict]]:
    """The audit events of one answered callback: ``(event, patient id or None, detail)``.

    *body* is the callback request (Dash's JSON), *answer* the JSON of its 200 response, *patient_ids*
    the set of patient ids of the open study (a page for an unknown id is not a patient access).
    """
    output = str(body.get("output", ""))
    inputs = {**_values(body.get("inputs")), **_values(body.get("state"))}
    events: list[tuple[str, str | None, dict]] = []
    if output.startswith(f"..{PAGES_CONTENT}.") or output.startswith(f"{PAGES_CONTENT}."):
        path = str(inputs.get(f"{PAGES_LOCATION}.pathname") or "")
        parts = path.rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] == "patient":
            patient = unquote(parts[-1])
            if patient in patient_ids:
                events.append(("patient_page", patient, {}))
    for download, what in ((ids.DATA_EXPORT_DOWNLOAD, "study_zip"),
                           (ids.CONCORDANCE_STATS_DOWNLOAD, "concordance_statistics")):
        if download in output and _output_value(answer, download, "data"):
            events.append(("export", None, {"what": what}))
    if ids.DATA_NAVIGATE in output and _output_value(answer, ids.DATA_NAVIGATE, "href"):
        events.append(("study_switch", None, {}))
    return events


def install(app, settings) -> AuditLog | None:
    """Record the audited callbacks of *app* (a Dash app) in the audit log of *settings* (None: no audit)."""
    security = settings.security
    if security.audit_log is None:
        return None
    log = AuditLog.open(security.audit_log, security.audit_key_file or security.audit_log.with_name("audit.key"))
    app.server.extensions[EXTENSION] = log

    @app.server.after_request
    def _audit(response):
        from flask import request

        if response.status_code != 200 or not request.path.endswith("/_dash-update-component"):
            return response
        body = request.get_json(silent=True) or {}
        output = str(body.get("output", ""))
        if not any(marker in output for marker in AUDITED_OUTPUTS):
            return response
        try:
            answer = json.loads(response.get_data(as_text=True) or "{}")
        except ValueError:
            return response
        from dashboard.analysis_service import get_analysis_service

        service = get_analysis_service()
        study = service.study.meta.study_id
        for event, patient, detail in events_of_callback(body, answer, set(service.patient_ids())):
            log.record(event, current_user(), patient, study=study, client=request.remote_addr, **detail)
        return response

    return log


AUDITED_OUTPUTS = (PAGES_CONTENT, ids.DATA_EXPORT_DOWNLOAD, ids.CONCORDANCE_STATS_DOWNLOAD, ids.DATA_NAVIGATE)
#: Where :func:`install` keeps the log on the Flask server (``server.extensions``).
EXTENSION = "her2_audit_log"


def record_report(patient_id: str, kind: str) -> None:
    """Record, within a request, that the current user downloaded *patient_id*'s report as *kind*
    (``html`` or ``pdf``); nothing when the app has no audit log."""
    from flask import current_app, request

    log = current_app.extensions.get(EXTENSION)
    if log is None:
        return
    from dashboard.analysis_service import get_analysis_service

    log.record("report", current_user(), patient_id, study=get_analysis_service().study.meta.study_id,
               client=request.remote_addr, format=kind)


def login_events(log: AuditLog | None):
    """An ``on_event(kind, user)`` for :func:`dashboard.auth.install` writing logins and logouts to *log*."""
    def on_event(kind: str, user: str) -> None:
        if log is not None:
            from flask import request

            log.record(kind, user, client=request.remote_addr)
    return on_event


# ---------------------------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.audit",
                                     description="Read the dashboard's audit log (for the privacy officer).")
    commands = parser.add_subparsers(dest="command", required=True)
    history = commands.add_parser("history", help="every access to one patient, oldest first")
    history.add_argument("--log", type=Path, required=True, help="the audit log (JSON lines)")
    history.add_argument("--patient", required=True, help="the patient id as in the study")
    history.add_argument("--key-file", type=Path, default=None,
                         help="the pseudonym key (default: audit.key next to the log)")
    history.add_argument("--json", action="store_true", help="print the records as JSON lines")
    args = parser.parse_args(argv)
    key_file = args.key_file or args.log.with_name("audit.key")
    try:
        key = bytes.fromhex(key_file.read_text().strip())
        records = patient_history(args.log, key, args.patient)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        for entry in records:
            print(json.dumps(entry))
        return 0
    print(f"Accesses to patient {args.patient} in {args.log}: {len(records)}")
    for entry in records:
        extra = " ".join(f"{k}={v}" for k, v in entry.items()
                         if k not in ("time", "user", "event", "patient", "study", "client"))
        print(f"{entry.get('time', '?')}  {entry.get('user', '?'):<20} {entry.get('event', '?'):<13} "
              f"study={entry.get('study', '?')} client={entry.get('client', '?')} {extra}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
