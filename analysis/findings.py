"""The paper's findings, reproduced on the open study: one :class:`Finding` per quotable result.

Wang et al. (Gut 2019;68:1152-1161) reported, for HER2+ gastric cancer on trastuzumab: plasma/tissue
agreement of HER2; plasma HER2 CN tracking progression better than CEA (AUCs, DeLong test); HER2 CN
at progression above baseline in innate and below it in acquired resistance; a known resistance
mechanism in 13/17 progressors; ERBB2/ERBB4 mutations in 6/17 at baseline and 5/17 at progression;
PIK3CA enriched in innate resistance; shorter PFS with several mechanisms and with baseline PI3K or
ERBB2/ERBB4 mutations.

:func:`cohort_findings` reads every number from a :class:`analysis.cohort.CohortAnalysis`, the same
result the pages show, and writes it with the pages' formats (:mod:`analysis.wording`): the Overview's
"Findings" and the researcher's report (:mod:`dashboard.report.cohort`) quote the pages, never a
number computed another way.  Each finding names the page (and page state) that shows it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from analysis.agreement import AgreementResult, wilson_interval
from analysis.cohort import CohortAnalysis
from analysis.params import CONFIDENCE_LEVEL
from analysis.resistance import HER_FAMILY_MUTATION_GENES, mutation_carriers
from analysis.trajectory import ACQUIRED, INNATE
from analysis.wording import (
    EN_DASH,
    format_fixed,
    format_p,
    format_percent,
    format_percent_ci,
    hazard_text,
    median_text,
    p_exact,
)

#: Pages, by path, as the navigation names them.
PAGE_NAMES = {"/concordance": "Concordance", "/response": "Response", "/resistance": "Resistance",
              "/survival": "Survival"}

#: The gene whose innate-vs-acquired enrichment the paper reported.
ENRICHMENT_GENE = "PIK3CA"


@dataclass(frozen=True)
class Finding:
    """One result as a researcher quotes it.

    Attributes
    ----------
    key
        Stable identifier (``"her2_auc"``); page elements and tests find the finding by it.
    topic
        Short heading ("Plasma HER2 CN vs CEA for progression").
    statement
        The result in one or two sentences, with its n, CI and test.
    value
        The headline number as the page shows it ("0.82", "76.5% (13/17)", "p < 0.001").
    estimate
        That number unformatted (a proportion as a fraction; NaN when undefined).
    n
        What the estimate rests on, in words ("17 scans with PD, 56 without").
    ci_low, ci_high
        The 95% interval of *estimate* (NaN when there is none).
    ci_text
        The interval as written ("70.4-93.9%"; "" when none).
    test
        The test or estimator ("Fisher exact test (two-sided)").
    p_value
        Its p-value (NaN when the finding has no test).
    page
        The page that shows the number (``"/response"``), and ``page_state``: the page's URL state
        that shows it (``{"group": "mechanism_count"}``).
    caution
        What limits the reading (the Survival page's guarantee-time-bias caution), or "".
    paper
        What Wang et al. 2019 reported, for comparison.
    estimate_label
        What *estimate* is ("AUC", "median change (copies)", "log-rank p").
    """

    key: str
    topic: str
    statement: str
    value: str
    estimate: float
    n: str
    ci_low: float = math.nan
    ci_high: float = math.nan
    ci_text: str = ""
    test: str = ""
    p_value: float = math.nan
    page: str = "/"
    page_state: dict = field(default_factory=dict)
    caution: str = ""
    paper: str = ""
    estimate_label: str = ""

    @property
    def p_text(self) -> str:
        """The p-value as the pages write it ("0.012", "< 0.001"; "" without a test)."""
        return "" if math.isnan(self.p_value) else format_p(self.p_value)

    @property
    def p_exact_text(self) -> str:
        """The exact p-value (3 significant digits), "" without a test."""
        return "" if math.isnan(self.p_value) else p_exact(self.p_value)

    @property
    def page_name(self) -> str:
        return PAGE_NAMES.get(self.page, self.page)


#: Column names of :func:`findings_table` (and of the report's findings table).
FINDING_COLUMNS = ("key", "topic", "value", "estimate", "ci_low", "ci_high", "n", "test", "p_value", "page",
                   "statement", "caution", "paper")


def _p_clause(p: float, name: str = "p") -> str:
    """``"p = 0.012"``, or ``"p < 0.001 (exact 5.08e-06)"``."""
    text = format_p(p)
    if text.startswith("<"):
        return f"{name} {text} (exact {p_exact(p)})"
    return f"{name} = {text}"


def _share(k: int, n: int, confidence: float = CONFIDENCE_LEVEL) -> tuple[str, float, float, float, str]:
    """``("76.5% (13/17)", 0.765, low, high, "55.0-90.4%")`` with the Wilson interval (as the Resistance page)."""
    if n == 0:
        return "undefined (no progressors)", math.nan, math.nan, math.nan, ""
    low, high = wilson_interval(k, n, confidence)
    return f"{100 * k / n:.1f}% ({k}/{n})", k / n, low, high, f"{100 * low:.1f}-{100 * high:.1f}%"


# ------------------------------------------------------------------------------------ concordance
def _agreement(key: str, topic: str, agreement: AgreementResult, n_pairs: int, paper: str) -> Finding:
    stats = {row[0]: row for row in agreement.statistics}
    _, opa, low, high, k, total = stats["OPA"]
    value = f"{format_percent(opa)} ({int(k)}/{int(total)})" if total == total else format_percent(opa)
    kappa = agreement.kappa
    kappa_text = ("Cohen's kappa undefined" if math.isnan(kappa.kappa) else
                  f"Cohen's kappa {format_fixed(kappa.kappa)} (95% CI {format_fixed(kappa.ci_low)}"
                  f"{EN_DASH}{format_fixed(kappa.ci_high)})")
    ppa, npa = stats["PPA"], stats["NPA"]
    statement = (
        f"{n_pairs} patients with paired baseline plasma and tissue. Plasma HER2 ({agreement.test_name}) agreed "
        f"with {agreement.comparator_name} in {value} (overall percent agreement; 95% CI "
        f"{format_percent_ci(low, high) or 'undefined'}, Wilson); PPA {format_percent(ppa[1])} "
        f"({int(ppa[4])}/{int(ppa[5])}), NPA {format_percent(npa[1])} ({int(npa[4])}/{int(npa[5])}); "
        f"{kappa_text}; McNemar exact test {_p_clause(agreement.mcnemar_p)} (b = {agreement.b}, c = {agreement.c})."
    )
    return Finding(key=key, topic=topic, statement=statement, value=value, estimate=float(opa),
                   n=f"{agreement.n} paired patients", ci_low=float(low), ci_high=float(high),
                   ci_text=format_percent_ci(low, high), test="OPA (Wilson CI); kappa; McNemar exact",
                   p_value=float(agreement.mcnemar_p), page="/concordance", paper=paper, estimate_label="OPA")


def concordance_findings(cohort: CohortAnalysis) -> list[Finding]:
    """HER2 agreement of paired baseline plasma with tissue NGS and with pathology (Concordance page)."""
    result = cohort.concordance
    n_pairs = len(result.pairs)
    return [
        _agreement("her2_agreement_ngs", "Plasma/tissue agreement: HER2 vs tissue NGS", result.her2_tissue_ngs,
                   n_pairs, "78 paired plasma/tissue samples (46 HER2+, 32 HER2-); plasma HER2 CN agreed with "
                   "tissue sequencing."),
        _agreement("her2_agreement_pathology", "Plasma/tissue agreement: HER2 vs pathology (IHC/FISH)",
                   result.her2_pathology, n_pairs, "Plasma HER2 CN agreed with FISH."),
    ]


# --------------------------------------------------------------------------------------- response
def _auc_finding(cohort: CohortAnalysis, measure: str, key: str, name: str, paper: str) -> Finding:
    auc = cohort.response.auc
    row = auc[auc["measure"] == measure]
    topic = f"{name[0].upper() + name[1:]} change as a marker of progression (AUC)"
    if row.empty or pd.isna(row.iloc[0]["auc"]):
        counts = "no scans" if row.empty else f"{int(row.iloc[0]['n_pos'])} scans with PD, " \
                                              f"{int(row.iloc[0]['n_neg'])} without"
        return Finding(key=key, topic=topic, statement=f"{name}: AUC undefined ({counts}).", value="-",
                       estimate=math.nan, n=counts, test="ROC AUC (DeLong CI)", page="/response", paper=paper,
                       estimate_label="AUC")
    rec = row.iloc[0]
    counts = f"{int(rec['n_pos'])} scans with PD, {int(rec['n_neg'])} without"
    ci_text = "" if pd.isna(rec["ci_low"]) else f"{format_fixed(rec['ci_low'])}{EN_DASH}{format_fixed(rec['ci_high'])}"
    statement = (f"% change from baseline of {name} at each scan after baseline, as a score for progression (PD) at "
                 f"that scan: AUC {format_fixed(rec['auc'])} "
                 f"({'95% CI ' + ci_text + ', DeLong' if ci_text else 'no DeLong interval'}; {counts}).")
    return Finding(key=key, topic=topic, statement=statement, value=format_fixed(rec["auc"]),
                   estimate=float(rec["auc"]), n=counts, ci_low=float(rec["ci_low"]), ci_high=float(rec["ci_high"]),
                   ci_text=ci_text, test="ROC AUC (DeLong CI)", page="/response", paper=paper,
                   estimate_label="AUC")


def _delong_finding(cohort: CohortAnalysis) -> Finding:
    d = cohort.response.delong
    n = f"{d.n_pos} scans with PD and {d.n_neg} without, both scores present"
    topic = "Plasma HER2 CN vs CEA: DeLong test"
    paper = "Plasma HER2 CN tracked tumour shrinkage and progression better than serum CEA."
    if math.isnan(d.p_value):
        reason = d.caveats[-1] if d.caveats else "too few assessments"
        return Finding(key="delong", topic=topic, statement=f"DeLong test of HER2 CN vs CEA: not computed ({reason}; "
                       f"{n}).", value="not computed", estimate=math.nan, n=n,
                       test="DeLong paired test", page="/response", paper=paper,
                       estimate_label="AUC difference")
    ci_text = f"{format_fixed(d.ci_low)}{EN_DASH}{format_fixed(d.ci_high)}"
    statement = (f"AUC of HER2 CN minus AUC of CEA on the same scans: {format_fixed(d.difference)} (95% CI {ci_text}); "
                 f"paired DeLong test {_p_clause(d.p_value)}, z = {d.z:.2f} ({n}).")
    return Finding(key="delong", topic=topic, statement=statement, value=format_p(d.p_value),
                   estimate=float(d.difference), n=n, ci_low=float(d.ci_low), ci_high=float(d.ci_high), ci_text=ci_text,
                   test="DeLong paired test (two-sided)", p_value=float(d.p_value), page="/response", paper=paper,
                   estimate_label="AUC difference")


def _her2_class_finding(cohort: CohortAnalysis, cls: str) -> Finding:
    table = cohort.response.her2_by_class
    row = table[table["resistance_class"] == cls] if len(table) else table
    name = {INNATE: "Innate", ACQUIRED: "Acquired"}[cls]
    topic = f"HER2 CN at progression vs baseline: {cls} resistance"
    paper = ("At progression, HER2 CN was mostly above baseline in innate resistance." if cls == INNATE else
             "At progression, HER2 CN was mostly below baseline in acquired resistance.")
    test = "Wilcoxon signed-rank (two-sided)"
    if row.empty or int(row.iloc[0]["n"]) == 0:
        return Finding(key=f"her2_progression_{cls}", topic=topic, statement=f"{name} resistance: no progressor "
                       "with plasma ERBB2 CN at both the baseline and the progression draw.", value="-",
                       estimate=math.nan, n="0 progressors", test=test, page="/response", paper=paper,
                       estimate_label="median change (copies)")
    rec = row.iloc[0]
    n = int(rec["n"])
    higher, lower = int(rec["n_higher"]), int(rec["n_lower"])
    statement = (f"{name} resistance, {n} progressors with ERBB2 CN at baseline and at progression: {higher} higher, "
                 f"{lower} lower at progression; median {float(rec['median_baseline_cn']):.2f} copies at baseline, "
                 f"{float(rec['median_progression_cn']):.2f} at progression (median change "
                 f"{float(rec['median_change']):+.2f} copies); Wilcoxon signed-rank "
                 f"{_p_clause(float(rec['p_value']))}.")
    shown = higher if cls == INNATE else lower
    word = "higher" if cls == INNATE else "lower"
    return Finding(key=f"her2_progression_{cls}", topic=topic, statement=statement,
                   value=f"{shown}/{n} {word}", estimate=float(rec["median_change"]), n=f"{n} progressors",
                   test=test, p_value=float(rec["p_value"]), page="/response", paper=paper,
                   estimate_label="median change (copies)")


def response_findings(cohort: CohortAnalysis) -> list[Finding]:
    """AUCs of HER2 CN and CEA, their DeLong test, HER2 CN at progression by class (Response page)."""
    return [
        _auc_finding(cohort, "her2_cn", "her2_auc", "plasma HER2 (ERBB2) CN",
                     "Plasma HER2 CN tracked progression better than CEA."),
        _auc_finding(cohort, "cea", "cea_auc", "serum CEA", "CEA tracked progression less well than plasma HER2 CN."),
        _delong_finding(cohort),
        _her2_class_finding(cohort, INNATE),
        _her2_class_finding(cohort, ACQUIRED),
    ]


# ------------------------------------------------------------------------------------- resistance
def _mechanism_share(cohort: CohortAnalysis) -> Finding:
    patients = cohort.resistance.patients
    progressors = patients[patients["progressed"].astype(bool)]
    k = int((progressors["mechanism_group"].astype(str) != "0").sum())
    value, estimate, low, high, ci_text = _share(k, len(progressors))
    statement = (f"{value} of progressors had at least one known resistance mechanism (knowledge base version "
                 f"{cohort.resistance.knowledge_base.version}; baseline or progression plasma draw); 95% CI "
                 f"{ci_text or 'undefined'} (Wilson).")
    return Finding(key="mechanism_share", topic="Progressors with a known resistance mechanism", statement=statement,
                   value=value, estimate=estimate, n=f"{len(progressors)} progressors", ci_low=low, ci_high=high,
                   ci_text=ci_text, test="Proportion (Wilson CI)", page="/resistance",
                   paper="76.5% (13/17) of progressing patients.", estimate_label="share")


def _her_family_mutations(cohort: CohortAnalysis, draw: str, paper: str) -> Finding:
    k, n, _ = mutation_carriers(cohort.resistance, HER_FAMILY_MUTATION_GENES, draw)
    value, estimate, low, high, ci_text = _share(k, n)
    genes = "/".join(HER_FAMILY_MUTATION_GENES)
    statement = (f"{genes} mutations (knowledge-base matches) in the {draw} plasma draw: {value} of progressors; "
                 f"95% CI {ci_text or 'undefined'} (Wilson).")
    return Finding(key=f"erbb_mutations_{draw}", topic=f"{genes} mutations at {draw}", statement=statement,
                   value=value, estimate=estimate, n=f"{n} progressors", ci_low=low, ci_high=high, ci_text=ci_text,
                   test="Proportion (Wilson CI)", page="/resistance", paper=paper, estimate_label="share")


def _enrichment(cohort: CohortAnalysis, gene: str = ENRICHMENT_GENE) -> Finding:
    table = cohort.resistance.enrichment
    row = table[(table["level"] == "gene") & (table["mechanism"] == gene)] if len(table) else table
    topic = f"{gene} enrichment in innate resistance"
    test = "Fisher exact (two-sided)"
    paper = "PIK3CA mutations were enriched in innate resistance."
    if row.empty:
        return Finding(key="pik3ca_enrichment", topic=topic, statement=f"No progressor has a {gene} knowledge-base "
                       "match: no enrichment test.", value="-", estimate=math.nan, n="-", test=test,
                       page="/resistance", paper=paper)
    rec = row.iloc[0]
    a, na, c, nc = (int(rec[k]) for k in ("innate_with", "innate_n", "acquired_with", "acquired_n"))
    innate = f"{a}/{na} ({100 * a / na:.0f}%)" if na else f"{a}/0"
    acquired = f"{c}/{nc} ({100 * c / nc:.0f}%)" if nc else f"{c}/0"
    odds = float(rec["odds_ratio"])
    if not math.isnan(odds) and not math.isinf(odds):
        low, high = float(rec["odds_ratio_ci_low"]), float(rec["odds_ratio_ci_high"])
        or_text, label = f"odds ratio {odds:.3g} ({low:.3g}-{high:.3g})", "odds ratio"
    elif pd.notna(rec.get("corrected_odds_ratio", math.nan)):
        odds = float(rec["corrected_odds_ratio"])
        low, high = float(rec["corrected_ci_low"]), float(rec["corrected_ci_high"])
        or_text = (f"odds ratio not estimable (a zero cell); Haldane-Anscombe-corrected odds ratio {odds:.3g} "
                   f"({low:.3g}-{high:.3g})")
        label = "corrected odds ratio"
    else:
        odds, low, high, or_text, label = math.nan, math.nan, math.nan, "odds ratio not estimable", "odds ratio"
    p = float(rec["p_value"])
    statement = (f"{gene} knowledge-base matches in {innate} of innate and {acquired} of acquired progressors; "
                 f"{or_text}; Fisher exact {_p_clause(p)} (not adjusted for the other mechanisms tested).")
    return Finding(key="pik3ca_enrichment", topic=topic, statement=statement, value=f"{innate} vs {acquired}",
                   estimate=odds, n=f"{na} innate, {nc} acquired progressors", ci_low=low, ci_high=high,
                   ci_text="" if math.isnan(low) else f"{low:.3g}-{high:.3g}", test=test, p_value=p,
                   page="/resistance", paper=paper, estimate_label=label)


def resistance_findings(cohort: CohortAnalysis) -> list[Finding]:
    """Share with a mechanism, ERBB2/ERBB4 mutations, PIK3CA enrichment (Resistance page)."""
    return [
        _mechanism_share(cohort),
        _her_family_mutations(cohort, "baseline", "ERBB2/ERBB4 mutations in 6/17 at baseline."),
        _her_family_mutations(cohort, "progression", "ERBB2/ERBB4 mutations in 5/17 at progression."),
        _enrichment(cohort),
    ]


# --------------------------------------------------------------------------------------- survival
def _survival(cohort: CohortAnalysis, name: str, key: str, paper: str) -> Finding | None:
    grouping, result = cohort.groupings.get(name), cohort.survival.get(name)
    if grouping is None or result is None:
        return None
    summary = result.summary
    topic = f"PFS by {grouping.title[0].lower() + grouping.title[1:]}"
    groups = "; ".join(f"{row['group']}: n = {int(row['n'])}, median {median_text(row)} months"
                       + ("" if bool(row["is_reference"]) or len(summary) < 2 else f", HR {hazard_text(row)}")
                       for _, row in summary.iterrows())
    n_total = int(summary["n"].sum())
    reference = f" (hazard ratios vs {result.reference_group})" if result.reference_group else ""
    if result.logrank is None:
        test_text, p, value = "log-rank test not testable (fewer than 2 groups large enough, or no events)", math.nan, \
            "not testable"
    else:
        lr = result.logrank
        p = float(lr.p_value)
        test_text = (f"log-rank {_p_clause(p)}, chi-square {lr.test_statistic:.3g}, {len(lr.groups)} groups, "
                     f"{lr.degrees_of_freedom} df")
        value = f"log-rank p {format_p(p)}" if format_p(p).startswith("<") else f"log-rank p = {format_p(p)}"
    statement = f"{grouping.title}, {n_total} patients with PFS: {groups}{reference}; {test_text}."
    chi_square = math.nan if result.logrank is None else float(result.logrank.test_statistic)
    return Finding(key=key, topic=topic, statement=statement, value=value, estimate=chi_square,
                   n=f"{n_total} patients",
                   test="Kaplan-Meier, Cox, log-rank", p_value=p, page="/survival", page_state={"group": name},
                   caution=grouping.bias_note, paper=paper, estimate_label="chi-square")


def survival_findings(cohort: CohortAnalysis) -> list[Finding]:
    """PFS by number of mechanisms and by baseline PI3K/ERBB2/ERBB4 mutation (Survival page)."""
    found = [
        _survival(cohort, "mechanism_count", "pfs_mechanisms", "Patients with several mechanisms had shorter PFS."),
        _survival(cohort, "baseline_mutation", "pfs_baseline_mutation",
                  "Patients with PIK3CA/PIK3R1/PIK3C3 or ERBB2/ERBB4 mutations in baseline plasma had shorter PFS."),
    ]
    return [f for f in found if f is not None]


def cohort_findings(cohort: CohortAnalysis) -> list[Finding]:
    """Every finding of the paper, in the paper's order, from *cohort*."""
    return [*concordance_findings(cohort), *response_findings(cohort), *resistance_findings(cohort),
            *survival_findings(cohort)]


def findings_caveats(cohort: CohortAnalysis) -> list[str]:
    """The cohort caveats the findings depend on: trajectories, response, concordance, resistance, and the two
    PFS groupings quoted (the other groupings' caveats are left out)."""
    sections = ("trajectories: ", "response: ", "concordance: ", "resistance: ", "tumour fraction: ")
    titles = [f"PFS by {cohort.groupings[name].title}: " for name in ("mechanism_count", "baseline_mutation")
              if name in cohort.groupings]
    return [c for c in cohort.caveats if c.startswith(sections) or c.startswith(tuple(titles))]


def findings_table(findings: list[Finding]) -> pd.DataFrame:
    """*findings* as one tidy table (:data:`FINDING_COLUMNS`, p-values exact)."""
    rows = [{"key": f.key, "topic": f.topic, "value": f.value, "estimate": f.estimate, "ci_low": f.ci_low,
             "ci_high": f.ci_high, "n": f.n, "test": f.test, "p_value": f.p_value, "page": f.page,
             "statement": f.statement, "caution": f.caution, "paper": f.paper} for f in findings]
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


__all__ = ["FINDING_COLUMNS", "Finding", "cohort_findings", "concordance_findings", "findings_caveats",
           "findings_table",
           "response_findings", "resistance_findings", "survival_findings"]
