"""CNVkit outputs (``.cnr`` bins, ``.cns`` segments, ``.call.cns`` calls) -> gene-level copy number.

Columns may come in any order; ``depth``, ``weight``, ``probes`` and ``cn``
are optional (CNVkit itself omits ``depth``/``weight`` from some segment files).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.copy_number import discrete_call, gene_level, log2_to_cn
from analysis.errors import InputError
from analysis.io.tables import find_column, numbers_or_error, read_raw_table

REQUIRED_COLUMNS = ("chromosome", "start", "end", "gene", "log2")
OPTIONAL_NUMERIC = ("depth", "weight", "probes", "cn")

#: Gene-level table columns returned by :func:`cnvkit_gene_level`.
GENE_COLUMNS = ("gene", "log2_ratio", "copy_number", "cna_discrete", "n_bins")


def read_cnvkit(path: str | Path) -> pd.DataFrame:
    """Read a CNVkit ``.cnr``/``.cns``/``.call.cns`` table.

    Parameters
    ----------
    path
        Tab-separated file with a header naming at least ``chromosome``,
        ``start``, ``end``, ``gene``, ``log2`` (any order, any case).

    Returns
    -------
    DataFrame
        ``chromosome`` (string, as written), ``start``/``end`` (int64, 0-based
        half-open), ``gene`` (string; comma-separated gene lists in segments),
        ``log2`` (float64), plus ``depth``, ``weight``, ``probes``, ``cn``
        (float64) when the file has them; other columns dropped.  ``.attrs["notes"]``
        lists what was tolerated (empty 0-probe segments with end < start are skipped).

    Raises
    ------
    InputError
        Missing required column (names what was found), non-numeric value
        (names line and column), ``end < start``.
    """
    raw = read_raw_table(Path(path))
    frame = raw.frame
    columns = {}
    for name in REQUIRED_COLUMNS:
        found = find_column(frame, name)
        if found is None:
            raise InputError(
                f"missing column {name!r}: expected CNVkit columns {', '.join(REQUIRED_COLUMNS)}, "
                f"got {', '.join(map(str, frame.columns))}.",
                path=str(path),
                field=name,
            )
        columns[name] = found
    out = pd.DataFrame(
        {
            "chromosome": frame[columns["chromosome"]].astype("string"),
            "gene": frame[columns["gene"]].astype("string"),
        }
    )
    for name in ("start", "end", "log2") + OPTIONAL_NUMERIC:
        source = columns.get(name) or find_column(frame, name)
        if source is None:
            continue
        out[name] = numbers_or_error(raw, source)
    for name in ("start", "end"):
        if out[name].isna().any():
            row = int(np.argmax(out[name].isna().to_numpy()))
            raise InputError("coordinate is missing.", path=str(path), line=int(raw.lines[row]), field=name)
        out[name] = out[name].astype("int64")
    backwards = (out["end"] < out["start"]).to_numpy()
    notes = []
    if "probes" in out.columns:
        # CNVkit can emit an empty (0-probe) segment with end < start between two segments; harmless.
        empty_segments = backwards & (out["probes"] == 0).to_numpy()
        if empty_segments.any():
            lines = ", ".join(str(n) for n in raw.lines[empty_segments][:5])
            notes.append(
                f"{Path(path).name}: {int(empty_segments.sum())} empty segment(s) with 0 probes and "
                f"end < start skipped (line {lines})."
            )
            out = out.loc[~empty_segments]
            raw_lines = raw.lines[~empty_segments]
            backwards = backwards[~empty_segments]
        else:
            raw_lines = raw.lines
    else:
        raw_lines = raw.lines
    if backwards.any():
        row = int(np.argmax(backwards))
        raise InputError(
            f"end {out['end'].iloc[row]} is before start {out['start'].iloc[row]}.",
            path=str(path),
            line=int(raw_lines[row]),
            field="end",
        )
    out = out.reset_index(drop=True)
    out.attrs["notes"] = notes
    return out


def cnvkit_gene_level(table: pd.DataFrame) -> pd.DataFrame:
    """Gene-level copy number from a CNVkit table (bins or segments).

    Bins (``.cnr``): weighted median of the gene's bin log2 ratios, weights
    from ``weight`` (equal when absent); ``Antitarget``/``Background``/``-``
    bins are not genes.  Segments (``.cns``): each segment's comma-separated
    gene list is expanded; a gene in several segments takes the weighted
    median, weights ``weight`` else ``probes`` else 1.

    Returns
    -------
    DataFrame
        ``gene``, ``log2_ratio``, ``copy_number`` (2 x 2^log2), ``cna_discrete``
        (-2..2; from integer ``cn`` when a ``.call.cns`` gives it: 0 -> -2,
        1 -> -1, 2 -> 0, 3 -> 1, >= 4 -> 2; else from log2 thresholds),
        ``n_bins``.  Empty input gives an empty typed table.
    """
    if table.empty:
        empty = gene_level(table.assign(log2=pd.Series(dtype="float64")) if "log2" not in table else table)
        return empty.assign(cna_discrete=pd.Series(dtype="Int64"))[list(GENE_COLUMNS)]
    weight = "weight" if "weight" in table.columns else ("probes" if "probes" in table.columns else None)
    expanded = table.assign(gene=table["gene"].astype("string").str.split(",")).explode("gene")
    expanded["gene"] = expanded["gene"].astype("string").str.strip()
    genes = gene_level(expanded, value="log2", weight=weight)
    if "cn" in expanded.columns:
        cn = (
            genes["gene"].map(expanded.dropna(subset=["cn"]).groupby("gene")["cn"].median()).astype("float64")
        )
        called = pd.Series(
            np.select([cn <= 0, cn <= 1, cn <= 2, cn <= 3], [-2, -1, 0, 1], 2), index=genes.index
        )
        genes["cna_discrete"] = called.astype("Int64").mask(cn.isna())
        genes["cna_discrete"] = genes["cna_discrete"].fillna(discrete_call(genes["log2_ratio"]))
    else:
        genes["cna_discrete"] = discrete_call(genes["log2_ratio"])
    genes["copy_number"] = log2_to_cn(genes["log2_ratio"])
    return genes[list(GENE_COLUMNS)].reset_index(drop=True)
