"""The Survival page in a real headless Chromium on the demo cohort."""

from __future__ import annotations

import pytest

from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.absent import count
from tests.dashboard.grid import grid_headers, grid_rows, wait_for_rows

pytestmark = pytest.mark.browser

KM_NAMES_JS = ("return document.querySelector('#survival-km .js-plotly-plot')._fullData"
               ".filter(t => t.meta && t.meta.role === 'km').map(t => t.name);")
LEGEND_JS = "return Array.from(document.querySelectorAll('#survival-km .legendtext')).map(e => e.textContent);"


def _rows(dash_duo, table_id: str) -> list[list[str]]:
    return grid_rows(dash_duo, table_id)


def test_choosing_a_grouping_redraws_the_km_plot_and_its_p_value(dash_duo, demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/survival")
    dash_duo.wait_for_contains_text("#survival-pvalue", "Log-rank p < 0.001 (3 groups", timeout=30)
    # The exact value is on hover (1.48e-05 for the paper's grouping on the demo).
    assert dash_duo.find_element("#survival-pvalue span").get_attribute("title").startswith("exact p = 1.48e-05")
    assert dash_duo.driver.execute_script(KM_NAMES_JS) == ["0 (n=11)", "1 (n=7)", "2+ (n=6)"]
    assert dash_duo.driver.execute_script(LEGEND_JS) == ["0 (n=11)", "1 (n=7)", "2+ (n=6)"]
    stats = _rows(dash_duo, "survival-stats-table")
    assert [row[:4] for row in stats] == [["0", "11", "4", "7"], ["1", "7", "7", "0"], ["2+", "6", "6", "0"]]
    assert stats[0][5] == "1 (reference)"
    # The paper's grouping is shown, with the guarantee-time caution beside its p-value.
    assert "guarantee-time bias" in dash_duo.find_element("#survival-bias-note").text

    dash_duo.select_dcc_dropdown("#survival-group", value="Baseline plasma PI3K or ERBB2/ERBB4 mutation")
    dash_duo.wait_for_contains_text("#survival-pvalue", "Log-rank p < 0.001 (2 groups", timeout=20)
    assert dash_duo.driver.execute_script(KM_NAMES_JS) == ["no (n=16)", "yes (n=8)"]
    assert dash_duo.driver.execute_script(LEGEND_JS) == ["no (n=16)", "yes (n=8)"]
    assert "group=baseline_mutation" in dash_duo.driver.current_url
    # Known at day 0: no caution.  The note is drawn with the p-value sentence (one callback) waited for above, so
    # it is counted at once (find_elements waited dash.testing's 2 s implicit wait for the absent note).
    assert count(dash_duo.driver, "#survival-bias-note") == 0

    # "Any alteration in gene X": computed on request; a one-patient group is reported as too small.
    dash_duo.select_dcc_dropdown("#survival-group", value="Any alteration in a gene ...")
    dash_duo.wait_for_element("#survival-gene-field:not([hidden])", timeout=10)
    # Genes come most altered first, with their count over the whole study: the most altered is drawn at once.
    dash_duo.wait_for_contains_text("#survival-title", "Any TP53 alteration", timeout=20)
    assert dash_duo.find_element("#survival-gene").text.startswith("TP53 (78 of 78 patients altered)")
    dash_duo.select_dcc_dropdown("#survival-gene", value="KRAS (7 of 78 patients altered)")
    dash_duo.wait_for_contains_text("#survival-pvalue", "not testable", timeout=20)
    stats = _rows(dash_duo, "survival-stats-table")
    assert stats[1][:6] == ["KRAS altered", "1", "1", "0", "too small to estimate", "too small"]
    assert "group=gene" in dash_duo.driver.current_url and "gene=KRAS" in dash_duo.driver.current_url

    # The page state is read back from a shared link.
    dash_duo.driver.get(dash_duo.server_url + "/survival?group=attribute&attribute=lauren")
    dash_duo.wait_for_contains_text("#survival-pvalue", "Log-rank p = 0.25 (3 groups", timeout=30)
    assert dash_duo.driver.execute_script(KM_NAMES_JS) == ["diffuse (n=5)", "intestinal (n=17)", "mixed (n=2)"]

    # The landmark analysis: mechanisms detected by day 90, PFS from day 90, early progressors left out.
    dash_duo.driver.get(dash_duo.server_url + "/survival?group=landmark_mechanisms&landmark=90")
    dash_duo.wait_for_contains_text("#survival-title", "detected by day 90", timeout=30)
    dash_duo.wait_for_element("#survival-landmark-field:not([hidden])", timeout=10)
    assert count(dash_duo.driver, "#survival-bias-note") == 0  # drawn with the title (one callback) waited for
    assert "Landmark day 90: 7 patient(s)" in dash_duo.find_element("#survival-caveats").text
    assert dash_duo.get_logs() == []


def test_a_study_with_overall_survival_only_opens_on_os_by_its_most_altered_gene(dash_duo, tmp_path):
    from analysis.io.cbioportal import write_study
    from tests.analysis.test_pfs_groups import make_os_only_study

    folder = write_study(make_os_only_study(), tmp_path / "os_only")
    app = create_app(Settings(study=folder, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/survival")
    dash_duo.wait_for_contains_text("#survival-title", "Overall survival: Any TP53 alteration", timeout=30)
    dash_duo.wait_for_contains_text("#survival-pvalue", "Log-rank p", timeout=20)
    assert "no PFS data in this study" in dash_duo.find_element("#survival-endpoint").text
    pfs_input = dash_duo.find_element("#survival-endpoint input[value='pfs']")
    assert not pfs_input.is_enabled()
    wait_for_rows(dash_duo, "survival-stats-table")
    headers = grid_headers(dash_duo, "survival-stats-table")
    assert "Deaths" in headers and "Progressions" not in headers
    assert dash_duo.driver.execute_script(KM_NAMES_JS) == ["TP53 not altered (n=20)", "TP53 altered (n=20)"]

    dash_duo.driver.get(dash_duo.server_url + "/survival?group=attribute&attribute=age")
    dash_duo.wait_for_contains_text("#survival-title", "split at the median", timeout=30)
    assert dash_duo.get_logs() == []
