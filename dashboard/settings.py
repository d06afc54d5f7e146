"""Deployment settings, parsed explicitly from the command line and environment."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from dashboard.security_settings import (
    LOOPBACK_HOSTS,
    SecuritySettings,
    SettingsError,
    add_security_arguments,
    security_settings_from,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STUDY = PROJECT_ROOT / "data" / "demo"
DEFAULT_CACHE_DIR = PROJECT_ROOT / ".cache"


@dataclass(frozen=True)
class Settings:
    """Where the study is, where to serve, where to cache.

    ``debug`` enables Dash's debug mode and must stay off outside development:
    it exposes tracebacks (with data values) to the browser.  ``studies_root`` limits the folders the
    Data page may open (None: any folder on this machine, allowed only when bound to loopback).
    """

    study: Path = DEFAULT_STUDY
    host: str = "127.0.0.1"
    port: int = 8050
    cache_dir: Path = DEFAULT_CACHE_DIR
    debug: bool = False
    studies_root: Path | None = None
    security: SecuritySettings = SecuritySettings()


def parse_settings(argv: list[str] | None = None) -> Settings:
    """Settings from ``argv`` (or ``sys.argv``), with ``HER2DASH_*`` environment variables as defaults."""
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="app.py",
        description="Serve the HER2 liquid-biopsy dashboard on one study folder (cBioPortal format).")
    parser.add_argument("--study", type=Path, default=Path(env.get("HER2DASH_STUDY", DEFAULT_STUDY)),
                        help="study folder to open (default: the bundled demo cohort, data/demo)")
    parser.add_argument("--host", default=env.get("HER2DASH_HOST", "127.0.0.1"),
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=int(env.get("HER2DASH_PORT", "8050")),
                        help="port to serve on (default 8050)")
    parser.add_argument("--cache-dir", type=Path, default=Path(env.get("HER2DASH_CACHE_DIR", DEFAULT_CACHE_DIR)),
                        help="disk cache folder for analysis results (default .cache/)")
    parser.add_argument("--studies-root", type=Path, default=env.get("HER2DASH_STUDIES_ROOT") or None,
                        help="folder under which the Data page may open other studies (default: anywhere on "
                             "this machine when bound to 127.0.0.1; the serving folder's parent otherwise)")
    parser.add_argument("--debug", action="store_true",
                        help="development only: Dash debug mode with hot reload and in-browser tracebacks")
    add_security_arguments(parser, env)
    args = parser.parse_args(argv)
    try:
        security = security_settings_from(args, env)
    except SettingsError as exc:
        parser.error(str(exc))
    root = args.studies_root
    if root is None and (args.host not in LOOPBACK_HOSTS or security.login_required):
        # Served beyond this machine or to logged-in users: never let a browser open arbitrary server folders.
        root = Path(args.study).resolve().parent
    return Settings(study=args.study, host=args.host, port=args.port, cache_dir=args.cache_dir, debug=args.debug,
                    studies_root=Path(root) if root is not None else None, security=security)

_settings = Settings()


def set_settings(settings: Settings) -> None:
    """Install the settings the running app was built with."""
    global _settings
    _settings = settings


def get_settings() -> Settings:
    return _settings
