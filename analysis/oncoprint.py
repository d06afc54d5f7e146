"""Cohort oncoprint data: patients x genes alteration types, with clinical tracks and orderings.

Plasma cells come from each patient's baseline draw and, for progressors, the progression draw
(the draws used for mechanism calls); tissue cells from every tissue sample.  Each plasma cell
carries the statuses of its alterations, with the words and rules of the mechanism calls
(:data:`analysis.resistance.STATUSES`): *new at progression* (in the progression draw, absent
from the baseline draw), *expanding* (a mutation present at baseline whose VAF rose >= 2-fold and
by >= 0.5 percentage points), *baseline*, or *unknown (no baseline draw)*.  Tissue cells have no
status.  Structural variants (``study.structural_variants``) are a third alteration kind: one cell per
partner gene, labelled like ``ERBB2-GRB7 fusion``, with the statuses of copy number (present in the
baseline draw or not; never *expanding*, as an SV has no allele fraction).

Default genes: those of the resistance knowledge base that are altered in at least one patient; when
fewer than :data:`MIN_KB_GENES_ALTERED` are, the :data:`MOST_ALTERED_GENES` most altered genes of the
study (by patients with an altered sample, :func:`analysis.pfs_groups.altered_samples`) instead, so
that a study outside the knowledge base's scope still shows something.

*Not profiled* is not *not altered*: when the study says which genes each sample was sequenced for
(:class:`analysis.profiling.Profiling`, a gene-panel matrix or case lists), a patient x gene x source
whose shown samples all left the gene off their mutation panel is listed in
:attr:`OncoprintData.not_profiled`, and drawn as such, never as an empty cell.

Default ordering ("mechanism group, then frequency"): pathways by the number of patients with a
mechanism in them; genes by pathway, then by the number of altered patients; patients by the first
pathway (in that order) in which they have a mechanism (none last), then by a memo sort of the
binary patient x gene matrix, then by number of mechanisms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import params as P
from analysis.alterations import protein_changing_mask, somatic_structural_variants
from analysis.frames import typed_frame
from analysis.params import AnalysisParameters
from analysis.pfs_groups import altered_samples
from analysis.profiling import Profiling
from analysis.resistance import (
    STATUS_EXPANDING,
    STATUS_NEW,
    STATUS_UNKNOWN,
    TRUNCATING,
    ResistanceResult,
    cn_status,
    join_statuses,
    mutation_status,
)
from analysis.study import Study
from analysis.trajectory import TrajectoryResult, gene_mask, join_unique, upper_genes

#: Alteration types (glyphs) in the cell table, in legend order.
CELL_TYPES = ("missense", "truncating", "inframe", "other_mutation", "amplification", "deletion", "her2_loss",
              "structural_variant")

#: Default genes fall back on the study's most altered genes when fewer knowledge-base genes than this
#: are altered (a study of another cancer, or a panel without the knowledge base's genes).
MIN_KB_GENES_ALTERED = 5
#: How many of the most altered genes (by altered patients) the fallback shows.
MOST_ALTERED_GENES = 20
#: How the genes shown were chosen (:attr:`OncoprintData.gene_choice`).
GENES_KB = "knowledge base"
GENES_MOST_ALTERED = "most altered"
GENES_CHOSEN = "chosen"

NOT_PROFILED_COLUMNS = {"patient_id": "string", "gene": "string", "source": "string", "sample_ids": "string"}
RANKING_COLUMNS = {"gene": "string", "n_patients": "int64"}

CELL_COLUMNS = {
    "patient_id": "string",
    "gene": "string",
    "source": "string",
    "alteration_type": "string",
    "status": "string",
    "new_at_progression": "bool",
    "expanding": "bool",
    "unknown_baseline": "bool",
    "label": "string",
    "timepoints": "string",
}
TRACK_COLUMNS = {
    "patient_id": "string",
    "her2_status": "string",
    "resistance_class": "string",
    "n_mechanisms": "int64",
    "mechanism_group": "string",
    "primary_pathway": "string",
    "pfs_months": "float64",
    "pfs_event": "boolean",
}


@dataclass(frozen=True)
class OncoprintData:
    """Everything a plotly oncoprint needs.

    Attributes
    ----------
    cells
        Long tidy table, one row per patient, gene, ``source`` (plasma/tissue) and
        ``alteration_type`` (:data:`CELL_TYPES`): ``status`` (plasma only: the distinct statuses of
        the cell's alterations, ``", "``-joined, as in the evidence table; missing for tissue),
        ``new_at_progression``, ``expanding``, ``unknown_baseline`` (any alteration of the cell with
        that status; the oncoprint's marks), ``label`` (protein changes or CN values, ``;``-joined),
        ``timepoints`` (baseline/progression/tissue).
    tracks
        One row per patient: ``her2_status, resistance_class, n_mechanisms, mechanism_group,
        primary_pathway, pfs_months, pfs_event``.
    genes
        One row per gene in display order: ``gene, pathway, n_patients`` (altered in any source).
    patient_order, gene_order
        Default orderings (tuples of ids).
    summary, caveats
        Counts; caveats.
    not_profiled
        ``patient_id, gene, source, sample_ids``: the patient's samples of that source shown (``;``-joined)
        all left the gene off their mutation panel.  Empty when the study does not say what was profiled.
        A listed cell may still carry a copy-number or structural-variant cell.
    gene_choice
        How the genes were chosen: :data:`GENES_KB`, :data:`GENES_MOST_ALTERED` or :data:`GENES_CHOSEN`.
    """

    cells: pd.DataFrame
    tracks: pd.DataFrame
    genes: pd.DataFrame
    patient_order: tuple[str, ...]
    gene_order: tuple[str, ...]
    summary: pd.DataFrame
    caveats: tuple[str, ...] = ()
    not_profiled: pd.DataFrame = field(default_factory=lambda: typed_frame(pd.DataFrame(), NOT_PROFILED_COLUMNS))
    gene_choice: str = GENES_KB


def _mutation_type(classification: pd.Series) -> np.ndarray:
    cls = classification.astype("string").fillna("")
    return np.select(
        [cls == "Missense_Mutation", cls.isin(TRUNCATING), cls.isin(["In_Frame_Del", "In_Frame_Ins"])],
        ["missense", "truncating", "inframe"],
        "other_mutation",
    )


def _draws(trajectories: TrajectoryResult, study: Study) -> pd.DataFrame:
    """The samples behind the cells: ``patient_id, sample_id, draw`` (baseline/progression/tissue),
    ``source`` (plasma/tissue) and ``has_base`` (the patient has a baseline draw)."""
    pts = trajectories.patients
    samples = study.samples
    plasma_draws = (
        pd.concat(
            [
                pd.DataFrame(
                    {
                        "patient_id": pts["patient_id"],
                        "sample_id": pts["baseline_sample_id"],
                        "draw": "baseline",
                    }
                ),
                pd.DataFrame(
                    {
                        "patient_id": pts["patient_id"],
                        "sample_id": pts["progression_sample_id"],
                        "draw": "progression",
                    }
                )[pts["progressed"].to_numpy()],
            ],
            ignore_index=True,
        )
        .dropna(subset=["sample_id"])
        .assign(source="plasma")
    )
    tissue = samples[samples["sample_type"].str.lower() == "tissue"]
    tissue_draws = pd.DataFrame(
        {
            "patient_id": tissue["patient_id"],
            "sample_id": tissue["sample_id"],
            "draw": "tissue",
            "source": "tissue",
        }
    )
    draws = pd.concat([plasma_draws, tissue_draws], ignore_index=True).astype(
        {"patient_id": "string", "sample_id": "string"}
    )
    has_base = draws["patient_id"].isin(pts.loc[pts["baseline_sample_id"].notna(), "patient_id"])
    return draws.assign(has_base=has_base.to_numpy(dtype=bool))


def _mutation_cells(study: Study, draws: pd.DataFrame, wanted: list[str]) -> pd.DataFrame:
    var = study.variants
    var = var[gene_mask(var["gene"], wanted) & protein_changing_mask(var).to_numpy()]
    var = var.assign(gene=upper_genes(var["gene"])).merge(draws, on="sample_id", how="inner")
    protein = var["protein_change"].astype("string").str.replace(r"^p\.", "", regex=True)
    var["label"] = protein.fillna(var["variant_classification"].astype("string"))
    var["key"] = var["gene"] + "|" + var["label"]
    base_vaf = (
        var[var["draw"] == "baseline"].groupby(["patient_id", "key"])["vaf"].max().rename("baseline_vaf")
    )
    var = var.merge(base_vaf, left_on=["patient_id", "key"], right_index=True, how="left")
    status = mutation_status(var["draw"], var["vaf"], var["baseline_vaf"], var["has_base"])
    return pd.DataFrame(
        {
            "patient_id": var["patient_id"],
            "gene": var["gene"],
            "source": var["source"],
            "alteration_type": _mutation_type(var["variant_classification"]),
            "status": pd.Series(status, index=var.index).where(var["source"] == "plasma"),
            "label": var["label"],
            "timepoint": var["draw"],
        }
    )


def _cn_cells(study: Study, draws: pd.DataFrame, wanted: list[str], params: AnalysisParameters) -> pd.DataFrame:
    cn = study.copy_number
    cn = cn[gene_mask(cn["gene"], wanted)]
    cn = cn.assign(gene=upper_genes(cn["gene"])).merge(draws, on="sample_id", how="inner")
    copies = cn["copy_number"].fillna(2.0 * np.power(2.0, cn["log2_ratio"]))
    discrete = cn["cna_discrete"].astype("float64")
    cutoff = np.where(
        cn["source"] == "tissue", params.tissue_amplification_cn, params.plasma_amplification_cn
    )
    amp = ((discrete >= 2) | (copies >= cutoff)).fillna(False).to_numpy(dtype=bool)
    dele = ((discrete <= -2) | (copies <= P.GENE_DELETION_CN)).fillna(False).to_numpy(dtype=bool)
    cn_rows = cn.assign(
        alteration_type=np.select([amp, dele], ["amplification", "deletion"], ""), copies=copies
    )
    cn_rows = cn_rows[cn_rows["alteration_type"] != ""]
    at_base = cn_rows[cn_rows["draw"] == "baseline"][
        ["patient_id", "gene", "alteration_type"]
    ].drop_duplicates()
    cn_rows = cn_rows.merge(
        at_base.assign(at_base=True), on=["patient_id", "gene", "alteration_type"], how="left"
    )
    return pd.DataFrame(
        {
            "patient_id": cn_rows["patient_id"],
            "gene": cn_rows["gene"],
            "source": cn_rows["source"],
            "alteration_type": cn_rows["alteration_type"],
            "status": pd.Series(
                cn_status(cn_rows["draw"], cn_rows["at_base"].notna(), cn_rows["has_base"]), index=cn_rows.index
            ).where(cn_rows["source"] == "plasma"),
            "label": "CN " + cn_rows["copies"].round(2).astype(str),
            "timepoint": cn_rows["draw"],
        }
    )


def structural_variant_labels(sv: pd.DataFrame) -> pd.Series:
    """A short name per structural-variant row: ``ERBB2-GRB7 fusion``, ``MET deletion``.

    The partners in the study's order (gene1-gene2; one gene for an intragenic event), then the class in
    lower case; a two-partner event without a class is a fusion, a one-partner one a "structural variant".

    >>> structural_variant_labels(pd.DataFrame({"gene1": ["erbb2", "MET"], "gene2": ["GRB7", None],
    ...                                         "sv_class": [None, "DELETION"]})).tolist()
    ['ERBB2-GRB7 fusion', 'MET deletion']
    """
    gene1 = upper_genes(sv["gene1"]).fillna("")
    gene2 = upper_genes(sv["gene2"]).fillna("")
    two = (gene2 != "") & (gene2 != gene1) & (gene1 != "")
    pair = gene1.where(~two, gene1 + "-" + gene2).where(gene1 != "", gene2)
    sv_class = sv["sv_class"].astype("string").str.strip().str.lower().str.replace("_", " ")
    default = pd.Series(np.where(two, "fusion", "structural variant"), index=sv.index, dtype="string")
    return (pair + " " + sv_class.where(sv_class.fillna("") != "", default)).astype("string")


def _structural_variant_cells(study: Study, draws: pd.DataFrame, wanted: list[str]) -> pd.DataFrame:
    """One row per SV, partner gene among *wanted* and draw; status as copy number (present at baseline)."""
    sv = somatic_structural_variants(study.structural_variants)
    if sv.empty:
        return pd.DataFrame(columns=["patient_id", "gene", "source", "alteration_type", "status", "label",
                                     "timepoint"])
    sv = sv.assign(label=structural_variant_labels(sv), sample_id=sv["sample_id"].astype("string"))
    gene1, gene2 = upper_genes(sv["gene1"]), upper_genes(sv["gene2"])
    # The same event whichever partner the caller put first: the unordered pair and the class.
    partners = pd.DataFrame({"a": gene1.fillna(""), "b": gene2.fillna("")})
    sv["event"] = (np.minimum(partners["a"], partners["b"]) + "|" + np.maximum(partners["a"], partners["b"])
                   + "|" + sv["sv_class"].astype("string").str.upper().fillna(""))
    long = pd.concat([sv.assign(gene=gene1), sv.assign(gene=gene2)], ignore_index=True)
    long = long[long["gene"].notna() & gene_mask(long["gene"], wanted)]
    long = long.drop_duplicates(["sample_id", "gene", "event"]).merge(draws, on="sample_id", how="inner")
    at_base = long.loc[long["draw"] == "baseline", ["patient_id", "event"]].drop_duplicates()
    long = long.merge(at_base.assign(at_base=True), on=["patient_id", "event"], how="left")
    return pd.DataFrame(
        {
            "patient_id": long["patient_id"],
            "gene": long["gene"],
            "source": long["source"],
            "alteration_type": "structural_variant",
            "status": pd.Series(
                cn_status(long["draw"], long["at_base"].notna(), long["has_base"]), index=long.index
            ).where(long["source"] == "plasma"),
            "label": long["label"],
            "timepoint": long["draw"],
        }
    )


def _cells(study: Study, draws: pd.DataFrame, resistance: ResistanceResult, wanted: list[str],
           params: AnalysisParameters) -> pd.DataFrame:
    """The cell table (:data:`CELL_COLUMNS`) of the genes *wanted* (upper case)."""
    ev = resistance.evidence
    loss = ev[(ev["alteration_type"] == "her2_loss") & ev["gene"].isin(wanted)]
    loss_cells = pd.DataFrame(
        {
            "patient_id": loss["patient_id"],
            "gene": loss["gene"],
            "source": "plasma",
            "alteration_type": "her2_loss",
            "status": loss["status"],
            "label": loss["alteration"],
            "timepoint": "progression",
        }
    )
    parts = [p for p in (_mutation_cells(study, draws, wanted), _cn_cells(study, draws, wanted, params),
                         loss_cells, _structural_variant_cells(study, draws, wanted)) if len(p)]
    if not parts:
        return typed_frame(pd.DataFrame(columns=list(CELL_COLUMNS)), CELL_COLUMNS)
    long = pd.concat(parts, ignore_index=True).astype({"label": "string", "timepoint": "string"})
    keys = ["patient_id", "gene", "source", "alteration_type"]
    long = long.assign(
        new_at_progression=(long["status"] == STATUS_NEW).fillna(False).astype(bool),
        expanding=(long["status"] == STATUS_EXPANDING).fillna(False).astype(bool),
        unknown_baseline=(long["status"] == STATUS_UNKNOWN).fillna(False).astype(bool),
    )
    cells = long.groupby(keys, sort=False)[["new_at_progression", "expanding", "unknown_baseline"]].any()
    cells["status"] = long.groupby(keys, sort=False)["status"].agg(join_statuses).replace("", pd.NA)
    cells["label"] = join_unique(long, keys, "label")
    cells["timepoints"] = join_unique(long, keys, "timepoint")
    return typed_frame(cells.reset_index(), CELL_COLUMNS)


def gene_ranking(study: Study, params: AnalysisParameters = AnalysisParameters()) -> pd.DataFrame:
    """Every gene with data (mutations, copy number, structural variants), most altered patients first.

    "Altered" as :func:`analysis.pfs_groups.altered_samples` (any sample of the patient: protein-changing
    mutation, amplification or deletion at the sample type's cutoff, or a structural-variant partner).

    Returns
    -------
    ``gene`` (upper case), ``n_patients`` (patients with an altered sample; 0 for genes with data but no
    alteration), sorted by ``n_patients`` descending, then gene.
    """
    altered = altered_samples(study, params)
    counts = altered.groupby("gene")["patient_id"].nunique()
    sv = study.structural_variants
    genes: set[str] = set()
    for column in (study.variants["gene"], study.copy_number["gene"], sv["gene1"], sv["gene2"]):
        genes |= set(column.dropna().astype(str).str.upper())
    genes |= set(counts.index.astype(str))
    table = pd.DataFrame({"gene": sorted(genes - {""})})
    table["n_patients"] = table["gene"].map(counts).fillna(0).astype("int64")
    table = table.sort_values(["n_patients", "gene"], ascending=[False, True], kind="stable")
    return typed_frame(table, RANKING_COLUMNS)


def not_profiled_cells(study: Study, draws: pd.DataFrame, patient_ids: Sequence[str],
                       genes: Sequence[str], profiling: Profiling | None = None) -> pd.DataFrame:
    """Patient x gene x source cells whose shown samples were none of them profiled for the gene.

    Parameters
    ----------
    draws
        ``patient_id, sample_id, source``: the samples behind the oncoprint's cells.
    patient_ids, genes
        The oncoprint's patients and genes.
    profiling
        What each sample was profiled for (default ``Profiling.of(study)``).

    Returns
    -------
    :data:`NOT_PROFILED_COLUMNS`; empty when the study does not say what was profiled for mutations
    (every sample then counts as profiled, as before), or for a patient with no sample of that source
    (nothing shown, so nothing to call unprofiled).
    """
    profiling = profiling if profiling is not None else Profiling.of(study)
    empty = typed_frame(pd.DataFrame(), NOT_PROFILED_COLUMNS)
    if not profiling.says("mutations") or not len(genes) or draws.empty:
        return empty
    shown = draws[draws["patient_id"].astype(str).isin(set(map(str, patient_ids)))]
    shown = shown[["patient_id", "sample_id", "source"]].drop_duplicates().reset_index(drop=True)
    if shown.empty:
        return empty
    # Decide coverage once per distinct panel and gene, not per sample: 10,000 patients x 30 genes otherwise.
    keys = profiling.coverage_keys(shown["sample_id"], "mutations")
    key_text = keys.map(lambda k: "\0none" if k is None else str(k))
    distinct = {text: key for text, key in zip(key_text, keys, strict=True)}
    covered = pd.DataFrame(
        [(text, gene, profiling.covers(key, gene)) for text, key in distinct.items() for gene in genes],
        columns=["key", "gene", "profiled"],
    )
    pairs = shown.assign(key=key_text.to_numpy()).merge(covered, on="key")
    per_cell = pairs.groupby(["patient_id", "source", "gene"], sort=False)["profiled"].any()
    missing = per_cell[~per_cell].reset_index()[["patient_id", "gene", "source"]]
    if missing.empty:
        return empty
    sample_ids = join_unique(shown.astype({"sample_id": str}), ["patient_id", "source"], "sample_id",
                             sort_values=True).rename("sample_ids").reset_index()
    out = missing.merge(sample_ids, on=["patient_id", "source"], how="left")
    return typed_frame(out.sort_values(["patient_id", "gene", "source"], kind="stable"), NOT_PROFILED_COLUMNS)


def build_oncoprint(
    study: Study,
    trajectories: TrajectoryResult,
    resistance: ResistanceResult,
    params: AnalysisParameters = AnalysisParameters(),
    genes: Sequence[str] | None = None,
) -> OncoprintData:
    """Oncoprint data of the cohort.

    Parameters
    ----------
    study
        Variants, copy number, structural variants, tissue samples and what was profiled.
    trajectories
        Baseline and progression draws, HER2 status, PFS, resistance class.
    resistance
        Mechanism calls (tracks, pathway grouping, HER2 loss cells, knowledge-base genes).
    params
        Amplification cutoffs (plasma and tissue, copies).
    genes
        Genes to show (HUGO symbols, any case; each gets rows, altered or not).  Default: the
        knowledge-base genes altered in at least one patient, or, when fewer than
        :data:`MIN_KB_GENES_ALTERED` are, the :data:`MOST_ALTERED_GENES` most altered genes of the study
        (:func:`gene_ranking`) with those knowledge-base genes.

    Returns
    -------
    :class:`OncoprintData`; empty study gives empty tables.
    """
    caveats: list[str] = []
    kb = resistance.knowledge_base.table
    pts = trajectories.patients
    draws = _draws(trajectories, study)
    if genes is not None:
        wanted = list(dict.fromkeys(str(g).strip().upper() for g in genes if str(g).strip()))
        gene_choice = GENES_CHOSEN
        cells = _cells(study, draws, resistance, wanted, params)
        shown_genes = wanted
    else:
        wanted = sorted(set(kb["gene"].astype(str).str.upper()))
        gene_choice = GENES_KB
        cells = _cells(study, draws, resistance, wanted, params)
        kb_altered = sorted(set(cells["gene"].astype(str)))
        if len(kb_altered) < MIN_KB_GENES_ALTERED:
            ranking = gene_ranking(study, params)
            top = ranking.loc[ranking["n_patients"] > 0, "gene"].astype(str).head(MOST_ALTERED_GENES).tolist()
            fallback = list(dict.fromkeys(top + kb_altered))
            if set(fallback) != set(kb_altered):
                gene_choice = GENES_MOST_ALTERED
                cells = _cells(study, draws, resistance, fallback, params)
                caveats.append(
                    f"Only {len(kb_altered)} knowledge-base gene{'s are' if len(kb_altered) != 1 else ' is'} altered "
                    f"(fewer than {MIN_KB_GENES_ALTERED}): the oncoprint shows the study's "
                    f"{len(top)} most altered genes instead (by patients with an altered sample)"
                    + (", with the altered knowledge-base genes" if kb_altered else "") + ".")
        shown_genes = sorted(set(cells["gene"].astype(str)))

    # --- orderings -----------------------------------------------------------------------------------
    calls = resistance.calls
    pathway_rank = (
        calls.groupby("pathway")["patient_id"].nunique().sort_values(ascending=False, kind="stable")
    )
    pathway_order = {p: i for i, p in enumerate(pathway_rank.index)}
    resist_rows = kb[kb["evidence_direction"] == "resistance"]
    gene_pathway = resist_rows.drop_duplicates("gene").set_index("gene")["pathway"]
    gene_counts = cells.groupby("gene")["patient_id"].nunique()
    gene_table = pd.DataFrame({"gene": pd.Series(shown_genes, dtype=str)})
    gene_table["n_patients"] = gene_table["gene"].map(gene_counts).fillna(0).astype("int64")
    gene_table["pathway"] = gene_table["gene"].map(gene_pathway).fillna("OTHER")
    gene_table["pathway_rank"] = gene_table["pathway"].map(pathway_order).fillna(len(pathway_order))
    gene_table = gene_table.sort_values(
        ["pathway_rank", "n_patients", "gene"], ascending=[True, False, True], kind="stable"
    )
    gene_order = tuple(gene_table["gene"])
    genes_out = (
        gene_table[["gene", "pathway", "n_patients"]]
        .reset_index(drop=True)
        .astype({"gene": "string", "pathway": "string", "n_patients": "int64"})
    )

    rp = resistance.patients.set_index("patient_id")
    primary = calls.assign(rank=calls["pathway"].map(pathway_order)).sort_values("rank", kind="stable")
    primary = primary.groupby("patient_id", sort=False).head(1).set_index("patient_id")["pathway"]
    tracks = pd.DataFrame(
        {
            "patient_id": pts["patient_id"],
            "her2_status": pts["her2_status"],
            "resistance_class": pts["resistance_class"],
            "n_mechanisms": pts["patient_id"].map(rp["n_mechanisms"]).fillna(0).to_numpy(),
            "mechanism_group": pts["patient_id"].map(rp["mechanism_group"]).fillna("0").to_numpy(),
            "primary_pathway": pts["patient_id"].map(primary).to_numpy(),
            "pfs_months": pts["pfs_months"],
            "pfs_event": pts["pfs_event"],
        }
    )
    tracks = typed_frame(tracks, TRACK_COLUMNS)
    patient_order = _patient_order(tracks, cells, gene_order, pathway_order)
    not_profiled = not_profiled_cells(study, draws, tuple(tracks["patient_id"].astype(str)), gene_order)
    if cells.empty:
        caveats.append("No alteration in the displayed genes.")
    if len(not_profiled):
        caveats.append(
            f"{len(not_profiled)} patient x gene cell(s) were not profiled for mutations (the gene is not on the "
            "panel of any of the patient's samples shown): drawn as not profiled, not as not altered.")
    summary = pd.DataFrame(
        {
            "measure": [
                "patients",
                "genes shown",
                "altered cells",
                "plasma cells new at progression",
                "plasma cells expanding",
                "structural-variant cells",
                "cells not profiled for mutations",
            ],
            "value": [
                len(tracks),
                len(gene_order),
                len(cells),
                int(cells["new_at_progression"].sum()),
                int(cells["expanding"].sum()),
                int((cells["alteration_type"] == "structural_variant").sum()),
                len(not_profiled),
            ],
        }
    )
    return OncoprintData(
        cells=cells,
        tracks=tracks,
        genes=genes_out,
        patient_order=patient_order,
        gene_order=gene_order,
        summary=summary,
        caveats=tuple(caveats),
        not_profiled=not_profiled,
        gene_choice=gene_choice,
    )


def _patient_order(
    tracks: pd.DataFrame, cells: pd.DataFrame, gene_order: tuple[str, ...], pathway_order: dict[str, int]
) -> tuple[str, ...]:
    if tracks.empty:
        return ()
    ids = tracks["patient_id"].astype(str).to_numpy()
    index = {p: i for i, p in enumerate(ids)}
    matrix = np.zeros((len(ids), len(gene_order)), dtype=np.int8)
    if len(cells) and gene_order:
        gpos = {g: j for j, g in enumerate(gene_order)}
        rows = cells["patient_id"].astype(str).map(index)
        cols = cells["gene"].astype(str).map(gpos)
        ok = rows.notna() & cols.notna()
        matrix[rows[ok].astype(int).to_numpy(), cols[ok].astype(int).to_numpy()] = 1
    group = tracks["primary_pathway"].map(pathway_order).fillna(len(pathway_order)).to_numpy()
    n_mech = tracks["n_mechanisms"].to_numpy()
    # np.lexsort sorts by the last key first: group, then genes left to right (altered first), then
    # more mechanisms first, then patient id for a stable, reproducible order.
    keys = [ids, -n_mech] + [-matrix[:, j] for j in range(matrix.shape[1] - 1, -1, -1)] + [group]
    return tuple(ids[np.lexsort(keys)])

