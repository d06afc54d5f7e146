"""View model of the Overview's "Findings": the paper's findings on the open study, each linking to its page."""

from __future__ import annotations

from analysis.cohort import CohortAnalysis
from analysis.findings import Finding, cohort_findings
from analysis.params import AnalysisParameters
from dashboard.parameters import query_string


def finding_detail(finding: Finding) -> str:
    """The small print under a finding's number: n, CI and test with its p-value."""
    parts = [f"n = {finding.n}"]
    if finding.ci_text:
        parts.append(f"95% CI {finding.ci_text}")
    if finding.p_text:
        parts.append(f"{finding.test}: p {finding.p_text}" if finding.p_text.startswith("<")
                     else f"{finding.test}: p = {finding.p_text}")
    else:
        parts.append(finding.test)
    return "; ".join(p for p in parts if p)


def finding_cards(cohort: CohortAnalysis, params: AnalysisParameters) -> list[dict]:
    """One plain dict per finding: ``key, topic, value, detail, statement, caution, href, page_name``
    (a p-value below 0.001 reads ``p < 0.001``).

    ``href`` opens the page that shows the number, with the parameters in force and the page state
    (e.g. the survival grouping).
    """
    return [{"key": f.key, "topic": f.topic, "value": f"p {f.value}" if f.value.startswith("<") else f.value,
             "detail": finding_detail(f), "statement": f.statement, "caution": f.caution,
             "href": f"{f.page}{query_string(params, f.page_state)}", "page_name": f.page_name}
            for f in cohort_findings(cohort)]
