"""Cohort page view models: one row per patient, filters kept in the URL, counts, swimmer-plot rows.

Pure functions of analysis results (:class:`analysis.trajectory.TrajectoryResult`,
:class:`analysis.resistance.ResistanceResult`) and the study's TREATMENT events; no Dash here,
so the page's logic is tested directly.

Definitions used on the page:

- *followed*: more than one plasma draw (serial monitoring), as on the Overview page.
- *follow-up end* (``end_day``, days from the first trastuzumab dose): the progression day for
  progressors; otherwise the PFS censoring time (``pfs_months`` x 30.4375), or failing that the
  last recorded draw, scan or treatment day.
- *with a mechanism*: a progressor with at least one resistance pathway called (design.md
  section 3); its percentage is over progressors, as in Wang et al. (13/17, 76.5%).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from analysis import caveats as C
from analysis.frames import typed_frame
from analysis.params import DAYS_PER_MONTH
from analysis.resistance import PATHWAYS
from analysis.trajectory import ACQUIRED, INNATE, NO_PROGRESSION, NOT_FOLLOWED, UNKNOWN_CLASS
from analysis.wording import pathway_name
from dashboard.figures.plotly_text import unescape
from dashboard.views.markdown_text import markdown_link

#: Largest number of patients drawn in the swimmer plot; more would be unreadable (and slow).
SWIMMER_MAX_PATIENTS = 150

#: Treatment lanes drawn under each patient's bar (overlapping regimens go to separate lanes).
TREATMENT_LANES = 3

NOT_RECORDED = "not recorded"
HER2_CHOICES = ("all", "POSITIVE", "NEGATIVE", NOT_RECORDED)
CLASS_CHOICES = ("all", "progressed", INNATE, ACQUIRED, NO_PROGRESSION, UNKNOWN_CLASS)
#: Pathway filter: every patient, patients with any mechanism, with none, or one pathway.
PATHWAY_ANY, PATHWAY_NONE = "any", "none"
UNITS = ("months", "days")

PATIENT_ROW_COLUMNS = {
    "patient_id": "string",
    "her2_status": "string",
    "resistance_class": "string",
    "followed": "bool",
    "n_draws": "int64",
    "progressed": "bool",
    "follow_up": "string",
    "pfs_months": "float64",
    "pfs_event": "boolean",
    "progression_day": "float64",
    "end_day": "float64",
    "end_reason": "string",
    "n_mechanisms": "int64",
    "pathways": "string",
    "mechanisms": "string",
}


# --------------------------------------------------------------------------- patient rows



def _last_event_day(trajectories, treatments: pd.DataFrame) -> pd.Series:
    """Last recorded day per patient over draws, scans and treatment stops (days)."""
    parts = [
        trajectories.draws[["patient_id", "draw_day"]].rename(columns={"draw_day": "day"}),
        trajectories.imaging[["patient_id", "day"]],
    ]
    if len(treatments):
        stops = treatments["stop_day"].fillna(treatments["start_day"])
        parts.append(pd.DataFrame({"patient_id": treatments["patient_id"], "day": stops}))
    days = pd.concat([part for part in parts if len(part)] or parts[:1], ignore_index=True)
    days = days.dropna(subset=["day"])
    return days.groupby(days["patient_id"].astype(str))["day"].max()


def patient_rows(trajectories, resistance, treatments: pd.DataFrame) -> pd.DataFrame:
    """One row per patient: what the cohort page filters, counts, draws and lists.

    Parameters
    ----------
    trajectories
        :class:`analysis.trajectory.TrajectoryResult` (``patients``, ``draws``, ``imaging``).
    resistance
        :class:`analysis.resistance.ResistanceResult` (``patients``, ``calls``).
    treatments
        The study's TREATMENT timeline events (``patient_id, start_day, stop_day, agent``; days).

    Returns
    -------
    DataFrame with the columns of :data:`PATIENT_ROW_COLUMNS`: ``her2_status`` (POSITIVE /
    NEGATIVE / not recorded), ``resistance_class`` (innate / acquired / none), ``followed``
    (more than one plasma draw), ``pfs_months``, ``end_day`` (follow-up end, days),
    ``end_reason`` (progression / last follow-up / no follow-up), ``n_mechanisms``,
    ``pathways`` (``;``-joined) and ``mechanisms`` (``PATHWAY: genes; ...``), in study order.
    """
    patients = trajectories.patients
    if not len(patients):
        return typed_frame(pd.DataFrame(), PATIENT_ROW_COLUMNS)
    rows = patients[["patient_id", "her2_status", "resistance_class", "n_draws", "progressed", "follow_up",
                     "pfs_months", "pfs_event", "progression_day"]].copy()
    rows["patient_id"] = rows["patient_id"].astype(str)
    rows["her2_status"] = rows["her2_status"].astype("string").str.upper().fillna(NOT_RECORDED)
    rows["resistance_class"] = rows["resistance_class"].fillna(UNKNOWN_CLASS)
    rows["follow_up"] = rows["follow_up"].fillna(NOT_FOLLOWED)
    rows["followed"] = rows["n_draws"] > 1

    censor_day = rows["pfs_months"] * DAYS_PER_MONTH
    last_day = rows["patient_id"].map(_last_event_day(trajectories, treatments)).clip(lower=0)
    progression_day = rows["progression_day"].where(rows["progressed"])
    end_day = progression_day.fillna(censor_day).fillna(last_day).fillna(0.0)
    rows["end_day"] = end_day
    rows["end_reason"] = np.where(progression_day.notna() | rows["progressed"], "progression",
                                  np.where(end_day > 0, "last follow-up", "no follow-up"))

    mech = resistance.patients[["patient_id", "n_mechanisms", "pathways"]].copy()
    mech["patient_id"] = mech["patient_id"].astype(str)
    rows = rows.merge(mech, on="patient_id", how="left")
    calls = resistance.calls
    if len(calls):
        text = calls["pathway"].map(pathway_name) + ": " + calls["genes"].fillna("").astype(str)
        joined = (text + "; ").groupby(calls["patient_id"].astype(str), sort=False).sum().str[:-2]
        rows["mechanisms"] = rows["patient_id"].map(joined)
    rows["mechanisms"] = rows.get("mechanisms", pd.Series(index=rows.index, dtype="string")).fillna("")
    rows["pathways"] = rows["pathways"].fillna("")
    return typed_frame(rows, PATIENT_ROW_COLUMNS)


def cohort_caveats(trajectories, resistance) -> list[str]:
    """Caveats of the numbers the Cohort page shows: follow-up and progression (censored patients with a
    progression event, unknown follow-up), patients without a baseline draw, draws not evaluable, and
    progressors without the draws mechanism calls need."""
    return (trajectories.caveats_about(C.FOLLOW_UP, C.BASELINE, C.DRAWS)
            + resistance.caveats_about(C.MECHANISMS))


# --------------------------------------------------------------------------- filters (page state in the URL)

@dataclass(frozen=True)
class CohortFilters:
    """The cohort page's filters and display unit, as kept in the URL.

    ``her2`` is one of :data:`HER2_CHOICES`, ``resistance_class`` one of :data:`CLASS_CHOICES`,
    ``pathway`` is ``all``, ``any``, ``none`` or a pathway id, ``unit`` is months or days.
    """

    her2: str = "all"
    resistance_class: str = "all"
    pathway: str = "all"
    followed_only: bool = True
    unit: str = "months"


DEFAULT_FILTERS = CohortFilters()

#: URL key -> CohortFilters field.
FILTER_KEYS = {"her2": "her2", "class": "resistance_class", "pathway": "pathway", "followed": "followed_only",
               "unit": "unit"}


def filters_from_query(query: dict | None) -> tuple[CohortFilters, tuple[str, ...]]:
    """Filters from URL query arguments; unreadable values fall back to the default and are reported.

    >>> filters_from_query({"her2": "positive", "followed": "0"})[0]
    CohortFilters(her2='POSITIVE', resistance_class='all', pathway='all', followed_only=False, unit='months')
    >>> filters_from_query({"class": "sometimes"})[1]
    ("URL parameter class='sometimes' is not one of all, progressed, innate, acquired, none; all is used.",)
    """
    query = query or {}
    changes: dict = {}
    problems: list[str] = []

    def bad(key: str, raw, allowed) -> None:
        default = getattr(DEFAULT_FILTERS, FILTER_KEYS[key])
        problems.append(f"URL parameter {key}={raw!r} is not one of {', '.join(map(str, allowed))}; "
                        f"{default} is used.")

    raw = query.get("her2")
    if raw not in (None, ""):
        value = str(raw).strip()
        value = NOT_RECORDED if value.lower() == NOT_RECORDED else (
            value.lower() if value.lower() == "all" else value.upper())
        if value in HER2_CHOICES:
            changes["her2"] = value
        else:
            bad("her2", raw, HER2_CHOICES)
    raw = query.get("class")
    if raw not in (None, ""):
        if str(raw).lower() in CLASS_CHOICES:
            changes["resistance_class"] = str(raw).lower()
        else:
            bad("class", raw, CLASS_CHOICES)
    raw = query.get("pathway")
    if raw not in (None, ""):
        value = str(raw).strip()
        value = value.lower() if value.lower() in ("all", PATHWAY_ANY, PATHWAY_NONE) else value.upper()
        if value in ("all", PATHWAY_ANY, PATHWAY_NONE) or value.replace("_", "").isalnum():
            changes["pathway"] = value
        else:
            bad("pathway", raw, ("all", PATHWAY_ANY, PATHWAY_NONE, *PATHWAYS))
    raw = query.get("followed")
    if raw not in (None, ""):
        if str(raw).lower() in ("1", "true", "yes", "on"):
            changes["followed_only"] = True
        elif str(raw).lower() in ("0", "false", "no", "off"):
            changes["followed_only"] = False
        else:
            bad("followed", raw, ("1", "0"))
    raw = query.get("unit")
    if raw not in (None, ""):
        if str(raw).lower() in UNITS:
            changes["unit"] = str(raw).lower()
        else:
            bad("unit", raw, UNITS)
    return replace(DEFAULT_FILTERS, **changes), tuple(problems)


def filters_to_query(filters: CohortFilters) -> dict[str, str]:
    """URL query arguments of the filters that differ from the defaults.

    >>> filters_to_query(CohortFilters(her2="POSITIVE", followed_only=False))
    {'her2': 'POSITIVE', 'followed': '0'}
    """
    query = {}
    for key, field in FILTER_KEYS.items():
        value = getattr(filters, field)
        if value != getattr(DEFAULT_FILTERS, field):
            query[key] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return query


def filters_from_controls(her2, resistance_class, pathway, followed, unit) -> CohortFilters:
    """Filters from the page's control values (a missing value means the default)."""
    return CohortFilters(
        her2=her2 or DEFAULT_FILTERS.her2,
        resistance_class=resistance_class or DEFAULT_FILTERS.resistance_class,
        pathway=pathway or DEFAULT_FILTERS.pathway,
        followed_only=bool(followed),
        unit=unit or DEFAULT_FILTERS.unit,
    )


