"""Fault injection helpers: edit one cell of a study file, corrupt bytes, fill or break a folder."""

from __future__ import annotations

from pathlib import Path


def set_cell(path: Path, row_key: str, column: str, value: str) -> None:
    """Set the cell at (first field == *row_key*, header *column*) of a tab-separated study file."""
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    header_at = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    header = lines[header_at].split("\t")
    col = header.index(column)
    for i in range(header_at + 1, len(lines)):
        cells = lines[i].split("\t")
        if cells and cells[0] == row_key:
            cells[col] = value
            lines[i] = "\t".join(cells)
            Path(path).write_text("\n".join(lines), encoding="utf-8")
            return
    raise KeyError(f"no row {row_key!r} in {path}")


def insert_non_utf8_byte(path: Path, after_line: int = 2) -> None:
    """Put a Latin-1 e-acute (0xE9, not UTF-8 on its own) at the end of line *after_line*."""
    data = Path(path).read_bytes()
    lines = data.split(b"\n")
    lines[after_line - 1] += b"\xe9"
    Path(path).write_bytes(b"\n".join(lines))


#: A writer of *argv[1]* (the study re-written in place) killed with SIGKILL right after the first of the
#: two renames of its folder swap: the target path then holds no study (issue 15, item 5).
_KILLED_MID_SWAP = """
import os, signal, sys
from analysis.io import folder_swap
from analysis.io.cbioportal import read_study, write_study

folder_swap._exchange = lambda a, b: False  # the two-rename swap, as on a file system without exchange
real = os.replace
def replace_then_die(src, dst):
    real(src, dst)
    os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace_then_die
write_study(read_study(sys.argv[1]), sys.argv[1])
"""


def kill_writer_mid_swap(folder: Path) -> int:
    """Run a study writer on *folder* in a child process killed between the renames; its return code."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    child = subprocess.run([sys.executable, "-c", _KILLED_MID_SWAP, str(folder)], cwd=root,
                           env={**os.environ, "PYTHONPATH": str(root)}, check=False)
    return child.returncode


def replace_values(folder: Path, mapping: dict[str, str]) -> int:
    """Replace every tab-separated cell equal to a key of *mapping* (ids, attribute values) in the study's
    data files (headers included: the copy-number files name samples in their header).  Returns the number
    of cells replaced."""
    replaced = 0
    for path in sorted(Path(folder).glob("data_*.txt")):
        lines = path.read_text(encoding="utf-8").split("\n")
        for i, line in enumerate(lines):
            if not line or line.startswith("#"):
                continue
            cells = line.split("\t")
            new = [mapping.get(cell, cell) for cell in cells]
            replaced += sum(a != b for a, b in zip(cells, new, strict=True))
            lines[i] = "\t".join(new)
        path.write_text("\n".join(lines), encoding="utf-8")
    return replaced
