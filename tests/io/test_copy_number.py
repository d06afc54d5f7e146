"""Copy-number arithmetic (analysis.copy_number): purity adjustment, weighted median, calls."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis import params
from analysis.copy_number import discrete_call, gene_level, purity_adjusted_cn, weighted_median


def test_purity_adjusted_cn_inverts_the_mixture():
    # 10% tumour with 20 copies among diploid normal DNA: observed 2 x 0.9 + 20 x 0.1 = 3.8.
    assert purity_adjusted_cn(3.8, 0.1) == pytest.approx(20.0)
    assert purity_adjusted_cn(2.0, 0.5) == pytest.approx(2.0)
    assert purity_adjusted_cn(5.0, 1.0) == pytest.approx(5.0)


def test_purity_adjusted_cn_not_evaluable_below_minimum():
    assert math.isnan(purity_adjusted_cn(3.0, params.MIN_TUMOUR_FRACTION / 2))
    assert not math.isnan(purity_adjusted_cn(3.0, params.MIN_TUMOUR_FRACTION))
    assert math.isnan(purity_adjusted_cn(3.0, float("nan")))
    series = purity_adjusted_cn(
        pd.Series([3.8, 3.8], index=["a", "b"]), pd.Series([0.1, 0.0], index=["a", "b"])
    )
    assert (
        series.index.tolist() == ["a", "b"]
        and series.iloc[0] == pytest.approx(20)
        and np.isnan(series.iloc[1])
    )


@given(st.floats(0.02, 1.0), st.floats(0.0, 50.0))
def test_purity_adjustment_round_trip(fraction, tumour_cn):
    observed = 2 * (1 - fraction) + tumour_cn * fraction
    assert purity_adjusted_cn(observed, fraction) == pytest.approx(tumour_cn, abs=1e-6)


@given(st.lists(st.floats(-5, 5), min_size=1, max_size=30))
def test_weighted_median_equal_weights_is_a_lower_median(values):
    array = np.array(values)
    result = weighted_median(array, np.ones_like(array))
    assert result == sorted(values)[(len(values) - 1) // 2]


def test_discrete_calls_cnvkit_thresholds():
    calls = discrete_call(pd.Series([-2.0, -0.5, 0.0, 0.3, 1.0, np.nan]))
    assert calls.tolist()[:5] == [-2, -1, 0, 1, 2] and pd.isna(calls.iloc[5])


def test_gene_level_ignores_non_genes_and_empty():
    bins = pd.DataFrame(
        {"gene": ["A", "A", "Antitarget", "-"], "log2": [0.0, 1.0, 5.0, 5.0], "weight": [1.0, 3.0, 1.0, 1.0]}
    )
    out = gene_level(bins)
    assert out["gene"].tolist() == ["A"] and out["log2_ratio"].iloc[0] == 1.0
    assert gene_level(bins.iloc[:0]).empty
