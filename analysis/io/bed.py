"""Panel BED reader and contig-name reconciliation (``chr17`` vs ``17``).

BED coordinates are 0-based, half-open: a target ``chr17 100 250`` covers
bases 101..250 in 1-based terms, 150 bp.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.errors import InputError

#: Columns of a panel table: contig as written in the BED, 0-based start, end, target name, gene.
PANEL_COLUMNS = ("chromosome", "start", "end", "target", "gene")

_SKIP_PREFIXES = ("#", "track", "browser")


def empty_panel() -> pd.DataFrame:
    """An empty, correctly typed panel table."""
    return pd.DataFrame(
        {
            "chromosome": pd.Series(dtype="string"),
            "start": pd.Series(dtype="int64"),
            "end": pd.Series(dtype="int64"),
            "target": pd.Series(dtype="string"),
            "gene": pd.Series(dtype="string"),
        }
    )


def gene_from_target_name(name: str) -> str:
    """The gene symbol in a BED name column.

    Panel BEDs name targets ``ERBB2``, ``ERBB2_exon20``, ``ERBB2|NM_004448`` or
    CNVkit-style ``ERBB2,GRB7``; the gene is the text before the first
    ``_ | , ; :`` separator.

    >>> gene_from_target_name("ERBB2_exon20"), gene_from_target_name("NF1|NM_000267")
    ('ERBB2', 'NF1')
    """
    return re.split(r"[_|,;:]", name.strip(), maxsplit=1)[0]


def read_bed(path: str | Path) -> pd.DataFrame:
    """Read a panel BED file.

    Parameters
    ----------
    path
        BED file (plain text; ``#``, ``track`` and ``browser`` lines skipped).
        At least 3 columns; the 4th, when present, names the target and its gene.

    Returns
    -------
    DataFrame
        Columns ``chromosome`` (as written), ``start`` (0-based), ``end``
        (exclusive), ``target`` (4th column or ``chrom:start-end``), ``gene``
        (see :func:`gene_from_target_name`; missing when there is no 4th column),
        in file order.

    Raises
    ------
    InputError
        Missing file, fewer than 3 columns, non-integer coordinates, negative
        start, or ``end < start``; the message names the line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("BED file not found; check the path.", path=str(path))
    rows = []
    with path.open("rt", encoding="utf-8", errors="replace") as handle:
        for line_number, line in enumerate(handle, start=1):
            text = line.rstrip("\r\n")
            if not text.strip() or text.startswith(_SKIP_PREFIXES):
                continue
            fields = text.split("\t") if "\t" in text else text.split()
            if len(fields) < 3:
                raise InputError(
                    f"expected at least 3 tab-separated columns (chrom, start, end), got {len(fields)}.",
                    path=str(path),
                    line=line_number,
                    field="chromEnd",
                )
            try:
                start, end = int(fields[1]), int(fields[2])
            except ValueError:
                raise InputError(
                    f"start/end must be integers, got {fields[1]!r} and {fields[2]!r}.",
                    path=str(path),
                    line=line_number,
                    field="chromStart",
                ) from None
            if start < 0:
                raise InputError(
                    f"start {start} is negative; BED starts are 0-based and >= 0.",
                    path=str(path),
                    line=line_number,
                    field="chromStart",
                )
            if end < start:
                raise InputError(
                    f"end {end} is before start {start}; fix the interval "
                    "(BED is 0-based, half-open: end >= start).",
                    path=str(path),
                    line=line_number,
                    field="chromEnd",
                )
            name = fields[3].strip() if len(fields) > 3 and fields[3].strip() else ""
            rows.append(
                (
                    fields[0],
                    start,
                    end,
                    name or f"{fields[0]}:{start}-{end}",
                    gene_from_target_name(name) if name else None,
                )
            )
    if not rows:
        return empty_panel()
    frame = pd.DataFrame(rows, columns=list(PANEL_COLUMNS))
    return frame.astype(
        {"chromosome": "string", "start": "int64", "end": "int64", "target": "string", "gene": "string"}
    )


def strip_chr(name: str) -> str:
    """``chr17`` -> ``17``, ``chrM`` -> ``MT``; other names unchanged."""
    bare = name[3:] if name.lower().startswith("chr") else name
    return "MT" if bare == "M" else bare


def match_contig(name: str, available: Iterable[str]) -> str | None:
    """The contig of *available* that *name* denotes, whatever the ``chr`` convention; None if absent.

    >>> match_contig("17", ["chr17", "chrX"]), match_contig("chrX", ["X"]), match_contig("5", ["chr17"])
    ('chr17', 'X', None)
    """
    names = list(available)
    if name in names:
        return name
    bare = strip_chr(name)
    for candidate in names:
        if strip_chr(candidate) == bare:
            return candidate
    return None


def contig_style(names: Iterable[str]) -> str:
    """``'chr'`` when the names carry the prefix (``chr17``), else ``'bare'`` (``17``)."""
    names = [n for n in names if n]
    if not names:
        return "bare"
    return "chr" if sum(n.lower().startswith("chr") for n in names) * 2 >= len(names) else "bare"
