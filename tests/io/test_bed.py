"""Panel BED reader and contig naming."""

from __future__ import annotations

import pytest

from analysis.errors import InputError
from analysis.io.bed import contig_style, match_contig, read_bed


def test_read_bed_skips_headers_and_names_genes(tmp_path):
    path = tmp_path / "panel.bed"
    path.write_text("track name=x\n#comment\nchr17\t100\t250\tERBB2_exon8\n17\t300\t400\n")
    panel = read_bed(path)
    assert panel["start"].tolist() == [100, 300] and panel["end"].tolist() == [250, 400]
    assert panel["gene"].tolist()[0] == "ERBB2" and panel["gene"].isna().tolist() == [False, True]
    assert panel["target"].tolist()[1] == "17:300-400"


def test_end_before_start_refused_with_line_and_field(tmp_path):
    path = tmp_path / "panel.bed"
    path.write_text("chr17\t100\t250\tERBB2\nchr17\t500\t400\tGRB7\n")
    with pytest.raises(InputError) as info:
        read_bed(path)
    message = str(info.value)
    assert f"{path}:2" in message and "chromEnd" in message and "end 400 is before start 500" in message
    assert "end >= start" in message


def test_non_integer_and_short_lines(tmp_path):
    path = tmp_path / "panel.bed"
    path.write_text("chr17\tabc\t250\n")
    with pytest.raises(InputError, match="integers"):
        read_bed(path)
    path.write_text("chr17\t100\n")
    with pytest.raises(InputError, match="at least 3"):
        read_bed(path)


def test_contig_matching():
    assert match_contig("17", ["chr17"]) == "chr17"
    assert match_contig("chr17", ["17"]) == "17"
    assert match_contig("chrM", ["MT"]) == "MT"
    assert match_contig("17", ["chr1", "chr7"]) is None
    assert contig_style(["chr1", "chr2"]) == "chr" and contig_style(["1", "2"]) == "bare"
