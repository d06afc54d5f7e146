"""Private by default: no page asks any host but its own, and no figure can be sent to a cloud service.

Every resource the browser fetched (scripts, styles, callbacks, images) is read back from the
page's Resource Timing entries after each page has drawn its figures.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from dashboard.components.graphs import GRAPH_CONFIG
from dashboard.server import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser

PAGES = ["/", "/cohort", "/patient/P033", "/concordance", "/response", "/resistance", "/survival", "/data"]

RESOURCE_URLS = "return performance.getEntriesByType('resource').map(e => e.name);"
CLOUD_BUTTONS = ("return Array.from(document.querySelectorAll('.modebar-btn'))"
                 ".map(b => (b.getAttribute('data-title') || '')).filter(t => /cloud|chart studio|share/i.test(t));")


def test_graph_config_offers_no_upload():
    assert GRAPH_CONFIG["showSendToCloud"] is False
    assert GRAPH_CONFIG["showEditInChartStudio"] is False
    assert GRAPH_CONFIG["plotlyServerURL"] == ""


def test_no_page_requests_another_host_or_offers_a_cloud_button(dash_duo, demo_study_dir, tmp_path):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    own = urlparse(dash_duo.server_url).netloc
    foreign: dict[str, list[str]] = {}
    graphs_seen = 0
    for path in PAGES:
        dash_duo.driver.get(dash_duo.server_url + path)
        dash_duo.wait_for_element("#page-content, main, .page", timeout=15)
        dash_duo.wait_for_no_elements("._dash-loading", timeout=20)
        plots = dash_duo.driver.find_elements("css selector", ".js-plotly-plot")
        graphs_seen += len(plots)
        urls = dash_duo.driver.execute_script(RESOURCE_URLS)
        others = [u for u in urls if urlparse(u).scheme in ("http", "https") and urlparse(u).netloc != own]
        if others:
            foreign[path] = others
        assert dash_duo.driver.execute_script(CLOUD_BUTTONS) == [], path
    assert foreign == {}
    assert graphs_seen > 0  # the modebar check looked at real figures
