"""Patient groupings of design.md section 3, each feeding :func:`analysis.survival.kaplan_meier`.

Every grouping returns a :class:`PfsGrouping`: ``members`` (``patient_id, group``: every patient
that could be grouped, whatever their follow-up) and ``table`` (``patient_id, pfs_months,
pfs_event, group``: the members with a PFS time and status).  Patients that cannot be grouped (no
baseline draw, no sample, ...) are counted in ``summary`` and named in ``caveats``, never silently
dropped.  :func:`grouping_survival` compares the groups on either endpoint, PFS or overall survival,
so that a study with only ``OS_MONTHS``/``OS_STATUS`` works with every grouping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from analysis import params as P
from analysis.alterations import protein_changing_mask, somatic_structural_variants
from analysis.params import AnalysisParameters
from analysis.profiling import Profiling
from analysis.resistance import ResistanceResult
from analysis.study import Study
from analysis.survival import SurvivalResult, kaplan_meier
from analysis.trajectory import TrajectoryResult, gene_mask
from analysis.wording import AT_LEAST

#: Genes of "baseline PI3K or ERBB2/4 mutation" (Wang et al., Gut 2019).
BASELINE_MUTATION_GENES = ("PIK3CA", "PIK3R1", "PIK3C3", "ERBB2", "ERBB4")

TABLE_COLUMNS = {"patient_id": "string", "pfs_months": "float64", "pfs_event": "boolean", "group": "string"}
MEMBER_COLUMNS = {"patient_id": "string", "group": "string"}
ENDPOINT_TABLE_COLUMNS = {"patient_id": "string", "months": "float64", "event": "boolean", "group": "string"}

#: Endpoints: patient columns of time (months) and event, and the word for an event.
ENDPOINT_COLUMNS = {"pfs": ("pfs_months", "pfs_event"), "os": ("os_months", "os_event")}
EVENT_WORDS = {"pfs": "progressions", "os": "deaths"}
ENDPOINT_NAMES = {"pfs": "PFS", "os": "overall survival"}

#: Default landmark of the landmark analysis (days from day 0): about the 3-month boundary between
#: innate and acquired resistance (``INNATE_PFS_MONTHS``), so that the groups cannot encode innate
#: progression (Anderson, Cain and Gelber, J Clin Oncol 1983;1:710-719).
DEFAULT_LANDMARK_DAYS = 90.0

#: Cautions of groupings formed from what happened later (guarantee-time bias), shown next to the p-value.
GUARANTEE_TIME = "guarantee-time bias (Anderson, Cain and Gelber 1983)"
BIAS_PROGRESSION_DRAW = (
    "Caution: groups counted from the progression draw, which only progressors have and which is taken at "
    f"progression, build the outcome into the groups ({GUARANTEE_TIME}). Shown because Wang et al. 2019 did "
    "this; use the baseline-only grouping or a landmark analysis for a fair comparison.")
BIAS_RESISTANCE_CLASS = (
    "Caution: resistance class is defined by PFS itself (innate = progression by 3 months), so comparing PFS "
    f"between classes is circular ({GUARANTEE_TIME}); the p-value is no evidence of a prognostic difference.")
BIAS_ANY_SAMPLE = (
    "Caution: alterations from any sample, including draws at or after progression: patients followed longer "
    f"give more samples and more chances to show an alteration ({GUARANTEE_TIME}). Use the baseline draw or a "
    "landmark analysis for a fair comparison.")
BIAS_EARLY_DECLINE = (
    "Caution: a patient is grouped only with an on-treatment draw before progression, so the time up to that "
    f"draw is guaranteed progression-free ({GUARANTEE_TIME}); a landmark at the draw day avoids it.")


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
        ``group, n`` (with PFS) plus a row ``not grouped`` (no group or no PFS).
    caveats
        Why patients were left out of ``table`` (not grouped, no PFS).
    members
        ``patient_id, group`` of every grouped patient, with or without PFS.
    member_caveats
        Why patients were not grouped (the part of ``caveats`` that does not depend on the endpoint).
    bias_note
        A caution when the groups are formed from what happened later (guarantee-time bias), to be
        shown next to the p-value; empty for groupings known at day 0 (or at the landmark).
    landmark_day
        Landmark analysis: times are counted from this day (days from day 0) and patients without
        follow-up beyond it are left out and counted; None = times from day 0.
    """

    name: str
    title: str
    table: pd.DataFrame
    group_order: tuple[str, ...]
    summary: pd.DataFrame
    caveats: tuple[str, ...] = ()
    members: pd.DataFrame = field(default_factory=lambda: _typed(pd.DataFrame(), MEMBER_COLUMNS))
    member_caveats: tuple[str, ...] = ()
    bias_note: str = ""
    landmark_day: float | None = None


