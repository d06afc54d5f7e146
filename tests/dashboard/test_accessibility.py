"""axe-core on every page: no "serious" or "critical" accessibility violation (issue 11.8).

axe-core (npm, pinned in the Makefile; ``make test`` installs it under ``.cache/npm``) is injected into
each page once its figures and tables are drawn, and run on the whole document.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.pages import PAGES, open_drawn

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


def test_no_serious_or_critical_violations_on_any_page(dash_duo, demo_study_dir, tmp_path):
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed at {AXE}: run `make test` (it installs it with npm)")
    script = AXE.read_text(encoding="utf-8")
    dash_duo.start_server(create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache")))
    dash_duo.driver.set_script_timeout(60)
    found = {}
    for path in PAGES:
        open_drawn(dash_duo.driver, dash_duo.server_url, path)
        dash_duo.driver.execute_script(script)
        violations = dash_duo.driver.execute_async_script(RUN_AXE)
        if violations:
            found[path] = violations
    assert found == {}, "\n".join(f"{path}: {v['impact']} {v['id']} ({v['help']}): {v['nodes']}"
                                  for path, vs in found.items() for v in vs)
