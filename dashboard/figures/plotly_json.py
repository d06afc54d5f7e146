"""Plotly JSON written directly, for figures built as plain dicts (no graph_objects: they cost more to build
than the figure's own logic).  The arrays are written as graph_objects' ``to_dict`` writes them, so that a
dict figure is the same JSON as the graph_objects figure it replaces."""

from __future__ import annotations

import base64

import numpy as np

#: numpy dtype -> plotly.js typed-array dtype (plotly's ``plotlyjsShortTypes``).
_TYPED_ARRAYS = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
                 "float32": "f4", "float64": "f8"}


def typed_array(values) -> dict | list:
    """A numeric column as a plotly.js typed array (``{"dtype": "f8", "bdata": <base64>}``), exactly as
    graph_objects' ``to_dict`` writes it (``_plotly_utils.utils.to_typed_array_spec``: 64-bit integers in
    the narrowest type that holds them); other values, and empty columns, as a list."""
    array = np.asarray(values)
    if not array.size:
        return array.tolist()
    if array.dtype in (np.int64, np.uint64):
        low, high = array.min(), array.max()
        narrower = ("int8", "int16", "int32") if array.dtype == np.int64 else ("uint8", "uint16", "uint32")
        fits = [name for name in narrower if np.iinfo(name).min <= low and high <= np.iinfo(name).max]
        if not fits:
            return array.tolist()
        array = array.astype(fits[0])
    short = _TYPED_ARRAYS.get(str(array.dtype))
    if short is None:
        return array.tolist()
    return {"dtype": short, "bdata": base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")}
