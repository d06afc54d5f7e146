"""The analysis layer's exception family.

Only the outermost layer (command line, dashboard) turns these into text for
the user; each carries enough to name the file, line and field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.validation import ValidationReport


class AnalysisError(Exception):
    """Base class of every error raised on purpose by the analysis layer."""


class InputError(AnalysisError):
    """An input file cannot be used.  The message names file, line, field and the fix."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        where = ":".join(str(p) for p in (path, line) if p is not None)
        prefix = f"{where}: " if where else ""
        field_part = f"field {field}: " if field else ""
        super().__init__(f"{prefix}{field_part}{message}")
        self.path = path
        self.line = line
        self.field = field


class StudyValidationError(AnalysisError):
    """A study folder has errors and was refused whole.  ``.report`` lists them all; ``.files`` (when
    the folder was read) lists every file with what it was read as, or why not."""

    def __init__(self, report: ValidationReport, files=None) -> None:
        self.report = report
        self.files = files
        n = len(report.errors)
        first = report.errors[0].format() if report.errors else ""
        super().__init__(f"study refused: {n} error(s); first: {first}")
