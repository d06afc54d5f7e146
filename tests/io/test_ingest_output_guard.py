"""ingest --out never destroys its own inputs, a file, or a folder that is not a study."""

from __future__ import annotations

import pytest

from analysis.cli import main
from analysis.errors import InputError
from analysis.ingest import guard_output_folder, ingest_inputs
from tests.io.conftest import folder_fingerprint


def _ingest_into(demo_raw, out, *extra):
    return main(["ingest", "--quiet", "--sheet", str(demo_raw / "samples.tsv"), "--clinical",
                 str(demo_raw / "patients.tsv"), "--bed", str(demo_raw / "panel.bed"), "--out", str(out), *extra])


def test_out_naming_the_folder_of_the_inputs_is_refused_and_nothing_is_touched(demo_raw, capsys):
    before = folder_fingerprint(demo_raw)
    assert _ingest_into(demo_raw, demo_raw) == 2
    err = capsys.readouterr().err
    assert "would replace the folder that holds the input" in err
    assert folder_fingerprint(demo_raw) == before


def test_out_inside_an_input_folder_or_equal_to_an_input_is_refused(demo_raw, tmp_path):
    inputs = ingest_inputs(demo_raw / "samples.tsv", demo_raw / "patients.tsv")
    assert any(p.suffix == ".bam" for p in inputs) and any(p.suffix in (".vcf", ".gz") for p in inputs)
    with pytest.raises(InputError, match="holds the input"):
        guard_output_folder(demo_raw / "samples.tsv", inputs)
    with pytest.raises(InputError, match="holds the input"):
        guard_output_folder(demo_raw.parent, inputs)  # contains the inputs


def test_out_naming_a_file_is_refused(demo_raw, tmp_path, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    assert _ingest_into(demo_raw, target) == 2
    assert "is an existing file" in capsys.readouterr().err
    assert target.read_text() == "keep me"
    assert not list(tmp_path.glob(".notes.txt*"))  # no staging or .old folder left behind


def test_a_non_study_folder_needs_force(demo_raw, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"\xff\xd8")
    inputs = ingest_inputs(demo_raw / "samples.tsv")
    with pytest.raises(InputError, match="not a study"):
        guard_output_folder(folder, inputs)
    guard_output_folder(folder, inputs, force=True)  # allowed when asked for
    guard_output_folder(tmp_path / "new_study", inputs)  # a new folder is fine
    (folder / "meta_study.txt").write_text("cancer_study_identifier: x\n")
    guard_output_folder(folder, inputs)  # an existing study is replaced as before
