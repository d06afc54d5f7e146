"""VCF reader on real caller outputs (vcf2maf and Strelka test files) and on small built-in cases."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pysam
import pytest

from analysis import schema
from analysis.errors import InputError
from analysis.io.errors import TruncatedFileError, TumourColumnError
from analysis.io.vcf import read_vcf
from tests.io.conftest import SHARED_DATA

VCF2MAF = SHARED_DATA / "vcf2maf"
STRELKA = SHARED_DATA / "strelka_demo"


def _raw_records(path: Path) -> list[list[str]]:
    """Naive independent parse: the tab-separated body lines of a (gzipped) VCF."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        return [line.rstrip("\n").split("\t") for line in handle if not line.startswith("#")]


def test_mutect_counts_and_filter():
    result = read_vcf(VCF2MAF / "test_mutect.vcf")
    assert result.n_records == 500
    assert len(result.variants) == 5
    assert result.filtered == {"FILTER REJECT": 495}
    assert result.tumour_column == "TUMOR"
    assert list(result.variants.columns[: len(schema.VARIANTS.names)]) == schema.VARIANTS.names


def test_mutect_known_variant_vaf_matches_naive_parse():
    records = [r for r in _raw_records(VCF2MAF / "test_mutect.vcf") if r[6] == "PASS"]
    assert len(records) == 5
    first = records[0]
    fmt = first[8].split(":")
    tumour = dict(zip(fmt, first[10].split(":"), strict=True))
    ref_n, alt_n = (int(x) for x in tumour["AD"].split(","))
    variants = read_vcf(VCF2MAF / "test_mutect.vcf").variants
    row = variants[(variants["chromosome"] == first[0]) & (variants["start_position"] == int(first[1]))].iloc[
        0
    ]
    assert (first[0], first[1], ref_n, alt_n) == ("1", "204429832", 39, 3)
    assert row["t_ref_count"] == 39 and row["t_alt_count"] == 3 and row["depth"] == 42
    assert row["vaf"] == pytest.approx(3 / 42)


def test_all_filters_kept_when_asked():
    result = read_vcf(VCF2MAF / "test_mutect.vcf", keep_filters=None)
    assert len(result.variants) == 500 and result.filtered == {}


def test_strelka_snvs_bgzf_17_records_16_pass_tier1_counts():
    result = read_vcf(STRELKA / "somatic.snvs.vcf.gz")
    assert result.n_records == 17
    assert len(result.variants) == 16
    assert sum(result.filtered.values()) == 1
    row = result.variants.set_index("start_position").loc[991]
    # demo20:991 C>G, tumour CU=5,5 GU=5,5: tier-1 ref 5, alt 5.
    assert (row["reference_allele"], row["tumor_seq_allele"]) == ("C", "G")
    assert (row["t_ref_count"], row["t_alt_count"], row["vaf"]) == (5, 5, 0.5)


def test_strelka_indels_plain_gzip_read_and_reported():
    path = STRELKA / "somatic.indels.vcf.gz"
    with open(path, "rb") as handle:
        assert handle.read(2) == b"\x1f\x8b"
    result = read_vcf(path)
    assert result.n_records == 2 and len(result.variants) == 2
    assert any("plain gzip" in note for note in result.notes)
    row = result.variants.set_index("start_position").loc[3664]
    assert (row["t_ref_count"], row["t_alt_count"]) == (18, 20)  # TAR / TIR tier 1
    assert row["vaf"] == pytest.approx(20 / 38)


def test_varscan_wrong_ad_header_uses_rd_and_ad():
    result = read_vcf(VCF2MAF / "test_varscan.vcf")
    assert result.n_records == 500 and len(result.variants) == 500
    assert any("AD is declared Number=1" in note for note in result.notes)
    row = result.variants.iloc[0]
    assert (row["chromosome"], row["start_position"]) == ("1", 1991014)
    assert (row["t_ref_count"], row["t_alt_count"], row["depth"]) == (56, 35, 91)
    assert row["vaf"] == pytest.approx(35 / 91)


def test_merged_vcf_missing_contigs_and_no_filter():
    result = read_vcf(VCF2MAF / "test_merged.vcf")
    assert result.n_records == 573
    # Multi-allelic records give one row per alternate allele.
    n_alts = sum(len(r[4].split(",")) for r in _raw_records(VCF2MAF / "test_merged.vcf"))
    assert len(result.variants) == n_alts
    missing_note = next(n for n in result.notes if "not declared in the header" in n)
    assert " X," in missing_note and missing_note.split("contig(s) ")[1].split(" are")[0].endswith("Y")
    assert any("no FILTER applied" in n for n in result.notes)


def test_strelka_vcf2maf_240_records():
    result = read_vcf(VCF2MAF / "test_strelka.vcf")
    assert result.n_records == 240 and len(result.variants) == 240
    assert result.variants["vaf"].between(0, 1).all()


