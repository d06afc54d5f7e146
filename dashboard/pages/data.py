"""Data: which study is open, where it came from, how it validated, the parameters in force; open another."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.callbacks.data import field_list, parameter_sections
from dashboard.components.tables import data_table
from dashboard.page_frame import page_frame, parse_page_query
from dashboard.study_service import get_service
from dashboard.views.data import (
    CONTENT_LABELS,
    FILE_LABELS,
    PROVENANCE_LABELS,
    VALIDATION_LABELS,
    decided_files_table,
    fixed_thresholds,
    provenance_table,
    study_contents,
    study_identity,
    unread_files_table,
    validation_table,
)

dash.register_page(__name__, path="/data", name="Data", order=7, title="Data - HER2 liquid biopsy")


def open_study_section() -> html.Section:
    """A folder path, an Open button, a progress bar, and what came of it."""
    return html.Section(className="data-open", children=[
        html.H2("Open another study"),
        html.P("A study folder on this machine in the cBioPortal format (the folder holding meta_study.txt "
               "and data_*.txt). It is read and validated first; the dashboard switches to it only if it has "
               "no errors, otherwise the current study stays open and the full report is shown here.",
               className="muted"),
        html.Div(className="data-open-row", children=[
            html.Label("Study folder", htmlFor=ids.DATA_OPEN_PATH),
            dcc.Input(id=ids.DATA_OPEN_PATH, type="text", placeholder="/path/to/study", debounce=False,
                      className="data-open-path", autoComplete="off", spellCheck=False),
            html.Button("Open", id=ids.DATA_OPEN_BUTTON, className="button-primary", n_clicks=0),
        ]),
        html.Div(id=ids.DATA_OPEN_PROGRESS, className="cohort-progress", hidden=True, children=[
            html.Span("Opening: ", className="muted"),
            html.Progress(id=ids.DATA_OPEN_PROGRESS_BAR, value="0", max="4"),
            html.Span(id=ids.DATA_OPEN_PROGRESS_LABEL, className="muted"),
        ]),
        dcc.Store(id=ids.DATA_OPEN_RESULT),
        dcc.Location(id=ids.DATA_NAVIGATE, refresh=True),
        html.Div(id=ids.DATA_OPEN_OUTCOME, role="status", **{"aria-live": "polite"}),
        html.Div(id=ids.DATA_OPEN_REPORT),
    ])


def export_section() -> html.Section:
    """Download the open study, with the analysis' derived columns, as a cBioPortal study folder (zip)."""
    return html.Section(className="data-export", children=[
        html.H2("Export"),
        html.P("The open study as a cBioPortal study folder (zip), with the analysis' results as extra clinical "
               "attributes: per patient the resistance class, number of mechanisms, pathways and their statuses; "
               "per sample the tumour fraction and purity-adjusted ERBB2 copy number; case lists; and the "
               "concordance and survival statistics (derived_statistics.csv). Computed with the parameters in "
               "force; the same as `python -m analysis export`.", className="muted"),
        html.Button("Export study with derived columns", id=ids.DATA_EXPORT_BUTTON, className="button-primary",
                    n_clicks=0),
        dcc.Loading(html.Div(id=ids.DATA_EXPORT_STATUS, role="status", **{"aria-live": "polite"}), type="dot"),
        dcc.Download(id=ids.DATA_EXPORT_DOWNLOAD),
    ])


def files_section(study) -> html.Section:
    """Files not read (with why), and files whose kind was decided without a meta file."""
    unread = unread_files_table(study)
    decided = decided_files_table(study)
    return html.Section(id=ids.DATA_FILES, children=[
        html.H2(f"Files not read: {len(unread)}"),
        html.P("Every file in the study folder that the dashboard did not use, and why. Nothing in the folder "
               "is ignored without a word.", className="muted"),
        data_table(unread, ids.DATA_UNREAD, {k: FILE_LABELS[k] for k in ("file", "found_by", "reason")},
                   page_size=25) if len(unread) else html.P("Every file in the folder was read."),
        *([html.H3(f"Read without a meta file: {len(decided)}"),
           html.P("No meta file says what these hold; their name or header decided it.", className="muted"),
           data_table(decided, ids.DATA_DECIDED, FILE_LABELS)] if len(decided) else []),
    ])


def layout(opened: str | None = None, **query) -> html.Div:
    """The Data page; parameters, knowledge base and cache are refreshed by dashboard.callbacks.data."""
    service = get_service()
    study = service.study
    report = validation_table(study.report)
    params = parse_page_query(query).params
    notice = html.Div(className="alert alert-ok", role="status", children=[
        f"Opened {opened}. Every page now shows this study."]) if opened else None
    return page_frame(
        "Data", query,
        notice,
        html.Section([
            html.H2("Open study"),
            field_list(study_identity(study, service.folder.resolve(), get_analysis_service().study_hash()),
                       ids.DATA_STUDY),
        ]),
        open_study_section(),
        export_section(),
        html.Section([
            html.H2("What the study holds"),
            data_table(study_contents(study), ids.DATA_CONTENTS, CONTENT_LABELS),
        ]),
        files_section(study),
        html.Section([
            html.H2(f"Provenance: {len(study.provenance)} file(s) read"),
            html.P("Each file the reader used, with its size, the rows read and its SHA-256 checksum "
                   "(compare with `sha256sum FILE`).", className="muted"),
            data_table(provenance_table(study), ids.DATA_PROVENANCE, PROVENANCE_LABELS, page_size=50),
        ]),
        html.Section(id=ids.DATA_NOTES, children=[
            html.H2("How the study was read"),
            html.Ul([html.Li(note) for note in study.notes]) if study.notes
            else html.P("Read as it is: no re-anchoring of timeline dates or other adjustment was needed."),
        ]),
        html.Section([
            html.H2(f"Validation report: {len(study.report.errors)} error(s), {len(study.report.warnings)} "
                    "warning(s)"),
            html.P("Warnings say what was recovered (e.g. status words without a 0:/1: code), set missing "
                   "(unknown times) or flagged, with the rows they concern.", className="muted"),
            data_table(report, ids.DATA_VALIDATION, VALIDATION_LABELS, page_size=25) if len(report)
            else html.P("No findings: every file matched the study format.", id=ids.DATA_VALIDATION),
        ]),
        html.Div(id=ids.DATA_PARAMETERS, children=parameter_sections(params)),
        html.Section([
            html.H2("Fixed definitions"),
            html.P("Not parameters, but they shape the results (see docs/methods.md).", className="muted"),
            data_table(fixed_thresholds(), "data-fixed-thresholds",
                       {"name": "Definition", "value": "Value", "unit": "Unit"}),
        ]),
        needs_cohort=False,
        lead="Which study is open, where its numbers come from, and the settings every result was computed "
             "with.",
    )

