"""cBioPortal's own validator test data as a real-study corpus (issue 8, point 7).

``SHARED_DATA / "cbioportal_validator"`` is the ``test_data`` folder of cBioPortal's validator
(``cBioPortal/cbioportal-core``). Three kinds of checks:

* ``study_es_0`` (cBioPortal: "Success") opens with every file read or listed with a reason, and every
  count agrees with the files, counted here independently of the reader;
* every study folder of the corpus opens or is refused with a StudyValidationError, never another
  exception, and agrees with the verdict of the folder's ``result_report.html``;
* every one-defect file of a data type this tool reads, copied into a small study of its own, gives the
  verdict that cBioPortal's unit tests (``tests/unit_tests_validate_data.py``) assert for it, with line and
  column, or a different verdict for a documented reason (:data:`ONE_DEFECT_FILES`; the same list is in
  ``docs/data_dictionary.md``, section "Differences from cBioPortal's validator").
"""

from __future__ import annotations

import html
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

from analysis.errors import StudyValidationError
from analysis.io.cbioportal import read_study
from analysis.io.study_files import META_KINDS, ROLE_LABELS
from analysis.validation import ValidationMessage
from tests.conftest import PROJECT_ROOT, SHARED_DATA

CORPUS = SHARED_DATA / "cbioportal_validator"
MISSING = {"", "NA"}

# --------------------------------------------------------------------------- independent counting


