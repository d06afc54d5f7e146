"""System tools the tests need, as declared in ``system-packages.txt`` (the one place they are listed).

A test that needs a tool is marked ``@pytest.mark.needs_tool("samtools")``; browser tests (those using
``dash_duo``) need ``chromium`` and ``chromedriver`` implicitly. When a tool is missing the test is
skipped with the Debian package that brings it, except under ``make test`` / CI
(``HER2_REQUIRE_SYSTEM_TOOLS=1``), where a missing tool is a failure: the suite never goes green by
skipping what it could not run.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

DECLARATIONS = Path(__file__).resolve().parents[1] / "system-packages.txt"
REQUIRE_ENV = "HER2_REQUIRE_SYSTEM_TOOLS"
BROWSER_TOOLS = ("chromium", "chromedriver")


@dataclass(frozen=True)
class SystemTool:
    section: str
    package: str
    command: str


def declared_tools(path: Path = DECLARATIONS) -> dict[str, SystemTool]:
    """Command name -> its declaration, from the declarations file."""
    tools: dict[str, SystemTool] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) != 3:
            raise ValueError(f"{path}:{number}: expected 'section package command', got {line!r}")
        section, package, command = fields
        tools[command] = SystemTool(section, package, command)
    return tools


def tools_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def missing_tool_message(command: str, tools: dict[str, SystemTool] | None = None) -> str | None:
    """None when ``command`` is on PATH, else a sentence naming the package that brings it."""
    if shutil.which(command):
        return None
    tools = declared_tools() if tools is None else tools
    tool = tools.get(command)
    if tool is None:
        return f"{command} is not installed, and system-packages.txt does not declare it (add it there)"
    return (f"{command} is not installed: Debian package {tool.package} "
            f"(`make test` installs it, or `.ci/system-packages {tool.section}`)")
