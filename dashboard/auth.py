"""Who may see the dashboard: password login, hospital single sign-on, or the local demo without login.

Every request but the login page passes :func:`require_login` first (a Flask ``before_request`` hook):

- **demo** mode: nobody logs in (only allowed on 127.0.0.1; :mod:`dashboard.security_settings`);
- **users** mode: a signed session cookie (server-side secret, ``HttpOnly``, ``SameSite=Strict``) made by
  the login form; it ends after ``idle_minutes`` without a request, ``absolute_hours`` after login, at
  logout (its id is revoked server-side), or when the user is removed from the users file;
- **proxy** mode: the sign-on proxy's user header, believed only from the trusted proxy addresses.

An anonymous page request is sent to the login page; an anonymous callback, download or asset request
gets 401.  The users file holds one ``name:argon2-hash`` per line; add or change a user with

    python -m dashboard.auth add-user FILE NAME        (password asked twice, or read from stdin)
    python -m dashboard.auth remove-user FILE NAME
"""

from __future__ import annotations

import argparse
import getpass
import hmac
import ipaddress
import os
import re
import secrets
import sys
import threading
import time
from html import escape
from pathlib import Path
from urllib.parse import quote, urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, g, redirect, request, session

from dashboard.security_settings import SecuritySettings

DEMO_USER = "local-demo"
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD_LENGTH = 12
#: Paths served without login: the login and logout pages themselves.
PUBLIC_PATHS = ("/login", "/logout")
#: Failed logins (per user name and per client address) before a pause, and the pause in seconds.
MAX_FAILURES, LOCKOUT_SECONDS = 5, 15 * 60
SESSION_COOKIE = "her2dash_session"

_hasher = PasswordHasher()
_dummy: list[str] = []


def _dummy_hash() -> str:
    """Verified when the user name is unknown, so that the answer takes as long as for a known one.  Made at
    the first login attempt, whatever the name (an argon2 hash costs 0.2-0.5 s: not paid at server start)."""
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _dummy[0]


class UsersFileError(ValueError):
    """A users file line that is not ``name:argon2-hash``."""


# ---------------------------------------------------------------------------------------------- users file
def read_users(path: Path) -> dict[str, str]:
    """``{name: argon2 hash}`` from a users file (blank lines and ``#`` comments ignored).

    Raises
    ------
    UsersFileError
        A line without a valid name and an argon2 hash (the message names the line, never the hash).
    """
    users: dict[str, str] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, hashed = line.partition(":")
        if not USER_NAME.match(name) or not hashed.startswith("$argon2"):
            raise UsersFileError(f"{path}:{number}: expected NAME:ARGON2-HASH (made by "
                                 f"python -m dashboard.auth add-user {path} NAME)")
        users[name] = hashed
    return users


