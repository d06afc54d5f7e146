"""The command line: help text, ingest and build-reference end to end, validate and demo forwarding."""

from __future__ import annotations

import sys
import types

import pytest

from analysis.cli import main
from analysis.io.coverage import read_reference
from tests.io.conftest import folder_fingerprint


def test_help_explains_the_sample_sheet(capsys):
    with pytest.raises(SystemExit) as info:
        main(["ingest", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for words in (
        "sample sheet",
        "collection_day",
        "tumour_fraction",
        "--min-mapq",
        "samtools bedcov -c",
        "build-reference",
        "replaced whole",
    ):
        assert words in text


def test_build_reference_then_ingest_then_validate(demo_raw, tmp_path, capsys):
    pon = tmp_path / "pon.tsv"
    normals = sorted(str(p) for p in (demo_raw / "normals").glob("*.bam"))
    assert (
        main(
            ["build-reference", "--quiet", "--bed", str(demo_raw / "panel.bed"), "--out", str(pon), *normals]
        )
        == 0
    )
    assert len(read_reference(pon)) == 48
    out = capsys.readouterr().out
    assert "normals: 4; targets: 48" in out and "17->chr17" in out
    study = tmp_path / "study"
    status = main(
        [
            "ingest",
            "--quiet",
            "--sheet",
            str(demo_raw / "samples.tsv"),
            "--clinical",
            str(demo_raw / "patients.tsv"),
            "--bed",
            str(demo_raw / "panel.bed"),
            "--reference",
            str(pon),
            "--out",
            str(study),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "samples: 6 (6 plasma); patients: 2" in out
    assert "variants kept: 7; filtered: 18" in out and "FILTER REJECT: 18" in out
    assert "genes with copy number: 8" in out and "ERBB2 copy number" in out and "17->chr17" in out
    assert main(["validate", str(study)]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_ingest_all_filters_keeps_rejected(demo_raw, tmp_path, capsys):
    status = main(
        [
            "ingest",
            "--quiet",
            "--all-filters",
            "--sheet",
            str(demo_raw / "samples.tsv"),
            "--reference",
            str(demo_raw / "reference.tsv"),
            "--out",
            str(tmp_path / "s"),
        ]
    )
    assert status == 0 and "variants kept: 25; filtered: 0" in capsys.readouterr().out


def test_bad_input_exit_status_and_untouched_folder(demo_raw, tmp_path, existing_study, capsys):
    sheet = tmp_path / "sheet.tsv"
    sheet.write_text(
        "sample_id\tpatient_id\tsample_type\tcollection_day\ttimepoint\tvcf\n"
        "S1\tP01\tplasma\t0\tBASELINE\tmissing.vcf\n"
    )
    before = folder_fingerprint(existing_study)
    status = main(["ingest", "--quiet", "--sheet", str(sheet), "--out", str(existing_study)])
    err = capsys.readouterr().err
    assert status == 2 and f"error: {sheet}:2: field vcf" in err and "nothing was written" in err
    assert folder_fingerprint(existing_study) == before


def test_validate_exits_1_on_errors(tmp_path, capsys):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "data_clinical_sample.txt").write_text("SAMPLE_ID\nS1\n")
    assert main(["validate", str(folder)]) == 1
    assert "ERROR" in capsys.readouterr().out


def test_demo_is_forwarded(monkeypatch):
    seen = []
    fake = types.ModuleType("analysis.demo.__main__")
    fake.main = lambda argv: seen.append(argv) or 0
    monkeypatch.setitem(sys.modules, "analysis.demo.__main__", fake)
    assert main(["demo", "--out", "x", "--patients", "5"]) == 0
    assert seen == [["--out", "x", "--patients", "5"]]


def test_module_entry_point():
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "analysis", "--help"], capture_output=True, text=True, check=True
    )
    assert "ingest" in result.stdout and "build-reference" in result.stdout and "validate" in result.stdout