def _lines(path: Path) -> list[list[str]]:
    """The non-comment, non-blank lines of a tab-separated file, split on tabs (header first)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        return [line.rstrip("\r\n").split("\t") for line in handle
                if not line.startswith("#") and line.strip()]


def _column(table: list[list[str]], *names: str) -> list[str]:
    header = [h.strip().upper() for h in table[0]]
    for name in names:
        if name.upper() in header:
            i = header.index(name.upper())
            return [row[i].strip() if i < len(row) else "" for row in table[1:]]
    return []


def _key_values(path: Path) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in path.read_text().splitlines() if ":" in line)
    return {k.strip(): v.strip() for k, v in pairs}


# --------------------------------------------------------------------------- study_es_0

def test_study_es_0_opens_with_every_file_accounted_for_and_counts_from_the_files():
    folder = CORPUS / "study_es_0"
    study = read_study(folder)
    assert study.report.ok

    listing = study.files.set_index("file")
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert set(listing.index) == on_disk
    unread = listing[listing["read_as"].isna() | listing["read_as"].eq("meta file")]
    assert unread[unread["reason"].fillna("").str.strip() == ""].empty
    # Every data file a meta file names is read as what the meta file says, or listed as unused.
    for meta_path in folder.glob("meta_*.txt"):
        meta = _key_values(meta_path)
        if "data_filename" not in meta:
            continue
        row = listing.loc[meta["data_filename"]]
        role = META_KINDS.get((meta.get("genetic_alteration_type", ""), meta.get("datatype", "")))
        if role is None:
            assert pd.isna(row["read_as"]) and "not a data type this tool uses" in row["reason"], meta_path.name
        else:
            assert row["read_as"] == ROLE_LABELS[role], meta_path.name

    assert len(study.patients) == len(_lines(folder / "data_clinical_patients.txt")) - 1
    assert len(study.samples) == len(_lines(folder / "data_clinical_samples.txt")) - 1
    assert len(study.variants) == len(_lines(folder / "data_mutations_extended.maf")) - 1
    assert len(study.structural_variants) == len(_lines(folder / "data_structural_variants.txt")) - 1
    assert len(study.segments) == len(_lines(folder / "data_cna_hg19.seg")) - 1

    long = _lines(folder / "data_cna_discrete.txt")  # DISCRETE_LONG by its meta file
    long_pairs = {(s, g) for s, g, v in zip(_column(long, "Sample_Id"), _column(long, "Hugo_Symbol"),
                                            _column(long, "Value"), strict=True) if v not in MISSING}
    assert study.copy_number["cna_discrete"].notna().sum() == len(long_pairs)
    log2 = _lines(folder / "data_cna_log2.txt")
    sample_cols = [i for i, h in enumerate(log2[0]) if h not in ("Hugo_Symbol", "Entrez_Gene_Id")]
    log2_pairs = {(log2[0][i], row[0]) for row in log2[1:] for i in sample_cols if row[i].strip() not in MISSING}
    assert study.copy_number["log2_ratio"].notna().sum() == len(log2_pairs)
    assert len(study.copy_number) == len(long_pairs | log2_pairs)

    matrix = _lines(folder / "data_gene_panel_matrix.txt")
    assert len(study.gene_panels) == (len(matrix) - 1) * (len(matrix[0]) - 1)
    panel_sizes = {_key_values(p)["stable_id"]: len(set(_key_values(p)["gene_list"].split()))
                   for p in folder.glob("data_gene_panel_test*.txt")}
    assert study.panel_genes.groupby("panel_id").size().to_dict() == panel_sizes

    case_lists = {_key_values(p)["stable_id"]: len(set(_key_values(p)["case_list_ids"].split("\t")))
                  for p in (folder / "case_lists").glob("*.txt")}
    assert study.case_lists.groupby("case_list").size().to_dict() == case_lists
    assert study.timeline.empty  # study_es_0 has no timeline files


# --------------------------------------------------------------------------- every study folder

def _study_folders() -> list[Path]:
    """Every folder below the corpus holding a meta_study.txt or data files (case_lists/ folders aside)."""
    def holds_data(folder: Path) -> bool:
        return any(p.is_file() and (p.name.startswith(("meta_", "data_")) or p.suffix in (".maf", ".seg"))
                   for p in folder.iterdir())
    return sorted(p for p in CORPUS.rglob("*") if p.is_dir() and p.name != "case_lists" and holds_data(p))


class Report(NamedTuple):
    status: str
    errors: dict[str, list[str]]  # file (panel title) -> error messages


def parse_result_report(path: Path) -> Report:
    """cBioPortal's HTML report: the "Validation status" and the class="danger" rows of each file's panel."""
    text = path.read_text(encoding="utf-8")
    status = re.search(r"Validation status:\s*<strong>\s*(.*?)\s*</strong>", text, re.S)
    assert status is not None, path
    errors: dict[str, list[str]] = {}
    for section in re.split(r'<h4 class="panel-title">', text)[1:]:
        title = html.unescape(section.split("</h4>", 1)[0]).strip()
        if title == "Legend":  # the legend explains the colours with a "danger" row of its own
            continue
        for row in re.findall(r'<tr class="danger">(.*?)</tr>', section, re.S):
            cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
            errors.setdefault(title, []).append(" | ".join(cells[1:]))
    return Report(status.group(1), errors)


#: cBioPortal's status -> opens (True) or is refused (False).
OPENS = {"Success": True, "Please check": True, "Failed": False}



class StudyVerdict(NamedTuple):
    cbio: str  # what cBioPortal's unit tests conclude for the folder (it has no result_report.html)
    ours: str  # "opens" or "refused"
    reason: str


#: Study folders without a result_report.html that cBioPortal's unit tests validate as a whole.
STUDY_VERDICTS = {
    "study_cancertype_two_files": StudyVerdict("error", "opens", "cancer-type files are not used"),
    "study_missing_caselists": StudyVerdict(
        "error", "opens", "case lists are optional: no list (_all, _sequenced, _cna) is required"),
    "study_metastableid": StudyVerdict(
        "error", "refused", "same verdict, other cause: its meta files name data files that are not there; "
        "stable_id values are not checked"),
    "meta_study/invalid_pmid_values": StudyVerdict(
        "error", "refused", "same verdict, other cause: it has no sample file; PMIDs of meta_study.txt are not read"),
    "meta_study/invalid_show_profile_setting_cna": StudyVerdict(
        "error", "opens", "show_profile_in_analysis_tab is not used"),
    "study_es_0_inc": StudyVerdict(
        "accepted", "refused", "incremental data (for patients and samples defined in an already loaded study) "
        "is not a study on its own here: its samples name patients it does not define"),
}


@pytest.mark.parametrize("folder", _study_folders(), ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_every_corpus_study_opens_or_is_refused_and_agrees_with_cbioportal(folder):
    try:
        study = read_study(folder)
        opened, errors = True, []
    except StudyValidationError as exc:
        opened, errors = False, exc.report.errors
        assert errors, "refused without an error"
    known = STUDY_VERDICTS.get(folder.relative_to(CORPUS).as_posix())
    if known is not None:
        assert opened == (known.ours == "opens"), [e.format() for e in errors]
    report_path = folder / "result_report.html"
    if not report_path.is_file():
        return
    cbio = parse_result_report(report_path)
    assert opened == OPENS[cbio.status], f"cBioPortal: {cbio.status}; ours: {[e.format() for e in errors]}"
    if opened:
        assert study.report.ok
    else:  # a refusal names a file cBioPortal flags too (or cBioPortal's error is about the study as a whole)
        assert cbio.errors
        assert {e.file for e in errors} & set(cbio.errors) or "General" in cbio.errors


def test_the_corpus_has_the_studies_with_cbioportal_reports():
    reports = {p.parent.name: parse_result_report(p).status for p in CORPUS.glob("*/result_report.html")}
    assert reports == {"study_es_0": "Success", "study_es_1": "Failed", "study_es_3": "Please check",
                       "study_quotes": "Failed", "study_various_issues": "Failed", "study_wr_clin": "Failed"}
    assert len(_study_folders()) >= 18


# --------------------------------------------------------------------------- one-defect files

#: kind -> (genetic_alteration_type, datatype, file name in the small study)
KINDS = {
    "sample": ("CLINICAL", "SAMPLE_ATTRIBUTES", "data_clinical_sample.txt"),
    "patient": ("CLINICAL", "PATIENT_ATTRIBUTES", "data_clinical_patient.txt"),
    "timeline": ("CLINICAL", "TIMELINE", "data_timeline.txt"),
    "maf": ("MUTATION_EXTENDED", "MAF", "data_mutations.txt"),
    "cna": ("COPY_NUMBER_ALTERATION", "DISCRETE", "data_cna.txt"),
    "cna_long": ("COPY_NUMBER_ALTERATION", "DISCRETE_LONG", "data_cna_long.txt"),
    "seg": ("COPY_NUMBER_ALTERATION", "SEG", "data_cna_hg19.seg"),
    "sv": ("STRUCTURAL_VARIANT", "SV", "data_sv.txt"),
    "gene_panel_matrix": ("GENE_PANEL_MATRIX", "GENE_PANEL_MATRIX", "data_gene_panel_matrix.txt"),
}
#: cBioPortal's unit tests check the patient files against these patients with samples (setUpModule).
CBIO_PATIENTS_WITH_SAMPLES = [f"TEST-PAT{n}" for n in range(1, 10) if n != 8]

ERROR, WARNING, ACCEPTED = "error", "warning", "accepted"
NO_ERROR = "no error"  # cBioPortal's unit test only looked at errors (logger level ERROR)
NOT_TESTED = "not tested"  # no (running) unit test asserts anything about the file

# Reasons shared by several files.
ATTR_HEADER = "the four # attribute rows (display name, description, datatype, priority) are not used"
GENE_LIST = "genes are not checked against a portal gene list (symbols, Entrez ids, aliases)"
HUGO_KEYED = "genes are keyed on HUGO symbols and no gene list maps Entrez ids to them: Hugo_Symbol is required"
IDS_AS_TEXT = "identifiers are compared as text: spaces and commas inside them are allowed"
NO_COUNTS = "our warning is about the missing t_ref_count / t_alt_count (no VAF)"
DRIVER = "driver annotations (cbp_driver*) are not used; " + NO_COUNTS
STRICT_MAF = "Variant_Type, End_Position and allele consistency (strict MAF checks) are not checked"


class Defect(NamedTuple):
    file: str  # relative to the corpus
    kind: str  # a KINDS key, "patient_mock" (patients against cBioPortal's mock samples) or "case_lists"
    cbio: str  # cBioPortal's verdict (its unit test)
    ours: str  # our verdict
    line: int | None = None  # a location cBioPortal gives that our report names too (1-based line, column)
    column: int | None = None
    reason: str = ""  # why ours differs, or what cBioPortal finds that we do not

    @property
    def differs(self) -> bool:
        return self.cbio != NOT_TESTED and not (self.cbio == self.ours or (self.cbio == NO_ERROR
                                                                           and self.ours != ERROR))


D = Defect
T_DEPTH_ZERO = "; our warning is about t_depth 0 (read as missing)"
ONE_DEFECT_FILES: list[Defect] = [
    # clinical attributes
    D("data_clin_coldefs_correct.txt", "patient", ACCEPTED, ACCEPTED),
    D("data_clin_coldefs_invalid_priority.txt", "patient", ERROR, ACCEPTED, reason=ATTR_HEADER),
    D("data_clin_coldefs_lowercase_attribute.txt", "patient", ERROR, ACCEPTED,
      reason="column names are matched case-insensitively; a lower-case attribute is kept"),
    D("data_clin_coldefs_hardcoded_attrs.txt", "patient", ERROR, ACCEPTED,
      reason=ATTR_HEADER + "; sample attributes in a patient file are kept as free attributes"),
    D("data_clin_coldefs_banned_attribute.txt", "patient", ERROR, ACCEPTED,
      reason="MUTATION_COUNT (computed by cBioPortal) is kept as a free attribute"),
    D("data_clin_coldefs_wrong_display_name.txt", "patient", NOT_TESTED, ACCEPTED, reason=ATTR_HEADER),
    D("data_clin_date_in_nondate_column.txt", "patient", ERROR, ACCEPTED,
      reason="free attributes are kept as text: no check for dates made by a spreadsheet"),
    D("data_clin_hardcoded_attr_vals.txt", "patient", ERROR, WARNING, 8, 7,
      reason="a survival status is read from its 0:/1: code (0:ALIVE and 0:living are censored), a bare word "
             "such as PROGRESSION with a warning; DFS_STATUS is not read"),
    D("data_clin_missing_patient.txt", "patient_mock", WARNING, ERROR,
      reason="a sample whose patient is not in the patient file is an error: its survival and HER2 data would "
             "be missing without notice"),
    D("data_clin_patient_without_samples.txt", "patient_mock", WARNING, ACCEPTED,
      reason="a patient without samples is kept; no sample-level analysis includes it"),
    D("data_clin_wrong_patient_id.txt", "patient", ERROR, ACCEPTED, reason=IDS_AS_TEXT),
    D("data_clinical_pat_no_hdr.txt", "patient", ERROR, ACCEPTED,
      reason="clinical files without the four # attribute rows are read (cBioPortal's relaxed mode)"),
    D("data_clin_order1.txt", "sample", ACCEPTED, ACCEPTED),
    D("data_clin_order2.txt", "sample", ACCEPTED, ACCEPTED),
    D("data_clin_repeated_sample.txt", "sample", ERROR, ERROR, 11, 2),
    D("data_clin_repeated_tcga_sample.txt", "sample", WARNING, ERROR, 11, 2,
      reason="a repeated sample id is an error whatever its naming scheme (cBioPortal merges TCGA barcodes)"),
    D("data_clin_wrong_ids.txt", "sample", ERROR, ACCEPTED, reason=IDS_AS_TEXT),
    D("data_clinical_sam_no_hdr.txt", "sample", ERROR, ACCEPTED,
      reason="clinical files without the four # attribute rows are read (cBioPortal's relaxed mode)"),
    D("data_timeline_invalid_start_date.txt", "timeline", ERROR, ERROR),
    # discrete copy number, gene x sample
    D("data_cna_blank_heading.txt", "cna", ERROR, ERROR, 1, 2),
    D("data_cna_cytoband.txt", "cna", ACCEPTED, ACCEPTED),
    D("data_cna_duplicate_gene.txt", "cna", WARNING, ERROR, 6,
      reason="gene aliases are not resolved (CENTB5 is not taken for ACAP3), so line 6 is no duplicate and its "
             "invalid values are errors"),
    D("data_cna_genecol_presence_both.txt", "cna", ACCEPTED, ACCEPTED),
    D("data_cna_genecol_presence_both_invalid_couple.txt", "cna", WARNING, ACCEPTED, reason=GENE_LIST),
    D("data_cna_genecol_presence_both_invalid_entrez.txt", "cna", WARNING, ACCEPTED, reason=GENE_LIST),
    D("data_cna_genecol_presence_both_invalid_hugo.txt", "cna", WARNING, ACCEPTED, reason=GENE_LIST),
    D("data_cna_genecol_presence_both_invalid_hugo_integer.txt", "cna", NO_ERROR, ACCEPTED),
    D("data_cna_genecol_presence_entrez_only.txt", "cna", ACCEPTED, ERROR, reason=HUGO_KEYED),
    D("data_cna_genecol_presence_entrez_only_invalid.txt", "cna", WARNING, ERROR, reason=HUGO_KEYED),
    D("data_cna_genecol_presence_hugo_only.txt", "cna", WARNING, ACCEPTED,
      reason="Entrez_Gene_Id is not needed (genes are keyed on HUGO symbols)"),
    D("data_cna_genecol_presence_hugo_only_ambiguous.txt", "cna", WARNING, ACCEPTED, reason=GENE_LIST),
    D("data_cna_genecol_presence_hugo_only_invalid.txt", "cna", WARNING, ACCEPTED, reason=GENE_LIST),
    D("data_cna_genecol_presence_hugo_only_possible_alias.txt", "cna", WARNING, ACCEPTED, reason=GENE_LIST),
    D("data_cna_genecol_presence_neither.txt", "cna", ERROR, ERROR,
      reason="same verdict; the missing-column error names the file, not header line 1"),
    D("data_cna_invalid_values.txt", "cna", ERROR, ERROR, 6, 3,
      reason="same verdict; blank cells and [Not Available] are missing values here, not errors (lines 3, 5, 8)"),
    # discrete copy number, long format
    D("data_cna_long_genecol_presence_all.txt", "cna_long", ACCEPTED, ACCEPTED),
    D("data_cna_long_genecol_presence_hugo_only.txt", "cna_long", ACCEPTED, ACCEPTED),
    D("data_cna_long_genecol_presence_entrez_only.txt", "cna_long", ACCEPTED, ERROR, reason=HUGO_KEYED),
    D("data_cna_long_genecol_presence_neither_genic.txt", "cna_long", ERROR, ERROR),
    D("data_cna_long_genecol_no_sample_id.txt", "cna_long", ERROR, ERROR),
    D("data_cna_long_genecol_no_value.txt", "cna_long", ERROR, ERROR),
    D("data_cna_long_genecol_no_custom_driver.txt", "cna_long", ACCEPTED, ACCEPTED),
    D("data_cna_long_genecol_no_namespace.txt", "cna_long", ERROR, ACCEPTED,
      reason="namespaces (meta file namespaces: and their columns) are not used"),
    D("data_cna_long_duplicated_gene.txt", "cna_long", ERROR, ERROR),
    D("data_cna_long_duplicated_entrez.txt", "cna_long", ERROR, ERROR,
      reason="same verdict, other cause: rows without a HUGO symbol are errors here; Entrez ids are not compared"),
    D("data_cna_long_one_hugo_same_gene.txt", "cna_long", ERROR, ERROR,
      reason="same verdict, other cause: rows without a HUGO symbol are errors here; Entrez ids are not compared"),
    D("data_cna_long_two_hugos_same_gene.txt", "cna_long", ERROR, ACCEPTED, reason=GENE_LIST),
    D("data_cna_long_invalid_values.txt", "cna_long", ERROR, ERROR, 12, 4,
      reason="same verdict; [Not Available] and N/A are missing values here (lines 7, 18); cBioPortal numbers "
             "the Value column 3, counting from 0"),
    # gene-panel matrix, segments, structural variants
    D("data_gene_matrix_duplicate_sample.txt", "gene_panel_matrix", ERROR, ERROR),
    D("data_seg_valid.seg", "seg", ACCEPTED, ACCEPTED),
    D("data_seg_blank_line.seg", "seg", ERROR, ACCEPTED, reason="blank lines are skipped in every table"),
    D("data_seg_end_before_start.seg", "seg", ERROR, ERROR, 11,
      reason="same verdict; a zero-length segment (line 31) is not warned about"),
    D("data_seg_invalid_hg18.seg", "seg", ERROR, ACCEPTED,
      reason="positions are not checked against the chromosome lengths of a reference genome"),
    D("data_seg_nonsense_values.seg", "seg", ERROR, ERROR, 28, 3,
      reason="same verdict; chromosome names are not checked, and the first bad value of a SEG file is reported"),
    D("data_seg_out_of_bounds.seg", "seg", ERROR, ERROR, 36, 3,
      reason="same verdict; an end beyond the chromosome end (line 41) is not checked (no reference genome)"),
    D("data_seg_wrong_order.txt", "seg", ERROR, ACCEPTED,
      reason="SEG columns are taken by position: their names differ between tools"),
    D("data_structural_variants_duplicate_entry.txt", "sv", ERROR, WARNING,
      reason="a repeated structural variant is counted once, with a warning"),
    D("data_structural_variants_missing_columns.txt", "sv", ERROR, ACCEPTED,
      reason="SV_Status is not required, and an event naming only its Site1 gene is read as intragenic"),
    D("data_structural_variants_missing_values.txt", "sv", ERROR, ERROR, 3),
    # mutations (MAF)
    D("mutations/data_mutations_absence_custom_annotation_columns_when_custom_values_columns.maf", "maf",
      ERROR, WARNING, reason=DRIVER),
    D("mutations/data_mutations_absence_custom_values_columns_when_custom_annotation_columns.maf", "maf",
      ERROR, WARNING, reason=DRIVER),
    D("mutations/data_mutations_check_special_cases_allele.maf", "maf", ERROR, ACCEPTED, reason=STRICT_MAF),
    D("mutations/data_mutations_custom_tiers_column_more_than_50_characters.maf", "maf", ERROR, WARNING,
      reason=DRIVER),
    D("mutations/data_mutations_empty_custom_annotation_fields.maf", "maf", ERROR, WARNING, reason=DRIVER),
    D("mutations/data_mutations_invalid_norm_samples.maf", "maf", ERROR, WARNING,
      reason="Matched_Norm_Sample_Barcode and the meta file's normal_samples_list are not used; " + NO_COUNTS),
    D("mutations/data_mutations_invalid_swissprot.maf", "maf", WARNING, WARNING,
      reason="same verdict, other cause: SWISSPROT is not read; " + NO_COUNTS),
    D("mutations/data_mutations_invalid_utf8.maf", "maf", ERROR, ERROR),
    D("mutations/data_mutations_invalid_variant_classification.maf", "maf", ERROR, WARNING,
      reason="a Variant_Classification that is not a MAF class is recovered (letter case, Consequence) or set "
             "missing, with a warning counting the rows"),
    D("mutations/data_mutations_missing_aa_change_column.maf", "maf", ERROR, WARNING,
      reason="the protein change (HGVSp_Short, Amino_Acid_Change) is optional; " + NO_COUNTS),
    D("mutations/data_mutations_missing_swissprot.maf", "maf", WARNING, WARNING,
      reason="same verdict, other cause: SWISSPROT is not read; " + NO_COUNTS),
    D("mutations/data_mutations_missing_zygosity_status_column.maf", "maf", NOT_TESTED, WARNING,
      reason="a blank last header cell over an empty column is dropped with a warning"),
    D("mutations/data_mutations_more_than_10_types_in_driver_class.maf", "maf", WARNING, WARNING,
      reason="same verdict, other cause: " + DRIVER),
    D("mutations/data_mutations_more_than_80_characters_in_custom_annotation_columns.maf", "maf", ERROR, WARNING,
      reason=DRIVER),
    D("mutations/data_mutations_ms.maf", "maf", WARNING, WARNING,
      reason="same verdict, other cause: Mutation_Status is not read (germline rows are kept); our warning is "
             "about t_depth 0 (read as missing)"),
    D("mutations/data_mutations_name_swissprot.maf", "maf", WARNING, WARNING,
      reason="same verdict, other cause: SWISSPROT is not read; " + NO_COUNTS),
    D("mutations/data_mutations_not_loaded_ms.maf", "maf", WARNING, WARNING,
      reason="Mutation_Status is not read: rows with None, LOH or Wildtype are kept, not dropped as in "
             "cBioPortal" + T_DEPTH_ZERO),
    D("mutations/data_mutations_not_supported_custom_driver_annotation_values.maf", "maf", ERROR, WARNING,
      reason=DRIVER),
    D("mutations/data_mutations_silent_alternative.maf", "maf", ERROR, WARNING,
      reason="Hugo_Symbol Unknown is kept as written; Entrez ids are not used" + T_DEPTH_ZERO),
    D("mutations/data_mutations_some_silent.maf", "maf", ACCEPTED, WARNING,
      reason="silent, intronic, UTR and flank rows are kept, not filtered out as in cBioPortal" + T_DEPTH_ZERO),
    D("mutations/data_mutations_test_variant_types.maf", "maf", ERROR, WARNING,
      reason=STRICT_MAF + "; repeated mutation rows are not detected; " + NO_COUNTS),
    D("mutations/data_mutations_too_long_hgvsp_short.maf", "maf", NOT_TESTED, WARNING, reason=NO_COUNTS),
    D("mutations/data_mutations_validation_status.maf", "maf", ERROR, WARNING,
      reason="Validation_Status and the validation alleles are not read" + T_DEPTH_ZERO),
    D("mutations/data_mutations_vs.maf", "maf", WARNING, WARNING,
      reason="Validation_Status and Verification_Status are not read" + T_DEPTH_ZERO),
    D("mutations/data_mutations_wrong_aa_change.maf", "maf", ERROR, WARNING,
      reason="protein changes are kept as written (several changes or alleles in one cell too); " + NO_COUNTS),
    D("mutations/data_mutations_wrong_gene_position.maf", "maf", ERROR, ACCEPTED,
      reason="a Start_Position written 16449539.0 is read as that whole number; End_Position is not read"),
    # case lists
    D("case_lists_duplicated", "case_lists", ERROR, ACCEPTED,
      reason="case lists only say which samples were sequenced: two lists with one stable_id are both read"),
    D("case_lists_duplicated_sampleid", "case_lists", WARNING, ACCEPTED,
      reason="a sample listed twice in a case list is read once"),
    D("case_lists_invalid_category", "case_lists", ERROR, ACCEPTED,
      reason="case-list categories other than the sequenced ones are not used"),
    D("case_lists_duplicate_category", "case_lists", WARNING, ACCEPTED,
      reason="case-list categories other than the sequenced ones are not used"),
]


def _ids_used(path: Path, kind: str) -> list[str]:
    """The sample ids a data file uses, read from the file itself."""
    table = _lines(path)
    if kind == "cna":
        return [h.strip() for h in table[0] if h.strip().upper() not in ("HUGO_SYMBOL", "ENTREZ_GENE_ID", "CYTOBAND")]
    if kind == "seg":
        return [row[0].strip() for row in table[1:]]
    names = {"cna_long": ("Sample_Id",), "sv": ("Sample_Id", "Tumor_Sample_Barcode"),
             "maf": ("Tumor_Sample_Barcode",), "gene_panel_matrix": ("SAMPLE_ID",), "timeline": ("SAMPLE_ID",)}
    return _column(table, *names.get(kind, ()))


def build_one_defect_study(folder: Path, source: Path, kind: str) -> str:
    """A study around *source*: it, its meta file, and a sample file of the samples (or patients) it names.

    Returns the name of *source* inside the study ("case_lists/" for a case-list folder)."""
    folder.mkdir()
    (folder / "meta_study.txt").write_text("type_of_cancer: brca\ncancer_study_identifier: corpus\n"
                                           "name: corpus\ndescription: one defect\n")

    def meta(key: str, data_file: str) -> None:
        alteration, datatype, _ = KINDS[key]
        (folder / f"meta_{key}.txt").write_text(f"cancer_study_identifier: corpus\ngenetic_alteration_type: "
                                                f"{alteration}\ndatatype: {datatype}\ndata_filename: {data_file}\n")

    patients: list[str] = []
    if kind == "case_lists":
        shutil.copytree(source, folder / "case_lists")
        name = "case_lists/"
        samples = [i.strip() for p in source.glob("*.txt") for i in _key_values(p).get("case_list_ids", "").split("\t")]
    else:
        key = "patient" if kind == "patient_mock" else kind
        name = KINDS[key][2]
        shutil.copyfile(source, folder / name)
        meta(key, name)
        samples = _ids_used(source, key)
        if key in ("patient", "timeline"):
            patients = _column(_lines(source), "PATIENT_ID")
        if kind == "patient_mock":
            patients = CBIO_PATIENTS_WITH_SAMPLES
    if kind != "sample":
        rows = [(f"{p}-S", p) for p in dict.fromkeys(p for p in patients if p)]
        rows += [(s, patients[0] if patients else s) for s in dict.fromkeys(s for s in samples if s)]
        (folder / "data_clinical_sample.txt").write_text(
            "SAMPLE_ID\tPATIENT_ID\n" + "".join(f"{s}\t{p}\n" for s, p in rows))
        meta("sample", "data_clinical_sample.txt")
    return name


def _column_number(folder: Path, message: ValidationMessage) -> int | None:
    """The 1-based position of the message's column in the header of its file."""
    if message.column is None:
        return None
    if m := re.fullmatch(r"column (\d+)", message.column):
        return int(m.group(1))
    header = [h.strip().upper() for h in _lines(folder / message.file)[0]]
    return header.index(message.column.upper()) + 1 if message.column.upper() in header else None


