"""Several machines: background callbacks on a real Celery worker, analysis results in a real Redis.

A fixture starts Debian's ``redis-server`` on a free loopback port and a Celery worker process
(``make worker``'s command) on it; the web app runs in this process with a cache folder of its own, so
whatever it finds computed can only have come through Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.cohort import analyse_cohort
from analysis.io.cbioportal import write_study
from analysis.params import AnalysisParameters
from dashboard import ids
from dashboard.settings import Settings
from tests.conftest import PROJECT_ROOT, make_tiny_study
from tests.dash_http import DashClient, free_port

pytestmark = pytest.mark.needs_tool("redis-server")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def redis_url(tmp_path):
    import redis

    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        else:
            raise RuntimeError("redis-server did not answer")
        yield url
    finally:
        _stop(process)


@pytest.fixture
def study_folder(tmp_path) -> Path:
    folder = tmp_path / "study"
    write_study(make_tiny_study(), folder)
    return folder


@pytest.fixture
def celery_worker(redis_url, study_folder, tmp_path):
    from dashboard.cache_backends import make_celery

    env = {**os.environ, "HER2DASH_CELERY": redis_url, "HER2DASH_STUDY": str(study_folder),
           "HER2DASH_CACHE_DIR": str(tmp_path / "worker-cache"), "PYTHONPATH": str(PROJECT_ROOT)}
    log = open(tmp_path / "celery.log", "w")  # noqa: SIM115 (closed after the worker stops)
    process = subprocess.Popen([str(PROJECT_ROOT / ".venv" / "bin" / "celery"), "-A", "dashboard.celery_worker",
                                "worker", "--pool=solo", "--loglevel=INFO"],
                               cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        probe = make_celery(redis_url)
        for _ in range(120):
            if process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited: {(tmp_path / 'celery.log').read_text()[-2000:]}")
            if probe.control.ping(timeout=0.5):
                break
        else:
            raise RuntimeError("the Celery worker did not answer")
        yield process
    finally:
        _stop(process)
        log.close()


def _run_background(test_client, payload: dict, timeout: float = 120) -> dict:
    """What the browser does for a background callback: start it, then poll with its handles."""
    first = test_client.post("/_dash-update-component", json=payload)
    assert first.status_code == 200, first.text
    handles = first.get_json()
    assert "cacheKey" in handles and "job" in handles, handles
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = test_client.post("/_dash-update-component", json=payload,
                                  query_string={"cacheKey": handles["cacheKey"], "job": handles["job"]})
        if answer.status_code == 200 and "response" in (answer.get_json() or {}):
            return answer.get_json()
        time.sleep(0.2)
    raise AssertionError("the background callback did not finish")


def test_background_callback_and_cached_analysis_through_celery_and_redis(celery_worker, redis_url,
                                                                           study_folder, tmp_path, monkeypatch):
    import redis

    from dashboard.analysis_service import get_analysis_service
    from dashboard.cache_backends import RESULT_PREFIX, RedisAnalysisCache, configure_for_celery

    monkeypatch.setenv("HER2DASH_CELERY", redis_url)
    app = configure_for_celery(Settings(study=study_folder, cache_dir=tmp_path / "web-cache"), redis_url)
    service = get_analysis_service()
    assert isinstance(service.cache, RedisAnalysisCache)
    params = AnalysisParameters()
    assert not service.cohort_is_cached(params)

    web = app.server.test_client()
    client = DashClient("http://unused")
    client._dependencies = web.get("/_dash-dependencies").get_json()
    compute = [d for d in client.dependencies()
               if f"{ids.COHORT_READY}.data" in d["output"] and d["inputs"][0]["id"] == ids.COHORT_NEEDED]
    assert len(compute) == 1
    result = _run_background(web, client.payload(compute[0], {f"{ids.COHORT_NEEDED}.data": {}}))
    assert result["response"][ids.COHORT_READY]["data"] == {}  # ready, no error

    # The worker computed the cohort analysis and left it in Redis: this process finds it without computing.
    keys = [k.decode() for k in redis.Redis.from_url(redis_url).scan_iter(match=RESULT_PREFIX + "cohort:*")]
    assert keys == [RESULT_PREFIX + service.cohort_key(params)]
    assert service.cohort_is_cached(params)
    cohort = service.cohort(params)
    assert service.cache.computations["cohort"] == 0
    reference = analyse_cohort(service.study, params)  # the same analysis, computed here
    pd.testing.assert_frame_equal(cohort.tumour_fractions, reference.tumour_fractions)
    pd.testing.assert_frame_equal(cohort.trajectories.draws, reference.trajectories.draws)
    assert "Task background_callback_" in (tmp_path / "celery.log").read_text()


def test_redis_store_behaves_as_the_disk_cache_the_dashboard_uses(redis_url):
    import redis

    from dashboard.cache_backends import RedisStore

    store = RedisStore(redis.Redis.from_url(redis_url), prefix="t:", ttl_seconds=60)
    missing = object()
    assert store.get("a", default=missing) is missing and "a" not in store and len(store) == 0
    store.set("a", {"x": [1, 2]})
    store.set("b", "two", expire=5)
    assert store.get("a") == {"x": [1, 2]} and "a" in store and len(store) == 2 and store.volume() > 0
    assert store.pop("b") == "two" and store.pop("b", default=None) is None
    assert 0 < store.client.ttl("t:a") <= 60
    assert store.clear() == 1 and len(store) == 0
