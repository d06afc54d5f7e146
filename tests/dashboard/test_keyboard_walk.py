"""Keyboard only: Tab walks every control and table of every page in order, never trapped, focus visible
(issue 11.1)."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.pages import PAGES, open_drawn

pytestmark = pytest.mark.browser


#: Every visible element Tab should reach, in document order, tagged so the walk can name it.
FOCUSABLE = """
const sel = 'a[href], svg a, button:not([disabled]), input:not([disabled]):not([type=hidden]), select, textarea, '
          + 'details > summary, [tabindex]:not([tabindex="-1"]), .ag-root-wrapper';
const all = Array.from(document.querySelectorAll(sel)).filter(el => {
    // A table (AG Grid) is one stop: Tab enters it on a header cell (arrow keys move inside) and the next
    // Tab leaves it for its page buttons; its rows and cells are not stops of their own.
    const grid = el.closest('.ag-root-wrapper');
    if (grid && el !== grid && !el.closest('.ag-paging-panel')) { return false; }
    if (el.closest('[hidden], .print-only')) { return false; }
    // The content of a closed <details> is not reachable until it is opened (only its summary is).
    const closed = el.closest('details:not([open])');
    if (closed && !(el.tagName === 'SUMMARY' && el.parentElement === closed)) { return false; }
    if (el.tabIndex < 0 && el !== grid) { return false; }
    // A radio group is one stop (its checked option; arrow keys choose another).
    if (el.type === 'radio') {
        const group = el.closest('[role=radiogroup], fieldset') || el.form || document;
        const radios = Array.from(group.querySelectorAll('input[type=radio]'));
        const stop = radios.find(r => r.checked) || radios[0];
        if (el !== stop) { return false; }
    }
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && style.display !== 'none';
});
all.forEach((el, i) => el.setAttribute('data-walk', String(i)));
return all.length;
"""
ACTIVE = """
const focused = document.activeElement;
if (!focused || focused === document.body) { return null; }
const grid = focused.closest('.ag-root-wrapper');
const el = grid && !focused.closest('.ag-paging-panel') ? grid : focused;
if (!el.hasAttribute('data-uid')) { window.__uid = (window.__uid || 0) + 1; el.setAttribute('data-uid', window.__uid); }
const style = getComputedStyle(focused);
const visible = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
const name = el.tagName + (el.id ? '#' + el.id : '') + '.' + (el.getAttribute('class') || '');
return [el.getAttribute('data-walk'), name + '@' + el.getAttribute('data-uid'), visible];
"""

#: Focus stop *n* of the walk (a table: its first header cell, where Tab enters it).
FOCUS_STOP = """
const el = document.querySelector('[data-walk="' + arguments[0] + '"]');
const target = el && el.classList.contains('ag-root-wrapper') ? el.querySelector('.ag-header-cell') : el;
if (target) { target.focus(); }
"""


def _settled_stops(driver, timeout: float = 30) -> int:
    """The number of focus stops once the page stops growing (tables and figures filled in late)."""
    deadline = time.monotonic() + timeout
    previous = driver.execute_script(FOCUSABLE)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        current = driver.execute_script(FOCUSABLE)
        if current == previous:
            return current
        previous = current
    return previous


def _shift_tab_goes_back(driver, stop: int) -> bool:
    """Whether Shift+Tab from focus stop *stop* reaches an earlier stop (stops tagged again first: a part
    of the page redrawn since the walk has new elements)."""
    driver.execute_script(FOCUSABLE)
    driver.execute_script(FOCUS_STOP, stop)
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    back = driver.execute_script(ACTIVE)
    return back is not None and back[0] is not None and int(back[0]) < stop


def test_tab_walks_every_control_in_order_with_visible_focus(dash_duo, demo_study_dir, tmp_path):
    dash_duo.start_server(create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache")))
    problems = {}
    for path in PAGES:
        open_drawn(dash_duo.driver, dash_duo.server_url, path)
        n = _settled_stops(dash_duo.driver)
        dash_duo.driver.execute_script("document.activeElement && document.activeElement.blur(); "
                                       "window.scrollTo(0, 0);")
        seen, order, invisible, stuck = set(), [], [], []
        previous = None
        for _ in range(n + 15):
            ActionChains(dash_duo.driver).send_keys(Keys.TAB).perform()
            active = dash_duo.driver.execute_script(ACTIVE)
            if active is None:
                continue
            walk, name, visible = active
            if name == previous:
                stuck.append(name)
            previous = name
            if not visible:
                invisible.append(name.split("@")[0])
            if walk is not None:
                seen.add(int(walk))
                order.append(int(walk))
        missed = sorted(set(range(n)) - seen)
        backwards = [(a, b) for a, b in zip(order, order[1:], strict=False) if b < a and b != order[0]]
        if missed or stuck or invisible or backwards:
            problems[path] = {"focusable": n, "missed": missed[:10], "stuck": stuck[:3],
                              "no visible focus": sorted(set(invisible))[:5], "backwards": backwards[:3]}
        # Shift+Tab goes back the same way (never trapped going backwards either): from each stop after the
        # first, it reaches an earlier stop.
        stops = sorted(seen)
        for stop in stops[1:]:
            if not any(_shift_tab_goes_back(dash_duo.driver, stop) for _ in range(2)):  # twice: a late redraw
                problems.setdefault(path, {}).setdefault("shift-tab from", []).append(stop)
    assert problems == {}, "\n".join(f"{p}: {v}" for p, v in problems.items())
