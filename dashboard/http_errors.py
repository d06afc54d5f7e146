"""Request limits and error responses that give nothing away.

- Request bodies above ``--max-request-mb`` are refused with 413 and a one-line reason (Flask's
  ``MAX_CONTENT_LENGTH``; a callback request is a few kilobytes).
- An unexpected error answers 500 with a short reference number only.  The server log gets the
  reference, the exception type and where it happened (file and line): no message (it may hold a
  patient id or a value), no traceback locals, no file contents.
"""

from __future__ import annotations

import logging
import secrets
import traceback

from flask import Flask, Response
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

logger = logging.getLogger("her2dash.errors")


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown place"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


def install(app, settings) -> None:
    """Set the request-size limit and the error handlers on *app* (a Dash app)."""
    server: Flask = app.server
    limit_mb = settings.security.max_request_mb
    server.config["MAX_CONTENT_LENGTH"] = int(limit_mb * 1024 * 1024)

    @server.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc):
        return Response(f"Request too large: the limit is {limit_mb:g} MB.\n", status=413, mimetype="text/plain")

    if settings.debug:
        return  # development: Dash's debug mode shows tracebacks on purpose

    @server.errorhandler(Exception)
    def _unexpected(exc):
        if isinstance(exc, HTTPException):
            return exc
        reference = secrets.token_hex(4)
        logger.error("unexpected error %s: %s at %s", reference, type(exc).__name__, _where(exc))
        return Response(f"Internal error (reference {reference}); the details are in the server log.\n",
                        status=500, mimetype="text/plain")
