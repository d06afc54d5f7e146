"""Resistance knowledge base (loading, validation) and mechanism calls."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from analysis.errors import InputError
from analysis.params import AnalysisParameters
from analysis.resistance import (
    DEFAULT_KB_PATH,
    PATHWAYS,
    call_mechanisms,
    load_knowledge_base,
    mutation_status,
)
from analysis.study import Study
from analysis.trajectory import analyse_trajectories
from tests.analysis.test_trajectory import _variant, make_study

HEADER = "gene\talteration_type\tpattern\tpathway\tevidence_direction\tcitation\n"


@pytest.fixture(scope="module")
def result():
    study = make_study()
    return call_mechanisms(study, analyse_trajectories(study))


def test_default_kb_covers_design_list():
    kb = load_knowledge_base()
    assert kb.version == "1.1" and len(kb.sha256) == 64
    rules = set(zip(kb.table["gene"], kb.table["alteration_type"], strict=False))
    expected = {
        ("PIK3CA", "mutation"),
        ("PIK3R1", "mutation"),
        ("PIK3C3", "mutation"),
        ("PTEN", "deletion"),
        ("ERBB2", "mutation"),
        ("ERBB4", "mutation"),
        ("ERBB3", "mutation"),
        ("NF1", "mutation"),
        ("NF1", "deletion"),
        ("KRAS", "mutation"),
        ("NRAS", "mutation"),
        ("BRAF", "mutation"),
        ("MAP2K1", "mutation"),
        ("KRAS", "amplification"),
        ("MET", "amplification"),
        ("EGFR", "amplification"),
        ("FGFR2", "amplification"),
        ("CCNE1", "amplification"),
        ("CDK4", "amplification"),
        ("CDK6", "amplification"),
        ("CDK12", "amplification"),
        ("ERBB2", "her2_loss"),
    }
    assert expected <= rules
    assert set(kb.table.loc[kb.table["evidence_direction"] == "resistance", "pathway"]) == set(PATHWAYS)
    assert (kb.table["citation"].str.len() > 10).all()
    assert load_knowledge_base("default").sha256 == load_knowledge_base(DEFAULT_KB_PATH).sha256


@pytest.mark.parametrize(
    "body, line, field",
    [
        ("gene\talteration_type\n", 1, "version"),  # no version line
        ("# version: 2\ngene\tpattern\n", 2, "alteration_type"),  # missing column
        ("# version: 2\n" + HEADER + "KRAS\tmethylation\t*\tMAPK\tresistance\tx\n", 3, "alteration_type"),
        ("# version: 2\n" + HEADER + "KRAS\tmutation\tG12[\tMAPK\tresistance\tx\n", 3, "pattern"),
        ("# version: 2\n" + HEADER + "KRAS\tamplification\tG12D\tMAPK\tresistance\tx\n", 3, "pattern"),
        ("# version: 2\n# comment\n" + HEADER + "KRAS\tmutation\t*\tmapk\tresistance\tx\n", 4, "pathway"),
        ("# version: 2\n" + HEADER + "KRAS\tmutation\t*\tMAPK\tmaybe\tx\n", 3, "evidence_direction"),
        ("# version: 2\n" + HEADER + "KRAS\tmutation\t*\tMAPK\tresistance\t\n", 3, "citation"),
        ("# version: 2\n" + HEADER + "\tmutation\t*\tMAPK\tresistance\tx\n", 3, "gene"),
    ],
)
def test_invalid_kb_names_line_and_field(tmp_path, body, line, field):
    path = tmp_path / "kb.tsv"
    path.write_text(body)
    with pytest.raises(InputError) as info:
        load_knowledge_base(path)
    assert info.value.line == line and info.value.field == field
    assert str(path) in str(info.value) and "expected" in str(info.value)


def test_missing_kb_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_knowledge_base(tmp_path / "absent.tsv")


def test_calls_and_evidence(result):
    per = result.patients.set_index("patient_id")
    assert per.loc["P1", "n_mechanisms"] == 3 and per.loc["P1", "mechanism_group"] == "2+"
    assert per.loc["P1", "pathways"] == "HER2_LOSS;MAPK;PI3K"
    assert per.loc["P2", "pathways"] == "HER_FAMILY" and per.loc["P3", "n_mechanisms"] == 0
    calls = result.calls.set_index(["patient_id", "pathway"])
    assert bool(calls.loc[("P1", "MAPK"), "new_at_progression"]) and not bool(
        calls.loc[("P1", "MAPK"), "present_at_baseline"]
    )
    assert bool(calls.loc[("P1", "PI3K"), "present_at_baseline"])
    ev = result.evidence
    pik = ev[(ev["gene"] == "PIK3CA") & (ev["draw"] == "progression")].iloc[0]
    assert pik["status"] == "baseline"  # 1.0% -> 1.5%: not 2-fold
    kras = ev[ev["gene"] == "KRAS"].iloc[0]
    assert calls.loc[("P1", "MAPK"), "status"] == "new at progression"
    assert calls.loc[("P1", "PI3K"), "status"] == "baseline" and not calls.loc[("P1", "PI3K"), "expanding"]
    assert kras["status"] == "new at progression" and kras["sample_id"] == "P1-P" and kras["day"] == 180
    assert kras["vaf"] == pytest.approx(0.05) and "Janjigian" in kras["citation"]
    loss = ev[ev["alteration_type"] == "her2_loss"].iloc[0]
    assert loss["patient_id"] == "P1" and loss["copy_number"] == pytest.approx(2.2)
    # tissue alterations never count (P1-T has KRAS G12D too, but the call cites the plasma draw only)
    assert not ev["sample_id"].eq("P1-T").any()
    summary = result.summary.set_index("measure")["value"]
    assert summary["% progressors with a mechanism"] == 100.0


def test_mutation_status_thresholds():
    draw = pd.Series(["progression"] * 4 + ["baseline"])
    vaf = pd.Series([0.02, 0.004, 0.05, 0.03, 0.01])
    base = pd.Series([0.01, 0.002, float("nan"), 0.02, 0.01])
    status = mutation_status(draw, vaf, base, pd.Series([True] * 5))
    # present at baseline, 2-fold and +1 point: expanding; 2-fold but only +0.2 point: baseline;
    # absent at baseline: new at progression; 1.5-fold: baseline; the baseline row itself: baseline
    assert list(status) == ["expanding", "baseline", "new at progression", "baseline", "baseline"]
    assert mutation_status(draw[:1], vaf[:1], base[:1], pd.Series([False]))[0].startswith("unknown")


def test_pattern_kinds():
    study = make_study()
    extra = pd.DataFrame(
        [
            _variant("P3-B", "ERBB2", "S310S", 0.05, classification="Silent"),  # silent: never
            _variant("P3-B", "ERBB2", "R678Q", 0.05),  # between ECD and kinase
            _variant("P3-B", "KRAS", "A59T", 0.05),  # not a KRAS hotspot
            _variant("P3-B", "PTEN", "R130Q", 0.05),  # PTEN needs truncating
        ]
    )
    variants = pd.concat([study.variants, Study.from_tables(variants=extra).variants], ignore_index=True)
    study2 = Study.from_tables(
        patients=study.patients,
        samples=study.samples,
        variants=variants,
        copy_number=study.copy_number,
        timeline=study.timeline,
    )
    res = call_mechanisms(study2, analyse_trajectories(study2))
    assert res.patients.set_index("patient_id").loc["P3", "n_mechanisms"] == 0
    extra2 = pd.DataFrame(
        [
            _variant("P3-B", "ERBB2", "S310F", 0.05),
            _variant("P3-B", "PTEN", "R130*", 0.05, classification="Nonsense_Mutation"),
        ]
    )
    variants = pd.concat([study.variants, Study.from_tables(variants=extra2).variants], ignore_index=True)
    study3 = Study.from_tables(
        patients=study.patients,
        samples=study.samples,
        variants=variants,
        copy_number=study.copy_number,
        timeline=study.timeline,
    )
    res3 = call_mechanisms(study3, analyse_trajectories(study3))
    assert res3.patients.set_index("patient_id").loc["P3", "pathways"] == "HER_FAMILY;PI3K"


def test_discrete_deletion_called():
    study = make_study()
    cn = pd.concat(
        [
            study.copy_number,
            pd.DataFrame(
                {"sample_id": ["P1-P"], "gene": ["NF1"], "copy_number": [1.6], "cna_discrete": [-2]}
            ),
        ]
    )
    study2 = Study.from_tables(
        patients=study.patients,
        samples=study.samples,
        variants=study.variants,
        copy_number=cn,
        timeline=study.timeline,
    )
    ev = call_mechanisms(study2, analyse_trajectories(study2)).evidence
    nf1 = ev[ev["gene"] == "NF1"].iloc[0]
    assert nf1["alteration_type"] == "deletion" and nf1["status"] == "new at progression" and nf1["pathway"] == "MAPK"


def test_user_knowledge_base(tmp_path):
    path = tmp_path / "kb.tsv"
    path.write_text("# version: lab-7\n" + HEADER + "KRAS\tamplification\t*\tMAPK\tresistance\tlab note\n")
    study = make_study()
    res = call_mechanisms(study, analyse_trajectories(study), AnalysisParameters(knowledge_base=str(path)))
    assert res.calls.empty and res.knowledge_base.version == "lab-7"
    assert res.summary.set_index("measure").loc["knowledge base version", "value"] == "lab-7"


def test_enrichment_matches_scipy(result):
    # P1 (acquired) has PI3K, P2 (innate) does not: table [[0, 1], [1, 0]].
    row = result.enrichment.set_index(["level", "mechanism"]).loc[("pathway", "PI3K")]
    odds, p = stats.fisher_exact([[0, 1], [1, 0]])
    assert row["innate_with"] == 0 and row["acquired_with"] == 1
    assert row["p_value"] == pytest.approx(p)
    # The sample odds ratio is 0 here: not estimable, never shown as 0; the corrected one is given.
    assert odds == 0 and math.isnan(row["odds_ratio"])
    assert row["corrected_odds_ratio"] == pytest.approx((0.5 * 0.5) / (1.5 * 1.5))


def _enrichment_of(innate_with: int, innate_n: int, acquired_with: int, acquired_n: int):
    """Enrichment of one pathway in a hand-built set of innate and acquired progressors."""
    from analysis.resistance import mechanism_enrichment

    innate = [f"I{i}" for i in range(innate_n)]
    acquired = [f"A{i}" for i in range(acquired_n)]
    patients = pd.DataFrame({"patient_id": innate + acquired,
                             "resistance_class": ["innate"] * innate_n + ["acquired"] * acquired_n})
    carriers = innate[:innate_with] + acquired[:acquired_with]
    calls = pd.DataFrame({"patient_id": carriers, "pathway": "PI3K", "gene": "PIK3CA"})
    caveats: list[str] = []
    table = mechanism_enrichment(patients, calls, caveats)
    return table.set_index(["level", "mechanism"]).loc[("pathway", "PI3K")], caveats


def test_enrichment_zero_cell_gives_haldane_anscombe_not_infinity():
    # 4/7 innate vs 0/10 acquired (the paper's PIK3CA pattern): sample OR infinite.
    row, caveats = _enrichment_of(4, 7, 0, 10)
    assert math.isinf(stats.fisher_exact([[4, 3], [0, 10]])[0])
    assert math.isnan(row["odds_ratio"]) and math.isnan(row["odds_ratio_ci_low"])
    # Haldane 1956 / Anscombe 1956: 0.5 added to each cell; Woolf interval on the log scale.
    a, b, c, d = 4.5, 3.5, 0.5, 10.5
    log_or, se = math.log(a * d / (b * c)), math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    assert row["corrected_odds_ratio"] == pytest.approx(math.exp(log_or))
    assert row["corrected_ci_low"] == pytest.approx(math.exp(log_or - 1.959964 * se), rel=1e-5)
    assert row["corrected_ci_high"] == pytest.approx(math.exp(log_or + 1.959964 * se), rel=1e-5)
    assert "no acquired patient has it" in row["odds_ratio_note"]
    assert "Haldane-Anscombe-corrected OR" in row["odds_ratio_note"]
    assert any("Haldane-Anscombe" in c and "PI3K" in c for c in caveats)
    assert row["p_value"] == pytest.approx(stats.fisher_exact([[4, 3], [0, 10]])[1])


def test_enrichment_without_zero_cell_keeps_the_sample_odds_ratio_and_its_interval():
    row, _ = _enrichment_of(3, 7, 4, 10)
    reference = stats.contingency.odds_ratio([[3, 4], [4, 6]], kind="sample")
    interval = reference.confidence_interval(0.95)
    assert row["odds_ratio"] == pytest.approx(reference.statistic)
    assert (row["odds_ratio_ci_low"], row["odds_ratio_ci_high"]) == pytest.approx((interval.low, interval.high))
    assert math.isnan(row["corrected_odds_ratio"]) and row["odds_ratio_note"] == ""


def test_enrichment_when_every_patient_has_it_is_not_estimable():
    row, _ = _enrichment_of(7, 7, 10, 10)
    assert math.isnan(row["odds_ratio"]) and math.isnan(row["corrected_odds_ratio"])
    assert row["odds_ratio_note"].startswith("not estimable")


def test_empty_study():
    res = call_mechanisms(Study.from_tables(), analyse_trajectories(Study.from_tables()))
    assert res.evidence.empty and res.calls.empty and res.patients.empty and res.enrichment.empty
    assert any("No progressors" in c for c in res.caveats)
