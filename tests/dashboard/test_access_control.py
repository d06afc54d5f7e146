"""Login, single sign-on, audit and limits, through the Flask server with Dash's own callback protocol."""

from __future__ import annotations

import io
import json
import re

import pytest

from dashboard import audit, auth, ids
from dashboard.security_settings import SecuritySettings, SettingsError
from dashboard.server import create_app
from dashboard.settings import Settings, parse_settings

PASSWORD = "correct horse battery staple"


def pages_request(path: str) -> dict:
    """What the browser sends when the page router shows *path*."""
    return {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"},
                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}


@pytest.fixture
def users_file(tmp_path):
    path = tmp_path / "users.txt"
    auth.add_user(path, "dr.li", PASSWORD)
    return path


def login_settings(study, tmp_path, users_file, **changes) -> Settings:
    security = SecuritySettings(auth="users", users_file=users_file, secret_key_file=tmp_path / "session.key",
                                audit_log=tmp_path / "audit" / "audit.jsonl",
                                audit_key_file=tmp_path / "audit" / "audit.key", **changes)
    return Settings(study=study, cache_dir=tmp_path / "cache", security=security)


@pytest.fixture
def login_app(tiny_study_dir, tmp_path, users_file):
    return create_app(login_settings(tiny_study_dir, tmp_path, users_file))


def log_in(client, name="dr.li", password=PASSWORD, next_path="/"):
    form = client.get(f"/login?next={next_path}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    return client.post("/login", data={"csrf_token": token, "username": name, "password": password,
                                       "next": next_path})


