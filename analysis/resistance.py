"""Trastuzumab-resistance mechanisms from a versioned knowledge base (design.md section 3).

Which draws count: for every patient the baseline plasma draw, and for progressors also the
progression draw (both as defined in :mod:`analysis.trajectory`).  On-treatment draws and
tissue are not used for calls (tissue appears in the oncoprint).  A patient's mechanisms are
the distinct pathways of the knowledge-base rows with ``evidence_direction == resistance``
matched by an alteration in those draws; "with a mechanism" percentages are over progressors.

Status of each alteration (design.md section 3; the words are the same on every page):
*baseline* (in the baseline draw, or at progression and already at baseline without expanding),
*new at progression* (at progression, absent from the baseline draw), *expanding* (a mutation
present at baseline whose VAF rose at least 2-fold and by at least 0.5 percentage points,
:data:`analysis.params.EXPANDING_VAF_FOLD`, :data:`analysis.params.EXPANDING_VAF_DELTA`), and
*unknown (no baseline draw)* (at progression, in a patient without a baseline draw).

Structural variants (``study.structural_variants``) are the third alteration kind: a ``fusion`` rule
matches a somatic structural variant or fusion of any class in which its gene is either partner
(``gene1`` or ``gene2``, case-insensitive), the pattern naming the other partner (``*`` = any, or a
regular expression).  A structural variant has no VAF, so it is never *expanding*: present in the
baseline draw (same unordered gene pair) = *baseline*, absent = *new at progression*.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import caveats as C
from analysis import params as P
from analysis.alterations import protein_changing_mask, somatic_structural_variants
from analysis.caveats import caveats_about, tag
from analysis.errors import InputError
from analysis.frames import typed_frame
from analysis.params import AnalysisParameters
from analysis.study import Study
from analysis.trajectory import ACQUIRED, INNATE, TrajectoryResult, gene_mask, join_unique, upper_genes

#: The knowledge base shipped with the product.
DEFAULT_KB_PATH = Path(__file__).resolve().parents[1] / "data" / "resistance_kb.tsv"

KB_COLUMNS = ("gene", "alteration_type", "pattern", "pathway", "evidence_direction", "citation")
ALTERATION_TYPES = ("mutation", "amplification", "deletion", "cn_loss", "her2_loss", "fusion")
EVIDENCE_DIRECTIONS = ("resistance", "sensitivity")
#: Pathway ids of the default knowledge base, in display order.
PATHWAYS = ("PI3K", "HER_FAMILY", "MAPK", "RTK_BYPASS", "CELL_CYCLE", "HER2_LOSS")

#: MAF classifications that truncate the protein (``truncating`` pattern).
TRUNCATING = frozenset(
    {
        "Nonsense_Mutation",
        "Frame_Shift_Del",
        "Frame_Shift_Ins",
        "Splice_Site",
        "Translation_Start_Site",
        "Nonstop_Mutation",
    }
)

#: Alteration statuses, in display order (design.md section 3).
STATUS_BASELINE = "baseline"
STATUS_EXPANDING = "expanding"
STATUS_NEW = "new at progression"
STATUS_UNKNOWN = "unknown (no baseline draw)"
STATUSES = (STATUS_BASELINE, STATUS_EXPANDING, STATUS_NEW, STATUS_UNKNOWN)

_CODON_RANGE = re.compile(r"^codon:(\d+)-(\d+)$")
_GENE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PATHWAY = re.compile(r"^[A-Z][A-Z0-9_]*$")

EVIDENCE_COLUMNS = {
    "patient_id": "string",
    "sample_id": "string",
    "draw": "string",
    "day": "float64",
    "gene": "string",
    "alteration_type": "string",
    "alteration": "string",
    "vaf": "float64",
    "copy_number": "float64",
    "supporting_reads": "float64",
    "baseline_vaf": "float64",
    "status": "string",
    "pathway": "string",
    "evidence_direction": "string",
    "citation": "string",
    "kb_line": "int64",
}


@dataclass(frozen=True)
class KnowledgeBase:
    """A loaded knowledge base: ``table`` (columns :data:`KB_COLUMNS` + ``line``), version, source."""

    table: pd.DataFrame
    version: str
    path: str
    sha256: str

    @property
    def genes(self) -> list[str]:
        return sorted(self.table["gene"].unique())


def load_knowledge_base(path: str | Path | None = None) -> KnowledgeBase:
    """Read and validate a resistance knowledge-base TSV.

    Format: first line ``# version: <v>``; further ``#`` lines are comments; a header with the
    columns of :data:`KB_COLUMNS` (any order, extra columns kept); one row per alteration rule.

    Parameters
    ----------
    path
        The file; None or ``"default"`` for the shipped ``data/resistance_kb.tsv``.

    Returns
    -------
    :class:`KnowledgeBase`.

    Raises
    ------
    InputError
        Naming file, line and field and what was expected, for the first problem found.
    """
    path = DEFAULT_KB_PATH if path is None or str(path) == "default" else Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError("knowledge-base file not found", path=name)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc})", path=name) from exc
    lines = text.splitlines()
    if not lines or not re.match(r"^#\s*version\s*:\s*\S+", lines[0], re.IGNORECASE):
        raise InputError("expected a first line '# version: <version>'", path=name, line=1, field="version")
    version = lines[0].split(":", 1)[1].strip()
    header_no = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), None)
    if header_no is None:
        raise InputError("no header row; expected columns " + ", ".join(KB_COLUMNS), path=name)
    header = [h.strip().lower() for h in lines[header_no].split("\t")]
    for col in KB_COLUMNS:
        if col not in header:
            raise InputError(
                f"missing column; expected columns {', '.join(KB_COLUMNS)}, got {', '.join(header)}",
                path=name,
                line=header_no + 1,
                field=col,
            )
    records = []
    for i in range(header_no + 1, len(lines)):
        line = lines[i]
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) > len(header):
            raise InputError(
                f"{len(fields)} fields; expected at most {len(header)} (tab-separated)", path=name, line=i + 1
            )
        fields += [""] * (len(header) - len(fields))
        row: dict[str, Any] = dict(zip(header, fields, strict=False))  # text fields, plus the int "line"
        _validate_row(row, name, i + 1)
        row["gene"] = row["gene"].upper()
        row["line"] = i + 1
        records.append(row)
    if not records:
        raise InputError(
            "no rules; expected at least one row after the header", path=name, line=header_no + 1
        )
    table = pd.DataFrame(records)
    return KnowledgeBase(table=table, version=version, path=name, sha256=hashlib.sha256(raw).hexdigest())


def _validate_row(row: dict, name: str, line: int) -> None:
    def fail(field: str, message: str) -> None:
        raise InputError(message, path=name, line=line, field=field)

    if not _GENE.match(row["gene"]):
        fail("gene", f"expected a HUGO gene symbol, got {row['gene']!r}")
    kind = row["alteration_type"].lower()
    row["alteration_type"] = kind
    if kind not in ALTERATION_TYPES:
        fail(
            "alteration_type",
            f"expected one of {', '.join(ALTERATION_TYPES)}, got {row['alteration_type']!r}",
        )
    pattern = row["pattern"]
    if not pattern:
        fail("pattern", "expected *, truncating, codon:A-B, a protein-change regex or (fusion) a partner-gene "
             "regex, got an empty value")
    if kind == "mutation":
        m = _CODON_RANGE.match(pattern)
        if m and int(m.group(1)) > int(m.group(2)):
            fail("pattern", f"expected codon:A-B with A <= B, got {pattern!r}")
        if pattern not in ("*", "truncating") and not m:
            try:
                re.compile(pattern)
            except re.error as exc:
                fail("pattern", f"expected a valid regular expression, got {pattern!r} ({exc})")
    elif kind == "fusion":
        if pattern != "*":
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                fail("pattern", f"expected * or a partner-gene regular expression, got {pattern!r} ({exc})")
    elif pattern != "*":
        fail("pattern", f"expected * for alteration type {kind}, got {pattern!r}")
    if not _PATHWAY.match(row["pathway"]):
        fail(
            "pathway",
            f"expected an upper-case pathway id such as {', '.join(PATHWAYS)}, got {row['pathway']!r}",
        )
    direction = row["evidence_direction"].lower()
    row["evidence_direction"] = direction
    if direction not in EVIDENCE_DIRECTIONS:
        fail("evidence_direction", f"expected resistance or sensitivity, got {row['evidence_direction']!r}")
    if not row["citation"]:
        fail("citation", "expected a citation (PMID, DOI or journal reference), got an empty value")


@dataclass(frozen=True)
class ResistanceResult:
    """Resistance-mechanism calls.

    Attributes
    ----------
    evidence
        One row per matching alteration: ``patient_id, sample_id, draw`` (baseline/progression),
        ``day, gene, alteration_type, alteration`` (protein change, CN text, or for a structural
        variant ``GENE1-GENE2 CLASS``, e.g. ``ZNF207-ERBB2 FUSION``), ``vaf`` (fraction),
        ``copy_number`` (copies), ``supporting_reads`` (reads supporting a structural variant),
        ``baseline_vaf``, ``status`` (:data:`STATUSES`), ``pathway, evidence_direction, citation,
        kb_line``.
    calls
        One row per patient and resistance pathway (:data:`CALL_COLUMNS`): ``patient_id, pathway,
        genes, alterations, status`` (the distinct statuses of its evidence, in :data:`STATUSES`
        order, ``", "``-joined), ``present_at_baseline`` (found in the baseline draw),
        ``new_at_progression, expanding, unknown_baseline`` (any evidence row with that status).
    patients
        One row per patient: ``patient_id, resistance_class, progressed, evaluated`` (has a
        baseline or progression draw), ``n_mechanisms, mechanism_group`` (0 / 1 / 2+),
        ``pathways, genes``.
    enrichment
        ``level`` (pathway / gene), ``mechanism, innate_with, innate_n, acquired_with,
        acquired_n, odds_ratio, p_value`` (two-sided Fisher exact, scipy).
    knowledge_base
        The knowledge base used.
    summary, caveats
        Headline counts; caveats.
    caveat_topics
        The caveats as ``(topic, text)`` pairs (:mod:`analysis.caveats`).
    """

    evidence: pd.DataFrame
    calls: pd.DataFrame
    patients: pd.DataFrame
    enrichment: pd.DataFrame
    knowledge_base: KnowledgeBase
    summary: pd.DataFrame
    caveats: tuple[str, ...] = ()
    caveat_topics: tuple[tuple[str, str], ...] = ()

    def caveats_about(self, *topics: str) -> list[str]:
        """Caveats on these topics (:mod:`analysis.caveats`)."""
        return caveats_about(self.caveat_topics, *topics)


def mutation_status(
    draw: pd.Series, vaf: pd.Series, baseline_vaf: pd.Series, has_baseline_draw: pd.Series
) -> np.ndarray:
    """Status of each mutation row (:data:`STATUSES`).

    Parameters
    ----------
    draw
        ``baseline`` or ``progression``.
    vaf, baseline_vaf
        VAF (fraction) of the row, and of the same variant in the patient's baseline draw (NaN if absent).
    has_baseline_draw
        Whether the patient has a baseline draw at all.

    Returns
    -------
    Array of status strings.  A baseline-draw row is ``baseline``.  A progression-draw row is
    ``unknown (no baseline draw)`` when the patient has no baseline draw; ``new at progression``
    when the variant is absent from the baseline draw; ``expanding`` when its VAF rose >= 2-fold
    *and* by >= 0.005 (0.5 percentage points) from baseline; else ``baseline``.

    >>> list(mutation_status(pd.Series(["progression"] * 3), pd.Series([0.05, 0.03, 0.012]),
    ...                      pd.Series([float("nan"), 0.01, 0.01]), pd.Series([True] * 3)))
    ['new at progression', 'expanding', 'baseline']
    """
    grew = (vaf >= P.EXPANDING_VAF_FOLD * baseline_vaf) & (vaf - baseline_vaf >= P.EXPANDING_VAF_DELTA)
    at_progression = (draw == "progression").to_numpy(dtype=bool)
    has_base = np.asarray(has_baseline_draw, dtype=bool)
    absent = baseline_vaf.isna().to_numpy(dtype=bool)
    expanding = grew.fillna(False).to_numpy(dtype=bool) & ~absent
    return np.select(
        [at_progression & ~has_base, at_progression & absent, at_progression & expanding],
        [STATUS_UNKNOWN, STATUS_NEW, STATUS_EXPANDING],
        STATUS_BASELINE,
    ).astype(object)


def cn_status(draw: pd.Series, at_baseline: pd.Series, has_baseline_draw: pd.Series) -> np.ndarray:
    """Status of each copy-number alteration row (:data:`STATUSES`; copy number is never *expanding*).

    Parameters
    ----------
    draw
        ``baseline`` or ``progression``.
    at_baseline
        Whether the same gene has the same alteration in the patient's baseline draw.
    has_baseline_draw
        Whether the patient has a baseline draw at all.

    >>> list(cn_status(pd.Series(["baseline", "progression", "progression"]), pd.Series([True, False, True]),
    ...                pd.Series([True, True, True])))
    ['baseline', 'new at progression', 'baseline']
    """
    at_progression = (draw == "progression").to_numpy(dtype=bool)
    has_base = np.asarray(has_baseline_draw, dtype=bool)
    present = np.asarray(pd.Series(at_baseline).astype("boolean").fillna(False), dtype=bool)
    return np.select(
        [at_progression & ~has_base, at_progression & ~present], [STATUS_UNKNOWN, STATUS_NEW], STATUS_BASELINE
    ).astype(object)


def sv_presence_status(draw: pd.Series, at_baseline: pd.Series, has_baseline_draw: pd.Series) -> np.ndarray:
    """Status of each structural-variant row (:data:`STATUSES`): present or not, never *expanding*.

    A structural variant has no allele fraction, and its supporting reads depend on depth and library
    rather than on tumour fraction alone, so, as for copy number, only presence in the baseline draw
    (the same unordered gene pair) is compared.

    >>> list(sv_presence_status(pd.Series(["baseline", "progression", "progression"]),
    ...                         pd.Series([True, False, True]), pd.Series([True, True, False])))
    ['baseline', 'new at progression', 'unknown (no baseline draw)']
    """
    return cn_status(draw, at_baseline, has_baseline_draw)


def _sv_genes(gene1: pd.Series, gene2: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Upper-case gene symbols of both breakpoints, ``""`` for none; a lone gene comes first and an
    intragenic event (the same gene twice) has an empty second gene."""
    a = upper_genes(gene1).fillna("").astype(str)
    b = upper_genes(gene2).fillna("").astype(str)
    return a.where(a != "", b), b.where((a != "") & (b != a), "")


