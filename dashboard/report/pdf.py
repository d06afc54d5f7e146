"""PDF by printing the report's HTML with headless Chromium (the print stylesheet lays out the pages)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from dashboard.report.errors import ReportError

#: Chromium's executable names, in the order they are looked for on PATH.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Printing a report takes about two seconds; more than this means Chromium hangs.
PRINT_TIMEOUT_S = 120


def chromium_path() -> str | None:
    """The Chromium (or Chrome) executable on PATH, or None."""
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def html_to_pdf(html_file: str | Path, pdf_file: str | Path, *, chromium: str | None = None,
                timeout_s: float = PRINT_TIMEOUT_S) -> Path:
    """Print *html_file* to *pdf_file* with headless Chromium (no header or footer added by Chromium;
    the page size and footer come from the report's ``@page`` rules).

    Raises
    ------
    ReportError
        No Chromium on PATH, Chromium failed, or it wrote no PDF.
    """
    executable = chromium or chromium_path()
    if executable is None:
        raise ReportError("the PDF needs Chromium, and none is on PATH (Debian: apt-get install chromium); "
                          "the HTML report (--out F.html) needs nothing")
    source = Path(html_file).resolve()
    target = Path(pdf_file).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="her2-report-chromium-") as profile:
        command = [executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                   f"--user-data-dir={profile}", "--no-first-run", "--disable-extensions",
                   f"--print-to-pdf={target}", source.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ReportError(f"Chromium did not finish printing {source} within {timeout_s:g} s") from exc
    if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ReportError(f"Chromium could not print {source} to {target} (exit status {done.returncode}): "
                          + " / ".join(tail))
    return target


def page_to_pdf(page: str) -> bytes:
    """A rendered report page (HTML text) printed to PDF bytes (:func:`html_to_pdf` in a scratch folder)."""
    with tempfile.TemporaryDirectory(prefix="her2-report-") as folder:
        source = Path(folder) / "report.html"
        source.write_text(page, encoding="utf-8")
        return html_to_pdf(source, Path(folder) / "report.pdf").read_bytes()
