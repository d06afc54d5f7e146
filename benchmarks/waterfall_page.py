"""Where one page's time to figures goes, in a real browser: a timeline of one warm page load.

Opens a page of a running dashboard in headless Chromium (as ``bench_browser.py`` does), once to warm
the server's caches and then ``--visits`` more times, and prints for the last visit, in milliseconds
since navigation start:

- every request (start, end, KiB as sent): scripts, the layout, the callback requests with their outputs;
- every ``Plotly.react`` / ``Plotly.newPlot`` call (start, duration, graph id) once plotly.js is loaded;
- JS long tasks (start, duration);
- when the heading appeared, when every graph was first drawn, when every table had rows.

With ``--profile`` it also prints the main thread's CPU by 50 ms window and the top functions (self
time) of a CPU profile of that visit.  A diagnostic, no assertions; the figures to report come from
``bench_browser.py``.

Usage::

    .venv/bin/python app.py --study data/demo --port 8097 &
    .venv/bin/python benchmarks/waterfall_page.py --port 8097 /concordance [--profile] [--in-app]
"""

from __future__ import annotations

import argparse
import collections
import shutil
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks.bench_browser import WAIT_JS, browser  # noqa: E402

#: Added before the page's scripts (after bench_browser's watcher): records requests' outputs, plotly
#: calls and the first time each graph and table is drawn.
TIMELINE_JS = """
(function () {
    const t = window.__her2;
    t.events = [];
    const fetch = window.fetch;
    window.fetch = function (url, init) {
        let label = String(url).replace(location.origin, '');
        if (label.includes('_dash-update-component') && init && init.body) {
            label = label.split('?')[0];
            try { label += ' ' + JSON.parse(init.body).output.slice(0, 90); } catch (e) {}
        }
        const start = performance.now();
        return fetch.apply(this, arguments).then((r) => {
            t.events.push(['fetch', start, performance.now() - start, label]);
            return r;
        });
    };
    function wrap() {
        if (!window.Plotly || window.Plotly.__wrapped) { return; }
        for (const name of ['react', 'newPlot', 'relayout', 'restyle', 'Plots.resize']) {
            const owner = name.startsWith('Plots.') ? window.Plotly.Plots : window.Plotly;
            const key = name.replace('Plots.', '');
            const real = owner[key];
            owner[key] = function (gd) {
                const start = performance.now();
                const id = (gd && gd.id) || (gd && gd.parentElement && gd.parentElement.id) || '?';
                const out = real.apply(this, arguments);
                const sync = performance.now() - start;
                Promise.resolve(out).then(() => t.events.push([name, start, sync, id,
                                                               performance.now() - start]));
                return out;
            };
        }
        window.Plotly.__wrapped = true;
    }
    const seen = {};
    function poll() {
        wrap();
        const now = performance.now();
        const h = document.querySelector('#_pages_content h1');
        if (h && !seen.heading) { seen.heading = 1; t.events.push(['heading', now, 0, h.textContent]); }
        document.querySelectorAll('#_pages_content .dash-graph').forEach((holder) => {
            const gd = holder.querySelector('.js-plotly-plot');
            const drawn = gd && gd._fullLayout && gd.querySelector('.main-svg')
                && ((gd.data && gd.data.length) || ((gd.layout || {}).annotations || []).length);
            if (drawn && !seen['g' + holder.id]) {
                seen['g' + holder.id] = 1; t.events.push(['graph drawn', now, 0, holder.id]);
            }
        });
        document.querySelectorAll('#_pages_content .her2-grid').forEach((grid) => {
            if (grid.querySelector('.ag-body [role=gridcell]') && !seen['t' + grid.id]) {
                seen['t' + grid.id] = 1; t.events.push(['table rows', now, 0, grid.id]);
            }
        });
        requestAnimationFrame(poll);
    }
    requestAnimationFrame(poll);
})();
"""


