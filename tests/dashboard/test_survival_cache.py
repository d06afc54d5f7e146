"""The Survival page's tables and figure are one cached view: a second call computes nothing."""

from __future__ import annotations

import dashboard.callbacks.survival as survival_callbacks
from dashboard.analysis_service import get_analysis_service
from dashboard.server import create_app
from dashboard.settings import Settings


def test_a_second_survival_call_computes_nothing(demo_study_dir, tmp_path, monkeypatch):
    create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    service = get_analysis_service()
    built: list[str] = []
    original = survival_callbacks.survival_view

    def counting(*args, **kwargs):
        built.append("view")
        return original(*args, **kwargs)

    monkeypatch.setattr(survival_callbacks, "survival_view", counting)
    first = survival_callbacks.draw_survival({}, "mechanism_count", None, None, "pfs", None)
    assert built == ["view"]

    def no_cohort(*_args, **_kwargs):
        raise AssertionError("the cohort analysis was asked for again")

    cohort = service.cohort
    monkeypatch.setattr(service, "cohort", no_cohort)
    second = survival_callbacks.draw_survival({}, "mechanism_count", None, None, "pfs", None)
    assert built == ["view"]  # served from the analysis cache
    assert second[1] == first[1] and second[0] == first[0] and repr(second[2]) == repr(first[2])
    monkeypatch.setattr(service, "cohort", cohort)
    survival_callbacks.draw_survival({}, "baseline_mutation", None, None, "pfs", None)
    assert built == ["view"] * 2  # another grouping is another key
