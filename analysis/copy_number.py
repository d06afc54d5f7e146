"""Copy-number arithmetic shared by the readers and the analyses (no pysam here).

Units: copy number in absolute copies (2 = diploid); log2 ratio = log2(CN / 2);
tumour fraction f in [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import params


def purity_adjusted_cn(
    cn_obs: float | np.ndarray | pd.Series,
    tumour_fraction: float | np.ndarray | pd.Series,
    min_tumour_fraction: float = params.MIN_TUMOUR_FRACTION,
):
    """Tumour copy number implied by an observed plasma copy number (design.md section 3).

    In plasma, a fraction f of the DNA comes from the tumour and 1 - f from
    diploid normal cells, so CN_obs = 2(1 - f) + CN_tumour x f, hence
    CN_tumour = (CN_obs - 2(1 - f)) / f.

    Parameters
    ----------
    cn_obs
        Observed absolute copy number (copies); scalar or array.
    tumour_fraction
        Tumour fraction f (fraction, 0..1); scalar or array broadcastable with *cn_obs*.
    min_tumour_fraction
        Below this f the sample is "not evaluable" and the result is NaN
        (default :data:`analysis.params.MIN_TUMOUR_FRACTION`).

    Returns
    -------
    float or ndarray or Series
        Purity-adjusted copies; NaN where f < *min_tumour_fraction*, f is
        missing, or f > 1.  A Series in gives a Series out (same index).

    >>> round(purity_adjusted_cn(3.8, 0.1), 6)
    20.0
    >>> import math; math.isnan(purity_adjusted_cn(3.8, 0.01))
    True
    """
    index = (
        cn_obs.index
        if isinstance(cn_obs, pd.Series)
        else (tumour_fraction.index if isinstance(tumour_fraction, pd.Series) else None)
    )
    cn = np.asarray(
        pd.to_numeric(cn_obs, errors="coerce") if isinstance(cn_obs, pd.Series) else cn_obs, dtype="float64"
    )
    f = np.asarray(
        pd.to_numeric(tumour_fraction, errors="coerce")
        if isinstance(tumour_fraction, pd.Series)
        else tumour_fraction,
        dtype="float64",
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        adjusted = (cn - 2.0 * (1.0 - f)) / f
        adjusted = np.where((f >= min_tumour_fraction) & (f <= 1.0), adjusted, np.nan)
    if index is not None:
        return pd.Series(adjusted, index=index, dtype="float64")
    return float(adjusted) if adjusted.ndim == 0 else adjusted


def log2_to_cn(log2_ratio):
    """Absolute copy number 2 x 2^log2 (copies) from a log2 ratio against diploid."""
    return 2.0 * np.power(2.0, log2_ratio)


def cn_to_log2(copy_number):
    """log2(CN / 2); CN <= 0 gives -inf (a homozygous deletion has no finite log2)."""
    with np.errstate(divide="ignore"):
        return np.log2(np.asarray(copy_number, dtype="float64") / 2.0)


def discrete_call(
    log2_ratio: pd.Series, thresholds: tuple[float, float, float, float] = params.CNA_LOG2_THRESHOLDS
) -> pd.Series:
    """cBioPortal discrete call (-2..2) from gene-level log2 ratios.

    Parameters
    ----------
    log2_ratio
        Gene-level log2 copy ratios.
    thresholds
        (deep deletion, loss, gain, amplification) log2 cut-offs; a value
        <= the first is -2, <= the second -1, >= the fourth 2, >= the third 1.

    Returns
    -------
    Series of Int64, missing where *log2_ratio* is missing.
    """
    values = pd.to_numeric(log2_ratio, errors="coerce").astype("float64")
    deep, loss, gain, amp = thresholds
    calls = np.select([values <= deep, values <= loss, values >= amp, values >= gain], [-2, -1, 2, 1], 0)
    return pd.Series(calls, index=values.index).astype("Int64").mask(values.isna())


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted median: the smallest value at which the cumulative weight reaches half the total.

    NaN values and non-positive weights are ignored; all ignored gives NaN.

    >>> weighted_median(np.array([1.0, 2.0, 10.0]), np.array([1.0, 1.0, 1.0]))
    2.0
    >>> weighted_median(np.array([1.0, 2.0, 10.0]), np.array([1.0, 1.0, 5.0]))
    10.0
    """
    values = np.asarray(values, dtype="float64")
    weights = np.asarray(weights, dtype="float64")
    keep = np.isfinite(values) & np.isfinite(weights) & (weights > 0)
    if not keep.any():
        return float("nan")
    values, weights = values[keep], weights[keep]
    order = np.argsort(values, kind="mergesort")
    values, weights = values[order], weights[order]
    cumulative = np.cumsum(weights)
    return float(values[np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def gene_level(bins: pd.DataFrame, *, value: str = "log2", weight: str | None = "weight") -> pd.DataFrame:
    """Summarise bin- or target-level log2 ratios to one value per gene (weighted median).

    Parameters
    ----------
    bins
        Columns ``gene`` and *value* (log2 ratio), optionally *weight*
        (missing column: equal weights).  Rows whose gene is missing, ``-``,
        ``Antitarget`` or ``Background`` are not genes and are left out.
    value, weight
        Column names.

    Returns
    -------
    DataFrame
        Columns ``gene``, ``log2_ratio``, ``copy_number`` (2 x 2^log2),
        ``n_bins``; one row per gene in first-seen order.
    """
    columns = {
        "gene": pd.Series(dtype="string"),
        "log2_ratio": pd.Series(dtype="float64"),
        "copy_number": pd.Series(dtype="float64"),
        "n_bins": pd.Series(dtype="int64"),
    }
    if bins.empty:
        return pd.DataFrame(columns)
    genes = bins["gene"].astype("string")
    keep = genes.notna() & ~genes.isin(["-", "", "Antitarget", "Background", "."])
    frame = bins.loc[keep].assign(gene=genes[keep])
    if frame.empty:
        return pd.DataFrame(columns)
    weights = frame[weight] if weight and weight in frame.columns else pd.Series(1.0, index=frame.index)
    frame = frame.assign(
        _w=pd.to_numeric(weights, errors="coerce").fillna(0.0),
        _v=pd.to_numeric(frame[value], errors="coerce"),
    )
    rows = [
        (gene, weighted_median(group["_v"].to_numpy(), group["_w"].to_numpy()), len(group))
        for gene, group in frame.groupby("gene", sort=False)
    ]
    out = pd.DataFrame(rows, columns=["gene", "log2_ratio", "n_bins"])
    out["copy_number"] = log2_to_cn(out["log2_ratio"])
    return out.astype({"gene": "string", "log2_ratio": "float64", "n_bins": "int64"})[list(columns)]
