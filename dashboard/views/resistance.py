"""Resistance page view models: which patients the oncoprint shows, in what order, and the tables.

Pure functions of analysis results (:class:`analysis.cohort.CohortAnalysis` parts and the study);
the page's callbacks cache their output through :meth:`AnalysisService.view`.  Nothing here is a
new statistic: counts and percentages of the resistance result, formatted, plus the Wilson interval
of :func:`analysis.agreement.wilson_interval` for the headline proportion.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import caveats as C
from analysis.agreement import wilson_interval
from analysis.alterations import protein_changing_mask
from analysis.oncoprint import OncoprintData, build_oncoprint, structural_variant_labels
from analysis.params import CONFIDENCE_LEVEL, AnalysisParameters
from analysis.resistance import HER_FAMILY_MUTATION_GENES, ResistanceResult, mutation_carriers
from analysis.study import Study
from analysis.trajectory import ACQUIRED, INNATE, TrajectoryResult, gene_mask, upper_genes
from dashboard.figures.plotly_text import escape_all
from dashboard.figures.style import format_p, vaf_text
from dashboard.labels import AT_LEAST, pathway_name
from dashboard.views.patient import evidence_exclusion

#: Oncoprint orderings (URL value -> label).
SORTS = {
    "mechanism": "Mechanism group, then alteration frequency",
    "pfs": "PFS, shortest first",
    "class": "Resistance class (innate, acquired, none)",
}
DEFAULT_SORT = "mechanism"

#: Which patients the oncoprint shows (URL value -> label).
SHOWS = {
    "progressors": "Progressors (innate or acquired resistance)",
    "followed": "Followed patients (with PFS)",
    "all": "All patients",
}
DEFAULT_SHOW = "progressors"
SHOW_NOUNS = {"progressors": "progressors", "followed": "followed patients", "all": "patients"}

#: Most patient columns drawn: beyond a few hundred columns a cell is narrower than a pixel.
MAX_ONCOPRINT_PATIENTS = 300

CLASS_ORDER = (INNATE, ACQUIRED, "none", "unknown")

#: Labels of the oncoprint's alteration types (analysis.oncoprint.CELL_TYPES).
ALTERATION_LABELS = {
    "amplification": "Amplification",
    "deletion": "Deep deletion",
    "her2_loss": "HER2 loss at progression",
    "missense": "Missense mutation",
    "truncating": "Truncating mutation",
    "inframe": "In-frame indel",
    "other_mutation": "Other protein-altering mutation",
    "structural_variant": "Structural variant / fusion",
}

#: Most genes the picker keeps (more rows than this would not fit a screen anyway).
MAX_PICKED_GENES = 60
_GENE_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9._-]*$")


def parse_genes(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Gene symbols from the URL (``KRAS,ERBB2``) or the picker (a list): upper case, distinct, in order.

    Anything that is not a gene symbol is dropped, and at most :data:`MAX_PICKED_GENES` are kept; an
    empty result means "the default genes".

    >>> parse_genes("kras, ERBB2,,kras;<x>")
    ('KRAS', 'ERBB2')
    """
    if value is None:
        return ()
    parts = re.split(r"[,;\s]+", value) if isinstance(value, str) else [str(v) for v in value if v is not None]
    genes = [g.strip().upper() for g in parts]
    return tuple(dict.fromkeys(g for g in genes if _GENE_SYMBOL.match(g)))[:MAX_PICKED_GENES]


def page_state(sort: str | None, show: str | None, genes: str | Sequence[str] | None = None,
               default_genes: Sequence[str] | None = None) -> dict[str, str]:
    """Valid page state (unknown values fall back to the defaults).

    ``genes`` (comma-joined) is kept only when genes were picked and they differ from *default_genes*
    (when known): a link to the default view stays short and follows the study's defaults.
    """
    state = {"sort": sort if sort in SORTS else DEFAULT_SORT, "show": show if show in SHOWS else DEFAULT_SHOW}
    picked = parse_genes(genes)
    if picked and (default_genes is None or set(picked) != {g.upper() for g in default_genes}):
        state["genes"] = ",".join(picked)
    return state


