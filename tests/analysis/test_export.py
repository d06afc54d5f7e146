"""Export of the open study with derived columns: round trip, derived values, statistics, the CLI."""

from __future__ import annotations

import zipfile
from io import BytesIO

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.cohort import analyse_cohort
from analysis.errors import InputError
from analysis.export import (
    DERIVED_ATTRIBUTES,
    STATISTICS_COLUMNS,
    STATISTICS_FILE,
    export_study,
    export_zip,
    statistics_table,
)
from analysis.io.cbioportal import read_study, write_study
from tests.io.test_cbioportal_write import STUDY_ES_0, assert_same_tables, rich_study

DERIVED_PATIENT = ["resistance_class", "n_resistance_mechanisms", "resistance_pathways",
                   "resistance_mechanism_status"]
DERIVED_SAMPLE = ["tumour_fraction", "erbb2_cn_purity_adjusted"]


@pytest.fixture(scope="module")
def demo(demo_study_dir):
    study = read_study(demo_study_dir)
    return study, analyse_cohort(study)


def test_rich_study_round_trips_with_derived_columns(tmp_path):
    study = read_study(write_study(rich_study(), tmp_path / "source"))
    result = export_study(study, tmp_path / "export")
    back = read_study(tmp_path / "export")
    assert back.report.ok, back.report.format()
    assert_same_tables(result.study, back)
    assert set(DERIVED_PATIENT) <= set(back.patients.columns)
    assert set(DERIVED_SAMPLE) <= set(back.samples.columns)
    for table in ("structural_variants", "gene_panels", "panel_genes", "segments"):
        assert len(getattr(back, table)) == len(getattr(study, table)) > 0, table
    assert {"tiny_all", "tiny_sequenced", "tiny_cna", "tiny_plasma"} == set(back.case_lists["case_list"])


def test_demo_round_trip_and_derived_values(demo, tmp_path):
    study, cohort = demo
    result = export_study(study, tmp_path / "export", cohort)
    back = read_study(tmp_path / "export")
    assert_same_tables(result.study, back)
    patients = back.patients.set_index("patient_id")
    calls = cohort.resistance.patients.set_index("patient_id")
    expected_class = calls["resistance_class"].replace({"none": "no resistance"})
    assert (patients.loc[calls.index, "resistance_class"] == expected_class).all()
    assert (patients.loc[calls.index, "n_resistance_mechanisms"] == calls["n_mechanisms"]).all()
    assert set(patients["resistance_class"].dropna()) <= {"innate", "acquired", "no resistance", "unknown"}
    with_mechanisms = calls.index[calls["n_mechanisms"] > 0]
    assert (patients.loc[with_mechanisms, "resistance_pathways"] == calls.loc[with_mechanisms, "pathways"]).all()
    assert patients.loc[calls.index[calls["n_mechanisms"] == 0], "resistance_pathways"].isna().all()
    # Every pathway of a patient with its statuses, in the words of the resistance analysis.
    statuses = {"baseline", "expanding", "new at progression", "unknown (no baseline draw)"}
    for text in patients["resistance_mechanism_status"].dropna():
        for part in text.split("; "):
            pathway, words = part.split(": ", 1)
            assert pathway and set(words.split(", ")) <= statuses
    p009 = cohort.resistance.calls[cohort.resistance.calls["patient_id"] == "P009"]
    assert patients.loc["P009", "resistance_mechanism_status"] == "; ".join(
        f"{row.pathway}: {row.status}" for row in p009.itertuples())
    samples = back.samples.set_index("sample_id")
    fractions = cohort.tumour_fractions.set_index("sample_id")["tumour_fraction"]
    np.testing.assert_allclose(samples.loc[fractions.index, "tumour_fraction"], fractions, rtol=1e-12)
    draws = cohort.trajectories.draws.set_index("sample_id")["erbb2_cn_adjusted"]
    np.testing.assert_allclose(samples.loc[draws.index, "erbb2_cn_purity_adjusted"], draws, rtol=1e-12)
    assert samples.loc[samples["sample_type"] == "tissue", "erbb2_cn_purity_adjusted"].isna().all()
    # The four header rows name the derived attributes.
    names = (tmp_path / "export" / "data_clinical_sample.txt").read_text().splitlines()[0]
    assert DERIVED_ATTRIBUTES["tumour_fraction"].display_name in names.split("\t")


def test_export_of_an_export_is_the_same_study(demo, tmp_path):
    study, cohort = demo
    first = export_study(study, tmp_path / "once", cohort)
    again = export_study(read_study(tmp_path / "once"), tmp_path / "twice", cohort)
    assert_same_tables(first.study, again.study)