def sv_label(gene1: pd.Series, gene2: pd.Series, sv_class: pd.Series) -> pd.Series:
    """The evidence text of a structural variant: ``GENE1-GENE2 CLASS`` (upper case; one gene for an
    intragenic event; ``rearrangement`` when the class is missing).

    >>> sv_label(pd.Series(["ZNF207", "met"]), pd.Series(["erbb2", None]), pd.Series(["Fusion", None])).tolist()
    ['ZNF207-ERBB2 FUSION', 'MET rearrangement']
    """
    a, b = _sv_genes(gene1, gene2)
    sv_class = sv_class.astype("string").str.strip().str.upper().fillna("").astype(str)
    names = pd.Series(np.where(b != "", a + "-" + b, a), index=gene1.index)
    return names + np.where(sv_class != "", " " + sv_class, " rearrangement")


def sv_partners(gene1: pd.Series, gene2: pd.Series) -> pd.DataFrame:
    """Both orientations of each structural variant: ``row`` (position in the input), ``gene`` (upper
    case) and ``partner`` (the other gene, upper case; missing for an intragenic event, i.e. one gene or
    the same gene at both breakpoints).

    >>> sides = sv_partners(pd.Series(["ERBB2", "met"]), pd.Series(["grb7", None]))
    >>> list(zip(sides["row"], sides["gene"], sides["partner"].fillna("-")))
    [(0, 'ERBB2', 'GRB7'), (1, 'MET', '-'), (0, 'GRB7', 'ERBB2')]
    """
    g1 = upper_genes(gene1.reset_index(drop=True)).astype("string")
    g2 = upper_genes(gene2.reset_index(drop=True)).astype("string")
    g1, g2 = g1.where(g1 != "", pd.NA), g2.where(g2 != "", pd.NA)
    g2 = g2.where(g2 != g1, pd.NA)  # the same gene at both breakpoints: intragenic
    rows = pd.Series(range(len(g1)), dtype="int64")
    both = pd.concat([pd.DataFrame({"row": rows, "gene": g1, "partner": g2}),
                      pd.DataFrame({"row": rows, "gene": g2, "partner": g1})], ignore_index=True)
    return both[both["gene"].notna()].reset_index(drop=True)