def gene_options(ranking: pd.DataFrame, extra: Sequence[str] = ()) -> list[dict[str, str]]:
    """Gene picker options, most altered first: ``KRAS (7 patients)``.

    Parameters
    ----------
    ranking
        ``gene, n_patients`` (:func:`analysis.oncoprint.gene_ranking`: patients with an altered sample).
    extra
        Genes to offer even without data (e.g. picked in a shared link), after the others.
    """
    options = [{"label": f"{g} ({n} patient{'s' if n != 1 else ''})", "value": str(g)}
               for g, n in zip(ranking["gene"], ranking["n_patients"].astype(int), strict=True)]
    known = set(ranking["gene"].astype(str))
    options += [{"label": f"{g} (no data)", "value": g} for g in extra if g not in known]
    return options


def oncoprint_for_genes(default: OncoprintData, study: Study, trajectories: TrajectoryResult,
                        resistance: ResistanceResult, params: AnalysisParameters,
                        genes: Sequence[str] | None) -> OncoprintData:
    """The oncoprint of the picked genes: the cohort's (default genes) unless other genes were picked."""
    picked = parse_genes(genes)
    if not picked or set(picked) == set(default.gene_order):
        return default
    return build_oncoprint(study, trajectories, resistance, params, genes=picked)


@dataclass(frozen=True)
class OncoprintSelection:
    """The patients of the oncoprint in display order.

    ``n_eligible`` patients passed the filter; ``patient_ids`` (at most the cap) are drawn;
    ``note`` says what was left out and why (empty when nothing was).
    """

    patient_ids: tuple[str, ...]
    n_eligible: int
    n_cohort: int
    note: str


def select_patients(oncoprint: OncoprintData, sort: str = DEFAULT_SORT, show: str = DEFAULT_SHOW,
                    max_patients: int = MAX_ONCOPRINT_PATIENTS) -> OncoprintSelection:
    """Filter and order the oncoprint's patients.

    Parameters
    ----------
    oncoprint
        The cohort's oncoprint data (``tracks`` and the default ``patient_order``).
    sort
        ``mechanism`` (the analysis' default order: mechanism group, then alteration frequency),
        ``pfs`` (shortest PFS first, patients without PFS last) or ``class`` (innate, acquired,
        none; the default order within a class).
    show
        ``progressors`` (innate or acquired), ``followed`` (with a PFS time) or ``all``.
    max_patients
        Cap on the columns; when more patients qualify, progressors are kept first, then the
        others in the chosen order.
    """
    tracks = oncoprint.tracks
    if tracks.empty:
        return OncoprintSelection((), 0, 0, "")
    default_rank = {pid: i for i, pid in enumerate(oncoprint.patient_order)}
    frame = pd.DataFrame({
        "patient_id": tracks["patient_id"].astype(str),
        "resistance_class": tracks["resistance_class"].astype("string").fillna("unknown"),
        "pfs_months": tracks["pfs_months"].astype(float),
    })
    frame["default_rank"] = frame["patient_id"].map(default_rank).fillna(len(default_rank)).to_numpy()
    frame["progressor"] = frame["resistance_class"].isin([INNATE, ACQUIRED]).to_numpy(dtype=bool)
    if show == "progressors":
        frame = frame[frame["progressor"]]
    elif show == "followed":
        frame = frame[frame["pfs_months"].notna()]
    if sort == "pfs":
        keys, ascending = ["pfs_months", "default_rank"], [True, True]
    elif sort == "class":
        frame = frame.assign(class_rank=frame["resistance_class"].map(
            {c: i for i, c in enumerate(CLASS_ORDER)}).fillna(len(CLASS_ORDER)).to_numpy())
        keys, ascending = ["class_rank", "default_rank"], [True, True]
    else:
        keys, ascending = ["default_rank"], [True]
    frame = frame.sort_values(keys, ascending=ascending, na_position="last", kind="stable")
    n_eligible = len(frame)
    note = ""
    if n_eligible > max_patients:
        # Progressors first, so that the cap never hides a resistance call in favour of a non-progressor.
        kept = frame.assign(position=np.arange(n_eligible)).sort_values(
            ["progressor", "position"], ascending=[False, True], kind="stable").head(max_patients)
        frame = kept.sort_values("position", kind="stable")
        rule = "in the chosen order" if show == "progressors" else "progressors first, then in the chosen order"
        note = (f"Showing {max_patients:,} of {n_eligible:,} {SHOW_NOUNS.get(show, 'patients')} ({rule}): more "
                "columns would be too narrow to read. The mechanism and enrichment tables cover every "
                "progressor; the evidence table covers the patients shown.")
    return OncoprintSelection(tuple(frame["patient_id"]), n_eligible, len(tracks), note)


