"""The Data page in a real headless Chromium: checksums, parameters, opening a broken and a good study."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.server import create_app
from dashboard.settings import Settings
from dashboard.study_service import get_service
from tests.dashboard.grid import grid_rows

pytestmark = pytest.mark.browser


def _wait(dash_duo, condition, timeout: float = 30):
    return WebDriverWait(dash_duo.driver, timeout).until(lambda driver: condition())


def _cells(dash_duo, table_id: str) -> list[list[str]]:
    return grid_rows(dash_duo, table_id)


def _facts(dash_duo, list_id: str) -> dict[str, str]:
    terms = dash_duo.find_elements(f"#{list_id} dt")
    values = dash_duo.find_elements(f"#{list_id} dd")
    return {t.text: v.text for t, v in zip(terms, values, strict=True)}


def _open(dash_duo, folder) -> None:
    box = dash_duo.find_element("#data-open-path")
    dash_duo.clear_input(box)  # WebElement.clear() does not reach React's state
    box.send_keys(str(folder))
    dash_duo.find_element("#data-open-button").click()


@pytest.fixture
def data_app(dash_duo, demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.wait_for_page(dash_duo.server_url + "/data?cutoff=2.6")
    dash_duo.wait_for_element("#data-provenance", timeout=20)
    return dash_duo


def test_data_page_shows_checksums_and_parameters(data_app, demo_study_dir):
    dash_duo = data_app
    files = {row[0]: row for row in _cells(dash_duo, "data-provenance")}
    patient_file = demo_study_dir / "data_clinical_patient.txt"
    name, size, rows, sha = files["data_clinical_patient.txt"]
    assert sha == hashlib.sha256(patient_file.read_bytes()).hexdigest()
    assert int(size) == patient_file.stat().st_size and rows == "78"
    assert len(files) == len(list(demo_study_dir.glob("data_*.txt")))

    facts = _facts(dash_duo, "data-study")
    assert facts["Folder"] == str(demo_study_dir.resolve())
    assert len(facts["Content hash (SHA-256 over the tables)"]) == 64

    params = {row[0]: row for row in _cells(dash_duo, "data-parameters-table")}
    assert params["Plasma ERBB2 amplification cutoff"][1:5] == ["2.6", "copies", "2.4", "changed"]
    assert params["Innate resistance: PFS below"][1:5] == ["3.0", "months", "3.0", "default"]
    assert _facts(dash_duo, "data-knowledge-base")["Version"]
    assert _facts(dash_duo, "data-cache")["Analysis version"]
    assert dash_duo.get_logs() == []


def test_a_broken_study_is_refused_and_a_good_one_is_opened(data_app, demo_study_dir, tiny_study_dir,
                                                            tmp_path):
    dash_duo = data_app
    broken = tmp_path / "broken-demo"
    shutil.copytree(demo_study_dir, broken)
    patient_file = broken / "data_clinical_patient.txt"
    lines = patient_file.read_text().splitlines(keepends=True)
    header = lines[4].rstrip("\n").split("\t")
    column = header.index("PFS_MONTHS")
    line_no = next(i for i, line in enumerate(lines) if i > 4 and line.split("\t")[column].strip())
    cells = lines[line_no].split("\t")
    cells[column] = "six"
    lines[line_no] = "\t".join(cells)
    patient_file.write_text("".join(lines))

    _open(dash_duo, broken)
    dash_duo.wait_for_contains_text("#data-open-outcome", "was not opened: 1 error(s)", timeout=60)
    assert "stays open" in dash_duo.find_element("#data-open-outcome").text
    report = _cells(dash_duo, "data-open-report-table")
    assert ["error", "data_clinical_patient.txt", str(line_no + 1), "PFS_MONTHS"] == report[0][:4]
    assert "six" in report[0][4]
    # nothing switched: the server still serves the demo, and the page still says so
    assert get_service().folder == demo_study_dir
    assert _facts(dash_duo, "data-study")["Folder"] == str(demo_study_dir.resolve())
    assert dash_duo.find_element("#data-open-button").is_enabled()

    _open(dash_duo, tiny_study_dir)
    _wait(dash_duo, lambda: "Opened" in dash_duo.driver.page_source and
          _facts(dash_duo, "data-study").get("Study id") == "tiny", timeout=60)
    assert get_service().folder == tiny_study_dir.resolve()
    # the analysis follows: the cohort page counts the new study's patients
    dash_duo.wait_for_page(dash_duo.server_url + "/cohort")
    dash_duo.wait_for_text_to_equal("#cohort-count-patients .stat-value", "2", timeout=60)
    assert dash_duo.get_logs() == []
