"""The dashboard's access to analysis results, always through the disk cache.

Callbacks ask this service; it asks the cache with a key of (study content
hash, analysis version, parameters, ...) and computes with the pure analysis
functions on a miss.  Pages never call the analysis layer directly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis.cohort import CohortAnalysis, analyse_cohort
from analysis.params import AnalysisParameters
from analysis.patient import PatientAnalysis, analyse_patient, patient_from_cohort
from analysis.resistance import KnowledgeBase, load_knowledge_base
from analysis.study import Study
from dashboard.analysis_cache import AnalysisCache, cache_key
from dashboard.settings import PROJECT_ROOT
from dashboard.study_service import StudyService

DEFAULT_KB_LABEL = "default (data/resistance_kb.tsv)"


#: The knowledge base shipped with the dashboard.
DEFAULT_KB_FILE = PROJECT_ROOT / "data" / "resistance_kb.tsv"


class AnalysisService:
    """Cached analysis of the open study."""

    def __init__(self, studies: StudyService, cache: AnalysisCache) -> None:
        self.studies = studies
        self.cache = cache
        self._hash_for: tuple[int, str] | None = None
        self._kb_hashes: dict[tuple[str, int, int], str] = {}
        self._kb_choices: tuple[tuple, dict[str, Path]] | None = None

    # ------------------------------------------------------------------ study identity
    @property
    def study(self) -> Study:
        return self.studies.study

    def study_hash(self) -> str:
        """Content hash of the open study (computed once per loaded study object)."""
        study = self.studies.study
        if self._hash_for is None or self._hash_for[0] != id(study):
            self._hash_for = (id(study), study.content_hash)
        return self._hash_for[1]

    # ------------------------------------------------------------------ knowledge bases
    def knowledge_base_files(self) -> dict[str, Path]:
        """Knowledge-base choices as server-side files: ``default`` plus ``*kb*.tsv`` files in
        ``data/knowledge_bases/`` and in the study folder, each under an id (``data:NAME``, ``study:NAME``).

        Clients only ever send one of these ids; a path from a client is never opened.
        """
        folders = (("data", PROJECT_ROOT / "data" / "knowledge_bases"), ("study", self.studies.folder))
        # Asked on every callback and cache lookup: list the folders again only when one of them changed.
        stamp = tuple((str(folder), folder.stat().st_mtime_ns if folder.is_dir() else None) for _, folder in folders)
        if self._kb_choices is None or self._kb_choices[0] != stamp:
            choices = {"default": DEFAULT_KB_FILE}
            for prefix, folder in folders:
                if folder.is_dir():
                    for path in sorted(folder.glob("*kb*.tsv")):
                        # Regular files inside the folder only: no link out of it, no pipe or device.
                        if path.is_file() and path.resolve().is_relative_to(folder.resolve()):
                            choices[f"{prefix}:{path.name}"] = path.resolve()
            self._kb_choices = (stamp, choices)
        return dict(self._kb_choices[1])

    def knowledge_bases(self) -> dict[str, str]:
        """Knowledge-base choices: id -> label (see :meth:`knowledge_base_files`)."""
        labels = {"default": DEFAULT_KB_LABEL}
        for key, path in self.knowledge_base_files().items():
            if key != "default":
                labels[key] = f"{path.name} ({path.parent.name}/)"
        return labels

    def knowledge_base_path(self, params: AnalysisParameters) -> Path:
        """The file of the knowledge base *params* names by id; unknown ids mean the default."""
        files = self.knowledge_base_files()
        return files.get(str(params.knowledge_base), files["default"])

    def _knowledge_base(self, params: AnalysisParameters) -> KnowledgeBase:
        return load_knowledge_base(self.knowledge_base_path(params))

    def _kb_fingerprint(self, params: AnalysisParameters) -> str:
        """A user's knowledge-base file is part of the key: editing it invalidates what used it."""
        path = self.knowledge_base_path(params)
        if not path.is_file():
            return "missing"
        # Every cached lookup asks for this: hash the file only when its size or time changed.
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in self._kb_hashes:
            self._kb_hashes[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        return self._kb_hashes[key]

    # ------------------------------------------------------------------ results
    def cohort_key(self, params: AnalysisParameters) -> str:
        return cache_key("cohort", self.study_hash(), params, self._kb_fingerprint(params))

    def cohort_is_cached(self, params: AnalysisParameters) -> bool:
        return self.cache.contains(self.cohort_key(params))

    def cohort(self, params: AnalysisParameters,
               progress: Callable[[int, int, str], None] | None = None) -> CohortAnalysis:
        """The whole-cohort analysis (see :func:`analysis.cohort.analyse_cohort`)."""
        study = self.study
        return self.cache.get("cohort", self.study_hash(), params,
                              lambda: analyse_cohort(study, params, self._knowledge_base(params), progress=progress),
                              self._kb_fingerprint(params))

    def cached_cohort(self, params: AnalysisParameters) -> CohortAnalysis | None:
        """The whole-cohort analysis under *params* when it is already cached, else None (never computed here)."""
        if not self.cohort_is_cached(params):
            return None

        def not_cached() -> CohortAnalysis:
            raise _NotCached  # evicted since contains(): the caller does without

        try:
            return self.cache.get("cohort", self.study_hash(), params, not_cached, self._kb_fingerprint(params))
        except _NotCached:
            return None

    def patient(self, patient_id: str, params: AnalysisParameters) -> PatientAnalysis:
        """One patient's analysis: the patient's rows of the cached whole-cohort analysis under the same
        parameters when there is one (:func:`analysis.patient.patient_from_cohort`), else computed on that
        patient alone (:func:`analysis.patient.analyse_patient`; a patient page never starts a cohort analysis).
        Both give the same result."""
        study = self.study

        def compute() -> PatientAnalysis:
            cohort = self.cached_cohort(params)
            if cohort is not None:
                return patient_from_cohort(study, patient_id, cohort)
            return analyse_patient(study, patient_id, params, self._knowledge_base(params))

        return self.cache.get("patient", self.study_hash(), params, compute, self._kb_fingerprint(params), patient_id)

    def view(self, kind: str, params: AnalysisParameters, build: Callable[[], Any], *extra: Any) -> Any:
        """A cached view model (figure dicts, table records) built from analysis results."""
        return self.cache.get(f"view-{kind}", self.study_hash(), params, build, self._kb_fingerprint(params), *extra)

    def patient_ids(self) -> list[str]:
        """Patient identifiers in study order."""
        return self.study.patients["patient_id"].astype(str).tolist()


class _NotCached(Exception):
    """Raised inside a cache lookup that must not compute."""


_analysis: AnalysisService | None = None


def set_analysis_service(service: AnalysisService) -> None:
    global _analysis
    _analysis = service


def get_analysis_service() -> AnalysisService:
    if _analysis is None:
        raise RuntimeError("the dashboard has no analysis service; build the app with dashboard.server.create_app")
    return _analysis
