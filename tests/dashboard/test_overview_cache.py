"""The Overview's study counts are made once per study and then served from the analysis cache."""

from __future__ import annotations

import sys

from dashboard.server import create_app
from dashboard.settings import Settings


def _text(node) -> str:
    if isinstance(node, (list, tuple)):
        return " ".join(_text(child) for child in node)
    if hasattr(node, "to_plotly_json"):
        return _text(getattr(node, "children", None))
    return "" if node is None else str(node)


def test_the_study_counts_are_counted_once(demo_study_dir, tmp_path, monkeypatch):
    create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    from dashboard.pages.overview import layout  # a page module: imported once an app exists

    overview_page = sys.modules[layout.__module__]

    counted: list[int] = []
    original = overview_page.study_summary

    def counting(study):
        counted.append(1)
        return original(study)

    monkeypatch.setattr(overview_page, "study_summary", counting)
    first = _text(overview_page.layout())
    second = _text(overview_page.layout())
    assert counted == [1]
    assert first == second and "78" in first  # the demo's 78 patients, the same page both times
