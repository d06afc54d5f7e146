"""Overview: what study is open, the paper's findings on it (each linking to its page), and what it holds."""

from __future__ import annotations

import dash
from dash import dcc, html

from analysis.params import AnalysisParameters
from analysis.summary import study_summary
from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.components.tables import data_table, stat_card
from dashboard.labels import her2_status_name, timepoint_name
from dashboard.page_frame import page_frame
from dashboard.study_service import get_service

dash.register_page(__name__, path="/", name="Overview", order=0, title="Overview - HER2 liquid biopsy")

SAMPLE_LABELS = {"sample_type": "Sample type", "timepoint": "Timepoint", "samples": "Samples", "patients": "Patients",
                 "undated": "Undated (no collection day)"}
HER2_LABELS = {"her2_status": "Pathology HER2 status", "patients": "Patients"}
WARNING_LABELS = {"file": "File", "line": "Line", "column": "Column", "message": "Finding", "expected": "Expected"}


def layout(**_query) -> html.Div:
    """The open study's counts, the findings (filled once the cohort analysis is ready), how the study was read,
    and its validation warnings."""
    service = get_service()
    study = service.study
    # Counted once per study (80 ms on 10,000 patients), then served from the analysis cache.
    summary = get_analysis_service().view("study-summary", AnalysisParameters(), lambda: study_summary(study))
    warnings = study.report.to_frame()
    warnings = warnings[warnings["level"] == "warning"].drop(columns=["level"])
    return page_frame(
        study.meta.name or study.meta.study_id, _query,
        html.Section(className="overview-findings", children=[
            html.Div(className="findings-head", children=[
                html.H2("Findings: Wang et al. 2019 reproduced on this study"),
                html.Div(className="report-actions", children=[
                    html.Button("Researcher's report (HTML)", id=ids.OVERVIEW_REPORT_HTML,
                                className="button-secondary"),
                    html.Button("Researcher's report (PDF)", id=ids.OVERVIEW_REPORT_PDF,
                                className="button-secondary"),
                    dcc.Loading(dcc.Download(id=ids.OVERVIEW_REPORT_DOWNLOAD), type="dot"),
                ]),
            ]),
            html.Div(id=ids.OVERVIEW_REPORT_ERROR),
            html.Div(id=ids.OVERVIEW_FINDINGS, className="findings-grid", children=[
                html.P("Computing the findings from the cohort analysis...", className="muted")]),
            html.P("Each number opens the page that shows it, with its table and figure; n, 95% CI and the test "
                   "are under it. The researcher's report holds every finding with its methods and the study's "
                   "file checksums.", className="muted"),
        ]),
        html.Div(id=ids.OVERVIEW_COUNTS, className="stat-row", children=[
            stat_card("patients", summary.n_patients, card_id="count-patients"),
            stat_card("samples", summary.n_samples, card_id="count-samples"),
            stat_card("patients followed with serial plasma", summary.n_followed_patients,
                      card_id="count-followed"),
            stat_card("serial plasma draws", summary.n_serial_draws, "baseline draw included",
                      card_id="count-serial-draws"),
            stat_card("progressions", summary.n_progressions, card_id="count-progressions"),
        ]),
        html.Div(className="two-col", children=[
            html.Section([
                html.H2("Samples by type and timepoint"),
                data_table(summary.samples_by_type_timepoint.assign(
                    timepoint=lambda t: t["timepoint"].map(timepoint_name)),
                    ids.OVERVIEW_SAMPLES_TABLE, SAMPLE_LABELS),
            ]),
            html.Section([
                html.H2("HER2 status (pathology: IHC 3+, or 2+ with FISH ratio \u2265 2.0)"),
                data_table(summary.her2_status.assign(her2_status=lambda t: t["her2_status"].map(her2_status_name)),
                           ids.OVERVIEW_HER2_TABLE, HER2_LABELS),
            ]),
        ]),
        html.Section(id=ids.OVERVIEW_NOTES, children=[
            html.H2("How the study was read"),
            html.Ul([html.Li(note) for note in study.notes]) if study.notes
            else html.P("Read as it is: no re-anchoring or other adjustment was needed."),
        ]),
        html.Section([
            html.H2(f"Validation warnings ({len(warnings)})"),
            data_table(warnings, ids.OVERVIEW_WARNINGS, WARNING_LABELS) if len(warnings)
            else html.P("No warnings: every file matched the study format.", id=ids.OVERVIEW_WARNINGS),
        ]),
        lead=study.meta.description or None,
    )
