"""What the tumour-board report of one patient shows, gathered from the patient's analysis and the study."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from analysis import ANALYSIS_VERSION
from analysis.answers import PatientAnswers, patient_answers
from analysis.params import AnalysisParameters
from analysis.patient import PatientAnalysis, analyse_patient
from analysis.resistance import KnowledgeBase, load_knowledge_base
from analysis.study import Study
from analysis.wording import pathway_name
from dashboard.figures.patient import patient_timeline
from dashboard.report.errors import ReportError
from dashboard.report.figure import print_figure
from dashboard.views.data import knowledge_base_table, parameter_table, provenance_table, study_identity
from dashboard.views.patient import alteration_table, evidence_table, header_facts, vaf_tracks

#: Said on every report, at the top and in the footer of every page.
RESEARCH_USE = "For research use; not a diagnostic report."


@dataclass(frozen=True)
class TumourBoardReport:
    """One patient's report, every part ready to render.

    Attributes
    ----------
    patient_id, study_id, study_name
        Who and which study.
    answers
        :class:`analysis.answers.PatientAnswers` (the two sentences shown first).
    summary
        Patient summary cards: ``value, label, detail`` (the patient page's header).
    figure
        The patient page's timeline, styled for print (:func:`dashboard.report.figure.print_figure`).
    draws
        The patient's samples: ``sample_id, sample_type, timepoint, day``, by day.
    alterations
        Every alteration of every sample (:func:`dashboard.views.patient.alteration_table`).
    calls
        One row per mechanism: ``pathway, genes, alterations, status``.
    evidence
        Every supporting alteration with status, VAF, copy number and citation
        (:func:`dashboard.views.patient.evidence_table`).
    caveats
        The patient's caveats.
    parameters
        The parameters in force (:func:`dashboard.views.data.parameter_table`).
    knowledge_base
        Version, file and SHA-256 of the knowledge base in force (``field, value``).
    study_identity
        Study id, name, folder, content hash, counts (``field, value``).
    provenance
        Every study file read: ``file, bytes, rows, sha256``.
    generated_at
        When the report was made (UTC).
    software_version
        :data:`analysis.ANALYSIS_VERSION`.
    """

    patient_id: str
    study_id: str
    study_name: str
    answers: PatientAnswers
    summary: pd.DataFrame
    figure: dict
    draws: pd.DataFrame
    alterations: pd.DataFrame
    calls: pd.DataFrame
    evidence: pd.DataFrame
    caveats: tuple[str, ...]
    parameters: pd.DataFrame
    knowledge_base: pd.DataFrame
    study_identity: pd.DataFrame
    provenance: pd.DataFrame
    generated_at: datetime
    software_version: str = ANALYSIS_VERSION
    research_use: str = RESEARCH_USE


def build_report(study: Study, patient_id: str, params: AnalysisParameters = AnalysisParameters(),
                 knowledge_base: KnowledgeBase | None = None, *, patient: PatientAnalysis | None = None,
                 generated_at: datetime | None = None, content_hash: str | None = None) -> TumourBoardReport:
    """Gather the report of *patient_id*.

    Parameters
    ----------
    study
        The open study (its provenance and identity go into the report).
    patient_id
        The patient.
    params
        The parameters in force.
    knowledge_base
        The knowledge base in force (default: ``params.knowledge_base`` read from disk).
    patient
        The patient's analysis when already computed (the dashboard's cache), else computed here.
    generated_at
        The report's date (default: now, UTC).
    content_hash
        :attr:`Study.content_hash` when already known.

    Raises
    ------
    ReportError
        The patient is not in the study.
    """
    kb = knowledge_base or load_knowledge_base(params.knowledge_base)
    patient = patient or analyse_patient(study, patient_id, params, kb)
    if not patient.found:
        known = study.patients["patient_id"].astype(str).tolist()
        raise ReportError(f"no patient {patient_id!r} in study {study.meta.study_id!r} "
                          f"({len(known)} patients, e.g. {', '.join(known[:3]) or 'none'})")
    figure = print_figure(patient_timeline(patient, vaf_tracks(patient), params))
    samples = patient.samples
    draws = pd.DataFrame({"sample_id": samples["sample_id"], "sample_type": samples["sample_type"],
                          "timepoint": samples["timepoint"], "day": samples["collection_day"]})
    calls = patient.resistance.calls
    calls = pd.DataFrame({"pathway": calls["pathway"].map(pathway_name), "genes": calls["genes"],
                          "alterations": calls["alterations"], "status": calls["status"]})
    kb_table = knowledge_base_table(kb)
    kb_table = kb_table[kb_table["field"].isin(["Version", "File", "SHA-256", "Rules"])].reset_index(drop=True)
    return TumourBoardReport(
        patient_id=patient_id,
        study_id=study.meta.study_id,
        study_name=study.meta.name,
        answers=patient_answers(patient, params),
        summary=pd.DataFrame(header_facts(patient), columns=["value", "label", "detail"]),
        figure=figure,
        draws=draws.reset_index(drop=True),
        alterations=alteration_table(patient),
        calls=calls,
        evidence=evidence_table(patient),
        caveats=tuple(patient.caveats),
        parameters=parameter_table(params),
        knowledge_base=kb_table,
        study_identity=study_identity(study, study.path or "(built in memory)", content_hash),
        provenance=provenance_table(study) if len(study.provenance) else pd.DataFrame(
            columns=["file", "bytes", "rows", "sha256"]),
        generated_at=generated_at or datetime.now(UTC),
    )
