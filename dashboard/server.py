"""Build the Dash app around one study service."""

from __future__ import annotations

from pathlib import Path

import dash

from dashboard.layout import shell
from dashboard.settings import PROJECT_ROOT, Settings
from dashboard.study_service import StudyService, set_service

PAGES_FOLDER = Path(__file__).resolve().parent / "pages"


def create_app(settings: Settings, service: StudyService | None = None) -> dash.Dash:
    """A multi-page Dash app serving *settings.study*.

    Raises
    ------
    StudyValidationError
        The study has errors; it is refused whole (the report lists them).
    """
    service = service or StudyService(settings.study)
    set_service(service)
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PAGES_FOLDER),
        assets_folder=str(PROJECT_ROOT / "assets"),
        title="HER2 liquid biopsy",
        suppress_callback_exceptions=True,
        serve_locally=True,
    )
    app.layout = shell
    return app
