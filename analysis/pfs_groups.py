"""PFS groupings of design.md section 3, each a table that feeds :func:`analysis.survival.kaplan_meier`.

Every grouping returns a :class:`PfsGrouping` whose ``table`` has ``patient_id, pfs_months,
pfs_event, group``: one row per patient with a PFS time, status and group; patients that cannot
be grouped (no baseline draw, no PFS) are counted in ``summary`` and named in ``caveats``, never
silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from analysis import params as P
from analysis.params import AnalysisParameters
from analysis.resistance import PROTEIN_ALTERING, ResistanceResult
from analysis.study import Study
from analysis.trajectory import TrajectoryResult, gene_mask

#: Genes of "baseline PI3K or ERBB2/4 mutation" (Wang et al., Gut 2019).
BASELINE_MUTATION_GENES = ("PIK3CA", "PIK3R1", "PIK3C3", "ERBB2", "ERBB4")

TABLE_COLUMNS = {"patient_id": "string", "pfs_months": "float64", "pfs_event": "boolean", "group": "string"}


@dataclass(frozen=True)
class PfsGrouping:
    """One grouping of patients for a PFS comparison.

    Attributes
    ----------
    name
        Machine name of the grouping (e.g. ``mechanism_count``).
    title
        Caption for a figure.
    table
        ``patient_id, pfs_months`` (months), ``pfs_event`` (True = progression), ``group``.
    group_order
        Display order of the groups (first = reference for hazard ratios).
    summary
        ``group, n`` plus a row ``not grouped``.
    caveats
        Why patients were left out.
    """

    name: str
    title: str
    table: pd.DataFrame
    group_order: tuple[str, ...]
    summary: pd.DataFrame
    caveats: tuple[str, ...] = ()


def _finish(
    name: str,
    title: str,
    trajectories: TrajectoryResult,
    groups: pd.Series,
    order: Sequence[str],
    reason: str,
) -> PfsGrouping:
    pts = trajectories.patients
    frame = pd.DataFrame(
        {
            "patient_id": pts["patient_id"],
            "pfs_months": pts["pfs_months"],
            "pfs_event": pts["pfs_event"],
            "group": pts["patient_id"].map(groups).to_numpy(),
        }
    )
    caveats = []
    no_pfs = frame["pfs_months"].isna() | frame["pfs_event"].isna()
    if no_pfs.any():
        caveats.append(f"{int(no_pfs.sum())} patient(s) without PFS time or status left out.")
    no_group = frame["group"].isna() & ~no_pfs
    if no_group.any():
        ids = ", ".join(frame.loc[no_group, "patient_id"].astype(str)[:10])
        more = "..." if no_group.sum() > 10 else ""
        caveats.append(f"{int(no_group.sum())} patient(s) not grouped ({reason}): {ids}{more}")
    table = frame[~no_pfs & ~no_group]
    table = pd.DataFrame({c: table[c].astype(t) for c, t in TABLE_COLUMNS.items()}).reset_index(drop=True)
    present = [g for g in order if g in set(table["group"])]
    extra = sorted(set(table["group"]) - set(order))
    counts = table["group"].value_counts()
    summary = pd.DataFrame(
        {
            "group": [*order, *extra, "not grouped"],
            "n": [int(counts.get(g, 0)) for g in [*order, *extra]] + [int((no_pfs | no_group).sum())],
        }
    )
    return PfsGrouping(
        name=name,
        title=title,
        table=table,
        group_order=tuple(present + extra),
        summary=summary,
        caveats=tuple(caveats),
    )


def by_mechanism_count(trajectories: TrajectoryResult, resistance: ResistanceResult) -> PfsGrouping:
    """Number of resistance mechanisms: ``0``, ``1``, ``2+`` (patients without any draw not grouped)."""
    rp = resistance.patients
    groups = rp.set_index("patient_id")["mechanism_group"].where(rp.set_index("patient_id")["evaluated"])
    return _finish(
        "mechanism_count",
        "Number of resistance mechanisms",
        trajectories,
        groups.dropna(),
        ("0", "1", "2+"),
        "no baseline or progression draw",
    )


def by_baseline_mutation(
    trajectories: TrajectoryResult,
    resistance: ResistanceResult,
    genes: Sequence[str] = BASELINE_MUTATION_GENES,
) -> PfsGrouping:
    """Baseline plasma mutation (knowledge-base match) in PI3K genes or ERBB2/ERBB4: ``yes`` / ``no``."""
    wanted = {g.upper() for g in genes}
    ev = resistance.evidence
    carriers = set(
        ev.loc[
            (ev["draw"] == "baseline")
            & (ev["alteration_type"] == "mutation")
            & ev["gene"].isin(wanted)
            & (ev["evidence_direction"] == "resistance"),
            "patient_id",
        ]
    )
    pts = trajectories.patients
    has_base = pts["baseline_sample_id"].notna()
    groups = pd.Series(
        np.where(pts["patient_id"].isin(carriers), "yes", "no"), index=pts["patient_id"].to_numpy()
    )
    groups = groups[has_base.to_numpy()]
    return _finish(
        "baseline_mutation",
        "Baseline plasma " + "/".join(sorted(wanted)) + " mutation",
        trajectories,
        groups,
        ("no", "yes"),
        "no baseline draw",
    )


def by_resistance_class(trajectories: TrajectoryResult) -> PfsGrouping:
    """Resistance class: ``innate``, ``acquired``, ``none`` (no progression)."""
    pts = trajectories.patients
    groups = pd.Series(pts["resistance_class"].to_numpy(), index=pts["patient_id"].to_numpy())
    return _finish(
        "resistance_class",
        "Resistance class",
        trajectories,
        groups,
        ("acquired", "innate", "none"),
        "no class",
    )


def by_baseline_her2_cn(
    trajectories: TrajectoryResult,
    cutoff: float | None = None,
    params: AnalysisParameters = AnalysisParameters(),
) -> PfsGrouping:
    """Baseline plasma ERBB2 CN ``>= cutoff`` vs ``< cutoff`` (copies).

    The default cutoff is the plasma amplification cutoff, ``params.plasma_amplification_cn``.
    """
    cut = params.plasma_amplification_cn if cutoff is None else float(cutoff)
    pts = trajectories.patients
    cn = pts["baseline_erbb2_cn"]
    labels = np.where(cn >= cut, f">= {cut:g}", f"< {cut:g}")
    groups = pd.Series(labels, index=pts["patient_id"].to_numpy())[cn.notna().to_numpy()]
    return _finish(
        "baseline_her2_cn",
        f"Baseline plasma HER2 CN (cutoff {cut:g} copies)",
        trajectories,
        groups,
        (f"< {cut:g}", f">= {cut:g}"),
        "no baseline ERBB2 CN",
    )


def by_early_decline(
    trajectories: TrajectoryResult, fraction: float = P.EARLY_DECLINE_FRACTION
) -> PfsGrouping:
    """Early HER2 CN decline: excess copies over 2 at the first on-treatment draw <= *fraction* x baseline's.

    The first on-treatment draw is the first plasma draw after the baseline draw, whatever it is
    (design.md section 3): when it is also the progression draw it still counts, so patients who
    progress at their first assessment without a decline are grouped as "no decline".  Patients
    left out are named in the caveats with their own reason: no baseline draw, no baseline ERBB2
    CN, baseline CN <= 2 (no excess over 2 that could decline), no draw after the baseline draw, or
    no ERBB2 CN at the first on-treatment draw.
    """
    draws = trajectories.draws
    pts = trajectories.patients
    later = draws[draws["draw_day"] > draws["baseline_day"]]
    first = later.groupby("patient_id", sort=False).head(1).set_index("patient_id")
    base_cn = pts.set_index("patient_id")["baseline_erbb2_cn"]
    first_cn = first["erbb2_cn"].reindex(base_cn.index)
    base_excess = base_cn - 2.0
    excess = first_cn - 2.0
    ok = (base_excess > 0) & first_cn.notna()
    labels = pd.Series(np.where(excess <= fraction * base_excess, "decline", "no decline"), index=base_cn.index)[ok]
    has_base = pts.set_index("patient_id")["baseline_sample_id"].notna()
    reasons = pd.Series(
        np.select(
            [~has_base, base_cn.isna(), ~(base_excess > 0), ~base_cn.index.isin(first.index)],
            ["no baseline draw", "no baseline ERBB2 CN", "baseline CN <= 2", "no draw after the baseline draw"],
            "no ERBB2 CN at the first on-treatment draw",
        ),
        index=base_cn.index,
    )
    grouping = _finish(
        "early_decline",
        f"Early HER2 CN decline (excess over 2 at first on-treatment draw <= {fraction:g} x baseline)",
        trajectories,
        labels,
        ("no decline", "decline"),
        "see reasons",
    )
    # One caveat per reason, naming its patients (the generic "not grouped" caveat is replaced).
    with_pfs = (pts["pfs_months"].notna() & pts["pfs_event"].notna()).to_numpy(dtype=bool)
    left_out = reasons[~reasons.index.isin(labels.index) & with_pfs]
    caveats = [c for c in grouping.caveats if "not grouped (see reasons)" not in c]
    for reason, ids in left_out.groupby(left_out, sort=False).groups.items():
        names = ", ".join(map(str, list(ids)[:10])) + ("..." if len(ids) > 10 else "")
        caveats.append(f"{len(ids)} patient(s) not grouped ({reason}): {names}")
    return replace(grouping, caveats=tuple(caveats))


def by_gene(
    study: Study,
    trajectories: TrajectoryResult,
    gene: str,
    params: AnalysisParameters = AnalysisParameters(),
    sources: str = "any",
) -> PfsGrouping:
    """Any alteration in *gene*: protein-altering mutation, amplification or deletion, in any sample.

    Parameters
    ----------
    gene
        HUGO symbol.
    sources
        ``any`` (plasma and tissue, all samples), ``plasma`` or ``tissue``.
    """
    gene = gene.upper()
    samples = study.samples
    if sources != "any":
        samples = samples[samples["sample_type"].str.lower() == sources]
    sample_patient = samples.set_index("sample_id")["patient_id"]
    var = study.variants
    mutated = var[
        gene_mask(var["gene"], gene) & var["variant_classification"].isin(PROTEIN_ALTERING).to_numpy()
    ]
    cn = study.copy_number[gene_mask(study.copy_number["gene"], gene)]
    cn = cn.assign(sample_type=cn["sample_id"].map(samples.set_index("sample_id")["sample_type"].str.lower()))
    copies = cn["copy_number"].fillna(2.0 * np.power(2.0, cn["log2_ratio"]))
    cutoff = np.where(
        cn["sample_type"] == "tissue", params.tissue_amplification_cn, params.plasma_amplification_cn
    )
    discrete = cn["cna_discrete"].astype("float64")
    altered_cn = ((discrete.abs() >= 2) | (copies >= cutoff) | (copies <= P.GENE_DELETION_CN)).fillna(False)
    altered_samples = set(mutated["sample_id"]) | set(cn.loc[altered_cn.to_numpy(dtype=bool), "sample_id"])
    carriers = set(sample_patient[sample_patient.index.isin(altered_samples)])
    sequenced = set(sample_patient)
    pts = trajectories.patients
    groups = pd.Series(
        np.where(pts["patient_id"].isin(carriers), f"{gene} altered", f"{gene} not altered"),
        index=pts["patient_id"].to_numpy(),
    )[pts["patient_id"].isin(sequenced).to_numpy()]
    return _finish(
        f"gene_{gene}",
        f"Any {gene} alteration ({sources} samples)",
        trajectories,
        groups,
        (f"{gene} not altered", f"{gene} altered"),
        "no sample",
    )


def by_clinical_attribute(study: Study, trajectories: TrajectoryResult, attribute: str) -> PfsGrouping:
    """Any categorical patient attribute (e.g. ``her2_status`` or a free column such as ``sex``).

    Raises
    ------
    KeyError
        *attribute* is not a column of the patients table (the message lists the columns).
    """
    pts = study.patients
    column = attribute.lower()
    if column not in pts.columns:
        raise KeyError(f"attribute {attribute!r}: expected one of {', '.join(map(str, pts.columns))}")
    values = pts.drop_duplicates("patient_id").set_index("patient_id")[column]
    values = values.astype("string").str.strip().replace("", pd.NA).dropna()
    order = tuple(sorted(values.unique()))
    return _finish(f"attribute_{column}", attribute, trajectories, values, order, f"no {attribute}")


def default_groupings(
    study: Study,
    trajectories: TrajectoryResult,
    resistance: ResistanceResult,
    params: AnalysisParameters = AnalysisParameters(),
) -> dict[str, PfsGrouping]:
    """The design.md groupings computed by default (gene and attribute groupings are on request)."""
    groupings = [
        by_mechanism_count(trajectories, resistance),
        by_baseline_mutation(trajectories, resistance),
        by_resistance_class(trajectories),
        by_baseline_her2_cn(trajectories, params=params),
        by_early_decline(trajectories),
        by_clinical_attribute(study, trajectories, "her2_status"),
    ]
    return {g.name: g for g in groupings}
