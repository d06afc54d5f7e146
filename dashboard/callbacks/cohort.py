"""Cohort page: filters -> URL state; analysis + filters -> counts, swimmer plot, table; click -> patient."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.analysis_service import get_analysis_service
from dashboard.callbacks.concordance import caveat_list
from dashboard.callbacks.table_pages import PagedTable, register_table, source_of
from dashboard.components.tables import PAGES_PER_BLOCK, TABLE_SOURCE, rows_store, stat_card
from dashboard.figures.swimmer import swimmer_figure
from dashboard.parameters import params_from_store, query_string
from dashboard.views.cohort import (
    TABLE_LABELS,
    TABLE_NUMERIC,
    CohortFilters,
    cohort_caveats,
    cohort_counts,
    filter_patients,
    filters_from_controls,
    filters_from_query,
    filters_to_query,
    in_table_order,
    pathway_choices,
    patient_from_click,
    patient_rows,
    patient_table,
    percent_text,
    swimmer_note,
    swimmer_view,
)
from dashboard.views.patient_navigation import patient_path, walk_query

FILTER_INPUTS = [ids.COHORT_FILTER_HER2, ids.COHORT_FILTER_CLASS, ids.COHORT_FILTER_PATHWAY,
                 ids.COHORT_FILTER_FOLLOWED, ids.COHORT_UNIT]


def patient_href(patient_id: str, params_query: dict | None, filters: CohortFilters | None = None) -> str:
    """URL of a patient's page carrying the parameters in force, and the filters (previous/next on the patient
    page then walk the patients matching them)."""
    path = dash.get_relative_path(patient_path(patient_id))
    return path + query_string(params_from_store(params_query), walk_query(filters))


def filters_to_page_state(her2, resistance_class, pathway, followed, unit) -> dict:
    """The filters, as the page state the URL keeps."""
    return filters_to_query(filters_from_controls(her2, resistance_class, pathway, followed, unit))


def cohort_rows(params_query: dict | None):
    """One row per patient under the parameters in force (cached beside the cohort analysis)."""
    service = get_analysis_service()
    params = params_from_store(params_query)
    cohort = service.cohort(params)
    treatments = service.study.events("TREATMENT")
    rows = service.view("cohort-rows", params,
                        lambda: patient_rows(cohort.trajectories, cohort.resistance, treatments))
    return cohort, treatments, rows


def cohort_page_view(ready: dict, filters) -> dict:
    """The cacheable content of the Cohort page for one parameter set and one filter set (plain values)."""
    cohort, treatments, rows = cohort_rows(ready)
    counts = cohort_counts(rows)
    matching = filter_patients(rows, filters)
    view = swimmer_view(matching, cohort.trajectories, treatments)

    def href(pid: str) -> str:
        return patient_href(pid, ready, filters)

    figure = swimmer_figure(view, filters.unit, href).to_plotly_json()
    by_follow_up = in_table_order(matching)
    table = patient_table(by_follow_up, href)
    kb_pathways = cohort.resistance.knowledge_base.table["pathway"].unique()
    return {
        "counts": counts[["key", "label", "n", "denominator", "of"]].values.tolist(),
        "n_matching": len(matching), "n_rows": len(rows), "figure": figure, "note": swimmer_note(view),
        "records": table.astype(object).where(table.notna(), None).to_dict("records"),
        "options": [{"label": label, "value": value}
                    for value, label in pathway_choices(kb_pathways, filters.pathway)],
        "caveats": cohort_caveats(cohort.trajectories, cohort.resistance),
    }


#: Rows per page of the patient table.
TABLE_PAGE_SIZE = 20


def _cohort_content(ready, filters) -> dict:
    return get_analysis_service().view("cohort-page", params_from_store(ready),
                                       lambda: cohort_page_view(ready, filters), filters_to_query(filters), ready)


def table_frame(records: list[dict]) -> pd.DataFrame:
    """The patient table of :func:`cohort_page_view`'s records, as a frame (the server-paged table's rows)."""
    return pd.DataFrame.from_records(records, columns=list(TABLE_LABELS))


def patient_table_rows(key: dict) -> pd.DataFrame:
    """The patient table for a server-paged table's source key (``ready``, ``filters``), from the cached view."""
    filters = filters_from_query(key.get("filters"))[0]
    return table_frame(_cohort_content(key.get("ready"), filters)["records"])


def render_cohort(ready, her2, resistance_class, pathway, followed, unit, row_model=None):
    """Counts, matching line, swimmer plot, note, table rows (or, for a table paged on the server, the rows'
    source) and pathway choices for the filters."""
    if ready is None:
        raise PreventUpdate  # the cohort analysis is still being computed (progress bar shown)
    filters = filters_from_controls(her2, resistance_class, pathway, followed, unit)
    content = _cohort_content(ready, filters)
    cards = [
        stat_card(label, int(n), percent_text(int(n), int(d), of) if key != "patients" else "in the study",
                  card_id=f"cohort-count-{key}")
        for key, label, n, d, of in content["counts"]
    ]
    matching_text = html.Span([html.Strong(f"{content['n_matching']} of {content['n_rows']} patients"),
                               " match the filters."])
    records, source = content["records"], dash.no_update
    if row_model == "infinite":
        key = {"ready": ready, "filters": filters_to_query(filters)}
        records = dash.no_update
        source = source_of(ids.COHORT_TABLE, key, table_frame(content["records"]), TABLE_PAGE_SIZE * PAGES_PER_BLOCK)
    return (cards, matching_text, content["figure"], content["note"], records, content["options"],
            caveat_list(content["caveats"]), source)


def open_patient(click_data, params_query, page_state=None):
    """A click on a swimmer bar (or any mark of that patient's row) opens the patient's page."""
    patient_id = patient_from_click(click_data)
    if patient_id is None:
        raise PreventUpdate
    return patient_href(patient_id, params_query, filters_from_query(page_state)[0])


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    app.callback(
        Output(ids.PAGE_STATE, "data", allow_duplicate=True),
        *[Input(control, "value") for control in FILTER_INPUTS],
        prevent_initial_call=True,
    )(filters_to_page_state)
    app.callback(
        Output(ids.COHORT_COUNTS, "children"),
        Output(ids.COHORT_MATCHING, "children"),
        Output(ids.COHORT_SWIMMER, "figure"),
        Output(ids.COHORT_SWIMMER_NOTE, "children"),
        Output(rows_store(ids.COHORT_TABLE), "data"),
        Output(ids.COHORT_FILTER_PATHWAY, "options"),
        Output(ids.COHORT_CAVEATS, "children"),
        Output({"type": TABLE_SOURCE, "table": ids.COHORT_TABLE}, "data"),
        Input(ids.COHORT_READY, "data"),
        *[Input(control, "value") for control in FILTER_INPUTS],
        State(ids.COHORT_TABLE, "rowModelType"),
    )(render_cohort)
    register_table(app, PagedTable(ids.COHORT_TABLE, patient_table_rows, TABLE_LABELS, TABLE_NUMERIC,
                                   frozenset({next(iter(TABLE_LABELS))})))
    app.callback(
        Output(ids.COHORT_NAVIGATE, "href"),
        Input(ids.COHORT_SWIMMER, "clickData"),
        State(ids.PARAMS, "data"),
        State(ids.PAGE_STATE, "data"),
        prevent_initial_call=True,
    )(open_patient)
