"""Study folder reader/writer: round trip, real-world tolerance and precise validation messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import StudyValidationError
from analysis.io.cbioportal import read_study, validate_study, write_study
from analysis.io.maf import read_maf
from tests.conftest import SHARED_DATA


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def _errors(folder: Path):
    with pytest.raises(StudyValidationError) as caught:
        read_study(folder)
    return caught.value.report.errors


def test_round_trip_keeps_every_table(tiny_study, tiny_study_dir):
    back = read_study(tiny_study_dir)
    assert back.report.ok
    pd.testing.assert_frame_equal(back.patients, tiny_study.patients)
    pd.testing.assert_frame_equal(back.samples, tiny_study.samples)
    pd.testing.assert_frame_equal(_sorted(back.variants, ["sample_id", "gene"]),
                                  _sorted(tiny_study.variants, ["sample_id", "gene"]))
    pd.testing.assert_frame_equal(_sorted(back.copy_number, ["sample_id", "gene"]),
                                  _sorted(tiny_study.copy_number, ["sample_id", "gene"]))
    keys = ["event_type", "start_day"]
    pd.testing.assert_frame_equal(_sorted(back.timeline, keys), _sorted(tiny_study.timeline, keys))
    assert back.meta.study_id == "tiny"
    assert back.content_hash == tiny_study.content_hash


def test_provenance_lists_files_with_checksums(tiny_study_dir):
    study = read_study(tiny_study_dir)
    files = set(study.provenance["file"])
    assert {"data_clinical_patient.txt", "data_clinical_sample.txt", "data_mutations.txt"} <= files
    assert study.provenance["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()


def test_writer_replaces_existing_folder_atomically(tiny_study, tmp_path):
    target = tmp_path / "study"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    write_study(tiny_study, target)
    assert not (target / "stale.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no staging folder left behind"


def test_writer_leaves_existing_folder_untouched_on_failure(tiny_study, tmp_path, monkeypatch):
    target = write_study(tiny_study, tmp_path / "study")
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("analysis.io.cbioportal._write_table", boom)
    with pytest.raises(OSError):
        write_study(tiny_study, target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["study"]


# ----------------------------------------------------------------- validation cases

def test_unknown_sample_in_maf(tiny_study_dir):
    maf = tiny_study_dir / "data_mutations.txt"
    _replace_in(maf, "P2-T\tKRAS", "P9-X\tKRAS")
    (error,) = _errors(tiny_study_dir)
    assert error.file == "data_mutations.txt"
    assert error.line == 5  # header on line 1, the KRAS row is the 4th data row
    assert error.column == "Tumor_Sample_Barcode"
    assert "unknown sample" in error.message and "'P9-X'" in error.message
    assert "data_clinical_sample.txt" in error.expected


def test_non_numeric_pfs_months(tiny_study_dir):
    _replace_in(tiny_study_dir / "data_clinical_patient.txt", "\t5.5\t", "\tfive\t")
    (error,) = _errors(tiny_study_dir)
    assert (error.file, error.line, error.column) == ("data_clinical_patient.txt", 6, "PFS_MONTHS")
    assert "'five'" in error.message
    assert error.expected == "a number of months"


def test_pfs_status_must_be_a_status(tiny_study_dir):
    _replace_in(tiny_study_dir / "data_clinical_patient.txt", "\t0:CENSORED\t", "\tMAYBE\t")
    (error,) = _errors(tiny_study_dir)
    assert (error.file, error.line, error.column) == ("data_clinical_patient.txt", 7, "PFS_STATUS")
    assert error.expected == "0:CENSORED or 1:PROGRESSION"


def test_duplicate_sample_ids(tiny_study_dir):
    _replace_in(tiny_study_dir / "data_clinical_sample.txt", "P1-D1\t", "P1-B0\t")
    errors = _errors(tiny_study_dir)
    duplicate = [e for e in errors if "duplicate" in e.message]
    assert len(duplicate) == 1
    assert (duplicate[0].file, duplicate[0].line, duplicate[0].column) == ("data_clinical_sample.txt", 8, "SAMPLE_ID")
    assert "first on line 7" in duplicate[0].message


def test_timeline_event_for_unknown_patient(tiny_study_dir):
    _replace_in(tiny_study_dir / "data_timeline_status.txt", "P1\t", "P7\t")
    (error,) = _errors(tiny_study_dir)
    assert (error.file, error.line, error.column) == ("data_timeline_status.txt", 2, "PATIENT_ID")
    assert "unknown patient 'P7'" in error.message


def test_sample_of_unknown_patient(tiny_study_dir):
    _replace_in(tiny_study_dir / "data_clinical_sample.txt", "P2-B0\tP2", "P2-B0\tP3")
    (error,) = _errors(tiny_study_dir)
    assert (error.file, error.line, error.column) == ("data_clinical_sample.txt", 11, "PATIENT_ID")


def test_non_numeric_read_count_in_maf(tiny_study_dir):
    _replace_in(tiny_study_dir / "data_mutations.txt", "\t2700\t", "\t27x0\t")
    (error,) = _errors(tiny_study_dir)
    assert (error.file, error.line, error.column) == ("data_mutations.txt", 3, "t_ref_count")


def test_bad_discrete_copy_number(tiny_study_dir):
    text = (tiny_study_dir / "data_cna.txt").read_text().splitlines()
    text[1] = text[1].rsplit("\t", 1)[0] + "\t7"
    (tiny_study_dir / "data_cna.txt").write_text("\n".join(text) + "\n")
    (error,) = _errors(tiny_study_dir)
    assert error.file == "data_cna.txt" and error.line == 2
    assert "-2, -1, 0, 1 or 2" in error.expected


def test_all_errors_are_reported_together(tiny_study_dir):
    _replace_in(tiny_study_dir / "data_clinical_patient.txt", "\t5.5\t", "\tfive\t")
    _replace_in(tiny_study_dir / "data_timeline_status.txt", "P1\t", "P7\t")
    report = validate_study(tiny_study_dir)
    assert {e.file for e in report.errors} == {"data_clinical_patient.txt", "data_timeline_status.txt"}
    assert "data_timeline_status.txt:2 [PATIENT_ID]" in report.format()


# ----------------------------------------------------------------- tolerance of real-world studies

def test_optional_files_missing_and_warnings(tiny_study_dir):
    for name in ("data_cna.txt", "meta_cna.txt", "data_log2_cna.txt", "meta_log2_cna.txt",
                 "data_mutations.txt", "meta_mutations.txt", "meta_study.txt"):
        (tiny_study_dir / name).unlink()
    for meta in tiny_study_dir.glob("meta_timeline_*.txt"):
        meta.unlink()
    study = read_study(tiny_study_dir)
    assert study.variants.empty and study.copy_number.empty
    assert len(study.timeline) == 8, "timeline files found by name without meta files"
    assert any("meta_study.txt" in w.file for w in study.report.warnings)


def test_synonyms_extra_columns_and_protein_styles(tiny_study_dir):
    sample_file = tiny_study_dir / "data_clinical_sample.txt"
    _replace_in(sample_file, "SAMPLE_TYPE", "SAMPLE_CLASS")
    _replace_in(sample_file, "P1-B0\tP1\tplasma", "P1-B0\tP1\tcfDNA")
    _replace_in(sample_file, "P1-T\tP1\ttissue", "P1-T\tP1\tFFPE")
    _replace_in(tiny_study_dir / "data_mutations.txt", "p.H1047R", "H1047R")
    _replace_in(tiny_study_dir / "data_mutations.txt", "p.G12D", "p.Gly12Asp")
    study = read_study(tiny_study_dir)
    types = dict(zip(study.samples["sample_id"], study.samples["sample_type"], strict=True))
    assert types["P1-B0"] == "plasma" and types["P1-T"] == "tissue"
    assert set(study.variants["protein_change"]) == {"R175H", "H1047R", "G12D"}
    assert list(study.patients.columns[-2:]) == ["age", "lauren"]


def test_long_format_copy_number(tiny_study_dir):
    for name in ("data_cna.txt", "meta_cna.txt", "data_log2_cna.txt", "meta_log2_cna.txt"):
        (tiny_study_dir / name).unlink()
    (tiny_study_dir / "data_cna_long.txt").write_text(
        "Hugo_Symbol\tEntrez_Gene_Id\tSample_Id\tValue\nERBB2\t2064\tP1-T\t2\nERBB2\t2064\tP2-T\t0\n")
    study = read_study(tiny_study_dir)
    calls = dict(zip(study.copy_number["sample_id"], study.copy_number["cna_discrete"], strict=True))
    assert calls == {"P1-T": 2, "P2-T": 0}


def test_linear_copy_number_matrix(tiny_study_dir):
    for name in ("data_cna.txt", "meta_cna.txt", "data_log2_cna.txt", "meta_log2_cna.txt"):
        (tiny_study_dir / name).unlink()
    (tiny_study_dir / "data_linear_cna.txt").write_text("Hugo_Symbol\tP1-B0\tP2-B0\nERBB2\t4.0\t2.0\nMET\t2.0\t2.1\n")
    study = read_study(tiny_study_dir)
    erbb2 = study.copy_number.set_index(["sample_id", "gene"])
    assert erbb2.loc[("P1-B0", "ERBB2"), "copy_number"] == 4.0
    assert erbb2.loc[("P1-B0", "ERBB2"), "log2_ratio"] == pytest.approx(1.0)


def test_timeline_reanchored_on_first_trastuzumab_dose(tiny_study_dir):
    # Move patient P1's whole time axis 100 days later (anchored at diagnosis instead of day 0).
    for path in tiny_study_dir.glob("data_timeline_*.txt"):
        lines = path.read_text().splitlines()
        header = lines[0].split("\t")
        start, stop = header.index("START_DATE"), header.index("STOP_DATE")
        out = [lines[0]]
        for line in lines[1:]:
            fields = line.split("\t")
            for i in (start, stop):
                if fields[i]:
                    fields[i] = str(float(fields[i]) + 100)
            out.append("\t".join(fields))
        path.write_text("\n".join(out) + "\n")
    study = read_study(tiny_study_dir)
    assert study.events("TREATMENT")["start_day"].tolist() == [0.0]
    assert sorted(study.events("IMAGING")["start_day"]) == [-3.0, 40.0, 165.0]
    assert any("re-anchored" in note for note in study.notes)


def test_several_timeline_files_and_maf_comment_lines(tiny_study_dir):
    maf = tiny_study_dir / "data_mutations.txt"
    maf.write_text("#version 2.4\n" + maf.read_text())
    extra = tiny_study_dir / "data_timeline_extra.txt"
    extra.write_text("PATIENT_ID\tSTART_DATE\tSTOP_DATE\tEVENT_TYPE\tNOTE\nP2\t10\t\tSurgery\tgastrectomy\n")
    study = read_study(tiny_study_dir)
    assert "SURGERY" in set(study.timeline["event_type"])
    assert len(study.variants) == 4


def test_folder_that_is_not_there(tmp_path):
    from analysis.errors import InputError

    with pytest.raises(InputError, match="study folder not found"):
        read_study(tmp_path / "nope")


def test_reads_real_vcf2maf_maf_with_132_columns():
    variants, report = read_maf(SHARED_DATA / "vcf2maf" / "test_output.vep_isoforms.maf")
    assert report.ok
    raw_columns = (SHARED_DATA / "vcf2maf" / "test_output.vep_isoforms.maf").read_text().splitlines()
    header = next(line for line in raw_columns if not line.startswith("#")).split("\t")
    assert len(header) >= 100
    assert len(variants) == len([line for line in raw_columns if line and not line.startswith("#")]) - 1
    assert variants["vaf"].between(0, 1).all()
    # Every MAF column is kept: the 11 interpreted ones become tidy columns, the rest stay unchanged.
    assert "HGVSc" in variants.columns and "Consequence" in variants.columns
    assert not variants["protein_change"].dropna().str.startswith("p.").any()


def test_real_maf_study_copied_into_a_folder_validates_unknown_samples(tmp_path, tiny_study_dir):
    shutil.copy(SHARED_DATA / "vcf2maf" / "test_output.vep_isoforms.maf", tiny_study_dir / "data_mutations.txt")
    errors = _errors(tiny_study_dir)
    assert all(e.column == "Tumor_Sample_Barcode" for e in errors)
    assert errors[0].line is not None and errors[0].line > 1


def test_long_format_copy_number_repeated_gene_or_missing_symbol(tiny_study_dir):
    for name in ("data_cna.txt", "meta_cna.txt", "data_log2_cna.txt", "meta_log2_cna.txt"):
        (tiny_study_dir / name).unlink()
    (tiny_study_dir / "data_cna_long.txt").write_text(
        "Hugo_Symbol\tEntrez_Gene_Id\tSample_Id\tValue\nERBB2\t2064\tP1-T\t2\nERBB2\t2064\tP1-T\t0\n"
        "\t2064\tP2-T\t1\n")
    errors = [(e.file, e.line, e.column) for e in _errors(tiny_study_dir)]
    assert errors == [("data_cna_long.txt", 4, "Hugo_Symbol"), ("data_cna_long.txt", 3, "Hugo_Symbol")]


def test_file_that_is_not_utf8_is_refused_naming_the_line(tiny_study_dir):
    maf = tiny_study_dir / "data_mutations.txt"
    lines = maf.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"\t", b"\t\x95\xc0", 1)
    maf.write_bytes(b"\n".join(lines))
    errors = _errors(tiny_study_dir)
    assert [(e.file, e.line) for e in errors] == [("data_mutations.txt", 3)]
    assert "UTF-8" in errors[0].message


def test_duplicate_sample_beside_an_empty_sample_id(tiny_study_dir):
    samples = tiny_study_dir / "data_clinical_sample.txt"
    text = samples.read_text()
    last = text.rstrip("\n").split("\n")[-1]
    samples.write_text(text + "\t" + last.split("\t", 1)[1] + "\n" + last + "\n")
    found = {(e.line, e.column, e.message.split(" ")[0]) for e in _errors(tiny_study_dir)}
    n = len(text.rstrip("\n").split("\n"))
    assert {(n + 1, "SAMPLE_ID", "empty"), (n + 2, "SAMPLE_ID", "duplicate")} <= found