@dataclass(frozen=True)
class OncoprintView:
    """Tables the oncoprint figure draws (see :func:`dashboard.figures.oncoprint.oncoprint_figure`).

    Attributes
    ----------
    patient_ids
        Columns, left to right.
    rows
        Gene rows top to bottom: ``gene, source`` (plasma/tissue), ``pathway, n_altered`` (patients
        shown with any alteration in that gene and source), ``n_profiled`` (patients shown, less those
        not profiled for the gene there and not altered), ``pct_altered`` (% of ``n_profiled``).
    cells
        The oncoprint cells of those patients and rows (``analysis.oncoprint.CELL_COLUMNS``).
    tracks
        Clinical tracks of those patients, in column order.
    details
        ``patient_id, gene, source, detail``: the per-draw values behind a cell (VAF to 3 significant
        digits, CN in copies), escaped for plotly and ``<br>``-joined, for hover text.
    selection
        The :class:`OncoprintSelection`.
    not_profiled
        ``patient_id, gene, source, sample_ids`` of the patients shown (``OncoprintData.not_profiled``).
    """

    patient_ids: tuple[str, ...]
    rows: pd.DataFrame
    cells: pd.DataFrame
    tracks: pd.DataFrame
    details: pd.DataFrame
    selection: OncoprintSelection
    not_profiled: pd.DataFrame


def oncoprint_view(oncoprint: OncoprintData, trajectories: TrajectoryResult, study: Study,
                   sort: str = DEFAULT_SORT, show: str = DEFAULT_SHOW,
                   max_patients: int = MAX_ONCOPRINT_PATIENTS) -> OncoprintView:
    """Everything the oncoprint figure needs for one sort and filter choice."""
    selection = select_patients(oncoprint, sort, show, max_patients)
    shown = set(selection.patient_ids)
    cells = oncoprint.cells[oncoprint.cells["patient_id"].isin(shown)].reset_index(drop=True)
    tracks = (oncoprint.tracks.assign(patient_id=oncoprint.tracks["patient_id"].astype(str))
              .set_index("patient_id").reindex(list(selection.patient_ids)).reset_index())
    sources = [s for s in ("plasma", "tissue") if (oncoprint.cells["source"] == s).any()] or ["plasma"]
    pathway = oncoprint.genes.set_index("gene")["pathway"] if len(oncoprint.genes) else pd.Series(dtype=str)
    altered = cells.groupby(["gene", "source"])["patient_id"].nunique()
    not_profiled = oncoprint.not_profiled[oncoprint.not_profiled["patient_id"].astype(str).isin(shown)]
    not_profiled = not_profiled.reset_index(drop=True)
    # A patient not profiled for mutations but with a CN or SV change there was profiled for something.
    unaltered = not_profiled.merge(cells[["patient_id", "gene", "source"]].drop_duplicates(),
                                   on=["patient_id", "gene", "source"], how="left", indicator=True)
    unprofiled = unaltered[unaltered["_merge"] == "left_only"].groupby(["gene", "source"])["patient_id"].nunique()
    n_shown = len(selection.patient_ids)
    records = []
    for gene in oncoprint.gene_order:
        for source in sources:
            n = int(altered.get((gene, source), 0))
            profiled = n_shown - int(unprofiled.get((gene, source), 0))
            records.append({"gene": gene, "source": source, "pathway": str(pathway.get(gene, "OTHER")),
                            "n_altered": n, "n_profiled": profiled,
                            "pct_altered": 100.0 * n / profiled if profiled else math.nan})
    rows = pd.DataFrame(records, columns=["gene", "source", "pathway", "n_altered", "n_profiled", "pct_altered"])
    details = cell_details(study, trajectories, cells)
    return OncoprintView(selection.patient_ids, rows, cells, tracks, details, selection, not_profiled)


