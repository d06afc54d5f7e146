"""Response tracking: pairing, % changes, Spearman CI, AUC/DeLong, lead time, HER2 at progression."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.response import analyse_response, her2_at_progression, spearman_with_ci
from analysis.study import Study
from analysis.trajectory import analyse_trajectories
from tests.analysis.test_trajectory import make_study


@pytest.fixture(scope="module")
def trajectories():
    return analyse_trajectories(make_study())


@pytest.fixture(scope="module")
def result(trajectories):
    return analyse_response(trajectories)


def test_pairing_within_window(result):
    pairs = result.pairs.set_index(["patient_id", "imaging_day"])
    assert pairs.loc[("P1", 56.0), "sample_id"] == "P1-42"  # 14 days apart: inside +/-14
    assert pd.isna(pairs.loc[("P1", 112.0), "sample_id"])  # nearest draw 28 days away
    assert pairs.loc[("P1", 175.0), "sample_id"] == "P1-P"
    assert pairs.loc[("P2", 49.0), "sample_id"] == "P2-42"
    assert pd.isna(pairs.loc[("P3", 60.0), "sample_id"])
    assert len(result.pairs) == 5


def test_percent_changes(result):
    pairs = result.pairs.set_index(["patient_id", "imaging_day"])
    assert pairs.loc[("P1", 56.0), "erbb2_cn_pct_change"] == pytest.approx(-50.0)  # 6 -> 3
    assert pairs.loc[("P1", 56.0), "erbb2_excess_pct_change"] == pytest.approx(-75.0)  # 4 -> 1 excess copies
    assert pairs.loc[("P1", 56.0), "cea_pct_change"] == pytest.approx(-25.0)  # 8 -> 6 ng/mL
    assert pairs.loc[("P2", 49.0), "cea_pct_change"] == pytest.approx(100.0)  # averaged 15 -> 30
    assert pairs.loc[("P1", 175.0), "tumour_pct_change"] == pytest.approx(-30.0)
    assert bool(pairs.loc[("P1", 175.0), "progression"]) and not bool(pairs.loc[("P1", 56.0), "progression"])


def test_auc_matches_naive_mann_whitney(result):
    pairs = result.pairs.dropna(subset=["cea_pct_change"])
    pos = pairs.loc[pairs["progression"].astype(bool), "cea_pct_change"].to_numpy()
    neg = pairs.loc[~pairs["progression"].astype(bool), "cea_pct_change"].to_numpy()
    naive = np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg])
    assert result.auc.set_index("measure").loc["cea", "auc"] == pytest.approx(naive)
    assert result.delong.name_a == "HER2 CN" and result.delong.name_b == "CEA"


def test_lead_time(result):
    leads = result.lead_times.set_index("patient_id")
    # P2: nadir 4.0 (baseline), threshold 4 + max(0.5, 0.5 x 2) = 5.0, reached on day 42; progression day 49
    assert leads.loc["P2", "rise_day"] == 42 and leads.loc["P2", "rise_threshold"] == pytest.approx(5.0)
    assert leads.loc["P2", "lead_time_days"] == 7
    assert pd.isna(leads.loc["P1", "rise_day"])  # CN only falls


def test_her2_at_progression_directions(result):
    per = result.her2_at_progression.set_index("patient_id")
    assert per.loc["P1", "direction"] == "lower" and per.loc["P2", "direction"] == "higher"
    by = result.her2_by_class.set_index("resistance_class")
    assert by.loc["innate", "n_higher"] == 1 and by.loc["acquired", "n_lower"] == 1
    assert math.isnan(by.loc["innate", "p_value"])  # n = 1: no test, with a caveat
    assert any("Wilcoxon test not computed" in c for c in result.caveats)


def test_wilcoxon_exact_value(trajectories):
    # Five innate patients all higher at progression: exact two-sided p = 2 / 2^5 = 0.0625.
    patients = pd.DataFrame(
        {
            "patient_id": [f"I{i}" for i in range(5)],
            "resistance_class": ["innate"] * 5,
            "progressed": [True] * 5,
            "baseline_erbb2_cn": [3.0, 4.0, 5.0, 6.0, 7.0],
            "progression_erbb2_cn": [3.5, 4.7, 5.2, 7.9, 7.3],
        }
    )
    fake = dataclasses.replace(trajectories, patients=patients)
    _, by_class, _ = her2_at_progression(fake)
    row = by_class.set_index("resistance_class").loc["innate"]
    assert row["n_higher"] == 5 and row["p_value"] == pytest.approx(0.0625)
    expected = stats.wilcoxon(patients["progression_erbb2_cn"], patients["baseline_erbb2_cn"]).pvalue
    assert row["p_value"] == pytest.approx(expected)


def test_spearman_ci_against_formula():
    rng = np.random.default_rng(1)
    x = rng.normal(size=30)
    y = x + rng.normal(size=30)
    out = spearman_with_ci(x, y)
    rho = stats.spearmanr(x, y).statistic
    half = 1.959963984540054 * math.sqrt(1.06 / 27)
    assert out["rho"] == pytest.approx(rho)
    assert out["ci_low"] == pytest.approx(math.tanh(math.atanh(rho) - half))
    assert out["ci_high"] == pytest.approx(math.tanh(math.atanh(rho) + half))


def test_spearman_small_n_is_nan():
    assert math.isnan(spearman_with_ci([1, 2], [2, 1])["rho"])
    three = spearman_with_ci([1, 2, 3], [1, 3, 2])
    assert not math.isnan(three["rho"]) and math.isnan(three["ci_low"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-100, 100), st.floats(-100, 100)), min_size=4, max_size=40))
def test_spearman_ci_brackets_rho(pairs):
    x, y = zip(*pairs, strict=False)
    out = spearman_with_ci(np.array(x), np.array(y))
    if not math.isnan(out["rho"]):
        assert -1.0 <= out["ci_low"] <= out["rho"] + 1e-12 <= out["ci_high"] + 2e-12 <= 1.0 + 2e-12


def test_excess_scale_and_bad_scale(trajectories):
    excess = analyse_response(trajectories, cn_scale="excess")
    assert excess.auc.set_index("measure").loc["her2_cn", "n_pos"] == 2
    with pytest.raises(ValueError, match="cn_scale"):
        analyse_response(trajectories, cn_scale="log")


def test_empty_study():
    res = analyse_response(analyse_trajectories(Study.from_tables()))
    assert res.pairs.empty and res.lead_times.empty and res.her2_at_progression.empty
    assert math.isnan(res.auc["auc"].iloc[0]) and math.isnan(res.delong.p_value)
    assert res.caveats
