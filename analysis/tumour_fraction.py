"""Plasma tumour fraction from somatic variant allele fractions (design.md section 3).

f = min(1, 2 x the highest VAF among the sample's somatic variants), where
"somatic" leaves out genes typical of clonal haematopoiesis
(:data:`analysis.params.CHIP_GENES`) and likely germline variants (VAF in
[0.4, 0.6] or >= 0.9) unless the variant is a known somatic hotspot
(:data:`analysis.params.SOMATIC_HOTSPOTS`).  The factor 2 assumes a
heterozygous, clonal, copy-neutral driver: one mutant allele among the two
copies in tumour-derived DNA.

Variants whose VAF is flagged implausible (``vaf_flag``, :mod:`analysis.vaf_checks`: swapped
or inconsistent read counts, VAF > 0.95 outside a germline context) are left out too, even
known hotspots: one such row would otherwise set f to 1 on its own.  The table counts them per
sample (``n_vaf_flagged``) and :func:`tumour_fraction_notes` says so in plain words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analysis.params import (
    CHIP_GENES,
    GERMLINE_HET_VAF,
    GERMLINE_HOM_VAF,
    MIN_TUMOUR_FRACTION,
    SOMATIC_HOTSPOTS,
)
from analysis.vaf_checks import flagged_mask
from analysis.wording import AT_LEAST

#: Columns of :func:`tumour_fraction`.
TUMOUR_FRACTION_COLUMNS = {
    "sample_id": "string",
    "tumour_fraction": "float64",
    "n_variants_used": "int64",
    "driver_gene": "string",
    "driver_protein_change": "string",
    "max_vaf": "float64",
    "evaluable": "boolean",
    "n_vaf_flagged": "int64",
}


def _protein(change: pd.Series) -> pd.Series:
    return change.astype("string").str.strip().str.replace(r"^p\.", "", regex=True).str.upper()


def somatic_variant_mask(variants: pd.DataFrame, *, chip_genes: Iterable[str] = CHIP_GENES,
                         germline_het_vaf: tuple[float, float] = GERMLINE_HET_VAF,
                         germline_hom_vaf: float = GERMLINE_HOM_VAF,
                         hotspots: Iterable[tuple[str, str]] = SOMATIC_HOTSPOTS) -> pd.Series:
    """True for variants usable as tumour evidence: not in a CHIP gene, not likely germline, and
    without a ``vaf_flag`` (implausible VAF).

    Parameters
    ----------
    variants
        Table with ``gene``, ``vaf`` and ``protein_change`` (:data:`analysis.schema.VARIANTS`).
    chip_genes, germline_het_vaf, germline_hom_vaf, hotspots
        The rules of design.md section 3 (defaults from :mod:`analysis.params`).

    Returns
    -------
    Series of bool aligned on ``variants.index``; False also where VAF is missing.
    """
    if variants.empty:
        return pd.Series(dtype=bool, index=variants.index)
    gene = variants["gene"].astype("string").str.upper()
    vaf = pd.to_numeric(variants["vaf"], errors="coerce").astype(float)
    chip = gene.isin([g.upper() for g in chip_genes]).fillna(False).to_numpy(dtype=bool)
    low, high = germline_het_vaf
    germline_vaf = ((vaf >= low) & (vaf <= high)) | (vaf >= germline_hom_vaf)
    hotspot_keys = [f"{g.upper()}:{p.upper()}" for g, p in hotspots]
    protein = _protein(variants["protein_change"]) if "protein_change" in variants else pd.Series(
        pd.NA, index=variants.index, dtype="string")
    is_hotspot = (gene + ":" + protein).isin(hotspot_keys).fillna(False).to_numpy(dtype=bool)
    usable = vaf.notna().to_numpy() & ~chip & ~(germline_vaf.to_numpy(dtype=bool) & ~is_hotspot)
    usable &= ~flagged_mask(variants).to_numpy(dtype=bool)
    if "in_matched_normal" in variants:  # germline by the patient's own matched normal
        usable &= ~variants["in_matched_normal"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return pd.Series(usable, index=variants.index)


#: Why a variant is left out of the tumour fraction (:func:`tumour_fraction_exclusion`; the germline
#: texts name the VAF rule in force).
EXCLUDED_CHIP = "CHIP gene (clonal haematopoiesis): left out of the tumour fraction"
_EXCLUDED_GERMLINE = "likely germline (VAF {rule}): left out of the tumour fraction"


def tumour_fraction_exclusion(variants: pd.DataFrame, *, chip_genes: Iterable[str] = CHIP_GENES,
                              germline_het_vaf: tuple[float, float] = GERMLINE_HET_VAF,
                              germline_hom_vaf: float = GERMLINE_HOM_VAF,
                              hotspots: Iterable[tuple[str, str]] = SOMATIC_HOTSPOTS) -> pd.Series:
    """Why each variant is left out of the tumour fraction, the same rules as :func:`somatic_variant_mask`.

    Returns
    -------
    Series of text aligned on ``variants.index``: :data:`EXCLUDED_CHIP`, "likely germline (VAF 40-60%):
    ..." or "likely germline (VAF ≥ 90%): ..." (the rule in force), or ``""`` (used, or VAF unknown).
    CHIP wins over germline.
    Known somatic hotspots are never "likely germline".

    >>> frame = pd.DataFrame({"gene": ["DNMT3A", "TP53", "APC", "KRAS", "PIK3CA"],
    ...                       "vaf": [0.02, 0.48, 0.95, 0.5, 0.1],
    ...                       "protein_change": ["R882H", "P72R", "T1493T", "G12D", "H1047R"]})
    >>> [r.split(":")[0] for r in tumour_fraction_exclusion(frame)]
    ['CHIP gene (clonal haematopoiesis)', 'likely germline (VAF 40-60%)', 'likely germline (VAF ≥ 90%)', '', '']
    """
    if variants.empty:
        return pd.Series(dtype="string", index=variants.index)
    gene = variants["gene"].astype("string").str.upper()
    vaf = pd.to_numeric(variants["vaf"], errors="coerce").astype(float)
    chip = gene.isin([g.upper() for g in chip_genes]).fillna(False).to_numpy(dtype=bool)
    low, high = germline_het_vaf
    hotspot_keys = [f"{g.upper()}:{p.upper()}" for g, p in hotspots]
    protein = _protein(variants["protein_change"]) if "protein_change" in variants else pd.Series(
        pd.NA, index=variants.index, dtype="string")
    is_hotspot = (gene + ":" + protein).isin(hotspot_keys).fillna(False).to_numpy(dtype=bool)
    het = ((vaf >= low) & (vaf <= high)).to_numpy(dtype=bool) & ~is_hotspot
    hom = (vaf >= germline_hom_vaf).to_numpy(dtype=bool) & ~is_hotspot
    het_text = _EXCLUDED_GERMLINE.format(rule=f"{100 * low:g}-{100 * high:g}%")
    hom_text = _EXCLUDED_GERMLINE.format(rule=f"{AT_LEAST} {100 * germline_hom_vaf:g}%")
    reason = np.select([chip, het, hom], [EXCLUDED_CHIP, het_text, hom_text], "")
    return pd.Series(reason, index=variants.index, dtype="string")


def _vaf_with_fallback(variants: pd.DataFrame) -> pd.Series:
    """VAF, or alt / (ref + alt) reads where the VAF is missing."""
    vaf = pd.to_numeric(variants["vaf"], errors="coerce").astype(float)
    if {"t_alt_count", "t_ref_count"} <= set(variants.columns):
        alt = pd.to_numeric(variants["t_alt_count"], errors="coerce").astype(float)
        ref = pd.to_numeric(variants["t_ref_count"], errors="coerce").astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            counted = alt / (alt + ref)
        vaf = vaf.where(vaf.notna(), counted)
    return vaf


def tumour_fraction(variants: pd.DataFrame, samples: Sequence[str] | pd.Series | None = None, *,
                    min_tumour_fraction: float = MIN_TUMOUR_FRACTION,
                    chip_genes: Iterable[str] = CHIP_GENES,
                    germline_het_vaf: tuple[float, float] = GERMLINE_HET_VAF,
                    germline_hom_vaf: float = GERMLINE_HOM_VAF,
                    hotspots: Iterable[tuple[str, str]] = SOMATIC_HOTSPOTS) -> pd.DataFrame:
    """Tumour fraction per sample: min(1, 2 x max somatic VAF).

    Parameters
    ----------
    variants
        Variant table (:data:`analysis.schema.VARIANTS`: ``sample_id, gene, protein_change, vaf``;
        VAF falls back to alt / (ref + alt) reads when missing).
    samples
        Sample ids to report; samples without a usable variant get ``tumour_fraction`` NaN,
        ``n_variants_used`` 0 and ``evaluable`` False.  Default: the samples in *variants*.
    min_tumour_fraction
        Below this f (fraction) a sample is not evaluable for purity-adjusted copy number.
    chip_genes, germline_het_vaf, germline_hom_vaf, hotspots
        Exclusion rules (see :func:`somatic_variant_mask`).

    Returns
    -------
    DataFrame
        ``sample_id``; ``tumour_fraction`` (fraction in [0, 1]); ``n_variants_used`` (somatic
        variants considered); ``driver_gene`` and ``driver_protein_change`` of the variant with
        the highest VAF; ``max_vaf``; ``evaluable`` (f >= min_tumour_fraction);
        ``n_vaf_flagged`` (variants left out because their VAF is flagged implausible).  One row
        per sample, sorted by sample_id.
    """
    columns = TUMOUR_FRACTION_COLUMNS
    frame = variants.copy()
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype="object") for c in
                              ("sample_id", "gene", "protein_change", "vaf")})
    if "protein_change" not in frame:
        frame["protein_change"] = pd.NA
    frame["vaf"] = _vaf_with_fallback(frame) if not variants.empty else frame["vaf"]
    usable = frame[somatic_variant_mask(frame, chip_genes=chip_genes, germline_het_vaf=germline_het_vaf,
                                        germline_hom_vaf=germline_hom_vaf, hotspots=hotspots)]
    usable = usable[usable["sample_id"].notna()]
    n_flagged = frame.loc[flagged_mask(frame).to_numpy(dtype=bool), "sample_id"].value_counts()
    ordered = usable.sort_values(["sample_id", "vaf", "gene"], ascending=[True, False, True],
                                 kind="mergesort")
    top = ordered.drop_duplicates("sample_id", keep="first")
    fractions = np.minimum(1.0, 2.0 * top["vaf"].to_numpy(dtype=float))
    table = pd.DataFrame({
        "sample_id": top["sample_id"].to_numpy(dtype=object),
        "tumour_fraction": fractions,
        "n_variants_used": top["sample_id"].map(usable.groupby("sample_id").size()).to_numpy(dtype="int64"),
        "driver_gene": top["gene"].to_numpy(dtype=object),
        "driver_protein_change": top["protein_change"].to_numpy(dtype=object),
        "max_vaf": top["vaf"].to_numpy(dtype=float),
        "evaluable": fractions >= min_tumour_fraction,
    })
    table["n_vaf_flagged"] = table["sample_id"].map(n_flagged).fillna(0).to_numpy(dtype="int64")
    wanted = pd.unique(pd.Series(samples, dtype="object").dropna()) if samples is not None else (
        pd.unique(frame["sample_id"].dropna()))
    found = set(table["sample_id"])
    absent = [sample_id for sample_id in wanted if sample_id not in found]
    if absent:
        table = pd.concat([table, pd.DataFrame({
            "sample_id": absent, "tumour_fraction": np.nan, "n_variants_used": 0, "driver_gene": None,
            "driver_protein_change": None, "max_vaf": np.nan, "evaluable": False,
            "n_vaf_flagged": [int(n_flagged.get(s, 0)) for s in absent]})], ignore_index=True)
    if samples is not None:
        table = table[table["sample_id"].isin(set(wanted))]
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    table = table.astype(columns)
    return table.sort_values("sample_id", kind="mergesort").reset_index(drop=True)


def tumour_fraction_notes(fractions: pd.DataFrame) -> list[str]:
    """Plain-language notes on a :func:`tumour_fraction` table: flagged VAFs left out, with counts."""
    if "n_vaf_flagged" not in fractions or not len(fractions):
        return []
    counts = fractions["n_vaf_flagged"].fillna(0).astype(int)
    n_rows, n_samples = int(counts.sum()), int((counts > 0).sum())
    if not n_rows:
        return []
    return [f"{n_rows} variant(s) in {n_samples} sample(s) left out of the tumour-fraction estimate: their VAF "
            "is flagged implausible (vaf_flag: swapped or inconsistent read counts, or VAF > 0.95 outside a "
            "germline context), and one such row would set the tumour fraction on its own."]


def tumour_fraction_stratum(fraction: pd.Series | np.ndarray, edges: Sequence[float]) -> pd.Series:
    """Label fractions with strata such as "<1%", "1-5%", "5-10%", ">=10%"; NaN -> "not estimable".

    ``edges`` are increasing upper bounds as fractions (e.g. (0.01, 0.05, 0.10)); a value equal
    to an edge belongs to the higher stratum.
    """
    values = np.asarray(fraction, dtype=float)
    pct = [f"{100 * e:g}" for e in edges]
    middle = [f"{lo}-{hi}%" for lo, hi in zip(pct[:-1], pct[1:], strict=True)]
    labels = [f"<{pct[0]}%", *middle, f"{AT_LEAST}{pct[-1]}%"]
    index = np.searchsorted(np.asarray(edges, dtype=float), values, side="right")
    out = np.array([labels[i] for i in np.minimum(index, len(labels) - 1)], dtype=object)
    out[np.isnan(values)] = "not estimable"
    return pd.Series(out, dtype="string", index=getattr(fraction, "index", None))


def stratum_labels(edges: Sequence[float]) -> list[str]:
    """All labels of :func:`tumour_fraction_stratum` in order, "not estimable" last."""
    probe = [0.0, *edges]
    return [*tumour_fraction_stratum(np.asarray(probe), edges).tolist(), "not estimable"]
