"""View models of the Concordance page: plasma vs tissue agreement, ready to show.

Pure functions from :class:`analysis.concordance.ConcordanceResult` to small, JSON-able
dicts and display tables.  The cutoff slider's view (:func:`cutoff_view`) recomputes the
HER2 2x2 tables with :func:`analysis.agreement.agreement_table` at the slider's plasma
ERBB2 cutoff; the dashboard caches it keyed on that cutoff.

Tissue is the comparator, not the truth: every label says *agreement* (PPA, NPA, OPA),
never sensitivity or specificity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.agreement import AgreementResult, agreement_table
from analysis.concordance import HER2_GENE, ConcordanceResult
from analysis.wording import (  # noqa: F401  (shared with the findings)
    EN_DASH,
    format_fixed,
    format_number_ci,
    format_percent,
    format_percent_ci,
)
from dashboard.figures.style import P_DISPLAY_FLOOR, p_exact, p_phrase
from dashboard.figures.style import format_p as style_format_p

GE = "\u2265"

#: Slider range (plasma ERBB2 copies): from below diploid to well above any published plasma cutoff
#: (2.22, Wang H, Eur J Cancer 2018; 2.4, HERACLES-A), widened to include the analysis cutoff.
SLIDER_MIN_CN = 1.5
SLIDER_MAX_CN = 8.0
SLIDER_STEP_CN = 0.05

STATISTIC_NAMES = {
    "PPA": "Positive percent agreement (PPA)",
    "NPA": "Negative percent agreement (NPA)",
    "OPA": "Overall percent agreement (OPA)",
    "PPV": "Positive predictive value (PPV) of the plasma call",
    "NPV": "Negative predictive value (NPV) of the plasma call",
    "kappa": "Cohen's kappa",
    "mcnemar_p": "McNemar exact test (b vs c)",
}
PROPORTIONS = ("PPA", "NPA", "OPA", "PPV", "NPV")


# ---------------------------------------------------------------------------------------------- formatting
def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def format_p(p: float) -> str:
    """A p-value for text: 2 significant digits, ``"< 0.001"`` below 0.001 (the exact value is on
    hover and in CSV files); ``"not computed"`` when NaN (:func:`dashboard.figures.style.format_p`)."""
    return style_format_p(p)


def format_cn(value: float) -> str:
    """Copies with 2 decimals (``"2.40"``), ``"-"`` when missing."""
    return "-" if _missing(value) else f"{float(value):.2f}"


# ---------------------------------------------------------------------------------------------- slider
@dataclass(frozen=True)
class SliderSpec:
    """Range, step and marks of the plasma ERBB2 cutoff slider (copies)."""

    minimum: float
    maximum: float
    step: float
    value: float
    marks: dict[str, str]
    problem: str | None = None


def slider_spec(analysis_cutoff: float, requested: str | float | None = None) -> SliderSpec:
    """The slider's range and its starting value.

    Parameters
    ----------
    analysis_cutoff
        The plasma amplification cutoff in force (copies); the slider starts there.
    requested
        The ``slider`` value from the URL (copies), if any; used when it is a number in range,
        otherwise reported in ``problem`` and replaced by *analysis_cutoff*.

    >>> slider_spec(2.4, "2.6").value
    2.6
    >>> slider_spec(2.4, "abc").problem
    "URL value slider='abc' is not a plasma ERBB2 copy number between 1.5 and 8; 2.4 is used."
    """
    low = min(SLIDER_MIN_CN, math.floor(analysis_cutoff * 10) / 10)
    high = max(SLIDER_MAX_CN, math.ceil(analysis_cutoff))
    value, problem = float(analysis_cutoff), None
    if requested not in (None, ""):
        try:
            number = float(requested)
        except (TypeError, ValueError):
            number = math.nan
        if low <= number <= high:
            value = round(number, 4)
        else:
            problem = (
                f"URL value slider={requested!r} is not a plasma ERBB2 copy number between {low:g} and "
                f"{high:g}; {analysis_cutoff:g} is used."
            )
    return SliderSpec(low, high, SLIDER_STEP_CN, value, slider_marks(low, high), problem)


def slider_marks(minimum: float, maximum: float) -> dict[str, str]:
    """Slider marks at whole copies (the analysis and Youden cutoffs have their own buttons)."""
    return {f"{v:g}": f"{v:g}" for v in range(int(math.ceil(minimum)), int(maximum) + 1)}


def slider_value_for(cutoff: float) -> float:
    """A cutoff (copies) as a slider value: rounded down to 4 decimals, so that ``CN >= value`` keeps
    the patient whose CN *is* the cutoff (e.g. the Youden cutoff, an observed CN)."""
    return math.floor(float(cutoff) * 1e4) / 1e4


# ---------------------------------------------------------------------------------------------- 2x2 tables
def plasma_calls_at(her2_calls: pd.DataFrame, cutoff: float) -> pd.Series:
    """Plasma HER2 amplification calls at *cutoff* (copies): ``plasma_erbb2_cn >= cutoff``.

    A pair without a plasma CN keeps the analysis' call (from the discrete CNA value, which does
    not depend on the cutoff) or stays missing.  Returns a nullable boolean Series on
    ``her2_calls.index``.
    """
    cn = her2_calls["plasma_erbb2_cn"].astype("float64")
    calls = pd.Series(cn.to_numpy() >= cutoff, index=her2_calls.index, dtype="boolean")
    no_cn = cn.isna()
    calls[no_cn] = her2_calls.loc[no_cn, "plasma_amplified"].astype("boolean")
    return calls


def her2_agreement_at(
    concordance: ConcordanceResult, cutoff: float
) -> tuple[AgreementResult, AgreementResult]:
    """Plasma HER2 (ERBB2 CN >= *cutoff* copies) vs tissue NGS, and vs pathology HER2.

    Same pairs, comparators and confidence level as the analysis, so that at the analysis cutoff
    the tables equal ``concordance.her2_tissue_ngs`` and ``concordance.her2_pathology``.
    """
    calls = concordance.her2_calls
    plasma = plasma_calls_at(calls, cutoff)
    test_name = f"plasma ERBB2 CN >= {cutoff:g}"
    confidence = concordance.her2_tissue_ngs.confidence
    ngs = agreement_table(
        plasma,
        calls["tissue_amplified"],
        test_name=test_name,
        comparator_name=concordance.her2_tissue_ngs.comparator_name,
        confidence=confidence,
    )
    pathology = agreement_table(
        plasma,
        calls["pathology_her2_positive"],
        test_name=test_name,
        comparator_name=concordance.her2_pathology.comparator_name,
        confidence=confidence,
    )
    return ngs, pathology


def statistics_table(result: AgreementResult) -> pd.DataFrame:
    """The statistics of one 2x2 table, formatted for reading.

    Returns
    -------
    DataFrame with ``key`` (PPA, NPA, OPA, PPV, NPV, kappa, mcnemar_p), ``statistic`` (its full
    name), ``counts`` (numerator/denominator, or n), ``estimate`` (text) and ``ci`` (Wilson 95%
    interval for proportions, Wald for kappa; text).
    """
    rows = []
    for key, estimate, low, high, numerator, denominator in result.statistics:
        if key in PROPORTIONS:
            counts = f"{int(numerator)}/{int(denominator)}" if not _missing(denominator) else "-"
            rows.append(
                {
                    "key": key,
                    "statistic": STATISTIC_NAMES[key],
                    "counts": counts,
                    "estimate": format_percent(estimate),
                    "ci": format_percent_ci(low, high),
                }
            )
        elif key == "kappa":
            ci = "" if _missing(low) else f"{format_fixed(low)}{EN_DASH}{format_fixed(high)}"
            rows.append(
                {
                    "key": key,
                    "statistic": STATISTIC_NAMES[key],
                    "counts": f"n = {result.n}",
                    "estimate": format_fixed(estimate) or "undefined",
                    "ci": ci,
                }
            )
        elif key == "mcnemar_p":
            rows.append(
                {
                    "key": key,
                    "statistic": STATISTIC_NAMES[key],
                    "counts": f"b = {result.b}, c = {result.c}",
                    "estimate": p_phrase(estimate),
                    "ci": "" if _missing(estimate) or estimate >= P_DISPLAY_FLOOR else f"exact p = {p_exact(estimate)}",
                }
            )
    return pd.DataFrame(rows, columns=["key", "statistic", "counts", "estimate", "ci"])


def two_by_two_model(
    result: AgreementResult, test_label: str, comparator_label: str, comparator_short: str = "Comparator"
) -> dict:
    """A 2x2 table as plain data for the page (JSON-able).

    Parameters
    ----------
    test_label, comparator_label
        Readable names of the plasma call and the comparator (caption).
    comparator_short
        The comparator in a column header ("Tissue NGS" -> "Tissue NGS +").

    Returns
    -------
    dict with ``test_label, comparator_label, comparator_short, a, b, c, d, n, n_missing``, ``statistics``
    (records of :func:`statistics_table`), ``headline`` (one sentence with PPA, NPA, OPA and kappa) and
    ``caveats``.
    """
    stats = statistics_table(result)
    by_key = stats.set_index("key")

    def quoted(key: str) -> str:
        row = by_key.loc[key]
        return f"{key} {row['estimate']} ({row['counts']}; 95% CI {row['ci'] or 'undefined'})"

    headline = (
        f"{quoted('PPA')}, {quoted('NPA')}, {quoted('OPA')}; kappa {by_key.loc['kappa', 'estimate']}"
        f" (95% CI {by_key.loc['kappa', 'ci'] or 'undefined'}); n = {result.n}."
    )
    return {
        "test_label": test_label,
        "comparator_label": comparator_label,
        "comparator_short": comparator_short,
        "a": result.a,
        "b": result.b,
        "c": result.c,
        "d": result.d,
        "n": result.n,
        "n_missing": result.n_missing,
        "statistics": stats.to_dict("records"),
        "headline": headline,
        "caveats": list(result.caveats),
    }


def operating_point(result: AgreementResult) -> dict[str, float]:
    """The ROC point of a 2x2 table: ``tpr`` = PPA, ``fpr`` = 1 - NPA (NaN when undefined)."""
    ppa, npa = result.estimate("PPA"), result.estimate("NPA")
    return {"tpr": ppa, "fpr": 1.0 - npa if not math.isnan(npa) else math.nan}


def erbb2_spearman(concordance: ConcordanceResult) -> dict:
    """Spearman's rho, plasma vs tissue ERBB2 CN: ``estimate, ci_low, ci_high, p_value, n`` (NaN if none)."""
    table = concordance.cn_correlation
    row = table[(table["gene"] == HER2_GENE) & (table["method"] == "spearman")]
    if row.empty:
        n = int(concordance.her2_calls[["plasma_erbb2_cn", "tissue_erbb2_cn"]].notna().all(axis=1).sum())
        return {"estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan, "n": n}
    rec = row.iloc[0]
    return {
        k: (int(rec[k]) if k == "n" else float(rec[k]))
        for k in ("estimate", "ci_low", "ci_high", "p_value", "n")
    }


def cutoff_view(concordance: ConcordanceResult, cutoff: float) -> dict:
    """Everything the cutoff slider changes, as JSON-able data (cached per cutoff by the dashboard).

    Parameters
    ----------
    concordance
        The cohort's concordance result.
    cutoff
        Plasma ERBB2 amplification cutoff (copies) chosen on the slider.

    Returns
    -------
    dict with ``cutoff``, ``ngs`` and ``pathology`` (:func:`two_by_two_model`), ``point``
    (:func:`operating_point` vs tissue NGS), ``scatter`` and ``roc`` (plotly figure dicts) and
    ``note`` (how the slider relates to the analysis cutoff).
    """
    from dashboard.figures.concordance import cn_scatter, roc_figure

    params = concordance.params
    ngs, pathology = her2_agreement_at(concordance, cutoff)
    plasma_label = f"plasma ERBB2 CN {GE} {cutoff:g} copies"
    point = operating_point(ngs)
    scatter = cn_scatter(
        concordance.her2_calls,
        cutoff,
        params.tissue_amplification_cn,
        erbb2_spearman(concordance),
        analysis_cutoff=params.plasma_amplification_cn,
    )
    roc = roc_figure(concordance.roc, concordance.auc, concordance.youden, cutoff, point)
    if math.isclose(cutoff, params.plasma_amplification_cn):
        note = (
            f"Plasma is called HER2-amplified when ERBB2 CN {GE} {cutoff:g} copies, the analysis cutoff "
            "used on every page (parameter panel)."
        )
    else:
        note = (
            f"Plasma is called HER2-amplified when ERBB2 CN {GE} {cutoff:g} copies (slider). The other "
            f"pages use the analysis cutoff of {params.plasma_amplification_cn:g} copies; change it in the "
            "parameter panel."
        )
    return {
        "cutoff": float(cutoff),
        "ngs": two_by_two_model(
            ngs,
            plasma_label,
            f"tissue NGS ERBB2 CN {GE} {params.tissue_amplification_cn:g} copies",
            "Tissue NGS",
        ),
        "pathology": two_by_two_model(
            pathology,
            plasma_label,
            f"pathology HER2-positive (IHC 3+, or 2+ with FISH ratio {GE} 2.0)",
            "Pathology",
        ),
        "point": point,
        "scatter": scatter,
        "roc": roc,
        "note": note,
    }


# ---------------------------------------------------------------------------------------------- static tables
PER_GENE_LABELS = {
    "gene": "Gene",
    "alteration": "Alteration",
    "a": "Both",
    "b": "Plasma only",
    "c": "Tissue only",
    "d": "Neither",
    "n": "n",
    "ppa_pct": "PPA %",
    "ppa_ci": "PPA 95% CI",
    "npa_pct": "NPA %",
    "npa_ci": "NPA 95% CI",
    "opa_pct": "OPA %",
    "opa_ci": "OPA 95% CI",
    "kappa": "kappa",
    "kappa_ci": "kappa 95% CI",
    "mcnemar_p": "McNemar p",
    "mcnemar_p_exact": "McNemar p (exact)",
    "n_missing": "Not measured",
    "chip": "CH gene",
}
#: Columns of the tables above that hold numbers (right-aligned, number filter); the rest is text.
PER_GENE_NUMERIC = frozenset({"a", "b", "c", "d", "n", "ppa_pct", "npa_pct", "opa_pct", "kappa", "mcnemar_p_exact",
                              "n_missing"})
PER_PATIENT_LABELS = {
    "patient_id": "Patient",
    "plasma_sample_id": "Plasma sample",
    "plasma_day": "Plasma day",
    "tissue_sample_id": "Tissue sample",
    "tissue_day": "Tissue day",
    "tumour_fraction_pct": "Plasma TF %",
    "tumour_fraction_stratum": "TF stratum",
    "plasma_erbb2_cn": "Plasma ERBB2 CN (copies)",
    "tissue_erbb2_cn": "Tissue ERBB2 CN (copies)",
    "pathology": "Pathology HER2",
    "n_tissue_alterations": "Tissue alterations",
    "n_found_in_plasma": "Found in plasma",
    "n_plasma_only": "Plasma only",
    "found_pct": "Found %",
    "found_ci": "Found 95% CI",
}
PER_PATIENT_NUMERIC = frozenset({"plasma_day", "tissue_day", "tumour_fraction_pct", "plasma_erbb2_cn",
                                 "tissue_erbb2_cn", "n_tissue_alterations", "n_found_in_plasma", "n_plasma_only",
                                 "found_pct"})
DETECTION_LABELS = {
    "tumour_fraction_stratum": "Plasma tumour fraction",
    "n_patients": "Patients",
    "n_variants": "Tissue variants",
    "n_detected": "Detected in plasma",
    "rate_pct": "Detection %",
    "rate_ci": "95% CI (Wilson)",
}
DETECTION_NUMERIC = frozenset({"n_patients", "n_variants", "n_detected", "rate_pct"})


def empty_frame(labels: dict[str, str]) -> pd.DataFrame:
    """An empty table with the columns of *labels* (the layout's placeholder until the data arrive)."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in labels})


def _pct(values: pd.Series, digits: int = 1) -> pd.Series:
    return (100 * values.astype("float64")).round(digits)


def _ci_column(low: pd.Series, high: pd.Series) -> pd.Series:
    return pd.Series(
        [format_percent_ci(lo, hi) for lo, hi in zip(low, high, strict=True)], index=low.index, dtype="object"
    )


def per_gene_table(per_gene: pd.DataFrame) -> pd.DataFrame:
    """Per-gene agreement for display: counts, PPA/NPA/OPA (% and Wilson CI), kappa (CI), McNemar p.

    Columns are the keys of :data:`PER_GENE_LABELS`; amplifications first, then mutations, by gene.
    """
    if per_gene.empty:
        return empty_frame(PER_GENE_LABELS)
    out = pd.DataFrame(
        {
            "gene": per_gene["gene"].astype(str),
            "alteration": per_gene["alteration"].astype(str),
            "a": per_gene["a"],
            "b": per_gene["b"],
            "c": per_gene["c"],
            "d": per_gene["d"],
            "n": per_gene["n"],
        }
    )
    for key in ("ppa", "npa", "opa"):
        out[f"{key}_pct"] = _pct(per_gene[key])
        out[f"{key}_ci"] = _ci_column(per_gene[f"{key}_ci_low"], per_gene[f"{key}_ci_high"])
    out["kappa"] = per_gene["kappa"].astype("float64").round(2)
    out["kappa_ci"] = [
        ("" if _missing(lo) else f"{format_fixed(lo)}{EN_DASH}{format_fixed(hi)}")
        for lo, hi in zip(per_gene["kappa_ci_low"], per_gene["kappa_ci_high"], strict=True)
    ]
    out["mcnemar_p"] = [format_p(p) for p in per_gene["mcnemar_p"]]
    out["mcnemar_p_exact"] = per_gene["mcnemar_p"].astype("float64")
    out["n_missing"] = per_gene["n_missing"]
    out["chip"] = np.where(per_gene["chip_gene"].fillna(False).astype(bool), "yes", "")
    return out[list(PER_GENE_LABELS)].reset_index(drop=True)


def per_patient_table(concordance: ConcordanceResult) -> pd.DataFrame:
    """One row per paired patient: samples, days, tumour fraction, ERBB2 CN, pathology, alterations found.

    Columns are the keys of :data:`PER_PATIENT_LABELS`.
    """
    pairs = concordance.pairs
    if pairs.empty:
        return empty_frame(PER_PATIENT_LABELS)
    table = pairs.merge(concordance.her2_calls, on="patient_id", how="left").merge(
        concordance.per_patient, on="patient_id", how="left"
    )
    pathology = table["pathology_her2_positive"].map({True: "positive", False: "negative"})
    out = pd.DataFrame(
        {
            "patient_id": table["patient_id"].astype(str),
            "plasma_sample_id": table["plasma_sample_id"].astype(str),
            "plasma_day": table["plasma_day"],
            "tissue_sample_id": table["tissue_sample_id"].astype(str),
            "tissue_day": table["tissue_day"],
            "tumour_fraction_pct": table["plasma_tumour_fraction"]
            .astype("float64")
            .map(lambda v: float(f"{100 * v:.3g}") if pd.notna(v) else np.nan),
            "tumour_fraction_stratum": table["tumour_fraction_stratum"].astype(str),
            "plasma_erbb2_cn": table["plasma_erbb2_cn"].astype("float64").round(2),
            "tissue_erbb2_cn": table["tissue_erbb2_cn"].astype("float64").round(2),
            "pathology": pathology.astype("object").where(pathology.notna(), "unknown"),
            "n_tissue_alterations": table["n_tissue_alterations"],
            "n_found_in_plasma": table["n_found_in_plasma"],
            "n_plasma_only": table["n_plasma_only"],
            "found_pct": _pct(table["fraction_found"]),
            "found_ci": _ci_column(table["ci_low"], table["ci_high"]),
        }
    )
    return out[list(PER_PATIENT_LABELS)].reset_index(drop=True)


def detection_table(detection_by_tf: pd.DataFrame) -> pd.DataFrame:
    """Tissue-informed detection rate per plasma tumour-fraction stratum, for display.

    Columns are the keys of :data:`DETECTION_LABELS`.
    """
    if detection_by_tf.empty:
        return empty_frame(DETECTION_LABELS)
    out = detection_by_tf[["tumour_fraction_stratum", "n_patients", "n_variants", "n_detected"]].copy()
    out["tumour_fraction_stratum"] = out["tumour_fraction_stratum"].astype(str)
    out["rate_pct"] = _pct(detection_by_tf["detection_rate"])
    out["rate_ci"] = _ci_column(detection_by_tf["ci_low"], detection_by_tf["ci_high"])
    return out[list(DETECTION_LABELS)].reset_index(drop=True)


def headline_facts(concordance: ConcordanceResult) -> list[tuple[str, str, str]]:
    """Stat cards: (value, label, detail) for paired patients, ERBB2 CN correlation, AUC and Youden cutoff."""
    rho = erbb2_spearman(concordance)
    auc = concordance.auc
    youden = concordance.youden
    n_pairs = len(concordance.pairs)
    facts = [(str(n_pairs), "patients with paired baseline plasma and tissue", "")]
    rho_ci = "" if _missing(rho["ci_low"]) else f"95% CI {rho['ci_low']:.2f}{EN_DASH}{rho['ci_high']:.2f}; "
    facts.append(
        (
            "-" if _missing(rho["estimate"]) else f"{rho['estimate']:.2f}",
            "Spearman rho, plasma vs tissue ERBB2 CN",
            f"{rho_ci}n = {rho['n']}",
        )
    )
    auc_ci = "" if _missing(auc.ci_low) else f"95% CI {auc.ci_low:.2f}{EN_DASH}{auc.ci_high:.2f} (DeLong); "
    facts.append(
        (
            "-" if _missing(auc.auc) else f"{auc.auc:.2f}",
            "AUC, plasma ERBB2 CN vs tissue NGS status",
            f"{auc_ci}{auc.n_pos} tissue-amplified, {auc.n_neg} not",
        )
    )
    facts.append(
        (
            "-" if _missing(youden.cutoff) else f"{youden.cutoff:.2f}",
            "Youden cutoff, plasma ERBB2 CN (copies)",
            ""
            if _missing(youden.cutoff)
            else f"PPA {format_percent(youden.tpr)}, NPA {format_percent(1 - youden.fpr)} at this cutoff",
        )
    )
    return facts


def static_view(concordance: ConcordanceResult) -> dict:
    """What the slider does not change: headline, per-gene, per-patient and detection tables, bar chart.

    Returns
    -------
    dict with ``headline`` (:func:`headline_facts`), ``per_gene``, ``per_patient``, ``detection`` (records),
    ``detection_figure`` (plotly dict), ``youden_cutoff`` (copies, NaN when undefined) and ``caveats``.
    """
    from dashboard.figures.concordance import detection_bar

    def records(frame: pd.DataFrame) -> list[dict]:
        return frame.astype(object).where(frame.notna(), None).to_dict("records")

    return {
        "headline": headline_facts(concordance),
        "per_gene": records(per_gene_table(concordance.per_gene)),
        "per_patient": records(per_patient_table(concordance)),
        "detection": records(detection_table(concordance.detection_by_tf)),
        "detection_figure": detection_bar(concordance.detection_by_tf).to_dict(),
        "youden_cutoff": float(concordance.youden.cutoff),
        "caveats": list(concordance.caveats),
    }
