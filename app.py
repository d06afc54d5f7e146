"""Serve the HER2 liquid-biopsy dashboard.

    python app.py [--study PATH] [--host 127.0.0.1] [--port 8050] [--cache-dir .cache]

A study with validation errors is refused: its report is printed and the
program exits with status 2.
"""

from __future__ import annotations

import sys

from analysis.errors import InputError, StudyValidationError
from dashboard.server import create_app
from dashboard.settings import parse_settings


def main(argv: list[str] | None = None) -> int:
    settings = parse_settings(argv)
    try:
        app = create_app(settings)
    except StudyValidationError as exc:
        print(f"The study in {settings.study} was refused: {len(exc.report.errors)} error(s).", file=sys.stderr)
        print(exc.report.format(), file=sys.stderr)
        return 2
    except InputError as exc:
        print(f"Cannot open the study: {exc}", file=sys.stderr)
        return 2
    print(f"Serving {settings.study} on http://{settings.host}:{settings.port}/", flush=True)
    if settings.debug:
        app.run(host=settings.host, port=settings.port, debug=True)
    else:
        from waitress import serve

        serve(app.server, host=settings.host, port=settings.port, threads=8)
    return 0


if __name__ == "__main__":
    sys.exit(main())
