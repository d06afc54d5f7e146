"""Ingestion end to end: demo raw files -> study folder, real MAF/CNVkit rows, and every refusal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.ingest import build_study, ingest
from analysis.io.cbioportal import read_study
from analysis.io.errors import (
    IndexMissingError,
    ReferenceMissingError,
    SampleSheetError,
    TruncatedFileError,
    TumourColumnError,
)
from tests.io.conftest import SHARED_DATA, folder_fingerprint

HEADER = "sample_id\tpatient_id\tsample_type\tcollection_day\ttimepoint\tbam\tvcf\n"


def _sheet(tmp_path: Path, demo_raw: Path, rows: list[str] | None = None, extra_columns: str = "") -> Path:
    """A sample sheet in *tmp_path* pointing at the demo raw files (absolute paths)."""
    if rows is None:
        rows = [line for line in (demo_raw / "samples.tsv").read_text().splitlines()[1:] if line]
        rows = ["\t".join(f if "/" not in f else str(demo_raw / f) for f in row.split("\t")) for row in rows]
    path = tmp_path / "sheet.tsv"
    path.write_text(HEADER.rstrip("\n") + extra_columns + "\n" + "\n".join(rows) + "\n")
    return path


def _kwargs(demo_raw: Path) -> dict:
    return {
        "clinical": demo_raw / "patients.tsv",
        "panel_bed": demo_raw / "panel.bed",
        "reference": demo_raw / "reference.tsv",
    }


def _row(
    demo_raw: Path,
    sample: str = "P01_D-7",
    *,
    bam: str | None = None,
    vcf: str | None = None,
    patient: str = "P01",
) -> str:
    bam = bam if bam is not None else str(demo_raw / "bams" / f"{sample}.bam")
    vcf = vcf if vcf is not None else str(demo_raw / "vcfs" / f"{sample}.vcf.gz")
    return f"{sample}\t{patient}\tplasma\t-7\tBASELINE\t{bam}\t{vcf}"


def _refused(sheet: Path, out: Path, error: type[InputError], demo_raw: Path, **overrides) -> str:
    """Ingest must raise *error* and leave *out* byte-for-byte as it was, with no staging folder beside it."""
    before = folder_fingerprint(out)
    siblings = sorted(p.name for p in out.parent.iterdir())
    with pytest.raises(error) as info:
        ingest(sheet, out, **{**_kwargs(demo_raw), **overrides})
    assert folder_fingerprint(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == siblings
    return str(info.value)


def test_demo_ingest_round_trip(demo_raw, tmp_path, existing_study):
    result = ingest(_sheet(tmp_path, demo_raw), existing_study, **_kwargs(demo_raw))
    study = read_study(existing_study)
    assert not (existing_study / "data_clinical_sample.txt").read_text().startswith("#old")
    assert sorted(study.samples["sample_id"]) == sorted(result.summary["sample_id"])
    assert len(study.samples) == 6 and len(study.patients) == 2
    assert set(study.copy_number["gene"]) == {
        "ERBB2",
        "TP53",
        "NF1",
        "PIK3CA",
        "KRAS",
        "EGFR",
        "MET",
        "CCNE1",
    }
    assert len(study.variants) == 7 and result.filtered == {"FILTER REJECT": 18}
    tp53 = study.variants[study.variants["gene"] == "TP53"]
    assert set(tp53["protein_change"]) == {"R175H"}
    assert (study.variants["chromosome"].isin(["17", "3"])).all()
    erbb2 = study.copy_number[study.copy_number["gene"] == "ERBB2"].set_index("sample_id")["copy_number"]
    assert erbb2["P01_D168"] == pytest.approx(7.6, rel=0.1)
    text = result.format()
    assert "samples: 6" in text and "variants kept: 7" in text and "FILTER REJECT: 18" in text
    assert "17->chr17" in text and "genes with copy number: 8" in text
    assert len(study.events("SPECIMEN")) == 6


def test_tumour_fraction_from_sheet_overrides_estimate(demo_raw, tmp_path):
    row = _row(demo_raw) + "\t0.2"
    result = build_study(_sheet(tmp_path, demo_raw, [row], "\ttumour_fraction"), **_kwargs(demo_raw))
    summary = result.summary.iloc[0]
    assert summary["tumour_fraction"] == 0.2 and summary["tumour_fraction_source"] == "sample sheet"
    assert summary["erbb2_cn_adjusted"] == pytest.approx((summary["erbb2_cn"] - 1.6) / 0.2)


def test_real_maf_and_cnvkit_rows(tmp_path):
    sheet = tmp_path / "sheet.tsv"
    sheet.write_text(
        "sample_id\tpatient_id\tsample_type\tcollection_day\ttimepoint\tmaf\tcns\tvcf\tcnr\n"
        f"T1\tP1\ttissue\t\t\t{SHARED_DATA / 'vcf2maf' / 'test_output.vep_isoforms.maf'}\t"
        f"{SHARED_DATA / 'cnvkit' / 'amplicon.cns'}\t\t\n"
        f"T2\tP1\tFFPE\t\t\t\t\t{SHARED_DATA / 'strelka_demo' / 'somatic.indels.vcf.gz'}\t"
        f"{SHARED_DATA / 'cnvkit' / 'p2-9_2.cnr'}\n"
    )
    result = build_study(sheet)
    study = result.study
    maf_rows = study.variants[study.variants["sample_id"] == "T1"]
    assert len(maf_rows) == 18 and result.filtered == {"FILTER common_variant": 2}
    erbb2 = study.copy_number.set_index(["sample_id", "gene"])["log2_ratio"]
    assert erbb2[("T1", "ERBB2")] == pytest.approx(0.515459)
    assert result.summary.set_index("sample_id").loc["T2", "cn_source"] == "CNVkit bins"
    assert len(study.variants[study.variants["sample_id"] == "T2"]) == 2
    assert set(study.samples["sample_type"]) == {"tissue"}
    assert any("plain gzip" in note for note in result.notes)
    assert any("no clinical table" in note for note in result.notes)


def test_bam_without_index(demo_raw, tmp_path, existing_study):
    bam = tmp_path / "noindex.bam"
    shutil.copy(demo_raw / "bams" / "P01_D-7.bam", bam)
    message = _refused(
        _sheet(tmp_path, demo_raw, [_row(demo_raw, bam=str(bam))]),
        existing_study,
        IndexMissingError,
        demo_raw,
    )
    assert str(bam) in message and "samtools index" in message and "field index" in message


def test_cram_without_reference(demo_raw, tmp_path, existing_study):
    cram = tmp_path / "s.cram"
    cram.write_bytes(b"CRAM\x03\x00" + b"\x00" * 30)
    message = _refused(
        _sheet(tmp_path, demo_raw, [_row(demo_raw, bam=str(cram))]),
        existing_study,
        ReferenceMissingError,
        demo_raw,
    )
    assert str(cram) in message and "reference_fasta" in message and "--reference-fasta" in message


def test_truncated_bgzf_vcf(demo_raw, tmp_path, existing_study):
    vcf = tmp_path / "cut.vcf.gz"
    data = (demo_raw / "vcfs" / "P01_D-7.vcf.gz").read_bytes()
    vcf.write_bytes(data[:-28])
    message = _refused(
        _sheet(tmp_path, demo_raw, [_row(demo_raw, vcf=str(vcf))]),
        existing_study,
        TruncatedFileError,
        demo_raw,
    )
    assert str(vcf) in message and "BGZF" in message and "truncated" in message


def test_vcf_with_ambiguous_tumour_column(demo_raw, tmp_path, existing_study):
    vcf = tmp_path / "pair.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr17,length=83257441>\n"
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="depths">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS_A\tS_B\n"
        "chr17\t7670121\t.\tC\tT\t.\tPASS\t.\tAD\t90,10\t100,0\n"
    )
    message = _refused(
        _sheet(tmp_path, demo_raw, [_row(demo_raw, vcf=str(vcf))]),
        existing_study,
        TumourColumnError,
        demo_raw,
    )
    assert (
        f"{vcf}:4" in message and "#CHROM" in message and "S_A, S_B" in message and "tumour_column" in message
    )


def test_vcf_with_no_tumour_column(demo_raw, tmp_path, existing_study):
    vcf = tmp_path / "sites.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr17,length=83257441>\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr17\t7670121\t.\tC\tT\t.\tPASS\t.\n"
    )
    message = _refused(
        _sheet(tmp_path, demo_raw, [_row(demo_raw, vcf=str(vcf))]),
        existing_study,
        TumourColumnError,
        demo_raw,
    )
    assert str(vcf) in message and "no sample" in message


def test_sheet_row_with_missing_file(demo_raw, tmp_path, existing_study):
    rows = [_row(demo_raw), _row(demo_raw, "P01_D42", vcf="vcfs/absent.vcf.gz")]
    sheet = _sheet(tmp_path, demo_raw, rows)
    message = _refused(sheet, existing_study, SampleSheetError, demo_raw)
    assert f"{sheet}:3" in message and "field vcf" in message and "absent.vcf.gz" in message
    assert "relative to the sample sheet" in message


def test_sheet_row_with_unknown_patient(demo_raw, tmp_path, existing_study):
    sheet = _sheet(tmp_path, demo_raw, [_row(demo_raw, patient="P99")])
    message = _refused(sheet, existing_study, SampleSheetError, demo_raw)
    assert f"{sheet}:2" in message and "field patient_id" in message and "'P99'" in message
    assert "patients.tsv" in message


def test_duplicate_sample_ids(demo_raw, tmp_path, existing_study):
    sheet = _sheet(tmp_path, demo_raw, [_row(demo_raw), _row(demo_raw, "P01_D42"), _row(demo_raw)])
    message = _refused(sheet, existing_study, SampleSheetError, demo_raw)
    assert f"{sheet}:4" in message and "duplicate sample id 'P01_D-7' (first on line 2)" in message


def test_several_sheet_problems_reported_together(demo_raw, tmp_path):
    sheet = _sheet(tmp_path, demo_raw, [_row(demo_raw, patient="P99"), _row(demo_raw)])
    with pytest.raises(SampleSheetError) as info:
        build_study(sheet, **_kwargs(demo_raw))
    assert "1 more problem" in str(info.value) and "duplicate" in str(info.value)


def test_bed_with_end_before_start(demo_raw, tmp_path, existing_study):
    bed = tmp_path / "bad.bed"
    bed.write_text("17\t39700000\t39700200\tERBB2_t1\n17\t39702200\t39702000\tERBB2_t2\n")
    message = _refused(
        _sheet(tmp_path, demo_raw, [_row(demo_raw)]), existing_study, InputError, demo_raw, panel_bed=bed
    )
    assert f"{bed}:2" in message and "chromEnd" in message and "end >= start" in message


def test_bam_without_reference_refused(demo_raw, tmp_path, existing_study):
    sheet = _sheet(tmp_path, demo_raw, [_row(demo_raw)])
    message = _refused(sheet, existing_study, InputError, demo_raw, reference=None)
    assert f"{sheet}:2" in message and "build-reference" in message


def test_failure_in_last_sample_leaves_new_folder_absent(demo_raw, tmp_path):
    rows = [_row(demo_raw), _row(demo_raw, "P01_D42", bam=str(tmp_path / "nope.bam"))]
    out = tmp_path / "new_study"
    with pytest.raises(SampleSheetError):
        ingest(_sheet(tmp_path, demo_raw, rows), out, **_kwargs(demo_raw))
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".new_study")]


def test_empty_sheet_gives_empty_study(tmp_path):
    sheet = tmp_path / "sheet.tsv"
    sheet.write_text(HEADER)
    result = build_study(sheet)
    assert result.study.samples.empty and result.summary.empty
    assert isinstance(result.summary, pd.DataFrame)
