"""The reports: the tumour-board report of one patient, and the researcher's report of the cohort
(:mod:`dashboard.report.cohort`).

The tumour-board report: one patient as a self-contained HTML file and as a PDF.

:func:`build_report` gathers what the report shows (the two answer sentences, patient summary,
timeline figure, alterations per draw, mechanism call with its evidence, caveats, parameters,
knowledge base and study provenance); :func:`render_html` writes it as one HTML page with plotly.js
embedded (it opens with no network); :func:`html_to_pdf` prints that page with headless Chromium.
:func:`write_report` does both from a study, by file suffix.

Layering: this is the one analysis module that imports plotly and the Dash-free figure and table
builders of the dashboard (:mod:`dashboard.figures.patient`, :mod:`dashboard.views.patient`,
:mod:`dashboard.views.data`), so that the report shows exactly the figure and tables of the patient
page.  It never imports Dash (``tests/analysis/test_report.py`` checks).
"""

from dashboard.report.cohort import (
    CohortReport,
    build_cohort_report,
    cohort_report_file_name,
    cohort_report_pdf,
    render_cohort_html,
    write_cohort_report,
)
from dashboard.report.content import TumourBoardReport, build_report
from dashboard.report.errors import ReportError
from dashboard.report.html import ReportPage, render_html, report_page
from dashboard.report.pdf import chromium_path, html_to_pdf
from dashboard.report.write import report_file_name, write_report

__all__ = ["CohortReport", "ReportError", "ReportPage", "TumourBoardReport", "build_cohort_report", "build_report",
           "chromium_path", "cohort_report_file_name", "cohort_report_pdf", "html_to_pdf", "render_cohort_html",
           "render_html", "report_file_name", "report_page", "write_cohort_report", "write_report"]