def filter_patients(rows: pd.DataFrame, filters: CohortFilters) -> pd.DataFrame:
    """The rows of :func:`patient_rows` that pass *filters* (order kept).

    ``resistance_class == "progressed"`` keeps innate and acquired; ``pathway == "any"`` keeps
    patients with at least one mechanism, ``"none"`` those with none, a pathway id those whose
    mechanisms include it.
    """
    keep = pd.Series(True, index=rows.index)
    if filters.her2 != "all":
        keep &= rows["her2_status"] == filters.her2
    if filters.resistance_class == "progressed":
        keep &= rows["resistance_class"].isin([INNATE, ACQUIRED])
    elif filters.resistance_class != "all":
        keep &= rows["resistance_class"] == filters.resistance_class
    if filters.pathway == PATHWAY_ANY:
        keep &= rows["n_mechanisms"] > 0
    elif filters.pathway == PATHWAY_NONE:
        keep &= rows["n_mechanisms"] == 0
    elif filters.pathway != "all":
        keep &= rows["pathways"].fillna("").str.split(";").apply(lambda found: filters.pathway in found)
    if filters.followed_only:
        keep &= rows["followed"]
    return rows[keep.astype(bool)]


def pathway_choices(kb_pathways, current: str | None = None) -> list[tuple[str, str]]:
    """(value, label) choices of the pathway filter: all / any / none, then pathways in display order."""
    ordered = [p for p in PATHWAYS if p in set(kb_pathways)] + sorted(set(kb_pathways) - set(PATHWAYS))
    if current and current not in ("all", PATHWAY_ANY, PATHWAY_NONE) and current not in ordered:
        ordered.append(current)
    return [("all", "All patients"), (PATHWAY_ANY, "Any mechanism"), (PATHWAY_NONE, "No mechanism")] + [
        (p, pathway_name(p)) for p in ordered]


