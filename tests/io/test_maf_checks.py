"""MAF content checks: classifications that are not MAF classes, implausible VAFs (analysis/io/maf.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.alterations import maf_class_from_consequence
from analysis.io.maf import read_maf
from analysis.io.tables import read_raw_table
from analysis.vaf_checks import FLAG_DEPTH, FLAG_HIGH_VAF, FLAG_SWAPPED
from tests.conftest import SHARED_DATA

HEADER = ["Hugo_Symbol", "Tumor_Sample_Barcode", "Chromosome", "Start_Position", "Reference_Allele",
          "Tumor_Seq_Allele2", "Variant_Classification", "HGVSp_Short", "t_ref_count", "t_alt_count", "t_depth"]


def _write(path: Path, header: list[str], rows: list[list[object]], version: bool = True) -> Path:
    lines = (["#version 2.4"] if version else []) + ["\t".join(header)]
    lines += ["\t".join("" if v is None else str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _warnings(report, column: str | None = None) -> list[str]:
    return [m.message for m in report.warnings if column is None or m.column == column]


# ----------------------------------------------------------------------------------- classification

def _shifted_rows(with_consequence: bool) -> tuple[list[str], list[list[object]]]:
    """Variant_Type values (SNP/DEL/INS) where Variant_Classification should be."""
    header = HEADER + (["Consequence"] if with_consequence else [])
    rows = [
        ["PIK3CA", "S1", "3", 178936091, "G", "A", "SNP", "p.E545K", 900, 100, 1000, "missense_variant"],
        ["TP53", "S1", "17", 7577120, "C", "T", "SNP", "p.R213*", 900, 100, 1000,
         "stop_gained&splice_region_variant"],
        ["APC", "S1", "5", 112175000, "AT", "-", "DEL", "p.L1488fs", 900, 100, 1000, "frameshift_variant"],
        ["ERBB2", "S1", "17", 37880000, "-", "GCA", "INS", "p.Y772_A775dup", 900, 100, 1000,
         "inframe_insertion"],
        ["KRAS", "S1", "12", 25398280, "C", "T", "SNP", "p.G12=", 900, 100, 1000,
         "synonymous_variant&splice_region_variant"],
        ["NF1", "S1", "17", 29500000, "G", "A", "SNP", None, 900, 100, 1000, "intron_variant"],
        ["MET", "S1", "7", 116400000, "G", "A", "Missense_Mutation", "p.T1010I", 900, 100, 1000,
         "missense_variant"],
    ]
    if not with_consequence:
        rows = [r[:-1] for r in rows]
    return header, rows


def test_shifted_header_is_flagged_and_recovered_from_consequence(tmp_path):
    header, rows = _shifted_rows(with_consequence=True)
    maf = _write(tmp_path / "shifted.maf", header, rows)
    variants, report = read_maf(maf)
    assert report.ok
    assert variants["variant_classification"].tolist() == [
        "Missense_Mutation", "Nonsense_Mutation", "Frame_Shift_Del", "In_Frame_Ins", "Splice_Region", "Intron",
        "Missense_Mutation"]
    flagged = [m for m in report.warnings if "not MAF classes" in m.message]
    assert len(flagged) == 1
    message = flagged[0]
    assert message.file == "shifted.maf" and message.column == "Variant_Classification"
    assert message.message.startswith("6 of 7 rows hold values that are not MAF classes")
    assert "Variant_Type values" in message.message
    # Up to five examples, each with its line (line 1 #version, line 2 header, first row line 3).
    assert "'SNP' (line 3)" in message.message and "'DEL' (line 5)" in message.message
    assert "(line 8)" not in message.message
    assert message.message.count("(line ") == 5
    assert any("6 row(s) with an invalid Variant_Classification: classification recovered from Consequence"
               in w for w in _warnings(report, "Variant_Classification"))
    assert not any("set missing" in w for w in _warnings(report))


def test_shifted_header_without_consequence_sets_classification_missing(tmp_path):
    header, rows = _shifted_rows(with_consequence=False)
    variants, report = read_maf(_write(tmp_path / "shifted.maf", header, rows))
    assert report.ok
    assert variants["variant_classification"].isna().sum() == 6
    assert variants["variant_classification"].iloc[6] == "Missense_Mutation"
    assert any(w.startswith("6 of 7 rows hold values that are not MAF classes") for w in _warnings(report))
    assert any(w.startswith("6 row(s) with an invalid Variant_Classification set missing (the file has no "
                            "Consequence column)") for w in _warnings(report, "Variant_Classification"))


def test_one_consequence_is_preferred_and_case_is_fixed(tmp_path):
    header = HEADER + ["Consequence", "One_Consequence"]
    rows = [["PIK3CA", "S1", "3", 1, "G", "A", "SNP", "p.E545K", 9, 1, 10,
             "splice_region_variant&intron_variant", "missense_variant"],
            ["PIK3CA", "S1", "3", 2, "G", "A", "missense_mutation", "p.E545K", 9, 1, 10, "", ""]]
    variants, report = read_maf(_write(tmp_path / "m.maf", header, rows))
    assert variants["variant_classification"].tolist() == ["Missense_Mutation", "Missense_Mutation"]
    assert any("differ from a MAF class only in letter case" in w and "'missense_mutation' (line 4)" in w
               for w in _warnings(report, "Variant_Classification"))


def test_empty_classification_is_counted(tmp_path):
    rows = [["PIK3CA", "S1", "3", 1, "G", "A", None, "p.E545K", 9, 1, 10],
            ["PIK3CA", "S1", "3", 2, "G", "A", "Silent", "p.E545=", 9, 1, 10]]
    variants, report = read_maf(_write(tmp_path / "m.maf", HEADER, rows))
    assert variants["variant_classification"].isna().tolist() == [True, False]
    assert any(w.startswith("1 row(s) have no Variant_Classification") for w in _warnings(report))


def test_vcf2maf_consequences_give_back_its_own_classifications():
    """The SO-term map, run on vcf2maf's real output, reproduces every Variant_Classification it wrote."""
    frame = read_raw_table(SHARED_DATA / "vcf2maf" / "test_output.vep_isoforms.maf").frame
    recovered = [maf_class_from_consequence(c, r, a) for c, r, a in
                 zip(frame["Consequence"], frame["Reference_Allele"], frame["Tumor_Seq_Allele2"], strict=True)]
    assert recovered == frame["Variant_Classification"].tolist()


