"""Where a caveat belongs: each caveat of an analysis result carries a topic, so that pages show a
caveat where its numbers are (issue 9.8).

Topics
------
``follow_up``
    PFS status and progression (censored patients with a progression event, unknown follow-up).
``baseline``
    Patients without a baseline draw (changes from baseline, statuses at progression).
``draws``
    Plasma draws themselves (undated, tumour fraction not evaluable for purity adjustment).
``cea``, ``imaging``
    CEA values averaged; RECIST baseline scans before the window.
``mechanisms``
    Mechanism calls of patients (progressors without the draws calls need).
``cohort``
    Only meaningful for a whole cohort (no progressor at all, enrichment across classes, an empty
    study): never shown on a single patient's page, whose analysis runs on that patient alone.

>>> caveats_about((("draws", "a"), ("cohort", "b"), ("baseline", "c")), "draws", "baseline")
['a', 'c']
>>> caveats_except((("draws", "a"), ("cohort", "b")), "cohort")
['a']
"""

from __future__ import annotations

from collections.abc import Iterable

FOLLOW_UP, BASELINE, DRAWS, CEA, IMAGING, MECHANISMS, COHORT = (
    "follow_up", "baseline", "draws", "cea", "imaging", "mechanisms", "cohort")
TOPICS = (FOLLOW_UP, BASELINE, DRAWS, CEA, IMAGING, MECHANISMS, COHORT)


def tag(caveats: list[str], topics: list[str], topic: str) -> None:
    """Give *topic* to the caveats appended since the last call (``topics`` grows to ``len(caveats)``)."""
    topics.extend([topic] * (len(caveats) - len(topics)))


def caveats_about(pairs: Iterable[tuple[str, str]], *topics: str) -> list[str]:
    """The caveat texts of *pairs* (``(topic, text)``) whose topic is one of *topics*, in order."""
    wanted = set(topics)
    return [text for topic, text in pairs if topic in wanted]


def caveats_except(pairs: Iterable[tuple[str, str]], *topics: str) -> list[str]:
    """The caveat texts of *pairs* whose topic is none of *topics*, in order."""
    unwanted = set(topics)
    return [text for topic, text in pairs if topic not in unwanted]
