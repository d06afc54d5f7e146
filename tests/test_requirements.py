"""`make run` installs only requirements.txt: everything the served app imports must be pinned there."""

from __future__ import annotations

import re

from tests.conftest import PROJECT_ROOT


def _pinned(path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==", line.strip())
        if match:
            names.add(match.group(1).lower())
    return names


def test_the_production_server_is_a_runtime_requirement():
    runtime = _pinned(PROJECT_ROOT / "requirements.txt")
    assert "from waitress import serve" in (PROJECT_ROOT / "app.py").read_text()
    assert "waitress" in runtime  # not only through dash[testing] in requirements-test.txt
