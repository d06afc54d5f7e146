"""Survival page view models: the grouping choice, its Kaplan-Meier result, figure and tables.

Default groupings come precomputed with the cohort analysis (``CohortAnalysis.groupings`` and
``.survival``); "any alteration in gene X" and "clinical attribute" groupings are computed on
request with :func:`analysis.pfs_groups.by_gene` / :func:`analysis.pfs_groups.by_clinical_attribute`
and :func:`analysis.cohort.survival_for` (the page caches the result per choice).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis.cohort import CohortAnalysis, survival_for
from analysis.pfs_groups import PfsGrouping, by_clinical_attribute, by_gene
from analysis.study import Study
from analysis.survival import SurvivalResult
from dashboard.figures.survival import hazard_text, km_figure, legend_name, median_text, p_text

#: Default groupings (names of ``analysis.pfs_groups.default_groupings``) -> picker label.
GROUP_LABELS = {
    "mechanism_count": "Number of resistance mechanisms (0 / 1 / 2+)",
    "baseline_mutation": "Baseline plasma PI3K or ERBB2/ERBB4 mutation",
    "resistance_class": "Resistance class (innate / acquired / none)",
    "baseline_her2_cn": "Baseline plasma HER2 CN above / below the cutoff",
    "early_decline": "Early HER2 CN decline",
    "attribute_her2_status": "HER2 status (pathology)",
}
GENE_GROUP = "gene"
ATTRIBUTE_GROUP = "attribute"
ON_REQUEST_LABELS = {GENE_GROUP: "Any alteration in a gene ...", ATTRIBUTE_GROUP: "A clinical attribute ..."}
DEFAULT_GROUP = "mechanism_count"
#: Preferred default gene of the "any alteration in gene X" grouping, when the study has it.
PREFERRED_GENES = ("PIK3CA", "ERBB2", "KRAS")

ENDPOINTS = {"pfs": "Progression-free survival (PFS)", "os": "Overall survival (OS)"}
DEFAULT_ENDPOINT = "pfs"
Y_LABELS = {"pfs": "Progression-free probability", "os": "Overall survival probability"}
OS_NOTE = ("Groups are formed as for PFS (resistance class, mechanisms and HER2 copy number come from the "
           "plasma draws); overall survival uses each patient's OS_MONTHS and OS_STATUS.")

#: Patient columns that are never offered as a grouping attribute (ids, times, statuses).
NOT_ATTRIBUTES = {"patient_id", "pfs_months", "pfs_event", "os_months", "os_event", "her2_fish_ratio"}
MAX_ATTRIBUTE_LEVELS = 12
#: Numeric columns are categories only when they hold small whole numbers (ECOG 0-5, a stage 0-4, ...).
MAX_SCORE = 10


@dataclass(frozen=True)
class SurvivalChoice:
    """What the user picked (also the page state kept in the URL)."""

    group: str = DEFAULT_GROUP
    gene: str | None = None
    attribute: str | None = None
    endpoint: str = DEFAULT_ENDPOINT

    def key(self) -> tuple:
        """Cache key parts: only what changes the result."""
        return (self.group, self.gene if self.group == GENE_GROUP else None,
                self.attribute if self.group == ATTRIBUTE_GROUP else None, self.endpoint)

    def state(self) -> dict[str, str]:
        """URL page state: ``group`` always, ``gene`` / ``attribute`` when they apply."""
        state = {"group": self.group}
        if self.group == GENE_GROUP and self.gene:
            state["gene"] = self.gene
        if self.group == ATTRIBUTE_GROUP and self.attribute:
            state["attribute"] = self.attribute
        if self.endpoint != DEFAULT_ENDPOINT:
            state["endpoint"] = self.endpoint
        return state


def gene_options(study: Study) -> list[str]:
    """Genes with a mutation or copy-number value in the study, sorted."""
    genes = set(pd.unique(study.variants["gene"].astype(str))) | set(pd.unique(study.copy_number["gene"].astype(str)))
    return sorted({g.upper() for g in genes if g and g != "nan"})


def attribute_options(study: Study) -> list[str]:
    """Categorical patient attributes: text columns, and whole-number scores from 0 to :data:`MAX_SCORE` (such
    as ECOG), with 2 to :data:`MAX_ATTRIBUTE_LEVELS` distinct values."""
    patients = study.patients
    options = []
    for column in patients.columns:
        if column in NOT_ATTRIBUTES:
            continue
        values = patients[column].dropna()
        levels = values.nunique()
        if not 2 <= levels <= MAX_ATTRIBUTE_LEVELS:
            continue
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and not ((values == values.round()) & values.between(0, MAX_SCORE)).all():
            continue  # a measurement (age, ratio), not a score such as ECOG
        options.append(str(column))
    return options


def default_gene(genes: list[str]) -> str | None:
    return next((g for g in PREFERRED_GENES if g in genes), genes[0] if genes else None)


def choice_from_query(query: dict, genes: list[str], attributes: list[str],
                      groups: list[str] | None = None) -> tuple[SurvivalChoice, list[str]]:
    """Read the page state from URL query arguments; unknown values fall back, with a note.

    Parameters
    ----------
    query
        ``{"group": ..., "gene": ..., "attribute": ..., "endpoint": ...}`` (other keys ignored).
    genes, attributes
        Valid gene and attribute choices (:func:`gene_options`, :func:`attribute_options`).
    groups
        Valid default grouping names (default :data:`GROUP_LABELS`).
    """
    problems = []
    valid_groups = list(groups if groups is not None else GROUP_LABELS) + [GENE_GROUP, ATTRIBUTE_GROUP]
    group = query.get("group") or DEFAULT_GROUP
    if group not in valid_groups:
        problems.append(f"URL grouping {group!r} is unknown; showing {GROUP_LABELS[DEFAULT_GROUP].lower()}.")
        group = DEFAULT_GROUP
    gene = str(query.get("gene") or "").upper() or None
    if gene is not None and gene not in genes:
        problems.append(f"URL gene {gene!r} has no data in this study; showing {default_gene(genes)}.")
        gene = None
    attribute = query.get("attribute") or None
    if attribute is not None and attribute not in attributes:
        problems.append(f"URL attribute {attribute!r} is not a categorical patient attribute of this study.")
        attribute = None
    endpoint = query.get("endpoint") or DEFAULT_ENDPOINT
    if endpoint not in ENDPOINTS:
        problems.append(f"URL endpoint {endpoint!r} is not pfs or os; showing PFS.")
        endpoint = DEFAULT_ENDPOINT
    if group == GENE_GROUP and gene is None:
        gene = default_gene(genes)
    if group == ATTRIBUTE_GROUP and attribute is None:
        attribute = attributes[0] if attributes else None
    return SurvivalChoice(group, gene, attribute, endpoint), problems


def grouping_and_result(cohort: CohortAnalysis, study: Study, choice: SurvivalChoice
                        ) -> tuple[PfsGrouping, SurvivalResult]:
    """The grouping and its Kaplan-Meier result: precomputed for the defaults, computed for gene/attribute.

    Raises
    ------
    ValueError
        A gene or attribute grouping without a gene or attribute.
    """
    if choice.group == GENE_GROUP:
        if not choice.gene:
            raise ValueError("choose a gene")
        grouping = by_gene(study, cohort.trajectories, choice.gene, cohort.params)
        return grouping, _survival(grouping, study, choice)
    if choice.group == ATTRIBUTE_GROUP:
        if not choice.attribute:
            raise ValueError("choose a clinical attribute")
        grouping = by_clinical_attribute(study, cohort.trajectories, choice.attribute)
        return grouping, _survival(grouping, study, choice)
    grouping = cohort.groupings[choice.group]
    if choice.endpoint == "os":
        return grouping, _survival(grouping, study, choice)
    return grouping, cohort.survival[choice.group]


def _survival(grouping: PfsGrouping, study: Study, choice: SurvivalChoice) -> SurvivalResult:
    return survival_for(grouping, endpoint=choice.endpoint, patients=study.patients)


@dataclass(frozen=True)
class SurvivalView:
    """What the Survival page shows for one choice (plain values, cacheable).

    Attributes
    ----------
    figure
        Plotly figure dict (KM curves, CI bands, censor ticks, risk table).
    stats
        ``group, n, events, censored, median, hazard_ratio, hr_p`` (text), one row per group.
    risk
        The KMunicate table in long form: ``group, time, at_risk, censored, events``.
    p_value_text
        ``Log-rank p = ...`` sentence (or why there is no test).
    legend
        Legend names of the KM curves, in order.
    caveats
        Grouping and estimation caveats.
    """

    title: str
    figure: dict
    stats: pd.DataFrame
    risk: pd.DataFrame
    p_value_text: str
    legend: tuple[str, ...]
    caveats: tuple[str, ...] = field(default_factory=tuple)


def stats_table(result: SurvivalResult) -> pd.DataFrame:
    """Per group: n, events, censored, median (95% CI), Cox HR (95% CI) vs the reference, HR p."""
    summary = result.summary
    return pd.DataFrame({
        "group": summary["group"].astype(str),
        "n": summary["n"].astype(int),
        "events": summary["events"].astype(int),
        "censored": summary["censored"].astype(int),
        "median": [median_text(row) for _, row in summary.iterrows()],
        "hazard_ratio": [hazard_text(row) if len(summary) > 1 else "one group: no comparison"
                         for _, row in summary.iterrows()],
        "hr_p": [p_text(float(p)) if pd.notna(p) else "" for p in summary["hr_p_value"]],
    })


def logrank_sentence(result: SurvivalResult) -> str:
    """``Log-rank p = 1.5e-05 (3 groups, 2 df)`` or why there is no test."""
    if result.logrank is None:
        if len(result.summary) < 2:
            return "Log-rank test: not applicable (one group)."
        return "Log-rank test: not testable (fewer than 2 groups large enough, or no events)."
    lr = result.logrank
    p = p_text(lr.p_value)
    relation = p if p.startswith("<") else f"= {p}"
    return (f"Log-rank p {relation} ({len(lr.groups)} groups compared, {lr.degrees_of_freedom} df, "
            f"chi-square {lr.test_statistic:.3g})")


def survival_view(cohort: CohortAnalysis, study: Study, choice: SurvivalChoice) -> SurvivalView:
    """Figure, tables and texts of one grouping choice."""
    grouping, result = grouping_and_result(cohort, study, choice)
    title = grouping.title
    figure = km_figure(result.curves, result.risk_table, result.summary, confidence=result.confidence,
                       legend_title=title, y_label=Y_LABELS[choice.endpoint])
    names = tuple(legend_name(str(g), int(n)) for g, n, has_curve in zip(
        result.summary["group"], result.summary["n"],
        result.summary["group"].astype(str).isin(set(result.curves["group"].astype(str))), strict=True) if has_curve)
    risk = result.risk_table[["group", "time", "at_risk", "censored", "events"]].copy()
    caveats = list(grouping.caveats) + [c for c in result.caveats if c not in grouping.caveats]
    shown_title = title if choice.endpoint == "pfs" else f"Overall survival: {title}"
    return SurvivalView(title=shown_title, figure=figure.to_plotly_json(), stats=stats_table(result), risk=risk,
                        p_value_text=logrank_sentence(result), legend=names, caveats=tuple(caveats))
