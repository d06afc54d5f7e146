"""The knowledge base is chosen by a server-side id: a path sent by a client is never opened."""

from __future__ import annotations

import os
import shutil

import pytest

from analysis.params import AnalysisParameters
from dashboard import analysis_service
from dashboard.analysis_cache import AnalysisCache
from dashboard.parameters import params_from_store
from dashboard.study_service import StudyService


@pytest.fixture
def service(tiny_study_dir, tmp_path):
    shutil.copy(analysis_service.DEFAULT_KB_FILE, tiny_study_dir / "local_kb.tsv")
    previous = analysis_service._analysis
    service = analysis_service.AnalysisService(StudyService(tiny_study_dir), AnalysisCache(tmp_path / "cache"))
    analysis_service.set_analysis_service(service)
    yield service
    analysis_service._analysis = previous


def test_choices_are_ids_not_paths(service):
    choices = service.knowledge_bases()
    assert set(choices) == {"default", "study:local_kb.tsv"}
    assert all(os.sep not in key for key in choices)


def test_a_path_in_the_parameter_store_is_refused_and_never_opened(service, tmp_path, monkeypatch):
    sentinel = tmp_path / "sentinel_kb.tsv"
    shutil.copy(analysis_service.DEFAULT_KB_FILE, sentinel)
    opened: list[str] = []
    real_open = open

    def spy(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    monkeypatch.setattr("pathlib.Path.read_bytes", lambda self: (opened.append(str(self)), b"")[1])
    params = params_from_store({"kb": str(sentinel), "cutoff": "2.6"})
    assert params.knowledge_base == "default" and params.plasma_amplification_cn == 2.6
    assert service.knowledge_base_path(AnalysisParameters(knowledge_base=str(sentinel))) == \
        analysis_service.DEFAULT_KB_FILE
    service._kb_fingerprint(AnalysisParameters(knowledge_base=str(sentinel)))
    assert str(sentinel) not in opened


def test_a_known_id_selects_its_file(service):
    params = params_from_store({"kb": "study:local_kb.tsv"})
    assert params.knowledge_base == "study:local_kb.tsv"
    assert service.knowledge_base_path(params).name == "local_kb.tsv"
    assert service._knowledge_base(params).table.shape[0] > 0
