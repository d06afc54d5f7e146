"""SEG files (IGV / cBioPortal / DNAcopy segments) -> gene-level copy number over a panel.

A SEG file has a header and columns in a fixed order: sample id, chromosome,
start, end, [number of probes], segment mean (log2 ratio).  Headers vary
(``ID``/``loc.start``/``seg.mean``, ``Sample``/``Start``/``Segment_Mean``), so
columns are taken by position.  Starts are 1-based inclusive, as DNAcopy writes them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.copy_number import discrete_call, log2_to_cn, weighted_median
from analysis.errors import InputError
from analysis.io.bed import strip_chr
from analysis.io.tables import numbers_or_error, read_raw_table

SEGMENT_COLUMNS = ("sample_id", "chromosome", "start", "end", "n_probes", "log2_ratio")


def read_seg(path: str | Path) -> pd.DataFrame:
    """Read a SEG file.

    Returns
    -------
    DataFrame
        ``sample_id``, ``chromosome`` (as written), ``start`` (1-based), ``end``
        (inclusive), ``n_probes`` (Int64, missing in 5-column files),
        ``log2_ratio`` (float64).

    Raises
    ------
    InputError
        Fewer than 5 columns, non-numeric coordinates or means, coordinates that are not whole numbers >= 0
        (line and column named), end < start.
    """
    raw = read_raw_table(Path(path))
    frame = raw.frame
    headers = list(frame.columns)
    if len(headers) < 5:
        raise InputError(
            f"expected at least 5 columns (ID, chrom, loc.start, loc.end, [num.mark], seg.mean), "
            f"got {len(headers)}: {', '.join(headers)}.",
            path=str(path),
            line=1,
        )
    value_column = headers[5] if len(headers) >= 6 else headers[4]
    probes_column = headers[4] if len(headers) >= 6 else None
    out = pd.DataFrame(
        {"sample_id": frame[headers[0]].astype("string"), "chromosome": frame[headers[1]].astype("string")}
    )
    for name, source in (
        ("start", headers[2]),
        ("end", headers[3]),
        ("n_probes", probes_column),
        ("log2_ratio", value_column),
    ):
        if source is None:
            out[name] = pd.NA
            continue
        out[name] = numbers_or_error(raw, source, allow_missing=name == "n_probes")
        if name in ("start", "end"):
            # Positions are whole numbers >= 0 (a start of 3.5 would otherwise be truncated to 3).
            bad = ((out[name] < 0) | (out[name] != np.floor(out[name]))).to_numpy()
            if bad.any():
                row = int(np.argmax(bad))
                raise InputError(f"expected a whole number >= 0, got {frame[source].iloc[row]!r}.", path=str(path),
                                 line=int(raw.lines[row]), field=source)
    out = out.astype({"start": "int64", "end": "int64", "n_probes": "Int64", "log2_ratio": "float64"})
    backwards = (out["end"] < out["start"]).to_numpy()
    if backwards.any():
        row = int(np.argmax(backwards))
        raise InputError(
            f"end {out['end'].iloc[row]} is before start {out['start'].iloc[row]}.",
            path=str(path),
            line=int(raw.lines[row]),
            field=headers[3],
        )
    return out[list(SEGMENT_COLUMNS)]


def seg_gene_level(segments: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Gene-level log2 ratio per sample: weighted median of the segments over the gene's panel targets.

    Weights are the overlap (bp) of each segment with each target.

    Parameters
    ----------
    segments
        From :func:`read_seg`.
    panel
        From :func:`analysis.io.bed.read_bed`; its ``gene`` column names the genes.
        Contig names are compared without ``chr``.

    Returns
    -------
    DataFrame
        ``sample_id``, ``gene``, ``log2_ratio``, ``copy_number``, ``cna_discrete``;
        genes no segment covers are left out.
    """
    columns = {
        "sample_id": "string",
        "gene": "string",
        "log2_ratio": "float64",
        "copy_number": "float64",
        "cna_discrete": "Int64",
    }
    if segments.empty or panel.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    targets = panel.dropna(subset=["gene"]).assign(
        contig=lambda t: t["chromosome"].astype(str).map(strip_chr)
    )
    segs = segments.assign(
        contig=segments["chromosome"].astype(str).map(strip_chr), seg_start0=segments["start"] - 1
    )
    rows = []
    for sample_id, sample_segs in segs.groupby("sample_id", sort=False):
        by_contig = {c: g for c, g in sample_segs.groupby("contig")}
        for gene, gene_targets in targets.groupby("gene", sort=False):
            values, weights = [], []
            for target in gene_targets.itertuples(index=False):
                contig_segs = by_contig.get(target.contig)
                if contig_segs is None:
                    continue
                overlap = np.minimum(contig_segs["end"].to_numpy(), target.end) - np.maximum(
                    contig_segs["seg_start0"].to_numpy(), target.start
                )
                hit = overlap > 0
                values.extend(contig_segs["log2_ratio"].to_numpy()[hit])
                weights.extend(overlap[hit])
            if values:
                rows.append(
                    (sample_id, gene, weighted_median(np.array(values), np.array(weights, dtype=float)))
                )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    out = pd.DataFrame(rows, columns=["sample_id", "gene", "log2_ratio"])
    out["copy_number"] = log2_to_cn(out["log2_ratio"])
    out["cna_discrete"] = discrete_call(out["log2_ratio"])
    return out.astype(columns)
