"""The patient page's tables list structural variants and their mechanism evidence (issue 8 point 5)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from analysis.patient import analyse_patient
from analysis.resistance import load_knowledge_base
from analysis.schema import STRUCTURAL_VARIANTS
from dashboard.views.patient import ALTERATION_LABELS, EVIDENCE_LABELS, alteration_table, evidence_table
from tests.conftest import make_tiny_study

HEADER = "gene\talteration_type\tpattern\tpathway\tevidence_direction\tcitation\n"


def _study():
    sv = STRUCTURAL_VARIANTS.conform(pd.DataFrame({
        "sample_id": ["P1-B0", "P1-D2", "P1-D2", "P2-B0"],
        "gene1": ["FGFR2", "ZNF207", "BRCA2", "ERBB2"],
        "gene2": ["TACC2", "erbb2", None, "GRB7"],
        "chromosome1": ["10", "17", "13", "17"],
        "position1": [123243211, 30677136, 32900000, 39700000],
        "chromosome2": ["10", "17", "13", "17"],
        "position2": [123900000, 39716000, 32910000, 39740000],
        "sv_class": ["FUSION", "FUSION", "DELETION", "FUSION"],
        "event_info": ["FGFR2-TACC2 fusion", "ZNF207-ERBB2 fusion", None, "ERBB2-GRB7 fusion"],
        "supporting_reads": [11, 25, 6, 40],
        "sv_status": ["SOMATIC", "SOMATIC", "GERMLINE", "SOMATIC"],
    }))
    return dataclasses.replace(make_tiny_study(), structural_variants=sv)


def _kb(tmp_path):
    path = tmp_path / "kb.tsv"
    path.write_text("# version: t\n" + HEADER + "ERBB2\tfusion\tZNF207\tHER_FAMILY\tresistance\tcite A\n"
                    + "BRCA2\tfusion\t*\tCELL_CYCLE\tresistance\tcite B\n")
    return load_knowledge_base(path)


def test_alteration_table_lists_each_draws_structural_variants_and_marks_the_supporting_one(tmp_path):
    patient = analyse_patient(_study(), "P1", knowledge_base=_kb(tmp_path))
    assert len(patient.structural_variants) == 3  # only P1's own samples
    table = alteration_table(patient)
    assert "supporting_reads" in table.columns and "supporting_reads" in ALTERATION_LABELS
    sv = table[table["supporting_reads"].notna()].set_index("gene")
    assert sv.index.tolist() == ["FGFR2-TACC2", "BRCA2", "ZNF207-erbb2"]  # by day, then type and gene
    fusion = sv.loc["ZNF207-erbb2"]
    assert fusion["sample_id"] == "P1-D2" and fusion["timepoint"] == "Progression" and fusion["day"] == 167
    assert fusion["alteration"] == "FUSION: ZNF207-ERBB2 fusion" and fusion["supporting_reads"] == 25
    assert fusion["mechanism"] == "HER family"
    assert sv.loc["FGFR2-TACC2", "alteration"] == "FUSION: FGFR2-TACC2 fusion"
    assert pd.isna(sv.loc["FGFR2-TACC2", "mechanism"])  # no FGFR2 fusion rule in this knowledge base
    assert sv.loc["BRCA2", "alteration"] == "DELETION, germline" and pd.isna(sv.loc["BRCA2", "mechanism"])
    # mutations and copy number are still listed beside them
    assert {"TP53", "PIK3CA", "ERBB2"} <= set(table["gene"])


def test_evidence_table_shows_structural_variant_evidence_with_reads_and_status(tmp_path):
    patient = analyse_patient(_study(), "P1", knowledge_base=_kb(tmp_path))
    evidence = evidence_table(patient)
    assert "supporting_reads" in EVIDENCE_LABELS and list(evidence.columns) == list(EVIDENCE_LABELS)
    row = evidence[evidence["alteration"] == "ZNF207-ERBB2 FUSION"].iloc[0]
    assert row["gene"] == "ERBB2" and row["pathway"] == "HER family" and row["draw"] == "progression"
    assert row["supporting_reads"] == 25 and row["status"] == "new at progression" and row["citation"] == "cite A"
    assert pd.isna(row["vaf_pct"]) and pd.isna(row["copy_number"])
    assert not evidence["gene"].eq("BRCA2").any()  # germline: not evidence


def test_default_knowledge_base_calls_the_znf207_erbb2_fusion_on_the_patient_page():
    patient = analyse_patient(_study(), "P1")
    calls = patient.resistance.calls
    assert "HER_FAMILY" in set(calls["pathway"])
    her = calls.set_index("pathway").loc["HER_FAMILY"]
    assert her["alterations"] == "ZNF207-ERBB2 FUSION" and her["status"] == "new at progression"
    assert alteration_table(patient).set_index("gene").loc["ZNF207-erbb2", "mechanism"] == "HER family"
