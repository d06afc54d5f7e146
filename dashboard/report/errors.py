"""Errors of the report layer."""

from __future__ import annotations

from analysis.errors import AnalysisError


class ReportError(AnalysisError):
    """A report cannot be written (unknown patient, unsupported file type, no Chromium for the PDF).
    The message says what to do."""
