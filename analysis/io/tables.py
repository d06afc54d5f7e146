"""Reading tab-separated cBioPortal-style tables with exact line numbers.

Every value is read as text; conversion and validation happen in the callers,
vectorised, so that a message can name the file line of each bad value.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import InputError

#: Text that means "no value" in real cBioPortal studies.
MISSING_VALUES = frozenset({"", "NA", "N/A", "NAN", "NONE", "NULL", "[NOT AVAILABLE]", "[NOT APPLICABLE]",
                            "[UNKNOWN]", "[NOT EVALUATED]", "[NOT REPORTED]", "."})

#: Largest number of messages reported for one column of one file; the rest are counted.
MAX_MESSAGES_PER_COLUMN = 20


@dataclass(frozen=True)
class RawTable:
    """A table read as text.

    ``frame`` has one column per header field, every value a ``str`` (``""``
    when empty); ``lines`` gives the 1-based file line of each row;
    ``comments`` holds the leading ``#`` lines without the ``#``; ``warnings`` holds
    (line, column, message) of harmless defects that were repaired (blank trailing header cells).
    """

    path: Path
    frame: pd.DataFrame
    lines: np.ndarray
    comments: tuple[str, ...]
    warnings: tuple[tuple[int | None, str | None, str], ...] = ()

    @property
    def name(self) -> str:
        return self.path.name

    def report_warnings(self, report, name: str | None = None) -> None:
        """Copy the repairs made while reading into a :class:`~analysis.validation.ValidationReport`."""
        for line, column, message in self.warnings:
            report.warning(name or self.name, line, column, message)


def read_raw_table(path: Path) -> RawTable:
    """Read a tab-separated file with optional leading ``#`` lines and one header row.

    Blank header cells at the end of the header whose columns are empty in every row are dropped
    (a warning in ``warnings``); a blank header cell elsewhere, or over values, and a column name
    that appears twice are errors naming the column positions.

    Raises
    ------
    InputError
        The file is missing, empty, has no header, a row has more fields
        than the header, a header cell is blank over values, a column repeats, or the file is not
        UTF-8 text (the first line that is not is named).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=str(path))
    try:
        return _read_raw_table(path)
    except UnicodeDecodeError:
        raise InputError("file contains bytes that are not UTF-8 text; save it as UTF-8",
                         path=str(path), line=_first_non_utf8_line(path)) from None


def _first_non_utf8_line(path: Path) -> int | None:
    """The 1-based line holding the first byte sequence that is not UTF-8."""
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return line_no
    return None


def _read_raw_table(path: Path) -> RawTable:
    comments: list[str] = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header_line_no = 0
        header: list[str] | None = None
        rows: list[list[str]] = []
        line_numbers: list[int] = []
        short_rows: list[int] = []
        for line_no, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if header is None:
                if line.startswith("#"):
                    comments.append(line[1:])
                    continue
                if not line.strip():
                    continue
                header = [h.strip() for h in line.split("\t")]
                header_line_no = line_no
                continue
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) > len(header):
                if any(f.strip() for f in fields[len(header):]):
                    raise InputError(
                        f"row has {len(fields)} fields but the header (line {header_line_no}) has "
                        f"{len(header)}; check for stray tab characters", path=str(path), line=line_no)
                fields = fields[: len(header)]
            elif len(fields) < len(header):
                short_rows.append(line_no)
                fields = fields + [""] * (len(header) - len(fields))
            rows.append([f.strip() for f in fields])
            line_numbers.append(line_no)
    if header is None:
        raise InputError("file has no header row", path=str(path))
    header, rows, warnings = _drop_blank_trailing_columns(path, header, rows, header_line_no)
    if short_rows:
        shown = ", ".join(map(str, short_rows[:10])) + (", ..." if len(short_rows) > 10 else "")
        warnings.append((short_rows[0] if len(short_rows) == 1 else None, None,
                         f"{len(short_rows)} row(s) have fewer fields than the header (line(s) {shown}): the "
                         "missing fields are read as empty"))
    duplicated = [name for name, n in Counter(header).items() if n > 1]
    if duplicated:
        name = duplicated[0]
        positions = [i + 1 for i, h in enumerate(header) if h == name]
        raise InputError(f"column {name!r} appears {len(positions)} times in the header (columns "
                         f"{', '.join(map(str, positions))}); each column once", path=str(path),
                         line=header_line_no, field=name)
    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(
        {h: pd.Series(dtype=object) for h in header})
    return RawTable(path, frame, np.asarray(line_numbers, dtype=np.int64), tuple(comments), tuple(warnings))


