"""BAM/CRAM coverage: read counts against samtools bedcov, copy number against planted values."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis.copy_number import purity_adjusted_cn
from analysis.io.bed import read_bed
from analysis.io.coverage import (
    ReadFilter,
    build_reference,
    count_reads,
    coverage_copy_number,
    read_reference,
)
from analysis.io.errors import (
    ContigNotFoundError,
    IndexMissingError,
    ReferenceMissingError,
    TruncatedFileError,
)
from tests.io.conftest import SAMTOOLS, SHARED_DATA, needs_samtools, samtools_bedcov_counts

STRELKA = SHARED_DATA / "strelka_demo"


def _chr_bed(panel: pd.DataFrame, path: Path) -> Path:
    """The panel as a BED with the BAMs' own contig names (samtools does not translate 17 -> chr17)."""
    panel.assign(chromosome="chr" + panel["chromosome"])[["chromosome", "start", "end"]].to_csv(
        path, sep="\t", header=False, index=False
    )
    return path


@needs_samtools
@pytest.mark.parametrize(
    ("read_filter", "samtools_options"),
    [
        (ReadFilter(), ["-Q", "20", "-G", "0x800"]),  # our default: 0x704 + supplementary
        (ReadFilter(min_mapq=0, exclude_flags=0x704), []),  # samtools' own default
        (ReadFilter(min_mapq=0, exclude_flags=0x0), ["-g", "0x704"]),  # count everything
        (ReadFilter(min_mapq=20, exclude_flags=0x304), ["-Q", "20", "-g", "0x400"]),  # keep duplicates
    ],
)
def test_counts_equal_samtools_bedcov(demo_raw, tmp_path, read_filter, samtools_options):
    panel = read_bed(demo_raw / "panel.bed")
    bed = _chr_bed(panel, tmp_path / "panel.bed")
    for bam in (demo_raw / "bams" / "P01_D-7.bam", demo_raw / "normals" / "NORMAL_1.bam"):
        counts, _ = count_reads(bam, panel, read_filter=read_filter)
        assert counts["read_count"].tolist() == samtools_bedcov_counts(bed, bam, *samtools_options)


@needs_samtools
def test_filters_change_counts(demo_raw):
    panel = read_bed(demo_raw / "panel.bed")
    bam = demo_raw / "bams" / "P01_D-7.bam"
    strict = count_reads(bam, panel)[0]["read_count"].sum()
    loose = count_reads(bam, panel, read_filter=ReadFilter(min_mapq=0, exclude_flags=0))[0][
        "read_count"
    ].sum()
    assert loose > strict * 1.08  # ~12% of demo reads are duplicates, MAPQ 3, secondary or QC-fail


@needs_samtools
def test_real_strelka_bams_equal_samtools(tmp_path):
    bed = tmp_path / "windows.bed"
    bed.write_text(
        "".join(f"demo20\t{s}\t{s + 500}\tW{s}\n" for s in range(0, 5000, 500)) + "demo20\t990\t992\tX\n"
    )
    panel = read_bed(bed)
    for bam in ("NA12891_demo20.bam", "NA12892_demo20.bam"):
        for read_filter, options in (
            (ReadFilter(min_mapq=0, exclude_flags=0x704), []),
            (ReadFilter(), ["-Q", "20", "-G", "0x800"]),
        ):
            counts, notes = count_reads(STRELKA / bam, panel, read_filter=read_filter)
            assert counts["read_count"].tolist() == samtools_bedcov_counts(bed, STRELKA / bam, *options)
            assert notes == []
    total = (
        count_reads(
            STRELKA / "NA12891_demo20.bam", panel, read_filter=ReadFilter(min_mapq=0, exclude_flags=0)
        )[0]["read_count"]
        .iloc[:10]
        .sum()
    )
    assert total >= 829  # reads spanning window edges count in both windows


