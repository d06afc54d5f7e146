"""Every callback stays on its own page: one that reads a page's controls writes at least one of that page's
components, or it would fire on every page (whose frame holds the stores it writes) without its inputs."""

from __future__ import annotations

import dash
import pytest

from dashboard.server import create_app
from dashboard.settings import Settings


def _ids(tree) -> set[str]:
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
            return
        if not hasattr(node, "to_plotly_json"):
            return
        ident = getattr(node, "id", None)
        if isinstance(ident, str):
            found.add(ident)
        walk(getattr(node, "children", None))

    walk(tree)
    return found


@pytest.fixture(scope="module")
def app_and_pages(tmp_path_factory, demo_study_dir):
    app = create_app(Settings(study=demo_study_dir, cache_dir=tmp_path_factory.mktemp("scope-cache")))
    pages = {}
    for page in dash.page_registry.values():
        layout = page["layout"]
        if callable(layout):
            kwargs = {"patient_id": "P001"} if "patient_id" in (page.get("path_template") or "") else {}
            layout = layout(**kwargs)
        pages[page["path"]] = _ids(layout) | _ids(app.layout if not callable(app.layout) else app.layout())
    return app, pages


def _parts(spec: str) -> list[str]:
    return [part.rsplit(".", 1)[0] for part in spec.strip(".").split("...") if part]


def test_a_callback_never_fires_on_a_page_that_lacks_some_of_its_inputs(app_and_pages):
    """On a page holding an output of a callback and some but not all of its inputs, Dash runs it when a
    present input changes and fails ("A nonexistent object was used in an Input"): e.g. a Resistance
    callback that also wrote the frame's page state would run on the Response page."""
    app, pages = app_and_pages
    assert all("page-state" in present for path, present in pages.items() if path != "/404")
    wrong = []
    for output, callback in app.callback_map.items():
        inputs = {i["id"] for i in callback["inputs"] if isinstance(i["id"], str)}
        outputs = {o.split("@")[0] for o in _parts(output) if not o.startswith("{")}
        for path, present in pages.items():
            if outputs & present and inputs & present and inputs - present:
                wrong.append((path, sorted(outputs), sorted(inputs - present)))
    assert wrong == [], "callbacks run without their inputs: " + repr(wrong)
