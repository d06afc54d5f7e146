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
