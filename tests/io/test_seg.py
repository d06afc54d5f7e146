"""SEG reader and gene-level summary over a panel."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.io.seg import read_seg, seg_gene_level

PANEL = pd.DataFrame(
    {
        "chromosome": ["17", "17", "7"],
        "start": [1000, 3000, 500],
        "end": [1200, 3200, 700],
        "target": ["ERBB2_1", "ERBB2_2", "EGFR_1"],
        "gene": ["ERBB2", "ERBB2", "EGFR"],
    }
)


def test_six_column_seg_gene_level_weighted_by_overlap(tmp_path):
    path = tmp_path / "s.seg"
    # ERBB2 targets: 0-based [1000,1200) and [3000,3200). Segment A (1-based 1..1100) covers 100 bp of the
    # first; segment B (1101..5000) the other 300 bp -> weighted median is B's value.
    path.write_text(
        "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n"
        "S1\tchr17\t1\t1100\t10\t-0.5\nS1\tchr17\t1101\t5000\t30\t1.2\n"
        "S1\tchr7\t1\t10000\t40\t0.0\nS2\tchr17\t1\t5000\t40\t0.3\n"
    )
    segments = read_seg(path)
    assert segments["n_probes"].tolist() == [10, 30, 40, 40]
    genes = seg_gene_level(segments, PANEL).set_index(["sample_id", "gene"])
    assert genes.loc[("S1", "ERBB2"), "log2_ratio"] == pytest.approx(1.2)
    assert genes.loc[("S1", "ERBB2"), "cna_discrete"] == 2
    assert genes.loc[("S1", "EGFR"), "copy_number"] == pytest.approx(2.0)
    assert genes.loc[("S2", "ERBB2"), "log2_ratio"] == pytest.approx(0.3)
    assert ("S2", "EGFR") not in genes.index


def test_five_column_seg(tmp_path):
    path = tmp_path / "s.seg"
    path.write_text("Sample\tChromosome\tStart\tEnd\tSegment_Mean\nS1\t17\t1\t5000\t0.7\n")
    segments = read_seg(path)
    assert segments["n_probes"].isna().all() and segments["log2_ratio"].tolist() == [0.7]


def test_bad_value_names_line_and_column(tmp_path):
    path = tmp_path / "s.seg"
    path.write_text(
        "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\nS1\t17\t1\t50\t3\t0.1\nS1\t17\t60\t90\t3\tNaNx\n"
    )
    with pytest.raises(InputError) as info:
        read_seg(path)
    assert f"{path}:3" in str(info.value) and "seg.mean" in str(info.value)


def test_empty_inputs_give_typed_empty_table(tmp_path):
    out = seg_gene_level(
        pd.DataFrame(columns=["sample_id", "chromosome", "start", "end", "log2_ratio"]), PANEL
    )
    assert out.empty and list(out.columns) == [
        "sample_id",
        "gene",
        "log2_ratio",
        "copy_number",
        "cna_discrete",
    ]


@pytest.mark.parametrize("start", ["3.5", "-1"])
def test_seg_positions_must_be_whole_numbers_not_below_zero(tmp_path, start):
    path = tmp_path / "s.seg"
    path.write_text(f"ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\nS1\t1\t0\t100\t5\t0.1\nS1\t2\t{start}\t90\t5\t0.2\n")
    with pytest.raises(InputError) as caught:
        read_seg(path)
    assert (caught.value.line, caught.value.field) == (3, "loc.start")
