"""Getting around patients: the search box, previous/next, and the patient page's URL.

Pure functions (no Dash): which patients a search finds, which patients previous/next walk, and the
links that carry the analysis parameters, the walk and the chosen draw.

- *Search*: an exact id (any case) opens that patient; otherwise patients whose id starts with, then
  contains, the text (case-insensitive) are suggested.
- *Walk*: previous/next go through the followed patients (on trastuzumab with a follow-up status, as
  the HER2 answer and the reports' ``--all`` define it) in study order; a link from the Cohort page
  carries its filters (``walk=cohort`` and the filter keys) and then walks the patients matching them,
  in the order of the Cohort page's table.
- Patient ids and sample ids may hold any character: they are percent-encoded in paths and queries
  (and decoded by the router), never pasted raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pandas as pd

from analysis.trajectory import NOT_FOLLOWED
from dashboard.views.cohort import (
    CohortFilters,
    filter_patients,
    filters_from_query,
    filters_to_query,
    in_table_order,
)

#: Most suggestions a search shows.
MAX_SUGGESTIONS = 8
#: URL key of the walk; its value for a walk through the Cohort page's filter.
WALK_KEY, WALK_COHORT = "walk", "cohort"
#: Cohort filter keys a walk carries (the time-axis unit is not a filter).
WALK_FILTER_KEYS = ("her2", "class", "pathway", "followed")
#: URL key of the draw chosen in "Alterations per draw".
DRAW_KEY = "draw"


@dataclass(frozen=True)
class SearchResult:
    """What a search found: the patient to open (an exact, case-insensitive match, or the only match),
    and the patients to suggest (best first)."""

    text: str
    patient_id: str | None
    suggestions: tuple[str, ...]

    @property
    def message(self) -> str:
        if not self.text:
            return ""
        if self.patient_id is not None:
            return f"Patient {self.patient_id}"
        if not self.suggestions:
            return f"No patient id contains \u201c{self.text}\u201d."
        n = len(self.suggestions)
        return f"{n} patient{'s' if n != 1 else ''} match \u201c{self.text}\u201d:"


def _natural(text: str) -> tuple:
    """Sort key: digits by value (P9 before P10)."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text.casefold()))


def find_patients(text: str | None, patient_ids: list[str], limit: int = MAX_SUGGESTIONS) -> SearchResult:
    """Search *patient_ids* for *text* (case-insensitive; surrounding blanks ignored).

    >>> ids = ["P007", "P017", "P070", "Q007"]
    >>> find_patients("p007", ids).patient_id, find_patients("07", ids).suggestions
    ('P007', ('P007', 'P070', 'Q007'))
    >>> find_patients("P01", ids).patient_id, find_patients("X", ids).suggestions
    ('P017', ())
    """
    query = (text or "").strip()
    if not query:
        return SearchResult("", None, ())
    folded = query.casefold()
    exact = [pid for pid in patient_ids if pid == query] or [pid for pid in patient_ids if pid.casefold() == folded]
    prefix = sorted((pid for pid in patient_ids if pid.casefold().startswith(folded)), key=_natural)
    inside = sorted((pid for pid in patient_ids if folded in pid.casefold() and not pid.casefold().startswith(folded)),
                    key=_natural)
    matches = list(dict.fromkeys(exact + prefix + inside))
    found = exact[0] if len(exact) == 1 else (matches[0] if len(matches) == 1 else None)
    return SearchResult(query, found, tuple(matches[:limit]))


def followed_patient_ids(trajectory_patients: pd.DataFrame) -> list[str]:
    """Patients followed on trastuzumab (a follow-up status other than not followed), in study order."""
    if trajectory_patients.empty:
        return []
    followed = trajectory_patients["follow_up"].astype("string").fillna(NOT_FOLLOWED) != NOT_FOLLOWED
    return trajectory_patients.loc[followed.to_numpy(dtype=bool), "patient_id"].astype(str).tolist()


def walk_filters(query: dict | None) -> CohortFilters | None:
    """The Cohort page's filters a link carries (``walk=cohort``), or None for the followed patients."""
    query = query or {}
    if str(query.get(WALK_KEY, "")).lower() != WALK_COHORT:
        return None
    return filters_from_query({k: query[k] for k in WALK_FILTER_KEYS if k in query})[0]


def walk_query(filters: CohortFilters | None) -> dict[str, str]:
    """URL query arguments of a walk (empty for the followed patients)."""
    if filters is None:
        return {}
    kept = {k: v for k, v in filters_to_query(filters).items() if k in WALK_FILTER_KEYS}
    return {WALK_KEY: WALK_COHORT, **kept}


def cohort_walk_ids(rows: pd.DataFrame, filters: CohortFilters) -> list[str]:
    """Patients matching the Cohort page's *filters*, in the order of its table (longest follow-up first)."""
    return in_table_order(filter_patients(rows, filters))["patient_id"].astype(str).tolist()


def walk_description(filters: CohortFilters | None, walk_ids: list[str], patient_id: str) -> str:
    """``Patient 3 of 24 followed patients`` (or ``... matching the Cohort filters``); says when the patient is
    not among them."""
    what = "patients matching the Cohort page's filters" if filters is not None else "followed patients"
    if patient_id in walk_ids:
        return f"{walk_ids.index(patient_id) + 1} of {len(walk_ids)} {what}"
    return f"Not among the {len(walk_ids)} {what}"


def neighbours_in_walk(walk_ids: list[str], study_ids: list[str], patient_id: str
                       ) -> tuple[str | None, str | None]:
    """Previous and next patient of the walk; a patient outside the walk gets the walk's patients just
    before and after it in study order.

    >>> neighbours_in_walk(["A", "C"], ["A", "B", "C"], "C"), neighbours_in_walk(["A", "C"], ["A", "B", "C"], "B")
    (('A', None), ('A', 'C'))
    """
    if patient_id in walk_ids:
        i = walk_ids.index(patient_id)
        return (walk_ids[i - 1] if i > 0 else None, walk_ids[i + 1] if i + 1 < len(walk_ids) else None)
    if patient_id not in study_ids:
        return None, None
    position = {pid: i for i, pid in enumerate(study_ids)}
    here = position[patient_id]
    before = [pid for pid in walk_ids if position.get(pid, -1) < here and pid in position]
    after = [pid for pid in walk_ids if position.get(pid, -1) > here]
    return (max(before, key=position.get) if before else None, min(after, key=position.get) if after else None)


def patient_path(patient_id: str) -> str:
    """``/patient/<id>`` with the id percent-encoded (``/`` and ``?`` included).

    >>> patient_path("P 1/x?")
    '/patient/P%201%2Fx%3F'
    """
    return f"/patient/{quote(str(patient_id), safe='')}"


def patient_href(patient_id: str, params_query: dict[str, str] | None = None, walk: dict[str, str] | None = None,
                 draw: str | None = None) -> str:
    """The patient page's URL with the analysis parameters, the walk and the chosen draw.

    >>> patient_href("P7", {"cutoff": "2.6"}, {"walk": "cohort", "class": "acquired"}, "P7-D1")
    '/patient/P7?cutoff=2.6&walk=cohort&class=acquired&draw=P7-D1'
    """
    query = {**(params_query or {}), **(walk or {}), **({DRAW_KEY: draw} if draw else {})}
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return patient_path(patient_id) + ("?" + urlencode(query) if query else "")
