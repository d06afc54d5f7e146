"""Words and number formats that users read, shared by the dashboard and the tumour-board report.

They live here, in the analysis layer, so that the answer sentences (:mod:`analysis.answers`) and the
report say a pathway or a VAF exactly as the pages do; :mod:`dashboard.labels` and
:mod:`dashboard.figures.style` re-export them.
"""

from __future__ import annotations

#: Display names of the knowledge base's pathway codes (:data:`analysis.resistance.PATHWAYS`).
PATHWAY_NAMES = {
    "PI3K": "PI3K pathway",
    "HER_FAMILY": "HER family",
    "MAPK": "MAPK pathway",
    "RTK_BYPASS": "RTK bypass",
    "CELL_CYCLE": "Cell cycle",
    "HER2_LOSS": "HER2 loss",
}


#: Display names of the sample timepoints (design.md: BASELINE, ON_TREATMENT, PROGRESSION).
TIMEPOINT_NAMES = {"BASELINE": "Baseline", "ON_TREATMENT": "On treatment", "PROGRESSION": "Progression"}

#: The comparison signs users read ("≥ 2.4 copies"), never the programmer's ">=" and "<=".
AT_LEAST, AT_MOST = "\u2265", "\u2264"


def timepoint_name(code: str) -> str:
    """Readable timepoint (unknown codes are shown as they are).

    >>> timepoint_name("ON_TREATMENT"), timepoint_name("BASELINE"), timepoint_name("DAY_7")
    ('On treatment', 'Baseline', 'DAY_7')
    """
    return TIMEPOINT_NAMES.get(str(code), str(code))


def pathway_name(code: str) -> str:
    """Readable pathway name (unknown codes are shown as they are).

    >>> pathway_name("PI3K"), pathway_name("NEW_ONE")
    ('PI3K pathway', 'NEW_ONE')
    """
    return PATHWAY_NAMES.get(str(code), str(code))


def vaf_text(vaf: float) -> str:
    """VAF (a fraction) as a percentage with 3 significant digits, trailing zeros kept.

    >>> [vaf_text(v) for v in (0.0312, 0.1, 0.005, 0.4567)]
    ['3.12%', '10.0%', '0.500%', '45.7%']
    """
    return f"{100 * vaf:#.3g}".rstrip(".") + "%"


def copies_text(copy_number: float) -> str:
    """A copy number as the tables show it: 2 decimals.

    >>> copies_text(6.109693), copies_text(2.0)
    ('6.11', '2.00')
    """
    return f"{copy_number:.2f}"


def day_text(day: float) -> str:
    """A day on the study axis (days from the first trastuzumab dose), without a trailing ``.0``.

    >>> day_text(84.0), day_text(-3.0), day_text(12.5)
    ('84', '-3', '12.5')
    """
    return f"{day:g}"
