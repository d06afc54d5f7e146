"""The system-package mechanism: one declarations file, a script that installs or names what is missing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.system_tools import DECLARATIONS, declared_tools, missing_tool_message

SCRIPT = DECLARATIONS.parent / ".ci" / "system-packages"


def run_script(tmp_path: Path, declarations: str, mode: str = "check") -> subprocess.CompletedProcess[str]:
    file = tmp_path / "system-packages.txt"
    file.write_text(declarations)
    env = {**os.environ, "SYSTEM_PACKAGES_FILE": str(file), "SYSTEM_PACKAGES_MODE": mode}
    return subprocess.run([str(SCRIPT), "test"], env=env, capture_output=True, text=True, timeout=60)


def test_the_tools_the_tests_use_are_declared():
    tools = declared_tools()
    for command in ("chromium", "chromedriver", "samtools"):
        assert tools[command].section == "test"
    assert tools["chromedriver"].package == "chromium-driver"


def test_present_tools_pass_quietly(tmp_path):
    result = run_script(tmp_path, "# comment\ntest  coreutils  ls\nrun  nosuch-pkg  nosuch-cmd\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_missing_tool_names_the_package_and_the_command(tmp_path):
    result = run_script(tmp_path, "test coreutils ls\ntest her2-nosuch-pkg her2-nosuch-cmd\n")
    assert result.returncode == 1
    assert "her2-nosuch-pkg" in result.stderr and "coreutils" not in result.stderr
    assert "apt-get install -y --no-install-recommends her2-nosuch-pkg" in result.stderr


def test_a_declaration_without_a_command_is_an_error(tmp_path):
    result = run_script(tmp_path, "test lonely-package\n")
    assert result.returncode == 2 and "names no command" in result.stderr


def test_skip_message_names_the_package(tmp_path):
    file = tmp_path / "decl.txt"
    file.write_text("test her2-nosuch-pkg her2-nosuch-cmd\n")
    message = missing_tool_message("her2-nosuch-cmd", declared_tools(file))
    assert message is not None and "Debian package her2-nosuch-pkg" in message
    assert missing_tool_message("ls") is None


def test_malformed_declaration_names_the_line(tmp_path):
    file = tmp_path / "decl.txt"
    file.write_text("test ok ok\ntest only-two\n")
    with pytest.raises(ValueError, match=r"decl.txt:2"):
        declared_tools(file)


def test_missing_tool_fails_under_make_test(pytester):
    pytester.makeconftest("from tests.conftest import pytest_runtest_setup  # the real hook\n")
    pytester.makepyfile("import pytest\n@pytest.mark.needs_tool('her2-nosuch-cmd')\ndef test_x():\n    pass\n")
    pytester.makeini("[pytest]\nmarkers =\n    needs_tool: x\n")
    os.environ.pop("HER2_REQUIRE_SYSTEM_TOOLS", None)
    pytester.syspathinsert(str(DECLARATIONS.parent))
    pytester.runpytest_inprocess().assert_outcomes(skipped=1)
    os.environ["HER2_REQUIRE_SYSTEM_TOOLS"] = "1"
    try:
        pytester.runpytest_inprocess().assert_outcomes(errors=1)
    finally:
        os.environ.pop("HER2_REQUIRE_SYSTEM_TOOLS", None)


def test_a_library_is_checked_by_the_file_it_installs(tmp_path):
    present = tmp_path / "sam.h"
    present.write_text("")
    result = run_script(tmp_path, f"test libfake-dev {present}\ntest libgone-dev {tmp_path / 'gone.h'}\n")
    assert result.returncode == 1
    assert "libgone-dev" in result.stderr and "libfake-dev" not in result.stderr


def test_the_read_counter_builds_against_the_declared_htslib():
    tools = declared_tools()
    assert tools["/usr/include/htslib/sam.h"].package == "libhts-dev"
