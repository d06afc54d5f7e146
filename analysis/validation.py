"""Validation messages: each names the file, line, column and what was expected."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class ValidationMessage:
    """One finding about an input file.

    ``line`` is the 1-based line in the file (header lines included), or None
    when the finding is about the whole file.
    """

    level: str
    file: str
    line: int | None
    column: str | None
    message: str
    expected: str = ""

    def format(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        col = f" [{self.column}]" if self.column else ""
        exp = f" (expected {self.expected})" if self.expected else ""
        return f"{self.level.upper()} {where}{col}: {self.message}{exp}"


@dataclass
class ValidationReport:
    """All findings of one validation run, errors and warnings."""

    messages: list[ValidationMessage] = field(default_factory=list)

    def error(self, file: str, line: int | None, column: str | None, message: str,
              expected: str = "") -> None:
        self.messages.append(ValidationMessage(ERROR, file, line, column, message, expected))

    def warning(self, file: str, line: int | None, column: str | None, message: str,
                expected: str = "") -> None:
        self.messages.append(ValidationMessage(WARNING, file, line, column, message, expected))

    @property
    def errors(self) -> list[ValidationMessage]:
        return [m for m in self.messages if m.level == ERROR]

    @property
    def warnings(self) -> list[ValidationMessage]:
        return [m for m in self.messages if m.level == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        """Columns: level, file, line, column, message, expected."""
        cols = ["level", "file", "line", "column", "message", "expected"]
        if not self.messages:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
        return pd.DataFrame([m.__dict__ for m in self.messages])[cols]

    def format(self) -> str:
        return "\n".join(m.format() for m in self.messages)
