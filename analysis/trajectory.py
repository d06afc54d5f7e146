"""Per-patient trajectories: plasma ERBB2 copy number, CEA and tumour size on one day axis.

Implements design.md section 3 (day 0, plasma HER2 copy number, purity-adjusted copy
number, baseline and progression draws, RECIST 1.1 from lesion sums, innate vs acquired
resistance).  Every definition is restated, with its default and source, in
``docs/methods.md (Part A)``.

Everything is vectorised over the whole cohort (pandas groupby); no per-patient loops,
so that 10,000 patients take seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import caveats as C
from analysis import params as P
from analysis.caveats import caveats_about, tag
from analysis.frames import empty_frame, typed_frame
from analysis.params import AnalysisParameters
from analysis.study import Study

#: Gene whose copy number is tracked.
ERBB2 = "ERBB2"

#: Resistance classes (design.md section 3).  ``unknown``: not known to have progressed nor to be
#: progression-free (no PFS status and no progression in the timeline); never read as "none".
INNATE, ACQUIRED, NO_PROGRESSION, UNKNOWN_CLASS = "innate", "acquired", "none", "unknown"

#: Follow-up status of a patient (``patients.follow_up``).  Missing follow-up is missing, never a
#: negative finding or a censoring (design.md section 2).
PROGRESSED, CENSORED, STATUS_UNKNOWN, NOT_FOLLOWED = "progressed", "censored", "status unknown", "not followed"

DRAW_COLUMNS = {
    "patient_id": "string",
    "sample_id": "string",
    "draw_day": "float64",
    "timepoint": "string",
    "erbb2_cn": "float64",
    "tumour_fraction": "float64",
    "tumour_fraction_evaluable": "boolean",
    "erbb2_cn_adjusted": "float64",
    "adjusted_note": "string",
    "erbb2_amplified": "boolean",
    "is_baseline": "bool",
    "is_progression": "bool",
    "baseline_sample_id": "string",
    "baseline_day": "float64",
    "baseline_erbb2_cn": "float64",
    "erbb2_cn_change": "float64",
    "erbb2_cn_pct_change": "float64",
    "erbb2_excess_pct_change": "float64",
    "running_nadir_cn": "float64",
}

CEA_COLUMNS = {
    "patient_id": "string",
    "day": "float64",
    "cea": "float64",
    "n_values": "int64",
    "averaged": "bool",
}

IMAGING_COLUMNS = {
    "patient_id": "string",
    "day": "float64",
    "target_lesion_sum_mm": "float64",
    "is_baseline": "bool",
    "pct_change_from_baseline": "float64",
    "change_from_nadir_mm": "float64",
    "pct_change_from_nadir": "float64",
    "recist_recorded": "string",
    "recist_derived": "string",
    "recist_response": "string",
    "response_source": "string",
}

PATIENT_COLUMNS = {
    "patient_id": "string",
    "her2_status": "string",
    "pfs_months": "float64",
    "pfs_event": "boolean",
    "baseline_sample_id": "string",
    "baseline_day": "float64",
    "baseline_erbb2_cn": "float64",
    "baseline_cea": "float64",
    "baseline_cea_day": "float64",
    "baseline_imaging_day": "float64",
    "baseline_tumour_size_mm": "float64",
    "first_evaluation_day": "float64",
    "first_evaluation_response": "string",
    "progressed": "bool",
    "follow_up": "string",
    "progression_day": "float64",
    "progression_source": "string",
    "progression_sample_id": "string",
    "progression_draw_day": "float64",
    "progression_erbb2_cn": "float64",
    "nadir_erbb2_cn": "float64",
    "nadir_day": "float64",
    "n_draws": "int64",
    "resistance_class": "string",
}

ALIGNED_COLUMNS = {
    "patient_id": "string",
    "day": "float64",
    "measure": "string",
    "value": "float64",
    "unit": "string",
    "flag": "string",
}


def gene_mask(genes: pd.Series, wanted: str | set[str] | list[str]) -> np.ndarray:
    """Boolean mask of rows whose gene symbol, upper-cased, is in *wanted*.

    Upper-cases each distinct symbol once (not every row): copy-number tables have a row per
    sample and gene, millions at 10,000 patients.
    """
    wanted_set = {wanted.upper()} if isinstance(wanted, str) else {w.upper() for w in wanted}
    codes, uniques = pd.factorize(genes)
    hit = np.array([str(u).upper() in wanted_set for u in uniques], dtype=bool)
    return np.append(hit, False)[codes]


def upper_genes(genes: pd.Series) -> pd.Series:
    """Upper-cased gene symbols (as ``string``), computed once per distinct symbol."""
    codes, uniques = pd.factorize(genes)
    upper = np.array([str(u).upper() for u in uniques] + [None], dtype=object)
    return pd.Series(upper[codes], index=genes.index, dtype="string")


def join_unique(frame: pd.DataFrame, keys: list[str], column: str, sort_values: bool = False) -> pd.Series:
    """``;``-joined distinct values of *column* per group of *keys* (first-seen or sorted order).

    Vectorised: string concatenation by a groupby sum instead of a Python call per group.
    """
    sub = frame[[*keys, column]].dropna(subset=[column]).astype({column: str})
    if sort_values:
        sub = sub.sort_values(column, kind="stable")
    sub = sub.drop_duplicates()
    joined = (sub[column] + ";").groupby([sub[k] for k in keys], sort=False).sum()
    return joined.str[:-1]






@dataclass(frozen=True)
class TrajectoryResult:
    """All per-draw, per-assessment and per-patient trajectory tables.

    Attributes
    ----------
    draws
        One row per plasma draw: ``patient_id, sample_id, draw_day`` (days), ``timepoint`` (as
        recorded), ``erbb2_cn`` (observed copies), ``tumour_fraction`` (0-1),
        ``tumour_fraction_evaluable`` (f >= min), ``erbb2_cn_adjusted`` (purity-adjusted copies;
        NaN when not evaluable), ``adjusted_note``, ``erbb2_amplified`` (observed CN >= plasma
        cutoff), ``is_baseline``, ``is_progression``, ``baseline_erbb2_cn``, ``erbb2_cn_change``
        (copies), ``erbb2_cn_pct_change`` (%), ``erbb2_excess_pct_change`` (% change of CN - 2),
        ``running_nadir_cn`` (lowest CN from the baseline draw up to this draw).
    cea
        One row per patient and day: ``cea`` (ng/mL, mean of same-day values), ``n_values``,
        ``averaged`` (True when several same-day values were averaged).
    imaging
        One row per imaging assessment: lesion sum (mm), % change from baseline, change from
        nadir (mm and %), recorded and derived RECIST calls, ``recist_response`` used and its
        ``response_source`` (recorded / derived / none).
    patients
        One row per patient: baseline and progression draws, baseline CEA and tumour size,
        first evaluation, progression day and its source, nadir, ``follow_up`` (progressed /
        censored / status unknown / not followed), ``resistance_class`` (innate / acquired / none /
        unknown; none only for patients known to be progression-free).
    aligned
        Long table on one day axis for plotting: ``patient_id, day, measure`` (erbb2_cn,
        erbb2_cn_adjusted, cea, tumour_size), ``value``, ``unit``, ``flag``.
    summary
        Cohort counts (measure, value).
    caveats
        Statistical and data caveats a user should read.
    caveat_topics
        The same caveats as ``(topic, text)`` pairs (:mod:`analysis.caveats`), so that each page
        shows the caveats of the numbers it shows.
    censored_with_progression
        Patients censored for PFS who have a progression event or a PD scan (PFS_STATUS is trusted),
        in the order the caveat names them.  Every caveat is counted from the tables above and this
        (:func:`trajectory_caveats`), so that one patient's result is the patient's rows of the cohort's
        (:func:`patient_trajectories`).
    """

    draws: pd.DataFrame
    cea: pd.DataFrame
    imaging: pd.DataFrame
    patients: pd.DataFrame
    aligned: pd.DataFrame
    summary: pd.DataFrame
    caveats: tuple[str, ...] = ()
    caveat_topics: tuple[tuple[str, str], ...] = ()
    censored_with_progression: tuple[str, ...] = ()

    def caveats_about(self, *topics: str) -> list[str]:
        """Caveats on these topics (:mod:`analysis.caveats`)."""
        return caveats_about(self.caveat_topics, *topics)


def erbb2_copy_number(copy_number: pd.DataFrame) -> pd.DataFrame:
    """Observed ERBB2 absolute copy number per sample.

    Parameters
    ----------
    copy_number
        The study's copy-number table (:data:`analysis.schema.COPY_NUMBER`).

    Returns
    -------
    DataFrame with ``sample_id, erbb2_cn`` (copies): ``copy_number``, else 2 x 2^``log2_ratio``;
    duplicate rows of one sample are averaged.  Discrete-only calls give no absolute CN.
    """
    rows = copy_number[gene_mask(copy_number["gene"], ERBB2)]
    if rows.empty:
        return pd.DataFrame({"sample_id": pd.Series(dtype="string"), "erbb2_cn": pd.Series(dtype="float64")})
    cn = (
        rows["copy_number"]
        .astype("float64")
        .fillna(2.0 * np.power(2.0, rows["log2_ratio"].astype("float64")))
    )
    out = pd.DataFrame({"sample_id": rows["sample_id"].astype("string"), "erbb2_cn": cn.to_numpy()})
    return out.groupby("sample_id", as_index=False, sort=False)["erbb2_cn"].mean()


def aggregate_cea(timeline: pd.DataFrame) -> pd.DataFrame:
    """CEA values per patient and day, same-day duplicates averaged and flagged.

    Parameters
    ----------
    timeline
        The study's timeline table; ``LAB_TEST`` rows whose ``test`` is CEA (any case) count.

    Returns
    -------
    DataFrame with ``patient_id, day`` (days), ``cea`` (ng/mL), ``n_values``, ``averaged``.
    """
    lab = timeline[
        (timeline["event_type"] == "LAB_TEST")
        & (timeline["test"].str.upper() == "CEA")
        & timeline["result"].notna()
        & timeline["start_day"].notna()
    ]
    if lab.empty:
        return empty_frame(CEA_COLUMNS)
    grouped = (
        lab.assign(day=lab["start_day"])
        .groupby(["patient_id", "day"], as_index=False, sort=True)["result"]
        .agg(cea="mean", n_values="size")
    )
    grouped["averaged"] = grouped["n_values"] > 1
    return typed_frame(grouped, CEA_COLUMNS)


def derive_recist(
    imaging: pd.DataFrame,
    baseline_window_days: tuple[int, int] = P.BASELINE_WINDOW_DAYS,
) -> tuple[pd.DataFrame, list[str]]:
    """RECIST 1.1 response per assessment from target-lesion sums, when none is recorded.

    The baseline assessment is the last one on or before the upper end of the baseline
    window (day +3 by default).  After it: CR when the sum is 0; PD when the sum is >= 20%
    and >= 5 mm above the nadir (the smallest earlier sum, baseline included); PR when
    <= -30% from baseline; else SD.  PD takes precedence over PR, as in RECIST 1.1.  A
    recorded call (CR/PR/SD/PD/NE) is always kept; derived calls fill the gaps.

    Parameters
    ----------
    imaging
        ``IMAGING`` timeline rows (``patient_id, start_day, target_lesion_sum_mm, recist_response``).
    baseline_window_days
        (low, high) days; assessments before *low* still serve as baseline, with a caveat.

    Returns
    -------
    (table with the columns of :data:`IMAGING_COLUMNS`, caveats)
    """
    caveats: list[str] = []
    img = imaging[imaging["start_day"].notna()]
    if img.empty:
        return empty_frame(IMAGING_COLUMNS), caveats
    img = (
        pd.DataFrame(
            {
                "patient_id": img["patient_id"].astype("string"),
                "day": img["start_day"].astype("float64"),
                "target_lesion_sum_mm": img["target_lesion_sum_mm"].astype("float64"),
                "recist_recorded": (
                    img["recist_response"] if "recist_response" in img else pd.Series(pd.NA, index=img.index)
                )
                .astype("string")
                .str.strip()
                .str.upper()
                .replace("", pd.NA),
            }
        )
        .sort_values(["patient_id", "day"], kind="stable")
        .reset_index(drop=True)
    )
    low, high = baseline_window_days
    # The baseline scan is the last one on or before day +high that has a lesion sum.
    pre = img[(img["day"] <= high) & img["target_lesion_sum_mm"].notna()]
    base = pre.groupby("patient_id", sort=False).tail(1)[["patient_id", "day", "target_lesion_sum_mm"]]
    base = base.rename(columns={"day": "baseline_imaging_day", "target_lesion_sum_mm": "baseline_sum"})
    early = base[base["baseline_imaging_day"] < low]
    if len(early):
        caveats.append(_early_baseline_scan_caveat(len(early), low))
    img = img.merge(base, on="patient_id", how="left")
    img["is_baseline"] = img["day"] == img["baseline_imaging_day"]
    after = img["day"] > img["baseline_imaging_day"]
    size = img["target_lesion_sum_mm"]
    # Nadir before each assessment: smallest sum from baseline up to the previous assessment.
    on_study = size.where(img["day"] >= img["baseline_imaging_day"])
    running = on_study.groupby(img["patient_id"]).cummin()
    prior_nadir = running.groupby(img["patient_id"]).shift(1).groupby(img["patient_id"]).ffill()
    img["pct_change_from_baseline"] = np.where(
        after, 100.0 * (size - img["baseline_sum"]) / img["baseline_sum"], np.nan
    )
    img["change_from_nadir_mm"] = np.where(after, size - prior_nadir, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        img["pct_change_from_nadir"] = np.where(after, 100.0 * (size - prior_nadir) / prior_nadir, np.nan)
    pd_call = (img["pct_change_from_nadir"] >= 100.0 * P.RECIST_PD_CHANGE) & (
        img["change_from_nadir_mm"] >= P.RECIST_PD_ABSOLUTE_MM
    )
    pr_call = img["pct_change_from_baseline"] <= 100.0 * P.RECIST_PR_CHANGE
    # numpy stub: choicelist must be ArrayLike, which excludes None; numpy accepts it (object result).
    derived = np.select([~after | size.isna(), size == 0, pd_call, pr_call], [None, "CR", "PD", "PR"], "SD")  # type: ignore[type-var]
    img["recist_derived"] = pd.Series(derived, dtype="object").where(after & size.notna(), None)
    img.loc[after & size.isna(), "recist_derived"] = "NE"
    recorded_ok = img["recist_recorded"].isin(["CR", "PR", "SD", "PD", "NE"]).fillna(False)
    img["recist_response"] = img["recist_recorded"].where(recorded_ok, img["recist_derived"])
    img["response_source"] = np.where(
        recorded_ok, "recorded", np.where(img["recist_derived"].notna(), "derived", "none")
    )
    return typed_frame(img, IMAGING_COLUMNS), caveats


def analyse_trajectories(
    study: Study,
    params: AnalysisParameters = AnalysisParameters(),
    tumour_fractions: pd.DataFrame | None = None,
) -> TrajectoryResult:
    """Trajectories of every patient in *study* (design.md section 3).

    Parameters
    ----------
    study
        The study.
    params
        Thresholds in force (plasma amplification cutoff, minimum tumour fraction, windows,
        innate PFS cutoff).
    tumour_fractions
        Optional precomputed :func:`analysis.tumour_fraction.tumour_fraction` table (to share
        the work with other analyses); computed here when None.

    Returns
    -------
    :class:`TrajectoryResult`.  Empty study gives empty, typed tables.
    """
    from analysis.tumour_fraction import tumour_fraction

    if tumour_fractions is None:
        tumour_fractions = tumour_fraction(study.variants)
    draws = _plasma_draws(study, tumour_fractions, params)
    baseline = _baseline_draws(draws, params.baseline_window_days)
    draws = _changes_from_baseline(draws, baseline)

    timeline = study.timeline
    cea = aggregate_cea(timeline)
    # derive_recist's caveat (early baseline scans) is counted again from the table by trajectory_caveats.
    imaging, _ = derive_recist(timeline[timeline["event_type"] == "IMAGING"], params.baseline_window_days)

    patients = _patient_table(study, draws, imaging, baseline, cea, params.baseline_window_days)
    patients, post = _first_evaluation(patients, imaging)
    patients, censored_with_progression = _progression(patients, timeline, post)
    prog_draw = _progression_draws(draws, patients, params.progression_window_days)
    patients = patients.merge(prog_draw, on="patient_id", how="left")
    draws["is_progression"] = draws["sample_id"].isin(prog_draw["progression_sample_id"])
    patients = _nadir(patients, draws, params.progression_window_days)
    counts = draws.groupby("patient_id").size().rename("n_draws")
    patients = patients.merge(counts, left_on="patient_id", right_index=True, how="left")
    patients["follow_up"] = _follow_up(patients)
    patients["resistance_class"] = _resistance_class(patients, params.innate_pfs_months)
    patients = typed_frame(patients.sort_values("patient_id", kind="stable"), PATIENT_COLUMNS)
    draws = typed_frame(draws, DRAW_COLUMNS)
    return _trajectory_result(study.samples, draws, cea, imaging, patients, _aligned(draws, cea, imaging),
                              censored_with_progression, params)


def _trajectory_result(samples: pd.DataFrame, draws: pd.DataFrame, cea: pd.DataFrame, imaging: pd.DataFrame,
                       patients: pd.DataFrame, aligned: pd.DataFrame, censored_with_progression: tuple[str, ...],
                       params: AnalysisParameters) -> TrajectoryResult:
    """The result from its tables: summary counts and caveats counted from them."""
    caveats, topics = trajectory_caveats(samples, draws, cea, imaging, patients, censored_with_progression, params)
    return TrajectoryResult(
        draws=draws,
        cea=cea,
        imaging=imaging,
        patients=patients,
        aligned=aligned,
        summary=_summary(patients, draws, cea, imaging),
        caveats=tuple(caveats),
        caveat_topics=tuple(zip(topics, caveats, strict=True)),
        censored_with_progression=censored_with_progression,
    )


def trajectory_caveats(samples: pd.DataFrame, draws: pd.DataFrame, cea: pd.DataFrame, imaging: pd.DataFrame,
                       patients: pd.DataFrame, censored_with_progression: tuple[str, ...],
                       params: AnalysisParameters) -> tuple[list[str], list[str]]:
    """The caveats of a trajectory result and their topics (:mod:`analysis.caveats`), in the order the
    analysis meets them, counted from the study's samples and the result's tables only."""
    caveats: list[str] = []
    topics: list[str] = []
    is_plasma = samples["sample_type"].str.lower() == "plasma"
    n_undated = int((is_plasma & samples["collection_day"].isna()).sum())
    if n_undated:
        caveats.append(f"{n_undated} plasma sample(s) without a collection day are left out of trajectories.")
    evaluable = draws["tumour_fraction"].astype("float64") >= params.min_tumour_fraction
    n_not_eval = int((draws["erbb2_cn"].notna() & ~evaluable).sum())
    if n_not_eval:
        caveats.append(
            f"{n_not_eval} draw(s) have tumour fraction below {params.min_tumour_fraction:g} or "
            "unknown: purity-adjusted ERBB2 CN not evaluable there."
        )
    tag(caveats, topics, C.DRAWS)
    n_averaged = int(cea["averaged"].sum())
    if n_averaged:
        caveats.append(
            f"{n_averaged} patient-day(s) had several CEA values; they were averaged (flag 'averaged')."
        )
    tag(caveats, topics, C.CEA)
    low, high = params.baseline_window_days
    n_early = int(imaging.loc[imaging["is_baseline"] & (imaging["day"] < low), "patient_id"].nunique())
    if n_early:
        caveats.append(_early_baseline_scan_caveat(n_early, low))
    tag(caveats, topics, C.IMAGING)
    if censored_with_progression:
        caveats.append(
            f"{len(censored_with_progression)} patient(s) censored for PFS have a progression event or PD scan; "
            "PFS_STATUS is trusted: " + ", ".join(censored_with_progression[:10])
        )
    tag(caveats, topics, C.FOLLOW_UP)
    if patients["pfs_months"].notna().any() and not patients["progressed"].any():
        caveats.append("No patient progressed (all censored): resistance classes are all 'none'.")
    tag(caveats, topics, C.COHORT)
    n_unknown = int((patients["resistance_class"] == UNKNOWN_CLASS).sum())
    if n_unknown:
        caveats.append(
            f"{n_unknown} patient(s) have no PFS status and no progression in the timeline (not followed "
            "or status unknown): resistance class 'unknown', not 'none'."
        )
    tag(caveats, topics, C.FOLLOW_UP)
    no_base = int(patients["baseline_sample_id"].isna().sum())
    if no_base and len(draws):
        caveats.append(
            f"{no_base} patient(s) have no plasma draw in the baseline window "
            f"[{low}, +{high}] days: changes from baseline are missing."
        )
    tag(caveats, topics, C.BASELINE)
    if patients.empty:
        caveats.append("The study has no patients.")
    tag(caveats, topics, C.COHORT)
    return caveats, topics


def patient_trajectories(cohort: TrajectoryResult, patient_id: str, samples: pd.DataFrame,
                         params: AnalysisParameters,
                         own_rows: Callable[[pd.DataFrame], pd.DataFrame]) -> TrajectoryResult:
    """:func:`analyse_trajectories` of one patient, from the whole-cohort result *cohort* (computed under
    *params*): the patient's rows of each table, with the summary and caveats counted again from them.

    *samples* are the patient's samples (the undated plasma samples are counted from them).  Every table
    is computed patient by patient, so the rows are those the patient alone would give
    (tests/analysis/test_patient_from_cohort.py checks it field by field on every demo patient).
    *own_rows* gives the patient's rows of one of *cohort*'s tables, in the table's order (e.g. from an
    index of the rows by patient, :mod:`analysis.cohort_rows`).
    """
    def rows(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        mine = own_rows(frame)
        return empty_frame(columns) if mine.empty else mine.reset_index(drop=True)

    draws, cea, imaging = rows(cohort.draws, DRAW_COLUMNS), rows(cohort.cea, CEA_COLUMNS), rows(
        cohort.imaging, IMAGING_COLUMNS)
    patients, aligned = rows(cohort.patients, PATIENT_COLUMNS), rows(cohort.aligned, ALIGNED_COLUMNS)
    censored = tuple(p for p in cohort.censored_with_progression if p == patient_id)
    return _trajectory_result(samples, draws, cea, imaging, patients, aligned, censored, params)


def _early_baseline_scan_caveat(n_patients: int, low: int) -> str:
    return (f"{n_patients} patient(s) have their last pre-treatment scan before day {low}; "
            "it is used as RECIST baseline.")


def _plasma_draws(study: Study, tumour_fractions: pd.DataFrame, params: AnalysisParameters) -> pd.DataFrame:
    """Step 1: dated plasma draws with observed ERBB2 CN, tumour fraction and purity-adjusted CN."""
    from analysis.copy_number import purity_adjusted_cn

    samples = study.samples
    is_plasma = samples["sample_type"].str.lower() == "plasma"
    plasma = samples[is_plasma & samples["collection_day"].notna()]  # undated ones: trajectory_caveats
    draws = pd.DataFrame(
        {
            "patient_id": plasma["patient_id"].astype("string"),
            "sample_id": plasma["sample_id"].astype("string"),
            "draw_day": plasma["collection_day"].astype("float64"),
            "timepoint": plasma["timepoint"].astype("string"),
        }
    )
    draws = draws.merge(erbb2_copy_number(study.copy_number), on="sample_id", how="left")
    tf = tumour_fractions[["sample_id", "tumour_fraction"]].astype({"sample_id": "string"})
    draws = draws.merge(tf.drop_duplicates("sample_id"), on="sample_id", how="left")
    draws = draws.sort_values(["patient_id", "draw_day", "sample_id"], kind="stable").reset_index(drop=True)
    f = draws["tumour_fraction"].astype("float64")
    evaluable = f >= params.min_tumour_fraction
    draws["tumour_fraction_evaluable"] = pd.array(evaluable.where(f.notna(), other=pd.NA), dtype="boolean")
    cn = draws["erbb2_cn"].astype("float64")
    adjusted = np.full(len(draws), np.nan)
    mask = (evaluable & cn.notna()).to_numpy()
    if params.purity_adjustment and mask.any():
        adjusted[mask] = np.asarray(
            purity_adjusted_cn(cn.to_numpy()[mask], f.to_numpy()[mask], params.min_tumour_fraction),
            dtype=float,
        )
    draws["erbb2_cn_adjusted"] = adjusted
    draws["adjusted_note"] = np.select(
        [cn.isna(), f.isna(), ~evaluable, not params.purity_adjustment],
        [
            "no ERBB2 copy number",
            "not evaluable: no tumour fraction",
            f"not evaluable: tumour fraction < {params.min_tumour_fraction:g}",
            "purity adjustment off",
        ],
        "",
    )
    draws["erbb2_amplified"] = pd.array(
        (cn >= params.plasma_amplification_cn).where(cn.notna(), other=pd.NA), dtype="boolean"
    )
    return draws


def _baseline_draws(draws: pd.DataFrame, window: tuple[int, int]) -> pd.DataFrame:
    """Step 2: the last draw in the baseline window, per patient that has one.

    Columns ``patient_id, baseline_sample_id, baseline_day, baseline_erbb2_cn``.
    """
    low, high = window
    in_window = draws[(draws["draw_day"] >= low) & (draws["draw_day"] <= high)]
    baseline = in_window.groupby("patient_id", sort=False).tail(1)
    return baseline[["patient_id", "sample_id", "draw_day", "erbb2_cn"]].rename(
        columns={
            "sample_id": "baseline_sample_id",
            "draw_day": "baseline_day",
            "erbb2_cn": "baseline_erbb2_cn",
        }
    )


def _changes_from_baseline(draws: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Step 3: ``is_baseline``, changes from the baseline draw and the running nadir of each draw."""
    draws = draws.merge(baseline, on="patient_id", how="left")
    # A patient without a baseline draw has baseline_sample_id <NA>: the comparison is <NA>, and
    # ~<NA> is <NA>, which a mask reads as False and would drop every draw of that patient.  Not
    # being the baseline draw is a plain False.
    draws["is_baseline"] = (
        (draws["sample_id"] == draws["baseline_sample_id"]).astype("boolean").fillna(False).astype(bool)
    )
    cn = draws["erbb2_cn"].astype("float64")
    base_cn = draws["baseline_erbb2_cn"]
    draws["erbb2_cn_change"] = cn - base_cn
    with np.errstate(divide="ignore", invalid="ignore"):
        draws["erbb2_cn_pct_change"] = 100.0 * (cn - base_cn) / base_cn
        excess_base = (base_cn - 2.0).where(base_cn - 2.0 > 0)
        draws["erbb2_excess_pct_change"] = 100.0 * ((cn - 2.0) - excess_base) / excess_base
    on_study = cn.where(draws["draw_day"] >= draws["baseline_day"])
    draws["running_nadir_cn"] = on_study.groupby(draws["patient_id"]).cummin()
    return draws


