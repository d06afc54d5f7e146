"""The whole-cohort analysis: the single entry point the dashboard's cache calls.

``analyse_cohort(study, params)`` runs, in order: tumour fraction (once, shared), trajectories,
response tracking, plasma-tissue concordance, resistance mechanisms, oncoprint data, and
Kaplan-Meier/log-rank/Cox for the default PFS groupings.  It is pure: the same study and
parameters give the same result, so the dashboard can cache it on (study hash, analysis
version, parameters).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from analysis import ANALYSIS_VERSION
from analysis.concordance import ConcordanceResult, concordance_analysis
from analysis.oncoprint import OncoprintData, build_oncoprint
from analysis.params import AnalysisParameters
from analysis.pfs_groups import PfsGrouping, default_groupings
from analysis.resistance import KnowledgeBase, ResistanceResult, call_mechanisms, load_knowledge_base
from analysis.response import ResponseResult, analyse_response
from analysis.study import Study
from analysis.survival import SurvivalResult, kaplan_meier
from analysis.trajectory import TrajectoryResult, analyse_trajectories
from analysis.tumour_fraction import tumour_fraction, tumour_fraction_notes


@dataclass(frozen=True)
class CohortAnalysis:
    """All cohort-level results of one study under one set of parameters.

    Attributes
    ----------
    params
        The parameters in force.
    analysis_version
        :data:`analysis.ANALYSIS_VERSION`.
    tumour_fractions
        :func:`analysis.tumour_fraction.tumour_fraction` of every sample.
    trajectories, response, concordance, resistance, oncoprint
        The results of each analysis.
    groupings
        Default PFS groupings by name (a plain dict, so that the result pickles into the disk cache).
    survival
        Kaplan-Meier results of those groupings, by the same names (a plain dict, so that the
        result pickles into the disk cache).
    timings
        Seconds spent per step (``step, seconds``).
    summary
        Headline numbers (``section, measure, value``).
    caveats
        Every caveat, prefixed with its section.
    """

    params: AnalysisParameters
    analysis_version: str
    tumour_fractions: pd.DataFrame
    trajectories: TrajectoryResult
    response: ResponseResult
    concordance: ConcordanceResult
    resistance: ResistanceResult
    oncoprint: OncoprintData
    groupings: dict = field(default_factory=dict)
    survival: dict = field(default_factory=dict)
    timings: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    caveats: tuple[str, ...] = ()


def survival_for(grouping: PfsGrouping, at_times: list[float] | None = None, *, endpoint: str = "pfs",
                 patients: pd.DataFrame | None = None) -> SurvivalResult:
    """Kaplan-Meier, log-rank and Cox of one patient grouping (:func:`analysis.survival.kaplan_meier`).

    Parameters
    ----------
    grouping
        A :class:`analysis.pfs_groups.PfsGrouping`; its ``group_order`` sets the order and the Cox
        reference (the first group with an event).
    at_times
        Times (months) of the risk table; default round steps.
    endpoint
        ``"pfs"`` (the grouping's own ``pfs_months``/``pfs_event``) or ``"os"`` (overall survival:
        ``os_months``/``os_event`` of *patients*, joined on ``patient_id``; patients without OS are
        left out and counted in a caveat).
    patients
        The study's patients table; required for ``endpoint="os"``.

    Raises
    ------
    ValueError
        An unknown endpoint, or ``"os"`` without *patients*.
    """
    table = grouping.table
    if endpoint == "pfs":
        durations, events = table["pfs_months"], table["pfs_event"]
        dropped = 0
    elif endpoint == "os":
        if patients is None:
            raise ValueError("overall survival needs the patients table")
        table = table.merge(patients[["patient_id", "os_months", "os_event"]], on="patient_id", how="left")
        known = table["os_months"].notna() & table["os_event"].notna()
        dropped = int((~known).sum())
        table = table[known]
        durations, events = table["os_months"], table["os_event"]
    else:
        raise ValueError(f"unknown endpoint {endpoint!r}; expected 'pfs' or 'os'")
    result = kaplan_meier(
        durations.to_numpy(float),
        events.astype(bool).to_numpy(),
        table["group"].astype(str).to_numpy(),
        at_times=at_times,
        group_order=list(grouping.group_order) or None,
    )
    if dropped:
        result = replace(result, caveats=(*result.caveats,
                                          f"{dropped} patient(s) of this grouping have no overall-survival "
                                          "time or status and are left out."))
    return result


def analyse_cohort(
    study: Study,
    params: AnalysisParameters = AnalysisParameters(),
    knowledge_base: KnowledgeBase | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> CohortAnalysis:
    """Run every cohort analysis of design.md section 3 on *study*.

    Parameters
    ----------
    study
        The study.
    params
        Thresholds and windows in force; ``params.knowledge_base`` names the knowledge-base file
        (``"default"`` = ``data/resistance_kb.tsv``) unless *knowledge_base* is given.
    knowledge_base
        An already loaded knowledge base (overrides ``params.knowledge_base``).
    progress
        Called as ``progress(step_done, n_steps, step_name)`` before each step (for progress bars).

    Returns
    -------
    :class:`CohortAnalysis`.  An empty study gives empty results with caveats.

    Raises
    ------
    InputError
        The knowledge-base file named in *params* is missing or invalid.
    """
    timings: list[tuple[str, float]] = []
    n_steps = 9

    def timed(step: str, func, *args, **kwargs) -> Any:
        if progress is not None:
            progress(min(len(timings), n_steps - 1), n_steps, step)
        start = time.perf_counter()
        out = func(*args, **kwargs)
        timings.append((step, time.perf_counter() - start))
        return out

    kb = knowledge_base or timed("knowledge base", load_knowledge_base, params.knowledge_base)
    fractions = timed(
        "tumour fraction",
        tumour_fraction,
        study.variants,
        study.samples["sample_id"],
        min_tumour_fraction=params.min_tumour_fraction,
    )
    trajectories = timed("trajectories", analyse_trajectories, study, params, tumour_fractions=fractions)
    response = timed("response", analyse_response, trajectories, params)
    concordance = timed("concordance", concordance_analysis, study, params)
    resistance = timed("resistance", call_mechanisms, study, trajectories, params, knowledge_base=kb)
    oncoprint = timed("oncoprint", build_oncoprint, study, trajectories, resistance, params)
    groupings = timed("pfs groupings", default_groupings, study, trajectories, resistance, params)
    survival = {}
    for name, grouping in groupings.items():
        survival[name] = timed(f"survival {name}", survival_for, grouping)

    caveats: list[str] = []
    sections = [
        ("tumour fraction", tuple(tumour_fraction_notes(fractions))),
        ("trajectories", trajectories.caveats),
        ("response", response.caveats),
        ("concordance", concordance.caveats),
        ("resistance", resistance.caveats),
        ("oncoprint", oncoprint.caveats),
    ]
    sections += [(f"PFS by {g.title}", g.caveats) for g in groupings.values()]
    sections += [(f"PFS by {groupings[n].title}", s.caveats) for n, s in survival.items()]
    for section, items in sections:
        caveats.extend(f"{section}: {c}" for c in items)
    summary = pd.concat(
        [
            trajectories.summary.assign(section="trajectories"),
            response.summary.assign(section="response"),
            resistance.summary.assign(section="resistance"),
        ],
        ignore_index=True,
    )[["section", "measure", "value"]]
    return CohortAnalysis(
        params=params,
        analysis_version=ANALYSIS_VERSION,
        tumour_fractions=fractions,
        trajectories=trajectories,
        response=response,
        concordance=concordance,
        resistance=resistance,
        oncoprint=oncoprint,
        groupings=dict(groupings),
        survival=dict(survival),
        timings=pd.DataFrame(timings, columns=["step", "seconds"]),
        summary=summary,
        caveats=tuple(caveats),
    )