def _drop_blank_trailing_columns(path: Path, header: list[str], rows: list[list[str]], header_line_no: int):
    """Drop blank header cells at the end whose columns hold nothing; any other blank header is an error."""
    warnings: list[tuple[int | None, str | None, str]] = []
    keep = len(header)
    while keep > 0 and header[keep - 1] == "" and all(row[keep - 1] == "" for row in rows):
        keep -= 1
    if keep < len(header):
        dropped = len(header) - keep
        warnings.append((header_line_no, None,
                         f"{dropped} blank header cell(s) at the end of the header (column(s) {keep + 1}-"
                         f"{len(header)}) over empty columns: dropped"))
        header = header[:keep]
        rows = [row[:keep] for row in rows]
    blank = [i + 1 for i, h in enumerate(header) if h == ""]
    if blank:
        raise InputError(f"header cell in column {blank[0]} is blank"
                         + (" and its column holds values" if blank[0] == len(header) else "")
                         + "; every column needs a name", path=str(path), line=header_line_no,
                         field=f"column {blank[0]}")
    return header, rows, warnings


def missing_mask(values: pd.Series) -> pd.Series:
    """True where a text value means "no value"."""
    # Decide once per distinct value: columns have far fewer distinct values than rows.
    distinct = pd.unique(values.to_numpy(dtype=object))
    missing = [v for v in distinct if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
               or str(v).strip().upper() in MISSING_VALUES]
    return values.isin(missing) | values.isna()


def text_column(raw: RawTable, column: str | None) -> pd.Series:
    """Column *column* of *raw* as stripped text, missing where it means "no value" (all missing when None)."""
    if column is None:
        return pd.Series(pd.NA, index=raw.frame.index, dtype="string")
    values = raw.frame[column].astype("string").str.strip()
    return values.where(~missing_mask(raw.frame[column]))


def to_number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Convert text to float.  Returns (numbers with NaN for missing, mask of unconvertible non-missing values).

    ``inf``, ``-Infinity`` and numbers beyond the float range are not numbers here: no measurement is
    infinite, and one such value would break every statistic downstream.

    >>> numbers, bad = to_number(pd.Series(["1.5", "inf", "", "x", "1e999"]))
    >>> numbers.tolist()[:1], bad.tolist()
    ([1.5], [False, True, False, True, True])
    """
    missing = missing_mask(values)
    numbers = pd.to_numeric(values.where(~missing), errors="coerce").astype("float64")
    infinite = pd.Series(np.isinf(numbers.to_numpy()), index=numbers.index)
    numbers = numbers.where(~infinite)
    bad = numbers.isna() & ~missing
    return numbers, bad


def find_column(frame: pd.DataFrame, *candidates: str) -> str | None:
    """The first header among *candidates* present in *frame*, compared case-insensitively."""
    by_upper = {str(c).upper(): c for c in frame.columns}
    for candidate in candidates:
        if candidate.upper() in by_upper:
            return by_upper[candidate.upper()]
    return None


def numbers_or_error(raw: RawTable, column: str, allow_missing: bool = True) -> pd.Series:
    """The column *column* of *raw* as floats; raises at the first value that is not a number.

    Raises
    ------
    InputError
        Naming the file, line and field of the first non-number (or missing value, when not allowed).
    """
    numbers, bad = to_number(raw.frame[column])
    problem = (bad if allow_missing else bad | numbers.isna()).to_numpy()
    if problem.any():
        row = int(np.argmax(problem))
        raise InputError(f"expected a number, got {raw.frame[column].iloc[row]!r}.", path=str(raw.path),
                         line=int(raw.lines[row]), field=column)
    return numbers
