"""Implausible allele fractions: the per-row ``vaf_flag`` of the variants table.

Three rules (thresholds in :mod:`analysis.params`; docs/methods.md, "Implausible allele fractions"):

* ``ref/alt counts look swapped``: the caller's own allele fraction (a ``VAF``/``t_vaf``/``t_AF``/
  ``tumor_f`` column, :data:`CALLER_VAF_COLUMNS`) disagrees with alt / (ref + alt) by more than
  :data:`~analysis.params.SWAP_MIN_DISAGREEMENT` but matches 1 - AF within
  :data:`~analysis.params.SWAP_MATCH_TOLERANCE`: the two count columns were exchanged.
* ``ref + alt reads exceed t_depth``: t_ref_count + t_alt_count is above the caller's ``t_depth`` by more
  than :data:`~analysis.params.DEPTH_EXCESS_FRACTION` and :data:`~analysis.params.DEPTH_EXCESS_MIN_READS`
  reads: the counts cannot come from those reads (shifted or mixed-up columns).
* ``VAF > 0.95 (implausible for a somatic variant)``: VAF above :data:`~analysis.params.IMPLAUSIBLE_VAF`
  (and alt / t_depth too, when the caller gives a depth) outside a germline context, when neither
  rule above already explains it.  Germline context: the
  sample is a matched normal (a ``Matched_Norm_Sample_Barcode`` of the table, or a sample the
  caller names as normal) or the row is flagged germline (MAF ``Mutation_Status`` = Germline).

Flagged rows stay in the table (they are real rows of the user's file); the tumour-fraction
estimate leaves them out and the patient page marks them.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from analysis.params import (
    DEPTH_EXCESS_FRACTION,
    DEPTH_EXCESS_MIN_READS,
    IMPLAUSIBLE_VAF,
    SWAP_MATCH_TOLERANCE,
    SWAP_MIN_DISAGREEMENT,
)

FLAG_SWAPPED = "ref/alt counts look swapped"
FLAG_DEPTH = "ref + alt reads exceed t_depth"
FLAG_HIGH_VAF = f"VAF > {IMPLAUSIBLE_VAF:g} (implausible for a somatic variant)"
#: Every flag value, in the order they are reported.
FLAGS = (FLAG_SWAPPED, FLAG_DEPTH, FLAG_HIGH_VAF)

#: Columns in which callers and MAF writers put the tumour sample's allele fraction
#: (case-insensitive).  A bare ``AF`` is *not* one of them: VEP/vcf2maf MAFs use it for the
#: 1000 Genomes population allele frequency.
CALLER_VAF_COLUMNS = ("VAF", "t_vaf", "t_AF", "tumor_vaf", "Tumor_VAF", "TumorVAF", "tumor_f")
#: MAF ``Mutation_Status`` values that put a row in a germline context.
GERMLINE_STATUSES = ("GERMLINE",)


def _column(frame: pd.DataFrame, *candidates: str) -> str | None:
    by_upper = {str(c).upper(): c for c in frame.columns}
    for candidate in candidates:
        if candidate.upper() in by_upper:
            return by_upper[candidate.upper()]
    return None


def caller_vaf(frame: pd.DataFrame) -> pd.Series | None:
    """The caller's own allele fraction (fraction in [0, 1]) from a VAF/AF-like column, or None.

    Percentages (``38.5%``, or a column whose values go above 1) are divided by 100.  The tidy
    ``vaf`` column (computed from the counts) is not a caller's value and is never used.
    """
    col = _column(frame.drop(columns=[c for c in frame.columns if c == "vaf"]), *CALLER_VAF_COLUMNS)
    if col is None:
        return None
    text = frame[col].astype("string").str.strip()
    percent = text.str.endswith("%").fillna(False)
    values = pd.to_numeric(text.str.rstrip("%"), errors="coerce").astype("float64")
    values = values.where(~percent.to_numpy(dtype=bool), values / 100)
    if (values > 1).any() and (values <= 100).all():
        values = values / 100
    return values.where((values >= 0) & (values <= 1))


def germline_context(variants: pd.DataFrame, normal_samples: Collection[str] = ()) -> pd.Series:
    """True for rows in a germline context: a matched-normal sample, or flagged germline."""
    sample = variants["sample_id"].astype("string")
    normals = {str(s) for s in normal_samples}
    matched = _column(variants, "Matched_Norm_Sample_Barcode")
    if matched is not None:
        normals |= set(variants[matched].dropna().astype(str).str.strip()) - {""}
    context = sample.isin(normals).fillna(False).to_numpy(dtype=bool)
    status = _column(variants, "Mutation_Status")
    if status is not None:
        flagged = variants[status].astype("string").str.strip().str.upper().isin(GERMLINE_STATUSES)
        context = context | flagged.fillna(False).to_numpy(dtype=bool)
    return pd.Series(context, index=variants.index)


def vaf_flags(variants: pd.DataFrame, *, normal_samples: Collection[str] = (),
              depth: pd.Series | None = None, reported_vaf: pd.Series | None = None) -> pd.Series:
    """The ``vaf_flag`` of every row (string; missing when nothing is implausible).

    Parameters
    ----------
    variants
        Variants table with ``sample_id``, ``t_ref_count``, ``t_alt_count``, ``vaf`` and, when the
        file had them, a caller VAF/AF column, ``Mutation_Status``, ``Matched_Norm_Sample_Barcode``.
    normal_samples
        Sample ids known to be matched normals (germline context).
    depth
        The caller's own depth per row (``t_depth`` as read); default the table's ``depth``
        column.  Pass the file's value, not one filled in as ref + alt.
    reported_vaf
        The caller's own allele fraction per row; default :func:`caller_vaf` of *variants*.

    Returns
    -------
    Series of string on ``variants.index``; several flags are joined by ``"; "``.
    """
    index = variants.index
    if variants.empty:
        return pd.Series(dtype="string", index=index)
    ref = pd.to_numeric(variants["t_ref_count"], errors="coerce").astype("float64")
    alt = pd.to_numeric(variants["t_alt_count"], errors="coerce").astype("float64")
    total = ref + alt
    with np.errstate(invalid="ignore", divide="ignore"):
        counted = (alt / total).where(total > 0)
    reported = caller_vaf(variants) if reported_vaf is None else pd.Series(
        pd.to_numeric(reported_vaf, errors="coerce").to_numpy(dtype="float64"), index=index)
    swapped = pd.Series(False, index=index)
    if reported is not None:
        swapped = (((counted - reported).abs() > SWAP_MIN_DISAGREEMENT)
                   & ((counted - (1 - reported)).abs() <= SWAP_MATCH_TOLERANCE)).fillna(False)
    own_depth = pd.to_numeric(variants["depth"] if depth is None else depth, errors="coerce").astype("float64")
    excess = total - own_depth
    over_depth = ((excess > DEPTH_EXCESS_FRACTION * own_depth) & (excess >= DEPTH_EXCESS_MIN_READS)).fillna(False)
    vaf = pd.to_numeric(variants["vaf"], errors="coerce").astype("float64")
    if reported is not None:
        vaf = vaf.where(vaf.notna(), reported)
    explained = swapped.to_numpy(dtype=bool) | over_depth.to_numpy(dtype=bool)
    # With the caller's depth, alt / t_depth must be above the threshold too: a complex indel whose
    # reference reads were not counted (t_ref_count 0, t_alt_count 8, t_depth 20) has alt / (ref +
    # alt) = 1 but a real fraction of 0.4 (vcf2maf's own test MAF has one).
    with np.errstate(invalid="ignore", divide="ignore"):
        of_depth = (alt / own_depth).where(own_depth > 0)
    high = ((vaf > IMPLAUSIBLE_VAF).fillna(False).to_numpy(dtype=bool)
            & ~(of_depth <= IMPLAUSIBLE_VAF).fillna(False).to_numpy(dtype=bool)
            & ~germline_context(variants, normal_samples).to_numpy(dtype=bool) & ~explained)
    flags = pd.Series(pd.NA, index=index, dtype="string")
    for mask, flag in ((swapped.to_numpy(dtype=bool), FLAG_SWAPPED), (over_depth.to_numpy(dtype=bool), FLAG_DEPTH),
                       (high, FLAG_HIGH_VAF)):
        if mask.any():
            flags = flags.where(~mask, (flags + "; " + flag).fillna(flag))
    return flags


def flagged_mask(variants: pd.DataFrame) -> pd.Series:
    """True where a row carries a ``vaf_flag`` (False when the table has no such column)."""
    if "vaf_flag" not in variants:
        return pd.Series(False, index=variants.index)
    flag = variants["vaf_flag"].astype("string")
    return (flag.notna() & (flag.str.strip() != "")).fillna(False).astype(bool)
