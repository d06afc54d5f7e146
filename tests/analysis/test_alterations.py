"""One definition of "protein-changing" for every analysis path (analysis/alterations.py)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis import pfs_groups
from analysis.alterations import (
    MAF_CLASSES,
    PROTEIN_CHANGING_CLASSES,
    SO_TO_MAF,
    is_protein_changing,
    maf_class_from_consequence,
)
from analysis.concordance import concordance_analysis
from analysis.oncoprint import build_oncoprint
from analysis.resistance import call_mechanisms
from analysis.study import Study
from analysis.trajectory import analyse_trajectories
from tests.conftest import PROJECT_ROOT

#: (classification, protein change) per patient; True = counts as a PIK3CA mutation.
CASES = [
    ("Missense_Mutation", "E545K", True),
    ("Nonsense_Mutation", "R88*", True),
    ("Frame_Shift_Del", "L997fs", True),
    ("Frame_Shift_Ins", "N345fs", True),
    ("In_Frame_Del", "E110del", True),
    ("In_Frame_Ins", "E109_I112insL", True),
    ("Splice_Site", "X360_splice", True),
    ("Translation_Start_Site", "M1?", True),
    ("Nonstop_Mutation", "*1069Wext*4", True),
    ("Silent", "E545=", False),
    ("Splice_Region", None, False),
    ("Splice_Region", "E453=", False),
    ("5'Flank", None, False),
    ("3'Flank", None, False),
    ("5'UTR", None, False),
    ("3'UTR", None, False),
    ("Intron", None, False),
    ("IGR", None, False),
    ("RNA", None, False),
    ("De_novo_Start_InFrame", None, False),
    ("De_novo_Start_OutOfFrame", None, False),
    ("Fusion", None, False),
    ("Targeted_Region", None, False),
    ("Unknown", None, False),
    (None, None, False),
    (None, "H1047R", True),
    ("Unknown", "H1047L", True),
]


def _study() -> Study:
    """One HER2+ patient per case: tissue (day -20) and baseline plasma (day -3), each carrying
    the same PIK3CA variant; every patient progresses at day 150 (acquired resistance)."""
    ids = [f"P{i:02d}" for i in range(len(CASES))]
    patients = pd.DataFrame({"patient_id": ids, "her2_status": "POSITIVE", "her2_ihc": "3+",
                             "pfs_months": 150 / 30.4375, "pfs_event": True, "os_months": 12.0,
                             "os_event": False})
    samples = pd.DataFrame({
        "sample_id": [f"{p}-{s}" for p in ids for s in ("T", "B")],
        "patient_id": [p for p in ids for _ in range(2)],
        "sample_type": ["tissue", "plasma"] * len(ids),
        "collection_day": [-20.0, -3.0] * len(ids),
        "timepoint": ["BASELINE", "BASELINE"] * len(ids),
    })
    rows = []
    for pid, (cls, protein, _) in zip(ids, CASES, strict=True):
        for suffix, vaf in (("T", 0.3), ("B", 0.05)):
            rows.append({"sample_id": f"{pid}-{suffix}", "gene": "PIK3CA", "chromosome": "3",
                         "start_position": 178936091, "reference_allele": "G", "tumor_seq_allele": "A",
                         "variant_classification": cls, "protein_change": protein,
                         "t_ref_count": round(1000 * (1 - vaf)), "t_alt_count": round(1000 * vaf),
                         "depth": 1000, "vaf": vaf})
    copy_number = pd.DataFrame({"sample_id": samples["sample_id"], "gene": "ERBB2", "copy_number": 6.0,
                                "log2_ratio": 1.585, "cna_discrete": 2})
    timeline = pd.DataFrame({
        "patient_id": ids * 2, "start_day": [0.0] * len(ids) + [150.0] * len(ids),
        "stop_day": [150.0] * len(ids) + [None] * len(ids),
        "event_type": ["TREATMENT"] * len(ids) + ["STATUS"] * len(ids),
        "agent": ["Trastuzumab"] * len(ids) + [None] * len(ids),
        "status": [None] * len(ids) + ["PROGRESSION"] * len(ids),
    })
    return Study.from_tables(patients=patients, samples=samples, variants=pd.DataFrame(rows),
                             copy_number=copy_number, timeline=timeline)


def test_the_rule_itself():
    classes = pd.Series([c for c, _, _ in CASES], dtype="string")
    proteins = pd.Series([p for _, p, _ in CASES], dtype="string")
    assert is_protein_changing(classes, proteins).tolist() == [want for _, _, want in CASES]
    # Without protein changes a missing or Unknown classification never counts.
    without = is_protein_changing(classes)
    assert not without[classes.isna() | (classes == "Unknown")].any()
    assert set(MAF_CLASSES) >= PROTEIN_CHANGING_CLASSES


def test_every_analysis_path_counts_the_same_patients():
    study = _study()
    expected = {f"P{i:02d}" for i, (_, _, want) in enumerate(CASES) if want}
    trajectories = analyse_trajectories(study)
    resistance = call_mechanisms(study, trajectories)
    onco = build_oncoprint(study, trajectories, resistance, genes=["PIK3CA", "ERBB2"])
    concordance = concordance_analysis(study)
    grouping = pfs_groups.by_gene(study, trajectories, "PIK3CA")

    evidence = resistance.evidence
    by_resistance = set(evidence.loc[(evidence["gene"] == "PIK3CA")
                                     & (evidence["alteration_type"] == "mutation"), "patient_id"])
    cells = onco.cells[onco.cells["gene"] == "PIK3CA"]
    by_oncoprint_plasma = set(cells.loc[cells["source"] == "plasma", "patient_id"])
    by_oncoprint_tissue = set(cells.loc[cells["source"] == "tissue", "patient_id"])
    detection = concordance.variant_detection
    by_concordance = set(detection.loc[(detection["gene"] == "PIK3CA") & detection["detected"], "patient_id"])
    groups = grouping.table.set_index("patient_id")["group"]
    by_grouping = set(groups[groups == "PIK3CA altered"].index)

    assert by_resistance == expected
    assert by_oncoprint_plasma == expected
    assert by_oncoprint_tissue == expected
    assert by_concordance == expected
    assert by_grouping == expected
    row = concordance.per_gene[(concordance.per_gene["gene"] == "PIK3CA")
                               & (concordance.per_gene["alteration"] == "mutation")].iloc[0]
    assert int(row["a"]) == len(expected)


def test_no_local_classification_rule_left():
    """Every path filters through analysis.alterations: no .isin(<class set>) or != "Silent" elsewhere."""
    pattern = re.compile(r'variant_classification"\]\s*\.isin\(|!=\s*"Silent"|NON_PROTEIN_CHANGING')
    offenders = []
    for folder in ("analysis", "dashboard"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            if path.name == "alterations.py" or "demo" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize(("consequence", "ref", "alt", "expected"), [
    ("missense_variant", "G", "A", "Missense_Mutation"),
    ("stop_gained&splice_region_variant", "C", "T", "Nonsense_Mutation"),
    ("splice_region_variant&synonymous_variant", "C", "T", "Splice_Region"),
    ("synonymous_variant&splice_region_variant", "C", "T", "Splice_Region"),
    ("intron_variant&splice_donor_variant", "G", "A", "Splice_Site"),
    ("frameshift_variant", "AT", "A", "Frame_Shift_Del"),
    ("frameshift_variant", "-", "T", "Frame_Shift_Ins"),
    ("frameshift_variant", "T", "-", "Frame_Shift_Del"),
    ("protein_altering_variant", "ATG", "A", "In_Frame_Del"),
    ("upstream_gene_variant", "A", "C", "5'Flank"),
    ("some_new_term", "A", "C", "Targeted_Region"),
    ("", "A", "C", None),
    (None, "A", "C", None),
])
def test_consequence_to_maf_class(consequence, ref, alt, expected):
    assert maf_class_from_consequence(consequence, ref, alt) == expected


def test_so_map_gives_only_maf_classes():
    assert set(SO_TO_MAF.values()) <= set(MAF_CLASSES)


def test_concordance_counts_effect_unknown_rows_in_its_caveats():
    caveats = " ".join(concordance_analysis(_study()).caveats)
    n_unknown = sum(1 for c, _, _ in CASES if c in (None, "Unknown", "Targeted_Region"))
    assert f"{2 * n_unknown} variant(s) of the paired samples have no usable Variant_Classification" in caveats
