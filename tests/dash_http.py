"""Talking to a running dashboard over HTTP as a browser does: its callbacks found in the app's own
dependency graph (``/_dash-dependencies``), called with ``/_dash-update-component``; and starting the
production server (``make serve``'s gunicorn command) on a free loopback port.

Used by the serving tests and by ``benchmarks/bench_load.py``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command() -> str:
    """The shell command ``make serve`` runs (its last recipe line), as make prints it."""
    out = subprocess.run(["make", "-s", "-n", "--no-print-directory", "serve"], cwd=PROJECT_ROOT, check=True,
                         capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "gunicorn" in line][-1]


def _split_output(output: str) -> list[dict]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    found = []
    for part in parts:
        component, prop = part.rsplit(".", 1)
        found.append({"id": json.loads(component) if component.startswith("{") else component, "property": prop})
    return found


class DashClient:
    """A client of one dashboard (one ``requests.Session``: keep-alive, like a browser tab)."""

    def __init__(self, base_url: str, session: requests.Session | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.session = session or requests.Session()
        self._dependencies: list[dict] | None = None

    def dependencies(self) -> list[dict]:
        if self._dependencies is None:
            response = self.session.get(self.base + "/_dash-dependencies", timeout=60)
            response.raise_for_status()
            self._dependencies = response.json()
        return self._dependencies

    def callback(self, output_contains: str) -> dict:
        """The one callback whose output string contains *output_contains* (e.g. ``"patient-content.children"``)."""
        matches = [d for d in self.dependencies() if output_contains in d["output"]]
        if len(matches) != 1:
            raise LookupError(f"{len(matches)} callbacks have an output containing {output_contains!r}")
        return matches[0]

    def payload(self, dependency: dict, inputs: Mapping[str, object], state: Mapping[str, object] | None = None,
                changed: str | None = None) -> dict:
        """The request body a browser sends for *dependency*; values keyed ``"component.property"``."""
        state = state or {}

        def fill(items, values):
            return [{"id": item["id"], "property": item["property"],
                     "value": values.get(f"{item['id']}.{item['property']}")} for item in items]

        outputs = _split_output(dependency["output"])
        filled_inputs = fill(dependency["inputs"], inputs)
        first = f"{dependency['inputs'][0]['id']}.{dependency['inputs'][0]['property']}"
        return {"output": dependency["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
                "inputs": filled_inputs, "state": fill(dependency.get("state", []), state),
                "changedPropIds": [changed or first]}

    def post(self, payload: dict, timeout: float = 120, params: Mapping[str, str] | None = None) -> requests.Response:
        return self.session.post(self.base + "/_dash-update-component", json=payload, timeout=timeout,
                                 params=params)

    def run_background(self, payload: dict, timeout: float = 600, poll_seconds: float = 0.25) -> dict:
        """A background callback as the browser runs it: start the job, then poll with its signed handles
        until the result comes (returns the final JSON, with ``response``)."""
        started = self.post(payload)
        started.raise_for_status()
        handles = started.json()
        if "response" in handles:
            return handles
        query = {"cacheKey": handles["cacheKey"], "job": handles["job"]}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = self.post(payload, params=query)
            if answer.status_code == 200 and "response" in answer.json():
                return answer.json()
            if answer.status_code >= 400:
                answer.raise_for_status()
            time.sleep(poll_seconds)
        raise TimeoutError(f"the background callback did not finish within {timeout} s")

    def page(self, path: str = "/", search: str = "") -> requests.Response:
        """What a browser's first visit to *path* costs: the HTML, the layout, and the page's content callback."""
        self.session.get(self.base + path, timeout=120).raise_for_status()
        self.session.get(self.base + "/_dash-layout", timeout=120).raise_for_status()
        pages = self.callback("_pages_content.children")
        response = self.post(self.payload(pages, {"_pages_location.pathname": path, "_pages_location.search": search}))
        response.raise_for_status()
        return response


@contextmanager
def production_server(env: Mapping[str, str], *, ready_timeout: float = 120) -> Iterator[str]:
    """Run ``make serve``'s command with *env* (``HER2DASH_*``) on a free port; yields the base URL."""
    port = free_port()
    full_env = {**os.environ, **env, "HER2DASH_PORT": str(port), "HER2DASH_HOST": "127.0.0.1"}
    log_path = Path(env.get("HER2DASH_CACHE_DIR", PROJECT_ROOT / ".cache")).parent / f"gunicorn-{port}.log"
    log = open(log_path, "w")  # noqa: SIM115 (the server writes into it until it is stopped; closed below)
    process = subprocess.Popen(serve_command(), shell=True, cwd=PROJECT_ROOT, env=full_env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with status {process.returncode}; see {log.name}")
            try:
                if requests.get(base + "/_her2/health", timeout=120).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within {ready_timeout} s; see {log.name}")
            time.sleep(0.2)
        yield base
    finally:
        _stop(process)
        log.close()


def _stop(process: subprocess.Popen) -> None:
    """Stop the server we started (its own process group: the shell, gunicorn's master and workers)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
