"""Named downloads: every table's CSV and every figure's PNG/SVG is named for its page, table, patient and
date (never dash_table's "Data.csv"); the Data page's study export and the Concordance page's statistics."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import date

import pandas as pd
import pytest
from dash import dash_table

from analysis.export import STATISTICS_COLUMNS
from dashboard import ids
from dashboard.components.graphs import graph
from dashboard.components.tables import (
    TABLE_DOWNLOAD,
    TABLE_EXPORT,
    ExportableTable,
    data_table,
    export_filename,
    export_stem,
)

TODAY = date.today().isoformat()


def _parts(component) -> dict:
    """The button, download and DataTable inside a data_table wrapper, by kind."""
    found = {}
    for child in component._traverse():
        if isinstance(child, dash_table.DataTable):
            found["table"] = child
        elif getattr(child, "id", None) and isinstance(child.id, dict):
            found[child.id["type"]] = child
    return found


def test_every_table_gets_a_named_csv_button_and_no_data_csv_export():
    table = data_table(pd.DataFrame({"gene": ["ERBB2"], "n": [3]}), ids.CONCORDANCE_GENE_TABLE, {"n": "N"})
    parts = _parts(table)
    assert parts["table"].id == ids.CONCORDANCE_GENE_TABLE  # callbacks keep writing its data
    assert getattr(parts["table"], "export_format", None) is None  # dash_table's export would be "Data.csv"
    assert parts[TABLE_EXPORT].id == {"type": TABLE_EXPORT, "table": ids.CONCORDANCE_GENE_TABLE}
    assert parts[TABLE_DOWNLOAD].id == {"type": TABLE_DOWNLOAD, "table": ids.CONCORDANCE_GENE_TABLE}
    info = json.loads(parts[TABLE_EXPORT].value)
    assert info == {"target": ids.CONCORDANCE_GENE_TABLE, "page": "concordance", "what": "per-gene",
                    "patient_source": ""}
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


def test_the_wrapper_passes_table_properties_through():
    table = data_table(pd.DataFrame({"vaf_pct": [1.5]}), "t")
    assert isinstance(table, ExportableTable)
    assert table.columns[0]["id"] == "vaf_pct"
    table.style_data = {"whiteSpace": "normal"}
    assert _parts(table)["table"].style_data == {"whiteSpace": "normal"}
    assert "id" not in table.to_plotly_json()["props"]  # the wrapper never takes the table's id


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