def _typed(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: (frame[c] if c in frame else pd.Series(dtype=t)).astype(t)
                         for c, t in columns.items()}).reset_index(drop=True)


def _finish(
    name: str,
    title: str,
    trajectories: TrajectoryResult,
    groups: pd.Series,
    order: Sequence[str],
    reason: str,
    bias_note: str = "",
    landmark_day: float | None = None,
) -> PfsGrouping:
    """The grouping of *groups* (patient_id -> label; missing = not grouped, for *reason*)."""
    pts = trajectories.patients
    frame = pd.DataFrame(
        {
            "patient_id": pts["patient_id"],
            "pfs_months": pts["pfs_months"],
            "pfs_event": pts["pfs_event"],
            "group": pts["patient_id"].map(groups).to_numpy(),
        }
    )
    no_group = frame["group"].isna()
    member_caveats = []
    if no_group.any():
        ids = ", ".join(frame.loc[no_group, "patient_id"].astype(str)[:10])
        more = "..." if no_group.sum() > 10 else ""
        member_caveats.append(f"{int(no_group.sum())} patient(s) not grouped ({reason}): {ids}{more}")
    members = _typed(frame[~no_group], MEMBER_COLUMNS)
    no_pfs = ~no_group & (frame["pfs_months"].isna() | frame["pfs_event"].isna())
    caveats = list(member_caveats)
    if no_pfs.any():
        caveats.insert(0, f"{int(no_pfs.sum())} patient(s) without PFS time or status left out.")
    table = frame[~no_pfs & ~no_group]
    if landmark_day is not None:
        shifted, note = _from_landmark(table.rename(columns={"pfs_months": "months", "pfs_event": "event"}),
                                       landmark_day, "pfs")
        table = shifted.rename(columns={"months": "pfs_months", "event": "pfs_event"})
        if note:
            caveats.insert(0, note)
    table = _typed(table, TABLE_COLUMNS)
    present = [g for g in order if g in set(members["group"])]
    extra = sorted(set(members["group"]) - set(order))
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
        members=members,
        member_caveats=tuple(member_caveats),
        bias_note=bias_note,
        landmark_day=landmark_day,
    )


def _from_landmark(frame: pd.DataFrame, landmark_day: float, endpoint: str) -> tuple[pd.DataFrame, str]:
    """Rows still followed after the landmark, with ``months`` counted from it; and the count left out.

    A patient whose event or censoring falls on or before the landmark has no follow-up from it and
    is left out (Anderson, Cain and Gelber 1983); the caveat counts events and censorings separately.
    """
    landmark_months = landmark_day / P.DAYS_PER_MONTH
    after = frame["months"] > landmark_months
    before = frame[~after]
    note = ""
    if len(before):
        events = int(before["event"].astype(bool).sum())
        word = EVENT_WORDS[endpoint].rstrip("s")
        note = (f"Landmark day {landmark_day:g}: {len(before)} patient(s) with no follow-up beyond it left out "
                f"({events} with a {word} and {len(before) - events} censored on or before day {landmark_day:g}).")
    return frame[after].assign(months=frame.loc[after, "months"] - landmark_months), note


def available_endpoints(patients: pd.DataFrame) -> list[str]:
    """Endpoints (``pfs``, ``os``) for which at least one patient has both a time and a status."""
    out = []
    for endpoint, (months, event) in ENDPOINT_COLUMNS.items():
        if months in patients and event in patients and (patients[months].notna() & patients[event].notna()).any():
            out.append(endpoint)
    return out