def test_statistics_table(demo):
    study, cohort = demo
    table = statistics_table(cohort)
    assert list(table.columns) == STATISTICS_COLUMNS
    assert set(table["page"]) == {"concordance", "survival"}
    assert not table.duplicated(["page", "comparison", "statistic"]).any()
    ppa = table[table["comparison"].str.startswith("plasma vs tissue NGS HER2") & table["statistic"].eq("PPA")]
    agreement = cohort.concordance.her2_tissue_ngs
    assert ppa["estimate"].item() == pytest.approx(agreement.a / (agreement.a + agreement.c))
    assert ppa["n"].item() == agreement.a + agreement.c
    assert ppa["ci_low"].item() < ppa["estimate"].item() < ppa["ci_high"].item()
    auc = table[table["statistic"].eq("AUC (DeLong)")]
    assert auc["estimate"].item() == pytest.approx(cohort.concordance.auc.auc)
    logrank = table[table["statistic"].eq("log-rank chi-square")]
    assert len(logrank) == sum(r.logrank is not None for r in cohort.survival.values())
    first = next(iter(cohort.survival.values()))
    assert first.logrank.p_value in set(logrank["p_value"])
    hazard = table[table["statistic"].eq("Cox hazard ratio")]
    assert (hazard["comparison"].str.contains(" vs ")).all() and len(hazard)
    props = table[table["statistic"].isin(["PPA", "NPA", "OPA", "PPV", "NPV", "detection rate"])]["estimate"]
    assert props.dropna().between(0, 1).all()


def test_export_folder_holds_the_statistics(demo, tmp_path):
    study, cohort = demo
    export_study(study, tmp_path / "export", cohort)
    written = pd.read_csv(tmp_path / "export" / STATISTICS_FILE)
    assert list(written.columns) == STATISTICS_COLUMNS and len(written) == len(statistics_table(cohort))


def test_zip_holds_one_study_folder(demo):
    study, cohort = demo
    with zipfile.ZipFile(BytesIO(export_zip(study, cohort))) as archive:
        names = archive.namelist()
    top = f"{study.meta.study_id}_with_derived_columns/"
    assert all(name.startswith(top) for name in names)
    for name in ("meta_study.txt", "data_clinical_patient.txt", "case_lists/cases_all.txt",
                 "case_lists/cases_sequenced.txt", "case_lists/cases_cna.txt", STATISTICS_FILE):
        assert top + name in names


def test_export_refuses_a_folder_inside_the_study(demo_study_dir, tmp_path):
    study = read_study(demo_study_dir)
    for out in (demo_study_dir, demo_study_dir / "derived", demo_study_dir.parent):
        with pytest.raises(InputError, match="study being exported"):
            export_study(study, out)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not a study"):
        export_study(study, tmp_path / "notes")


def test_cli_export(demo_study_dir, tmp_path, capsys):
    out = tmp_path / "exported"
    assert main(["export", "--study", str(demo_study_dir), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"study written to {out}" in text and "_sequenced" in text
    back = read_study(out)
    assert back.report.ok
    assert {"resistance_class", "tumour_fraction"} <= set(back.patients.columns) | set(back.samples.columns)
    assert (out / STATISTICS_FILE).is_file() and (out / "case_lists" / "cases_cna.txt").is_file()


def test_cli_export_refuses_out_inside_the_study(demo_study_dir, capsys):
    before = sorted(p.name for p in demo_study_dir.iterdir())
    for out in (demo_study_dir, demo_study_dir / "exported"):
        assert main(["export", "--study", str(demo_study_dir), "--out", str(out)]) == 2
        assert "inside the study being exported" in capsys.readouterr().err
    assert sorted(p.name for p in demo_study_dir.iterdir()) == before


def test_cli_help_lists_export(capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = capsys.readouterr().out
    assert "--study" in text and "--out" in text and "derived" in text


@pytest.mark.skipif(not STUDY_ES_0.is_dir(), reason="cBioPortal validator test data not present")
def test_study_es_0_exports_and_reopens_to_the_same_tables(tmp_path):
    """A real study with every optional table; derived columns that have no value at all (no VAFs to
    estimate a tumour fraction from) are text, as they read back from the file."""
    study = read_study(STUDY_ES_0)
    result = export_study(study, tmp_path / "es_0")
    back = read_study(tmp_path / "es_0")
    assert back.report.ok
    assert_same_tables(result.study, back)
    lists = set(back.case_lists["case_list"])
    assert {"study_es_0_all", "study_es_0_sequenced", "study_es_0_cna", "study_es_0_custom"} <= lists
    # The study's own lists are kept as they were, not replaced by the standard ones.
    own = study.case_lists[study.case_lists["case_list"] == "study_es_0_sequenced"]
    again = back.case_lists[back.case_lists["case_list"] == "study_es_0_sequenced"]
    assert list(own["sample_id"]) == list(again["sample_id"])
