"""The navigation marks the page shown: ``aria-current="page"`` and a visible underline (issue 11.6)."""

from __future__ import annotations

from dash import ALL, Input, Output

from dashboard import ids

#: Clientside: the link whose path is the page's path (a patient page marks none) is the current one.
CURRENT_PAGE_JS = """
function(pathname, ids) {
    const path = (pathname || "/").replace(/\\/+$/, "") || "/";
    const current = ids.map(id => id.path === path);
    window.requestAnimationFrame(() => {
        document.querySelectorAll(".nav .nav-link").forEach(link => {
            const linkPath = new URL(link.href, window.location.href).pathname.replace(/\\/+$/, "") || "/";
            if (linkPath === path) { link.setAttribute("aria-current", "page"); }
            else { link.removeAttribute("aria-current"); }
        });
    });
    return current.map(on => on ? "nav-link nav-current" : "nav-link");
}
"""


def register(app) -> None:
    """Wire this module's callbacks to *app*."""
    app.clientside_callback(
        CURRENT_PAGE_JS,
        Output({"type": ids.NAV_LINK, "path": ALL}, "className"),
        Input(ids.PAGES_LOCATION, "pathname"),
        Input({"type": ids.NAV_LINK, "path": ALL}, "id"),
    )
