"""The Celery worker of a several-machine deployment (README, "Deploying")::

    HER2DASH_CELERY=redis://HOST:6379/0 HER2DASH_STUDY=/path/to/study \\
        .venv/bin/celery -A dashboard.celery_worker worker --loglevel=INFO --concurrency=2

It builds the same app as the web servers (so every background callback is registered as a Celery task),
reads the study from its snapshot, caches results in the shared Redis, and before each task follows the
study opened on the Data page (:mod:`dashboard.shared_study`).
"""

from __future__ import annotations

from celery.signals import task_prerun

from dashboard import shared_study
from dashboard.cache_backends import ENV_URL, celery_url
from dashboard.production import build_app

if not celery_url():
    raise SystemExit(f"set {ENV_URL} to the Redis URL shared with the web servers (e.g. redis://127.0.0.1:6379/0)")

dash_app = build_app()
celery_app = dash_app.celery_app
app = celery_app  # what `celery -A dashboard.celery_worker` looks for first


@task_prerun.connect
def _follow_open_study(**_kwargs) -> None:
    shared_study.follow_current()
