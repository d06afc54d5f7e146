"""Named downloads: every table's CSV and every figure's PNG/SVG is named for its page, table, patient and
date (never "Data.csv" or "export.csv"); the Data page's study export and the Concordance page's statistics."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import dash_ag_grid as dag
import pandas as pd
import pytest

from analysis.export import STATISTICS_COLUMNS
from dashboard import ids
from dashboard.components.graphs import graph
from dashboard.components.tables import (
    MAX_TEXT_COLUMN_PX,
    TABLE_DOWNLOAD,
    TABLE_EXPORT,
    ExportableTable,
    data_table,
    export_filename,
    export_stem,
)

TODAY = date.today().isoformat()


def _parts(component) -> dict:
    """The button, download and grid inside a data_table wrapper, by kind."""
    found = {}
    for child in component._traverse():
        if isinstance(child, dag.AgGrid):
            found["table"] = child
        elif getattr(child, "id", None) and isinstance(child.id, dict):
            found[child.id["type"]] = child
    return found


def test_every_table_gets_a_named_csv_button_and_no_data_csv_export():
    table = data_table(pd.DataFrame({"gene": ["ERBB2"], "n": [3]}), ids.CONCORDANCE_GENE_TABLE, {"n": "N"})
    parts = _parts(table)
    assert parts["table"].id == ids.CONCORDANCE_GENE_TABLE  # callbacks keep writing its data
    # AG Grid's own export would name the file export.csv: it is never offered (no csvExportParams)
    assert getattr(parts["table"], "csvExportParams", None) is None
    assert parts[TABLE_EXPORT].id == {"type": TABLE_EXPORT, "table": ids.CONCORDANCE_GENE_TABLE}
    assert parts[TABLE_DOWNLOAD].id == {"type": TABLE_DOWNLOAD, "table": ids.CONCORDANCE_GENE_TABLE}
    info = json.loads(parts[TABLE_EXPORT].value)
    assert info == {"target": ids.CONCORDANCE_GENE_TABLE, "page": "concordance", "what": "per-gene",
                    "patient_source": "", "markdown": []}
    assert export_filename(info["page"], info["what"], day=date(2026, 12, 3)) == "concordance_per-gene_2026-12-03.csv"


def test_patient_tables_are_named_for_the_patient_shown():
    table = data_table(pd.DataFrame({"gene": []}), ids.PATIENT_ALTERATIONS)
    info = json.loads(_parts(table)[TABLE_EXPORT].value)
    assert info["patient_source"] == ids.PATIENT_ID  # the patient page's store of the patient shown
    assert export_filename(info["page"], info["what"], "P007", date(2026, 12, 3)) == \
        "patient_P007_alterations_2026-12-03.csv"


@pytest.mark.parametrize(("table_id", "name", "expected"), [
    (ids.SURVIVAL_STATS_TABLE, None, ("survival", "stats")),
    (ids.RESISTANCE_MECHANISM_TABLE, None, ("resistance", "mechanism")),
    (ids.OVERVIEW_SAMPLES_TABLE, None, ("overview", "samples")),
    (f"{ids.DATA_PARAMETERS}-table", None, ("data", "parameters")),
    (ids.COHORT_TABLE, "cohort-patients", ("cohort", "patients")),
    (ids.CONCORDANCE_PATIENT_TABLE, None, ("concordance", "per-patient")),
    ("data-fixed-thresholds", None, ("data", "fixed-thresholds")),
])
def test_default_names_come_from_the_table_id(table_id, name, expected):
    assert export_stem(table_id, name) == expected


def test_the_grid_types_aligns_formats_and_pins_columns():
    frame = pd.DataFrame({"patient": ["[P1](/patient/P1)"], "vaf_pct": [1.2345], "note": ["a long note " * 5],
                          "day": [None]})
    table = data_table(frame, "t", {"vaf_pct": "VAF (%)", "day": "Day"}, numeric={"day"},
                       markdown_columns=("patient",))
    assert isinstance(table, ExportableTable) and table.grid.id == "t"
    assert "id" not in table.to_plotly_json()["props"]  # the wrapper never takes the grid's id
    columns = {c["field"]: c for c in table.grid.columnDefs}
    assert columns["vaf_pct"]["headerName"] == "VAF (%)"
    # numbers (typed from the values, or declared for rows that arrive later) right-aligned, number filter
    for name in ("vaf_pct", "day"):
        assert columns[name]["type"] == "rightAligned" and columns[name]["filter"] == "agNumberColumnFilter"
    assert "d3.format('.3r')" in columns["vaf_pct"]["valueFormatter"]["function"]  # 3 significant digits
    assert table.grid.rowData[0]["vaf_pct"] == 1.2345  # the data (and so the CSV) keep the exact value
    assert table.grid.rowData[0]["day"] is None  # missing is an empty cell, never "NaN"
    # text columns start unwrapped (the browser switches wrapping on for text wider than the cap, whose value
    # travels in the grid context); the first column of a wide table stays in view when scrolling sideways
    assert columns["note"]["cellDataType"] == "text" and not columns["note"]["autoHeight"]
    assert table.grid.dashGridOptions["context"]["maxTextColumnPx"] == MAX_TEXT_COLUMN_PX > 0
    assert columns["patient"]["pinned"] == "left" and columns["patient"]["cellRenderer"] == "markdown"
    assert "linkTarget" not in columns["patient"]  # AG Grid warns on it; the renderer opens links in place
    assert json.loads(_parts(table)[TABLE_EXPORT].value)["markdown"] == ["patient"]
    # a header wraps between words, never inside one
    assert columns["vaf_pct"]["minWidth"] >= 8 * len("VAF")


def test_grid_options_keep_tab_moving_through_the_page_and_need_no_eval():
    grid = data_table(pd.DataFrame({"gene": ["ERBB2"]}), "t", page_size=7).grid
    options = grid.dashGridOptions
    assert options["pagination"] and options["paginationPageSize"] == 7
    # Tab leaves the grid (a keyboard user is never trapped in it)
    assert options["tabToNextCell"] == {"function": "leaveGrid(params)"}
    assert options["tabToNextHeader"] == {"function": "leaveGrid(params)"}
    # no HTML template string (dash-ag-grid blocks those as XSS without dangerously_allow_code), never allowed
    assert not any(key.endswith("Template") for key in options)
    assert not getattr(grid, "dangerously_allow_code", False)
    functions = (Path(__file__).parents[2] / "assets" / "grid_functions.js").read_text()
    for name in ("leaveGrid", "formatNumber", "markdownText", "fitColumns"):
        assert f"function {name}(" in functions


def test_figure_downloads_are_named_like_tables():
    figure = graph(ids.CONCORDANCE_SCATTER, filename="concordance-erbb2-scatter")
    buttons = [c for c in figure._traverse() if isinstance(getattr(c, "id", None), dict)]
    assert {b.id["format"] for b in buttons} == {"png", "svg"}
    for button in buttons:
        info = json.loads(button.value)
        assert (info["page"], info["what"]) == ("concordance", "erbb2-scatter")
        assert export_filename(info["page"], info["what"], day=date(2026, 12, 3), extension=button.id["format"]) \
            == f"concordance_erbb2-scatter_2026-12-03.{button.id['format']}"
    config = next(c for c in figure._traverse() if getattr(c, "id", None) == ids.CONCORDANCE_SCATTER).config
    assert config["toImageButtonOptions"]["filename"] == f"concordance_erbb2-scatter_{TODAY}"
    timeline = graph(ids.PATIENT_TIMELINE, filename="patient-P007-timeline")
    info = json.loads(next(c for c in timeline._traverse() if isinstance(getattr(c, "id", None), dict)).value)
    assert info["patient_source"] == ids.PATIENT_ID
    assert export_filename(info["page"], info["what"], "P007", date(2026, 12, 3), "svg") == \
        "patient_P007_timeline_2026-12-03.svg"


@pytest.fixture
def app(demo_study_dir, tmp_path):
    from dashboard.server import create_app
    from dashboard.settings import Settings

    return create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))


def test_data_page_export_is_a_named_zip_of_the_study_with_derived_columns(app):
    from dashboard.callbacks.data import export_study_zip
    from dashboard.study_service import get_service

    download, status = export_study_zip(1, {})
    study_id = get_service().study.meta.study_id
    assert download["filename"] == f"data_{study_id}-with-derived-columns_{TODAY}.zip"
    assert download["filename"] in str(status.children)
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(download["content"]))) as archive:
        names = archive.namelist()
        patients = archive.read(f"{study_id}_with_derived_columns/data_clinical_patient.txt").decode()
    assert f"{study_id}_with_derived_columns/case_lists/cases_sequenced.txt" in names
    assert "RESISTANCE_MECHANISM_STATUS" in patients.splitlines()[4].split("\t")


def test_concordance_statistics_download(app):
    from dash.exceptions import PreventUpdate

    from dashboard.callbacks.concordance import download_statistics

    with pytest.raises(PreventUpdate):
        download_statistics(1, None)  # the cohort analysis is not ready yet
    download = download_statistics(1, {})
    assert download["filename"] == f"concordance_statistics_{TODAY}.csv"
    table = pd.read_csv(io.StringIO(download["content"]))
    assert list(table.columns) == STATISTICS_COLUMNS
    assert set(table["page"]) == {"concordance", "survival"}
