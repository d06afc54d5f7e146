"""The writer: structural variants, gene panels, segments and case lists round-trip; file shapes match
cBioPortal's own example study (study_es_0 of the validator's test data)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from analysis import schema
from analysis.io.cbioportal import AttributeHeader, read_study, standard_case_lists, write_study
from analysis.io.study_files import read_meta
from analysis.study import Study
from tests.conftest import SHARED_DATA, make_tiny_study

STUDY_ES_0 = SHARED_DATA / "cbioportal_validator" / "study_es_0"
TABLES = ("patients", "samples", "variants", "copy_number", "timeline", *(t.name for t in schema.EXTRA_TABLES))
#: Keys cBioPortal documents as optional that study_es_0 happens to fill with its own content
#: (citation, PubMed ids, groups, tags, extra namespaces, the SV profile's gene panel).
OPTIONAL_META_KEYS = frozenset({"citation", "pmid", "groups", "tags_file", "reference_genome", "namespaces",
                                "gene_panel"})
#: Our meta file -> study_es_0's meta file for the same data type.
META_COUNTERPARTS = {
    "meta_study.txt": "meta_study.txt",
    "meta_clinical_patient.txt": "meta_clinical_patients.txt",
    "meta_clinical_sample.txt": "meta_clinical_samples.txt",
    "meta_mutations.txt": "meta_mutations_extended.txt",
    "meta_cna.txt": "meta_cna_discrete.txt",
    "meta_log2_cna.txt": "meta_cna_log2.txt",
    "meta_cna_hg19_seg.txt": "meta_cna_hg19_seg.txt",
    "meta_sv.txt": "meta_structural_variants.txt",
    "meta_gene_panel_matrix.txt": "meta_gene_panel_matrix.txt",
}


def rich_study() -> Study:
    """The tiny study plus every optional table: SVs, a gene-panel matrix (full sample x profile grid, as
    the reader makes it), two panels' genes, a custom case list and segments."""
    tiny = make_tiny_study()
    samples = list(tiny.samples["sample_id"])
    structural = pd.DataFrame({
        "sample_id": ["P1-D2", "P1-T"], "gene1": ["ZNF207", "ERBB2"], "gene2": ["ERBB2", None],
        "chromosome1": ["17", "17"], "position1": [30677136, 39700000], "chromosome2": ["17", None],
        "position2": [39723966, None], "sv_class": ["FUSION", "DELETION"],
        "event_info": ["ZNF207-ERBB2 fusion", None], "supporting_reads": [12, None], "sv_status": ["SOMATIC", None]})
    panels = pd.DataFrame(
        [(s, profile, "PANEL_A" if s != "P2-B0" else ("PANEL_B" if profile == "mutations" else None))
         for profile in ("mutations", "cna", "structural_variants") for s in samples],
        columns=["sample_id", "profile", "panel_id"])
    panel_genes = pd.DataFrame({"panel_id": ["PANEL_A"] * 3 + ["PANEL_B"] * 2,
                                "gene": ["TP53", "PIK3CA", "ERBB2", "TP53", "KRAS"]})
    case_lists = pd.DataFrame({"case_list": "tiny_plasma", "category": pd.NA, "sample_id": ["P1-B0", "P1-D1"]})
    segments = pd.DataFrame({"sample_id": ["P1-T", "P1-T"], "chromosome": ["17", "3"], "start": [100, 5000],
                             "end": [4000, 9000], "n_probes": [10, None], "log2_ratio": [1.234567891234, -0.2]})
    return Study.from_tables(patients=tiny.patients, samples=tiny.samples, variants=tiny.variants,
                             copy_number=tiny.copy_number, timeline=tiny.timeline, meta=tiny.meta,
                             structural_variants=structural, gene_panels=panels, panel_genes=panel_genes,
                             case_lists=case_lists, segments=segments)


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a canonical order (row order carries no meaning in any table)."""
    return frame.sort_values(list(frame.columns), kind="stable", na_position="last").reset_index(drop=True)


def assert_same_tables(expected: Study, actual: Study) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(canonical(getattr(actual, table)), canonical(getattr(expected, table)),
                                      obj=table)


def test_every_table_round_trips_including_the_optional_ones(tmp_path):
    study = rich_study()
    back = read_study(write_study(study, tmp_path / "rich", add_standard_case_lists=True))
    assert back.report.ok, back.report.format()
    assert_same_tables(replace(study, case_lists=standard_case_lists(study)), back)
    for table in ("structural_variants", "gene_panels", "panel_genes", "case_lists", "segments"):
        assert len(getattr(back, table)), table


def test_standard_case_lists(tmp_path):
    study = rich_study()
    folder = write_study(study, tmp_path / "rich", add_standard_case_lists=True)
    assert sorted(p.name for p in (folder / "case_lists").iterdir()) == [
        "cases_all.txt", "cases_cna.txt", "cases_plasma.txt", "cases_sequenced.txt"]
    lists = read_study(folder).case_lists
    members = {name: set(rows["sample_id"]) for name, rows in lists.groupby("case_list")}
    assert members["tiny_all"] == set(study.samples["sample_id"])
    assert members["tiny_sequenced"] == set(study.samples["sample_id"])  # every sample has a mutation panel
    assert members["tiny_cna"] == set(study.copy_number["sample_id"])
    assert members["tiny_plasma"] == {"P1-B0", "P1-D1"}
    categories = lists.drop_duplicates("case_list").set_index("case_list")["category"]
    assert categories["tiny_sequenced"] == "all_cases_with_mutation_data"
    assert categories["tiny_cna"] == "all_cases_with_cna_data"
    assert categories["tiny_all"] == "all_cases_in_study"


def test_sequenced_list_follows_the_gene_panel_matrix():
    study = rich_study()
    panels = study.gene_panels.copy()
    panels.loc[panels["sample_id"].eq("P2-T") & panels["profile"].eq("mutations"), "panel_id"] = pd.NA
    lists = standard_case_lists(replace(study, gene_panels=panels))
    sequenced = set(lists.loc[lists["case_list"].eq("tiny_sequenced"), "sample_id"])
    assert sequenced == set(study.samples["sample_id"]) - {"P2-T"}


def test_plain_write_adds_no_case_list(tiny_study, tmp_path):
    folder = write_study(tiny_study, tmp_path / "tiny")
    assert not (folder / "case_lists").exists()


def test_attribute_headers_give_the_four_header_rows(tiny_study, tmp_path):
    patients = tiny_study.patients.assign(resistance_class=["acquired", "unknown"])
    study = replace(tiny_study, patients=patients)
    header = AttributeHeader("Resistance Class", "innate, acquired, none or unknown", "STRING", "2")
    folder = write_study(study, tmp_path / "tiny", attribute_headers={"resistance_class": header})
    rows = (folder / "data_clinical_patient.txt").read_text().splitlines()[:5]
    column = rows[4].split("\t").index("RESISTANCE_CLASS")
    assert [row.lstrip("#").split("\t")[column] for row in rows[:4]] == [
        "Resistance Class", "innate, acquired, none or unknown", "STRING", "2"]
    assert rows[4].split("\t")[column - 1] == "LAUREN"  # extras keep their order


@pytest.fixture
def written(tmp_path) -> Path:
    return write_study(rich_study(), tmp_path / "rich", add_standard_case_lists=True)


@pytest.mark.skipif(not STUDY_ES_0.is_dir(), reason="cBioPortal validator test data not present")
def test_meta_files_have_the_keys_of_study_es_0(written):
    ours = sorted(p.name for p in written.glob("meta_*.txt") if not p.name.startswith("meta_timeline"))
    assert set(ours) == set(META_COUNTERPARTS)
    for name, theirs in META_COUNTERPARTS.items():
        required = set(read_meta(STUDY_ES_0 / theirs)) - OPTIONAL_META_KEYS
        missing = required - set(read_meta(written / name))
        assert not missing, f"{name} lacks {sorted(missing)} (study_es_0/{theirs} has them)"
        ours_meta = read_meta(written / name)
        assert ours_meta["cancer_study_identifier"] == "tiny"
        if "data_filename" in ours_meta:
            assert (written / ours_meta["data_filename"]).is_file()


@pytest.mark.skipif(not STUDY_ES_0.is_dir(), reason="cBioPortal validator test data not present")
def test_case_lists_and_panels_have_the_shape_of_study_es_0(written):
    their_keys = set().union(*(read_meta(p) for p in (STUDY_ES_0 / "case_lists").glob("*.txt")))
    for path in (written / "case_lists").iterdir():
        keys = set(read_meta(path))
        assert their_keys <= keys, f"{path.name} lacks {sorted(their_keys - keys)}"
        assert read_meta(path)["stable_id"].startswith("tiny_")
    for name in ("cases_all.txt", "cases_sequenced.txt", "cases_cna.txt"):
        meta = read_meta(written / "case_lists" / name)
        assert meta["stable_id"] == "tiny_" + name[len("cases_"):-len(".txt")]
        assert meta["case_list_category"]
    their_panel = set(read_meta(STUDY_ES_0 / "data_gene_panel_testpanel1.txt"))
    assert their_panel <= set(read_meta(written / "data_gene_panel_PANEL_A.txt"))
    their_matrix = (STUDY_ES_0 / "data_gene_panel_matrix.txt").read_text().splitlines()[0].split("\t")
    our_matrix = (written / "data_gene_panel_matrix.txt").read_text().splitlines()[0].split("\t")
    assert our_matrix[0] == their_matrix[0] == "SAMPLE_ID" and set(their_matrix[1:]) <= set(our_matrix[1:])


@pytest.mark.skipif(not STUDY_ES_0.is_dir(), reason="cBioPortal validator test data not present")
def test_clinical_files_have_four_header_rows_like_study_es_0(written):
    for ours, theirs in (("data_clinical_patient.txt", "data_clinical_patients.txt"),
                         ("data_clinical_sample.txt", "data_clinical_samples.txt")):
        their_lines = (STUDY_ES_0 / theirs).read_text().splitlines()
        our_lines = (written / ours).read_text().splitlines()
        assert [line.startswith("#") for line in our_lines[:5]] == [line.startswith("#") for line in
                                                                     their_lines[:5]] == [True] * 4 + [False]
        width = len(our_lines[4].split("\t"))
        assert all(len(line.split("\t")) == width for line in our_lines[:5])
        assert set(our_lines[2].lstrip("#").split("\t")) <= {"STRING", "NUMBER", "BOOLEAN"}
        assert all(p.isdigit() for p in our_lines[3].lstrip("#").split("\t"))
    sv_header = (written / "data_sv.txt").read_text().splitlines()[0].split("\t")
    their_sv = (STUDY_ES_0 / "data_structural_variants.txt").read_text().splitlines()[0].split("\t")
    assert set(sv_header) <= set(their_sv), set(sv_header) - set(their_sv)


@pytest.mark.skipif(not STUDY_ES_0.is_dir(), reason="cBioPortal validator test data not present")
def test_study_es_0_round_trips_through_the_writer(tmp_path):
    """A real study with every optional table (SVs, a gene-panel matrix, panels, case lists, segments)."""
    study = read_study(STUDY_ES_0)
    for table in ("structural_variants", "gene_panels", "panel_genes", "case_lists", "segments"):
        assert len(getattr(study, table)), table
    back = read_study(write_study(study, tmp_path / "es_0"))
    assert back.report.ok
    assert_same_tables(study, back)