def audit_records(tmp_path) -> list[dict]:
    path = tmp_path / "audit" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_user_opens_a_patient_page_and_a_report_and_the_audit_log_has_exactly_that(login_app, tmp_path):
    client = login_app.server.test_client()
    assert log_in(client, next_path="/patient/P1").headers["Location"] == "/patient/P1"
    page = client.post("/_dash-update-component", json=pages_request("/patient/P1"))
    assert page.status_code == 200 and "Patient P1" in page.get_data(as_text=True)
    report = client.get("/_her2/report/P1.html")
    assert report.status_code == 200
    assert report.headers["Content-Disposition"] == 'attachment; filename="tumour-board-P1.html"'
    assert "Tumour-board report: patient P1" in report.get_data(as_text=True)
    assert client.get("/_her2/report/NOBODY.html").status_code == 404  # not a patient: no event
    client.post("/_dash-update-component", json=pages_request("/patient/NOBODY"))  # not a patient: no event

    records = audit_records(tmp_path)
    assert [(r["event"], r["user"]) for r in records] == [
        ("login", "dr.li"), ("patient_page", "dr.li"), ("report", "dr.li")]
    key = bytes.fromhex((tmp_path / "audit" / "audit.key").read_text())
    assert records[1]["patient"] == records[2]["patient"] == audit.pseudonym(key, "P1")
    assert records[2]["format"] == "html" and records[1]["study"]
    text = (tmp_path / "audit" / "audit.jsonl").read_text()
    assert "P1" not in text and "HER2" not in text  # pseudonyms only, no clinical values

    out = io.StringIO()
    import contextlib
    with contextlib.redirect_stdout(out):
        assert audit.main(["history", "--log", str(tmp_path / "audit" / "audit.jsonl"), "--patient", "P1"]) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].endswith(": 2") and "patient_page" in lines[1] and "report" in lines[2] and "dr.li" in lines[1]


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/patient/P1", None),
    ("POST", "/_dash-update-component", pages_request("/patient/P1")),
    ("GET", "/_her2/report/P1.html", None),
    ("GET", "/_her2/report/P1.pdf", None),
    ("GET", "/_dash-layout", None),
])
def test_anonymous_requests_are_refused(login_app, tmp_path, method, path, body):
    client = login_app.server.test_client()
    response = client.open(path, method=method, json=body)
    assert response.status_code == 401
    assert "Patient" not in response.get_data(as_text=True)
    page = client.get("/patient/P1", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["Location"] == "/login?next=/patient/P1"
    assert [r["event"] for r in audit_records(tmp_path)] == []


def test_wrong_password_unknown_user_and_forged_form_are_refused(login_app):
    client = login_app.server.test_client()
    assert log_in(client, password="wrong password!").status_code == 401
    assert log_in(client, name="nobody").status_code == 401
    forged = client.post("/login", data={"csrf_token": "forged", "username": "dr.li", "password": PASSWORD})
    assert forged.status_code == 400
    assert client.post("/_dash-update-component", json=pages_request("/patient/P1")).status_code == 401


def test_login_page_escapes_what_it_echoes(login_app):
    client = login_app.server.test_client()
    page = client.get('/login?next=/"><script>alert(1)</script>').get_data(as_text=True)
    assert "<script>" not in page
    page = log_in(client, name='<img src=x onerror=alert(1)>').get_data(as_text=True)
    assert "<img" not in page and "&lt;img" in page


def test_repeated_failures_pause_the_account(login_app):
    client = login_app.server.test_client()
    for _ in range(auth.MAX_FAILURES):
        assert log_in(client, password="wrong password!").status_code == 401
    assert log_in(client).status_code == 429


def test_the_pause_counts_failures_made_to_every_worker(tiny_study_dir, tmp_path, users_file):
    """Two apps on one cache folder stand for two gunicorn workers: failures at either count together."""
    settings = login_settings(tiny_study_dir, tmp_path, users_file)
    first, second = create_app(settings).server.test_client(), create_app(settings).server.test_client()
    for k in range(auth.MAX_FAILURES):
        assert log_in(first if k % 2 else second, password="wrong password!").status_code == 401
    assert log_in(first).status_code == 429 and log_in(second).status_code == 429
    stored = b"".join(path.read_bytes() for path in (tmp_path / "cache" / "failed-logins").rglob("*") if path.is_file())
    assert b"dr.li" not in stored and b"127.0.0.1" not in stored  # keys are keyed hashes


def test_a_good_login_clears_the_shared_count(tiny_study_dir, tmp_path, users_file):
    settings = login_settings(tiny_study_dir, tmp_path, users_file)
    first, second = create_app(settings).server.test_client(), create_app(settings).server.test_client()
    for _ in range(auth.MAX_FAILURES - 1):
        assert log_in(first, password="wrong password!").status_code == 401
    assert log_in(second).status_code == 303
    for _ in range(auth.MAX_FAILURES - 1):
        assert log_in(first, password="wrong password!").status_code == 401
    assert log_in(first).status_code == 303


def test_logout_ends_the_session_even_for_a_copied_cookie(login_app, tmp_path):
    client = login_app.server.test_client()
    log_in(client)
    cookie = client.get_cookie(auth.SESSION_COOKIE).value
    assert client.post("/_dash-update-component", json=pages_request("/patient/P1")).status_code == 200
    assert "logged out" in client.get("/logout").get_data(as_text=True)
    assert client.post("/_dash-update-component", json=pages_request("/patient/P1")).status_code == 401
    replay = login_app.server.test_client()
    replay.set_cookie(auth.SESSION_COOKIE, cookie)
    assert replay.post("/_dash-update-component", json=pages_request("/patient/P1")).status_code == 401
    assert [r["event"] for r in audit_records(tmp_path)] == ["login", "patient_page", "logout"]


@pytest.mark.parametrize("clock_shift, changes", [
    (31 * 60, {}),  # idle for longer than 30 minutes
    (2 * 3600, {"idle_minutes": 600, "absolute_hours": 1}),  # active, but logged in too long ago
])
def test_sessions_expire(tiny_study_dir, tmp_path, users_file, monkeypatch, clock_shift, changes):
    app = create_app(login_settings(tiny_study_dir, tmp_path, users_file, **changes))
    client = app.server.test_client()
    log_in(client)
    assert client.post("/_dash-update-component", json=pages_request("/patient/P1")).status_code == 200
    real_time = auth.time.time
    monkeypatch.setattr(auth.time, "time", lambda: real_time() + clock_shift)
    assert client.post("/_dash-update-component", json=pages_request("/patient/P1")).status_code == 401


def test_a_removed_user_is_logged_out(login_app, users_file):
    client = login_app.server.test_client()
    log_in(client)
    assert auth.main(["remove-user", str(users_file), "dr.li"]) == 0
    assert client.post("/_dash-update-component", json=pages_request("/patient/P1")).status_code == 401


def test_cross_site_callback_posts_are_refused(login_app):
    client = login_app.server.test_client()
    log_in(client)
    response = client.post("/_dash-update-component", json=pages_request("/patient/P1"),
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


def test_sign_on_header_is_believed_only_from_the_trusted_proxy(tiny_study_dir, tmp_path):
    security = SecuritySettings(auth="proxy", trusted_proxies=("10.0.0.5",), audit_log=tmp_path / "audit.jsonl",
                                audit_key_file=tmp_path / "audit.key")
    app = create_app(Settings(study=tiny_study_dir, cache_dir=tmp_path / "cache", security=security))
    client = app.server.test_client()
    body = pages_request("/patient/P2")
    spoofed = client.post("/_dash-update-component", json=body, headers={"X-Remote-User": "mallory"},
                          environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert spoofed.status_code == 403
    no_header = client.post("/_dash-update-component", json=body, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert no_header.status_code == 401
    ok = client.post("/_dash-update-component", json=body, headers={"X-Remote-User": "dr.wang"},
                     environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert ok.status_code == 200
    records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [(r["event"], r["user"], r["client"]) for r in records] == [("patient_page", "dr.wang", "10.0.0.5")]


def test_no_login_beyond_loopback_is_refused(tmp_path, tiny_study_dir, users_file):
    with pytest.raises(SystemExit):
        parse_settings(["--host", "0.0.0.0", "--study", str(tiny_study_dir)])
    with pytest.raises(SettingsError, match="without login"):
        create_app(Settings(study=tiny_study_dir, host="0.0.0.0", cache_dir=tmp_path / "cache"))
    settings = parse_settings(["--host", "0.0.0.0", "--study", str(tiny_study_dir), "--users-file", str(users_file),
                               "--audit-log", str(tmp_path / "a.jsonl")])
    assert settings.security.auth == "users" and settings.security.secure_cookies
    assert settings.security.audit_key_file == tmp_path / "audit.key"
    proxy = parse_settings(["--host", "0.0.0.0", "--trusted-proxy", "10.0.0.0/24",
                            "--audit-log", str(tmp_path / "a.jsonl")])
    assert proxy.security.auth == "proxy" and proxy.security.trusted_proxies == ("10.0.0.0/24",)
    with pytest.raises(SystemExit):
        parse_settings(["--auth", "proxy"])  # no trusted proxy
    with pytest.raises(SystemExit):
        parse_settings(["--trusted-proxy", "not-an-address"])


def test_demo_mode_on_loopback_needs_no_login(tiny_study_dir, tmp_path):
    settings = parse_settings(["--study", str(tiny_study_dir), "--cache-dir", str(tmp_path / "cache")])
    assert settings.security.auth == "demo" and settings.security.audit_log is None
    client = create_app(settings).server.test_client()
    assert client.post("/_dash-update-component", json=pages_request("/patient/P1")).status_code == 200
    assert client.get("/login").status_code == 404


def test_add_user_reads_the_password_from_stdin_never_argv(tmp_path, monkeypatch, capsys):
    path = tmp_path / "users.txt"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert auth.main(["add-user", str(path), "nurse.k"]) == 0
    text = path.read_text()
    assert "nurse.k:$argon2id$" in text and PASSWORD not in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert auth.UserStore(path).verify("nurse.k", PASSWORD)
    assert not auth.UserStore(path).verify("nurse.k", PASSWORD + "x")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert auth.main(["add-user", str(path), "nurse.j"]) == 1
    assert "too short" in capsys.readouterr().err


@pytest.mark.parametrize("target, expected", [
    ("/patient/P1?cutoff=2.6", "/patient/P1?cutoff=2.6"), ("//evil.example/x", "/"),
    ("https://evil.example", "/"), ("/\\evil.example", "/"), ("", "/"), (None, "/")])
def test_after_login_only_local_paths(target, expected):
    assert auth.safe_next(target) == expected


def test_oversized_requests_are_refused_with_413(tiny_study_dir, tmp_path):
    settings = Settings(study=tiny_study_dir, cache_dir=tmp_path / "cache",
                        security=SecuritySettings(max_request_mb=0.01))
    client = create_app(settings).server.test_client()
    response = client.post("/_dash-update-component", data=b"{" + b" " * 20_000 + b"}",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "Request too large" in response.get_data(as_text=True)


def test_an_unexpected_error_shows_and_logs_no_patient_data(tiny_study_dir, tmp_path, caplog, monkeypatch):
    from dashboard.callbacks import patient as patient_callbacks

    def broken(*_args):
        raise KeyError("P1 HER2 copy number 9.7")

    monkeypatch.setattr(patient_callbacks, "fill_patient", broken)
    client = create_app(Settings(study=tiny_study_dir, cache_dir=tmp_path / "cache")).server.test_client()
    body = {"output": f"{ids.PATIENT_HEADER}.children",
            "outputs": {"id": ids.PATIENT_HEADER, "property": "children"},
            "inputs": [{"id": ids.PARAMS, "property": "data", "value": {}}],
            "changedPropIds": [f"{ids.PARAMS}.data"],
            "state": [{"id": ids.PATIENT_ID, "property": "data", "value": "P1"}]}
    with caplog.at_level("DEBUG"):
        response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "P1" not in text and "9.7" not in text and "Traceback" not in text and "reference" in text
    logged = caplog.text
    assert "KeyError" in logged and "P1" not in logged and "9.7" not in logged and "Traceback" not in logged
