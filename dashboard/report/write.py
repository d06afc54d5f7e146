"""Write a report file (HTML or PDF, by suffix) from a study."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from analysis.params import AnalysisParameters
from analysis.resistance import KnowledgeBase
from analysis.study import Study
from dashboard.report.content import TumourBoardReport, build_report
from dashboard.report.errors import ReportError
from dashboard.report.html import PAPER_SIZES, render_html
from dashboard.report.pdf import html_to_pdf

SUFFIXES = (".html", ".pdf")


def report_file_name(patient_id: str, suffix: str = ".html") -> str:
    """A safe file name for a patient's report: ``tumour-board-P001.html`` (other characters become ``_``).

    >>> report_file_name("P001"), report_file_name("../x y", ".pdf")
    ('tumour-board-P001.html', 'tumour-board-.._x_y.pdf')
    """
    return f"tumour-board-{re.sub(r'[^A-Za-z0-9._-]', '_', patient_id)}{suffix}"


def write_pdf(report: TumourBoardReport, out: str | Path, paper: str = "a4") -> Path:
    """Print *report* to the PDF *out* (the HTML goes through a temporary file)."""
    with tempfile.TemporaryDirectory(prefix="her2-report-") as folder:
        page = Path(folder) / "report.html"
        page.write_text(render_html(report, paper), encoding="utf-8")
        return html_to_pdf(page, out)


def write_report(study: Study, patient_id: str, out: str | Path, params: AnalysisParameters = AnalysisParameters(),
                 knowledge_base: KnowledgeBase | None = None, paper: str = "a4") -> Path:
    """Write the report of *patient_id* to *out*: ``.html`` (self-contained) or ``.pdf``.

    Raises
    ------
    ReportError
        Unknown patient, a suffix other than .html/.pdf, an unknown paper size, or the PDF cannot be printed.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise ReportError(f"{out}: expected a file name ending in .html or .pdf, got {out.suffix or 'no suffix'!r}")
    if paper.lower() not in PAPER_SIZES:
        raise ReportError(f"paper size {paper!r}: expected one of {', '.join(PAPER_SIZES)}")
    report = build_report(study, patient_id, params, knowledge_base)
    if suffix == ".pdf":
        return write_pdf(report, out, paper)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report, paper), encoding="utf-8")
    return out
