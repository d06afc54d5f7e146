"""One walk of every page, four checks on each page (one page load serves them all):

- **clinical words** (issue 11.2): no internal code or raw non-number in the page's text or its figures' SVG
  text (the scan: ``tests/dashboard/test_page_words.py``);
- **private** (issue 11.5): no resource from any host but the page's own, and no "send to cloud" button
  (``tests/dashboard/test_privacy_requests.py``);
- **accessible** (issue 11.8): axe-core (npm, pinned in the Makefile; ``make test`` installs it under
  ``.cache/npm``), injected once the page's figures and tables are drawn and run on the whole document, finds
  no "serious" or "critical" violation;
- **the browser's own builtins**: Dash's polyfill replaced ``parseInt``, ``parseFloat`` and
  ``String.prototype.trim*`` with slower copies; the page has the browser's own back
  (``assets/native_builtins.js``), while the polyfill did run (it still replaced ``Math.sinh``).

Every problem found is reported, per check and page, before the test fails.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.absent import count
from tests.dashboard.pages import open_drawn
from tests.dashboard.test_page_words import PAGES, SVG_JS, TEXT_JS, findings
from tests.dashboard.test_privacy_requests import CLOUD_BUTTONS, RESOURCE_URLS

pytestmark = [pytest.mark.browser, pytest.mark.needs_tool("npm")]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AXE = Path(os.environ.get("HER2_AXE_JS", PROJECT_ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"))
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
    r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').slice(0, 160))}))),
    e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
"""

#: A function core-js (Dash's polyfill) replaced carries its own hidden source marker property; the
#: browser's own has only ``length`` and ``name``.
BUILTINS_JS = """
const own = (f) => typeof f === 'function' && Object.getOwnPropertyNames(f).sort().join(',') === 'length,name';
const checked = {parseInt: window.parseInt, parseFloat: window.parseFloat, 'Number.parseInt': Number.parseInt,
                 'Number.parseFloat': Number.parseFloat, trim: String.prototype.trim,
                 trimStart: String.prototype.trimStart, trimEnd: String.prototype.trimEnd};
return {replaced: Object.keys(checked).filter(k => !own(checked[k])), polyfillRan: !own(Math.sinh),
        parsed: [parseInt(' 42px'), parseFloat('\\n 1.5e3 '), ' a b '.trim()]};
"""


def test_every_page_in_words_private_accessible_with_the_browsers_builtins(dash_duo, demo_study_dir, tmp_path):
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed at {AXE}: run `make test` (it installs it with npm)")
    axe = AXE.read_text(encoding="utf-8")
    dash_duo.start_server(create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache")))
    driver = dash_duo.driver
    driver.set_script_timeout(60)
    own_host = urlparse(dash_duo.server_url).netloc
    problems: dict[str, dict[str, list]] = {"words": {}, "other hosts": {}, "cloud buttons": {}, "axe": {},
                                            "builtins": {}}
    graphs_seen = 0
    for path in PAGES:
        open_drawn(driver, dash_duo.server_url, path)
        dash_duo.wait_for_no_elements("[data-dash-is-loading=true]", timeout=30)
        graphs_seen += count(driver, ".js-plotly-plot")  # drawn by now (open_drawn); none on "/" and "/data"

        found = findings(driver.execute_script(TEXT_JS) + "\n" + driver.execute_script(SVG_JS))
        urls = driver.execute_script(RESOURCE_URLS)
        others = [u for u in urls if urlparse(u).scheme in ("http", "https") and urlparse(u).netloc != own_host]
        buttons = driver.execute_script(CLOUD_BUTTONS)
        builtins = driver.execute_script(BUILTINS_JS)
        builtin_problems = ([f"replaced: {builtins['replaced']}"] if builtins["replaced"] else []) + \
            ([] if builtins["polyfillRan"] else ["Dash's polyfill did not run: the check saw nothing"]) + \
            ([] if builtins["parsed"] == [42, 1500, "a b"] else [f"parsed {builtins['parsed']}"])
        driver.execute_script(axe)
        violations = driver.execute_async_script(RUN_AXE)

        for check, seen in (("words", found), ("other hosts", others), ("cloud buttons", buttons),
                            ("axe", violations), ("builtins", builtin_problems)):
            if seen:
                problems[check][path] = seen
    assert graphs_seen > 0  # the toolbar check looked at real figures
    assert all(not pages for pages in problems.values()), "\n".join(
        f"{check} on {path}: {seen}" for check, pages in problems.items() for path, seen in pages.items())
