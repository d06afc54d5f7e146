"""The two answers a tumour board asks first, as plain sentences: the HER2 trajectory and the mechanism call.

Both are pure functions of one patient's analysis (:class:`analysis.patient.PatientAnalysis`); they
format numbers the analysis already computed and never recompute them another way:

* the HER2 trajectory uses the baseline draw and the nadir of :mod:`analysis.trajectory` and the rise
  and lead time of :func:`analysis.response.lead_times` (the Response page's lead-time table);
* the mechanism call uses the calls and evidence rows of :func:`analysis.resistance.call_mechanisms`
  (the patient page's evidence table and the Resistance page), with their status words
  (:data:`analysis.resistance.STATUSES`).

Copy numbers have 2 decimals and VAFs 3 significant digits, as in the tables
(:mod:`analysis.wording`).  When the trajectory cannot be described the sentence says why, and
:attr:`PatientAnswers.her2_reason` names the reason (:data:`REASONS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from analysis.params import AnalysisParameters
from analysis.patient import PatientAnalysis
from analysis.response import lead_times
from analysis.trajectory import CENSORED, NOT_FOLLOWED, PROGRESSED, STATUS_UNKNOWN
from analysis.tumour_fraction import tumour_fraction_exclusion
from analysis.wording import copies_text, day_text, pathway_name, vaf_text

#: Why the HER2 trajectory cannot be described (``PatientAnswers.her2_reason``).
REASON_NOT_FOUND = "patient not found"
REASON_NOT_FOLLOWED = "not followed"
REASON_NO_EVALUABLE_DRAWS = "no evaluable draws"
REASON_LOW_TUMOUR_FRACTION = "tumour fraction too low"
REASONS = (REASON_NOT_FOUND, REASON_NOT_FOLLOWED, REASON_NO_EVALUABLE_DRAWS, REASON_LOW_TUMOUR_FRACTION)

#: Copy-number evidence types whose alteration text carries its own "(CN x)" (the sentence gives the CN once).
_CN_SUFFIX = re.compile(r"\s*\(CN [^)]*\)\s*$")


@dataclass(frozen=True)
class PatientAnswers:
    """The two sentences of one patient.

    Attributes
    ----------
    her2_trajectory
        What plasma ERBB2 copy number did (baseline, nadir, rise and lead time before radiological
        progression), or why that cannot be said.
    mechanism
        The mechanism call: the number of mechanisms, each pathway with every supporting alteration,
        its status, VAF or copy number and day; or why none is called.
    her2_reason
        None when the trajectory is described, else one of :data:`REASONS`.
    n_mechanisms
        Number of mechanisms called (rows of ``resistance.calls``).
    """

    her2_trajectory: str
    mechanism: str
    her2_reason: str | None
    n_mechanisms: int

    @property
    def sentences(self) -> tuple[str, str]:
        return self.her2_trajectory, self.mechanism


def patient_answers(patient: PatientAnalysis, params: AnalysisParameters = AnalysisParameters()) -> PatientAnswers:
    """Both sentences of *patient* under *params* (the parameters its analysis was run with)."""
    text, reason = her2_trajectory_sentence(patient, params)
    return PatientAnswers(her2_trajectory=text, mechanism=mechanism_sentence(patient, params), her2_reason=reason,
                          n_mechanisms=len(patient.resistance.calls))


def her2_trajectory_sentence(patient: PatientAnalysis, params: AnalysisParameters = AnalysisParameters()
                             ) -> tuple[str, str | None]:
    """The HER2 trajectory sentence and None, or the reason it cannot be described and its code.

    Order of the reasons: patient not found; not followed on trastuzumab; no evaluable draws (no
    plasma ERBB2 copy number, no draw in the baseline window, or only the baseline draw); tumour
    fraction below ``params.min_tumour_fraction`` (or not estimated) in every draw, where plasma copy
    number says little about the tumour.
    """
    traj = patient.trajectories.patients
    if not patient.found or traj.empty:
        return f"Patient {patient.patient_id} is not in this study.", REASON_NOT_FOUND
    row = traj.iloc[0]
    follow_up = str(row["follow_up"])
    draws = patient.trajectories.draws.sort_values("draw_day", kind="stable")
    with_cn = draws[draws["erbb2_cn"].notna()]
    cannot = "The plasma HER2 trajectory cannot be described: "
    if follow_up == NOT_FOLLOWED:
        what = _draws_phrase(with_cn)
        return (cannot + "the patient was not followed on trastuzumab (no PFS status and no response "
                f"assessment after baseline){'; ' + what if what else ''}.", REASON_NOT_FOLLOWED)
    if with_cn.empty:
        return cannot + "no plasma draw has an ERBB2 copy number.", REASON_NO_EVALUABLE_DRAWS
    if pd.isna(row["baseline_day"]):
        low, high = params.baseline_window_days
        return (cannot + f"no plasma draw in the baseline window ({low:+d} to {high:+d} days of the first "
                "trastuzumab dose), so there is no baseline to compare with.", REASON_NO_EVALUABLE_DRAWS)
    on_study = with_cn[with_cn["draw_day"] >= row["baseline_day"]]
    if len(on_study) < 2:
        return (cannot + f"only the baseline draw (day {day_text(row['baseline_day'])}, ERBB2 "
                f"{copies_text(row['baseline_erbb2_cn'])} copies) has an ERBB2 copy number.",
                REASON_NO_EVALUABLE_DRAWS)
    evaluable = on_study["tumour_fraction_evaluable"].fillna(False).astype(bool)
    if not evaluable.any():
        fractions = on_study["tumour_fraction"].dropna()
        highest = f"; highest {vaf_text(fractions.max())}" if len(fractions) else ""
        return (cannot + f"the tumour fraction is below {_percent(params.min_tumour_fraction)} or not estimated "
                f"in all {len(on_study)} draws{highest}, so plasma ERBB2 copy number reflects mostly normal DNA.",
                REASON_LOW_TUMOUR_FRACTION)

    baseline_cn, baseline_day = float(row["baseline_erbb2_cn"]), float(row["baseline_day"])
    start = f"Plasma ERBB2 CN was {copies_text(baseline_cn)} copies at baseline (day {day_text(baseline_day)})"
    low_draws = int((~evaluable).sum())
    low_note = (f" Tumour fraction was below {_percent(params.min_tumour_fraction)} or not estimated in "
                f"{low_draws} of {len(on_study)} draws, whose copy number says little about the tumour."
                if low_draws else "")
    if follow_up == PROGRESSED:
        progression_day = float(row["progression_day"])
        lead = lead_times(patient.trajectories, params)
        lead = lead[lead["patient_id"] == patient.patient_id]
        progression = f"radiological progression on day {day_text(progression_day)}"
        if len(lead) and pd.notna(lead["rise_day"].iloc[0]):
            rise = lead.iloc[0]
            nadir_cn = float(rise["nadir_before_rise"])
            # The day of that nadir: the first draw before the rise with that copy number (the running nadir
            # of trajectory is a minimum over these draws, so one exists).
            before_rise = on_study[on_study["draw_day"] < rise["rise_day"]]
            at_nadir = before_rise.loc[before_rise["erbb2_cn"] == nadir_cn, "draw_day"]
            nadir_day = float(at_nadir.iloc[0]) if len(at_nadir) else float(before_rise["draw_day"].iloc[-1])
            fall = _fall(baseline_cn, baseline_day, nadir_cn, nadir_day)
            days = float(rise["lead_time_days"])
            when = (f"{day_text(days)} days before {progression}" if days > 0
                    else f"on the day of radiological progression (day {day_text(progression_day)})" if days == 0
                    else f"{day_text(-days)} days after {progression}")
            return (f"Plasma ERBB2 CN {fall}, then rose to {copies_text(rise['rise_erbb2_cn'])} copies on day "
                    f"{day_text(rise['rise_day'])}, {when}.{low_note}", None)
        fall = _fall(baseline_cn, baseline_day, row["nadir_erbb2_cn"], row["nadir_day"])
        at_progression = (f"{copies_text(row['progression_erbb2_cn'])} copies at the progression draw on day "
                          f"{day_text(row['progression_draw_day'])}" if pd.notna(row["progression_erbb2_cn"])
                          else "no plasma draw near progression")
        return (f"Plasma ERBB2 CN {fall} and did not rise before {progression} ({at_progression}).{low_note}", None)
    last = on_study.iloc[-1]
    fall = _fall(baseline_cn, baseline_day, row["nadir_erbb2_cn"], row["nadir_day"])
    status = {CENSORED: "no radiological progression recorded (censored)",
              STATUS_UNKNOWN: "progression status unknown"}.get(follow_up, follow_up)
    if pd.isna(row["nadir_erbb2_cn"]):
        return f"{start}; {status}.{low_note}", None
    return (f"Plasma ERBB2 CN {fall}; it was {copies_text(last['erbb2_cn'])} copies at the last draw on day "
            f"{day_text(last['draw_day'])}; {status}.{low_note}", None)


def _fall(baseline_cn: float, baseline_day: float, nadir_cn: float, nadir_day: float) -> str:
    """``fell from B to a nadir of N copies on day D``, or ``was B copies at baseline (day D) and did not fall
    below it``."""
    if nadir_day == baseline_day or nadir_cn >= baseline_cn:
        return (f"was {copies_text(baseline_cn)} copies at baseline (day {day_text(baseline_day)}) "
                "and did not fall below it")
    return (f"fell from {copies_text(baseline_cn)} to a nadir of {copies_text(nadir_cn)} copies "
            f"on day {day_text(nadir_day)}")


def _draws_phrase(with_cn: pd.DataFrame) -> str:
    if with_cn.empty:
        return ""
    if len(with_cn) == 1:
        draw = with_cn.iloc[0]
        return (f"one plasma draw (day {day_text(draw['draw_day'])}, ERBB2 {copies_text(draw['erbb2_cn'])} copies, "
                f"tumour fraction {_fraction(draw['tumour_fraction'])})")
    return f"{len(with_cn)} plasma draws"


def _percent(fraction: float) -> str:
    """A threshold fraction as a percentage without padding zeros (0.02 -> "2%")."""
    return f"{100 * fraction:g}%"


def _fraction(value: float) -> str:
    return "not estimated" if pd.isna(value) else vaf_text(value)


def mechanism_sentence(patient: PatientAnalysis, params: AnalysisParameters = AnalysisParameters()) -> str:
    """The mechanism call in one sentence.

    ``"2 mechanisms: PI3K pathway (PIK3CA H1047R: new at progression, VAF 4.12% on day 164); MAPK pathway
    (NF1 deletion: new at progression, CN 1.50 on day 164)."``  Each pathway lists every supporting
    alteration (evidence row with direction "resistance"), each draw's status, VAF (mutations, 3
    significant digits), copy number (2 decimals) or supporting reads (structural variants), and day.
    The status words are those of the evidence rows, so the call's status (their distinct values)
    appears in its parentheses.
    """
    calls = patient.resistance.calls
    evidence = patient.resistance.evidence
    support = evidence[evidence["evidence_direction"] == "resistance"] if len(evidence) else evidence
    if calls.empty or support.empty:
        return _no_call(patient, params)
    parts = []
    for call in calls.itertuples(index=False):
        rows = support[support["pathway"] == call.pathway].sort_values(["day", "gene"], kind="stable")
        labels = _labels(rows)
        alterations = []
        for label in dict.fromkeys(labels):
            mine = rows[labels == label]
            steps = [f"{status}, {measure} on day {day_text(day)}" if measure else f"{status} on day {day_text(day)}"
                     for status, measure, day in zip(mine["status"], _measures(mine), mine["day"], strict=True)]
            alterations.append(f"{label}: " + ", then ".join(steps))
        parts.append(f"{pathway_name(call.pathway)} ({'; '.join(alterations)})")
    n = len(calls)
    sentence = f"{n} mechanism{'s' if n != 1 else ''}: " + "; ".join(parts) + "."
    # A patient who did not progress has known resistance alterations, not a resistance: say so first.
    follow_up = _follow_up(patient)
    return sentence if follow_up == PROGRESSED else f"{_FOLLOW_UP_LEAD.get(follow_up, _NOT_FOLLOWED_LEAD)}; {sentence}"


_FOLLOW_UP_LEAD = {CENSORED: "No progression recorded (censored)", STATUS_UNKNOWN: "Progression status unknown"}
_NOT_FOLLOWED_LEAD = "Not followed on trastuzumab"


def _follow_up(patient: PatientAnalysis) -> str:
    traj = patient.trajectories.patients
    return str(traj["follow_up"].iloc[0]) if len(traj) else NOT_FOLLOWED


def _labels(rows: pd.DataFrame) -> pd.Series:
    """One label per alteration: ``GENE CHANGE`` (mutations, with a CHIP/germline mark), ``GENE
    amplification`` (copy number, its CN given per draw), the event text (HER2 loss, structural variants)."""
    alteration = rows["alteration"].astype(str)
    gene = rows["gene"].astype(str)
    kind = rows["alteration_type"].astype(str)
    is_cn = kind.isin(["amplification", "deletion", "cn_loss"])
    # HER2 loss ("ERBB2 CN 3.19 -> 2.17") and structural variants ("ZNF207-ERBB2 FUSION") name their genes.
    own_text = kind.isin(["her2_loss", "fusion"])
    label = (gene + " " + alteration.str.replace(_CN_SUFFIX, "", regex=True)).where(is_cn, gene + " " + alteration)
    label = label.where(~own_text, alteration)
    mutations = kind == "mutation"
    if mutations.any():
        note = tumour_fraction_exclusion(pd.DataFrame({"gene": rows["gene"], "vaf": rows["vaf"],
                                                       "protein_change": rows["alteration"]}, index=rows.index))
        mark = note.fillna("").astype(str).str.split(r" \(|:", regex=True).str[0]
        label = label.where(~mutations | (mark == ""), label + " [" + mark + "]")
    return label


def _measures(rows: pd.DataFrame) -> list[str]:
    """``VAF 4.12%``, ``CN 1.50``, ``12 supporting reads`` or ``""`` per evidence row."""
    out = []
    for kind, vaf, cn, reads in zip(rows["alteration_type"], rows["vaf"], rows["copy_number"],
                                    rows["supporting_reads"], strict=True):
        if kind == "mutation" and pd.notna(vaf):
            out.append(f"VAF {vaf_text(vaf)}")
        elif kind == "fusion":
            out.append(f"{int(reads)} supporting reads" if pd.notna(reads) else "")
        elif pd.notna(cn):
            out.append(f"CN {copies_text(cn)}")
        else:
            out.append("")
    return out


def _no_call(patient: PatientAnalysis, params: AnalysisParameters) -> str:
    """Why no mechanism is called: what was looked at, and the follow-up status."""
    traj = patient.trajectories.patients
    if traj.empty:
        return "No resistance mechanism can be called: the patient is not in this study."
    row = traj.iloc[0]
    has_baseline = pd.notna(row["baseline_sample_id"])
    has_progression = pd.notna(row["progression_sample_id"])
    follow_up = str(row["follow_up"])
    if follow_up == PROGRESSED:
        low, high = params.progression_window_days
        if has_baseline and has_progression:
            return "No known resistance mechanism found in the baseline or progression draw."
        if has_baseline:
            return ("No known resistance mechanism found in the baseline draw; no plasma draw within "
                    f"{low:+d} to {high:+d} days of progression.")
        if has_progression:
            return "No known resistance mechanism found in the progression draw; no baseline draw."
        return "No resistance mechanism can be called: no baseline draw and no plasma draw near progression."
    lead = _FOLLOW_UP_LEAD.get(follow_up, _NOT_FOLLOWED_LEAD)
    seen = "no known resistance alteration in the baseline draw" if has_baseline else "no baseline plasma draw"
    return f"{lead}; {seen}."


__all__ = ["PatientAnswers", "REASONS", "her2_trajectory_sentence", "mechanism_sentence",
           "patient_answers"]