def endpoint_table(grouping: PfsGrouping, endpoint: str,
                   patients: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The grouping's members with the time and event of *endpoint*.

    Parameters
    ----------
    endpoint
        ``"pfs"`` or ``"os"`` (columns :data:`ENDPOINT_COLUMNS` of *patients*).
    patients
        A patients table with those columns (the study's, or the trajectories' for PFS).

    Returns
    -------
    ``patient_id, months, event, group`` (members with both a time and a status; for a landmark
    grouping, those followed beyond the landmark, with months counted from it), and the caveats:
    why patients were not grouped, how many members had no time or status for the endpoint, how
    many had no follow-up beyond the landmark.

    Raises
    ------
    ValueError
        An unknown endpoint.
    """
    if endpoint not in ENDPOINT_COLUMNS:
        raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {', '.join(ENDPOINT_COLUMNS)}")
    months, event = ENDPOINT_COLUMNS[endpoint]
    outcome = patients.drop_duplicates("patient_id").set_index("patient_id")
    members = grouping.members
    frame = pd.DataFrame({
        "patient_id": members["patient_id"],
        "months": members["patient_id"].map(outcome[months]) if months in outcome else np.nan,
        "event": members["patient_id"].map(outcome[event]) if event in outcome else pd.NA,
        "group": members["group"],
    })
    known = frame["months"].notna() & frame["event"].notna()
    caveats = list(grouping.member_caveats)
    if (~known).any():
        caveats.insert(0, f"{int((~known).sum())} grouped patient(s) without {ENDPOINT_NAMES[endpoint]} time or "
                          "status left out.")
    frame = frame[known]
    if grouping.landmark_day is not None:
        frame, note = _from_landmark(frame, grouping.landmark_day, endpoint)
        if note:
            caveats.insert(0, note)
    return _typed(frame, ENDPOINT_TABLE_COLUMNS), tuple(caveats)


def grouping_survival(grouping: PfsGrouping, patients: pd.DataFrame, endpoint: str = "pfs",
                      at_times: list[float] | None = None) -> SurvivalResult:
    """Kaplan-Meier, log-rank and Cox of the grouping on *endpoint* (PFS or OS).

    The result's caveats start with the grouping's (not grouped, no time for the endpoint), so that
    they can be shown as they are.  See :func:`endpoint_table` for the parameters.
    """
    table, caveats = endpoint_table(grouping, endpoint, patients)
    result = kaplan_meier(table["months"].to_numpy(float), table["event"].astype(bool).to_numpy(),
                          table["group"].astype(str).to_numpy(), at_times=at_times,
                          group_order=list(grouping.group_order) or None)
    return replace(result, caveats=(*caveats, *(c for c in result.caveats if c not in caveats)))


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
        bias_note=BIAS_PROGRESSION_DRAW,
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
    """Resistance class: ``innate``, ``acquired``, ``none`` (no progression).

    "none" needs a known PFS status: a patient with neither a PFS status nor a progression in the
    timeline (e.g. a study without PFS columns) has no class and is not grouped.
    """
    pts = trajectories.patients
    unknown = pts["pfs_event"].isna().to_numpy() & ~pts["progressed"].astype(bool).to_numpy()
    groups = pd.Series(pts["resistance_class"].to_numpy(), index=pts["patient_id"].to_numpy())[~unknown]
    return _finish(
        "resistance_class",
        "Resistance class",
        trajectories,
        groups,
        ("acquired", "innate", "none"),
        "no class: no PFS status and no progression recorded",
        bias_note=BIAS_RESISTANCE_CLASS,
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
    labels = np.where(cn >= cut, f"{AT_LEAST} {cut:g}", f"< {cut:g}")
    groups = pd.Series(labels, index=pts["patient_id"].to_numpy())[cn.notna().to_numpy()]
    return _finish(
        "baseline_her2_cn",
        f"Baseline plasma HER2 CN (cutoff {cut:g} copies)",
        trajectories,
        groups,
        (f"< {cut:g}", f"{AT_LEAST} {cut:g}"),
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
        bias_note=BIAS_EARLY_DECLINE,
    )
    # One caveat per reason, naming its patients (the generic "not grouped" caveat is replaced).
    with_pfs = (pts["pfs_months"].notna() & pts["pfs_event"].notna()).to_numpy(dtype=bool)
    left_out = reasons[~reasons.index.isin(labels.index) & with_pfs]
    caveats = [c for c in grouping.caveats if "not grouped (see reasons)" not in c]
    for reason, ids in left_out.groupby(left_out, sort=False).groups.items():
        names = ", ".join(map(str, list(ids)[:10])) + ("..." if len(ids) > 10 else "")
        caveats.append(f"{len(ids)} patient(s) not grouped ({reason}): {names}")
    return replace(grouping, caveats=tuple(caveats))


def altered_samples(study: Study, params: AnalysisParameters = AnalysisParameters(),
                    genes: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Every (sample, gene) with a protein-changing mutation, an amplification, a deletion or a structural variant.

    Amplification: discrete 2 or CN >= the plasma (2.4) or tissue (4.0) cutoff by sample type;
    deletion: discrete -2 or CN <= :data:`analysis.params.GENE_DELETION_CN`.  *genes* restricts the
    genes (HUGO symbols, any case); None = all.

    Returns
    -------
    ``sample_id, patient_id, gene`` (upper case), one row per altered sample and gene.
    """
    samples = study.samples.drop_duplicates("sample_id").set_index("sample_id")
    var = study.variants
    cn = study.copy_number
    if genes is not None:
        wanted = [genes] if isinstance(genes, str) else list(genes)
        var = var[gene_mask(var["gene"], [g.upper() for g in wanted])]
        cn = cn[gene_mask(cn["gene"], [g.upper() for g in wanted])]
    mutated = var.loc[protein_changing_mask(var).to_numpy(), ["sample_id", "gene"]]
    sample_type = cn["sample_id"].map(samples["sample_type"].astype("string").str.lower())
    copies = cn["copy_number"].fillna(2.0 * np.power(2.0, cn["log2_ratio"]))
    # A sample of unknown type (no SAMPLE_TYPE in the study) is held to the plasma cutoff.
    is_tissue = (sample_type == "tissue").fillna(False).to_numpy(dtype=bool)
    cutoff = np.where(is_tissue, params.tissue_amplification_cn, params.plasma_amplification_cn)
    discrete = cn["cna_discrete"].astype("float64")
    altered_cn = ((discrete.abs() >= 2) | (copies >= cutoff) | (copies <= P.GENE_DELETION_CN)).fillna(False)
    sv = somatic_structural_variants(study.structural_variants)
    rearranged = pd.concat([sv[["sample_id", "gene1"]].rename(columns={"gene1": "gene"}),
                            sv[["sample_id", "gene2"]].rename(columns={"gene2": "gene"})], ignore_index=True)
    rearranged = rearranged.dropna()
    if genes is not None:
        rearranged = rearranged[gene_mask(rearranged["gene"], [g.upper() for g in wanted])]
    parts = [mutated, cn.loc[altered_cn.to_numpy(dtype=bool), ["sample_id", "gene"]], rearranged]
    both = pd.concat([p for p in parts if len(p)] or [mutated], ignore_index=True)
    out = pd.DataFrame({"sample_id": both["sample_id"].astype("string"),
                        "patient_id": both["sample_id"].map(samples["patient_id"]).astype("string"),
                        "gene": both["gene"].astype("string").str.upper()})
    return out.dropna().drop_duplicates().reset_index(drop=True)


def most_altered_genes(study: Study, params: AnalysisParameters = AnalysisParameters()) -> pd.DataFrame:
    """Genes by number of altered patients (any sample), most altered first, then by name.

    Returns ``gene, n_patients``; genes with data but no alteration are listed with 0.
    """
    altered = altered_samples(study, params)
    counts = altered.groupby("gene")["patient_id"].nunique()
    genes = set(study.variants["gene"].dropna().astype(str).str.upper()) | set(
        study.copy_number["gene"].dropna().astype(str).str.upper())
    table = pd.DataFrame({"gene": sorted(genes - {""})})
    table["n_patients"] = table["gene"].map(counts).fillna(0).astype("int64")
    return table.sort_values(["n_patients", "gene"], ascending=[False, True], kind="stable").reset_index(drop=True)


def by_gene(
    study: Study,
    trajectories: TrajectoryResult,
    gene: str,
    params: AnalysisParameters = AnalysisParameters(),
    sources: str = "any",
) -> PfsGrouping:
    """Any alteration in *gene*: protein-altering mutation, amplification or deletion (:func:`altered_samples`).

    Parameters
    ----------
    gene
        HUGO symbol.
    sources
        ``any`` (plasma and tissue, all samples), ``plasma`` or ``tissue`` (all samples of that
        type: outcome-dependent, :data:`BIAS_ANY_SAMPLE`), or ``baseline`` (the baseline plasma draw
        only: known at day 0; patients without a baseline draw are not grouped).
    """
    gene = gene.upper()
    samples = study.samples
    if sources == "baseline":
        baseline = trajectories.patients["baseline_sample_id"].dropna()
        samples = samples[samples["sample_id"].isin(set(baseline))]
    elif sources != "any":
        samples = samples[samples["sample_type"].str.lower() == sources]
    sample_patient = samples.set_index("sample_id")["patient_id"]
    altered = altered_samples(study, params, gene)
    carriers = set(altered.loc[altered["sample_id"].isin(sample_patient.index), "patient_id"])
    baseline_only = sources == "baseline"
    reason = "no baseline draw" if baseline_only else "no sample"
    grouped = set(sample_patient)
    profiling = Profiling.of(study)
    if profiling.says("mutations"):
        # A patient none of whose samples profiled the gene is "not profiled", never "not altered".
        with_cn = set(study.copy_number.loc[gene_mask(study.copy_number["gene"], gene), "sample_id"])
        sample_ids = pd.Series(sample_patient.index, index=sample_patient.index)
        profiled = profiling.profiled(sample_ids, pd.Series(gene, index=sample_ids.index)) | sample_ids.isin(with_cn)
        grouped = set(sample_patient[profiled.to_numpy()]) | (carriers & grouped)
        reason += f", or {gene} not profiled in any of their samples ({profiling.sources['mutations']})"
    title = f"{gene} alteration in the baseline plasma draw" if baseline_only else \
        f"Any {gene} alteration ({sources} samples)"
    return _finish(
        f"gene_{gene}" if sources == "any" else f"gene_{gene}_{sources}",
        title,
        trajectories,
        _carrier_groups(trajectories, gene, carriers, grouped),
        (f"{gene} not altered", f"{gene} altered"),
        reason,
        bias_note="" if baseline_only else BIAS_ANY_SAMPLE,
    )


def _carrier_groups(trajectories: TrajectoryResult, gene: str, carriers: set, profiled: set) -> pd.Series:
    """``GENE altered`` / ``GENE not altered`` for the profiled patients."""
    pts = trajectories.patients
    return pd.Series(
        np.where(pts["patient_id"].isin(carriers), f"{gene} altered", f"{gene} not altered"),
        index=pts["patient_id"].to_numpy(),
    )[pts["patient_id"].isin(profiled).to_numpy()]


def _check_landmark(landmark_day: float) -> float:
    day = float(landmark_day)
    if not np.isfinite(day) or day < 0:
        raise ValueError(f"landmark day: expected a number of days >= 0, got {landmark_day!r}")
    return day


def landmark_mechanism_count(trajectories: TrajectoryResult, resistance: ResistanceResult,
                             landmark_day: float = DEFAULT_LANDMARK_DAYS) -> PfsGrouping:
    """Landmark analysis of the number of resistance mechanisms: ``0`` / ``1`` / ``2+`` detected by *landmark_day*.

    Mechanisms are the distinct knowledge-base pathways (direction *resistance*) of the evidence in
    the draws the mechanism call examines (baseline and progression) collected on or before the
    landmark; patients need a baseline draw.  PFS (or OS) is counted from the landmark; patients with
    no follow-up beyond it are left out and counted (Anderson, Cain and Gelber 1983).

    Raises
    ------
    ValueError
        A negative or non-numeric landmark day.
    """
    day = _check_landmark(landmark_day)
    ev = resistance.evidence
    seen = ev[(ev["day"] <= day) & (ev["evidence_direction"] == "resistance")]
    counts = seen.groupby("patient_id")["pathway"].nunique()
    pts = trajectories.patients
    profiled = pts.loc[pts["baseline_day"].notna() & (pts["baseline_day"] <= day), "patient_id"]
    n = profiled.map(counts).fillna(0).astype(int)
    groups = pd.Series(np.where(n >= 2, "2+", n.astype(str)), index=profiled.to_numpy())
    return _finish(
        "landmark_mechanism_count",
        f"Resistance mechanisms detected by day {day:g} (landmark; times from day {day:g})",
        trajectories,
        groups,
        ("0", "1", "2+"),
        f"no baseline draw by day {day:g}",
        landmark_day=day,
    )


def landmark_gene(study: Study, trajectories: TrajectoryResult, gene: str,
                  landmark_day: float = DEFAULT_LANDMARK_DAYS,
                  params: AnalysisParameters = AnalysisParameters()) -> PfsGrouping:
    """Landmark analysis of *gene*: altered in any sample collected on or before *landmark_day* (plasma or tissue).

    Patients with no dated sample by the landmark are not grouped; times from the landmark, as in
    :func:`landmark_mechanism_count`.

    Raises
    ------
    ValueError
        A negative or non-numeric landmark day.
    """
    day = _check_landmark(landmark_day)
    gene = gene.upper()
    samples = study.samples[study.samples["collection_day"] <= day]
    sample_patient = samples.set_index("sample_id")["patient_id"]
    altered = altered_samples(study, params, gene)
    carriers = set(altered.loc[altered["sample_id"].isin(sample_patient.index), "patient_id"])
    return _finish(
        f"landmark_gene_{gene}",
        f"{gene} alteration in samples by day {day:g} (landmark; times from day {day:g})",
        trajectories,
        _carrier_groups(trajectories, gene, carriers, set(sample_patient)),
        (f"{gene} not altered", f"{gene} altered"),
        f"no dated sample by day {day:g}",
        landmark_day=day,
    )


def by_clinical_attribute(study: Study, trajectories: TrajectoryResult, attribute: str) -> PfsGrouping:
    """Any patient attribute (e.g. ``her2_status``, a free column such as ``sex``, or ``age``).

    Categorical attributes give one group per value.  A numeric measurement (more than
    :data:`MAX_NUMERIC_LEVELS` distinct values, or not whole numbers) is split at its median:
    ``< m`` vs ``>= m`` (a data-driven cut-off, said in the title).

    Raises
    ------
    KeyError
        *attribute* is not a column of the patients table (the message lists the columns).
    """
    pts = study.patients
    column = attribute.lower()
    if column not in pts.columns:
        raise KeyError(f"attribute {attribute!r}: expected one of {', '.join(map(str, pts.columns))}")
    raw = pts.drop_duplicates("patient_id").set_index("patient_id")[column]
    if is_measurement(raw):
        numbers = pd.to_numeric(raw, errors="coerce").dropna()
        median = float(numbers.median())
        low, high = f"< {median:g}", f"{AT_LEAST} {median:g}"
        groups = pd.Series(np.where(numbers >= median, high, low), index=numbers.index)
        return _finish(f"attribute_{column}", f"{attribute} (split at the median, {median:g})", trajectories,
                       groups, (low, high), f"no {attribute}")
    values = raw.astype("string").str.strip().replace("", pd.NA).dropna()
    order = tuple(sorted(values.unique()))
    return _finish(f"attribute_{column}", attribute, trajectories, values, order, f"no {attribute}")


#: A numeric attribute is a category only when it holds at most this many distinct whole numbers, all
#: from 0 to :data:`MAX_SCORE` (ECOG 0-5, a stage 1-4); any other numeric column (age, a ratio) is a
#: measurement, split at the median.
MAX_NUMERIC_LEVELS = 10
MAX_SCORE = 10


def is_measurement(values: pd.Series) -> bool:
    """True for a numeric column that is a measurement (age, a ratio), not a score such as ECOG."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return False
    present = values.dropna()
    score = (present == present.round()).all() and present.between(0, MAX_SCORE).all()
    return bool(present.nunique() > MAX_NUMERIC_LEVELS or not score)


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