def _draws(study: Study, trajectories: TrajectoryResult, patient_ids: set[str]) -> pd.DataFrame:
    """The samples behind the oncoprint cells: baseline and progression plasma draws, tissue samples."""
    pts = trajectories.patients
    pts = pts[pts["patient_id"].astype(str).isin(patient_ids)]
    plasma = pd.concat([
        pd.DataFrame({"patient_id": pts["patient_id"], "sample_id": pts["baseline_sample_id"], "draw": "baseline"}),
        pd.DataFrame({"patient_id": pts["patient_id"], "sample_id": pts["progression_sample_id"],
                      "draw": "progression"}),
    ]).dropna(subset=["sample_id"]).assign(source="plasma")
    samples = study.samples
    tissue = samples[(samples["sample_type"].astype("string").str.lower() == "tissue")
                     & samples["patient_id"].astype(str).isin(patient_ids)]
    tissue = pd.DataFrame({"patient_id": tissue["patient_id"], "sample_id": tissue["sample_id"],
                           "draw": "tissue", "source": "tissue"})
    draws = pd.concat([plasma, tissue], ignore_index=True)
    return draws.astype({"patient_id": str, "sample_id": str}).drop_duplicates(["sample_id", "draw"])


def cell_details(study: Study, trajectories: TrajectoryResult, cells: pd.DataFrame) -> pd.DataFrame:
    """Per-draw values behind each oncoprint cell: mutation VAF (3 significant digits), CN (copies).

    Returns
    -------
    DataFrame ``patient_id, gene, source, detail`` (one row per cell that has values).
    """
    empty = pd.DataFrame({c: pd.Series(dtype=str) for c in ("patient_id", "gene", "source", "detail")})
    if cells.empty:
        return empty
    genes = set(cells["gene"].astype(str))
    draws = _draws(study, trajectories, set(cells["patient_id"].astype(str)))
    lines = []
    variants = study.variants
    variants = variants[gene_mask(variants["gene"], genes)
                        & protein_changing_mask(variants).to_numpy()]
    variants = variants.assign(gene=upper_genes(variants["gene"]), sample_id=variants["sample_id"].astype(str))
    variants = variants.merge(draws, on="sample_id")
    if len(variants):
        protein = variants["protein_change"].astype("string").str.replace(r"^p\.", "", regex=True)
        protein = protein.fillna(variants["variant_classification"].astype("string"))
        vaf = [vaf_text(v) if pd.notna(v) else "not measured" for v in variants["vaf"]]
        text = [f"{d} ({s}): {p}, VAF {v}" for d, s, p, v in
                zip(variants["draw"], variants["sample_id"], protein, vaf, strict=True)]
        lines.append(pd.DataFrame({"patient_id": variants["patient_id"], "gene": variants["gene"],
                                   "source": variants["source"], "draw": variants["draw"], "text": text}))
    cn_genes = set(cells.loc[cells["alteration_type"].isin(["amplification", "deletion", "her2_loss"]), "gene"])
    cn = study.copy_number
    cn = cn[gene_mask(cn["gene"], cn_genes)] if cn_genes else cn.iloc[0:0]
    cn = cn.assign(gene=upper_genes(cn["gene"]), sample_id=cn["sample_id"].astype(str)).merge(draws, on="sample_id")
    if len(cn):
        copies = cn["copy_number"].fillna(2.0 * np.power(2.0, cn["log2_ratio"]))
        text = [f"{d} ({s}): CN {c:.3g} copies" if pd.notna(c) else f"{d} ({s}): CN not measured"
                for d, s, c in zip(cn["draw"], cn["sample_id"], copies, strict=True)]
        cn_lines = pd.DataFrame({"patient_id": cn["patient_id"], "gene": cn["gene"], "source": cn["source"],
                                 "draw": cn["draw"], "text": text})
        # Only cells that carry a copy-number alteration in that source get CN lines.
        cn_cells = cells.loc[cells["alteration_type"].isin(["amplification", "deletion", "her2_loss"]),
                             ["patient_id", "gene", "source"]].astype(str).drop_duplicates()
        lines.append(cn_lines.merge(cn_cells, on=["patient_id", "gene", "source"]))
    sv_cells = cells.loc[cells["alteration_type"] == "structural_variant", ["patient_id", "gene", "source"]]
    if len(sv_cells) and len(study.structural_variants):
        lines.append(_structural_variant_lines(study, draws, sv_cells.astype(str).drop_duplicates()))
    if not lines:
        return empty
    long = pd.concat(lines, ignore_index=True)
    long["draw_rank"] = long["draw"].map({"baseline": 0, "progression": 1, "tissue": 2})
    long = long.sort_values(["patient_id", "gene", "source", "draw_rank", "text"], kind="stable")
    # Hover markup: each line (sample ids, protein changes) escaped for plotly, then joined with <br>.
    grouped = long.groupby(["patient_id", "gene", "source"], sort=False)["text"].agg(
        lambda lines: "<br>".join(escape_all(lines)))
    return grouped.rename("detail").reset_index().astype(str)


