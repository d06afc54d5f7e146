"""Data page: parameters / knowledge base / cache for the parameters in force; opening another study.

Opening runs in two callbacks: a background job (another process) reads and validates the folder
with a progress bar, and a normal callback in the server process switches the dashboard to it
(see :mod:`dashboard.study_switch`).
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from analysis import ANALYSIS_VERSION
from analysis.errors import AnalysisError, InputError, StudyValidationError
from analysis.export import export_zip
from analysis.resistance import load_knowledge_base
from dashboard import ids, shared_study
from dashboard.analysis_cache import CODE_FINGERPRINT
from dashboard.analysis_service import get_analysis_service
from dashboard.components.tables import data_table, export_filename
from dashboard.parameters import params_from_store, params_to_query, query_string
from dashboard.study_switch import prepare_study, switch_study
from dashboard.views.data import (
    PARAMETER_LABELS,
    VALIDATION_LABELS,
    cache_table,
    knowledge_base_table,
    open_outcome_text,
    parameter_table,
    validation_table,
)


def field_list(frame: pd.DataFrame, list_id: str | None = None) -> html.Dl:
    """``field, value`` rows as a definition list (long values such as hashes wrap)."""
    props = {"id": list_id} if list_id else {}
    items = []
    for field, value in frame[["field", "value"]].itertuples(index=False):
        items += [html.Dt(field), html.Dd(str(value))]
    return html.Dl(items, className="field-list", **props)


def parameter_sections(params) -> list:
    """Sections for the parameters in force, the knowledge base they name, and the result cache."""
    service = get_analysis_service()
    try:
        kb = field_list(knowledge_base_table(load_knowledge_base(service.knowledge_base_path(params))))
    except InputError as exc:
        kb = html.Div(className="alert alert-error", role="alert", children=[
            html.Strong("The knowledge base cannot be read. "), str(exc)])
    cache = service.cache
    facts = cache_table(
        analysis_version=ANALYSIS_VERSION, directory=cache.directory, entries=len(cache.disk),
        volume_bytes=cache.disk.volume(), study_hash=service.study_hash(),
        cohort_key=service.cohort_key(params),
        cohort_cached=service.cohort_is_cached(params), code_fingerprint=CODE_FINGERPRINT)
    changed = params_to_query(params)
    return [
        html.Section([
            html.H2("Parameters in force"),
            html.P((f"{len(changed)} changed from the defaults" if changed else "All defaults")
                   + "; change them in the panel at the top of any page (they travel in the URL).",
                   className="muted"),
            data_table(parameter_table(params), f"{ids.DATA_PARAMETERS}-table", PARAMETER_LABELS,
                       page_size=25),
        ]),
        html.Section([html.H2("Resistance knowledge base"), html.Div(kb, id=ids.DATA_KNOWLEDGE_BASE)]),
        html.Section([html.H2("Analysis version and cache"), field_list(facts, ids.DATA_CACHE)]),
    ]


def refresh_parameters(params_query):
    """The parameter panel changed: show the new parameters, knowledge base and cache state."""
    return parameter_sections(params_from_store(params_query))


def open_study_job(set_progress, _clicks, _submits, text):
    """Background job: read and validate the folder (reporting coarse steps); hand the study over."""
    def report(done: int, total: int, label: str) -> None:
        set_progress((str(done), str(total), f" {label}"))

    return prepare_study(text, progress=report, handoff=get_analysis_service().cache.disk)


def apply_opened_study(result, params_query):
    """Server process: switch to a study that validated, or show why it was refused (current study kept)."""
    if not result:
        raise PreventUpdate
    if result.get("ok"):
        try:
            handoff = get_analysis_service().cache.disk
            service = switch_study(result["folder"], handoff, result.get("token", ""))
        except StudyValidationError as exc:
            report = exc.report
            result = {**result, "ok": False, "message": str(exc), "n_errors": len(report.errors),
                      "n_warnings": len(report.warnings), "messages": report.to_frame().to_dict("records")}
        except (AnalysisError, OSError) as exc:
            result = {**result, "ok": False, "message": str(exc), "n_errors": 0}
        else:
            shared_study.announce(service.folder)  # every other server process follows before its next request
            name = service.study.meta.name or service.study.meta.study_id
            query = query_string(params_from_store(params_query), {"opened": name})
            href = dash.get_relative_path("/data") + query
            return html.Div(open_outcome_text(result), className="alert alert-ok"), None, href
    current = get_analysis_service().study.meta
    outcome = html.Div(className="alert alert-error", role="alert", children=[
        html.Strong(open_outcome_text(result)),
        html.Span(f" The current study ({current.name or current.study_id}) stays open."),
    ])
    report = None
    if result.get("messages"):
        report = html.Div([
            html.H3("Validation report of the refused folder"),
            data_table(validation_table(result["messages"]), f"{ids.DATA_OPEN_REPORT}-table",
                       VALIDATION_LABELS, page_size=25),
        ])
    return outcome, report, no_update


def export_study_zip(clicks, params_query):
    """The Export button: the open study with its derived columns, as a zip for download."""
    if not clicks:
        raise PreventUpdate
    service = get_analysis_service()
    study = service.study
    try:
        cohort = service.cohort(params_from_store(params_query))
        content = export_zip(study, cohort)
    except (AnalysisError, OSError) as exc:
        return no_update, html.Div(className="alert alert-error", role="alert",
                                   children=[html.Strong("Export failed. "), str(exc)])
    filename = export_filename("data", f"{study.meta.study_id}-with-derived-columns", extension="zip")
    status = html.Div(f"Exported {study.meta.name or study.meta.study_id} as {filename}.", className="muted")
    return dcc.send_bytes(content, filename), status


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    app.callback(
        Output(ids.DATA_PARAMETERS, "children"),
        Input(ids.PARAMS, "data"),
        prevent_initial_call=True,
    )(refresh_parameters)
    app.callback(
        Output(ids.DATA_OPEN_RESULT, "data"),
        Input(ids.DATA_OPEN_BUTTON, "n_clicks"),
        Input(ids.DATA_OPEN_PATH, "n_submit"),
        State(ids.DATA_OPEN_PATH, "value"),
        background=True,
        progress=[Output(ids.DATA_OPEN_PROGRESS_BAR, "value"), Output(ids.DATA_OPEN_PROGRESS_BAR, "max"),
                  Output(ids.DATA_OPEN_PROGRESS_LABEL, "children")],
        running=[(Output(ids.DATA_OPEN_BUTTON, "disabled"), True, False),
                 (Output(ids.DATA_OPEN_PROGRESS, "hidden"), False, True)],
        prevent_initial_call=True,
    )(open_study_job)
    app.callback(
        Output(ids.DATA_EXPORT_DOWNLOAD, "data"),
        Output(ids.DATA_EXPORT_STATUS, "children"),
        Input(ids.DATA_EXPORT_BUTTON, "n_clicks"),
        State(ids.PARAMS, "data"),
        prevent_initial_call=True,
    )(export_study_zip)
    app.callback(
        Output(ids.DATA_OPEN_OUTCOME, "children"),
        Output(ids.DATA_OPEN_REPORT, "children"),
        Output(ids.DATA_NAVIGATE, "href"),
        Input(ids.DATA_OPEN_RESULT, "data"),
        State(ids.PARAMS, "data"),
        prevent_initial_call=True,
    )(apply_opened_study)
