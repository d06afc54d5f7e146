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
