"""Demo raw files: small synthetic BAMs, VCFs, a panel BED and a sample sheet.

``python -m analysis.demo.raw --out data/demo_raw`` writes, deterministically
(seeded), in about a second and well under 10 MB:

* ``panel.bed`` - 8 genes x 6 targets of 200 bp at their GRCh38 loci, contigs
  named ``17`` (no ``chr``) while the BAMs say ``chr17``, so the naming
  reconciliation is exercised;
* ``normals/NORMAL_{1..4}.bam`` (+ ``.bai``) - diploid plasma of healthy donors,
  for the panel of normals;
* ``bams/<sample>.bam`` - plasma draws of two HER2+ patients, ERBB2 planted at
  tumour copy number 16 (P01) and 10 (P02) at several tumour fractions;
* ``vcfs/<sample>.vcf.gz`` - tumour/normal VCFs (VEP ``CSQ`` annotated) with a
  truncal TP53 mutation at VAF f/2 (so 2 x VAF recovers f), an emerging
  PIK3CA H1047R at P01's progression, and some REJECT-filtered noise;
* ``samples.tsv``, ``patients.tsv`` - the sample sheet and clinical table;
* ``truth.json`` - planted tumour fractions and ERBB2 copy numbers.

Every BAM also carries reads that coverage counting must ignore (duplicates,
MAPQ 3, secondary, QC-fail), each ~3%.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pysam

#: Panel genes: GRCh38 contig, first target start (0-based).  Targets are 200 bp, 2 kb apart.
PANEL_GENES = {
    "ERBB2": ("17", 39_700_000),
    "TP53": ("17", 7_670_000),
    "NF1": ("17", 31_100_000),
    "PIK3CA": ("3", 179_200_000),
    "KRAS": ("12", 25_210_000),
    "EGFR": ("7", 55_020_000),
    "MET": ("7", 116_670_000),
    "CCNE1": ("19", 29_810_000),
}
CONTIG_LENGTHS = {
    "chr3": 198_295_559,
    "chr7": 159_345_973,
    "chr12": 133_275_309,
    "chr17": 83_257_441,
    "chr19": 58_617_616,
}
TARGETS_PER_GENE = 6
TARGET_BP = 200
READ_BP = 100
READS_PER_TARGET = 220  # diploid expectation before capture efficiency

#: (sample, patient, day, timepoint, tumour fraction)
PLASMA_DRAWS = (
    ("P01_D-7", "P01", -7, "BASELINE", 0.20),
    ("P01_D42", "P01", 42, "ON_TREATMENT", 0.05),
    ("P01_D168", "P01", 168, "PROGRESSION", 0.40),
    ("P02_D-3", "P02", -3, "BASELINE", 0.10),
    ("P02_D63", "P02", 63, "ON_TREATMENT", 0.03),
    ("P02_D98", "P02", 98, "PROGRESSION", 0.25),
)
TUMOUR_ERBB2_CN = {"P01": 16.0, "P02": 10.0}
N_NORMALS = 4

#: (gene, 0-based offset into the gene's first target, ref, alt, protein, consequence)
TP53_R175H = ("TP53", 120, "C", "T", "p.Arg175His", "missense_variant")
PIK3CA_H1047R = ("PIK3CA", 60, "A", "G", "p.His1047Arg", "missense_variant")
CSQ_FORMAT = "Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSp|CANONICAL"


def panel_targets() -> list[tuple[str, int, int, str]]:
    """(contig without chr, start, end, name) of every target, in gene then position order."""
    targets = []
    for gene, (contig, first) in PANEL_GENES.items():
        for k in range(TARGETS_PER_GENE):
            start = first + k * 2000
            targets.append((contig, start, start + TARGET_BP, f"{gene}_t{k + 1}"))
    return targets


def observed_erbb2_cn(tumour_fraction: float, tumour_cn: float) -> float:
    """Plasma ERBB2 copies when a fraction f of cfDNA carries *tumour_cn* copies: 2(1 - f) + CN f."""
    return 2.0 * (1.0 - tumour_fraction) + tumour_cn * tumour_fraction


def _write_bam(
    path: Path, rng: np.random.Generator, efficiency: np.ndarray, cn_by_gene: dict[str, float]
) -> None:
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": name, "LN": length} for name, length in CONTIG_LENGTHS.items()],
        "RG": [{"ID": "rg1", "SM": path.stem, "PL": "ILLUMINA"}],
    }
    references = list(CONTIG_LENGTHS)
    reads = []
    for (contig, start, _end, name), eff in zip(panel_targets(), efficiency, strict=True):
        gene = name.split("_")[0]
        n = rng.poisson(READS_PER_TARGET * eff * cn_by_gene.get(gene, 2.0) / 2.0)
        positions = rng.integers(start - READ_BP + 20, start + TARGET_BP - 20, size=n)
        # ~3% each of reads that must not be counted: duplicate, low MAPQ, secondary, QC-fail.
        kinds = rng.choice(5, size=n, p=[0.88, 0.03, 0.03, 0.03, 0.03])
        tid = references.index(f"chr{contig}")
        for pos, kind in zip(positions, kinds, strict=True):
            flag = {0: 0, 1: 0x400, 2: 0, 3: 0x100, 4: 0x200}[int(kind)] | (0x10 if rng.random() < 0.5 else 0)
            reads.append((tid, int(pos), flag, 3 if kind == 2 else 60))
    reads.sort()
    sequence = ("ACGT" * (READ_BP // 4 + 1))[:READ_BP]
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for i, (tid, pos, flag, mapq) in enumerate(reads):
            segment = pysam.AlignedSegment(out.header)
            segment.query_name = f"r{i}"
            segment.query_sequence = sequence
            segment.flag = flag
            segment.reference_id = tid
            segment.reference_start = pos
            segment.mapping_quality = mapq
            segment.cigarstring = f"{READ_BP}M"
            segment.set_tag("RG", "rg1")
            out.write(segment)
    pysam.index(str(path))


def _write_vcf(
    path: Path,
    sample_id: str,
    rng: np.random.Generator,
    tumour_fraction: float,
    variants: list[tuple[tuple, float]],
) -> None:
    header = pysam.VariantHeader()
    for name, length in CONTIG_LENGTHS.items():
        header.contigs.add(name, length=length)
    header.add_meta("tumor_sample", sample_id)
    header.add_meta("normal_sample", "NORMAL")
    header.filters.add("REJECT", None, None, "Rejected as a confident somatic mutation")
    header.info.add("CSQ", ".", "String", f"Consequence annotations from Ensembl VEP. Format: {CSQ_FORMAT}")
    header.formats.add("GT", 1, "String", "Genotype")
    header.formats.add("AD", "R", "Integer", "Allelic depths for the ref and alt alleles")
    header.formats.add("DP", 1, "Integer", "Read depth")
    header.add_sample("NORMAL")
    header.add_sample(sample_id)
    records = []
    for (gene, offset, ref, alt, protein, consequence), vaf in variants:
        contig, first = PANEL_GENES[gene]
        depth = int(rng.integers(800, 1200))
        alt_n = int(rng.binomial(depth, vaf))
        records.append(
            (f"chr{contig}", first + offset + 1, ref, alt, gene, protein, consequence, depth, alt_n, "PASS")
        )
    for k in range(3):  # filtered noise the reader must drop by default
        contig, first = PANEL_GENES["KRAS"]
        records.append(
            (
                f"chr{contig}",
                first + 30 + 40 * k + 1,
                "G",
                "A",
                "KRAS",
                "",
                "synonymous_variant",
                900,
                4,
                "REJECT",
            )
        )
    records.sort(key=lambda r: (list(CONTIG_LENGTHS).index(r[0]), r[1]))
    plain = path.with_suffix("")
    with pysam.VariantFile(str(plain), "w", header=header) as out:
        for contig, pos, ref, alt, gene, protein, consequence, depth, alt_n, filt in records:
            record = out.new_record(contig=contig, start=pos - 1, alleles=(ref, alt))
            record.filter.add(filt)
            record.info["CSQ"] = (
                f"{alt}|{consequence}|MODERATE|{gene}|ENST_{gene}_alt|ENSP_{gene}_alt:p.Xaa1Xaa|",
                f"{alt}|{consequence}|MODERATE|{gene}|ENST_{gene}|ENSP_{gene}:{protein}|YES",
            )
            record.samples["NORMAL"]["GT"] = (0, 0)
            record.samples["NORMAL"]["AD"] = (depth, 0)
            record.samples["NORMAL"]["DP"] = depth
            record.samples[sample_id]["GT"] = (0, 1)
            record.samples[sample_id]["AD"] = (depth - alt_n, alt_n)
            record.samples[sample_id]["DP"] = depth
            out.write(record)
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()


def write_demo_raw(out: str | Path, seed: int = 20190301) -> dict:
    """Write the demo raw files into *out* (created); return the truth dictionary (also ``truth.json``)."""
    out = Path(out)
    for sub in ("bams", "normals", "vcfs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    efficiency = rng.lognormal(0.0, 0.35, size=len(panel_targets()))  # per-target capture bias, shared by all
    with open(out / "panel.bed", "w") as bed:
        bed.write('track name=demo_panel description="synthetic 8-gene panel, GRCh38"\n')
        for contig, start, end, name in panel_targets():
            bed.write(f"{contig}\t{start}\t{end}\t{name}\n")
    for k in range(1, N_NORMALS + 1):
        _write_bam(out / "normals" / f"NORMAL_{k}.bam", rng, efficiency, {})
    truth: dict = {"samples": {}, "tumour_erbb2_cn": TUMOUR_ERBB2_CN}
    sheet = ["sample_id\tpatient_id\tsample_type\tcollection_day\ttimepoint\tbam\tvcf"]
    for sample_id, patient_id, day, timepoint, f in PLASMA_DRAWS:
        cn_obs = observed_erbb2_cn(f, TUMOUR_ERBB2_CN[patient_id])
        _write_bam(out / "bams" / f"{sample_id}.bam", rng, efficiency, {"ERBB2": cn_obs})
        variants = [(TP53_R175H, f / 2.0)]
        if patient_id == "P01" and timepoint == "PROGRESSION":
            variants.append((PIK3CA_H1047R, f / 4.0))
        _write_vcf(out / "vcfs" / f"{sample_id}.vcf.gz", sample_id, rng, f, variants)
        truth["samples"][sample_id] = {
            "patient_id": patient_id,
            "tumour_fraction": f,
            "erbb2_cn_observed": cn_obs,
        }
        sheet.append(
            f"{sample_id}\t{patient_id}\tplasma\t{day}\t{timepoint}\tbams/{sample_id}.bam\t"
            f"vcfs/{sample_id}.vcf.gz"
        )
    (out / "samples.tsv").write_text("\n".join(sheet) + "\n")
    (out / "patients.tsv").write_text(
        "PATIENT_ID\tHER2_STATUS\tHER2_IHC\tHER2_FISH_RATIO\tPFS_MONTHS\tPFS_STATUS\tOS_MONTHS\tOS_STATUS\n"
        "P01\tPOSITIVE\t3+\t4.1\t5.5\t1:PROGRESSION\t13.2\t1:DECEASED\n"
        "P02\tPOSITIVE\t2+\t2.6\t3.2\t1:PROGRESSION\t9.8\t0:LIVING\n"
    )
    (out / "truth.json").write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n")
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.demo.raw", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="data/demo_raw", help="output folder (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=20190301, help="random seed (default: %(default)s)")
    args = parser.parse_args(argv)
    write_demo_raw(args.out, args.seed)
    print(
        f"demo raw files written to {args.out}; next:\n"
        f"  python -m analysis build-reference --bed {args.out}/panel.bed --out {args.out}/reference.tsv "
        f"{args.out}/normals/*.bam\n"
        f"  python -m analysis ingest --sheet {args.out}/samples.tsv --clinical {args.out}/patients.tsv "
        f"--bed {args.out}/panel.bed --reference {args.out}/reference.tsv --out data/demo_ingested"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
