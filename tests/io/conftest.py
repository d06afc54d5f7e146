"""Fixtures of the raw-file ingestion tests: the demo raw files (built once), real public files."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.demo.raw import write_demo_raw
from analysis.io.bed import read_bed
from analysis.io.coverage import build_reference, count_reads, write_reference

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SAMTOOLS = shutil.which("samtools")


def folder_fingerprint(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under *folder*: equal before and after = untouched."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory) -> Path:
    """The demo raw files plus a panel-of-normals reference built from its normals."""
    out = tmp_path_factory.mktemp("demo_raw")
    write_demo_raw(out)
    panel = read_bed(out / "panel.bed")
    normals = [count_reads(p, panel)[0] for p in sorted((out / "normals").glob("*.bam"))]
    write_reference(build_reference(normals), out / "reference.tsv")
    return out


@pytest.fixture()
def existing_study(tmp_path: Path) -> Path:
    """An output folder that already holds a (fake) study; ingestion failures must leave it as it is."""
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "meta_study.txt").write_text("type_of_cancer: stad\ncancer_study_identifier: old\n")
    (folder / "data_clinical_sample.txt").write_text("#old\nSAMPLE_ID\tPATIENT_ID\nS0\tP0\n")
    return folder


def samtools_bedcov_counts(bed: Path, bam: Path, *options: str) -> list[int]:
    """Read counts from ``samtools bedcov -c`` (last column), the independent oracle."""
    result = subprocess.run(
        [SAMTOOLS, "bedcov", "-c", *options, str(bed), str(bam)], check=True, capture_output=True, text=True
    )
    return [int(line.split("\t")[-1]) for line in result.stdout.splitlines() if line.strip()]


needs_samtools = pytest.mark.needs_tool("samtools")