#: Real MAFs known to carry classification defects, and what cBioPortal's validator says of them.
KNOWN_BAD = {
    "data_mutations_invalid_variant_classification.maf",  # 'Missense_mUtAtioN' and a blank
    "data_mutations_invalid_utf8.maf",                     # not UTF-8: refused before any check
}


def _real_mafs() -> list[Path]:
    files = sorted(set(SHARED_DATA.rglob("*.maf")) | set(SHARED_DATA.rglob("data_mutations*.txt")))
    return [f for f in files if f.name not in KNOWN_BAD
            and f.parent.name != "study_various_issues"]  # its brca MAF has 'Missense_mUtAtioN'


@pytest.mark.parametrize("path", _real_mafs(), ids=lambda p: str(p.relative_to(SHARED_DATA)))
def test_valid_real_mafs_are_not_flagged(path):
    variants, report = read_maf(path)
    content = [m.format() for m in report.warnings
               if m.column == "Variant_Classification" or "vaf_flag" in m.message]
    assert content == []
    assert variants["vaf_flag"].isna().all()
    assert variants["variant_classification"].notna().all()


def test_real_mafs_with_classification_defects_are_flagged():
    _, report = read_maf(SHARED_DATA / "cbioportal_validator" / "mutations"
                         / "data_mutations_invalid_variant_classification.maf")
    messages = _warnings(report, "Variant_Classification")
    assert any("'Missense_mUtAtioN' (line 12)" in m for m in messages)
    assert any("empty Variant_Classification: classification recovered from Consequence" in m for m in messages)
    _, report = read_maf(SHARED_DATA / "cbioportal_validator" / "study_various_issues" / "brca_tcga_pub.maf")
    assert any("Missense_mUtAtioN" in m for m in _warnings(report, "Variant_Classification"))


# ----------------------------------------------------------------------------------- VAF plausibility

def _flags(tmp_path, header, rows, **kwargs) -> tuple[pd.Series, object]:
    variants, report = read_maf(_write(tmp_path / "v.maf", header, rows), **kwargs)
    return variants["vaf_flag"], report


def test_swapped_counts_against_the_callers_vaf(tmp_path):
    header = HEADER + ["t_vaf"]
    rows = [["PIK3CA", "P1", "3", 1, "G", "A", "Missense_Mutation", "p.E545K", 30, 970, 1000, 0.03],  # swapped
            ["TP53", "P1", "17", 2, "C", "T", "Missense_Mutation", "p.R175H", 970, 30, 1000, 0.03],   # fine
            ["KRAS", "P1", "12", 3, "C", "T", "Missense_Mutation", "p.G12D", 600, 400, 1000, 0.38]]   # fine
    flags, report = _flags(tmp_path, header, rows)
    assert flags.tolist()[0] == FLAG_SWAPPED
    assert flags.iloc[1:].isna().all()
    assert any(w.startswith(f"1 row(s): {FLAG_SWAPPED} (lines 3)") for w in _warnings(report, "t_alt_count"))


