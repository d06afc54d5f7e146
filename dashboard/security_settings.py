"""Access-control, audit and request-limit settings (command line flags, ``HER2DASH_*`` environment variables).

Three ways to run, one of them always in force:

- ``demo``: no login, for one person on this machine; allowed only when bound to loopback (``make run``).
- ``users``: login with a user name and password; users and their argon2 hashes in a file
  (``python -m dashboard.auth add-user FILE NAME``).
- ``proxy``: the hospital's single sign-on proxy authenticates and passes the user name in a header
  (``X-Remote-User``); the header is believed only from the configured proxy addresses.

Served beyond loopback, the app refuses to start in demo mode.
"""

from __future__ import annotations

import argparse
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

AUTH_MODES = ("demo", "users", "proxy")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
#: Where audit log, its pseudonym key and the session secret go unless given: outside the cache folder
#: (which may be cleared) and outside the study.
DEFAULT_VAR = Path(__file__).resolve().parents[1] / "var"


class SettingsError(ValueError):
    """A deployment setting that cannot be served safely; the message says what to give instead."""


@dataclass(frozen=True)
class SecuritySettings:
    """Who may see the dashboard, what is recorded, how large a request may be.

    ``idle_minutes`` and ``absolute_hours`` end a login session after that much inactivity or that long
    after login, whichever comes first.  ``audit_log`` None means no audit (allowed only in demo mode).
    """

    auth: str = "demo"
    users_file: Path | None = None
    proxy_header: str = "X-Remote-User"
    trusted_proxies: tuple[str, ...] = ()
    secret_key_file: Path | None = None
    idle_minutes: float = 30.0
    absolute_hours: float = 12.0
    secure_cookies: bool = False
    audit_log: Path | None = None
    audit_key_file: Path | None = None
    max_request_mb: float = 2.0

    @property
    def login_required(self) -> bool:
        return self.auth != "demo"


