"""The documentation stays true to the code."""

from __future__ import annotations

import re

from analysis import schema
from tests.conftest import PROJECT_ROOT


def test_data_dictionary_documents_every_declared_column():
    text = (PROJECT_ROOT / "docs" / "data_dictionary.md").read_text()
    tables = schema.ALL_TABLES + schema.EXTRA_TABLES
    missing = [f"{t.name}.{c.name}" for t in tables for c in t.columns if f"`{c.name}`" not in text]
    assert missing == []


def test_readme_starts_with_the_two_setup_commands():
    text = (PROJECT_ROOT / "README.md").read_text()
    commands = re.findall(r"^make (\w+)", text, flags=re.MULTILINE)
    assert commands[:2] == ["run", "test"]
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, flags=re.MULTILINE) and re.search(r"^test:", makefile, flags=re.MULTILINE)
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()
