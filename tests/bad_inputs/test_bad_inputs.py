"""The bad-input corpus: every file in this folder is refused or warned about in words, never a traceback.

``expected.tsv`` lists each file, the format it is read as, the verdict (``error``: the file or study is
refused; ``warning``: read, with a warning) and a substring of the message.  Study files are dropped into a
copy of the tiny study under the name of their format (:data:`STUDY_TARGETS`); the other formats go to
their reader directly (:func:`read_standalone`).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from analysis.errors import AnalysisError, InputError, StudyValidationError
from analysis.io.bed import read_bed
from analysis.io.cbioportal import read_study
from analysis.io.sample_sheet import read_sample_sheet
from analysis.io.vcf import read_vcf
from analysis.resistance import load_knowledge_base

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "expected.tsv"

#: format -> file name inside the study folder (replacing the tiny study's file, or added to it)
STUDY_TARGETS = {
    "clinical_patient": "data_clinical_patient.txt", "clinical_sample": "data_clinical_sample.txt",
    "timeline": "data_timeline_imaging.txt", "maf": "data_mutations.txt", "cna": "data_cna.txt",
    "log2_cna": "data_log2_cna.txt", "linear_cna": "data_linear_cna.txt", "seg": "data_cna_hg19.seg",
    "sv": "data_sv.txt", "gene_panel_matrix": "data_gene_panel_matrix.txt",
    "case_list": "case_lists/cases_sequenced.txt", "meta_study": "meta_study.txt",
    "meta_mutations": "meta_mutations.txt",
}
STANDALONE = ("vcf", "sample_sheet", "bed", "knowledge_base")


def manifest() -> list[dict[str, str]]:
    with open(MANIFEST, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t"))


def read_in_study(path: Path, fmt: str, study_dir: Path) -> tuple[str, str]:
    """(verdict, every message) of the tiny study with *path* as its file of format *fmt*."""
    target = study_dir / STUDY_TARGETS[fmt]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, target)
    try:
        study = read_study(study_dir)
    except StudyValidationError as exc:
        return "error", "\n".join(m.format() for m in exc.report.messages)
    except InputError as exc:
        return "error", str(exc)
    messages = [m.format() for m in study.report.warnings]
    return ("warning" if messages else "accepted"), "\n".join(messages)


def read_standalone(path: Path, fmt: str) -> tuple[str, str]:
    try:
        if fmt == "vcf":
            notes = read_vcf(path).notes
            return ("warning" if notes else "accepted"), "\n".join(notes)
        if fmt == "sample_sheet":
            read_sample_sheet(path)
        elif fmt == "bed":
            read_bed(path)
        else:
            load_knowledge_base(path)
    except AnalysisError as exc:
        return "error", str(exc)
    return "accepted", ""


def verdict_of(name: str, fmt: str, study_dir: Path) -> tuple[str, str]:
    path = HERE / name
    return read_standalone(path, fmt) if fmt in STANDALONE else read_in_study(path, fmt, study_dir)


def test_the_corpus_covers_every_format_with_at_least_60_files():
    rows = manifest()
    assert len(rows) >= 60
    assert {r["format"] for r in rows} == set(STUDY_TARGETS) | set(STANDALONE)
    listed = {r["file"] for r in rows}
    present = {p.name for p in HERE.iterdir() if p.suffix != ".py" and p.name not in ("expected.tsv", "__pycache__")}
    assert listed == present


@pytest.mark.parametrize("row", manifest(), ids=lambda row: row["file"])
def test_each_bad_file_gets_its_message(row, tiny_study_dir):
    verdict, text = verdict_of(row["file"], row["format"], tiny_study_dir)
    assert (verdict, row["expected"].lower() in text.lower()) == (row["verdict"], True), text
