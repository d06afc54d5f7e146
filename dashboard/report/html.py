"""The tumour-board report as one self-contained HTML page (styles and plotly.js inline, no network).

Every text that comes from the study or the knowledge base (ids, names, alterations, citations,
caveats) is HTML-escaped here, in one place: :func:`_text`.
"""

from __future__ import annotations

import functools
import html
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import plotly.io as pio

from analysis.wording import copies_text, day_text, vaf_text
from dashboard.report.content import TumourBoardReport
from dashboard.views.patient import ALTERATION_LABELS, EVIDENCE_LABELS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: The print stylesheet shared with the dashboard (Dash loads assets/*.css on every page).
PRINT_CSS = PROJECT_ROOT / "assets" / "print.css"
#: The report's own screen styles.
REPORT_CSS = Path(__file__).with_name("report.css")

#: Paper sizes the report is laid out for (CSS ``@page size``).
PAPER_SIZES = {"a4": "A4", "letter": "letter"}

#: The id of the figure's element (tests and the print stylesheet find it by this).
FIGURE_ID = "report-timeline"

SUMMARY_LABELS = {"label": "", "value": "Value", "detail": "Detail"}
CALL_LABELS = {"pathway": "Mechanism", "genes": "Genes", "alterations": "Alterations",
               "status": "Status (baseline / expanding / new at progression)"}
FIELD_LABELS = {"field": "", "value": ""}
PARAMETER_LABELS = {"label": "Parameter", "value": "Value", "unit": "Unit", "status": "Default or changed"}
PROVENANCE_LABELS = {"file": "File", "bytes": "Size (bytes)", "rows": "Rows read", "sha256": "SHA-256"}
#: The alteration table without its first columns (each draw has its own heading).
DRAW_ALTERATION_LABELS = {k: v for k, v in ALTERATION_LABELS.items()
                          if k not in ("sample_id", "sample_type", "timepoint", "day")}


def _text(value: object) -> str:
    """Escaped text of a cell or sentence; missing values are empty."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True)


def _vaf_pct(value: float) -> str:
    return vaf_text(value / 100.0)[:-1]  # the column header says (%)


#: Column -> how its numbers are written (the patient page's formats).
FORMATS: dict[str, Callable[[float], str]] = {"vaf_pct": _vaf_pct, "day": day_text, "copy_number": copies_text}


def _cell(column: str, value: object) -> str:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if column in FORMATS and isinstance(value, int | float):
        return _text(FORMATS[column](float(value)))
    return _text(value)


def table_html(frame: pd.DataFrame, labels: Mapping[str, str], *, table_class: str = "",
               empty: str = "None.") -> str:
    """*frame*'s *labels* columns as an HTML table (header repeated on every printed page)."""
    columns = [c for c in labels if c in frame.columns]
    if frame.empty:
        return f'<p class="muted">{_text(empty)}</p>'
    head = "".join(f"<th>{_text(labels[c])}</th>" for c in columns)
    rows = "".join("<tr>" + "".join(f'<td class="col-{_text(c)}">{_cell(c, row[c])}</td>' for c in columns)
                   + "</tr>" for _, row in frame.iterrows())
    css = f' class="{_text(table_class)}"' if table_class else ""
    return f"<table{css}><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _css_string(value: str) -> str:
    """*value* as a CSS string literal (for the page footer): every character outside [A-Za-z0-9 ] escaped."""
    return '"' + "".join(ch if ch.isascii() and (ch.isalnum() or ch == " ") else f"\\{ord(ch):x} " for ch in value) \
        + '"'


def figure_html(report: TumourBoardReport) -> str:
    """The timeline with plotly.js inline, static (no toolbar, no hover: it is printed).

    The figure is plotly JSON built for plotly.js (:func:`dashboard.report.figure.print_figure`), written as
    it is: plotly's validation of a dict (``validate=True`` builds a graph_objects figure from it) would cost
    more than building it (tests/dashboard/test_patient_figure_dict.py validates the figures instead)."""
    return pio.to_html(report.figure, include_plotlyjs=True, full_html=False, div_id=FIGURE_ID, validate=False,
                       config={"staticPlot": True, "displayModeBar": False, "responsive": False})


def generated_text(when: datetime) -> str:
    """How the report writes when it was made: ``2026-12-07 06:40 UTC``."""
    return when.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class ReportPage:
    """A rendered report whose date (and plotly.js) is filled in when it is served (:func:`report_page`).

    Everything in a report but its date depends only on the study, the patient, the parameters and the
    knowledge base, so a server renders it once and stamps each download with its own time.  The inline
    plotly.js (4.6 MB, the same in every report) is kept out of the stored page and put back on serving.
    """

    page: str
    marker: str
    plotlyjs_marker: str

    def stamped(self, when: datetime) -> str:
        """The whole HTML, dated *when* where the report says when it was generated."""
        return (self.page.replace(self.marker, html.escape(generated_text(when), quote=True))
                .replace(self.plotlyjs_marker, _plotlyjs()))


@functools.cache
def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def report_page(report: TumourBoardReport, paper: str = "a4") -> ReportPage:
    """*report* rendered with a marker, never found in study text, where its date goes (and another for
    the inline plotly.js)."""
    token = secrets.token_hex(16)
    marker, plotlyjs_marker = f"generated-at-{token}", f"plotly-js-{token}"
    page = render_html(report, paper, generated=marker)
    if page.count(_plotlyjs()) != 1:
        raise ValueError("the report page does not hold plotly.js once")  # a plotly change: caught by tests
    return ReportPage(page.replace(_plotlyjs(), plotlyjs_marker), marker, plotlyjs_marker)


def render_html(report: TumourBoardReport, paper: str = "a4", *, generated: str | None = None) -> str:
    """The whole report as one HTML document.

    Parameters
    ----------
    report
        :func:`dashboard.report.build_report`.
    paper
        ``"a4"`` or ``"letter"`` (:data:`PAPER_SIZES`): the ``@page`` size printing and the PDF use.
    generated
        The text written for when it was made (default: ``report.generated_at``, :func:`generated_text`).
    """
    size = PAPER_SIZES[paper.lower()]
    generated = generated_text(report.generated_at) if generated is None else generated
    footer = _css_string(f"{report.research_use} Patient {report.patient_id}, study {report.study_id}. Page ")
    page_css = (f"@page {{ size: {size}; @bottom-left {{ content: {footer} counter(page) \" of \" counter(pages);"
                " font-size: 8pt; color: #333; } }")
    title = f"Tumour-board report: patient {report.patient_id}"
    draws = []
    for draw in report.draws.itertuples(index=False):
        rows = report.alterations[report.alterations["sample_id"] == draw.sample_id]
        heading = (f"{draw.sample_id} - {draw.sample_type}, {draw.timepoint if pd.notna(draw.timepoint) else '?'}, "
                   f"day {day_text(draw.day) if pd.notna(draw.day) else '?'}")
        draws.append(f'<div class="draw"><h3>{_text(heading)}</h3>'
                     f'{table_html(rows, DRAW_ALTERATION_LABELS, empty="No alterations reported in this sample.")}'
                     "</div>")
    caveats = ("<ul>" + "".join(f"<li>{_text(c)}</li>" for c in report.caveats) + "</ul>" if report.caveats
               else '<p class="muted">No caveats for this patient.</p>')
    answers = report.answers
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(title)}</title>",
        f"<style>{REPORT_CSS.read_text()}</style>",
        f"<style>{PRINT_CSS.read_text()}</style>",
        f"<style>{page_css}</style>",
        '</head><body class="report">',
        '<header class="report-header">',
        f"<h1>{_text(title)}</h1>",
        f'<p class="meta">Study {_text(report.study_name or report.study_id)} ({_text(report.study_id)}); '
        f"generated {_text(generated)}; software version {_text(report.software_version)}; knowledge base "
        f"version {_text(_field(report.knowledge_base, 'Version'))}.</p>",
        f'<p class="research-use" id="research-use">{_text(report.research_use)}</p>',
        "</header>",
        '<section id="answers" class="answers"><h2>Answers</h2>',
        f'<p id="answer-her2">{_text(answers.her2_trajectory)}</p>',
        f'<p id="answer-mechanism">{_text(answers.mechanism)}</p>',
        "</section>",
        '<section id="summary"><h2>Patient summary</h2>',
        table_html(report.summary, SUMMARY_LABELS, table_class="facts"),
        "</section>",
        '<section id="timeline" class="figure"><h2>Trajectory</h2>',
        '<p class="muted">Plasma ERBB2 copy number (observed and purity-adjusted, amplification cutoff dashed), '
        "CEA, tumour size with RECIST calls (* derived from lesion sums), treatment and plasma VAF of the variants "
        "that matter, on one axis of days from the first trastuzumab dose; progression dashed.</p>",
        f'<div class="figure-box">{figure_html(report)}</div>',
        "</section>",
        '<section id="mechanism"><h2>Resistance mechanism call</h2>',
        table_html(report.calls, CALL_LABELS, table_class="calls", empty="No mechanism called."),
        "<h3>Supporting alterations, with the evidence</h3>",
        table_html(report.evidence, EVIDENCE_LABELS, table_class="evidence",
                   empty="No known resistance alteration found."),
        "</section>",
        '<section id="alterations"><h2>Alterations per draw</h2>', *draws, "</section>",
        f'<section id="caveats"><h2>Caveats</h2>{caveats}</section>',
        '<section id="parameters"><h2>Parameters and knowledge base in force</h2>',
        table_html(report.parameters, PARAMETER_LABELS, table_class="parameters"),
        "<h3>Knowledge base</h3>",
        table_html(report.knowledge_base, FIELD_LABELS, table_class="facts"),
        "</section>",
        '<section id="provenance"><h2>Study provenance</h2>',
        table_html(report.study_identity, FIELD_LABELS, table_class="facts"),
        "<h3>Files read (SHA-256 checksums)</h3>",
        table_html(report.provenance, PROVENANCE_LABELS, table_class="provenance",
                   empty="The study was built in memory: no files."),
        "</section>",
        f'<footer class="report-footer"><p>{_text(report.research_use)} Generated {_text(generated)} by '
        f"her2-ctdna-dashboard {_text(report.software_version)}.</p></footer>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _field(table: pd.DataFrame, name: str) -> str:
    hit = table.loc[table["field"] == name, "value"]
    return str(hit.iloc[0]) if len(hit) else "unknown"