def _patient_table(
    study: Study,
    draws: pd.DataFrame,
    imaging: pd.DataFrame,
    baseline: pd.DataFrame,
    cea: pd.DataFrame,
    window: tuple[int, int],
) -> pd.DataFrame:
    """Step 4: one row per patient (clinical table, plus ids seen only in draws or the timeline),
    with the baseline draw, baseline CEA and baseline scan."""
    pts = study.patients
    patients = pd.DataFrame(
        {
            "patient_id": pts["patient_id"].astype("string"),
            "her2_status": pts["her2_status"].astype("string"),
            "pfs_months": pts["pfs_months"].astype("float64"),
            "pfs_event": pts["pfs_event"].astype("boolean"),
        }
    ).drop_duplicates("patient_id")
    known = set(patients["patient_id"].dropna())
    timeline = study.timeline
    others = pd.concat([draws["patient_id"], imaging["patient_id"], timeline["patient_id"]]).dropna().unique()
    extra = [p for p in others if p not in known]
    if extra:
        patients = pd.concat(
            [patients, pd.DataFrame({"patient_id": pd.array(extra, dtype="string")})], ignore_index=True
        )
    patients = patients.merge(baseline, on="patient_id", how="left")
    low, high = window
    cea_base = cea[(cea["day"] >= low) & (cea["day"] <= high)].groupby("patient_id", sort=False).tail(1)
    patients = patients.merge(
        cea_base[["patient_id", "cea", "day"]].rename(
            columns={"cea": "baseline_cea", "day": "baseline_cea_day"}
        ),
        on="patient_id",
        how="left",
    )
    base_img = imaging[imaging["is_baseline"]][["patient_id", "day", "target_lesion_sum_mm"]].rename(
        columns={"day": "baseline_imaging_day", "target_lesion_sum_mm": "baseline_tumour_size_mm"}
    )
    return patients.merge(base_img.drop_duplicates("patient_id"), on="patient_id", how="left")


