"""Structural variants and fusions as a knowledge-base alteration kind (issue 8 point 5)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.resistance import call_mechanisms, load_knowledge_base
from analysis.schema import STRUCTURAL_VARIANTS
from analysis.trajectory import analyse_trajectories
from tests.conftest import make_tiny_study

HEADER = "gene\talteration_type\tpattern\tpathway\tevidence_direction\tcitation\n"


def _kb(tmp_path, *rows: str):
    path = tmp_path / "kb.tsv"
    path.write_text("# version: sv-test\n" + HEADER + "".join(r + "\n" for r in rows))
    return load_knowledge_base(path)


def _sv(*events: tuple) -> pd.DataFrame:
    """(sample_id, gene1, gene2, sv_class, supporting_reads[, sv_status]) rows as a structural-variants table."""
    rows = []
    for event in events:
        sample_id, gene1, gene2, sv_class, reads, *status = event
        rows.append({"sample_id": sample_id, "gene1": gene1, "gene2": gene2, "sv_class": sv_class,
                     "event_info": f"{gene1}-{gene2} fusion", "supporting_reads": reads,
                     "sv_status": status[0] if status else "SOMATIC"})
    return STRUCTURAL_VARIANTS.conform(pd.DataFrame(rows))


def _calls(kb, *events: tuple):
    """Tiny study (P1: baseline P1-B0, progression P1-D2; P2: baseline P2-B0) with these SVs."""
    study = dataclasses.replace(make_tiny_study(), structural_variants=_sv(*events))
    return call_mechanisms(study, analyse_trajectories(study), knowledge_base=kb)


def test_any_partner_rule_matches_the_gene_as_either_partner_case_insensitively(tmp_path):
    kb = _kb(tmp_path, "FGFR2\tfusion\t*\tRTK_BYPASS\tresistance\ttest citation")
    res = _calls(kb, ("P1-D2", "fgfr2", "TACC2", "FUSION", 12), ("P2-B0", "BICC1", "FGFR2", "Translocation", 7))
    ev = res.evidence.set_index("patient_id")
    assert ev.loc["P1", "gene"] == "FGFR2" and ev.loc["P2", "gene"] == "FGFR2"
    assert ev.loc["P1", "alteration"] == "FGFR2-TACC2 FUSION"
    assert ev.loc["P2", "alteration"] == "BICC1-FGFR2 TRANSLOCATION"
    assert ev.loc["P1", "alteration_type"] == "fusion" and ev.loc["P1", "supporting_reads"] == 12
    assert ev.loc["P1", "kb_line"] == 3 and ev.loc["P1", "citation"] == "test citation"
    assert set(res.calls["pathway"]) == {"RTK_BYPASS"}
    assert res.patients.set_index("patient_id").loc["P1", "n_mechanisms"] == 1


def test_partner_pattern_is_matched_against_the_other_gene_in_either_orientation(tmp_path):
    kb = _kb(tmp_path, "ERBB2\tfusion\tznf207\tHER_FAMILY\tresistance\tpartner-specific")
    res = _calls(kb,
                 ("P1-D2", "ZNF207", "erbb2", "FUSION", 30),  # ERBB2 second, partner ZNF207: matches
                 ("P2-B0", "ERBB2", "MDK", "FUSION", 30),  # other partner: no
                 ("P2-B0", "ZNF207", "GRB7", "FUSION", 30))  # the partner without the rule's gene: no
    assert res.evidence["patient_id"].tolist() == ["P1"]
    assert res.evidence["alteration"].iloc[0] == "ZNF207-ERBB2 FUSION"
    # a regex, matched in full: MDK|NOS2 does not match ZNF207; an intragenic event has no partner
    kb2 = _kb(tmp_path, "ERBB2\tfusion\tMDK|NOS2\tHER_FAMILY\tresistance\tx",
              "MET\tfusion\t.*\tRTK_BYPASS\tresistance\tx")
    res2 = _calls(kb2, ("P1-D2", "ZNF207", "ERBB2", "FUSION", 30), ("P1-D2", "NOS2", "ERBB2", "FUSION", 3),
                  ("P2-B0", "MET", None, "DELETION", 9), ("P2-B0", "MET", "MET", "DELETION", 9))
    assert res2.evidence[["patient_id", "alteration"]].values.tolist() == [["P1", "NOS2-ERBB2 FUSION"]]
    kb3 = _kb(tmp_path, "MET\tfusion\t*\tRTK_BYPASS\tresistance\tx")
    res3 = _calls(kb3, ("P2-B0", "MET", None, "DELETION", 9), ("P2-B0", "MET", "MET", None, 9))
    assert sorted(res3.evidence["alteration"]) == ["MET DELETION", "MET rearrangement"]


def test_present_at_baseline_is_baseline_absent_is_new_never_expanding(tmp_path):
    kb = _kb(tmp_path, "FGFR2\tfusion\t*\tRTK_BYPASS\tresistance\tx", "ERBB2\tfusion\t*\tHER_FAMILY\tresistance\tx")
    res = _calls(kb,
                 ("P1-B0", "FGFR2", "TACC2", "FUSION", 3),
                 ("P1-D2", "TACC2", "FGFR2", "TRANSLOCATION", 60),  # same pair, reversed, 20x the reads
                 ("P1-D2", "ERBB2", "ZNF207", "FUSION", 15))  # absent at baseline
    ev = res.evidence.set_index(["draw", "gene"])["status"]
    assert ev[("baseline", "FGFR2")] == "baseline"
    assert ev[("progression", "FGFR2")] == "baseline"  # supporting reads never make it expanding
    assert ev[("progression", "ERBB2")] == "new at progression"
    calls = res.calls.set_index("pathway")
    assert calls.loc["HER_FAMILY", "status"] == "new at progression" and calls.loc["HER_FAMILY", "new_at_progression"]
    assert calls.loc["RTK_BYPASS", "status"] == "baseline" and not calls.loc["RTK_BYPASS", "expanding"]


def test_progression_without_baseline_draw_is_unknown_and_other_draws_and_germline_do_not_count(tmp_path):
    kb = _kb(tmp_path, "FGFR2\tfusion\t*\tRTK_BYPASS\tresistance\tx")
    tiny = make_tiny_study()
    samples = tiny.samples[tiny.samples["sample_id"] != "P1-B0"]
    study = dataclasses.replace(tiny, samples=samples, structural_variants=_sv(
        ("P1-D2", "FGFR2", "TACC2", "FUSION", 5)))
    ev = call_mechanisms(study, analyse_trajectories(study), knowledge_base=kb).evidence
    assert ev["status"].tolist() == ["unknown (no baseline draw)"]
    res = _calls(kb, ("P1-D1", "FGFR2", "TACC2", "FUSION", 5),  # on-treatment draw: not used
                 ("P1-T", "FGFR2", "TACC2", "FUSION", 5),  # tissue: not used
                 ("P2-B0", "FGFR2", "TACC2", "FUSION", 5, "GERMLINE"))
    assert res.evidence.empty and res.calls.empty


def test_fusion_rules_need_a_valid_partner_pattern(tmp_path):
    with pytest.raises(InputError) as info:
        _kb(tmp_path, "ERBB2\tfusion\tZNF[\tHER_FAMILY\tresistance\tx")
    assert info.value.line == 3 and info.value.field == "pattern"
    assert _kb(tmp_path, "erbb2\tFusion\t*\tHER_FAMILY\tresistance\tx").table["alteration_type"].tolist() == ["fusion"]


def test_default_kb_has_the_cited_znf207_erbb2_row_and_no_svs_means_no_change(tmp_path):
    kb = load_knowledge_base()
    rows = kb.table[kb.table["alteration_type"] == "fusion"]
    assert rows[["gene", "pattern", "pathway"]].values.tolist() == [["ERBB2", "ZNF207", "HER_FAMILY"]]
    assert "J Transl Med 2015;13:116" in rows["citation"].iloc[0]
    res = _calls(kb, ("P1-D2", "ZNF207", "ERBB2", "FUSION", 8))
    assert res.evidence.loc[res.evidence["alteration_type"] == "fusion", "status"].tolist() == ["new at progression"]
    plain = make_tiny_study()
    assert call_mechanisms(plain, analyse_trajectories(plain), knowledge_base=kb).evidence[
        "alteration_type"].ne("fusion").all()