def _samples(profile: dict, until_us: float = float("inf")):
    """``(time_us, node, delta_us)`` of each sample of a CDP CPU profile, up to *until_us* (profile clock)."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    time = profile["startTime"]
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"], strict=False):
        time += delta
        if time > until_us:
            return
        yield time, nodes[node_id], delta


def cpu_by_window(profile: dict, start_us: float, width_ms: float = 50) -> dict[int, float]:
    """Main-thread ms of non-idle samples per *width_ms* window since *start_us* (profile clock)."""
    windows: dict[int, float] = collections.defaultdict(float)
    for time, node, delta in _samples(profile):
        if node["callFrame"]["functionName"] not in ("(idle)", "(program)"):
            windows[int((time - start_us) / 1000 // width_ms)] += delta / 1000
    return windows


def top_functions(profile: dict, until_us: float, n: int = 25) -> list[tuple[float, str]]:
    """Self time by function of the samples before *until_us* (profile clock)."""
    self_ms: dict[str, float] = collections.defaultdict(float)
    for _time, node, delta in _samples(profile, until_us):
        frame = node["callFrame"]
        url = frame["url"].rsplit("/", 1)[-1].split("?")[0]
        self_ms[f"{frame['functionName'] or '(anonymous)'} {url}:{frame['lineNumber']}"] += delta / 1000
    return sorted(((ms, name) for name, ms in self_ms.items()), reverse=True)[:n]


def callers(profile: dict, function: str, until_us: float, depth: int = 10, n: int = 6) -> list[tuple[float, str]]:
    """The commonest call chains (up to *depth* frames up) of samples in functions named *function*
    (``name`` or ``name@part-of-the-script-url``; an anonymous function's name is empty), before *until_us*."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    parent = {child: node["id"] for node in profile["nodes"] for child in node.get("children", [])}
    name, _, in_file = function.partition("@")
    chains: dict[str, float] = collections.defaultdict(float)
    for _time, node, delta in _samples(profile, until_us):
        if node["callFrame"]["functionName"] != name or in_file not in node["callFrame"]["url"]:
            continue
        chain, at = [], node["id"]
        while at in parent and len(chain) < depth:
            at = parent[at]
            frame = nodes[at]["callFrame"]
            script = frame["url"].rsplit("/", 1)[-1][:12]
            chain.append(f"{frame['functionName'] or '?'}@{script}:{frame['lineNumber']}:{frame['columnNumber']}")
        chains[" < ".join(chain)] += delta / 1000
    return sorted(((ms, chain) for chain, ms in chains.items()), reverse=True)[:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--visits", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--callers", nargs="*", default=[], help="function names whose call chains to print")
    parser.add_argument("--in-app", action="store_true", help="follow an app link from the Overview instead")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    driver = browser(args.chromium)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TIMELINE_JS})
    try:
        for _ in range(args.visits):
            driver.get(url + args.path)
            driver.execute_async_script(WAIT_JS, 60_000)
        if args.in_app:
            driver.get(url + "/")
            driver.execute_async_script(WAIT_JS, 60_000)
        if args.profile:
            driver.execute_cdp_cmd("Profiler.enable", {})
            driver.execute_cdp_cmd("Profiler.setSamplingInterval", {"interval": 200})
            driver.execute_cdp_cmd("Profiler.start", {})
        if args.in_app:
            driver.execute_script("window.__her2.events = []; window.__her2.navigate(arguments[0]);", args.path)
        else:
            driver.get(url + args.path)
        result = driver.execute_async_script(WAIT_JS, 60_000)
        events = driver.execute_script("return window.__her2.events;")
        start = driver.execute_script("return window.__her2.navStart;")
        resources = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => [e.name.replace(location.origin, ''),"
            " e.startTime, e.responseEnd - e.startTime, e.encodedBodySize]);")
        tasks = driver.execute_script("return window.__her2.longtasks || [];")
        # The page's time origin on the profiler's clock (CDP's "Timestamp" metric is that clock, in seconds).
        ticks = {m["name"]: m["value"] for m in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
        origin_us = ticks["Timestamp"] * 1e6 - driver.execute_script("return performance.now();") * 1000
        profile = driver.execute_cdp_cmd("Profiler.stop", {})["profile"] if args.profile else None
    finally:
        driver.quit()
    rows = [(s, d, "request", f"{name[:110]} ({size / 1024:.0f} KiB)") for name, s, d, size in resources
            if s >= start and "_dash-update-component" not in name]
    rows += [(s, d, kind, str(label)[:110] + (f" (done +{rest[0]:.0f})" if rest else ""))
             for kind, s, d, label, *rest in events]
    rows += [(s, d, "long task", "") for s, d in tasks if s >= start]
    print(f"{args.path}: all drawn {result['ms']} ms, figures {result['figuresMs']} ms "
          f"(from navigation start{' of the in-app link' if args.in_app else ''})")
    for s, d, kind, label in sorted(rows):
        print(f"{s - start:8.0f} {d:7.0f}  {kind:<12} {label}")
    if profile:
        nav_us = origin_us + start * 1000
        figures_us = nav_us + (result["figuresMs"] or 60_000) * 1000
        windows = cpu_by_window(profile, nav_us)
        print("\nCPU by 50 ms window from navigation start, ms busy:")
        print("  " + " ".join(f"{k * 50}:{v:.0f}" for k, v in sorted(windows.items()) if k >= 0))
        busy = sum(delta for _time, node, delta in _samples(profile, figures_us)
                   if node["callFrame"]["functionName"] not in ("(idle)", "(program)")) / 1000
        print(f"\nMain thread busy in scripts (not idle, not '(program)') up to the figures drawn: {busy:.0f} ms")
        print("\nTop functions up to the figures drawn, self ms:")
        for ms, name in top_functions(profile, figures_us):
            print(f"{ms:8.1f}  {name}")
        for function in args.callers:
            print(f"\nCallers of {function} (up to the figures drawn):")
            for ms, chain in callers(profile, function, figures_us):
                print(f"{ms:8.1f}  {chain}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
