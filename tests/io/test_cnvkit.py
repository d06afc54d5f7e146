"""CNVkit reader on CNVkit's own test outputs (real targeted-panel samples)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.io.cnvkit import cnvkit_gene_level, read_cnvkit
from tests.io.conftest import SHARED_DATA

CNVKIT = SHARED_DATA / "cnvkit"


def test_bin_and_segment_counts():
    assert len(read_cnvkit(CNVKIT / "p2-9_2.cnr")) == 18_759
    assert len(read_cnvkit(CNVKIT / "p2-9_2.cns")) == 313
    assert len(read_cnvkit(CNVKIT / "p2-9_2.call.cns")) == 313


def test_amplicon_erbb2_segment_log2():
    genes = cnvkit_gene_level(read_cnvkit(CNVKIT / "amplicon.cns")).set_index("gene")
    assert genes.loc["ERBB2", "log2_ratio"] == pytest.approx(0.515459)
    assert genes.loc["ERBB2", "copy_number"] == pytest.approx(2 * 2**0.515459)


def test_amplicon_lacks_depth_weight_and_skips_empty_segments():
    table = read_cnvkit(CNVKIT / "amplicon.cns")
    assert "depth" not in table.columns and "weight" not in table.columns
    assert any("0 probes" in note for note in table.attrs["notes"])
    assert (table["end"] >= table["start"]).all()


def test_amplicon_bins_erbb2_is_weighted_median_of_its_bins():
    bins = read_cnvkit(CNVKIT / "amplicon.cnr")
    # A bin's gene field may list several genes ("ERBB2,MIR4728"); such bins count for each.
    erbb2 = bins[bins["gene"].str.split(",").apply(lambda genes: "ERBB2" in genes)]
    assert len(erbb2) == 29 and erbb2["log2"].max() > 1.5
    # Naive weighted median: sort, first value whose cumulative weight reaches half.
    order = erbb2.sort_values("log2")
    cumulative = order["weight"].cumsum().to_numpy()
    expected = order["log2"].to_numpy()[np.searchsorted(cumulative, cumulative[-1] / 2)]
    genes = cnvkit_gene_level(bins).set_index("gene")
    assert genes.loc["ERBB2", "log2_ratio"] == pytest.approx(expected)
    assert genes.loc["ERBB2", "n_bins"] == len(erbb2)
    assert genes.loc["ERBB2", "cna_discrete"] == 2


def test_columns_in_any_order_tr95t():
    table = read_cnvkit(CNVKIT / "tr95t.cns")
    raw = pd.read_csv(CNVKIT / "tr95t.cns", sep="\t")
    assert list(raw.columns) != ["chromosome", "start", "end", "gene", "log2", "depth", "probes", "weight"]
    assert table["log2"].tolist() == pytest.approx(raw["log2"].tolist())
    assert table["weight"].tolist() == pytest.approx(raw["weight"].tolist())


def test_call_cns_discrete_from_integer_cn():
    table = read_cnvkit(CNVKIT / "p2-9_2.call.cns")
    genes = cnvkit_gene_level(table).set_index("gene")
    erbb2_cn = table[table["gene"].str.split(",").apply(lambda g: "ERBB2" in g)]["cn"].iloc[0]
    assert erbb2_cn == 1 and genes.loc["ERBB2", "cna_discrete"] == -1


def test_other_files_read():
    for name in ("cl_seq.cns", "p2-20_1.cnr"):
        genes = cnvkit_gene_level(read_cnvkit(CNVKIT / name))
        assert len(genes) > 1000 and genes["copy_number"].gt(0).all()
    assert (
        not cnvkit_gene_level(read_cnvkit(CNVKIT / "p2-20_1.cnr"))["gene"]
        .isin(["Background", "Antitarget", "-"])
        .any()
    )


def test_missing_column_and_bad_value(tmp_path):
    path = tmp_path / "bad.cnr"
    path.write_text("chromosome\tstart\tend\tlog2\nchr1\t1\t10\t0.1\n")
    with pytest.raises(InputError, match="missing column 'gene'") as info:
        read_cnvkit(path)
    assert str(path) in str(info.value)
    path.write_text("chromosome\tstart\tend\tgene\tlog2\nchr1\t1\t10\tA\t0.1\nchr1\t10\t20\tA\tx\n")
    with pytest.raises(InputError) as info:
        read_cnvkit(path)
    assert f"{path}:3" in str(info.value) and "log2" in str(info.value)


def test_empty_table_gives_typed_empty_result(tmp_path):
    path = tmp_path / "empty.cns"
    path.write_text("chromosome\tstart\tend\tgene\tlog2\n")
    genes = cnvkit_gene_level(read_cnvkit(path))
    assert genes.empty and list(genes.columns) == [
        "gene",
        "log2_ratio",
        "copy_number",
        "cna_discrete",
        "n_bins",
    ]
