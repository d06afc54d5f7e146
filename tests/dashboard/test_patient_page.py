"""The patient page in headless Chromium: a planted innate-resistance patient."""

from __future__ import annotations

import json

import pytest

from dashboard.server import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser


def test_innate_patient_shows_her2_rising_and_its_mechanism(dash_duo, demo_study_dir, tmp_path):
    truth = json.loads((demo_study_dir.parent / "demo.truth.json").read_text())
    pid, planted = next((pid, p) for pid, p in sorted(truth["patients"].items())
                        if p.get("resistance_class") == "innate" and p.get("mechanisms"))
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/patient/{pid}?cutoff=2.5")
    dash_duo.wait_for_contains_text("#patient-header", "Innate", timeout=20)
    summary = dash_duo.find_element("#patient-mechanism-summary").text
    for mechanism in planted["mechanisms"]:
        assert mechanism["gene"] in summary
    observed = dash_duo.driver.execute_script(
        "const plot = document.querySelector('#patient-timeline .js-plotly-plot');"
        "const trace = plot._fullData.find(t => t.name === 'Plasma ERBB2 CN (observed, copies)');"
        "return [Array.from(trace.x), Array.from(trace.y)];")
    days, copies = observed
    assert copies[-1] > copies[0], "ERBB2 copy number rises from baseline to progression"
    assert copies[-1] == pytest.approx(planted["erbb2_cn_progression"], rel=0.05)
    # The parameter from the URL is in force: the cutoff line sits at 2.5 copies.
    cutoff = dash_duo.driver.execute_script(
        "return document.querySelector('#patient-timeline .js-plotly-plot').layout.shapes.map(s => s.y0);")
    assert 2.5 in cutoff
    assert "cutoff=2.5" in dash_duo.driver.current_url
    # The next-patient link keeps the parameters.
    assert "cutoff=2.5" in dash_duo.find_element("#patient-next").get_attribute("href")
    assert dash_duo.get_logs() == []


def test_unknown_patient_says_so(dash_duo, demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/patient/NOBODY")
    dash_duo.wait_for_contains_text("h1", "Patient not found", timeout=10)
    assert "There is no patient NOBODY" in dash_duo.find_element(".lead").text
    assert dash_duo.get_logs() == []