def _structural_variant_lines(study: Study, draws: pd.DataFrame, sv_cells: pd.DataFrame) -> pd.DataFrame:
    """``patient_id, gene, source, draw, text`` per structural variant behind an SV cell (reads, event)."""
    sv = study.structural_variants
    sv = sv.assign(label=structural_variant_labels(sv), sample_id=sv["sample_id"].astype(str))
    long = pd.concat([sv.assign(gene=upper_genes(sv["gene1"])), sv.assign(gene=upper_genes(sv["gene2"]))],
                     ignore_index=True).dropna(subset=["gene"])
    long = long.drop_duplicates(["sample_id", "gene", "label", "event_info"]).astype({"gene": str})
    long = long.merge(draws, on="sample_id").merge(sv_cells, on=["patient_id", "gene", "source"])
    reads = [f", {int(r)} supporting reads" if pd.notna(r) else "" for r in long["supporting_reads"]]
    info = [f" ({e})" if pd.notna(e) and str(e).strip() and str(e) != label else ""
            for e, label in zip(long["event_info"], long["label"], strict=True)]
    text = [f"{d} ({s}): {lab}{i}{r}" for d, s, lab, i, r in
            zip(long["draw"], long["sample_id"], long["label"], info, reads, strict=True)]
    return pd.DataFrame({"patient_id": long["patient_id"], "gene": long["gene"], "source": long["source"],
                         "draw": long["draw"], "text": text})


# --------------------------------------------------------------------------------------------- tables
def mechanism_table(resistance: ResistanceResult, confidence: float = CONFIDENCE_LEVEL) -> pd.DataFrame:
    """Progressors with 0, 1, 2+ and at least one resistance mechanism, with % and Wilson CI.

    Returns
    -------
    DataFrame ``mechanisms, patients, of_progressors, percent, ci`` (text columns ready to show).
    """
    patients = resistance.patients
    progressors = patients[patients["progressed"].astype(bool)]
    total = len(progressors)
    groups = progressors["mechanism_group"].astype(str)
    counts = [("0", int((groups == "0").sum())), ("1", int((groups == "1").sum())),
              ("2+", int((groups == "2+").sum())), (f"{AT_LEAST} 1 (any)", int((groups != "0").sum()))]
    rows = []
    for label, k in counts:
        low, high = wilson_interval(k, total, confidence) if total else (math.nan, math.nan)
        rows.append({
            "mechanisms": label,
            "patients": k,
            "of_progressors": f"{k}/{total}",
            "percent": f"{100 * k / total:.1f}%" if total else "undefined (no progressors)",
            "ci": f"{100 * low:.1f}-{100 * high:.1f}%" if total else "",
        })
    return pd.DataFrame(rows, columns=["mechanisms", "patients", "of_progressors", "percent", "ci"])