def join_statuses(statuses: pd.Series) -> str:
    """The distinct statuses in *statuses*, in :data:`STATUSES` order, joined by ``", "``.

    >>> join_statuses(pd.Series(["expanding", "baseline", "expanding"]))
    'baseline, expanding'
    """
    present = set(statuses.dropna().astype(str))
    return ", ".join(s for s in STATUSES if s in present)


def _mutation_matches(variants: pd.DataFrame, kb: pd.DataFrame) -> pd.DataFrame:
    rules = kb[kb["alteration_type"] == "mutation"]
    if variants.empty or rules.empty:
        return variants.iloc[0:0].assign(kb_line=pd.Series(dtype="int64"))
    classification = variants["variant_classification"].astype("string").fillna("")
    protein = variants["protein_change"].astype("string").fillna("").str.replace(r"^p\.", "", regex=True)
    altering = protein_changing_mask(variants)
    position = pd.to_numeric(protein.str.extract(r"^[A-Za-z*]+(\d+)", expand=False), errors="coerce")
    parts = []
    for rule in rules.itertuples(index=False):
        gene_mask = (variants["gene_upper"] == rule.gene).to_numpy()
        if not gene_mask.any():
            continue
        pattern = rule.pattern
        if pattern == "*":
            mask = gene_mask & altering.to_numpy()
        elif pattern == "truncating":
            mask = gene_mask & classification.isin(TRUNCATING).to_numpy()
        elif m := _CODON_RANGE.match(pattern):
            lo, hi = int(m.group(1)), int(m.group(2))
            mask = (
                gene_mask
                & altering.to_numpy()
                & (position >= lo).fillna(False).to_numpy()
                & (position <= hi).fillna(False).to_numpy()
            )
        else:
            mask = (
                gene_mask
                & protein.str.fullmatch(pattern).fillna(False).to_numpy()
                & altering.to_numpy()
            )
        if mask.any():
            parts.append(variants[mask].assign(kb_line=rule.line))
    if not parts:
        return variants.iloc[0:0].assign(kb_line=pd.Series(dtype="int64"))
    return pd.concat(parts, ignore_index=True)