# --------------------------------------------------------------------------- counts

def _percent(n: int, of: int) -> float:
    return 100.0 * n / of if of else float("nan")


def cohort_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """Headline counts of the whole cohort with their denominators.

    Returns
    -------
    DataFrame ``key, label, n, denominator, of`` (what the denominator counts), ``percent``
    (NaN when the denominator is 0).  Keys: patients, her2_positive, her2_negative, followed,
    progressions (of patients with PFS follow-up), innate, acquired (of progressions),
    with_mechanism (progressors with >= 1 mechanism, of progressions).
    """
    n_patients = len(rows)
    progressed = rows["progressed"]
    with_follow_up = int((rows["pfs_months"].notna() | progressed).sum())
    n_progressed = int(progressed.sum())
    her2 = rows["her2_status"]
    resistance_class = rows["resistance_class"]
    with_mechanism = int((progressed & (rows["n_mechanisms"] > 0)).sum())
    items = [
        ("patients", "patients", n_patients, n_patients, "patients"),
        ("her2_positive", "HER2-positive", int((her2 == "POSITIVE").sum()), n_patients, "patients"),
        ("her2_negative", "HER2-negative", int((her2 == "NEGATIVE").sum()), n_patients, "patients"),
        ("followed", "followed with serial plasma", int(rows["followed"].sum()), n_patients, "patients"),
        ("progressions", "progressions", n_progressed, with_follow_up, "patients with PFS follow-up"),
        ("innate", "innate resistance", int((resistance_class == INNATE).sum()), n_progressed,
         "progressions"),
        ("acquired", "acquired resistance", int((resistance_class == ACQUIRED).sum()), n_progressed,
         "progressions"),
        ("with_mechanism", "progressors with a known mechanism", with_mechanism, n_progressed,
         "progressions"),
    ]
    frame = pd.DataFrame(items, columns=["key", "label", "n", "denominator", "of"])
    frame["percent"] = [_percent(n, d) for n, d in zip(frame["n"], frame["denominator"], strict=True)]
    return frame


