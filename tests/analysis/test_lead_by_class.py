"""Issue 9.7: lead time per resistance class (n, median, IQR) and the share of progressors whose HER2
CN rise preceded radiological progression, with a Wilson interval."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.agreement import wilson_interval
from analysis.response import analyse_response, lead_time_by_class
from analysis.trajectory import analyse_trajectories
from tests.analysis.test_trajectory import make_study


def test_lead_time_by_class_hand_built():
    # Acquired: rises 40, 41, 46 days before progression, one without a rise; innate: rises 0 and
    # 3 days after progression (-3); A9 progressed without a baseline draw (not in lead_times).
    patients = pd.DataFrame({
        "patient_id": ["A1", "A2", "A3", "A4", "I1", "I2", "A9", "N1"],
        "progressed": [True] * 7 + [False],
        "resistance_class": ["acquired"] * 4 + ["innate"] * 2 + ["acquired", "none"],
    })
    leads = pd.DataFrame({"patient_id": ["A1", "A2", "A3", "A4", "I1", "I2"],
                          "lead_time_days": [40.0, 41.0, 46.0, np.nan, 0.0, -3.0]})
    table = lead_time_by_class(leads, patients).set_index("resistance_class")
    acquired, innate, total = table.loc["acquired"], table.loc["innate"], table.loc["all"]
    assert (acquired["n_progressors"], acquired["n_evaluable"], acquired["n_with_rise"]) == (5, 4, 3)
    assert acquired["median_lead_days"] == 41.0
    assert (acquired["q1_lead_days"], acquired["q3_lead_days"]) == (40.5, 43.5)  # numpy linear percentiles
    assert acquired["n_rise_before"] == 3 and acquired["share_rise_before"] == pytest.approx(0.75)
    assert (acquired["ci_low"], acquired["ci_high"]) == pytest.approx(wilson_interval(3, 4))
    assert innate["median_lead_days"] == -1.5 and innate["n_rise_before"] == 0  # a same-day rise is not before
    assert innate["share_rise_before"] == 0.0 and innate["ci_low"] == 0.0
    assert (total["n_progressors"], total["n_evaluable"], total["n_rise_before"]) == (7, 6, 3)
    assert total["median_lead_days"] == 40.0


def test_lead_by_class_in_the_response_result():
    response = analyse_response(analyse_trajectories(make_study()))
    table = response.lead_by_class.set_index("resistance_class")
    # P2 (innate): rise on day 42, progression day 49 -> 7 days; P1 (acquired): CN only falls.
    assert table.loc["innate", "median_lead_days"] == 7 and table.loc["innate", "n_rise_before"] == 1
    assert table.loc["acquired", "n_with_rise"] == 0 and math.isnan(table.loc["acquired", "median_lead_days"])
    summary = dict(zip(response.summary["measure"], response.summary["value"], strict=True))
    assert summary["median lead time, innate (days)"] == 7
    assert summary["progressors with the rise before progression"] == 1
    assert summary["% progressors with the rise before progression"] == pytest.approx(50.0)


def test_empty_lead_table_is_typed():
    table = lead_time_by_class(pd.DataFrame({"patient_id": [], "lead_time_days": []}),
                               pd.DataFrame({"patient_id": [], "progressed": [], "resistance_class": []}))
    assert list(table["resistance_class"]) == ["innate", "acquired", "all"]
    assert (table["n_evaluable"] == 0).all() and table["share_rise_before"].isna().all()
