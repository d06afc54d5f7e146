"""Each patient's rows in a whole-cohort analysis result, found without scanning the cohort's tables.

:func:`analysis.patient.patient_from_cohort` takes one patient's rows of the cohort result's tables
(trajectories, resistance calls, tumour fractions).  Comparing a patient id with every row of tables of
tens of thousands of rows cost most of a patient's analysis at 10,000 patients; here the row positions
of every key are grouped once per table (the dashboard keeps the cohort result in memory, so later
patients find their rows at once) and a patient's rows are a ``take`` of its positions, in the table's
own order: the same rows as the comparison gives.

>>> import pandas as pd
>>> frame = pd.DataFrame({"patient_id": ["P2", "P1", "P2", None], "x": [1, 2, 3, 4]})
>>> rows = CohortRows()
>>> rows.of(frame, "patient_id", "P2")["x"].tolist()
[1, 3]
>>> rows.of(frame, "patient_id", "P9").empty
True
>>> rows.of_any(frame, "patient_id", ["P1", "P2"])["x"].tolist()
[1, 2, 3]
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable

import numpy as np
import pandas as pd


class CohortRows:
    """Row positions by key value, per table, built on first use (rows with a missing key have no key)."""

    def __init__(self) -> None:
        self._positions: dict[tuple[int, str], dict[object, np.ndarray]] = {}
        self._lock = threading.Lock()

    def _by_key(self, frame: pd.DataFrame, column: str) -> dict[object, np.ndarray]:
        name = (id(frame), column)
        found = self._positions.get(name)
        if found is None:
            found = frame.groupby(frame[column].astype(object), sort=False, dropna=True).indices if len(frame) else {}
            with self._lock:
                self._positions[name] = found
        return found

    def of(self, frame: pd.DataFrame, column: str, key: str) -> pd.DataFrame:
        """The rows of *frame* whose *column* equals *key*, in *frame*'s order, index reset."""
        positions = self._by_key(frame, column).get(key)
        return frame.iloc[positions if positions is not None else []].reset_index(drop=True)

    def of_any(self, frame: pd.DataFrame, column: str, keys: Iterable[str]) -> pd.DataFrame:
        """The rows of *frame* whose *column* is one of *keys*, in *frame*'s order, index reset."""
        by_key = self._by_key(frame, column)
        parts = [by_key[k] for k in set(keys) if k in by_key]
        return frame.iloc[np.sort(np.concatenate(parts)) if parts else []].reset_index(drop=True)


_BY_RESULT: dict[int, CohortRows] = {}
_LOCK = threading.Lock()


def rows_of(result: object) -> CohortRows:
    """The :class:`CohortRows` of one cohort result object (kept as long as the result lives: the tables it
    indexes are the result's own, so their identities stay valid)."""
    key = id(result)
    with _LOCK:
        found = _BY_RESULT.get(key)
        if found is None:
            found = _BY_RESULT[key] = CohortRows()
            weakref.finalize(result, _BY_RESULT.pop, key, None)
    return found