def headline(resistance: ResistanceResult, confidence: float = CONFIDENCE_LEVEL) -> dict[str, str]:
    """The quotable figure: progressors with at least one known mechanism (``value``, ``detail``)."""
    table = mechanism_table(resistance, confidence)
    any_row = table.iloc[-1]
    total = int(any_row["of_progressors"].split("/")[1])
    if total == 0:
        return {"value": "no progressors", "detail": "the share with a mechanism is undefined"}
    return {"value": f"{any_row['percent']} ({any_row['of_progressors']})",
            "detail": f"{round(100 * confidence)}% CI {any_row['ci']} (Wilson), n = {total} progressors"}


def her_family_mutation_table(resistance: ResistanceResult, confidence: float = CONFIDENCE_LEVEL) -> pd.DataFrame:
    """Progressors with an ERBB2/ERBB4 mutation (knowledge-base match) in the baseline and in the progression
    draw, with % and Wilson CI (the paper's 6/17 and 5/17).

    Returns
    -------
    DataFrame ``draw, patients, of_progressors, percent, ci`` (text columns ready to show).
    """
    rows = []
    for draw in ("baseline", "progression"):
        k, total, _ = mutation_carriers(resistance, HER_FAMILY_MUTATION_GENES, draw)
        low, high = wilson_interval(k, total, confidence) if total else (math.nan, math.nan)
        rows.append({"draw": draw, "patients": k, "of_progressors": f"{k}/{total}",
                     "percent": f"{100 * k / total:.1f}%" if total else "undefined (no progressors)",
                     "ci": f"{100 * low:.1f}-{100 * high:.1f}%" if total else ""})
    return pd.DataFrame(rows, columns=["draw", "patients", "of_progressors", "percent", "ci"])


def _ratio(value: float) -> str:
    if pd.isna(value):
        return "not estimable"
    if math.isinf(value):
        return "inf"
    return f"{value:.3g}"


def _odds_ratio_text(row) -> str:
    """The odds ratio with its CI; when a cell is zero, "not estimable" and the Haldane-Anscombe-corrected
    OR (0.5 added to every cell), labelled as such."""
    value = row["odds_ratio"]
    if pd.notna(value) and not math.isinf(value):
        low, high = row.get("odds_ratio_ci_low", math.nan), row.get("odds_ratio_ci_high", math.nan)
        ci = f" ({_ratio(low)}-{_ratio(high)})" if pd.notna(low) and pd.notna(high) else ""
        return f"{value:.3g}{ci}"
    corrected = row.get("corrected_odds_ratio", math.nan)
    if pd.notna(corrected):
        return (f"not estimable (a zero cell); corrected OR {corrected:.3g} "
                f"({_ratio(row['corrected_ci_low'])}-{_ratio(row['corrected_ci_high'])}, Haldane-Anscombe)")
    return "not estimable"


def enrichment_table(resistance: ResistanceResult) -> pd.DataFrame:
    """Each mechanism (pathway, then gene) in innate vs acquired resistance: counts, odds ratio, Fisher p.

    Returns
    -------
    DataFrame ``level, mechanism, innate, acquired, odds_ratio`` (with its 95% CI; for a table with a
    zero cell "not estimable" and the Haldane-Anscombe-corrected OR, labelled), ``p_value`` (text;
    "< 0.001" below 0.001), ``p_exact`` (the exact p, for CSV); pathways first, then genes, each by p-value.
    """
    enrichment = resistance.enrichment
    columns = ["level", "mechanism", "innate", "acquired", "odds_ratio", "p_value"]
    if enrichment.empty:
        return pd.DataFrame(columns=[*columns, "p_exact"])
    table = enrichment.assign(level_rank=(enrichment["level"] != "pathway").astype(int))
    table = table.sort_values(["level_rank", "p_value", "mechanism"], kind="stable")
    return pd.DataFrame({
        "level": table["level"].astype(str).str.capitalize(),
        "mechanism": [pathway_name(m) if level == "pathway" else str(m)
                      for level, m in zip(table["level"], table["mechanism"], strict=True)],
        "innate": [f"{a}/{n} ({100 * a / n:.0f}%)" if n else f"{a}/0"
                   for a, n in zip(table["innate_with"], table["innate_n"], strict=True)],
        "acquired": [f"{c}/{n} ({100 * c / n:.0f}%)" if n else f"{c}/0"
                     for c, n in zip(table["acquired_with"], table["acquired_n"], strict=True)],
        "odds_ratio": [_odds_ratio_text(row) for _, row in table.iterrows()],
        "p_value": [format_p(p) if pd.notna(p) else "not estimable" for p in table["p_value"]],
        "p_exact": table["p_value"].astype("float64").to_numpy(),
    }, columns=[*columns, "p_exact"]).reset_index(drop=True)


