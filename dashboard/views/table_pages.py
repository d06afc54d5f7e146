r"""Rows of a large table served block by block (AG Grid's infinite row model), sorted and filtered here.

A table with more rows than :data:`dashboard.components.tables.SERVER_ROWS_ABOVE` does not send its rows to
the browser: the grid asks for one block at a time (``getRowsRequest``: ``startRow``, ``endRow``,
``sortModel``, ``filterModel``) and :meth:`PagedRows.block` answers from the table already built from the
cached analysis (``rowData`` and ``rowCount``, the number of rows passing the filters).  Sorting and
filtering follow AG Grid's client-side defaults, so a paged table behaves as a small one does:

- sort: missing values first when ascending, last when descending; text by code point (AG Grid's default
  comparator); ties keep the table's order; several columns in the order of the sort model;
- text filter (``contains``, ``notContains``, ``equals``, ``notEqual``, ``startsWith``, ``endsWith``,
  ``blank``, ``notBlank``): case-insensitive; a missing cell passes only ``notContains``, ``notEqual`` and
  ``blank``;
- number filter (``equals``, ``notEqual``, ``greaterThan``, ``greaterThanOrEqual``, ``lessThan``,
  ``lessThanOrEqual``, ``inRange`` (both ends excluded), ``blank``, ``notBlank``): a missing cell passes
  only ``blank``;
- two conditions of one column joined by ``AND`` / ``OR``; filters of several columns all apply.

Markdown link columns (the cohort table's patient ids) are sorted and filtered on their link text.
No Dash here.

>>> frame = pd.DataFrame({"id": ["b", "a", "c"], "n": [2.0, None, 1.0]})
>>> rows = PagedRows(frame, numeric={"n"})
>>> rows.block({"startRow": 0, "endRow": 2, "sortModel": [{"colId": "n", "sort": "desc"}]})
{'rowData': [{'id': 'b', 'n': 2.0}, {'id': 'c', 'n': 1.0}], 'rowCount': 3}
>>> rows.block({"startRow": 0, "endRow": 10, "filterModel": {"id": {"filterType": "text", "type": "equals",
...                                                                    "filter": "A"}}})["rowData"]
[{'id': 'a', 'n': None}]
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import pandas as pd

_LINK = re.compile(r"^\[((?:\\.|[^\]\\])*)\]\([^)]*\)$")
_ESCAPE = re.compile(r"\\(.)")
#: Most (sort, filter) orders kept per table (a reader going through pages asks for the same one again).
ORDERS_KEPT = 16
#: Rows sent per column so that the browser sizes columns to the longest values of all rows.
SAMPLE_PER_COLUMN = 3


def markdown_text(value) -> str | None:
    r"""The text of a Markdown link cell, ``[P\_1](/patient/P_1)`` -> ``P_1`` (as ``markdownText`` in
    ``assets/grid_functions.js``); other values as text, missing as ``None``.

    >>> markdown_text("[P\\_1](/patient/P_1)"), markdown_text("plain"), markdown_text(None)
    ('P_1', 'plain', None)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    match = _LINK.match(str(value))
    return _ESCAPE.sub(r"\1", match.group(1)) if match else str(value)


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _text_mask(values: pd.Series, kind: str, wanted) -> np.ndarray:
    missing = values.isna().to_numpy()
    text = values.fillna("").astype(str).str.lower()
    needle = str(wanted if wanted is not None else "").lower()
    if kind == "blank":
        return missing | (text.str.strip() == "").to_numpy()
    if kind == "notBlank":
        return ~missing & (text.str.strip() != "").to_numpy()
    tests = {
        "contains": lambda: text.str.contains(needle, regex=False),
        "notContains": lambda: ~text.str.contains(needle, regex=False),
        "equals": lambda: text == needle,
        "notEqual": lambda: text != needle,
        "startsWith": lambda: text.str.startswith(needle),
        "endsWith": lambda: text.str.endswith(needle),
    }
    if kind not in tests:
        raise ValueError(f"text filter type {kind!r} is not one of {sorted([*tests, 'blank', 'notBlank'])}")
    passed = tests[kind]().to_numpy(dtype=bool)
    if kind in ("notContains", "notEqual"):
        return passed | missing
    return passed & ~missing