def percent_text(n: int, denominator: int, of: str) -> str:
    """``"46 of 78 patients (59.0%)"``; no percentage when the denominator is 0.

    >>> percent_text(13, 17, "progressions")
    '13 of 17 progressions (76.5%)'
    """
    if not denominator:
        return f"{n} of 0 {of}"
    return f"{n} of {denominator} {of} ({_percent(n, denominator):.1f}%)"


# --------------------------------------------------------------------------- swimmer plot

@dataclass(frozen=True)
class SwimmerView:
    """What the swimmer plot draws.

    Attributes
    ----------
    rows
        Patients drawn, top first (longest follow-up first): the columns of :func:`patient_rows`.
    draws
        Their plasma draws: ``patient_id, sample_id, day`` (days), ``erbb2_cn`` (copies), ``timepoint``.
    imaging
        Their imaging assessments: ``patient_id, day, target_lesion_sum_mm, pct_change_from_baseline``,
        ``recist_response`` (CR / PR / SD / PD / NE or empty for the baseline scan), ``response_source``.
    treatments
        Treatment segments: ``patient_id, start_day, stop_day`` (days), ``agents`` (``" + "``-joined
        agents given over exactly that span), ``lane`` (0 .. TREATMENT_LANES - 1).
    n_matching
        Patients passing the filters.
    n_drawable
        Of those, patients with any follow-up after day 0 (the others have no bar).
    """

    rows: pd.DataFrame
    draws: pd.DataFrame
    imaging: pd.DataFrame
    treatments: pd.DataFrame
    n_matching: int
    n_drawable: int

    @property
    def n_shown(self) -> int:
        return len(self.rows)

    @property
    def truncated(self) -> bool:
        return self.n_shown < self.n_drawable


