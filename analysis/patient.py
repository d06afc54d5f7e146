"""One patient's analysis, computed on that patient alone (fast on any cohort size).

Every per-patient quantity of design.md section 3 (trajectory, response, resistance
class, mechanism calls) depends only on that patient's own data, so the patient
page does not wait for the whole cohort.

When the whole-cohort analysis under the same parameters is already at hand,
:func:`patient_from_cohort` takes the patient's rows of it instead of recomputing
them (the same result, field by field: ``tests/analysis/test_patient_from_cohort.py``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from analysis.caveats import COHORT, caveats_except, tag
from analysis.cohort_rows import CohortRows, rows_of
from analysis.params import AnalysisParameters
from analysis.resistance import (
    KnowledgeBase,
    ResistanceResult,
    call_mechanisms,
    load_knowledge_base,
    mechanism_enrichment,
    mechanism_share_table,
)
from analysis.schema import STRUCTURAL_VARIANTS
from analysis.study import Study
from analysis.trajectory import TrajectoryResult, analyse_trajectories, patient_trajectories
from analysis.tumour_fraction import tumour_fraction, tumour_fraction_notes

if TYPE_CHECKING:
    from analysis.cohort import CohortAnalysis


def subset_study(study: Study, patient_ids: list[str]) -> Study:
    """The same study restricted to *patient_ids* (tables filtered, provenance kept).

    Sample-level extra tables (structural variants, gene panels, segments, case lists) keep the rows of
    the patients' samples; the panel gene lists are kept whole.  Rows are found through the study's
    :attr:`~analysis.study.Study.patient_index`, without scanning the cohort's tables.
    """
    index = study.patient_index

    def own(name: str) -> pd.DataFrame:
        return index.take(name, getattr(study, name), patient_ids)

    return Study(
        patients=own("patients"), samples=own("samples"), variants=own("variants"), copy_number=own("copy_number"),
        timeline=own("timeline"),
        meta=study.meta, report=study.report, provenance=study.provenance, notes=study.notes, path=study.path,
        structural_variants=own("structural_variants"), gene_panels=own("gene_panels"),
        panel_genes=study.panel_genes, case_lists=own("case_lists"), segments=own("segments"), files=study.files,
    )


@dataclass(frozen=True)
class PatientAnalysis:
    """One patient's results.

    Attributes
    ----------
    patient_id
        The patient.
    clinical
        The patient's row of the patients table (HER2 status, PFS, OS, free attributes).
    samples
        The patient's samples (plasma draws and tissue), by collection day.
    variants
        The patient's variants with ``collection_day``, ``sample_type`` and ``timepoint`` of their sample.
    copy_number
        The patient's gene-level copy number, with the same sample columns.
    structural_variants
        The patient's structural variants and fusions (:data:`analysis.schema.STRUCTURAL_VARIANTS`),
        with the same sample columns.
    treatments
        TREATMENT events (``agent, start_day, stop_day``).
    tumour_fractions
        :func:`analysis.tumour_fraction.tumour_fraction` of each of the patient's samples.
    trajectories
        :class:`analysis.trajectory.TrajectoryResult` of this patient alone.
    resistance
        :class:`analysis.resistance.ResistanceResult` of this patient alone.
    caveats
        Caveats of both that concern this patient (cohort-only caveats, such as enrichment across
        resistance classes or "no progressors", are left out: they belong to the cohort pages).
    """

    patient_id: str
    clinical: pd.DataFrame
    samples: pd.DataFrame
    variants: pd.DataFrame
    copy_number: pd.DataFrame
    treatments: pd.DataFrame
    tumour_fractions: pd.DataFrame
    trajectories: TrajectoryResult
    resistance: ResistanceResult
    caveats: tuple[str, ...] = ()
    structural_variants: pd.DataFrame = dataclasses.field(default_factory=STRUCTURAL_VARIANTS.empty)

    @property
    def found(self) -> bool:
        return len(self.clinical) == 1


def analyse_patient(study: Study, patient_id: str, params: AnalysisParameters = AnalysisParameters(),
                    knowledge_base: KnowledgeBase | None = None) -> PatientAnalysis:
    """Trajectory, resistance class and mechanism calls of one patient.

    An unknown patient gives an empty result (``found`` is False), not an exception.
    """
    own = subset_study(study, [patient_id])
    kb = knowledge_base or load_knowledge_base(params.knowledge_base)
    fractions = tumour_fraction(own.variants, own.samples["sample_id"], min_tumour_fraction=params.min_tumour_fraction)
    trajectories = analyse_trajectories(own, params, tumour_fractions=fractions)
    resistance = call_mechanisms(own, trajectories, params, knowledge_base=kb)
    return _patient_analysis(own, patient_id, fractions, trajectories, resistance)


def patient_from_cohort(study: Study, patient_id: str, cohort: CohortAnalysis) -> PatientAnalysis:
    """:func:`analyse_patient` of *patient_id* under ``cohort.params``, taken from the whole-cohort result
    *cohort* of *study* (same parameters and knowledge base) where the cohort result holds it per patient.

    - Tumour fractions (per sample) and the resistance calls (evidence, calls and patients tables, per
      patient) are the patient's rows of the cohort's; the resistance summary, enrichment and caveats,
      which are counts over the patients analysed, are computed again from those rows by the same code
      as :func:`analysis.resistance.call_mechanisms` (cheap).
    - The trajectories are the patient's rows of the cohort's too, with their summary and caveats counted
      again from those rows (:func:`analysis.trajectory.patient_trajectories`).
    """
    own = subset_study(study, [patient_id])
    index = rows_of(cohort)
    # Both sorted by sample id (analysis.tumour_fraction.tumour_fraction).
    fractions = index.of_any(cohort.tumour_fractions, "sample_id", own.samples["sample_id"].astype(str))
    trajectories = patient_trajectories(cohort.trajectories, patient_id, own.samples, cohort.params,
                                        own_rows=lambda frame: index.of(frame, "patient_id", patient_id))
    resistance = _resistance_of(cohort.resistance, patient_id, index)
    return _patient_analysis(own, patient_id, fractions, trajectories, resistance)


def index_cohort(cohort: CohortAnalysis) -> None:
    """Build the index of each patient's rows in *cohort* that :func:`patient_from_cohort` uses (else built
    on its first call), e.g. in a server worker before any patient page asks."""
    index = rows_of(cohort)
    trajectories, resistance = cohort.trajectories, cohort.resistance
    for frame in (trajectories.draws, trajectories.cea, trajectories.imaging, trajectories.patients,
                  trajectories.aligned, resistance.evidence, resistance.calls, resistance.patients):
        index.of(frame, "patient_id", "")
    index.of(cohort.tumour_fractions, "sample_id", "")


def _resistance_of(cohort: ResistanceResult, patient_id: str, index: CohortRows) -> ResistanceResult:
    """The cohort's resistance result restricted to one patient (summary, enrichment, caveats recounted)."""
    evidence = index.of(cohort.evidence, "patient_id", patient_id)
    calls = index.of(cohort.calls, "patient_id", patient_id)
    patients = index.of(cohort.patients, "patient_id", patient_id)
    caveats: list[str] = []
    topics: list[str] = []
    enrichment = mechanism_enrichment(patients, evidence[evidence["evidence_direction"] == "resistance"], caveats)
    tag(caveats, topics, COHORT)
    summary = mechanism_share_table(patients, cohort.knowledge_base, caveats, topics)
    return ResistanceResult(evidence=evidence, calls=calls, patients=patients, enrichment=enrichment,
                            knowledge_base=cohort.knowledge_base, summary=summary, caveats=tuple(caveats),
                            caveat_topics=tuple(zip(topics, caveats, strict=True)))


