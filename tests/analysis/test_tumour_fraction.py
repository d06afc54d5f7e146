"""Tumour fraction = min(1, 2 x max somatic VAF), CHIP genes and likely germline left out."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.schema import VARIANTS
from analysis.tumour_fraction import (
    TUMOUR_FRACTION_COLUMNS,
    somatic_variant_mask,
    stratum_labels,
    tumour_fraction,
    tumour_fraction_stratum,
)


def variants(rows: list[tuple]) -> pd.DataFrame:
    """rows: (sample_id, gene, protein_change, vaf)."""
    frame = pd.DataFrame(rows, columns=["sample_id", "gene", "protein_change", "vaf"])
    return VARIANTS.conform(frame)


def test_hand_computed_fractions():
    table = variants([
        ("S1", "TP53", "R175H", 0.12),     # driver: f = 0.24
        ("S1", "KRAS", "G12D", 0.05),
        ("S1", "DNMT3A", "R882H", 0.30),   # clonal haematopoiesis gene: left out
        ("S1", "BRCA2", "N372H", 0.48),    # heterozygous germline-like VAF: left out
        ("S2", "PIK3CA", "H1047R", 0.55),  # hotspot: kept although germline-like, f = 1.0 (capped 1.1)
        ("S3", "APC", "V1822D", 0.97),     # homozygous germline-like: left out -> no usable variant
        ("S4", "TP53", "R248Q", 0.005),    # f = 0.01 < 0.02: not evaluable
    ])
    tf = tumour_fraction(table).set_index("sample_id")
    assert list(tf.reset_index().columns) == list(TUMOUR_FRACTION_COLUMNS)
    assert tf.loc["S1", "tumour_fraction"] == pytest.approx(0.24)
    assert tf.loc["S1", "n_variants_used"] == 2
    assert tf.loc["S1", "driver_gene"] == "TP53"
    assert bool(tf.loc["S1", "evaluable"])
    assert tf.loc["S2", "tumour_fraction"] == 1.0 and tf.loc["S2", "driver_gene"] == "PIK3CA"
    assert math.isnan(tf.loc["S3", "tumour_fraction"]) and tf.loc["S3", "n_variants_used"] == 0
    assert not bool(tf.loc["S3", "evaluable"])
    assert tf.loc["S4", "tumour_fraction"] == pytest.approx(0.01)
    assert not bool(tf.loc["S4", "evaluable"])


def test_germline_band_edges_and_p_prefix():
    table = variants([
        ("S1", "TP53", "p.R175H", 0.62),   # hotspot written with "p." prefix; VAF above the het band anyway
        ("S2", "SMAD4", "R361H", 0.40),    # on the band's lower edge: germline-like
        ("S2", "SMAD4", "D351H", 0.399),
        ("S3", "TP53", "p.R175H", 0.95),   # hotspot with "p.": kept
    ])
    mask = somatic_variant_mask(table)
    assert mask.tolist() == [True, False, True, True]
    tf = tumour_fraction(table).set_index("sample_id")
    assert tf.loc["S2", "tumour_fraction"] == pytest.approx(0.798)
    assert tf.loc["S3", "tumour_fraction"] == 1.0


def test_vaf_falls_back_to_read_counts():
    table = VARIANTS.conform(pd.DataFrame({"sample_id": ["S1"], "gene": ["TP53"], "protein_change": ["R175H"],
                                           "t_ref_count": [900], "t_alt_count": [100], "vaf": [np.nan]}))
    assert tumour_fraction(table)["tumour_fraction"].iloc[0] == pytest.approx(0.2)


def test_requested_samples_without_variants_are_reported():
    table = variants([("S1", "TP53", "R175H", 0.1)])
    tf = tumour_fraction(table, ["S2", "S1"])
    assert list(tf["sample_id"]) == ["S1", "S2"]
    assert tf["n_variants_used"].tolist() == [1, 0]
    assert tf["evaluable"].tolist() == [True, False]


def test_empty_input_gives_typed_empty_table():
    tf = tumour_fraction(VARIANTS.empty())
    assert tf.empty and list(tf.columns) == list(TUMOUR_FRACTION_COLUMNS)
    assert str(tf["tumour_fraction"].dtype) == "float64"
    tf = tumour_fraction(VARIANTS.empty(), ["S9"])
    assert len(tf) == 1 and math.isnan(tf["tumour_fraction"].iloc[0])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=1, max_size=8))
def test_fraction_is_twice_max_usable_vaf_capped(vafs):
    table = variants([("S1", "TP53", f"X{i}", v) for i, v in enumerate(vafs)])
    usable = [v for v in vafs if not (0.4 <= v <= 0.6 or v >= 0.9)]
    tf = tumour_fraction(table)
    value = tf["tumour_fraction"].iloc[0]
    if usable:
        assert value == pytest.approx(min(1.0, 2 * max(usable)))
        assert 0.0 <= value <= 1.0
    else:
        assert math.isnan(value)


def test_strata():
    edges = (0.01, 0.05, 0.10)
    values = np.array([0.0, 0.0099, 0.01, 0.049, 0.05, 0.0999, 0.1, 1.0, np.nan])
    assert tumour_fraction_stratum(values, edges).tolist() == [
        "<1%", "<1%", "1-5%", "1-5%", "5-10%", "5-10%", "≥10%", "≥10%", "not estimable"]
    assert stratum_labels(edges) == ["<1%", "1-5%", "5-10%", "≥10%", "not estimable"]


def test_flagged_vafs_are_left_out_and_counted(tmp_path):
    """A hotspot at VAF 0.97 in plasma (flagged by the MAF reader) would set f = 1 on its own."""
    from analysis.io.maf import read_maf
    from analysis.tumour_fraction import tumour_fraction_notes

    maf = tmp_path / "m.maf"
    maf.write_text("\n".join([
        "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short\tt_ref_count\tt_alt_count\tt_depth",
        "TP53\tP1-B\tMissense_Mutation\tp.R175H\t30\t970\t1000",   # implausible for plasma
        "KRAS\tP1-B\tMissense_Mutation\tp.G12D\t900\t100\t1000",   # VAF 0.10 -> f = 0.20
        "TP53\tP2-B\tMissense_Mutation\tp.R175H\t30\t970\t1000",   # P2's only variant, flagged
    ]) + "\n")
    table, _ = read_maf(maf)
    assert table["vaf_flag"].notna().tolist() == [True, False, True]
    tf = tumour_fraction(table, ["P1-B", "P2-B"]).set_index("sample_id")
    assert tf.loc["P1-B", "tumour_fraction"] == pytest.approx(0.2)
    assert tf.loc["P1-B", "driver_gene"] == "KRAS"
    assert tf.loc["P1-B", "n_vaf_flagged"] == 1 and tf.loc["P2-B", "n_vaf_flagged"] == 1
    assert math.isnan(tf.loc["P2-B", "tumour_fraction"]) and not tf.loc["P2-B", "evaluable"]
    notes = tumour_fraction_notes(tf.reset_index())
    assert len(notes) == 1 and notes[0].startswith("2 variant(s) in 2 sample(s) left out of the tumour-fraction")
    # Without the flag the hotspot would have made f = 1.
    unflagged = tumour_fraction(table.assign(vaf_flag=pd.NA), ["P1-B"])
    assert unflagged["tumour_fraction"].iloc[0] == 1.0
    assert tumour_fraction_notes(unflagged) == []
