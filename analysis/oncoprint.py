"""Cohort oncoprint data: patients x genes alteration types, with clinical tracks and orderings.

Plasma cells come from each patient's baseline draw and, for progressors, the progression draw
(the draws used for mechanism calls); tissue cells from every tissue sample.  Each plasma cell
carries the statuses of its alterations, with the words and rules of the mechanism calls
(:data:`analysis.resistance.STATUSES`): *new at progression* (in the progression draw, absent
from the baseline draw), *expanding* (a mutation present at baseline whose VAF rose >= 2-fold and
by >= 0.5 percentage points), *baseline*, or *unknown (no baseline draw)*.  Tissue cells have no
status.  Default genes: those of the resistance knowledge base that are altered in at least one
patient.

Default ordering ("mechanism group, then frequency"): pathways by the number of patients with a
mechanism in them; genes by pathway, then by the number of altered patients; patients by the first
pathway (in that order) in which they have a mechanism (none last), then by a memo sort of the
binary patient x gene matrix, then by number of mechanisms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import params as P
from analysis.alterations import protein_changing_mask
from analysis.frames import typed_frame
from analysis.params import AnalysisParameters
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
CELL_TYPES = ("missense", "truncating", "inframe", "other_mutation", "amplification", "deletion", "her2_loss")

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
    """

    cells: pd.DataFrame
    tracks: pd.DataFrame
    genes: pd.DataFrame
    patient_order: tuple[str, ...]
    gene_order: tuple[str, ...]
    summary: pd.DataFrame
    caveats: tuple[str, ...] = ()


def _mutation_type(classification: pd.Series) -> np.ndarray:
    cls = classification.astype("string").fillna("")
    return np.select(
        [cls == "Missense_Mutation", cls.isin(TRUNCATING), cls.isin(["In_Frame_Del", "In_Frame_Ins"])],
        ["missense", "truncating", "inframe"],
        "other_mutation",
    )


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
        Variants, copy number and tissue samples.
    trajectories
        Baseline and progression draws, HER2 status, PFS, resistance class.
    resistance
        Mechanism calls (tracks, pathway grouping, HER2 loss cells, knowledge-base genes).
    params
        Amplification cutoffs (plasma and tissue, copies).
    genes
        Genes to show; default the knowledge-base genes altered in at least one patient.

    Returns
    -------
    :class:`OncoprintData`; empty study gives empty tables.
    """
    caveats: list[str] = []
    kb = resistance.knowledge_base.table
    wanted = [g.upper() for g in genes] if genes is not None else sorted(set(kb["gene"]))
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

    # --- mutations ----------------------------------------------------------------------------------
    var = study.variants
    var = var[
        gene_mask(var["gene"], wanted) & protein_changing_mask(var).to_numpy()
    ]
    var = var.assign(gene=upper_genes(var["gene"])).merge(
        draws.assign(has_base=has_base), on="sample_id", how="inner"
    )
    protein = var["protein_change"].astype("string").str.replace(r"^p\.", "", regex=True)
    var["label"] = protein.fillna(var["variant_classification"].astype("string"))
    var["key"] = var["gene"] + "|" + var["label"]
    base_vaf = (
        var[var["draw"] == "baseline"].groupby(["patient_id", "key"])["vaf"].max().rename("baseline_vaf")
    )
    var = var.merge(base_vaf, left_on=["patient_id", "key"], right_index=True, how="left")
    status = mutation_status(var["draw"], var["vaf"], var["baseline_vaf"], var["has_base"])
    mutations = pd.DataFrame(
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

    # --- copy number ---------------------------------------------------------------------------------
    cn = study.copy_number
    cn = cn[gene_mask(cn["gene"], wanted)]
    cn = cn.assign(gene=upper_genes(cn["gene"])).merge(
        draws.assign(has_base=has_base), on="sample_id", how="inner"
    )
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
    cn_cells = pd.DataFrame(
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
    parts = [p for p in (mutations, cn_cells, loss_cells) if len(p)]
    if parts:
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
        cells = cells.reset_index()
    else:
        cells = pd.DataFrame(columns=list(CELL_COLUMNS))
    cells = typed_frame(cells, CELL_COLUMNS)

    # --- orderings -----------------------------------------------------------------------------------
    calls = resistance.calls
    pathway_rank = (
        calls.groupby("pathway")["patient_id"].nunique().sort_values(ascending=False, kind="stable")
    )
    pathway_order = {p: i for i, p in enumerate(pathway_rank.index)}
    resist_rows = kb[kb["evidence_direction"] == "resistance"]
    gene_pathway = resist_rows.drop_duplicates("gene").set_index("gene")["pathway"]
    gene_counts = cells.groupby("gene")["patient_id"].nunique()
    gene_table = pd.DataFrame({"gene": gene_counts.index.astype(str), "n_patients": gene_counts.to_numpy()})
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
    if cells.empty:
        caveats.append("No alteration in the displayed genes.")
    summary = pd.DataFrame(
        {
            "measure": [
                "patients",
                "genes shown",
                "altered cells",
                "plasma cells new at progression",
                "plasma cells expanding",
            ],
            "value": [
                len(tracks),
                len(gene_order),
                len(cells),
                int(cells["new_at_progression"].sum()),
                int(cells["expanding"].sum()),
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