def treatment_segments(treatments: pd.DataFrame, end_day: pd.Series) -> pd.DataFrame:
    """Treatment events as drawable segments with a lane each.

    Agents given over the same span are merged into one segment; segments that overlap in time
    go to different lanes (greedy, earliest start first; at most :data:`TREATMENT_LANES`).  An
    event without a stop day runs to the patient's follow-up end (*end_day*, indexed by patient).
    """
    columns = ["patient_id", "start_day", "stop_day", "agents", "lane"]
    if not len(treatments):
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                             zip(columns, ["string", "float64", "float64", "string", "int64"], strict=True)})
    events = treatments[["patient_id", "start_day", "stop_day", "agent"]].copy()
    events["patient_id"] = events["patient_id"].astype(str)
    until_end = events["patient_id"].map(end_day)
    events["stop_day"] = events["stop_day"].fillna(until_end).fillna(events["start_day"])
    events["agent"] = events["agent"].fillna("treatment (agent not recorded)").astype(str)
    spans = events.sort_values("agent").groupby(["patient_id", "start_day", "stop_day"], sort=False)
    segments = (spans["agent"]
                .agg(lambda agents: " + ".join(dict.fromkeys(agents))).rename("agents").reset_index()
                .sort_values(["patient_id", "start_day", "stop_day"], kind="stable").reset_index(drop=True))
    lanes = np.zeros(len(segments), dtype="int64")
    lane_ends: dict[str, list[float]] = {}
    for i, (patient, start, stop) in enumerate(zip(segments["patient_id"], segments["start_day"],
                                                   segments["stop_day"], strict=True)):
        ends = lane_ends.setdefault(patient, [])
        lane = next((k for k, lane_end in enumerate(ends) if start >= lane_end), len(ends))
        lane = min(lane, TREATMENT_LANES - 1)
        if lane < len(ends):
            ends[lane] = max(ends[lane], stop)
        else:
            ends.append(stop)
        lanes[i] = lane
    segments["lane"] = lanes
    return segments[columns]


def swimmer_view(rows: pd.DataFrame, trajectories, treatments: pd.DataFrame,
                 limit: int = SWIMMER_MAX_PATIENTS) -> SwimmerView:
    """The swimmer plot of the (already filtered) *rows*: at most *limit* patients, longest follow-up first.

    Parameters
    ----------
    rows
        Rows of :func:`patient_rows`, filtered.
    trajectories
        :class:`analysis.trajectory.TrajectoryResult` (``draws``, ``imaging``).
    treatments
        The study's TREATMENT events.
    limit
        Most patients drawn (ties in follow-up broken by patient id).
    """
    drawable = rows[(rows["end_day"] > 0)]
    shown = (drawable.sort_values(["end_day", "patient_id"], ascending=[False, True], kind="stable")
             .head(limit).reset_index(drop=True))
    ids = set(shown["patient_id"])
    draws = trajectories.draws
    draws = draws[draws["patient_id"].astype(str).isin(ids)]
    draws = pd.DataFrame({
        "patient_id": draws["patient_id"].astype(str), "sample_id": draws["sample_id"].astype(str),
        "day": draws["draw_day"], "erbb2_cn": draws["erbb2_cn"], "timepoint": draws["timepoint"],
    }).reset_index(drop=True)
    imaging = trajectories.imaging
    imaging = imaging[imaging["patient_id"].astype(str).isin(ids)][
        ["patient_id", "day", "target_lesion_sum_mm", "pct_change_from_baseline", "recist_response",
         "response_source"]].reset_index(drop=True)
    imaging["patient_id"] = imaging["patient_id"].astype(str)
    chosen = treatments[treatments["patient_id"].astype(str).isin(ids)] if len(treatments) else treatments
    segments = treatment_segments(chosen, shown.set_index("patient_id")["end_day"])
    return SwimmerView(rows=shown, draws=draws, imaging=imaging, treatments=segments, n_matching=len(rows),
                       n_drawable=len(drawable))


