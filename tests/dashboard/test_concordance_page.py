"""The Concordance page in headless Chromium: the keyboard-driven cutoff slider changes the HER2 2x2 table."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.keys import Keys

from analysis.concordance import concordance_analysis
from analysis.io.cbioportal import read_study
from dashboard.server import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser


def _hand_count(demo_study_dir, cutoff: float) -> tuple[int, int, int, int]:
    """a, b, c, d of plasma ERBB2 CN >= cutoff vs tissue NGS, counted pair by pair (not by the page)."""
    calls = concordance_analysis(read_study(demo_study_dir)).her2_calls
    counts = [0, 0, 0, 0]
    for plasma, tissue in zip(calls["plasma_erbb2_cn"], calls["tissue_amplified"], strict=True):
        called = plasma >= cutoff
        counts[(0 if tissue else 1) if called else (2 if tissue else 3)] += 1
    return tuple(counts)


def _counts(dash_duo) -> tuple[int, int, int, int]:
    return tuple(int(dash_duo.find_element(f"#concordance-ngs-{k} .count").text) for k in "abcd")


def test_keyboard_slider_changes_the_2x2_table_and_the_url(dash_duo, demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/concordance")
    at_default = _hand_count(demo_study_dir, 2.4)
    dash_duo.wait_for_text_to_equal("#concordance-ngs-a .count", str(at_default[0]), timeout=30)
    assert _counts(dash_duo) == at_default
    assert dash_duo.find_element("#concordance-ngs-n").text == "78"
    ppa_before = dash_duo.find_element("#concordance-ngs-ppa").text
    assert f"{at_default[0]}/{at_default[0] + at_default[2]}" in ppa_before

    # Six steps of 0.05 copies with the arrow key: 2.4 -> 2.7.
    thumb = dash_duo.find_element("#concordance-slider [role=slider]")
    thumb.click()
    for _ in range(6):
        thumb.send_keys(Keys.ARROW_RIGHT)
    at_2_7 = _hand_count(demo_study_dir, 2.7)
    assert at_2_7 != at_default, "the demo cohort has a plasma ERBB2 CN between 2.4 and 2.7"
    dash_duo.wait_for_text_to_equal("#concordance-ngs-a .count", str(at_2_7[0]), timeout=10)
    assert _counts(dash_duo) == at_2_7
    assert dash_duo.find_element("#concordance-ngs-ppa").text != ppa_before
    assert "slider=2.7" in dash_duo.driver.current_url
    # The scatter's cutoff line and the ROC operating point follow the slider.
    lines = dash_duo.driver.execute_script(
        "return document.querySelector('#concordance-scatter .js-plotly-plot').layout.shapes.map(s => s.y0);"
    )
    assert pytest.approx(2.7) in lines
    point = dash_duo.driver.execute_script(
        "const t = document.querySelector('#concordance-roc .js-plotly-plot').data"
        ".find(t => t.name.startsWith('slider')); return [t.name, t.y[0]];"
    )
    assert "2.7" in point[0] and point[1] == pytest.approx(at_2_7[0] / (at_2_7[0] + at_2_7[2]))

    # End jumps to the top of the range; the analysis-cutoff button brings it back.
    thumb.send_keys(Keys.END)
    at_max = _hand_count(demo_study_dir, 8.0)
    dash_duo.wait_for_text_to_equal("#concordance-ngs-a .count", str(at_max[0]), timeout=10)
    assert "slider=8" in dash_duo.driver.current_url
    dash_duo.find_element("#concordance-slider-analysis").click()
    dash_duo.wait_for_text_to_equal("#concordance-ngs-a .count", str(at_default[0]), timeout=10)
    assert dash_duo.get_logs() == []


def test_the_slider_value_in_a_shared_link_is_restored(dash_duo, demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/concordance?slider=3")
    expected = _hand_count(demo_study_dir, 3.0)
    dash_duo.wait_for_text_to_equal("#concordance-ngs-a .count", str(expected[0]), timeout=30)
    assert _counts(dash_duo) == expected
    assert "3 copies (slider)" in dash_duo.find_element("#concordance-slider-note").text
    # The pathology table is driven by the same slider.
    assert "CN \u2265 3 copies" in dash_duo.find_element("#concordance-pathology-table caption").text
    # Agreement, never sensitivity: the word appears only where the page says so.
    text = dash_duo.find_element("main").text.lower().replace("not sensitivity or specificity", "")
    assert "sensitivity" not in text and "specificity" not in text
    assert dash_duo.get_logs() == []
