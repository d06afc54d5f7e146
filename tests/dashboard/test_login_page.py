"""Logging in through the browser, opening a patient page and a report: exactly those events are audited."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dashboard import audit, auth
from dashboard.security_settings import SecuritySettings
from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.test_patient_report_page import _wait_for_file

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


def test_login_patient_page_report_logout_in_the_browser(dash_duo, tiny_study_dir, tmp_path):
    users = tmp_path / "users.txt"
    auth.add_user(users, "dr.li", PASSWORD)
    log = tmp_path / "audit.jsonl"
    security = SecuritySettings(auth="users", users_file=users, secret_key_file=tmp_path / "session.key",
                                audit_log=log, audit_key_file=tmp_path / "audit.key")
    app = create_app(Settings(study=tiny_study_dir, cache_dir=tmp_path / "cache", security=security))
    dash_duo.start_server(app, navigate=False)  # "/" is the login page here, not the Dash app
    driver = dash_duo.driver
    base = dash_duo.server.url.rstrip("/")
    driver.get(f"{base}/patient/P1")
    dash_duo.wait_for_element("#password", timeout=10)
    assert "/login?next=/patient/P1" in driver.current_url
    dash_duo.find_element("#username").send_keys("dr.li")
    dash_duo.find_element("#password").send_keys(PASSWORD)
    dash_duo.find_element("button[type=submit]").click()
    dash_duo.wait_for_element("#patient-report-html", timeout=30)
    assert urlsplit(driver.current_url).path == "/patient/P1"  # the query holds the draw shown
    link = dash_duo.find_element("#patient-report-html")
    assert urlsplit(link.get_attribute("href")).path == "/_her2/report/P1.html"  # a plain link to the route
    link.click()
    _wait_for_file(Path(dash_duo.download_path) / "tumour-board-P1.html")

    records = [json.loads(line) for line in log.read_text().splitlines()]
    key = bytes.fromhex((tmp_path / "audit.key").read_text())
    assert [(r["event"], r["user"], r.get("patient")) for r in records] == [
        ("login", "dr.li", None), ("patient_page", "dr.li", audit.pseudonym(key, "P1")),
        ("report", "dr.li", audit.pseudonym(key, "P1"))]

    dash_duo.find_element(".auth-bar a").click()
    dash_duo.wait_for_text_to_equal("h1", "Logged out", timeout=10)
    driver.get(f"{base}/patient/P1")
    dash_duo.wait_for_element("#password", timeout=10)
    assert [r["event"] for r in map(json.loads, log.read_text().splitlines())][-1] == "logout"
