"""Survival page view models: the grouping choice, its Kaplan-Meier result, figure and tables.

Default groupings come precomputed with the cohort analysis (``CohortAnalysis.groupings`` and
``.survival``, PFS); "any alteration in gene X" and "clinical attribute" groupings, and overall
survival of any grouping, are computed on request with :func:`analysis.pfs_groups.by_gene` /
:func:`analysis.pfs_groups.by_clinical_attribute` and :func:`analysis.pfs_groups.grouping_survival`
(the page caches the result per choice).  A study without PFS columns (any cohort with only
``OS_MONTHS``/``OS_STATUS``) opens on overall survival, grouped by its most altered gene.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from analysis.cohort import CohortAnalysis
from analysis.pfs_groups import (
    DEFAULT_LANDMARK_DAYS,
    EVENT_WORDS,
    PfsGrouping,
    available_endpoints,
    by_clinical_attribute,
    by_gene,
    grouping_survival,
    is_measurement,
    landmark_gene,
    landmark_mechanism_count,
    most_altered_genes,
)
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
BASELINE_GENE_GROUP = "gene_baseline"
ATTRIBUTE_GROUP = "attribute"
LANDMARK_MECHANISM_GROUP = "landmark_mechanisms"
LANDMARK_GENE_GROUP = "landmark_gene"
#: Groupings computed on request: the gene and attribute pickers, and the sound alternatives to the
#: outcome-dependent groupings (baseline draw only, landmark analysis).
ON_REQUEST_LABELS = {
    GENE_GROUP: "Any alteration in a gene ...",
    BASELINE_GENE_GROUP: "Alteration of a gene in the baseline plasma draw ...",
    LANDMARK_MECHANISM_GROUP: "Landmark: resistance mechanisms detected by the landmark day",
    LANDMARK_GENE_GROUP: "Landmark: alteration of a gene in samples by the landmark day ...",
    ATTRIBUTE_GROUP: "A clinical attribute ...",
}
#: Groupings that use the gene picker / the landmark day.
GENE_GROUPS = (GENE_GROUP, BASELINE_GENE_GROUP, LANDMARK_GENE_GROUP)
LANDMARK_GROUPS = (LANDMARK_MECHANISM_GROUP, LANDMARK_GENE_GROUP)
DEFAULT_GROUP = "mechanism_count"
#: Default grouping of a study without plasma draws (any cohort): its most altered gene.
DEFAULT_GROUP_WITHOUT_DRAWS = GENE_GROUP

ENDPOINTS = {"pfs": "Progression-free survival (PFS)", "os": "Overall survival (OS)"}
DEFAULT_ENDPOINT = "pfs"
NO_PFS = "no PFS data in this study"
Y_LABELS = {"pfs": "Progression-free probability", "os": "Overall survival probability"}
OS_NOTE = ("Groups are formed as for PFS (resistance class, mechanisms and HER2 copy number come from the "
           "plasma draws); overall survival uses each patient's OS_MONTHS and OS_STATUS.")

#: Patient columns that are never offered as a grouping attribute (ids, times, statuses).
NOT_ATTRIBUTES = {"patient_id", "pfs_months", "pfs_event", "os_months", "os_event"}
#: A categorical attribute with more values than this is not offered (an identifier, free text).
MAX_ATTRIBUTE_LEVELS = 12


@dataclass(frozen=True)
class SurvivalChoice:
    """What the user picked (also the page state kept in the URL)."""

    group: str = DEFAULT_GROUP
    gene: str | None = None
    attribute: str | None = None
    endpoint: str = DEFAULT_ENDPOINT
    landmark_day: float = DEFAULT_LANDMARK_DAYS

    def key(self) -> tuple:
        """Cache key parts: only what changes the result."""
        return (self.group, self.gene if self.group in GENE_GROUPS else None,
                self.attribute if self.group == ATTRIBUTE_GROUP else None, self.endpoint,
                self.landmark_day if self.group in LANDMARK_GROUPS else None)

    def state(self) -> dict[str, str]:
        """URL page state: ``group`` always, ``gene`` / ``attribute`` / ``landmark`` when they apply."""
        state = {"group": self.group}
        if self.group in GENE_GROUPS and self.gene:
            state["gene"] = self.gene
        if self.group == ATTRIBUTE_GROUP and self.attribute:
            state["attribute"] = self.attribute
        if self.endpoint != DEFAULT_ENDPOINT:
            state["endpoint"] = self.endpoint
        if self.group in LANDMARK_GROUPS:
            state["landmark"] = f"{self.landmark_day:g}"
        return state


def landmark_from_text(value) -> float | None:
    """A landmark day from a URL or an input (days >= 0), or None when it is not one."""
    try:
        day = float(value)
    except (TypeError, ValueError):
        return None
    return day if math.isfinite(day) and day >= 0 else None


def gene_options(study: Study) -> list[str]:
    """Genes with a mutation or copy-number value in the study, most altered patients first, then by name."""
    return most_altered_genes(study)["gene"].tolist()


def gene_dropdown(study: Study) -> list[dict[str, str]]:
    """Gene picker options: ``KRAS (7 of 78 patients altered)``, most altered first (counts over the study)."""
    ranked = most_altered_genes(study)
    total = int(study.patients["patient_id"].nunique())
    return [{"label": f"{g} ({n} of {total} patients altered)", "value": g}
            for g, n in zip(ranked["gene"], ranked["n_patients"], strict=True)]


def attribute_options(study: Study) -> list[str]:
    """Patient attributes to group by: categorical columns with 2 to :data:`MAX_ATTRIBUTE_LEVELS` values
    (text, or whole-number scores such as ECOG), and numeric measurements (age, a ratio), split at the
    median (:func:`analysis.pfs_groups.by_clinical_attribute`)."""
    patients = study.patients
    options = []
    for column in patients.columns:
        if column in NOT_ATTRIBUTES:
            continue
        values = patients[column].dropna()
        levels = values.nunique()
        if levels < 2 or (levels > MAX_ATTRIBUTE_LEVELS and not is_measurement(values)):
            continue
        options.append(str(column))
    return options


def default_gene(genes: list[str]) -> str | None:
    """The most altered gene (*genes* come most altered first, :func:`gene_options`)."""
    return genes[0] if genes else None


def endpoint_options(study: Study) -> list[str]:
    """Endpoints with data in the study (``pfs``, ``os``)."""
    return available_endpoints(study.patients)


def endpoint_radio(endpoints: list[str]) -> list[dict]:
    """Endpoint picker options; an endpoint without data is disabled and says so."""
    missing = {"pfs": NO_PFS, "os": "no OS data in this study"}
    return [{"label": ENDPOINTS[e] if e in endpoints else f"{ENDPOINTS[e]}: {missing[e]}", "value": e,
             "disabled": e not in endpoints} for e in ENDPOINTS]


def default_group_for(study: Study) -> str:
    """The paper's mechanism-count grouping when the study has plasma draws, else the most altered gene."""
    has_draws = (study.samples["sample_type"].astype("string").str.lower() == "plasma").any()
    return DEFAULT_GROUP if has_draws else DEFAULT_GROUP_WITHOUT_DRAWS


