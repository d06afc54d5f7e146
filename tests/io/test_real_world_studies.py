"""Studies as other people write them: file names without meta files, tolerated codings, precise refusals.

Each test builds its study in tmp_path from the tiny study (tests/conftest.py) and changes one thing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import StudyValidationError
from analysis.io.cbioportal import classify_sample_type, read_study
from analysis.io.tables import read_raw_table


def _rewrite(path: Path, transform) -> None:
    lines = path.read_text().split("\n")
    path.write_text("\n".join(transform(lines)))


def _set_column(path: Path, column: str, values: list[str]) -> None:
    """Replace the data values of one column (header row = first line not starting with #)."""
    def transform(lines):
        header_at = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
        header = lines[header_at].split("\t")
        index = header.index(column)
        rows = [i for i in range(header_at + 1, len(lines)) if lines[i].strip()]
        assert len(rows) == len(values)
        for i, value in zip(rows, values, strict=True):
            cells = lines[i].split("\t")
            cells[index] = value
            lines[i] = "\t".join(cells)
        return lines
    _rewrite(path, transform)


def _add_column(path: Path, column: str, values: list[str]) -> None:
    def transform(lines):
        header_at = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
        lines[header_at] += "\t" + column
        rows = [i for i in range(header_at + 1, len(lines)) if lines[i].strip()]
        for i, value in zip(rows, values, strict=True):
            lines[i] += "\t" + value
        return [line + ("\t" if line.startswith("#") else "") for line in lines]
    _rewrite(path, transform)


def _refused(folder: Path) -> StudyValidationError:
    with pytest.raises(StudyValidationError) as caught:
        read_study(folder)
    return caught.value


def _listing(study) -> dict[str, tuple]:
    return {row.file: (row.read_as, row.found_by, row.reason) for row in study.files.itertuples()}


# --------------------------------------------------------------------------- 1. file discovery

def test_real_study_names_are_found_without_meta_files(tiny_study, tiny_study_dir):
    for meta in tiny_study_dir.glob("meta_*.txt"):
        if meta.name != "meta_study.txt":
            meta.unlink()
    renames = {"data_clinical_patient.txt": "data_patients.txt", "data_clinical_sample.txt": "data_samples.txt",
               "data_mutations.txt": "cohort.maf", "data_cna.txt": "data_CNA.txt",
               "data_log2_cna.txt": "data_cna_log2.txt"}
    for old, new in renames.items():
        (tiny_study_dir / old).rename(tiny_study_dir / new)
    (tiny_study_dir / "data_expression_median.txt").write_text("Hugo_Symbol\tP1-T\nERBB2\t3.2\n")
    (tiny_study_dir / "README.md").write_text("notes\n")

    study = read_study(tiny_study_dir)
    pd.testing.assert_frame_equal(study.patients, tiny_study.patients)
    assert len(study.variants) == len(tiny_study.variants)
    assert study.copy_number["cna_discrete"].notna().sum() == tiny_study.copy_number["cna_discrete"].notna().sum()
    assert study.copy_number["log2_ratio"].notna().sum() == tiny_study.copy_number["log2_ratio"].notna().sum()
    assert len(study.timeline) == len(tiny_study.timeline)
    listing = _listing(study)
    assert listing["cohort.maf"][:2] == ("mutations (MAF)", "file name")
    assert listing["data_CNA.txt"][0] == "discrete copy number (gene x sample)"
    assert listing["data_cna_log2.txt"][0] == "log2 copy ratio (gene x sample)"
    assert listing["data_expression_median.txt"][0] is None
    assert "neither its name nor its header" in listing["data_expression_median.txt"][2]
    assert listing["README.md"] == (None, "-", "not a data file")


def test_a_maf_with_an_unknown_name_is_read_by_its_header_and_said_so(tiny_study, tiny_study_dir):
    (tiny_study_dir / "meta_mutations.txt").unlink()
    (tiny_study_dir / "data_mutations.txt").rename(tiny_study_dir / "calls_from_the_lab.txt")
    study = read_study(tiny_study_dir)
    assert len(study.variants) == len(tiny_study.variants)
    read_as, found_by, reason = _listing(study)["calls_from_the_lab.txt"]
    assert (read_as, found_by) == ("mutations (MAF)", "content")
    assert reason == "looks like a MAF but no meta file: read as MAF"


def test_meta_files_are_honoured_exactly(tiny_study_dir):
    # A meta file's data_filename wins over conventional names, and its datatype decides the reader.
    (tiny_study_dir / "data_cna.txt").rename(tiny_study_dir / "calls.tsv")
    meta = tiny_study_dir / "meta_cna.txt"
    meta.write_text(meta.read_text().replace("data_filename: data_cna.txt", "data_filename: calls.tsv"))
    (tiny_study_dir / "data_mrna.txt").write_text("Hugo_Symbol\tP1-T\nERBB2\t1.0\n")
    (tiny_study_dir / "meta_mrna.txt").write_text(
        "cancer_study_identifier: tiny\ngenetic_alteration_type: MRNA_EXPRESSION\ndatatype: Z-SCORE\n"
        "data_filename: data_mrna.txt\n")
    study = read_study(tiny_study_dir)
    listing = _listing(study)
    assert listing["calls.tsv"][:2] == ("discrete copy number (gene x sample)", "meta file meta_cna.txt")
    assert listing["data_mrna.txt"] == (None, "meta file meta_mrna.txt",
                                        "mRNA expression: not a data type this tool uses")
    assert study.copy_number["cna_discrete"].notna().sum() == 6


def test_a_meta_file_naming_a_missing_file_is_an_error(tiny_study_dir):
    meta = tiny_study_dir / "meta_cna.txt"
    meta.write_text(meta.read_text().replace("data_filename: data_cna.txt", "data_filename: gone.txt"))
    (error,) = _refused(tiny_study_dir).report.errors
    assert (error.file, error.column) == ("meta_cna.txt", "data_filename") and "'gone.txt'" in error.message


def test_structural_variants_and_fusions_are_read(tiny_study_dir):
    (tiny_study_dir / "data_sv.txt").write_text(
        "Sample_Id\tSite1_Hugo_Symbol\tSite1_Chromosome\tSite1_Position\tSite2_Hugo_Symbol\tSite2_Chromosome\t"
        "Site2_Position\tClass\tEvent_Info\tTumor_Split_Read_Count\tTumor_Paired_End_Read_Count\tSV_Status\n"
        "P1-T\tERBB2\tchr17\t37868000\tGRB7\t17\t37897000\tFUSION\tERBB2-GRB7 fusion\t12\t8\tSOMATIC\n"
        "P1-D2\tERBB2\t17\t37868000\tGRB7\t17\t37897000\tFUSION\tERBB2-GRB7 fusion\t3\t1\tSOMATIC\n"
        "P1-D2\t\t\t\tMET\t7\t116400000\tDELETION\tMET exon 14 skipping\tNA\tNA\tSOMATIC\n")
    (tiny_study_dir / "data_fusions.txt").write_text(
        "Hugo_Symbol\tEntrez_Gene_Id\tCenter\tTumor_Sample_Barcode\tFusion\tDNA_support\tRNA_support\tMethod\tFrame\n"
        "EML4\t27436\tX\tP2-T\tEML4-ALK\tyes\tno\tpanel\tin-frame\n"
        "ALK\t238\tX\tP2-T\tEML4-ALK\tyes\tno\tpanel\tin-frame\n")
    study = read_study(tiny_study_dir)
    sv = study.structural_variants.sort_values(["sample_id", "gene1"]).reset_index(drop=True)
    assert len(sv) == 4
    fusion = sv[sv["sample_id"] == "P1-T"].iloc[0]
    assert (fusion["gene1"], fusion["gene2"], fusion["chromosome1"], fusion["position1"]) == (
        "ERBB2", "GRB7", "17", 37868000)
    assert fusion["supporting_reads"] == 20
    met = sv[sv["gene1"] == "MET"].iloc[0]
    assert pd.isna(met["gene2"]) and pd.isna(met["supporting_reads"])  # only Site2 named: stored as gene1
    eml4 = sv[sv["sample_id"] == "P2-T"]
    assert len(eml4) == 1 and {eml4.iloc[0]["gene1"], eml4.iloc[0]["gene2"]} == {"EML4", "ALK"}
    assert set(study.provenance["file"]) >= {"data_sv.txt", "data_fusions.txt"}


def test_gene_panels_and_case_lists_are_read(tiny_study_dir):
    (tiny_study_dir / "data_gene_panel_matrix.txt").write_text(
        "SAMPLE_ID\tmutations\tgistic\n" + "".join(
            f"{s}\t{'PLASMA400' if s != 'P1-T' and s != 'P2-T' else 'TISSUE468'}\tNA\n"
            for s in ["P1-T", "P1-B0", "P1-D1", "P1-D2", "P2-T", "P2-B0"]))
    (tiny_study_dir / "data_gene_panel_plasma400.txt").write_text("stable_id: PLASMA400\ngene_list: TP53\tERBB2\n")
    (tiny_study_dir / "data_gene_panel_tissue468.txt").write_text(
        "stable_id: TISSUE468\ngene_list: TP53\tERBB2\tKRAS\tPIK3CA\n")
    (tiny_study_dir / "case_lists").mkdir()
    (tiny_study_dir / "case_lists" / "cases_sequenced.txt").write_text(
        "cancer_study_identifier: tiny\nstable_id: tiny_sequenced\ncase_list_category: all_cases_with_mutation_data\n"
        "case_list_name: Sequenced\ncase_list_ids: P1-T\tP1-B0\tP2-T\n")
    study = read_study(tiny_study_dir)
    mutations = study.gene_panels[study.gene_panels["profile"] == "mutations"]
    assert dict(zip(mutations["sample_id"], mutations["panel_id"], strict=True))["P1-T"] == "TISSUE468"
    assert study.gene_panels[study.gene_panels["profile"] == "cna"]["panel_id"].isna().all()
    assert sorted(study.panel_genes[study.panel_genes["panel_id"] == "PLASMA400"]["gene"]) == ["ERBB2", "TP53"]
    assert sorted(study.case_lists["sample_id"]) == ["P1-B0", "P1-T", "P2-T"]


def test_a_case_list_naming_an_unknown_sample_is_an_error(tiny_study_dir):
    (tiny_study_dir / "case_lists").mkdir()
    (tiny_study_dir / "case_lists" / "cases_all.txt").write_text(
        "stable_id: tiny_all\ncase_list_ids: P1-T\tNOPE-1\n")
    (error,) = _refused(tiny_study_dir).report.errors
    assert error.file == "case_lists/cases_all.txt" and "'NOPE-1'" in error.message


# --------------------------------------------------------------------------- 2. tolerant where harmless

def test_blank_trailing_header_cells_over_empty_columns_are_dropped_with_a_warning(tiny_study, tiny_study_dir):
    path = tiny_study_dir / "data_clinical_sample.txt"
    _rewrite(path, lambda lines: [line + "\t\t" if line else line for line in lines])
    study = read_study(tiny_study_dir)
    pd.testing.assert_frame_equal(study.samples, tiny_study.samples)
    (warning,) = [w for w in study.report.warnings if w.file == path.name]
    assert warning.line == 5 and "blank header cell" in warning.message and "dropped" in warning.message


def test_a_blank_header_over_values_is_an_error(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("A\t\tC\n1\t2\t3\n")
    with pytest.raises(Exception, match="header cell in column 2 is blank"):
        read_raw_table(path)


def test_a_repeated_column_names_the_column_and_both_positions(tiny_study_dir):
    path = tiny_study_dir / "data_clinical_patient.txt"
    _add_column(path, "AGE", ["62", "71"])
    (error,) = _refused(tiny_study_dir).report.errors
    assert (error.file, error.line, error.column) == (path.name, 5, "AGE")
    assert "columns 9, 11" in error.message


def test_bare_survival_words_are_read_with_a_warning(tiny_study_dir):
    path = tiny_study_dir / "data_clinical_patient.txt"
    _set_column(path, "OS_STATUS", ["DECEASED", "ALIVE"])
    _set_column(path, "PFS_STATUS", ["PROGRESSED", "CENSORED"])
    study = read_study(tiny_study_dir)
    assert study.patients["os_event"].tolist() == [True, False]
    assert study.patients["pfs_event"].tolist() == [True, False]
    warnings = {w.column: w for w in study.report.warnings if w.file == path.name}
    assert "without the 0:/1: code" in warnings["OS_STATUS"].message
    assert "ALIVE = censored" in warnings["OS_STATUS"].message and "DECEASED = event" in warnings["OS_STATUS"].message
    assert "2 row(s): line(s) 6, 7" in warnings["PFS_STATUS"].message


@pytest.mark.parametrize("unknown", ["UNKNOWN", "Inf", "-Inf", "NA", ""])
def test_unknown_times_are_missing_not_errors_and_not_censoring(tiny_study_dir, unknown):
    path = tiny_study_dir / "data_clinical_patient.txt"
    _set_column(path, "OS_MONTHS", [unknown, "20.5"])
    _set_column(path, "OS_STATUS", ["UNKNOWN", "0:LIVING"])
    study = read_study(tiny_study_dir)
    assert pd.isna(study.patients["os_months"].iloc[0]) and study.patients["os_months"].iloc[1] == 20.5
    assert pd.isna(study.patients["os_event"].iloc[0])  # unknown status is not "censored"
    messages = [w.message for w in study.report.warnings if w.file == path.name]
    assert any("status unknown: missing (not censored) (1 row(s): line(s) 6)" in m for m in messages)
    if unknown not in ("NA", ""):
        assert any(m.startswith("time not known") and "line(s) 6" in m for m in messages)


def test_her2_ihc_styles(tiny_study_dir):
    path = tiny_study_dir / "data_clinical_patient.txt"
    _set_column(path, "HER2_IHC", ["Positive (3+)", "IHC 1"])
    study = read_study(tiny_study_dir)
    assert study.patients["her2_ihc"].tolist() == ["3+", "1+"]
    (warning,) = [w for w in study.report.warnings if w.column == "HER2_IHC"]
    assert "read as '3+'" in warning.message and "2 row(s)" in warning.message


def test_her2_ihc_values_that_are_not_scores_are_warned_and_missing(tiny_study_dir):
    _set_column(tiny_study_dir / "data_clinical_patient.txt", "HER2_IHC", ["4+", "equivocal"])
    study = read_study(tiny_study_dir)
    assert study.patients["her2_ihc"].isna().all()
    assert len([w for w in study.report.warnings if w.column == "HER2_IHC"]) == 2


def test_sample_type_words():
    values = pd.Series(["cfDNA", "ctDNA", "Blood plasma", "PLASMA", "Unknown Tumor", "FFPE block", "Metastatic",
                        "Whole Blood", "Buffy coat", "Normal", "Germline", "Blood Derived Normal", "Blood", None])
    assert classify_sample_type(values).tolist() == [
        "plasma", "plasma", "plasma", "plasma", "tissue", "tissue", "tissue",
        "normal", "normal", "normal", "normal", "normal", pd.NA, pd.NA]


def test_sample_class_is_used_when_sample_type_names_no_plasma(tiny_study_dir):
    path = tiny_study_dir / "data_clinical_sample.txt"
    _set_column(path, "SAMPLE_TYPE", ["Primary"] * 6)
    _add_column(path, "SAMPLE_CLASS", ["Tumor", "cfDNA", "cfDNA", "cfDNA", "Tumor", "Whole Blood"])
    study = read_study(tiny_study_dir)
    assert study.samples["sample_type"].tolist() == ["tissue", "plasma", "plasma", "plasma", "tissue", "normal"]
    note = next(n for n in study.notes if "taken from SAMPLE_CLASS" in n)
    assert note.startswith("Sample type of 4 sample(s) taken from SAMPLE_CLASS")
    assert any("1 matched normal sample(s)" in n for n in study.notes)


def test_every_file_is_read_before_refusing(tiny_study_dir):
    (tiny_study_dir / "data_clinical_sample.txt").unlink()
    (tiny_study_dir / "meta_clinical_sample.txt").unlink()
    _set_column(tiny_study_dir / "data_clinical_patient.txt", "PFS_MONTHS", ["soon", "12.0"])
    _rewrite(tiny_study_dir / "data_timeline_imaging.txt",
             lambda lines: [lines[0], *[line.replace("\t", "\tx", 1) if i == 1 else line
                                        for i, line in enumerate(lines[1:], start=1)]])
    errors = _refused(tiny_study_dir).report.errors
    files = {e.file for e in errors}
    assert {"data_clinical_sample.txt", "data_clinical_patient.txt", "data_timeline_imaging.txt"} <= files


def test_a_meta_file_cannot_name_a_file_outside_the_study_folder(tiny_study_dir, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("Hugo_Symbol\tP1-T\nERBB2\t2\n")
    meta = tiny_study_dir / "meta_cna.txt"
    meta.write_text(meta.read_text().replace("data_filename: data_cna.txt", "data_filename: ../secret.txt"))
    (error,) = _refused(tiny_study_dir).report.errors
    assert (error.file, error.column) == ("meta_cna.txt", "data_filename")
    assert "outside the study folder" in error.message


def test_a_meta_file_naming_a_fifo_is_refused_without_opening_it(tiny_study_dir):
    import os

    os.mkfifo(tiny_study_dir / "pipe.txt")
    meta = tiny_study_dir / "meta_cna.txt"
    meta.write_text(meta.read_text().replace("data_filename: data_cna.txt", "data_filename: pipe.txt"))
    (error,) = _refused(tiny_study_dir).report.errors  # would hang if the FIFO were opened
    assert "not a regular file" in error.message


def test_matched_normals_filter_germline_variants_out_of_somatic_analyses(tiny_study_dir):
    from analysis.concordance import concordance_analysis

    samples = tiny_study_dir / "data_clinical_sample.txt"
    samples.write_text(samples.read_text().rstrip("\n") + "\nP1-N\tP1\tWhole Blood\t-3\tBASELINE\n")
    maf = tiny_study_dir / "data_mutations.txt"
    germline_row = next(line for line in maf.read_text().split("\n") if line.startswith("P1-T\tTP53"))
    maf.write_text(maf.read_text().rstrip("\n") + "\n" + germline_row.replace("P1-T", "P1-N", 1) + "\n")
    study = read_study(tiny_study_dir)
    assert study.samples.set_index("sample_id").loc["P1-N", "sample_type"] == "normal"
    flags = study.variants.set_index("sample_id")["in_matched_normal"]
    assert bool(flags["P1-T"]) and bool(flags["P1-B0"])  # the same TP53 R175H as in the normal
    assert flags["P1-D2"] is False or not bool(flags["P1-D2"])  # PIK3CA is not in the normal
    assert pd.isna(flags["P2-T"])  # P2 has no normal
    assert any("2 plasma or tissue variant(s) are also in the patient's matched normal" in n for n in study.notes)
    genes = concordance_analysis(study).per_gene
    assert "TP53" not in set(genes.loc[genes["alteration"] == "mutation", "gene"])


def _widen(path: Path, n: int) -> None:
    def transform(lines):
        out = []
        for line in lines:
            if not line:
                out.append(line)
            elif line.startswith("#"):
                out.append(line + "\tX" * n)
            elif line.startswith("PATIENT_ID"):
                out.append(line + "".join(f"\tATTR_{i}" for i in range(n)))
            else:
                out.append(line + "".join(f"\t{i % 7}" for i in range(n)))
        return out
    _rewrite(path, transform)


def test_an_absurdly_wide_clinical_file_is_refused_before_any_per_column_work(tiny_study_dir):
    _widen(tiny_study_dir / "data_clinical_patient.txt", 5000)
    (error,) = _refused(tiny_study_dir).report.errors
    assert error.file == "data_clinical_patient.txt" and error.line == 5
    assert "5,010 columns: more than the 1,000 attributes" in error.message


def test_hundreds_of_free_attributes_are_all_kept(tiny_study_dir):
    _widen(tiny_study_dir / "data_clinical_patient.txt", 600)
    patients = read_study(tiny_study_dir).patients
    assert "attr_599" in patients.columns and patients["attr_6"].tolist() == [6.0, 6.0]


@pytest.mark.parametrize(("file", "old", "new", "column"), [
    ("data_mutations.txt", "\t300\t100\t400", "\tinf\t100\t400", "t_ref_count"),
    ("data_mutations.txt", "7578406", "inf", "Start_Position"),
    ("data_clinical_sample.txt", "\t-20\t", "\tinf\t", "COLLECTION_DAY"),
    ("data_clinical_patient.txt", "\t4.5\t", "\t1e999\t", "HER2_FISH_RATIO"),
])
def test_infinite_numbers_are_refused_with_file_line_and_column(tiny_study_dir, file, old, new, column):
    path = tiny_study_dir / file
    path.write_text(path.read_text().replace(old, new, 1))
    (error,) = _refused(tiny_study_dir).report.errors
    assert (error.file, error.column) == (file, column) and error.line is not None


def test_a_latin1_meta_file_is_an_error_naming_the_line(tiny_study_dir):
    (tiny_study_dir / "meta_study.txt").write_bytes(b"cancer_study_identifier: tiny\nname: Caf\xe9\n")
    (error,) = _refused(tiny_study_dir).report.errors
    assert (error.file, error.line) == ("meta_study.txt", 2) and "not UTF-8" in error.message
