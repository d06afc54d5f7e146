"""Deployment settings, parsed explicitly from the command line and environment."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STUDY = PROJECT_ROOT / "data" / "demo"
DEFAULT_CACHE_DIR = PROJECT_ROOT / ".cache"


@dataclass(frozen=True)
class Settings:
    """Where the study is, where to serve, where to cache.

    ``debug`` enables Dash's debug mode and must stay off outside development:
    it exposes tracebacks (with data values) to the browser.
    """

    study: Path = DEFAULT_STUDY
    host: str = "127.0.0.1"
    port: int = 8050
    cache_dir: Path = DEFAULT_CACHE_DIR
    debug: bool = False


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
    parser.add_argument("--debug", action="store_true",
                        help="development only: Dash debug mode with hot reload and in-browser tracebacks")
    args = parser.parse_args(argv)
    return Settings(study=args.study, host=args.host, port=args.port, cache_dir=args.cache_dir, debug=args.debug)