def choice_from_query(query: dict, genes: list[str], attributes: list[str],
                      groups: list[str] | None = None, endpoints: list[str] | None = None,
                      default_group: str = DEFAULT_GROUP) -> tuple[SurvivalChoice, list[str]]:
    """Read the page state from URL query arguments; unknown values fall back, with a note.

    Parameters
    ----------
    query
        ``{"group": ..., "gene": ..., "attribute": ..., "endpoint": ..., "landmark": ...}`` (other keys
        ignored; ``landmark`` in days from day 0).
    genes, attributes
        Valid gene and attribute choices (:func:`gene_options`, :func:`attribute_options`).
    groups
        Valid default grouping names (default :data:`GROUP_LABELS`).
    endpoints
        Endpoints with data (:func:`endpoint_options`; default both).  Without PFS data the choice
        is overall survival.
    default_group
        Grouping when the URL names none (:func:`default_group_for`).
    """
    problems = []
    valid_groups = list(groups if groups is not None else GROUP_LABELS) + list(ON_REQUEST_LABELS)
    valid_endpoints = list(endpoints if endpoints is not None else ENDPOINTS)
    fallback_group = default_group if default_group in valid_groups else DEFAULT_GROUP
    group = query.get("group") or fallback_group
    if group not in valid_groups:
        label = GROUP_LABELS.get(fallback_group) or ON_REQUEST_LABELS[fallback_group]
        problems.append(f"URL grouping {group!r} is unknown; showing {label.lower()}.")
        group = fallback_group
    gene = str(query.get("gene") or "").upper() or None
    if gene is not None and gene not in genes:
        problems.append(f"URL gene {gene!r} has no data in this study; showing {default_gene(genes)}.")
        gene = None
    attribute = query.get("attribute") or None
    if attribute is not None and attribute not in attributes:
        problems.append(f"URL attribute {attribute!r} is not a patient attribute of this study to group by.")
        attribute = None
    default_endpoint = DEFAULT_ENDPOINT if DEFAULT_ENDPOINT in valid_endpoints else (valid_endpoints or ["os"])[0]
    endpoint = query.get("endpoint") or default_endpoint
    if endpoint not in ENDPOINTS:
        problems.append(f"URL endpoint {endpoint!r} is not pfs or os; showing {default_endpoint.upper()}.")
        endpoint = default_endpoint
    elif endpoint not in valid_endpoints and valid_endpoints:
        problems.append(f"URL endpoint {endpoint!r}: {NO_PFS if endpoint == 'pfs' else 'no OS data in this study'}"
                        f"; showing {default_endpoint.upper()}.")
        endpoint = default_endpoint
    landmark = DEFAULT_LANDMARK_DAYS
    if query.get("landmark") not in (None, ""):
        parsed = landmark_from_text(query.get("landmark"))
        if parsed is None:
            problems.append(f"URL landmark {query.get('landmark')!r} is not a day >= 0; "
                            f"using day {DEFAULT_LANDMARK_DAYS:g}.")
        else:
            landmark = parsed
    if group in GENE_GROUPS and gene is None:
        gene = default_gene(genes)
    if group == ATTRIBUTE_GROUP and attribute is None:
        attribute = attributes[0] if attributes else None
    return SurvivalChoice(group, gene, attribute, endpoint, landmark), problems


