"""Build the Dash app around one study service."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import dash
import diskcache
from dash import DiskcacheManager

import dashboard.callbacks
from dashboard.analysis_cache import AnalysisCache
from dashboard.analysis_service import AnalysisService, set_analysis_service
from dashboard.layout import shell
from dashboard.settings import PROJECT_ROOT, Settings, set_settings
from dashboard.study_service import StudyService, set_service

PAGES_FOLDER = Path(__file__).resolve().parent / "pages"


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
    """
    set_settings(settings)
    service = service or StudyService(settings.study)
    set_service(service)
    set_analysis_service(AnalysisService(service, AnalysisCache(settings.cache_dir / "results")))
    jobs = DiskcacheManager(diskcache.Cache(str(settings.cache_dir / "jobs")))
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PAGES_FOLDER),
        assets_folder=str(PROJECT_ROOT / "assets"),
        title="HER2 liquid biopsy",
        suppress_callback_exceptions=True,
        serve_locally=True,
        background_callback_manager=jobs,
    )
    app.layout = shell
    for module in callback_modules():
        module.register(app)
    return app
