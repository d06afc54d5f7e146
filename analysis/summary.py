"""Descriptive counts of an open study: what the first page of the dashboard shows."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis import schema
from analysis.study import Study


@dataclass(frozen=True)
class StudySummary:
    """Counts describing a study.

    Attributes
    ----------
    n_patients, n_samples, n_variants, n_copy_number_genes
        Totals.
    n_followed_patients
        Patients with more than one plasma draw (serial monitoring).
    n_serial_draws
        Plasma draws of the followed patients, baseline included.
    n_progressions
        Patients with an observed progression (PFS event).
    samples_by_type_timepoint
        Columns ``sample_type``, ``timepoint``, ``samples``, ``patients``, ``undated`` (samples without a
        collection day: left out of timelines and trajectories);
        one row per combination present, then per canonical value order.
    her2_status
        Columns ``her2_status`` (POSITIVE, NEGATIVE, Not recorded), ``patients``.
    """

    n_patients: int
    n_samples: int
    n_variants: int
    n_copy_number_genes: int
    n_followed_patients: int
    n_serial_draws: int
    n_progressions: int
    samples_by_type_timepoint: pd.DataFrame
    her2_status: pd.DataFrame


def study_summary(study: Study) -> StudySummary:
    """Count patients, samples by type and timepoint, HER2 status and serial draws.

    >>> from analysis.study import Study
    >>> study_summary(Study.from_tables()).n_patients
    0
    """
    samples = study.samples
    by_type = (samples.assign(sample_type=samples["sample_type"].fillna("not recorded"),
                              timepoint=samples["timepoint"].fillna("not recorded"))
               .groupby(["sample_type", "timepoint"], sort=False)
               .agg(samples=("sample_id", "size"), patients=("patient_id", "nunique"),
                    undated=("collection_day", lambda days: int(days.isna().sum())))
               .reset_index())
    type_order = {v: i for i, v in enumerate(schema.SAMPLE_TYPES)}
    tp_order = {v: i for i, v in enumerate(schema.TIMEPOINTS)}
    by_type = (by_type.assign(_t=by_type["sample_type"].map(type_order).fillna(99),
                              _p=by_type["timepoint"].map(tp_order).fillna(99))
               .sort_values(["_t", "_p"]).drop(columns=["_t", "_p"]).reset_index(drop=True))
    by_type[["samples", "patients", "undated"]] = by_type[["samples", "patients", "undated"]].astype("int64")

    status = study.patients["her2_status"].fillna("Not recorded")
    her2 = (status.value_counts().reindex(["POSITIVE", "NEGATIVE", "Not recorded"], fill_value=0)
            .rename_axis("her2_status").reset_index(name="patients"))
    her2 = her2[(her2["patients"] > 0) | her2["her2_status"].isin(["POSITIVE", "NEGATIVE"])].reset_index(drop=True)

    # Serial draws are dated plasma draws: the same ones the trajectories use (undated ones are counted
    # in samples_by_type_timepoint["undated"] and said on the Data page).
    plasma = samples[(samples["sample_type"] == "plasma").fillna(False) & samples["collection_day"].notna()]
    draws_per_patient = plasma.groupby("patient_id").size()
    followed = draws_per_patient[draws_per_patient > 1]
    return StudySummary(
        n_patients=int(study.patients["patient_id"].nunique()),
        n_samples=int(len(samples)),
        n_variants=int(len(study.variants)),
        n_copy_number_genes=int(study.copy_number["gene"].nunique()),
        n_followed_patients=int(len(followed)),
        n_serial_draws=int(followed.sum()),
        n_progressions=int(study.patients["pfs_event"].fillna(False).sum()),
        samples_by_type_timepoint=by_type,
        her2_status=her2,
    )