def swimmer_note(view: SwimmerView) -> str:
    """What the plot shows, and how to see the rest when it cannot show everything."""
    if view.n_matching == 0:
        return "No patient matches the filters."
    parts = [f"Showing {view.n_shown} of {view.n_drawable} patients with follow-up, longest follow-up first"]
    if view.truncated:
        parts[0] += "; narrow with the filters to see the others"
    missing = view.n_matching - view.n_drawable
    if missing:
        parts.append(f"{missing} matching patient(s) have no follow-up after day 0 and no bar")
    return ". ".join(parts) + "."


# --------------------------------------------------------------------------- patient table

TABLE_LABELS = {
    "patient": "Patient",
    "her2_status": "HER2 status",
    "resistance_class": "Resistance class",
    "pfs_months": "PFS (months)",
    "pfs_status": "PFS status",
    "n_draws": "Plasma draws",
    "mechanisms": "Resistance mechanisms (pathway: genes)",
}
#: Columns of the patient table that hold numbers (right-aligned, number filter).
TABLE_NUMERIC = frozenset({"pfs_months", "n_draws"})


def in_table_order(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows in the order of the patient table (longest follow-up first, then by id); previous/next on the
    patient page walk the same order."""
    return rows.sort_values(["end_day", "patient_id"], ascending=[False, True], kind="stable")


def patient_table(rows: pd.DataFrame, patient_href) -> pd.DataFrame:
    """The table under the plot: one row per patient, the id a Markdown link to the patient page (the id
    escaped as Markdown text, the URL percent-encoded: :func:`dashboard.views.markdown_text.markdown_link`).

    Parameters
    ----------
    rows
        Rows of :func:`patient_rows` (filtered).
    patient_href
        ``patient_id -> URL`` of that patient's page (with the parameters in force).

    Returns
    -------
    DataFrame with the columns of :data:`TABLE_LABELS`; ``pfs_months`` rounded to 2 decimals.
    """
    from dashboard.labels import RESISTANCE_CLASS_NAMES, her2_status_name

    # Unknown is not negative: only a recorded censoring reads "censored".
    status = rows["follow_up"].astype("string").fillna(NOT_FOLLOWED).replace({"progressed": "progression"})
    return pd.DataFrame({
        "patient": [markdown_link(pid, patient_href(pid)) for pid in rows["patient_id"].astype(str)],
        "her2_status": rows["her2_status"].map(her2_status_name).astype(str).to_numpy(),
        "resistance_class": rows["resistance_class"].map(
            lambda c: RESISTANCE_CLASS_NAMES.get(str(c), str(c))).astype(str).to_numpy(),
        "pfs_months": rows["pfs_months"].round(2).to_numpy(),
        "pfs_status": status.astype(str).to_numpy(),
        "n_draws": rows["n_draws"].to_numpy(),
        "mechanisms": rows["mechanisms"].fillna("").astype(str).to_numpy(),
    })


def patient_from_click(click_data: dict | None) -> str | None:
    """The patient id of a click on the swimmer plot (every mark carries it in ``customdata``, escaped for
    plotly: decoded here, :func:`dashboard.figures.plotly_text.unescape`).

    >>> patient_from_click({"points": [{"customdata": "P007", "x": 3.1}]})
    'P007'
    >>> patient_from_click({"points": [{"customdata": "&lt;b&gt;X&lt;/b&gt;"}]})
    '<b>X</b>'
    >>> patient_from_click({"points": [{"x": 3.1}]}) is None
    True
    """
    points = (click_data or {}).get("points") or []
    for point in points:
        value = point.get("customdata")
        if isinstance(value, list):
            value = value[0] if value else None
        if value not in (None, ""):
            return unescape(value)
    return None