def grouping_and_result(cohort: CohortAnalysis, study: Study, choice: SurvivalChoice
                        ) -> tuple[PfsGrouping, SurvivalResult, tuple[str, ...]]:
    """The grouping, its Kaplan-Meier result and the caveats to show.

    PFS of the default groupings is precomputed; gene and attribute groupings and overall survival
    are computed here.

    Raises
    ------
    ValueError
        A gene or attribute grouping without a gene or attribute.
    """
    if choice.group in GENE_GROUPS and not choice.gene:
        raise ValueError("choose a gene")
    if choice.group == GENE_GROUP:
        grouping = by_gene(study, cohort.trajectories, str(choice.gene), cohort.params)
    elif choice.group == BASELINE_GENE_GROUP:
        grouping = by_gene(study, cohort.trajectories, str(choice.gene), cohort.params, sources="baseline")
    elif choice.group == LANDMARK_GENE_GROUP:
        grouping = landmark_gene(study, cohort.trajectories, str(choice.gene), choice.landmark_day, cohort.params)
    elif choice.group == LANDMARK_MECHANISM_GROUP:
        grouping = landmark_mechanism_count(cohort.trajectories, cohort.resistance, choice.landmark_day)
    elif choice.group == ATTRIBUTE_GROUP:
        if not choice.attribute:
            raise ValueError("choose a clinical attribute")
        grouping = by_clinical_attribute(study, cohort.trajectories, choice.attribute)
    else:
        grouping = cohort.groupings[choice.group]
        if choice.endpoint == "pfs":
            result = cohort.survival[choice.group]
            caveats = list(grouping.caveats) + [c for c in result.caveats if c not in grouping.caveats]
            return grouping, result, tuple(caveats)
    # PFS as the trajectories derive it (status from the timeline when missing); OS as recorded.
    outcome = cohort.trajectories.patients if choice.endpoint == "pfs" else study.patients
    result = grouping_survival(grouping, outcome, choice.endpoint)
    return grouping, result, result.caveats


@dataclass(frozen=True)
class SurvivalView:
    """What the Survival page shows for one choice (plain values, cacheable).

    Attributes
    ----------
    figure
        Plotly figure dict (KM curves, CI bands, censor ticks, risk table).
    stats
        ``group, n, events, censored, median, hazard_ratio, hr_p`` (text), ``hr_p_exact`` (number), one
        row per group.
    risk
        The KMunicate table in long form: ``group, time, at_risk, censored, events``.
    p_value_text
        ``Log-rank p = ...`` sentence (or why there is no test).
    legend
        Legend names of the KM curves, in order.
    caveats
        Grouping and estimation caveats.
    event_label
        What an event is on this endpoint: ``progressions`` (PFS) or ``deaths`` (OS).
    bias_note
        The caution to show next to the p-value when the groups are formed from what happened later
        (guarantee-time bias), else "".
    """

    title: str
    figure: dict
    stats: pd.DataFrame
    risk: pd.DataFrame
    p_value_text: str
    legend: tuple[str, ...]
    caveats: tuple[str, ...] = field(default_factory=tuple)
    event_label: str = EVENT_WORDS[DEFAULT_ENDPOINT]
    bias_note: str = ""
    p_value_exact: float = float("nan")


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
        "hr_p_exact": summary["hr_p_value"].astype("float64"),
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
    grouping, result, caveats = grouping_and_result(cohort, study, choice)
    title = grouping.title
    endpoint_name = "a PFS" if choice.endpoint == "pfs" else "an overall-survival"
    x_label = ("Months since first trastuzumab dose" if grouping.landmark_day is None
               else f"Months since the landmark (day {grouping.landmark_day:g})")
    figure = km_figure(result.curves, result.risk_table, result.summary, confidence=result.confidence,
                       legend_title=title, y_label=Y_LABELS[choice.endpoint], x_label=x_label,
                       empty_text=f"No patient with {endpoint_name} time and status in this grouping.")
    names = tuple(legend_name(str(g), int(n)) for g, n, has_curve in zip(
        result.summary["group"], result.summary["n"],
        result.summary["group"].astype(str).isin(set(result.curves["group"].astype(str))), strict=True) if has_curve)
    risk = result.risk_table[["group", "time", "at_risk", "censored", "events"]].copy()
    shown_title = title if choice.endpoint == "pfs" else f"Overall survival: {title}"
    return SurvivalView(title=shown_title, figure=figure.to_plotly_json(), stats=stats_table(result), risk=risk,
                        p_value_text=logrank_sentence(result), legend=names,
                        p_value_exact=float(result.logrank.p_value) if result.logrank is not None else float("nan"),
                        caveats=tuple(caveats),
                        event_label=EVENT_WORDS[choice.endpoint], bias_note=grouping.bias_note)
