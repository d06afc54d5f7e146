"""The landmarks of a patient's plasma HER2 trajectory that the patient figure marks: nadir, rise, progression.

They are the numbers the HER2 answer sentence states (:func:`analysis.answers.her2_trajectory_sentence`),
taken from the same computations, never recomputed another way:

* the rise that counts for lead time, its copy number and the lead time come from
  :func:`analysis.response.lead_times` (the Response page's lead-time table);
* the nadir before that rise is ``nadir_before_rise`` of that table, on the first draw before the
  rise with that copy number (the rule of the sentence); without a rise it is the trajectory's nadir
  (:mod:`analysis.trajectory`);
* the progression scan is the trajectory's ``progression_day``.

A nadir is marked only when copy number fell below the baseline draw (the sentence then says "fell
from ... to a nadir of ..."); nothing but the progression scan is marked when the sentence says why
the trajectory cannot be described (not followed, no evaluable draws, tumour fraction too low).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.answers import her2_trajectory_sentence
from analysis.params import AnalysisParameters
from analysis.patient import PatientAnalysis
from analysis.response import lead_times
from analysis.trajectory import PROGRESSED


@dataclass(frozen=True)
class Her2Marks:
    """Days (from the first trastuzumab dose) and copy numbers to mark; None when there is nothing to mark.

    Attributes
    ----------
    nadir_day, nadir_cn
        The lowest plasma ERBB2 CN after baseline (before the rise, when there is one).
    rise_day, rise_cn
        The first draw whose CN rose enough above the nadir to count for lead time.
    rise_threshold
        The CN that draw had to reach (nadir + max(0.5, 0.5 x (nadir - 2)) copies).
    lead_time_days
        Progression day minus rise day (negative: the rise came after progression).
    progression_day
        Radiological progression (the scan), for progressors.
    """

    nadir_day: float | None = None
    nadir_cn: float | None = None
    rise_day: float | None = None
    rise_cn: float | None = None
    rise_threshold: float | None = None
    lead_time_days: float | None = None
    progression_day: float | None = None


def her2_marks(patient: PatientAnalysis, params: AnalysisParameters = AnalysisParameters()) -> Her2Marks:
    """The nadir, the rise that counts for lead time and the progression scan of *patient*."""
    traj = patient.trajectories.patients
    if not patient.found or traj.empty:
        return Her2Marks()
    row = traj.iloc[0]
    progressed = str(row["follow_up"]) == PROGRESSED and pd.notna(row["progression_day"])
    progression_day = float(row["progression_day"]) if progressed else None
    _, reason = her2_trajectory_sentence(patient, params)
    if reason is not None:
        return Her2Marks(progression_day=progression_day)
    baseline_cn, baseline_day = float(row["baseline_erbb2_cn"]), float(row["baseline_day"])
    draws = patient.trajectories.draws.sort_values("draw_day", kind="stable")
    on_study = draws[draws["erbb2_cn"].notna() & (draws["draw_day"] >= baseline_day)]
    rise = None
    if progressed:
        lead = lead_times(patient.trajectories, params)
        lead = lead[lead["patient_id"] == patient.patient_id]
        if len(lead) and pd.notna(lead["rise_day"].iloc[0]):
            rise = lead.iloc[0]
    if rise is not None:
        nadir_cn = float(rise["nadir_before_rise"])
        before_rise = on_study[on_study["draw_day"] < rise["rise_day"]]
        at_nadir = before_rise.loc[before_rise["erbb2_cn"] == nadir_cn, "draw_day"]
        nadir_day = float(at_nadir.iloc[0]) if len(at_nadir) else float(before_rise["draw_day"].iloc[-1])
    else:
        nadir_cn, nadir_day = row["nadir_erbb2_cn"], row["nadir_day"]
    fell = pd.notna(nadir_cn) and pd.notna(nadir_day) and nadir_day != baseline_day and nadir_cn < baseline_cn
    return Her2Marks(
        nadir_day=float(nadir_day) if fell else None,
        nadir_cn=float(nadir_cn) if fell else None,
        rise_day=float(rise["rise_day"]) if rise is not None else None,
        rise_cn=float(rise["rise_erbb2_cn"]) if rise is not None else None,
        rise_threshold=float(rise["rise_threshold"]) if rise is not None else None,
        lead_time_days=float(rise["lead_time_days"]) if rise is not None else None,
        progression_day=progression_day,
    )


__all__ = ["Her2Marks", "her2_marks"]