def call_mechanisms(
    study: Study,
    trajectories: TrajectoryResult,
    params: AnalysisParameters = AnalysisParameters(),
    knowledge_base: KnowledgeBase | None = None,
) -> ResistanceResult:
    """Call resistance mechanisms per patient (baseline draw, plus progression draw of progressors).

    Parameters
    ----------
    study
        The study (variants and copy-number tables).
    trajectories
        From :func:`analysis.trajectory.analyse_trajectories` (baseline/progression draws, classes).
    params
        Amplification cutoff (plasma, copies) and the knowledge base path (``params.knowledge_base``)
        used when *knowledge_base* is None.
    knowledge_base
        A loaded knowledge base (overrides ``params.knowledge_base``).

    Returns
    -------
    :class:`ResistanceResult`.

    Raises
    ------
    InputError
        The knowledge-base file is invalid.
    """
    kb = knowledge_base or load_knowledge_base(params.knowledge_base)
    rules = kb.table.assign(line=kb.table["line"].astype("int64"))
    caveats: list[str] = []
    topics: list[str] = []
    pts = trajectories.patients
    draw_map = _draw_map(pts)
    with_baseline = set(pts.loc[pts["baseline_sample_id"].notna(), "patient_id"])
    parts = [
        _mutation_evidence(study, rules, draw_map, with_baseline),
        _cn_evidence(study, rules, draw_map, with_baseline, params),
        _her2_loss_evidence(pts, rules, params),
        _sv_evidence(study, rules, draw_map, with_baseline),
    ]
    evidence = pd.concat([e for e in parts if len(e)] or [parts[0]], ignore_index=True)
    evidence = (
        typed_frame(evidence, EVIDENCE_COLUMNS)
        .sort_values(["patient_id", "day", "pathway", "gene", "alteration"], kind="stable")
        .reset_index(drop=True)
    )
    res = evidence[evidence["evidence_direction"] == "resistance"]
    calls = _calls(res)
    patients = _patient_mechanisms(pts, calls, res)
    enrichment = mechanism_enrichment(patients, res, caveats)
    tag(caveats, topics, C.COHORT)  # enrichment compares classes across the cohort
    summary = mechanism_share_table(patients, kb, caveats, topics)
    return ResistanceResult(
        evidence=evidence,
        calls=calls.reset_index(drop=True),
        patients=patients,
        enrichment=enrichment,
        knowledge_base=kb,
        summary=summary,
        caveats=tuple(caveats),
        caveat_topics=tuple(zip(topics, caveats, strict=True)),
    )