def test_percent_vaf_column_and_bare_af_is_not_the_callers(tmp_path):
    header = HEADER + ["VAF", "AF"]
    rows = [["PIK3CA", "P1", "3", 1, "G", "A", "Missense_Mutation", "p.E545K", 30, 970, 1000, "3%", 0.97],
            ["TP53", "P1", "17", 2, "C", "T", "Missense_Mutation", "p.R175H", 970, 30, 1000, "3%", 0.97]]
    flags, _ = _flags(tmp_path, header, rows)
    # VAF "3%" disagrees with 970/1000 -> swapped; the population AF column (VEP's 1000 Genomes AF) is ignored.
    assert flags.tolist()[0] == FLAG_SWAPPED
    assert pd.isna(flags.iloc[1])


def test_counts_exceeding_depth(tmp_path):
    rows = [["PIK3CA", "P1", "3", 1, "G", "A", "Missense_Mutation", "p.E545K", 900, 1000, 100],  # alt/depth mixed
            ["TP53", "P1", "17", 2, "C", "T", "Missense_Mutation", "p.R175H", 900, 95, 1000],    # fewer: normal
            ["KRAS", "P1", "12", 3, "C", "T", "Missense_Mutation", "p.G12D", 8, 4, 10]]          # 2 reads: noise
    flags, report = _flags(tmp_path, HEADER, rows)
    assert flags.iloc[0] == FLAG_DEPTH
    assert flags.iloc[1:].isna().all()
    assert any(FLAG_DEPTH in w for w in _warnings(report))


def test_high_vaf_in_plasma_but_not_in_a_germline_context(tmp_path):
    header = HEADER + ["Matched_Norm_Sample_Barcode", "Mutation_Status"]
    row = ["TP53", "P1-B", "17", 7578406, "C", "T", "Missense_Mutation", "p.R175H", 30, 970, 1000]
    rows = [row + ["P1-N", "Somatic"],                  # plasma draw, somatic: implausible
            [*row[:1], "P1-N", *row[2:], "", ""],       # the matched normal (named by row 1): germline
            [*row[:1], "P2-B", *row[2:], "", "Germline"],  # flagged germline by the caller
            [*row[:1], "P3-B", *row[2:], "", ""],       # plasma, no germline context
            [*row[:1], "P4-N", *row[2:], "", ""]]       # a normal named only by the sample file
    flags, report = _flags(tmp_path, header, rows)
    assert flags.tolist()[0] == FLAG_HIGH_VAF
    assert pd.isna(flags.iloc[1]) and pd.isna(flags.iloc[2])
    assert flags.iloc[3] == FLAG_HIGH_VAF and flags.iloc[4] == FLAG_HIGH_VAF
    assert any(w.startswith(f"3 row(s): {FLAG_HIGH_VAF} (lines 3, 6, 7)") for w in _warnings(report, "t_alt_count"))
    flags, _ = _flags(tmp_path, header, rows, normal_samples={"P4-N"})
    assert pd.isna(flags.iloc[4]) and flags.iloc[3] == FLAG_HIGH_VAF


def test_vaf_at_095_and_under_counted_reference_are_not_flagged(tmp_path):
    rows = [["TP53", "P1", "17", 1, "C", "T", "Missense_Mutation", "p.R175H", 50, 950, 1000],   # exactly 0.95
            # complex indel: reference reads not counted (vcf2maf's APC row): alt/depth = 0.4
            ["APC", "P1", "5", 2, "AAGA", "CA", "Frame_Shift_Del", "p.E1156Afs*7", 0, 8, 20]]
    flags, report = _flags(tmp_path, HEADER, rows)
    assert flags.isna().all()
    assert not any("vaf_flag" in w for w in _warnings(report))


def test_a_file_vaf_flag_column_is_recomputed_not_duplicated(tmp_path):
    header = HEADER + ["vaf_flag"]
    rows = [["TP53", "P1", "17", 1, "C", "T", "Missense_Mutation", "p.R175H", 900, 100, 1000, "stale text"]]
    variants, _ = read_maf(_write(tmp_path / "m.maf", header, rows))
    assert list(variants.columns).count("vaf_flag") == 1
    assert variants["vaf_flag"].isna().all()


def test_several_flags_on_one_row_are_joined(tmp_path):
    header = HEADER + ["t_vaf"]
    rows = [["PIK3CA", "P1", "3", 1, "G", "A", "Missense_Mutation", "p.E545K", 30, 970, 100, 0.03]]
    flags, _ = _flags(tmp_path, header, rows)
    assert flags.iloc[0] == f"{FLAG_SWAPPED}; {FLAG_DEPTH}"


def test_missing_classification_column_is_said_once(tmp_path):
    header = [h for h in HEADER if h != "Variant_Classification"]
    rows = [["PIK3CA", "S1", "3", 1, "G", "A", "p.E545K", 9, 1, 10]] * 3
    variants, report = read_maf(_write(tmp_path / "m.maf", header, rows))
    assert variants["variant_classification"].isna().all()
    assert _warnings(report, "Variant_Classification") == [
        "column absent: 3 row(s) have no Variant_Classification; they count as mutations only when their "
        "protein change names an amino-acid change"]