def add_security_arguments(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    """The access, audit and limit flags, each defaulting to its ``HER2DASH_*`` variable."""
    group = parser.add_argument_group("access control and audit (see README, Security)")
    group.add_argument("--auth", choices=AUTH_MODES, default=env.get("HER2DASH_AUTH") or None,
                       help="demo (no login, 127.0.0.1 only), users (password login) or proxy (hospital "
                            "sign-on header); default: users with --users-file, proxy with --trusted-proxy, "
                            "else demo")
    group.add_argument("--users-file", type=Path, default=env.get("HER2DASH_USERS_FILE") or None,
                       help="file of users and argon2 password hashes (python -m dashboard.auth add-user FILE NAME)")
    group.add_argument("--trusted-proxy", action="append", default=None,
                       help="address or network (CIDR) of the sign-on proxy whose user header is believed; "
                            "repeat for several (env HER2DASH_TRUSTED_PROXIES, comma-separated)")
    group.add_argument("--proxy-header", default=env.get("HER2DASH_PROXY_HEADER", "X-Remote-User"),
                       help="header carrying the signed-on user name (default X-Remote-User)")
    group.add_argument("--secret-key-file", type=Path, default=env.get("HER2DASH_SECRET_KEY_FILE") or None,
                       help="server-side secret signing the session cookies (created if missing; default "
                            "var/session.key)")
    group.add_argument("--idle-minutes", type=float, default=float(env.get("HER2DASH_IDLE_MINUTES", "30")),
                       help="log out after this many minutes without a request (default 30)")
    group.add_argument("--absolute-hours", type=float, default=float(env.get("HER2DASH_ABSOLUTE_HOURS", "12")),
                       help="log out this many hours after login whatever the activity (default 12)")
    group.add_argument("--insecure-cookies", action="store_true",
                       default=env.get("HER2DASH_INSECURE_COOKIES", "") in ("1", "true", "yes"),
                       help="send the session cookie over plain http too (default: https only when served "
                            "beyond this machine)")
    group.add_argument("--audit-log", type=Path, default=env.get("HER2DASH_AUDIT_LOG") or None,
                       help="append-only audit log, JSON lines (default var/audit.jsonl when login is on)")
    group.add_argument("--audit-key-file", type=Path, default=env.get("HER2DASH_AUDIT_KEY_FILE") or None,
                       help="key of the pseudonymous patient ids in the audit log (created if missing; "
                            "default next to the log: audit.key)")
    group.add_argument("--max-request-mb", type=float, default=float(env.get("HER2DASH_MAX_REQUEST_MB", "2")),
                       help="largest request body accepted, in MB (default 2; larger is refused with 413)")


def security_settings_from(args: argparse.Namespace, env: Mapping[str, str]) -> SecuritySettings:
    """Settings from parsed flags; raises :class:`SettingsError` for a deployment that is not safe."""
    proxies = args.trusted_proxy
    if proxies is None:
        proxies = [p for p in env.get("HER2DASH_TRUSTED_PROXIES", "").split(",") if p.strip()]
    proxies = tuple(p.strip() for p in proxies)
    auth = args.auth or ("users" if args.users_file else "proxy" if proxies else "demo")
    login = auth != "demo"
    audit_log = args.audit_log or (DEFAULT_VAR / "audit.jsonl" if login else None)
    settings = SecuritySettings(
        auth=auth, users_file=args.users_file, proxy_header=args.proxy_header, trusted_proxies=proxies,
        secret_key_file=args.secret_key_file or (DEFAULT_VAR / "session.key" if auth == "users" else None),
        idle_minutes=args.idle_minutes, absolute_hours=args.absolute_hours,
        secure_cookies=login and not args.insecure_cookies and args.host not in LOOPBACK_HOSTS,
        audit_log=audit_log,
        audit_key_file=args.audit_key_file or (audit_log.with_name("audit.key") if audit_log else None),
        max_request_mb=args.max_request_mb)
    check_security(settings, args.host)
    return settings


def check_security(settings: SecuritySettings, host: str) -> None:
    """Refuse what cannot be served safely.

    Raises
    ------
    SettingsError
        Demo mode (no login) beyond loopback; users mode without a users file; proxy mode without trusted
        proxy addresses (or with an unreadable one); non-positive timeouts or request limit.
    """
    if settings.auth not in AUTH_MODES:
        raise SettingsError(f"--auth {settings.auth!r}: expected one of {', '.join(AUTH_MODES)}")
    if settings.auth == "demo" and host not in LOOPBACK_HOSTS:
        raise SettingsError(
            f"refusing to serve on {host} without login: demo mode (no login) is for 127.0.0.1 only. Give "
            "--users-file FILE (password login) or --trusted-proxy ADDRESS (hospital sign-on header)")
    if settings.auth == "users":
        if settings.users_file is None:
            raise SettingsError("--auth users needs --users-file FILE (create it with "
                                "python -m dashboard.auth add-user FILE NAME)")
        if not settings.users_file.is_file():
            raise SettingsError(f"{settings.users_file}: users file not found (create it with "
                                f"python -m dashboard.auth add-user {settings.users_file} NAME)")
    if settings.auth == "proxy":
        if not settings.trusted_proxies:
            raise SettingsError("--auth proxy needs --trusted-proxy ADDRESS: the user header is believed only "
                                "from the sign-on proxy")
        for proxy in settings.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError as exc:
                raise SettingsError(f"--trusted-proxy {proxy!r}: not an IP address or network ({exc})") from None
    if settings.login_required and settings.audit_log is None:
        raise SettingsError("login is on but no audit log: give --audit-log FILE")
    if not (settings.idle_minutes > 0 and settings.absolute_hours > 0):
        raise SettingsError("--idle-minutes and --absolute-hours must be positive")
    if not settings.max_request_mb > 0:
        raise SettingsError("--max-request-mb must be positive")
