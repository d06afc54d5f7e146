"""What a variant *is*: MAF classes, VEP consequence terms, and the one rule for "protein-changing".

Every analysis that counts mutations (concordance, oncoprint, resistance mechanisms, PFS gene
groupings) calls :func:`is_protein_changing`, so they can never disagree on which variants count
(docs/methods.md, "Protein-changing variants").

* :data:`MAF_CLASSES`: the ``Variant_Classification`` values of the GDC MAF specification plus
  cBioPortal's ``Fusion``; anything else is not a MAF class (a shifted header, a Variant_Type
  value such as ``SNP``/``DEL``/``INS`` in the wrong column, a typo).
* :data:`PROTEIN_CHANGING_CLASSES`: the nine classes that change the protein sequence
  (the TCGA/maftools "non-synonymous" set).
* :func:`maf_class_from_consequence`: a VEP/SnpEff Sequence Ontology consequence (``missense_variant``,
  ``stop_gained&splice_region_variant``) -> the MAF class of its most severe term, as vcf2maf maps them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Variant_Classification values of the GDC MAF specification, plus cBioPortal's ``Fusion``.
MAF_CLASSES: tuple[str, ...] = (
    "Frame_Shift_Del", "Frame_Shift_Ins", "In_Frame_Del", "In_Frame_Ins", "Missense_Mutation",
    "Nonsense_Mutation", "Silent", "Splice_Site", "Translation_Start_Site", "Nonstop_Mutation",
    "3'UTR", "3'Flank", "5'UTR", "5'Flank", "IGR", "Intron", "RNA", "Targeted_Region",
    "De_novo_Start_InFrame", "De_novo_Start_OutOfFrame", "Splice_Region", "Unknown", "Fusion",
)

#: Classes that change the protein sequence: counted as mutations by every analysis.
PROTEIN_CHANGING_CLASSES: frozenset[str] = frozenset({
    "Missense_Mutation", "Nonsense_Mutation", "Frame_Shift_Del", "Frame_Shift_Ins", "In_Frame_Del",
    "In_Frame_Ins", "Splice_Site", "Translation_Start_Site", "Nonstop_Mutation",
})

#: Classes that say nothing about the effect on the protein.  A variant with one of these, or with
#: no classification at all, counts as protein-changing only when its protein change names an
#: amino-acid change (:func:`names_amino_acid_change`).
EFFECT_UNKNOWN_CLASSES: frozenset[str] = frozenset({"Unknown", "Targeted_Region"})

#: Sequence Ontology consequence -> MAF Variant_Classification (as vcf2maf maps them).
#: ``frameshift_variant`` and ``protein_altering_variant`` depend on the alleles
#: (see :func:`maf_class_from_consequence`).
SO_TO_MAF: dict[str, str] = {
    "splice_acceptor_variant": "Splice_Site",
    "splice_donor_variant": "Splice_Site",
    "transcript_ablation": "Splice_Site",
    "exon_loss_variant": "Splice_Site",
    "stop_gained": "Nonsense_Mutation",
    "stop_lost": "Nonstop_Mutation",
    "start_lost": "Translation_Start_Site",
    "initiator_codon_variant": "Translation_Start_Site",
    "inframe_insertion": "In_Frame_Ins",
    "disruptive_inframe_insertion": "In_Frame_Ins",
    "inframe_deletion": "In_Frame_Del",
    "disruptive_inframe_deletion": "In_Frame_Del",
    "missense_variant": "Missense_Mutation",
    "coding_sequence_variant": "Missense_Mutation",
    "conservative_missense_variant": "Missense_Mutation",
    "rare_amino_acid_variant": "Missense_Mutation",
    "transcript_amplification": "Intron",
    "intron_variant": "Intron",
    "intragenic_variant": "Intron",
    "splice_region_variant": "Splice_Region",
    "splice_donor_5th_base_variant": "Splice_Region",
    "splice_donor_region_variant": "Splice_Region",
    "splice_polypyrimidine_tract_variant": "Splice_Region",
    "start_retained_variant": "Silent",
    "incomplete_terminal_codon_variant": "Silent",
    "synonymous_variant": "Silent",
    "stop_retained_variant": "Silent",
    "NMD_transcript_variant": "Silent",
    "mature_miRNA_variant": "RNA",
    "exon_variant": "RNA",
    "non_coding_exon_variant": "RNA",
    "non_coding_transcript_exon_variant": "RNA",
    "non_coding_transcript_variant": "RNA",
    "5_prime_UTR_variant": "5'UTR",
    "5_prime_UTR_premature_start_codon_gain_variant": "5'UTR",
    "3_prime_UTR_variant": "3'UTR",
    "TF_binding_site_variant": "IGR",
    "regulatory_region_variant": "IGR",
    "intergenic_variant": "IGR",
    "intergenic_region": "IGR",
    "upstream_gene_variant": "5'Flank",
    "downstream_gene_variant": "3'Flank",
}

#: SO terms from most to least severe (Ensembl VEP's ranking; SnpEff-only synonyms beside the VEP
#: term they mean).  Terms not listed rank after every listed one.
SO_SEVERITY: tuple[str, ...] = (
    "transcript_ablation", "exon_loss_variant", "splice_acceptor_variant", "splice_donor_variant",
    "stop_gained", "frameshift_variant", "stop_lost", "start_lost", "initiator_codon_variant",
    "transcript_amplification", "inframe_insertion", "disruptive_inframe_insertion", "inframe_deletion",
    "disruptive_inframe_deletion", "missense_variant", "conservative_missense_variant",
    "rare_amino_acid_variant", "protein_altering_variant", "splice_donor_5th_base_variant",
    "splice_region_variant", "splice_donor_region_variant", "splice_polypyrimidine_tract_variant",
    "incomplete_terminal_codon_variant", "start_retained_variant", "stop_retained_variant",
    "synonymous_variant", "coding_sequence_variant", "mature_miRNA_variant", "5_prime_UTR_variant",
    "5_prime_UTR_premature_start_codon_gain_variant", "3_prime_UTR_variant",
    "non_coding_transcript_exon_variant", "non_coding_exon_variant", "exon_variant", "intron_variant",
    "intragenic_variant", "NMD_transcript_variant", "non_coding_transcript_variant",
    "upstream_gene_variant", "downstream_gene_variant", "TF_binding_site_variant",
    "regulatory_region_variant", "intergenic_variant", "intergenic_region",
)
_RANK = {term: rank for rank, term in enumerate(SO_SEVERITY)}
_TERM_SPLIT = re.compile(r"[&,]")


def _allele_length(allele: str | None) -> int:
    text = (allele or "").strip()
    return 0 if text in ("", "-", ".") else len(text)


def maf_class_from_consequence(consequence: str | None, reference_allele: str | None = None,
                               tumour_allele: str | None = None) -> str | None:
    """The MAF class of the most severe SO term of *consequence*; None when there is no term.

    *consequence* is one VEP ``Consequence`` / SnpEff ``Annotation`` value: SO terms joined by
    ``&`` (or ``,``).  ``frameshift_variant`` and ``protein_altering_variant`` become a deletion
    or an insertion class from the allele lengths (``-`` = empty allele, as in MAFs); an SO term
    with no MAF equivalent gives ``Targeted_Region``, as vcf2maf writes.

    >>> maf_class_from_consequence("stop_gained&splice_region_variant")
    'Nonsense_Mutation'
    >>> maf_class_from_consequence("splice_region_variant&missense_variant")
    'Missense_Mutation'
    >>> maf_class_from_consequence("frameshift_variant", "CT", "C")
    'Frame_Shift_Del'
    >>> maf_class_from_consequence("frameshift_variant", "-", "A")
    'Frame_Shift_Ins'
    """
    if consequence is None or not isinstance(consequence, str):
        return None
    terms = [t.strip() for t in _TERM_SPLIT.split(consequence) if t.strip()]
    if not terms:
        return None
    term = min(terms, key=lambda t: _RANK.get(t, len(_RANK)))
    ref_len, alt_len = _allele_length(reference_allele), _allele_length(tumour_allele)
    if term == "frameshift_variant":
        return "Frame_Shift_Del" if alt_len < ref_len else "Frame_Shift_Ins"
    if term == "protein_altering_variant":
        if alt_len < ref_len:
            return "In_Frame_Del"
        return "In_Frame_Ins" if alt_len > ref_len else "Missense_Mutation"
    return SO_TO_MAF.get(term, "Targeted_Region")


def names_amino_acid_change(protein_change: pd.Series) -> pd.Series:
    """True where a protein change (``S310F``, ``p.R175*``, ``E746_A750del``, ``L755fs``) names an
    amino-acid change; False when missing, ``?``, ``0`` (no protein) or synonymous (``=``).

    >>> names_amino_acid_change(pd.Series(["S310F", "p.R175*", "S310=", "?", None, "p.M1?"])).tolist()
    [True, True, False, False, False, True]
    """
    text = protein_change.astype("string").str.strip().str.replace(r"^p\.", "", regex=True)
    named = text.str.match(r"^[A-Za-z*]") & ~text.str.contains("=", regex=False)
    return named.fillna(False).astype(bool)


def is_protein_changing(variant_classification: pd.Series,
                        protein_change: pd.Series | None = None) -> pd.Series:
    """True for variants that change the protein: the one rule every analysis uses.

    Parameters
    ----------
    variant_classification
        MAF ``Variant_Classification`` values (tidy ``variant_classification``).
    protein_change
        Protein changes aligned with it (tidy ``protein_change``), optional.

    Returns
    -------
    Series of bool on the same index.  True for :data:`PROTEIN_CHANGING_CLASSES`.  A missing
    classification, or one of :data:`EFFECT_UNKNOWN_CLASSES` (``Unknown``, ``Targeted_Region``),
    counts only when *protein_change* names an amino-acid change (an ERBB2 S310F row is an ERBB2
    S310F mutation whatever went wrong in the classification column); with no protein change it
    does not count, since its effect on the protein is unknown.  Every other class (``Silent``,
    ``Splice_Region``, UTRs, flanks, ``Intron``, ``IGR``, ``RNA``, ``De_novo_Start_*``, ``Fusion``)
    does not count.
    """
    classification = variant_classification.astype("string")
    changing = classification.isin(PROTEIN_CHANGING_CLASSES).fillna(False).to_numpy(dtype=bool)
    if protein_change is not None:
        unknown = (classification.isna() | classification.isin(EFFECT_UNKNOWN_CLASSES)).fillna(True)
        named = names_amino_acid_change(pd.Series(protein_change.to_numpy(), index=classification.index))
        changing = changing | (unknown.to_numpy(dtype=bool) & named.to_numpy(dtype=bool))
    return pd.Series(changing, index=variant_classification.index, dtype=bool)


def n_effect_unknown(variant_classification: pd.Series) -> int:
    """Rows whose classification is missing or says nothing about the effect (for caveats)."""
    classification = variant_classification.astype("string")
    return int((classification.isna() | classification.isin(EFFECT_UNKNOWN_CLASSES)).fillna(True).sum())


def protein_changing_mask(variants: pd.DataFrame) -> pd.Series:
    """:func:`is_protein_changing` of a variants table (``variant_classification``, ``protein_change``),
    without the variants found in the patient's matched normal (``in_matched_normal``: germline)."""
    protein = variants.get("protein_change")
    changing = is_protein_changing(variants["variant_classification"], protein)
    if "in_matched_normal" in variants:
        changing = changing & ~variants["in_matched_normal"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return changing


def mark_matched_normal_variants(variants: pd.DataFrame, samples: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Set ``in_matched_normal`` on every variant of a patient who has a matched normal sample.

    A variant of a plasma or tissue sample is in the matched normal when the patient's normal sample
    (``sample_type`` normal) carries the same chromosome, position and alleles (else the same gene and
    protein change). Returns (variants, number of non-normal variants found in a normal).
    """
    variants = variants.copy()
    variants["in_matched_normal"] = pd.array([pd.NA] * len(variants), dtype="boolean")
    kind = samples.set_index("sample_id")["sample_type"].astype("string")
    patient = samples.set_index("sample_id")["patient_id"].astype("string")
    sample_kind = variants["sample_id"].map(kind)
    sample_patient = variants["sample_id"].map(patient)
    is_normal = sample_kind.eq("normal").fillna(False).to_numpy(dtype=bool)
    patients_with_normal = set(samples.loc[samples["sample_type"].eq("normal").fillna(False), "patient_id"])
    if not patients_with_normal:
        return variants, 0

    def keys(frame: pd.DataFrame, who: pd.Series) -> pd.Series:
        genomic = (frame["chromosome"].astype("string") + ":" + frame["start_position"].astype("string") + ":"
                   + frame["reference_allele"].astype("string") + ">" + frame["tumor_seq_allele"].astype("string"))
        protein = frame["gene"].astype("string").str.upper() + ":" + frame["protein_change"].astype("string")
        return who + "|" + genomic.where(genomic.notna(), protein)

    all_keys = keys(variants, sample_patient)
    normal_keys = set(all_keys[is_normal].dropna())
    checked = sample_patient.isin(patients_with_normal).fillna(False).to_numpy(dtype=bool) & ~is_normal
    found = all_keys.isin(normal_keys).fillna(False).to_numpy(dtype=bool)
    values = np.where(found, True, False)
    variants.loc[checked, "in_matched_normal"] = values[checked]
    return variants, int((checked & found).sum())


#: ``sv_status`` values of germline structural variants (never somatic evidence).
GERMLINE_SV_STATUSES = ("GERMLINE",)


def somatic_structural_variants(sv: pd.DataFrame) -> pd.DataFrame:
    """The structural variants that may be somatic: those whose ``sv_status`` is not GERMLINE.

    The one rule every path (concordance, oncoprint, gene groupings, mechanism calls) uses.
    """
    if sv.empty or "sv_status" not in sv:
        return sv
    germline = sv["sv_status"].astype("string").str.strip().str.upper().isin(GERMLINE_SV_STATUSES).fillna(False)
    return sv[~germline.to_numpy(dtype=bool)]
