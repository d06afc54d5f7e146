"""Private by default: no page asks any host but its own, and no figure can be sent to a cloud service.

Every resource the browser fetched (scripts, styles, callbacks, images) is read back from the
page's Resource Timing entries after each page has drawn its figures, in the shared walk of every page
(``tests/dashboard/test_page_walk.py``).
"""

from __future__ import annotations

from dashboard.components.graphs import GRAPH_CONFIG

RESOURCE_URLS = "return performance.getEntriesByType('resource').map(e => e.name);"
CLOUD_BUTTONS = ("return Array.from(document.querySelectorAll('.modebar-btn'))"
                 ".map(b => (b.getAttribute('data-title') || '')).filter(t => /cloud|chart studio|share/i.test(t));")


def test_graph_config_offers_no_upload():
    assert GRAPH_CONFIG["showSendToCloud"] is False
    assert GRAPH_CONFIG["showEditInChartStudio"] is False
    assert GRAPH_CONFIG["plotlyServerURL"] == ""
