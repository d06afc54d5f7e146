"""Several machines: Dash background callbacks on Celery, analysis results in Redis.

One Redis serves three purposes, under distinct key prefixes:

- Celery's broker and result store (Dash's :class:`~dash.CeleryManager` runs the background callbacks
  (the whole-cohort analysis, opening a study) on Celery worker processes, on any machine);
- the analysis result cache (:class:`RedisAnalysisCache`: the same in-process LRU as
  :class:`~dashboard.analysis_cache.AnalysisCache`, with Redis behind it instead of the local disk), so
  a result computed on any machine is served by every web server;
- the open-study pointer (:mod:`dashboard.shared_study`).

Turned on by ``HER2DASH_CELERY=redis://host:6379/0`` for the web servers (``make serve``) and the
workers (``make worker``: ``celery -A dashboard.celery_worker worker``).  Results are pickled, as in the
disk cache: the Redis must be reachable only by these servers (bind it to a private network, set a
password in the URL).  Each result expires after ``HER2DASH_RESULT_TTL`` seconds (default 7 days);
give the Redis a ``maxmemory`` with ``allkeys-lru`` so old results make room for new ones.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

from dashboard.analysis_cache import AnalysisCache

ENV_URL = "HER2DASH_CELERY"
RESULT_PREFIX = "her2dash:result:"
DEFAULT_TTL_SECONDS = 7 * 24 * 3600


def celery_url() -> str | None:
    """The Redis URL of the Celery deployment, or None (one machine: disk cache and local jobs)."""
    return os.environ.get(ENV_URL) or None


class RedisStore:
    """The part of :class:`diskcache.Cache`'s interface the dashboard uses, on Redis.

    Values are pickled (highest protocol); keys get :data:`RESULT_PREFIX`.  ``retry`` is accepted and
    ignored (Redis has no lock timeouts to retry).
    """

    def __init__(self, client, prefix: str = RESULT_PREFIX, ttl_seconds: int | None = DEFAULT_TTL_SECONDS) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds

    def _key(self, key: str) -> str:
        return self.prefix + key

    def get(self, key: str, default: Any = None, retry: bool = False) -> Any:
        raw = self.client.get(self._key(key))
        return default if raw is None else pickle.loads(raw)

    def set(self, key: str, value: Any, expire: float | None = None, retry: bool = False) -> bool:
        ttl = int(expire) if expire is not None else self.ttl_seconds
        self.client.set(self._key(key), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), ex=ttl)
        return True

    def pop(self, key: str, default: Any = None, retry: bool = False) -> Any:
        raw = self.client.getdel(self._key(key))
        return default if raw is None else pickle.loads(raw)

    def __contains__(self, key: str) -> bool:
        return bool(self.client.exists(self._key(key)))

    def _keys(self):
        return self.client.scan_iter(match=self.prefix + "*", count=1000)

    def __len__(self) -> int:
        return sum(1 for _ in self._keys())

    def volume(self) -> int:
        """Bytes held (Redis' own accounting of each key)."""
        return sum(int(self.client.memory_usage(key) or 0) for key in self._keys())

    def clear(self, retry: bool = False) -> int:
        keys = list(self._keys())
        if keys:
            self.client.delete(*keys)
        return len(keys)


class RedisAnalysisCache(AnalysisCache):
    """:class:`AnalysisCache` with Redis instead of the local disk behind its in-memory LRU."""

    def __init__(self, client, directory: str | Path, ttl_seconds: int | None = None) -> None:
        super().__init__(directory)
        ttl = ttl_seconds if ttl_seconds is not None else int(os.environ.get("HER2DASH_RESULT_TTL",
                                                                             DEFAULT_TTL_SECONDS))
        self.disk = RedisStore(client, ttl_seconds=ttl)  # type: ignore[assignment]
        self.directory = Path(f"redis: {_safe_url(client)}")


def _safe_url(client) -> str:
    """The Redis address without its password (shown on the Data page)."""
    kwargs = client.connection_pool.connection_kwargs
    return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"


def make_celery(redis_url: str):
    """The Celery application: Redis as broker and result store."""
    from celery import Celery

    celery_app = Celery("her2dash", broker=redis_url, backend=redis_url)
    celery_app.conf.update(result_expires=3600, worker_hijack_root_logger=False,
                           broker_connection_retry_on_startup=True)
    return celery_app


def configure_for_celery(settings, redis_url: str):
    """The Dash app of *settings* with background callbacks on Celery and the result cache on Redis.

    Returns the app; its Celery application is ``app.celery_app`` (what the worker command runs).
    """
    import redis
    from dash import CeleryManager

    from dashboard.analysis_service import AnalysisService, set_analysis_service
    from dashboard.server import create_app
    from dashboard.study_service import get_service

    app = create_app(settings)
    client = redis.Redis.from_url(redis_url)
    set_analysis_service(AnalysisService(get_service(), RedisAnalysisCache(client, settings.cache_dir / "results")))
    celery_app = make_celery(redis_url)
    # Every background callback registered so far is registered with a new manager too (Dash keeps one
    # registry of them); the app then hands its jobs to this one.
    app._background_manager = CeleryManager(celery_app)
    app.celery_app = celery_app
    return app