def _number_mask(values: pd.Series, kind: str, low, high) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    missing = np.isnan(numbers)
    if kind == "blank":
        return missing
    if kind == "notBlank":
        return ~missing
    a = float(low) if low is not None else math.nan
    b = float(high) if high is not None else math.nan
    with np.errstate(invalid="ignore"):
        tests = {
            "equals": lambda: numbers == a,
            "notEqual": lambda: numbers != a,
            "greaterThan": lambda: numbers > a,
            "greaterThanOrEqual": lambda: numbers >= a,
            "lessThan": lambda: numbers < a,
            "lessThanOrEqual": lambda: numbers <= a,
            "inRange": lambda: (numbers > min(a, b)) & (numbers < max(a, b)),
        }
        if kind not in tests:
            raise ValueError(f"number filter type {kind!r} is not one of {sorted([*tests, 'blank', 'notBlank'])}")
        return tests[kind]() & ~missing


def _condition_mask(values: pd.Series, condition: dict, numeric: bool) -> np.ndarray | None:
    kind = condition.get("type")
    if kind is None:
        return None
    if kind not in ("blank", "notBlank") and condition.get("filter") is None:
        return None  # a condition without a value filters nothing (AG Grid leaves it out of the model)
    if numeric or condition.get("filterType") == "number":
        return _number_mask(values, kind, condition.get("filter"), condition.get("filterTo"))
    return _text_mask(values, kind, condition.get("filter"))


def _column_mask(values: pd.Series, model: dict, numeric: bool) -> np.ndarray | None:
    conditions = model.get("conditions")
    if conditions is None and "condition1" in model:  # the older two-condition form
        conditions = [c for c in (model.get("condition1"), model.get("condition2")) if c]
    if conditions is None:
        return _condition_mask(values, model, numeric)
    masks = [m for c in conditions if (m := _condition_mask(values, {"filterType": model.get("filterType"), **c},
                                                             numeric)) is not None]
    if not masks:
        return None
    if str(model.get("operator", "AND")).upper() == "OR":
        return np.logical_or.reduce(masks)
    return np.logical_and.reduce(masks)


def _sort_codes(values: pd.Series, numeric: bool) -> np.ndarray:
    """Integer codes in sort order, -1 for missing values."""
    if numeric:
        values = pd.to_numeric(values, errors="coerce").astype("float64")
    else:
        values = values.astype(object).where(values.notna(), None)
        values = values.map(lambda v: v if v is None or isinstance(v, str) else str(v))
    codes, _ = pd.factorize(values, sort=True, use_na_sentinel=True)
    return codes