def evidence_table(resistance: ResistanceResult, patient_ids: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Every matching alteration behind the calls (one row per alteration and draw), with its citation.

    Parameters
    ----------
    patient_ids
        Restrict to these patients (e.g. those the oncoprint shows); None = all.

    Returns
    -------
    DataFrame ``patient_id, pathway, gene, alteration, draw, sample_id, day, vaf_pct, copy_number, status,
    evidence_direction, citation, tumour_fraction_note``: day, VAF (%, exact: the table shows 3 significant
    digits) and CN (copies, 2 decimals) are numbers, so they sort and filter as numbers; missing = empty.
    The note marks CHIP and likely germline variants, left out of the tumour fraction.
    """
    ev = resistance.evidence
    if patient_ids is not None:
        ev = ev[ev["patient_id"].astype(str).isin(set(patient_ids))]
    ev = ev.sort_values(["patient_id", "evidence_direction", "pathway", "gene", "day"], kind="stable")
    return pd.DataFrame({
        "patient_id": ev["patient_id"].astype(str),
        "pathway": ev["pathway"].astype(str).map(pathway_name),
        "gene": ev["gene"].astype(str),
        "alteration": ev["alteration"].astype(str),
        "draw": ev["draw"].astype(str),
        "sample_id": ev["sample_id"].astype(str),
        "day": pd.to_numeric(ev["day"], errors="coerce"),
        "vaf_pct": 100 * pd.to_numeric(ev["vaf"], errors="coerce"),
        "copy_number": pd.to_numeric(ev["copy_number"], errors="coerce").round(2),
        "status": ev["status"].astype(str),
        "evidence_direction": ev["evidence_direction"].astype(str),
        "citation": ev["citation"].astype(str),
        "tumour_fraction_note": evidence_exclusion(ev).astype(str).to_numpy(),
    }).reset_index(drop=True)


def resistance_caveats(resistance: ResistanceResult, oncoprint: OncoprintData,
                       trajectories: TrajectoryResult) -> list[str]:
    """Caveats of the Resistance page's numbers: the calls and enrichment, the oncoprint, and the
    trajectory caveats they depend on (patients without a baseline draw, whose statuses at progression
    are unknown; PFS status conflicts, which decide who is a progressor)."""
    return (list(resistance.caveats) + list(oncoprint.caveats)
            + trajectories.caveats_about(C.BASELINE, C.FOLLOW_UP))


def her2_progression_frame(trajectories: TrajectoryResult) -> pd.DataFrame:
    """Progressors with plasma ERBB2 CN at both the baseline and the progression draw.

    Returns
    -------
    DataFrame ``patient_id, resistance_class, baseline_erbb2_cn, progression_erbb2_cn`` (copies),
    ``baseline_day, progression_draw_day`` (days from day 0).
    """
    pts = trajectories.patients
    keep = pts["resistance_class"].isin([INNATE, ACQUIRED]) & pts["baseline_erbb2_cn"].notna() \
        & pts["progression_erbb2_cn"].notna()
    columns = ["patient_id", "resistance_class", "baseline_erbb2_cn", "progression_erbb2_cn", "baseline_day",
               "progression_draw_day"]
    return pts.loc[keep, columns].astype({"patient_id": str, "resistance_class": str}).reset_index(drop=True)


def progressors_without_paired_cn(trajectories: TrajectoryResult) -> int:
    """Progressors left out of the HER2 CN slope plot (no baseline or no progression ERBB2 CN)."""
    pts = trajectories.patients
    progressors = pts["resistance_class"].isin([INNATE, ACQUIRED])
    return int(progressors.sum()) - len(her2_progression_frame(trajectories))