def _patient_analysis(own: Study, patient_id: str, fractions: pd.DataFrame, trajectories: TrajectoryResult,
                      resistance: ResistanceResult) -> PatientAnalysis:
    """The PatientAnalysis of the one-patient study *own* from its analysis results."""
    sample_info = own.samples[["sample_id", "sample_type", "collection_day", "timepoint"]]
    variants = own.variants.merge(sample_info, on="sample_id", how="left").sort_values(
        ["collection_day", "gene"], kind="stable").reset_index(drop=True)
    copy_number = own.copy_number.merge(sample_info, on="sample_id", how="left").sort_values(
        ["collection_day", "gene"], kind="stable").reset_index(drop=True)
    structural_variants = own.structural_variants.merge(sample_info, on="sample_id", how="left").sort_values(
        ["collection_day", "gene1"], kind="stable").reset_index(drop=True)
    treatments = own.events("TREATMENT")[["agent", "start_day", "stop_day"]]
    return PatientAnalysis(
        patient_id=patient_id,
        clinical=own.patients,
        samples=own.samples.sort_values("collection_day", kind="stable").reset_index(drop=True),
        variants=variants,
        copy_number=copy_number,
        structural_variants=structural_variants,
        treatments=treatments,
        tumour_fractions=fractions,
        trajectories=trajectories,
        resistance=resistance,
        caveats=(*tumour_fraction_notes(fractions), *caveats_except(trajectories.caveat_topics, COHORT),
                 *caveats_except(resistance.caveat_topics, COHORT)),
    )
