"""Build the Dash app around one study service."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import dash
from dash import DiskcacheManager

import dashboard.callbacks
from dashboard import audit, auth, http_errors
from dashboard.analysis_cache import AnalysisCache
from dashboard.analysis_service import AnalysisService, set_analysis_service
from dashboard.disk_cache import SelfHealingCache
from dashboard.layout import shell
from dashboard.report_route import add_report_route
from dashboard.security_settings import check_security
from dashboard.settings import PROJECT_ROOT, Settings, set_settings
from dashboard.study_service import StudyService, set_service

PAGES_FOLDER = Path(__file__).resolve().parent / "pages"
ASSETS_FOLDER = PROJECT_ROOT / "assets"
#: The asset that keeps the browser's own parseInt/trim before Dash's polyfill loads (loaded in the head).
NATIVE_BUILTINS_JS = "native_builtins.js"


def callback_modules() -> list:
    """Every module of ``dashboard.callbacks``; each wires its callbacks in ``register(app)``."""
    names = sorted(m.name for m in pkgutil.iter_modules(dashboard.callbacks.__path__))
    return [importlib.import_module(f"dashboard.callbacks.{name}") for name in names]


def create_app(settings: Settings, service: StudyService | None = None) -> dash.Dash:
    """A multi-page Dash app serving *settings.study*.

    Raises
    ------
    StudyValidationError
        The study has errors; it is refused whole (the report lists them).
    SettingsError
        Served beyond loopback without login (dashboard.security_settings).
    """
    check_security(settings.security, settings.host)
    set_settings(settings)
    service = service or StudyService(settings.study, snapshot_dir=snapshot_dir(settings))
    set_service(service)
    set_analysis_service(AnalysisService(service, AnalysisCache(settings.cache_dir / "results")))
    jobs = DiskcacheManager(SelfHealingCache(str(settings.cache_dir / "jobs")))
    app = dash.Dash(
        # The package name, so that Dash imports the pages as dashboard.pages.<page>: the same
        # module a plain import gives, registered once (a second name registers each path twice).
        "dashboard",
        use_pages=True,
        pages_folder=str(PAGES_FOLDER),
        assets_folder=str(ASSETS_FOLDER),
        title="HER2 liquid biopsy",
        suppress_callback_exceptions=True,
        serve_locally=True,
        background_callback_manager=jobs,
        # Loaded in the head, before Dash's own scripts (below), not in the automatic asset list.
        assets_ignore=re.escape(NATIVE_BUILTINS_JS) + "$",
    )
    # The page language, for screen readers and hyphenation (axe-core: html-has-lang).
    app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)
    # The browser's own parseInt/trim, kept before Dash's polyfill replaces them (assets/native_builtins.js).
    builtins_js = f"{app.get_asset_url(NATIVE_BUILTINS_JS)}?m={_asset_version(NATIVE_BUILTINS_JS)}"
    app.index_string = app.index_string.replace("{%css%}", f'<script src="{builtins_js}"></script>{{%css%}}', 1)
    app.layout = shell
    for module in callback_modules():
        module.register(app)
    add_report_route(app)  # the tumour-board report as a plain download (GET /_her2/report/<id>.html|.pdf)
    add_security_headers(app)
    # Access control, audit and limits (dashboard.auth, dashboard.audit, dashboard.http_errors).
    log = audit.install(app, settings)
    auth.install(app, settings, on_event=audit.login_events(log))
    http_errors.install(app, settings)
    return app


def _asset_version(name: str) -> int:
    """The asset's modification time, in its URL as Dash does for the assets it adds (a changed file is fetched
    again, not taken from the browser's cache)."""
    return int((ASSETS_FOLDER / name).stat().st_mtime)


def snapshot_dir(settings: Settings) -> Path:
    """Where the studies' columnar snapshots are kept: beside the result cache (shared by every worker)."""
    return settings.cache_dir / "snapshots"


def content_security_policy(app: dash.Dash) -> str:
    """A Content-Security-Policy that Dash and plotly work under: scripts only from this server (and Dash's
    own inline scripts, by hash), nothing from any other host, no framing."""
    script_hashes = " ".join(app.csp_hashes())  # already quoted: 'sha256-...'
    return ("default-src 'self'; "
            f"script-src 'self' {script_hashes}; "
            "style-src 'self' 'unsafe-inline'; "  # plotly injects <style> elements
            "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def add_security_headers(app: dash.Dash) -> None:
    """Security headers on every response; callback responses (they carry patient data) are never cached.

    Dash adds inline scripts up to the first request (the pages plugin's own clientside callbacks), so the
    policy's script hashes are computed then, and again whenever the set of inline scripts grows.
    """
    cached: dict[int, str] = {}

    @app.server.after_request
    def _headers(response):
        from flask import request

        n_scripts = len(getattr(app, "_inline_scripts", ()))
        if n_scripts not in cached:
            cached.clear()
            cached[n_scripts] = content_security_policy(app)
        response.headers.setdefault("Content-Security-Policy", cached[n_scripts])
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if "_dash-update-component" in request.path:
            response.headers["Cache-Control"] = "no-store"
        return response
