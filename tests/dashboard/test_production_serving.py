"""`make serve`: gunicorn with several workers on a free port; a study switch reaches every worker."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from analysis.io.cbioportal import write_study
from analysis.study import StudyMeta
from dashboard import ids
from tests.conftest import make_tiny_study
from tests.dash_http import DashClient, production_server, serve_command


@pytest.fixture
def two_studies(tmp_path):
    first, second = tmp_path / "studies" / "first", tmp_path / "studies" / "second"
    write_study(make_tiny_study(), first)
    write_study(dataclasses.replace(make_tiny_study(), meta=StudyMeta(study_id="second", name="Second")), second)
    return first, second


def _env(tmp_path, study, workers=2):
    return {"HER2DASH_STUDY": str(study), "HER2DASH_CACHE_DIR": str(tmp_path / "cache"),
            "HER2DASH_WORKERS": str(workers), "HER2DASH_THREADS": "1",
            "HER2DASH_STUDIES_ROOT": str(tmp_path / "studies")}


def _health_from_every_worker(base: str, n_workers: int, rounds: int = 60) -> dict[int, str]:
    """Study id served by each worker process, asked over new connections in parallel until all answered."""
    seen: dict[int, str] = {}

    def ask(_):
        answer = requests.get(base + "/_her2/health", timeout=30).json()
        return answer["process"], answer["study_id"]

    with ThreadPoolExecutor(8) as pool:
        for _ in range(rounds):
            for process, study_id in pool.map(ask, range(16)):
                seen.setdefault(process, study_id)
                assert seen[process] == study_id, "a worker served two studies in one round"
            if len(seen) >= n_workers:
                break
    return seen


def test_serve_command_is_gunicorn_with_the_production_settings():
    command = serve_command()
    assert "gunicorn -c dashboard/gunicorn_conf.py dashboard.wsgi:server" in command
    assert 'HER2DASH_HOST="${HER2DASH_HOST:-127.0.0.1}"' in command


def test_gunicorn_serves_pages_on_a_free_port(two_studies, tmp_path):
    first, _ = two_studies
    with production_server(_env(tmp_path, first)) as base:
        page = requests.get(base + "/patient", timeout=30)
        assert page.status_code == 200 and "_dash-renderer" in page.text
        assert "Werkzeug Debugger" not in page.text
        assert page.headers["X-Frame-Options"] == "DENY"
        layout = requests.get(base + "/_dash-layout", timeout=30)
        assert layout.status_code == 200
        # Debug off: an unknown callback gets a plain error, never a traceback.
        bad = requests.post(base + "/_dash-update-component", json={"output": "nothing.children"}, timeout=30)
        assert bad.status_code >= 400 and "Traceback" not in bad.text
        assert set(_health_from_every_worker(base, 2).values()) == {"tiny"}
    assert (tmp_path / "cache" / "snapshots").is_dir()  # the study was snapshotted beside the cache


def test_study_switch_reaches_every_worker(two_studies, tmp_path):
    first, second = two_studies
    with production_server(_env(tmp_path, first)) as base:
        before = _health_from_every_worker(base, 2)
        assert len(before) == 2 and set(before.values()) == {"tiny"}
        client = DashClient(base)
        switch = client.callback(f"{ids.DATA_NAVIGATE}.href")
        result = {"ok": True, "folder": str(second), "token": ""}
        response = client.post(client.payload(switch, {f"{ids.DATA_OPEN_RESULT}.data": result}))
        assert response.status_code == 200, response.text
        assert "opened=Second" in response.text  # the switching worker sends the browser to the Data page
        after = _health_from_every_worker(base, 2)
        assert len(after) == 2, "only one worker answered"
        assert set(after.values()) == {"second"}, after


def test_a_refused_study_stops_the_server_with_its_report(two_studies, tmp_path):
    first, _ = two_studies
    samples = first / "data_clinical_sample.txt"
    samples.write_text(samples.read_text().replace("P1-B0\tP1", "P1-B0\tP9", 1))
    with pytest.raises(RuntimeError, match="exited with status"), production_server(_env(tmp_path, first),
                                                                                     ready_timeout=60):
        pass
    log = next(tmp_path.glob("gunicorn-*.log")).read_text()
    assert "was refused" in log and "P9" in log