def our_verdict(folder: Path, name: str) -> tuple[str, list[ValidationMessage]]:
    """(verdict, messages): the messages about the file under test, and every error of the study."""
    try:
        messages = read_study(folder).report.messages
    except StudyValidationError as exc:
        messages = exc.report.messages
    mine = [m for m in messages if m.file.startswith(name) or m.level == ERROR]
    return (ERROR if any(m.level == ERROR for m in mine) else WARNING if mine else ACCEPTED), mine


@pytest.mark.parametrize("defect", ONE_DEFECT_FILES, ids=lambda d: d.file)
def test_one_defect_file_gets_cbioportals_verdict_or_a_documented_one(defect, tmp_path):
    study = tmp_path / "study"
    name = build_one_defect_study(study, CORPUS / defect.file, defect.kind)
    verdict, messages = our_verdict(study, name)
    assert verdict == defect.ours, [m.format() for m in messages]
    if defect.differs:
        assert defect.reason, "a verdict that differs from cBioPortal's needs its reason"
    if defect.line is not None or defect.column is not None:
        located = {(m.line, _column_number(study, m)) for m in messages if m.level == verdict}
        assert any((defect.line is None or line == defect.line) and (defect.column is None or col == defect.column)
                   for line, col in located), located


def test_every_one_defect_file_of_a_type_we_read_is_in_the_table():
    patterns = ("data_clin_*.txt", "data_clinical_*_no_hdr.txt", "data_cna_*.txt", "data_seg_*", "data_timeline_*",
                "data_structural_variants_*.txt", "data_gene_matrix_*.txt", "mutations/*.maf", "case_lists_*")
    on_disk = {p.relative_to(CORPUS).as_posix() for pattern in patterns for p in CORPUS.glob(pattern)}
    in_table = Counter(d.file for d in ONE_DEFECT_FILES)
    assert set(in_table) == on_disk
    assert max(in_table.values()) == 1


# --------------------------------------------------------------------------- the documented differences

DOCS_SECTION = "## Differences from cBioPortal's validator"


def difference_lines() -> list[str]:
    """The docs list, one line per file whose verdict differs or that carries a reason."""
    studies = [f"- `{folder}/` (study): cBioPortal {v.cbio}, here {v.ours}: {v.reason}"
               for folder, v in STUDY_VERDICTS.items()]
    return studies + [f"- `{d.file}`: cBioPortal {d.cbio}, here {d.ours}: {d.reason}"
                      for d in ONE_DEFECT_FILES if d.reason]


def test_docs_list_every_difference_as_in_the_table():
    text = (PROJECT_ROOT / "docs" / "data_dictionary.md").read_text()
    assert DOCS_SECTION in text
    section = text.split(DOCS_SECTION, 1)[1].split("\n## ", 1)[0]
    documented = [line for line in section.splitlines() if line.startswith("- `")]
    assert documented == difference_lines()


if __name__ == "__main__":  # print the docs list: python -m tests.io.test_validator_corpus
    print("\n".join(difference_lines()))
