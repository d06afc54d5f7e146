"""The researcher's report: the paper's findings reproduced on the open study, as one self-contained HTML
page (plotly.js inline, opens with no network) and as a PDF (headless Chromium, assets/print.css).

What a researcher attaches to a manuscript: every finding of :func:`analysis.findings.cohort_findings`
with its n, CI and test, the figures of the pages that show them, the caveats and cautions, the methods
(parameters and knowledge base in force) and the provenance (file checksums, software version, date).
Every text from the study is escaped by :func:`dashboard.report.html._text`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from analysis import ANALYSIS_VERSION
from analysis.cohort import CohortAnalysis, analyse_cohort
from analysis.findings import Finding, cohort_findings, findings_caveats
from analysis.params import AnalysisParameters
from analysis.resistance import KnowledgeBase, load_knowledge_base
from analysis.study import Study
from dashboard.figures.palette import PRINT
from dashboard.figures.response import her2_slope, progression_roc
from dashboard.figures.survival import km_figure
from dashboard.report.content import RESEARCH_USE
from dashboard.report.errors import ReportError
from dashboard.report.html import (
    FIELD_LABELS,
    PAPER_SIZES,
    PARAMETER_LABELS,
    PRINT_CSS,
    PROVENANCE_LABELS,
    REPORT_CSS,
    _css_string,
    _text,
    table_html,
)
from dashboard.report.pdf import page_to_pdf
from dashboard.views.data import knowledge_base_table, parameter_table, provenance_table, study_identity
from dashboard.views.survival import Y_LABELS

#: Printable width of the narrower page (A4), as the patient report (:mod:`dashboard.report.figure`).
PRINT_WIDTH_PX = 700

#: Sections of the report, in the paper's order: (section id, heading, finding keys, figure ids).
SECTIONS = (
    ("agreement", "Plasma/tissue agreement", ("her2_agreement_ngs", "her2_agreement_pathology"), ()),
    ("response", "Plasma HER2 CN vs CEA for progression", ("her2_auc", "cea_auc", "delong"), ("figure-roc",)),
    ("her2-progression", "HER2 CN at progression vs baseline, by resistance class",
     ("her2_progression_innate", "her2_progression_acquired"), ("figure-her2-slope",)),
    ("mechanisms", "Resistance mechanisms",
     ("mechanism_share", "erbb_mutations_baseline", "erbb_mutations_progression", "pik3ca_enrichment"), ()),
    ("pfs", "Progression-free survival", ("pfs_mechanisms", "pfs_baseline_mutation"),
     ("figure-km-mechanism_count", "figure-km-baseline_mutation")),
)

FINDING_LABELS = {"topic": "Finding", "value": "Result", "exact": "Estimate", "n": "n",
                  "ci_text": "95% CI", "test": "Test", "p": "p", "page_name": "Page"}

METHODS = (
    "Plasma HER2 is the gene-level ERBB2 absolute copy number of the plasma draw (amplified at or above the "
    "plasma cutoff in force); tissue NGS amplification at the tissue cutoff; pathology HER2-positive is IHC 3+, or "
    "2+ with FISH ERBB2/CEP17 >= 2.0. Agreement statistics are PPA, NPA and OPA with Wilson 95% intervals, Cohen's "
    "kappa (Wald interval) and McNemar's exact test; tissue is a comparator, not the truth.",
    "Response tracking pairs each scan after baseline with the nearest plasma draw and CEA value within the "
    "window in force; ROC AUCs of the % change from baseline for progression (PD) at the scan have DeLong 95% "
    "intervals, and HER2 CN is compared with CEA by the paired DeLong test on the scans with both scores.",
    "Innate resistance: progression at the first evaluation or PFS < 3 months; acquired: progression after "
    "response or stable disease with PFS >= 3 months. HER2 CN at progression vs baseline: Wilcoxon signed-rank test "
    "per class.",
    "Resistance mechanisms are knowledge-base matches (version below) in the baseline or progression plasma draw; "
    "shares have Wilson 95% intervals; enrichment in innate vs acquired resistance is tested with Fisher's exact "
    "test (not adjusted for multiple testing), with the Haldane-Anscombe-corrected odds ratio when a cell is empty.",
    "PFS from the first trastuzumab dose: Kaplan-Meier medians with 95% intervals, log-rank test, Cox hazard "
    "ratios against the reference group.",
)


@dataclass(frozen=True)
class CohortReport:
    """The researcher's report of one study, every part ready to render.

    Attributes
    ----------
    findings
        :func:`analysis.findings.cohort_findings`.
    figures
        ``figure id -> (title, figure)``: the pages' figures, sized for print.
    caveats
        The cohort caveats the findings depend on (:func:`analysis.findings.findings_caveats`).
    parameters, knowledge_base, study_identity, provenance
        Methods and provenance (as the patient report and the Data page show them).
    """

    study_id: str
    study_name: str
    findings: tuple[Finding, ...]
    figures: dict
    caveats: tuple[str, ...]
    parameters: pd.DataFrame
    knowledge_base: pd.DataFrame
    study_identity: pd.DataFrame
    provenance: pd.DataFrame
    generated_at: datetime
    software_version: str = ANALYSIS_VERSION
    research_use: str = RESEARCH_USE

    def finding(self, key: str) -> Finding:
        """The finding *key* (KeyError when the study has none)."""
        return next(f for f in self.findings if f.key == key)


def _for_print(figure: go.Figure, height: int | None = None) -> go.Figure:
    """A copy of *figure* at print width (and *height*, default its own) with black text (colours kept)."""
    fig = go.Figure(figure)
    fig.update_layout(width=PRINT_WIDTH_PX, height=height or fig.layout.height or 450, autosize=False,
                      paper_bgcolor=PRINT["paper"], plot_bgcolor=PRINT["paper"], font=dict(color=PRINT["ink"], size=11))
    return fig


def cohort_figures(cohort: CohortAnalysis) -> dict:
    """The figures of the Response and Survival pages that show the findings, for print."""
    response = cohort.response
    figures = {
        "figure-roc": ("Progression at the scan: ROC of HER2 CN and CEA change (Response page)",
                       _for_print(progression_roc(response.pairs, response.auc, response.delong), 470)),
        "figure-her2-slope": ("Plasma HER2 CN at baseline and at progression (Response page)",
                              _for_print(her2_slope(response.her2_at_progression, response.her2_by_class), 420)),
    }
    for name in ("mechanism_count", "baseline_mutation"):
        grouping, result = cohort.groupings.get(name), cohort.survival.get(name)
        if grouping is None or result is None:
            continue
        figure = km_figure(result.curves, result.risk_table, result.summary, confidence=result.confidence,
                           legend_title=grouping.title, y_label=Y_LABELS["pfs"],
                           x_label="Months since first trastuzumab dose",
                           empty_text="No patient with a PFS time and status in this grouping.")
        figures[f"figure-km-{name}"] = (f"PFS by {grouping.title} (Survival page)", _for_print(figure))
    return figures


def build_cohort_report(study: Study, params: AnalysisParameters = AnalysisParameters(),
                        knowledge_base: KnowledgeBase | None = None, *, cohort: CohortAnalysis | None = None,
                        generated_at: datetime | None = None, content_hash: str | None = None) -> CohortReport:
    """Gather the researcher's report of *study* under *params*.

    *cohort* is the cohort analysis when already computed (the dashboard's cache), else it is run here
    with *knowledge_base* (default: ``params.knowledge_base`` read from disk).

    Raises
    ------
    ReportError
        The study has no patients.
    """
    if study.patients.empty:
        raise ReportError(f"study {study.meta.study_id!r} has no patients: there is nothing to report")
    kb = knowledge_base or (cohort.resistance.knowledge_base if cohort is not None
                            else load_knowledge_base(params.knowledge_base))
    cohort = cohort or analyse_cohort(study, params, kb)
    kb_table = knowledge_base_table(kb)
    kb_table = kb_table[kb_table["field"].isin(["Version", "File", "SHA-256", "Rules"])].reset_index(drop=True)
    return CohortReport(
        study_id=study.meta.study_id,
        study_name=study.meta.name,
        findings=tuple(cohort_findings(cohort)),
        figures=cohort_figures(cohort),
        caveats=tuple(findings_caveats(cohort)),
        parameters=parameter_table(cohort.params),
        knowledge_base=kb_table,
        study_identity=study_identity(study, study.path or "(built in memory)", content_hash),
        provenance=provenance_table(study) if len(study.provenance) else pd.DataFrame(
            columns=["file", "bytes", "rows", "sha256"]),
        generated_at=generated_at or datetime.now(UTC),
    )


# ------------------------------------------------------------------------------------------------ HTML
def _exact(finding: Finding) -> str:
    if math.isnan(finding.estimate):
        return ""
    return f"{finding.estimate_label} {finding.estimate:.3g}".strip()


def _breakable(text: str) -> str:
    """*text* with a zero-width space after each "/": a narrow column wraps a gene list between genes
    ("ERBB2/ERBB4/PIK3C3/...") rather than inside a gene symbol."""
    return text.replace("/", "/\u200b")


def findings_frame(findings: tuple[Finding, ...]) -> pd.DataFrame:
    """The summary table of the findings (columns: keys of :data:`FINDING_LABELS`)."""
    return pd.DataFrame([{"topic": _breakable(f.topic), "value": f.value, "exact": _exact(f), "n": f.n,
                          "ci_text": f.ci_text, "test": f.test,
                          "p": f.p_text + (f" ({f.p_exact_text})" if f.p_text.startswith("<") else ""),
                          "page_name": f.page_name} for f in findings], columns=list(FINDING_LABELS))


def _finding_html(finding: Finding) -> str:
    caution = (f'<p class="caution" id="caution-{_text(finding.key)}">{_text(finding.caution)}</p>'
               if finding.caution else "")
    paper = f'<p class="paper muted">Wang et al. 2019: {_text(finding.paper)}</p>' if finding.paper else ""
    return (f'<div class="finding" id="finding-{_text(finding.key)}"><h3>{_text(finding.topic)}</h3>'
            f'<p class="statement">{_text(finding.statement)}</p>{caution}{paper}'
            f'<p class="muted">Shown on the {_text(finding.page_name)} page.</p></div>')


def _figure_html(figure_id: str, title: str, figure: go.Figure, first: bool) -> str:
    div = pio.to_html(figure, include_plotlyjs=first, full_html=False, div_id=figure_id,
                      config={"staticPlot": True, "displayModeBar": False, "responsive": False})
    return f'<div class="figure"><h3>{_text(title)}</h3><div class="figure-box">{div}</div></div>'


def render_cohort_html(report: CohortReport, paper: str = "a4") -> str:
    """The researcher's report as one HTML document laid out for *paper* (``"a4"`` or ``"letter"``)."""
    if paper.lower() not in PAPER_SIZES:
        raise ReportError(f"paper size {paper!r}: expected one of {', '.join(PAPER_SIZES)}")
    size = PAPER_SIZES[paper.lower()]
    generated = report.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    footer = _css_string(f"{report.research_use} Cohort report, study {report.study_id}. Page ")
    page_css = (f"@page {{ size: {size}; @bottom-left {{ content: {footer} counter(page) \" of \" counter(pages);"
                " font-size: 8pt; color: #333; } }")
    title = f"Researcher's report: study {report.study_name or report.study_id}"
    by_key = {f.key: f for f in report.findings}
    sections, first_figure = [], True
    for section_id, heading, keys, figure_ids in SECTIONS:
        items = [_finding_html(by_key[k]) for k in keys if k in by_key]
        for figure_id in figure_ids:
            if figure_id in report.figures:
                fig_title, figure = report.figures[figure_id]
                items.append(_figure_html(figure_id, fig_title, figure, first_figure))
                first_figure = False
        if items:
            sections.append(f'<section id="{section_id}"><h2>{_text(heading)}</h2>{"".join(items)}</section>')
    caveats = ("<ul>" + "".join(f"<li>{_text(c)}</li>" for c in report.caveats) + "</ul>" if report.caveats
               else '<p class="muted">No caveats.</p>')
    kb_version = report.knowledge_base.loc[report.knowledge_base["field"] == "Version", "value"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(title)}</title>",
        f"<style>{REPORT_CSS.read_text()}</style>",
        f"<style>{PRINT_CSS.read_text()}</style>",
        f"<style>{page_css}</style>",
        '</head><body class="report cohort-report">',
        '<header class="report-header">',
        f"<h1>{_text(title)}</h1>",
        f'<p class="meta">Study {_text(report.study_name or report.study_id)} ({_text(report.study_id)}); generated '
        f"{_text(generated)}; software version {_text(report.software_version)}; knowledge base version "
        f"{_text(kb_version.iloc[0] if len(kb_version) else 'unknown')}. The findings of Wang et al., Gut "
        "2019;68:1152-1161, reproduced on this study.</p>",
        f'<p class="research-use" id="research-use">{_text(report.research_use)}</p>',
        "</header>",
        '<section id="findings"><h2>Findings</h2>',
        table_html(findings_frame(report.findings), FINDING_LABELS, table_class="findings"),
        '<p class="muted">Results as the dashboard pages show them; exact estimates to 3 significant digits '
        "(proportions as fractions). p-values below 0.001 read &lt; 0.001, with the "
        "exact value in brackets.</p>",
        "</section>",
        *sections,
        f'<section id="caveats"><h2>Caveats</h2>{caveats}</section>',
        '<section id="methods"><h2>Methods</h2>',
        "".join(f"<p>{_text(p)}</p>" for p in METHODS),
        "<h3>Parameters in force</h3>",
        table_html(report.parameters, PARAMETER_LABELS, table_class="parameters"),
        "<h3>Knowledge base</h3>",
        table_html(report.knowledge_base, FIELD_LABELS, table_class="facts"),
        "</section>",
        '<section id="provenance"><h2>Provenance</h2>',
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


# ----------------------------------------------------------------------------------------------- files
def cohort_report_file_name(study_id: str, suffix: str = ".html") -> str:
    """``cohort-report-<study id>.html`` (characters outside ``[A-Za-z0-9._-]`` become ``_``).

    >>> cohort_report_file_name("demo_her2"), cohort_report_file_name("a b/c", ".pdf")
    ('cohort-report-demo_her2.html', 'cohort-report-a_b_c.pdf')
    """
    return f"cohort-report-{re.sub(r'[^A-Za-z0-9._-]', '_', study_id)}{suffix}"


def cohort_report_pdf(report: CohortReport, paper: str = "a4") -> bytes:
    """The report printed to PDF by headless Chromium."""
    return page_to_pdf(render_cohort_html(report, paper))


def write_cohort_report(study: Study, out: str | Path, params: AnalysisParameters = AnalysisParameters(),
                        knowledge_base: KnowledgeBase | None = None, paper: str = "a4") -> Path:
    """Write the researcher's report of *study* to *out*: ``.html`` (self-contained) or ``.pdf``.

    Raises
    ------
    ReportError
        A suffix other than .html/.pdf, an unknown paper size, an empty study, or the PDF cannot be printed.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".html", ".pdf"):
        raise ReportError(f"{out}: expected a file name ending in .html or .pdf, got {out.suffix or 'no suffix'!r}")
    if paper.lower() not in PAPER_SIZES:
        raise ReportError(f"paper size {paper!r}: expected one of {', '.join(PAPER_SIZES)}")
    report = build_cohort_report(study, params, knowledge_base)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pdf":
        out.write_bytes(cohort_report_pdf(report, paper))
    else:
        out.write_text(render_cohort_html(report, paper), encoding="utf-8")
    return out


__all__ = ["CohortReport", "build_cohort_report", "cohort_report_file_name", "cohort_report_pdf",
           "findings_frame", "render_cohort_html", "write_cohort_report"]
