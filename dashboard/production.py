"""The production app: the one that gunicorn workers and Celery workers build (no side effects on import).

Settings come from the ``HER2DASH_*`` environment variables (README, "Deploying"); Dash's debug mode
is never on here.  Every process shares the disk cache and the study snapshots in
``HER2DASH_CACHE_DIR`` and follows the study opened on the Data page by any process
(:mod:`dashboard.shared_study`).  With ``HER2DASH_CELERY`` (a Redis URL) background callbacks run on
Celery workers and analysis results are cached in Redis (:mod:`dashboard.cache_backends`).
"""

from __future__ import annotations

import dataclasses
import logging
import sys

from analysis.errors import InputError, StudyValidationError
from dashboard import shared_study
from dashboard.cache_backends import celery_url, configure_for_celery
from dashboard.health import add_health_endpoint
from dashboard.server import create_app
from dashboard.settings import parse_settings

log = logging.getLogger(__name__)


def pointer_for(settings, redis_url: str | None) -> shared_study.StudyPointer:
    """Where the open study is announced: a Redis key with a shared Redis, else a file in the cache folder."""
    if redis_url:
        import redis

        return shared_study.RedisPointer(redis.Redis.from_url(redis_url))
    return shared_study.FilePointer(settings.cache_dir)


def production_settings():
    """The environment's settings, debug forced off."""
    return dataclasses.replace(parse_settings([]), debug=False)


#: Seconds between two looks at the open study's files in a server process (see
#: :attr:`dashboard.study_service.StudyService.check_interval`): a changed file is seen within this.
STUDY_CHECK_SECONDS = 1.0


def build_app():
    """The Dash app for the environment's settings, following the shared open-study pointer.

    A refused study prints its validation report and exits with status 2 (gunicorn then stops).
    """
    from dashboard.study_service import StudyService

    StudyService.check_interval = STUDY_CHECK_SECONDS  # every service of this process, after a switch too
    settings = production_settings()
    redis_url = celery_url()
    try:
        app = configure_for_celery(settings, redis_url) if redis_url else create_app(settings)
    except StudyValidationError as exc:
        print(f"The study in {settings.study} was refused: {len(exc.report.errors)} error(s).", file=sys.stderr)
        print(exc.report.format(), file=sys.stderr)
        raise SystemExit(2) from exc
    except InputError as exc:
        print(f"Cannot open the study: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    prepare_for_workers()
    shared_study.enable(pointer_for(settings, redis_url))
    shared_study.follow_before_requests(app)
    add_health_endpoint(app)
    return app


def prepare_for_workers() -> None:
    """Work every worker would otherwise repeat, done once before gunicorn forks them (they inherit it):
    the study's content hash (seconds at 10,000 patients; free from a snapshot) and its per-patient index;
    then the long-lived objects are moved out of the garbage collector's reach, so that collections in
    the workers do not touch (and un-share) the pages they share with the master."""
    import gc

    from dashboard.analysis_service import get_analysis_service

    service = get_analysis_service()
    service.study_hash()
    service.study.patient_index  # noqa: B018 (a cached property: computed here, inherited by the workers)
    gc.freeze()


#: Seconds after a worker starts before it imports what the first page does not need (:func:`warm_up_later`).
WARM_UP_DELAY_SECONDS = 3.0
#: Imported by each worker in the background: the statistics libraries of the cohort pages
#: (scipy.stats alone takes 0.8 s), left out of start-up so that a first page is served sooner.
WARM_UP_MODULES = ("scipy.stats", "lifelines", "lifelines.statistics", "lifelines.utils")


def warm_up_later(delay: float = WARM_UP_DELAY_SECONDS, modules: tuple[str, ...] = WARM_UP_MODULES):
    """In a server worker, once it has started: import *modules* in a background thread after *delay* seconds,
    so that the worker's first cohort-page request does not pay for them.  A request that needs one sooner
    imports it itself (Python's import lock makes the two safe together).  Returns the (daemon) thread."""
    import importlib
    import threading
    import time

    def _warm_up() -> None:
        time.sleep(delay)
        for name in modules:
            try:
                importlib.import_module(name)
            except ImportError:  # pragma: no cover - a broken install shows on the page that needs it
                return

    thread = threading.Thread(target=_warm_up, name="her2dash-warm-up", daemon=True)
    thread.start()
    return thread


#: Seconds between a worker's looks for a newly cached whole-cohort analysis (:func:`keep_cohort_loaded`).
COHORT_LOOK_SECONDS = 2.0


def load_cached_cohort(params=None) -> bool:
    """Load the whole-cohort analysis under *params* (default: the default parameters) into this process's
    memory, with its index of each patient's rows, when it is on disk and not loaded yet.  Returns whether it
    is loaded now.  Never computes it.

    A worker otherwise loads it on the first request that needs it (a patient page, a cohort page): at 10,000
    patients about 1 s (reading 30 MB, and indexing the patients' rows), during which that request and the
    worker's other threads wait: the slowest requests of the load test were these first loads."""
    from analysis.params import AnalysisParameters
    from analysis.patient import index_cohort
    from dashboard.analysis_service import get_analysis_service

    service = get_analysis_service()
    params = params or AnalysisParameters()
    if not service.cohort_is_cached(params):
        return False
    cohort = service.cached_cohort(params)
    if cohort is None:
        return False
    index_cohort(cohort)
    return True


def keep_cohort_loaded(delay: float = WARM_UP_DELAY_SECONDS, every: float = COHORT_LOOK_SECONDS, stop=None):
    """In a server worker: in a background thread, load the default-parameter whole-cohort analysis as soon as
    it is on disk (at start, or once the first visitor's analysis finishes in a background job), and again
    after a study switch.  Returns the (daemon) thread; it runs until *stop* (a ``threading.Event``) is set."""
    import threading
    import time

    from dashboard.analysis_service import get_analysis_service

    stop = stop or threading.Event()

    def _keep() -> None:
        time.sleep(delay)
        loaded_for = None
        while not stop.is_set():
            try:
                study = get_analysis_service().study_hash()
                if study != loaded_for and load_cached_cohort():
                    loaded_for = study
            except Exception:  # noqa: BLE001 (a study being switched or a disk fault: the next look tries again)
                log.debug("cohort not loaded in the background this time", exc_info=True)
            stop.wait(every)

    thread = threading.Thread(target=_keep, name="her2dash-cohort-loader", daemon=True)
    thread.start()
    return thread


def announce_configured_study() -> None:
    """At server start (gunicorn's master): the configured study is the open one, whatever was announced before."""
    settings = production_settings()
    pointer_for(settings, celery_url()).write(settings.study)