def _draw_map(pts: pd.DataFrame) -> pd.DataFrame:
    """Step 1: the draws used for calls, ``patient_id, sample_id, draw`` (baseline/progression), ``day``."""
    draw_map = pd.concat(
        [
            pd.DataFrame(
                {
                    "patient_id": pts["patient_id"],
                    "sample_id": pts["baseline_sample_id"],
                    "draw": "baseline",
                    "day": pts["baseline_day"],
                }
            ),
            pd.DataFrame(
                {
                    "patient_id": pts["patient_id"],
                    "sample_id": pts["progression_sample_id"],
                    "draw": "progression",
                    "day": pts["progression_draw_day"],
                }
            )[pts["progressed"].to_numpy(dtype=bool)],
        ],
        ignore_index=True,
    ).dropna(subset=["sample_id"])
    return draw_map.astype({"patient_id": "string", "sample_id": "string"})


def _mutation_evidence(
    study: Study, rules: pd.DataFrame, draw_map: pd.DataFrame, with_baseline: set[str]
) -> pd.DataFrame:
    """Step 2: knowledge-base mutation matches in the draws used, with baseline VAF and status."""
    var = study.variants
    var = var[var["sample_id"].isin(draw_map["sample_id"]).to_numpy() & gene_mask(var["gene"], set(rules["gene"]))]
    var = var.assign(gene_upper=upper_genes(var["gene"])).reset_index(drop=True)
    var = var.merge(draw_map, on="sample_id", how="inner")
    protein = var["protein_change"].astype("string").str.replace(r"^p\.", "", regex=True)
    locus = (
        var["chromosome"].astype("string").fillna("")
        + ":"
        + var["start_position"].astype("string").fillna("")
        + ":"
        + var["reference_allele"].astype("string").fillna("")
        + ">"
        + var["tumor_seq_allele"].astype("string").fillna("")
    )
    var["variant_key"] = var["gene_upper"] + "|" + protein.fillna(locus)
    var["alteration"] = protein.fillna(locus)
    base_vaf = (
        var[var["draw"] == "baseline"]
        .groupby(["patient_id", "variant_key"])["vaf"]
        .max()
        .rename("baseline_vaf")
    )
    var = var.merge(base_vaf, left_on=["patient_id", "variant_key"], right_index=True, how="left")
    var["status"] = mutation_status(
        var["draw"], var["vaf"], var["baseline_vaf"], var["patient_id"].isin(with_baseline)
    )
    mut = _mutation_matches(var, rules)
    mut = mut.merge(
        rules[["line", "gene", "alteration_type", "pathway", "evidence_direction", "citation"]].rename(
            columns={"line": "kb_line", "gene": "kb_gene"}
        ),
        on="kb_line",
        how="left",
    )
    return pd.DataFrame(
        {
            "patient_id": mut["patient_id"],
            "sample_id": mut["sample_id"],
            "draw": mut["draw"],
            "day": mut["day"],
            "gene": mut["kb_gene"],
            "alteration_type": mut["alteration_type"],
            "alteration": mut["alteration"],
            "vaf": mut["vaf"],
            "copy_number": np.nan,
            "baseline_vaf": mut["baseline_vaf"],
            "status": mut["status"],
            "pathway": mut["pathway"],
            "evidence_direction": mut["evidence_direction"],
            "citation": mut["citation"],
            "kb_line": mut["kb_line"],
        }
    )


def _cn_evidence(
    study: Study,
    rules: pd.DataFrame,
    draw_map: pd.DataFrame,
    with_baseline: set[str],
    params: AnalysisParameters,
) -> pd.DataFrame:
    """Step 3: knowledge-base copy-number matches (amplification, deletion, cn_loss) with status."""
    cn_rules = rules[rules["alteration_type"].isin(["amplification", "deletion", "cn_loss"])]
    cn = study.copy_number
    cn = cn[
        cn["sample_id"].isin(draw_map["sample_id"]).to_numpy() & gene_mask(cn["gene"], set(cn_rules["gene"]))
    ]
    cn = cn.assign(gene=upper_genes(cn["gene"])).merge(draw_map, on="sample_id", how="inner")
    copies = cn["copy_number"].fillna(2.0 * np.power(2.0, cn["log2_ratio"]))
    discrete = cn["cna_discrete"].astype("float64")
    states = {
        "amplification": (discrete >= 2) | (copies >= params.plasma_amplification_cn),
        "deletion": (discrete <= -2) | (copies <= P.GENE_DELETION_CN),
        "cn_loss": (discrete <= -1) | (copies <= P.GENE_LOSS_CN),
    }
    cn_parts = []
    for kind, altered in states.items():
        altered = altered.fillna(False).to_numpy(dtype=bool)
        rows = cn[altered].assign(alteration_type=kind, copy_number=copies[altered])
        if rows.empty:
            continue
        in_base = (
            rows[rows["draw"] == "baseline"][["patient_id", "gene"]].drop_duplicates().assign(at_base=True)
        )
        rows = rows.merge(in_base, on=["patient_id", "gene"], how="left")
        rows["status"] = cn_status(rows["draw"], rows["at_base"], rows["patient_id"].isin(with_baseline))
        cn_parts.append(rows)
    if not cn_parts:
        return pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    cn_alt = pd.concat(cn_parts, ignore_index=True).merge(
        cn_rules[["gene", "alteration_type", "pathway", "evidence_direction", "citation", "line"]],
        on=["gene", "alteration_type"],
        how="inner",
    )
    label = np.select(
        [cn_alt["alteration_type"] == "amplification", cn_alt["alteration_type"] == "deletion"],
        ["amplification", "deletion"],
        "loss",
    )
    return pd.DataFrame(
        {
            "patient_id": cn_alt["patient_id"],
            "sample_id": cn_alt["sample_id"],
            "draw": cn_alt["draw"],
            "day": cn_alt["day"],
            "gene": cn_alt["gene"],
            "alteration_type": cn_alt["alteration_type"],
            "alteration": pd.Series(label) + " (CN " + cn_alt["copy_number"].round(2).astype(str) + ")",
            "vaf": np.nan,
            "copy_number": cn_alt["copy_number"],
            "baseline_vaf": np.nan,
            "status": cn_alt["status"],
            "pathway": cn_alt["pathway"],
            "evidence_direction": cn_alt["evidence_direction"],
            "citation": cn_alt["citation"],
            "kb_line": cn_alt["line"],
        }
    )