def _write_vcf(
    path: Path,
    samples: list[str],
    *,
    meta: dict[str, str] | None = None,
    csq: bool = False,
    ann: bool = False,
) -> Path:
    header = pysam.VariantHeader()
    header.contigs.add("chr17", length=83_257_441)
    for key, value in (meta or {}).items():
        header.add_meta(key, value)
    header.formats.add("AD", "R", "Integer", "Allelic depths")
    header.formats.add("DP", 1, "Integer", "Depth")
    header.formats.add("AF", "A", "Float", "Allele fraction")
    if csq:
        header.info.add("CSQ", ".", "String", "VEP. Format: Allele|Consequence|SYMBOL|HGVSp|CANONICAL")
    if ann:
        header.info.add(
            "ANN",
            ".",
            "String",
            "Functional annotations: 'Allele | Annotation | Annotation_Impact "
            "| Gene_Name | Gene_ID | Feature_Type | Feature_ID | "
            "Transcript_BioType | Rank | HGVS.c | HGVS.p'",
        )
    for sample in samples:
        header.add_sample(sample)
    with pysam.VariantFile(str(path), "w", header=header) as out:
        record = out.new_record(contig="chr17", start=39_711_954, alleles=("C", "T"))
        if csq:
            record.info["CSQ"] = (
                "T|missense_variant|GRB7|p.Ala1Val|",
                "T|missense_variant|ERBB2|ENSP00000269571.5:p.Ser310Phe|YES",
            )
        if ann:
            record.info["ANN"] = (
                "T|missense_variant|MODERATE|ERBB2|ENSG|transcript|ENST|protein_coding|8/27|"
                "c.929C>T|p.Ser310Phe",
            )
        for k, sample in enumerate(samples):
            record.samples[sample]["AD"] = (90 - 10 * k, 10 * k)
            record.samples[sample]["DP"] = 90
            record.samples[sample]["AF"] = (0.25,)
        out.write(record)
    return path


def test_vep_csq_canonical_transcript_first(tmp_path):
    variants = read_vcf(_write_vcf(tmp_path / "v.vcf", ["S1"], csq=True)).variants
    row = variants.iloc[0]
    assert (row["gene"], row["protein_change"], row["variant_classification"]) == (
        "ERBB2",
        "S310F",
        "Missense_Mutation",
    )
    assert row["chromosome"] == "17"


def test_snpeff_ann(tmp_path):
    row = read_vcf(_write_vcf(tmp_path / "v.vcf", ["S1"], ann=True)).variants.iloc[0]
    assert (row["gene"], row["protein_change"]) == ("ERBB2", "S310F")


def test_unannotated_gene_from_panel(tmp_path):
    panel = pd.DataFrame(
        {
            "chromosome": ["17"],
            "start": [39_711_900],
            "end": [39_712_000],
            "target": ["ERBB2_e8"],
            "gene": ["ERBB2"],
        }
    )
    row = read_vcf(_write_vcf(tmp_path / "v.vcf", ["S1"]), panel=panel).variants.iloc[0]
    assert row["gene"] == "ERBB2"


def test_vaf_from_af_when_no_counts(tmp_path):
    header = pysam.VariantHeader()
    header.contigs.add("1", length=1000)
    header.formats.add("AF", "A", "Float", "Allele fraction")
    header.add_sample("S1")
    path = tmp_path / "af.vcf"
    with pysam.VariantFile(str(path), "w", header=header) as out:
        record = out.new_record(contig="1", start=10, alleles=("A", "G"))
        record.samples["S1"]["AF"] = (0.125,)
        out.write(record)
    assert read_vcf(path).variants["vaf"].tolist() == [0.125]


def test_tumour_column_from_header_and_by_name(tmp_path):
    path = _write_vcf(tmp_path / "v.vcf", ["blood", "plasma_d0"], meta={"tumor_sample": "plasma_d0"})
    result = read_vcf(path, sample_id="P1_D0")
    assert result.tumour_column == "plasma_d0"
    assert result.variants.iloc[0]["t_alt_count"] == 10 and result.variants.iloc[0]["sample_id"] == "P1_D0"
    assert read_vcf(path, tumour_column="blood").variants.iloc[0]["t_alt_count"] == 0


def test_ambiguous_tumour_column_refused(tmp_path):
    path = _write_vcf(tmp_path / "v.vcf", ["S1", "S2"])
    with pytest.raises(TumourColumnError) as info:
        read_vcf(path)
    message = str(info.value)
    assert str(path) in message and "#CHROM" in message and "S1, S2" in message and "tumour_column" in message
    assert info.value.line is not None


def test_no_sample_column_refused(tmp_path):
    path = _write_vcf(tmp_path / "v.vcf", [])
    with pytest.raises(TumourColumnError, match="no sample"):
        read_vcf(path)


def test_named_tumour_column_absent(tmp_path):
    path = _write_vcf(tmp_path / "v.vcf", ["S1", "S2"])
    with pytest.raises(TumourColumnError, match="'TUMOUR' is not in the VCF"):
        read_vcf(path, tumour_column="TUMOUR")


def test_truncated_bgzf_refused(tmp_path):
    path = tmp_path / "cut.vcf.gz"
    data = (STRELKA / "somatic.snvs.vcf.gz").read_bytes()
    path.write_bytes(data[: len(data) - 28])
    with pytest.raises(TruncatedFileError) as info:
        read_vcf(path)
    assert str(path) in str(info.value) and "truncated" in str(info.value) and "re-create" in str(info.value)


def test_missing_file_and_empty_vcf(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_vcf(tmp_path / "absent.vcf")
    empty = tmp_path / "empty.vcf"
    shutil.copy(VCF2MAF / "test_mutect.vcf", empty)
    lines = [line for line in empty.read_text().splitlines(keepends=True) if line.startswith("#")]
    empty.write_text("".join(lines))
    result = read_vcf(empty)
    assert result.n_records == 0 and result.variants.empty
    assert list(result.variants.columns[:len(schema.VARIANTS.names)]) == schema.VARIANTS.names


def test_bcf_reads_like_the_vcf(tmp_path):
    source = pysam.VariantFile(str(VCF2MAF / "test_mutect.vcf"))
    bcf = tmp_path / "mutect.bcf"
    with pysam.VariantFile(str(bcf), "wb", header=source.header) as out:
        for record in source:
            out.write(record)
    source.close()
    from_bcf, from_vcf = read_vcf(bcf), read_vcf(VCF2MAF / "test_mutect.vcf")
    assert from_bcf.n_records == 500
    pd.testing.assert_frame_equal(from_bcf.variants, from_vcf.variants)
