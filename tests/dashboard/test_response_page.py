"""The Response page in headless Chromium: both AUCs with their CIs and the DeLong p, no console errors."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from analysis.cohort import analyse_cohort
from analysis.io.cbioportal import read_study
from dashboard.server import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser


def test_response_page_shows_both_aucs_with_cis_and_the_delong_p(dash_duo, demo_study_dir, tmp_path):
    response = analyse_cohort(read_study(demo_study_dir)).response
    auc = response.auc.set_index("measure")
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/response")
    dash_duo.wait_for_contains_text("#response-auc-her2", "AUC", timeout=30)
    for measure, element in (("her2_cn", "#response-auc-her2"), ("cea", "#response-auc-cea")):
        row = auc.loc[measure]
        text = dash_duo.find_element(element).text
        assert f"AUC {row['auc']:.2f} (95% CI {row['ci_low']:.2f}\u2013{row['ci_high']:.2f}" in text, text
        assert f"{int(row['n_pos'])} scans with PD, {int(row['n_neg'])} without" in text
    delong = dash_duo.find_element("#response-delong").text
    # p below 0.001 reads "p < 0.001" with the exact value beside it (issue 9.9)
    assert "p < 0.001" in delong and f"exact p = {response.delong.p_value:.3g}" in delong
    assert f"difference {response.delong.difference:.2f}" in delong
    # Both ROC curves are drawn, HER2 CN above CEA on the demo cohort.
    names = dash_duo.driver.execute_script(
        "return document.querySelector('#response-roc .js-plotly-plot').data.map(t => t.name);"
    )
    assert any(n.startswith("Plasma HER2 CN: AUC") for n in names) and any(
        n.startswith("Serum CEA: AUC") for n in names
    )
    assert auc.loc["her2_cn", "auc"] > auc.loc["cea", "auc"]
    # Scans without a draw in the window say so in the table.
    n_unpaired = int(response.pairs["erbb2_cn"].isna().sum())
    assert n_unpaired > 0
    dash_duo.wait_for_contains_text(
        "#response-pairs-table", "no plasma draw within 14 days of this scan", timeout=10
    )
    assert "progressors" in dash_duo.find_element("#response-lead-summary").text
    assert dash_duo.get_logs() == []


def test_clicking_a_scan_opens_its_patient(dash_duo, demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/response?cutoff=2.5")
    dash_duo.wait_for_element("#response-scatter-cn .scatterlayer .point", timeout=30)
    point = dash_duo.find_elements("#response-scatter-cn .scatterlayer .point")[0]
    ActionChains(dash_duo.driver).move_to_element(point).click().perform()
    dash_duo.wait_for_contains_text("h1", "Patient P", timeout=15)
    assert "/patient/P" in dash_duo.driver.current_url and "cutoff=2.5" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []
