"""Words and number formats that users read, shared by the dashboard and the tumour-board report.

They live here, in the analysis layer, so that the answer sentences (:mod:`analysis.answers`) and the
report say a pathway or a VAF exactly as the pages do; :mod:`dashboard.labels` and
:mod:`dashboard.figures.style` re-export them.
"""

from __future__ import annotations

import math

import pandas as pd

EN_DASH = "\u2013"

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


#: The steps of the whole-cohort analysis (:func:`analysis.cohort.analyse_cohort`), as a progress bar says them.
ANALYSIS_STEP_NAMES = {
    "knowledge base": "Reading the knowledge base", "tumour fraction": "Tumour fraction",
    "trajectories": "HER2 trajectories", "response": "Response to treatment",
    "concordance": "Plasma-tissue concordance", "resistance": "Resistance mechanisms",
    "oncoprint": "Oncoprint", "pfs groupings": "PFS groupings",
}


def analysis_step_name(step: str) -> str:
    """Readable name of a cohort-analysis step; every survival step is "Survival analyses".

    >>> analysis_step_name("pfs groupings"), analysis_step_name("survival n_mechanisms")
    ('PFS groupings', 'Survival analyses')
    """
    if step.startswith("survival"):
        return "Survival analyses"
    return ANALYSIS_STEP_NAMES.get(step, step.capitalize())


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


# ------------------------------------------------------------------------ statistics in text
# (the pages and the findings of :mod:`analysis.findings` write numbers with these, so they agree)

def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


#: p-values below this read "< 0.001" in text; the exact value goes on hover and into CSV files.
P_DISPLAY_FLOOR = 0.001


def format_p(p: float | None) -> str:
    """A p-value for text: 2 significant digits, ``"< 0.001"`` below 0.001, ``"not computed"`` when NaN.

    >>> [format_p(p) for p in (0.0123, 0.00099, 5.08e-06, float("nan"))]
    ['0.012', '< 0.001', '< 0.001', 'not computed']
    """
    if p is None or p != p:
        return "not computed"
    p = float(p)
    return f"< {P_DISPLAY_FLOOR:g}" if p < P_DISPLAY_FLOOR else f"{p:.2g}"


def p_phrase(p: float | None, name: str = "p") -> str:
    """``"p = 0.012"``, ``"p < 0.001"``, or ``"p not computed"``.

    >>> p_phrase(5.08e-06), p_phrase(0.0123, "Wilcoxon p"), p_phrase(float("nan"))
    ('p < 0.001', 'Wilcoxon p = 0.012', 'p not computed')
    """
    text = format_p(p)
    if text == "not computed":
        return f"{name} not computed"
    return f"{name} {text}" if text.startswith("<") else f"{name} = {text}"


def p_exact(p: float | None) -> str:
    """The exact p-value (3 significant digits, scientific when small) for hover text.

    >>> p_exact(5.080894944300786e-06), p_exact(0.0123)
    ('5.08e-06', '0.0123')
    """
    return "not computed" if p is None or p != p else f"{float(p):.3g}"


def format_percent(value: float, digits: int = 1) -> str:
    """A fraction as a percentage (``0.7778 -> "77.8%"``); ``"undefined"`` when NaN."""
    return "undefined" if _missing(value) else f"{100 * float(value):.{digits}f}%"


def format_percent_ci(low: float, high: float, digits: int = 1) -> str:
    """A fraction interval as ``"63.7{EN_DASH}87.5%"``; empty when undefined."""
    if _missing(low) or _missing(high):
        return ""
    return f"{100 * float(low):.{digits}f}{EN_DASH}{100 * float(high):.{digits}f}%"


def format_number_ci(estimate: float, low: float, high: float, digits: int = 2) -> str:
    """``"0.72 (95% CI 0.57-0.87)"``; ``"undefined"`` when the estimate is NaN, no interval when it is."""
    if _missing(estimate):
        return "undefined"
    text = f"{float(estimate):.{digits}f}"
    if not (_missing(low) or _missing(high)):
        text += f" (95% CI {float(low):.{digits}f}{EN_DASH}{float(high):.{digits}f})"
    return text


def format_fixed(value: float, digits: int = 2) -> str:
    """A number with fixed decimals, never ``-0.00``; ``""`` when missing."""
    return "" if _missing(value) else f"{round(float(value), digits) + 0.0:.{digits}f}"


def _num(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NE"
    if math.isinf(value):
        return "NR"
    return f"{value:.3g}"


def median_text(row) -> str:
    """``9.36 (6.67-NR)``; NR = not reached; groups without an estimate say why."""
    status = str(row["status"])
    if status == "too small":
        return "too small to estimate"
    if status == "empty":
        return "no patients"
    median = float(row["median"])
    if math.isinf(median):
        low = float(row["median_ci_low"])
        return "not reached" if math.isinf(low) or math.isnan(low) else f"not reached (lower bound {_num(low)})"
    return f"{_num(median)} ({_num(float(row['median_ci_low']))}-{_num(float(row['median_ci_high']))})"


def hazard_text(row) -> str:
    """``2.3 (1.1-4.8)`` vs the reference, ``1 (reference)``, or ``not estimable (why)``.

    A hazard ratio the analysis could not estimate (no events, separation, no convergence: its
    ``hr_note``) is never shown as a number.
    """
    status = str(row["status"])
    if bool(row["is_reference"]) if not pd.isna(row["is_reference"]) else False:
        return "1 (reference)"
    if status in ("too small", "empty"):
        return {"too small": "too small", "empty": "no patients"}[status]
    note = row.get("hr_note", "")
    note = "" if pd.isna(note) else str(note)
    if note:
        return f"not estimable ({note})"
    if status == "no events":
        return f"not estimable (no events in {row['group']})"
    hr = float(row["hazard_ratio"])
    if math.isnan(hr):
        return "not estimable"
    return f"{_num(hr)} ({_num(float(row['hr_ci_low']))}-{_num(float(row['hr_ci_high']))})"


def p_text(p_value: float | None) -> str:
    """A p-value for text: 2 significant digits, ``< 0.001`` below 0.001 (the exact value goes on hover
    and into the CSV), ``not testable`` when there is none.

    >>> [p_text(p) for p in (0.0123, 5.1e-06, float("nan"))]
    ['0.012', '< 0.001', 'not testable']
    """
    if p_value is None or math.isnan(p_value):
        return "not testable"
    return format_p(p_value)