class PagedRows:
    """A table's rows (built once from the cached analysis) answering block requests.

    Parameters
    ----------
    frame
        The table as shown (display columns; Markdown link cells as the grid shows them).
    numeric
        Columns holding numbers (number filters, numeric sort); the others are text.
    markdown
        Columns holding Markdown links: sorted and filtered on their link text.
    """

    def __init__(self, frame: pd.DataFrame, numeric: Iterable[str] = (), markdown: Iterable[str] = ()) -> None:
        self.frame = frame.reset_index(drop=True)
        self.numeric = frozenset(numeric) & set(self.frame.columns)
        self.markdown = frozenset(markdown) & set(self.frame.columns)
        keys = self.frame.copy()
        for column in self.markdown:
            keys[column] = keys[column].map(markdown_text)
        self.keys = keys
        self._codes: dict[str, np.ndarray] = {}
        self._orders: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the server answers block requests from several threads

    def __len__(self) -> int:
        return len(self.frame)

    def _column_codes(self, column: str) -> np.ndarray:
        if column not in self._codes:
            self._codes[column] = _sort_codes(self.keys[column], column in self.numeric)
        return self._codes[column]

    def order(self, sort_model: list[dict] | None = None, filter_model: dict | None = None) -> np.ndarray:
        """Positions (in the table) of the rows passing *filter_model*, in the order of *sort_model*."""
        sort_model = [s for s in (sort_model or []) if s.get("colId") in self.keys.columns
                      and s.get("sort") in ("asc", "desc")]
        filter_model = {c: m for c, m in (filter_model or {}).items() if c in self.keys.columns and m}
        key = json.dumps([sort_model, filter_model], sort_keys=True, default=str)
        with self._lock:
            found = self._orders.get(key)
            if found is not None:
                self._orders.move_to_end(key)
                return found
        mask = np.ones(len(self.keys), dtype=bool)
        for column, model in filter_model.items():
            column_mask = _column_mask(self.keys[column], model, column in self.numeric)
            if column_mask is not None:
                mask &= column_mask
        positions = np.flatnonzero(mask)
        if sort_model:
            keys = []
            for entry in reversed(sort_model):  # np.lexsort: the last key is the primary one
                codes = self._column_codes(entry["colId"])[positions]
                keys.append(codes if entry["sort"] == "asc" else -codes)  # missing (-1) first / last (1)
            positions = positions[np.lexsort(keys)]  # stable: ties keep the table's order
        with self._lock:
            self._orders[key] = positions
            while len(self._orders) > ORDERS_KEPT:
                self._orders.popitem(last=False)
        return positions

    def rows(self, request: dict | None) -> pd.DataFrame:
        """Every row passing the request's filters, in its sort order (the CSV download)."""
        request = request or {}
        return self.frame.iloc[self.order(request.get("sortModel"), request.get("filterModel"))]

    def block(self, request: dict) -> dict:
        """The answer to one ``getRowsRequest``: ``rowData`` of rows ``startRow`` to ``endRow`` (excluded)
        after filtering and sorting, and ``rowCount``, the number of rows passing the filters."""
        positions = self.order(request.get("sortModel"), request.get("filterModel"))
        start = max(0, int(request.get("startRow") or 0))
        end = max(start, int(request.get("endRow") if request.get("endRow") is not None else start + 100))
        return {"rowData": _records(self.frame.iloc[positions[start:end]]), "rowCount": int(len(positions))}

    def sample(self, per_column: int = SAMPLE_PER_COLUMN) -> list[dict]:
        """The rows holding each column's longest values (by characters), for the browser to size the columns
        to every row, not only the rows it has loaded."""
        if self.frame.empty:
            return []
        chosen: set[int] = set()
        for column in self.keys.columns:
            lengths = self.keys[column].map(lambda v: 0 if v is None or v != v else len(str(v)))
            chosen.update(int(i) for i in lengths.nlargest(per_column).index)
        return _records(self.frame.iloc[sorted(chosen)])


# ----------------------------------------------------------------------------------------------- CSV
def js_number(value: float) -> str:
    """A number as JavaScript's ``String(number)`` writes it (the browser's CSV of small tables does so).

    >>> [js_number(v) for v in (3.0, 2.5, 1e-7, 1.5e-05, 1e21, -0.25, 12)]
    ['3', '2.5', '1e-7', '0.000015', '1e+21', '-0.25', '12']
    """
    number = float(value)
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    text = repr(number)
    if "e" not in text:
        return text
    if 1e-6 <= abs(number) < 1e21:
        return format(Decimal(text), "f")
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{'-' if exponent.startswith('-') else '+'}{int(exponent.lstrip('+-'))}"


def _cell_text(value) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return js_number(value) if math.isfinite(float(value)) else ""
    text = str(value)
    if re.match(r"^[=+\-@\t\r]", text):
        try:
            float(text)
        except ValueError:
            return "'" + text  # a spreadsheet would read it as a formula (OWASP "CSV injection")
    return text


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if re.search(r'[",\r\n]', text) else text


def csv_text(frame: pd.DataFrame, headers: dict[str, str], markdown: Iterable[str] = ()) -> str:
    """*frame* as the browser's table CSV (``assets/exports.js``): display headers, exact values, Markdown
    link cells as their text, text that a spreadsheet would run as a formula prefixed with ``'``, CRLF."""
    markdown = set(markdown)
    columns = list(frame.columns)
    lines = [",".join(_quoted(_cell_text(headers.get(c, c))) for c in columns)]
    values = [frame[c].map(markdown_text).tolist() if c in markdown else frame[c].astype(object).tolist()
              for c in columns]
    for row in zip(*values, strict=True):
        lines.append(",".join(_quoted(_cell_text(None if v is not None and v != v else v)) for v in row))
    return "\r\n".join(lines) + "\r\n"
