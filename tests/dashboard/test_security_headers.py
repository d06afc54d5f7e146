"""Every response carries security headers; callback responses are never cached."""

from __future__ import annotations

from dashboard.server import create_app
from dashboard.settings import Settings


def test_security_headers(tiny_study_dir, tmp_path):
    app = create_app(Settings(study=tiny_study_dir, cache_dir=tmp_path / "cache"))
    client = app.server.test_client()
    page = client.get("/")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-eval'" not in policy and "script-src 'self' 'sha256-" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" not in page.headers.get("Cache-Control", "")
    update = client.post("/_dash-update-component", json={})
    assert update.headers["Cache-Control"] == "no-store"
