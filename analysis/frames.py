"""Typed result tables: every analysis returns its tables with declared columns and dtypes."""

from __future__ import annotations

import pandas as pd


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    """An empty table with these columns and dtypes.

    >>> empty_frame({"patient_id": "string", "n": "int64"}).dtypes.astype(str).tolist()
    ['string', 'int64']
    """
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def typed_frame(frame: pd.DataFrame | list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """*frame* (or a list of row dicts) with exactly *columns*, in order, each cast to its dtype.

    Missing columns are added; missing values of ``bool`` columns become False and of ``int64``
    columns 0 (counts); every other dtype keeps its missing values.  The index is reset.

    >>> typed_frame([{"n": 2}], {"n": "int64", "flag": "bool"}).values.tolist()
    [[2, False]]
    """
    if isinstance(frame, list):
        frame = pd.DataFrame(frame, columns=list(columns))
    if frame.empty:
        return empty_frame(columns)
    out = frame.reindex(columns=list(columns)).copy()
    for name, dtype in columns.items():
        if dtype == "bool":
            out[name] = out[name].astype("boolean").fillna(False).astype(bool)
        elif dtype == "int64":
            out[name] = out[name].fillna(0).astype("int64")
        else:
            out[name] = out[name].astype(dtype)
    return out.reset_index(drop=True)