def _first_evaluation(patients: pd.DataFrame, imaging: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Step 5: the first assessment after the baseline scan; returns (patients, post-baseline scans)."""
    post = imaging[imaging["pct_change_from_baseline"].notna() | (imaging["response_source"] == "recorded")]
    post = post[~post["is_baseline"]]  # imaging is_baseline is a plain bool (typed_frame)
    post = post.merge(patients[["patient_id", "baseline_imaging_day"]], on="patient_id", how="left")
    post = post[post["baseline_imaging_day"].isna() | (post["day"] > post["baseline_imaging_day"])]
    first_eval = post.groupby("patient_id", sort=False).head(1)[["patient_id", "day", "recist_response"]]
    patients = patients.merge(
        first_eval.rename(
            columns={"day": "first_evaluation_day", "recist_response": "first_evaluation_response"}
        ),
        on="patient_id",
        how="left",
    )
    return patients, post


def _progression(
    patients: pd.DataFrame, timeline: pd.DataFrame, post: pd.DataFrame
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Step 6: progression day (first STATUS PROGRESSION, else first PD scan, else PFS time) and status;
    also the patients censored for PFS who have a progression event or PD scan (PFS_STATUS is trusted)."""
    status = timeline[
        (timeline["event_type"] == "STATUS")
        & (timeline["status"].str.upper() == "PROGRESSION")
        & timeline["start_day"].notna()
    ]
    status_day = status.groupby("patient_id")["start_day"].min().rename("status_day")
    pd_day = post[post["recist_response"] == "PD"].groupby("patient_id")["day"].min().rename("pd_day")
    patients = patients.merge(status_day, left_on="patient_id", right_index=True, how="left")
    patients = patients.merge(pd_day, left_on="patient_id", right_index=True, how="left")
    pfs_day = (patients["pfs_months"] * P.DAYS_PER_MONTH).where(
        patients["pfs_event"].fillna(False).astype(bool)
    )
    prog_day = patients["status_day"].fillna(patients["pd_day"]).fillna(pfs_day)
    source = np.select(
        [patients["status_day"].notna(), patients["pd_day"].notna(), pfs_day.notna()],
        ["status", "imaging", "pfs"],
        "",
    )
    event = patients["pfs_event"]
    conflict = event.notna() & ~event.fillna(False).astype(bool) & prog_day.notna()
    censored_with_progression = tuple(patients.loc[conflict, "patient_id"].astype(str))
    progressed = event.fillna(prog_day.notna()).astype(bool)
    patients["progressed"] = progressed
    patients["progression_day"] = prog_day.where(progressed)
    patients["progression_source"] = pd.Series(source, index=patients.index).where(progressed, "")
    missing_pfs = patients["pfs_months"].isna() & progressed
    patients.loc[missing_pfs, "pfs_months"] = patients.loc[missing_pfs, "progression_day"] / P.DAYS_PER_MONTH
    return patients, censored_with_progression


def _progression_draws(
    draws: pd.DataFrame, patients: pd.DataFrame, window: tuple[int, int]
) -> pd.DataFrame:
    """Step 7: per progressor, the non-baseline draw nearest progression within *window* (ties: earlier).

    Does not need a baseline draw: a progressor without one still has a progression draw.
    Columns ``patient_id, progression_sample_id, progression_draw_day, progression_erbb2_cn``.
    """
    plow, phigh = window
    progressed = patients["progressed"].astype(bool)
    cand = draws[~draws["is_baseline"].astype(bool)][["patient_id", "sample_id", "draw_day", "erbb2_cn"]]
    cand = cand.merge(patients.loc[progressed, ["patient_id", "progression_day"]], on="patient_id", how="inner")
    cand["delta"] = cand["draw_day"] - cand["progression_day"]
    cand = cand[(cand["delta"] >= plow) & (cand["delta"] <= phigh)]
    cand = cand.assign(abs_delta=cand["delta"].abs()).sort_values(
        ["patient_id", "abs_delta", "delta"], kind="stable"
    )
    prog_draw = cand.groupby("patient_id", sort=False).head(1)[["patient_id", "sample_id", "draw_day", "erbb2_cn"]]
    return prog_draw.rename(
        columns={
            "sample_id": "progression_sample_id",
            "draw_day": "progression_draw_day",
            "erbb2_cn": "progression_erbb2_cn",
        }
    )


def _nadir(patients: pd.DataFrame, draws: pd.DataFrame, window: tuple[int, int]) -> pd.DataFrame:
    """Step 8: lowest CN from the baseline draw up to the end of the progression window (or last draw)."""
    phigh = window[1]
    span = draws.merge(patients[["patient_id", "progression_day"]], on="patient_id", how="left")
    in_span = (
        (span["draw_day"] >= span["baseline_day"])
        & (span["progression_day"].isna() | (span["draw_day"] <= span["progression_day"] + phigh))
        & span["erbb2_cn"].notna()
    )
    nadir_rows = span[in_span].sort_values(["patient_id", "erbb2_cn", "draw_day"], kind="stable")
    nadir = nadir_rows.groupby("patient_id", sort=False).head(1)[["patient_id", "erbb2_cn", "draw_day"]]
    return patients.merge(
        nadir.rename(columns={"erbb2_cn": "nadir_erbb2_cn", "draw_day": "nadir_day"}),
        on="patient_id",
        how="left",
    )


def _follow_up(patients: pd.DataFrame) -> np.ndarray:
    """Step 9: progressed; censored (PFS status recorded as censored); status unknown (no PFS status
    but a PFS time or an assessment after baseline); not followed (none of these)."""
    progressed = patients["progressed"].astype(bool).to_numpy()
    censored = (patients["pfs_event"].astype("boolean") == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712
    seen = (patients["pfs_months"].notna() | patients["first_evaluation_day"].notna()).to_numpy(dtype=bool)
    return np.select([progressed, censored, seen], [PROGRESSED, CENSORED, STATUS_UNKNOWN], NOT_FOLLOWED)


def _resistance_class(patients: pd.DataFrame, innate_pfs_months: float) -> np.ndarray:
    """Step 10: innate (progression at first evaluation or PFS < cutoff), acquired (other progressors),
    none (known progression-free: censored), unknown (not followed or status unknown)."""
    progressed = patients["progressed"].astype(bool)
    known_free = (patients["follow_up"] == CENSORED).to_numpy(dtype=bool)
    at_first = (patients["first_evaluation_response"] == "PD").fillna(False).astype(bool) | (
        patients["progression_day"] <= patients["first_evaluation_day"]
    ).fillna(False).astype(bool)
    short = (patients["pfs_months"] < innate_pfs_months).fillna(False).astype(bool)
    return np.select(
        [progressed & (at_first | short), progressed, known_free], [INNATE, ACQUIRED, NO_PROGRESSION], UNKNOWN_CLASS
    )


def _summary(patients: pd.DataFrame, draws: pd.DataFrame, cea: pd.DataFrame, imaging: pd.DataFrame) -> pd.DataFrame:
    """Cohort counts of the trajectory step (measure, value)."""
    return pd.DataFrame(
        {
            "measure": [
                "patients",
                "plasma draws",
                "draws with ERBB2 CN",
                "draws with evaluable tumour fraction",
                "patients with baseline draw",
                "progressors",
                "innate",
                "acquired",
                "CEA values (patient-days)",
                "imaging assessments",
            ],
            "value": [
                len(patients),
                len(draws),
                int(draws["erbb2_cn"].notna().sum()),
                int(draws["tumour_fraction_evaluable"].fillna(False).sum()),
                int(patients["baseline_sample_id"].notna().sum()),
                int(patients["progressed"].sum()),
                int((patients["resistance_class"] == INNATE).sum()),
                int((patients["resistance_class"] == ACQUIRED).sum()),
                len(cea),
                len(imaging),
            ],
        }
    )


def _aligned(draws: pd.DataFrame, cea: pd.DataFrame, imaging: pd.DataFrame) -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {
                "patient_id": draws["patient_id"],
                "day": draws["draw_day"],
                "measure": "erbb2_cn",
                "value": draws["erbb2_cn"],
                "unit": "copies",
                "flag": np.where(draws["erbb2_amplified"].fillna(False), "amplified", ""),
            }
        ),
        pd.DataFrame(
            {
                "patient_id": draws["patient_id"],
                "day": draws["draw_day"],
                "measure": "erbb2_cn_adjusted",
                "value": draws["erbb2_cn_adjusted"],
                "unit": "copies",
                "flag": draws["adjusted_note"],
            }
        ),
        pd.DataFrame(
            {
                "patient_id": cea["patient_id"],
                "day": cea["day"],
                "measure": "cea",
                "value": cea["cea"],
                "unit": "ng/mL",
                "flag": np.where(
                    cea["averaged"], "mean of " + cea["n_values"].astype(str) + " same-day values", ""
                ),
            }
        ),
        pd.DataFrame(
            {
                "patient_id": imaging["patient_id"],
                "day": imaging["day"],
                "measure": "tumour_size",
                "value": imaging["target_lesion_sum_mm"],
                "unit": "mm",
                "flag": imaging["recist_response"].fillna(""),
            }
        ),
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_frame(ALIGNED_COLUMNS)
    out = pd.concat(parts, ignore_index=True).sort_values(["patient_id", "day", "measure"], kind="stable")
    return typed_frame(out, ALIGNED_COLUMNS)