def write_users(path: Path, users: dict[str, str]) -> None:
    """Replace the users file atomically, readable by its owner only."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# HER2 dashboard users: NAME:ARGON2-HASH (python -m dashboard.auth add-user)\n")
        handle.writelines(f"{name}:{hashed}\n" for name, hashed in sorted(users.items()))
    os.replace(temporary, path)


def add_user(path: Path, name: str, password: str) -> bool:
    """Add *name* with *password* (argon2id hash) or change its password; True when the user is new."""
    if not USER_NAME.match(name):
        raise ValueError(f"user name {name!r}: letters, digits and . _ @ - only, at most 64 characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    path = Path(path)
    users = read_users(path) if path.exists() else {}
    new = name not in users
    users[name] = _hasher.hash(password)
    write_users(path, users)
    return new


class UserStore:
    """The users file, read again whenever it changes (a removed user's sessions end at their next request)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, str] = {}
        self._lock = threading.Lock()

    def users(self) -> dict[str, str]:
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._users, self._stamp = read_users(self.path), stamp
            return self._users

    def verify(self, name: str, password: str) -> bool:
        """True when *name* exists and *password* is its password (constant work for unknown names)."""
        dummy = _dummy_hash()
        hashed = self.users().get(name)
        try:
            return _hasher.verify(hashed or dummy, password) and hashed is not None
        except (VerificationError, InvalidHashError):
            return False


# ---------------------------------------------------------------------------------------------- secrets
def load_or_create_secret(path: Path) -> bytes:
    """A 32-byte secret kept in *path* (created, owner-only, when missing; shared by every worker process)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    for _ in range(50):  # another worker may be between creating and writing the file
        text = path.read_text().strip()
        if text:
            return bytes.fromhex(text)
        time.sleep(0.01)
    raise ValueError(f"{path}: empty secret file; delete it and start again")


# ---------------------------------------------------------------------------------------------- identity
def current_user() -> str:
    """The user of the request being served (``local-demo`` in demo mode, '' outside a request)."""
    try:
        return g.get("user", DEMO_USER)
    except RuntimeError:
        return ""


class FailedLogins:
    """Failed login attempts per key (user name, client address); too many in a row pause that key.

    With a *store* (a ``diskcache.Cache`` in the shared cache folder) the count is shared by every worker
    process of the server, so that four gunicorn workers do not allow four times the attempts.  Keys are
    stored as keyed hashes (*secret*), never as user names or addresses; each expires ``LOCKOUT_SECONDS``
    after its last failure.  Without a store (tests, one process) the counts live in this process.
    """

    def __init__(self, store=None, secret: bytes = b"") -> None:
        self._store = store
        self._secret = secret or secrets.token_bytes(32)
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _key(self, key: str) -> str:
        return "failed-login:" + hmac.new(self._secret, key.encode("utf-8", "replace"), "sha256").hexdigest()

    def count(self, key: str) -> int:
        """Failures of *key* in a row, within ``LOCKOUT_SECONDS`` of the last one."""
        if self._store is not None:
            return int(self._store.get(self._key(key), 0))
        count, last = self._failures.get(key, (0, 0.0))
        return count if time.time() - last < LOCKOUT_SECONDS else 0

    def locked(self, *keys: str) -> bool:
        with self._lock:
            return any(self.count(key) >= MAX_FAILURES for key in keys)

    def failed(self, *keys: str) -> None:
        if self._store is not None:
            with self._store.transact():  # one sqlite transaction: no lost update between workers
                for key in keys:
                    hashed = self._key(key)
                    self._store.set(hashed, int(self._store.get(hashed, 0)) + 1, expire=LOCKOUT_SECONDS)
            return
        now = time.time()
        with self._lock:
            for key in keys:
                count, last = self._failures.get(key, (0, 0.0))
                self._failures[key] = (1 if now - last > LOCKOUT_SECONDS else count + 1, now)
            if len(self._failures) > 10_000:  # bounded: forget the oldest
                for key, _ in sorted(self._failures.items(), key=lambda item: item[1][1])[:5_000]:
                    del self._failures[key]

    def succeeded(self, *keys: str) -> None:
        if self._store is not None:
            for key in keys:
                self._store.delete(self._key(key))
            return
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def safe_next(target: str | None) -> str:
    """A local path to go to after login (anything else, e.g. ``//evil.example``, becomes ``/``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def _wants_page() -> bool:
    """A browser navigating to a page (as opposed to a callback, download, asset or API call)."""
    return request.method == "GET" and not request.path.startswith("/_") and \
        not request.path.startswith("/assets/") and "text/html" in request.headers.get("Accept", "")


def _refuse(status: int, message: str) -> Response:
    if status == 401 and _wants_page():
        target = request.full_path if request.query_string else request.path
        return redirect("/login?next=" + quote(target, safe="/"), code=303)
    return Response(message + "\n", status=status, mimetype="text/plain")


# ---------------------------------------------------------------------------------------------- pages
LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Log in - HER2 liquid biopsy</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; background: #f5f6f8; color: #1d2733; margin: 0; }}
main {{ max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 6px;
       box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
h1 {{ font-size: 1.3rem; margin-top: 0; }} label {{ display: block; margin: 1rem 0 .3rem; }}
input[type=text], input[type=password] {{ width: 100%; padding: .5rem; box-sizing: border-box; font-size: 1rem; }}
button {{ margin-top: 1.4rem; padding: .55rem 1.2rem; font-size: 1rem; }}
.error {{ color: #a30000; }} .muted {{ color: #5a6570; font-size: .9rem; }}
</style></head>
<body><main>
<h1>HER2 liquid biopsy</h1>
<p class="muted">Patient data: log in with your dashboard account.</p>
{message}
<form method="post" action="/login" autocomplete="off">
<input type="hidden" name="csrf_token" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<label for="username">User name</label><input id="username" name="username" type="text" value="{username}"
 required autofocus maxlength="64">
<label for="password">Password</label><input id="password" name="password" type="password" required
 maxlength="1024">
<button type="submit">Log in</button>
</form>
</main></body></html>
"""

LOGGED_OUT_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Logged out - HER2 liquid biopsy</title></head>
<body style="font-family: system-ui, sans-serif; margin: 12vh auto; max-width: 22rem;">
<h1 style="font-size: 1.3rem;">Logged out</h1><p>{message}</p><p><a href="/login">Log in again</a></p>
</body></html>
"""

#: A bar above every dashboard page in users mode (plain HTML in Dash's index page, no script).
LOGOUT_BAR = ('<div class="auth-bar no-print" style="text-align:right;font-size:.85rem;padding:.2rem 1rem;">'
              '<a href="/logout">Log out</a></div>')


def login_page(csrf: str, next_path: str, message: str = "", username: str = "", status: int = 200) -> Response:
    """The login form; every value is escaped."""
    note = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    body = LOGIN_PAGE.format(message=note, csrf=escape(csrf), next=escape(safe_next(next_path)),
                             username=escape(username))
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------------------------------------- the hooks
class AccessControl:
    """Login, logout and the check on every request, for one Flask server."""

    def __init__(self, settings: SecuritySettings, revoked=None, on_event=None, failures=None) -> None:
        self.settings = settings
        self.users = UserStore(settings.users_file) if settings.auth == "users" and settings.users_file else None
        self.networks = tuple(ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies)
        self.failures = failures if failures is not None else FailedLogins()
        self.revoked = revoked if revoked is not None else {}  # session id -> expiry (a dict or a diskcache)
        self.on_event = on_event or (lambda kind, user: None)

    # -- identity per mode
    def proxy_user(self) -> tuple[str | None, Response | None]:
        try:
            peer = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            peer = None
        if peer is None or not any(peer in network for network in self.networks):
            return None, _refuse(403, "Forbidden: this dashboard is reached through the hospital sign-on proxy only.")
        name = request.headers.get(self.settings.proxy_header, "").strip()
        if not USER_NAME.match(name):
            return None, _refuse(401, "Login required: the sign-on proxy sent no valid user name.")
        return name, None

    def session_user(self) -> str | None:
        """The user of a valid session cookie, or None (an expired or revoked session is cleared)."""
        name, sid = session.get("user"), session.get("sid")
        if not name or not sid:
            return None
        now = time.time()
        login_at, seen_at = float(session.get("login_at", 0)), float(session.get("seen_at", 0))
        expired = (now - seen_at > self.settings.idle_minutes * 60
                   or now - login_at > self.settings.absolute_hours * 3600)
        assert self.users is not None
        if expired or sid in self.revoked or name not in self.users.users():
            session.clear()
            return None
        if now - seen_at > 30:  # refresh the idle clock (the cookie is re-signed at most every 30 s)
            session["seen_at"] = now
        return name

    def require_login(self) -> Response | None:
        """Flask ``before_request``: None lets the request through, else the refusal."""
        if self.settings.auth == "demo":
            g.user = DEMO_USER
            return None
        if request.path in PUBLIC_PATHS:
            return None
        if self.settings.auth == "proxy":
            name, refusal = self.proxy_user()
            if refusal is not None:
                return refusal
        else:
            name = self.session_user()
            if name is None:
                return _refuse(401, "Login required: log in at /login (your session may have expired).")
            if request.method == "POST" and not self.same_origin():
                return _refuse(403, "Forbidden: request from another site.")
        g.user = name
        return None

    def same_origin(self) -> bool:
        """False when the browser says the request comes from another site (Origin header).

        ``Origin: null`` (sent under ``Referrer-Policy: no-referrer``) says nothing and passes; cross-site
        requests carry no session cookie anyway (``SameSite=Strict``) and the login form has a CSRF token.
        """
        origin = request.headers.get("Origin")
        if not origin or origin == "null":
            return True
        return urlsplit(origin).netloc == request.host

    # -- pages
    def login(self) -> Response:
        if self.settings.auth != "users":
            return Response("Login is handled by the hospital sign-on.\n" if self.settings.auth == "proxy"
                            else "No login in demo mode.\n", status=404, mimetype="text/plain")
        if request.method == "GET":
            csrf = session.get("csrf") or secrets.token_urlsafe(32)
            session["csrf"] = csrf
            return login_page(csrf, request.args.get("next", "/"))
        return self.login_post()

    def login_post(self) -> Response:
        form = request.form
        csrf = session.get("csrf", "")
        next_path = form.get("next", "/")
        name = form.get("username", "").strip()[:64]
        if not csrf or not hmac.compare_digest(str(form.get("csrf_token", "")), csrf) or not self.same_origin():
            fresh = secrets.token_urlsafe(32)
            session["csrf"] = fresh
            return login_page(fresh, next_path, "The form had expired; please log in again.", status=400)
        keys = (f"user:{name}", f"addr:{request.remote_addr}")
        assert self.users is not None
        if self.failures.locked(*keys):
            return login_page(csrf, next_path, "Too many failed logins: wait 15 minutes and try again.",
                              username=name, status=429)
        if not self.users.verify(name, form.get("password", "")):
            self.failures.failed(*keys)
            if name in self.users.users():
                self.on_event("login_failed", name)
            return login_page(csrf, next_path, "Unknown user name or wrong password.", username=name, status=401)
        self.failures.succeeded(*keys)
        now = time.time()
        session.clear()  # a new session id at every login (no session fixation)
        session.update(user=name, sid=secrets.token_urlsafe(24), login_at=now, seen_at=now)
        session.permanent = True
        g.user = name
        self.on_event("login", name)
        return redirect(safe_next(next_path), code=303)

    def logout(self) -> Response:
        name, sid = session.get("user"), session.get("sid")
        if sid:
            expiry = self.settings.absolute_hours * 3600
            if hasattr(self.revoked, "set"):
                self.revoked.set(sid, True, expire=expiry)
            else:
                self.revoked[sid] = time.time() + expiry
        session.clear()
        if name:
            g.user = name
            self.on_event("logout", name)
        message = "You are logged out." if name else "You were not logged in (or your session had expired)."
        response = Response(LOGGED_OUT_PAGE.format(message=escape(message)), mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        return response


def install(app, settings, on_event=None) -> AccessControl:
    """Require login on *app* (a Dash app) as *settings.security* says; the app's Flask server is changed."""
    import diskcache

    security: SecuritySettings = settings.security
    server: Flask = app.server
    revoked = failures = None
    if security.auth == "users":
        assert security.secret_key_file is not None
        server.secret_key = load_or_create_secret(security.secret_key_file)
        server.config.update(SESSION_COOKIE_NAME=SESSION_COOKIE, SESSION_COOKIE_HTTPONLY=True,
                             SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_SECURE=security.secure_cookies,
                             PERMANENT_SESSION_LIFETIME=int(security.absolute_hours * 3600))
        revoked = diskcache.Cache(str(settings.cache_dir / "revoked-sessions"))
        # shared by every worker process: the pause counts attempts made to any of them
        failures = FailedLogins(diskcache.Cache(str(settings.cache_dir / "failed-logins"), size_limit=2**26),
                                secret=server.secret_key)
        app.index_string = app.index_string.replace("{%app_entry%}", LOGOUT_BAR + "{%app_entry%}", 1)
    control = AccessControl(security, revoked, on_event, failures)
    server.before_request_funcs.setdefault(None, []).insert(0, control.require_login)
    server.add_url_rule("/login", "her2dash_login", control.login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "her2dash_logout", control.logout, methods=["GET", "POST"])
    return control


# ---------------------------------------------------------------------------------------------- command line
def _read_password(stream=None) -> str:
    """The new password: asked twice on a terminal, else the first line of stdin (never from argv)."""
    stream = stream or sys.stdin
    if stream.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return stream.readline().rstrip("\r\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.auth",
                                     description="Manage the dashboard's users file (argon2 password hashes).")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-user", help="add a user or change a password (asked, or read from stdin)")
    add.add_argument("file", type=Path)
    add.add_argument("name")
    remove = commands.add_parser("remove-user", help="remove a user (their sessions end at the next request)")
    remove.add_argument("file", type=Path)
    remove.add_argument("name")
    listing = commands.add_parser("list-users", help="print the user names")
    listing.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "add-user":
            new = add_user(args.file, args.name, _read_password())
            print(f"{'Added' if new else 'Changed the password of'} {args.name} in {args.file}.")
        elif args.command == "remove-user":
            users = read_users(args.file)
            if users.pop(args.name, None) is None:
                print(f"{args.file}: no user {args.name}", file=sys.stderr)
                return 1
            write_users(args.file, users)
            print(f"Removed {args.name} from {args.file}.")
        else:
            print("\n".join(sorted(read_users(args.file))))
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
