"""The sequencing panel's gene list (``data/panel_genes.txt``).

The demo cohort draws every gene from this list and the resistance knowledge
base may only name genes on it, so that a call can never refer to a gene the
assay does not cover.
"""

from __future__ import annotations

import re
from pathlib import Path

from analysis.errors import InputError

#: The shipped list: a representative 416-gene pan-cancer panel.
DEFAULT_PANEL_PATH = Path(__file__).resolve().parents[1] / "data" / "panel_genes.txt"

# HUGO symbols are upper-case letters, digits and hyphens (e.g. NKX2-1, HLA-A).
_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")


def load_panel_genes(path: str | Path | None = None) -> list[str]:
    """Read a panel gene list: one HUGO symbol per line, ``#`` comments and blank lines ignored.

    Parameters
    ----------
    path
        The list file; None reads the shipped ``data/panel_genes.txt``.

    Returns
    -------
    list[str]
        Gene symbols in file order, each once.

    Raises
    ------
    InputError
        The file is missing, a line is not a gene symbol, or a symbol is repeated
        (naming the file, line and symbol).
    """
    panel_path = Path(path) if path is not None else DEFAULT_PANEL_PATH
    try:
        text = panel_path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("panel gene list not found; give the path of a file with one gene symbol per line",
                         path=str(panel_path)) from exc
    genes: list[str] = []
    seen: dict[str, int] = {}
    for line_number, raw in enumerate(text.splitlines(), start=1):
        symbol = raw.strip()
        if not symbol or symbol.startswith("#"):
            continue
        if not _SYMBOL.match(symbol):
            raise InputError(f"{symbol!r} is not a gene symbol (expected upper-case HUGO, e.g. ERBB2)",
                             path=str(panel_path), line=line_number, field="gene")
        if symbol in seen:
            raise InputError(f"{symbol} is listed twice (first on line {seen[symbol]})",
                             path=str(panel_path), line=line_number, field="gene")
        seen[symbol] = line_number
        genes.append(symbol)
    return genes