@needs_samtools
def test_cram_needs_reference_and_then_matches_bam(tmp_path):
    cram = tmp_path / "normal.cram"
    subprocess.run(
        [
            SAMTOOLS,
            "view",
            "-C",
            "-T",
            str(STRELKA / "demo20.fa"),
            "-o",
            str(cram),
            str(STRELKA / "NA12891_demo20.bam"),
        ],
        check=True,
    )
    subprocess.run([SAMTOOLS, "index", str(cram)], check=True)
    bed = tmp_path / "w.bed"
    bed.write_text("demo20\t0\t2500\tA\ndemo20\t2500\t5000\tB\n")
    panel = read_bed(bed)
    with pytest.raises(ReferenceMissingError) as info:
        count_reads(cram, panel)
    assert str(cram) in str(info.value) and "reference FASTA" in str(info.value)
    from_cram = count_reads(cram, panel, reference_fasta=STRELKA / "demo20.fa")[0]["read_count"].tolist()
    from_bam = count_reads(STRELKA / "NA12891_demo20.bam", panel)[0]["read_count"].tolist()
    assert from_cram == from_bam and sum(from_bam) > 0


def test_missing_index_suggests_samtools_index(demo_raw, tmp_path):
    bam = tmp_path / "no_index.bam"
    shutil.copy(demo_raw / "bams" / "P01_D-7.bam", bam)
    with pytest.raises(IndexMissingError) as info:
        count_reads(bam, read_bed(demo_raw / "panel.bed"))
    assert f"samtools index {bam}" in str(info.value) and str(bam) in str(info.value)


def test_truncated_bam(demo_raw, tmp_path):
    bam = tmp_path / "cut.bam"
    data = (demo_raw / "bams" / "P01_D-7.bam").read_bytes()
    bam.write_bytes(data[: len(data) // 2])
    shutil.copy(demo_raw / "bams" / "P01_D-7.bam.bai", tmp_path / "cut.bam.bai")
    with pytest.raises(TruncatedFileError) as info:
        count_reads(bam, read_bed(demo_raw / "panel.bed"))
    assert str(bam) in str(info.value) and "BGZF" in str(info.value) and "re-create" in str(info.value)


def test_contig_absent_under_any_name(demo_raw, tmp_path):
    bed = tmp_path / "p.bed"
    bed.write_text("22\t100\t200\tX\n")
    with pytest.raises(ContigNotFoundError, match="'22'.*not in this file's header"):
        count_reads(demo_raw / "bams" / "P01_D-7.bam", read_bed(bed))


def test_chr_naming_reconciled_and_reported(demo_raw):
    panel = read_bed(demo_raw / "panel.bed")
    assert not panel["chromosome"].str.startswith("chr").any()
    counts, notes = count_reads(demo_raw / "bams" / "P01_D-7.bam", panel)
    assert counts["read_count"].gt(0).all()
    assert any("17->chr17" in note for note in notes)


def test_erbb2_copy_number_within_10_percent_of_planted(demo_raw):
    truth = json.loads((demo_raw / "truth.json").read_text())
    reference = read_reference(demo_raw / "reference.tsv")
    assert reference["n_normals"].iloc[0] == 4
    for sample_id, planted in truth["samples"].items():
        counts, _ = count_reads(demo_raw / "bams" / f"{sample_id}.bam", reference)
        genes = coverage_copy_number(counts, reference).genes.set_index("gene")
        erbb2 = genes.loc["ERBB2", "copy_number"]
        assert erbb2 == pytest.approx(planted["erbb2_cn_observed"], rel=0.10), sample_id
        assert genes.drop(index="ERBB2")["copy_number"].between(1.6, 2.4).all(), sample_id
        tumour_cn = truth["tumour_erbb2_cn"][planted["patient_id"]]
        if planted["tumour_fraction"] >= 0.1:
            assert purity_adjusted_cn(erbb2, planted["tumour_fraction"]) == pytest.approx(tumour_cn, rel=0.15)


def test_reference_of_identical_normals_has_zero_spread(demo_raw):
    panel = read_bed(demo_raw / "panel.bed")
    counts, _ = count_reads(demo_raw / "normals" / "NORMAL_1.bam", panel)
    reference = build_reference([counts, counts.copy()])
    assert reference["spread"].fillna(0).eq(0).all()
    result = coverage_copy_number(counts, reference)
    assert result.targets["log2_ratio"].abs().max() == pytest.approx(0, abs=1e-12)
    assert result.genes["copy_number"].tolist() == pytest.approx([2.0] * 8)