def _sv_evidence(
    study: Study, rules: pd.DataFrame, draw_map: pd.DataFrame, with_baseline: set[str]
) -> pd.DataFrame:
    """Step 4: knowledge-base ``fusion`` matches among the structural variants of the draws used.

    A rule matches a structural variant when its gene is either partner (case-insensitive) and its
    pattern is ``*`` or matches the other partner in full (case-insensitive; an intragenic event has no
    partner and matches only ``*``).  Germline events (``sv_status`` GERMLINE) are left out.  Status:
    the same unordered gene pair in the patient's baseline draw = baseline, else new at progression.
    """
    sv_rules = rules[rules["alteration_type"] == "fusion"]
    sv = study.structural_variants
    if sv_rules.empty or sv.empty:
        return pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    sv = somatic_structural_variants(sv)
    sv = sv[sv["sample_id"].isin(draw_map["sample_id"]).fillna(False).to_numpy(dtype=bool)]
    sv = sv.merge(draw_map, on="sample_id", how="inner")
    if sv.empty:
        return pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    a, b = _sv_genes(sv["gene1"], sv["gene2"])
    sv = sv.assign(pair=np.where(a <= b, a + "|" + b, b + "|" + a),
                   alteration=sv_label(sv["gene1"], sv["gene2"], sv["sv_class"]))
    in_base = sv[sv["draw"] == "baseline"][["patient_id", "pair"]].drop_duplicates().assign(at_base=True)
    sv = sv.merge(in_base, on=["patient_id", "pair"], how="left")
    sv["status"] = sv_presence_status(sv["draw"], sv["at_base"], sv["patient_id"].isin(with_baseline))
    sides = sv_partners(sv["gene1"], sv["gene2"])
    parts = []
    for rule in sv_rules.itertuples(index=False):
        side = sides[sides["gene"] == rule.gene]
        if rule.pattern != "*":
            side = side[side["partner"].fillna("").str.fullmatch(rule.pattern, case=False).fillna(False)
                        & side["partner"].notna()]
        if side.empty:
            continue
        matched = sv.iloc[side["row"].drop_duplicates().to_numpy()]
        parts.append(pd.DataFrame({
            "patient_id": matched["patient_id"],
            "sample_id": matched["sample_id"],
            "draw": matched["draw"],
            "day": matched["day"],
            "gene": rule.gene,
            "alteration_type": "fusion",
            "alteration": matched["alteration"],
            "vaf": np.nan,
            "copy_number": np.nan,
            "supporting_reads": matched["supporting_reads"].astype("float64"),
            "baseline_vaf": np.nan,
            "status": matched["status"],
            "pathway": rule.pathway,
            "evidence_direction": rule.evidence_direction,
            "citation": rule.citation,
            "kb_line": rule.line,
        }))
    if not parts:
        return pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def _her2_loss_evidence(pts: pd.DataFrame, rules: pd.DataFrame, params: AnalysisParameters) -> pd.DataFrame:
    """Step 5: HER2 loss, amplified at the baseline draw and below the cutoff at the progression draw.

    Needs both draws by definition; the state is new at progression.
    """
    loss_rules = rules[rules["alteration_type"] == "her2_loss"]
    cut = params.plasma_amplification_cn
    lost = pts[
        pts["progressed"].astype(bool) & (pts["baseline_erbb2_cn"] >= cut) & (pts["progression_erbb2_cn"] < cut)
    ]
    if loss_rules.empty or lost.empty:
        return pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    parts = []
    for rule in loss_rules.itertuples(index=False):
        parts.append(
            pd.DataFrame(
                {
                    "patient_id": lost["patient_id"],
                    "sample_id": lost["progression_sample_id"],
                    "draw": "progression",
                    "day": lost["progression_draw_day"],
                    "gene": rule.gene,
                    "alteration_type": "her2_loss",
                    "alteration": "ERBB2 CN "
                    + lost["baseline_erbb2_cn"].round(2).astype(str)
                    + " -> "
                    + lost["progression_erbb2_cn"].round(2).astype(str),
                    "vaf": np.nan,
                    "copy_number": lost["progression_erbb2_cn"],
                    "baseline_vaf": np.nan,
                    "status": STATUS_NEW,
                    "pathway": rule.pathway,
                    "evidence_direction": rule.evidence_direction,
                    "citation": rule.citation,
                    "kb_line": rule.line,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


CALL_COLUMNS = {
    "patient_id": "string",
    "pathway": "string",
    "genes": "string",
    "alterations": "string",
    "status": "string",
    "present_at_baseline": "bool",
    "new_at_progression": "bool",
    "expanding": "bool",
    "unknown_baseline": "bool",
}


def _calls(res: pd.DataFrame) -> pd.DataFrame:
    """Step 6: one row per patient and resistance pathway (columns :data:`CALL_COLUMNS`)."""
    if res.empty:
        return typed_frame(pd.DataFrame(), CALL_COLUMNS)
    keys = ["patient_id", "pathway"]
    flags = pd.DataFrame(
        {
            "patient_id": res["patient_id"],
            "pathway": res["pathway"],
            "present_at_baseline": (res["draw"] == "baseline").to_numpy(),
            "new_at_progression": (res["status"] == STATUS_NEW).to_numpy(),
            "expanding": (res["status"] == STATUS_EXPANDING).to_numpy(),
            "unknown_baseline": (res["status"] == STATUS_UNKNOWN).to_numpy(),
        }
    )
    calls = flags.groupby(keys, sort=True)[
        ["present_at_baseline", "new_at_progression", "expanding", "unknown_baseline"]
    ].any()
    calls["genes"] = join_unique(res, keys, "gene", sort_values=True)
    calls["alterations"] = join_unique(res, keys, "alteration")
    calls["status"] = res.groupby(keys, sort=True)["status"].agg(join_statuses)
    return typed_frame(calls.reset_index(), CALL_COLUMNS)


def _patient_mechanisms(pts: pd.DataFrame, calls: pd.DataFrame, res: pd.DataFrame) -> pd.DataFrame:
    """Step 7: per patient, number of mechanisms, group (0 / 1 / 2+), pathways and genes."""
    per = pd.DataFrame(
        {
            "n_mechanisms": calls.groupby("patient_id").size(),
            "pathways": join_unique(calls, ["patient_id"], "pathway"),
        }
    )
    gene_sets = join_unique(res, ["patient_id"], "gene", sort_values=True).rename("genes")
    patients = pts[["patient_id", "resistance_class", "progressed"]].copy()
    patients["evaluated"] = (
        pts["baseline_sample_id"].notna() | pts["progression_sample_id"].notna()
    ).to_numpy()
    patients = patients.merge(per, left_on="patient_id", right_index=True, how="left")
    patients = patients.merge(gene_sets, left_on="patient_id", right_index=True, how="left")
    patients["n_mechanisms"] = patients["n_mechanisms"].fillna(0).astype("int64")
    patients["mechanism_group"] = pd.Series(
        np.select([patients["n_mechanisms"] >= 2, patients["n_mechanisms"] == 1], ["2+", "1"], "0"),
        index=patients.index,
        dtype="string",
    )
    patients["pathways"] = patients["pathways"].fillna("").astype("string")
    patients["genes"] = patients["genes"].fillna("").astype("string")
    return patients.reset_index(drop=True)


def mechanism_share_table(patients: pd.DataFrame, kb: KnowledgeBase, caveats: list[str],
                          topics: list[str]) -> pd.DataFrame:
    """Step 8: headline counts over progressors (measure, value), with their caveats."""
    prog = patients[patients["progressed"].astype(bool)]
    n_prog = len(prog)
    n_with = int((prog["n_mechanisms"] > 0).sum())
    n_unevaluated = int((~prog["evaluated"].astype(bool)).sum())
    if n_unevaluated:
        caveats.append(
            f"{n_unevaluated} progressor(s) have no baseline or progression draw; counted as without "
            "a mechanism."
        )
    tag(caveats, topics, C.MECHANISMS)
    if n_prog == 0:
        caveats.append("No progressors: the share with a mechanism is undefined.")
    tag(caveats, topics, C.COHORT)
    return pd.DataFrame(
        {
            "measure": [
                "progressors",
                "progressors with >= 1 mechanism",
                "% progressors with a mechanism",
                "progressors with 0 mechanisms",
                "progressors with 1 mechanism",
                "progressors with 2+ mechanisms",
                "knowledge base version",
            ],
            "value": [
                n_prog,
                n_with,
                100.0 * n_with / n_prog if n_prog else math.nan,
                int((prog["mechanism_group"] == "0").sum()),
                int((prog["mechanism_group"] == "1").sum()),
                int((prog["mechanism_group"] == "2+").sum()),
                kb.version,
            ],
        }
    )


#: Enrichment columns: counts, the sample odds ratio with its interval (NaN when 0 or infinite, i.e. a
#: zero cell), the Haldane-Anscombe-corrected odds ratio with its interval (only for tables with a zero
#: cell), why the sample odds ratio is not estimable, and the Fisher p.
ENRICHMENT_COLUMNS = {
    "level": "string", "mechanism": "string", "innate_with": "int64", "innate_n": "int64",
    "acquired_with": "int64", "acquired_n": "int64", "odds_ratio": "float64", "odds_ratio_ci_low": "float64",
    "odds_ratio_ci_high": "float64", "corrected_odds_ratio": "float64", "corrected_ci_low": "float64",
    "corrected_ci_high": "float64", "odds_ratio_note": "string", "p_value": "float64",
}


def mechanism_enrichment(patients: pd.DataFrame, res: pd.DataFrame, caveats: list[str]) -> pd.DataFrame:
    """Each pathway and gene in innate vs acquired progressors: counts, odds ratio, two-sided Fisher p.

    Returns :data:`ENRICHMENT_COLUMNS`.  ``odds_ratio`` (innate vs acquired, with its
    ``odds_ratio_ci_*`` from scipy) is NaN when a cell is zero (it would be 0 or infinity); those rows
    carry the Haldane-Anscombe-corrected odds ratio (0.5 added to every cell; Haldane 1956,
    Anscombe 1956) with its Woolf interval in ``corrected_*``, and ``odds_ratio_note`` says so.
    """
    from scipy import stats  # imported when used: not needed to serve a first page
    classes = patients.set_index("patient_id")["resistance_class"]
    innate_n = int((classes == INNATE).sum())
    acquired_n = int((classes == ACQUIRED).sum())
    res = res[res["patient_id"].isin(classes.index[classes.isin([INNATE, ACQUIRED])])]
    records = []
    for level, column in (("pathway", "pathway"), ("gene", "gene")):
        if res.empty:
            break
        carriers = res[["patient_id", column]].drop_duplicates()
        carriers = carriers.assign(cls=classes.reindex(carriers["patient_id"]).to_numpy())
        counts = carriers.groupby([column, "cls"]).size().unstack(fill_value=0)
        for mechanism, row in counts.iterrows():
            a, c = int(row.get(INNATE, 0)), int(row.get(ACQUIRED, 0))
            record = {"level": level, "mechanism": mechanism, "innate_with": a, "innate_n": innate_n,
                      "acquired_with": c, "acquired_n": acquired_n}
            if innate_n and acquired_n:
                table = [[a, innate_n - a], [c, acquired_n - c]]
                record.update(_odds_ratio(table))
                record["p_value"] = float(stats.fisher_exact(table)[1])
            records.append(record)
    if not (innate_n and acquired_n):
        caveats.append(
            "Enrichment needs both innate and acquired patients; odds ratios and p-values are NaN."
        )
    if not records:
        return typed_frame([], ENRICHMENT_COLUMNS)
    degenerate = [r for r in records if r.get("odds_ratio_note")]
    if degenerate:
        caveats.append(
            "Enrichment: the sample odds ratio is not estimable (0 or infinite) when a cell is empty: "
            + "; ".join(f"{r['mechanism']} ({r['level']}): {r['odds_ratio_note']}" for r in degenerate)
            + "."
        )
    caveats.append("Fisher exact p-values of the enrichment table are not adjusted for multiple testing.")
    return typed_frame(records, ENRICHMENT_COLUMNS)


def _odds_ratio(table: list[list[int]], rows: tuple[str, str] = (INNATE, ACQUIRED)) -> dict[str, Any]:
    """Sample odds ratio of a 2x2 table with its interval, or, with a zero cell, the corrected one."""
    from scipy import stats  # imported when used: not needed to serve a first page

    # statsmodels is imported here so that the rest of the module does not depend on it.
    from statsmodels.stats.contingency_tables import Table2x2

    nan = math.nan
    out: dict[str, Any] = {"odds_ratio": nan, "odds_ratio_ci_low": nan, "odds_ratio_ci_high": nan,
                           "corrected_odds_ratio": nan, "corrected_ci_low": nan, "corrected_ci_high": nan,
                           "odds_ratio_note": ""}
    cells = np.asarray(table, dtype=float)
    if (cells > 0).all():
        sample = stats.contingency.odds_ratio(np.asarray(table), kind="sample")
        interval = sample.confidence_interval(confidence_level=P.CONFIDENCE_LEVEL)
        out.update(odds_ratio=float(sample.statistic), odds_ratio_ci_low=float(interval.low),
                   odds_ratio_ci_high=float(interval.high))
        return out
    if (cells.sum(axis=0) == 0).any():
        # Every patient, or none, has it: the corrected odds ratio is 1 by construction, not evidence.
        out["odds_ratio_note"] = "not estimable (every patient in both classes has it, or none)"
        return out
    corrected = Table2x2(cells + 0.5, shift_zeros=False)
    low, high = corrected.oddsratio_confint(alpha=1.0 - P.CONFIDENCE_LEVEL)
    out.update(corrected_odds_ratio=float(corrected.oddsratio), corrected_ci_low=float(low),
               corrected_ci_high=float(high))
    empty = [f"{'no' if j == 0 else 'every'} {rows[i]} patient has it"
             for i in range(2) for j in range(2) if cells[i, j] == 0]
    out["odds_ratio_note"] = (
        f"not estimable ({', '.join(empty)}); Haldane-Anscombe-corrected OR (0.5 added to each cell) "
        f"{corrected.oddsratio:.3g} ({round(100 * P.CONFIDENCE_LEVEL)}% CI {low:.3g}-{high:.3g})"
    )
    return out


#: The genes of the paper's "ERBB2/ERBB4 mutations" count (Wang et al. 2019: 6/17 at baseline, 5/17 at progression).
HER_FAMILY_MUTATION_GENES = ("ERBB2", "ERBB4")


def mutation_carriers(resistance: ResistanceResult, genes: tuple[str, ...] = HER_FAMILY_MUTATION_GENES,
                      draw: str = "baseline") -> tuple[int, int, tuple[str, ...]]:
    """Progressors with a knowledge-base mutation of *genes* in their *draw* (``"baseline"`` or
    ``"progression"``) plasma draw.

    Returns
    -------
    ``(carriers, progressors, carrier ids)``: the count of progressors with such a mutation, the count of
    progressors (the denominator, as in the mechanism share), and the carriers' patient ids, sorted.
    """
    patients = resistance.patients
    progressors = set(patients.loc[patients["progressed"].astype(bool), "patient_id"].astype(str))
    ev = resistance.evidence
    hits = ev[ev["gene"].astype(str).isin(set(genes)) & (ev["alteration_type"].astype(str) == "mutation")
              & (ev["draw"].astype(str) == draw) & ev["patient_id"].astype(str).isin(progressors)]
    carriers = tuple(sorted(set(hits["patient_id"].astype(str))))
    return len(carriers), len(progressors), carriers
