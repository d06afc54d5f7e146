"""Scientific thresholds, each with its unit and source (design.md section 3).

These are defaults: every one is a user-changeable parameter, carried in
:class:`AnalysisParameters` so that the dashboard can show them, put them in
the URL and key its cache on them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

#: Days in a month, for PFS/OS in months.
DAYS_PER_MONTH = 30.4375

#: Plasma ERBB2 absolute copy number at or above which a plasma sample is
#: called amplified (copies).  Observed plasma CN threshold of HERACLES-A;
#: Wang H et al., Eur J Cancer 2018 used > 2.22.
PLASMA_AMPLIFICATION_CN = 2.4

#: Tissue NGS ERBB2 amplification cutoff (copies), as in SCRUM-Japan.
TISSUE_AMPLIFICATION_CN = 4.0

#: Gene deletion (NF1, PTEN loss) when a sample has no discrete call: observed absolute copy number
#: at or below this (copies); a discrete call of -2 always counts.  Plasma dilution hides most
#: deletions, so discrete calls from the caller are preferred (Wang et al., Gut 2019 called NF1 loss
#: by mutation or deletion).
GENE_DELETION_CN = 1.0

#: Shallow copy-number loss (alteration type ``cn_loss``): observed CN at or below this (copies),
#: or a discrete call of -1 or less.
GENE_LOSS_CN = 1.5

#: Pathology HER2 positivity: IHC 3+, or IHC 2+ with ERBB2/CEP17 FISH ratio >= this.
FISH_RATIO_POSITIVE = 2.0

#: Tumour fractions below this are "not evaluable" for purity-adjusted copy number.
MIN_TUMOUR_FRACTION = 0.02

#: Discrete copy-number calls from gene-level log2 ratios (log2 units): <= -1.1 deep deletion (-2),
#: <= -0.25 loss (-1), >= 0.2 gain (1), >= 0.7 amplification (2).  CNVkit ``call -m threshold``
#: defaults (Talevich et al., PLoS Comput Biol 2016; cnvkit.readthedocs.io "call").
CNA_LOG2_THRESHOLDS = (-1.1, -0.25, 0.2, 0.7)

#: Coverage read counting (BAM/CRAM -> copy number): reads with mapping quality below this (Phred)
#: are not counted; 20 is the usual "uniquely placed" cut-off (CNVkit coverage uses 0 by default,
#: but multi-mapped reads blur focal amplicons such as ERBB2/GRB7).
COVERAGE_MIN_MAPQ = 20
#: SAM flags whose reads are not counted: unmapped 0x4, secondary 0x100, QC-fail 0x200,
#: duplicate 0x400, supplementary 0x800 (each molecule counted once; samtools' default is 0x704).
COVERAGE_EXCLUDE_FLAGS = 0xF04
#: Panel targets whose panel-of-normals depth is below this fraction of the median target are
#: left out of copy-number estimates (too few reads to give a stable ratio), as CNVkit does (fraction).
COVERAGE_MIN_REFERENCE_DEPTH = 0.1

#: Genes typical of clonal haematopoiesis, left out of the tumour-fraction estimate.
CHIP_GENES = ("DNMT3A", "TET2", "ASXL1", "PPM1D", "JAK2", "SF3B1", "SRSF2", "CBL", "GNB1", "GNAS")

#: Likely germline: VAF in [low, high] (heterozygous) or >= homozygous, unless a known hotspot.
GERMLINE_HET_VAF = (0.4, 0.6)
GERMLINE_HOM_VAF = 0.9

#: Implausible allele fractions (``vaf_flag``, analysis/vaf_checks.py).  A VAF above this
#: (fraction) outside a germline context needs a tumour fraction near 100% with loss of the
#: wild-type allele: for ctDNA, where most cell-free DNA comes from blood cells, that is not
#: credible, and even tissue would need > 95% purity; the usual causes are a homozygous germline
#: variant or swapped read-count columns.
IMPLAUSIBLE_VAF = 0.95
#: Swapped ref/alt counts: alt / (ref + alt) differs from the caller's own VAF/AF column by more
#: than the first value but matches 1 - AF within the second (fractions).
SWAP_MIN_DISAGREEMENT = 0.2
SWAP_MATCH_TOLERANCE = 0.05
#: Read counts inconsistent with the caller's depth: t_ref_count + t_alt_count above t_depth by more
#: than this fraction of t_depth and by at least this many reads (fewer reads than t_depth are
#: normal: other alleles, reads filtered for the allele counts).
DEPTH_EXCESS_FRACTION = 0.10
DEPTH_EXCESS_MIN_READS = 5

#: Baseline draw: last plasma draw in this window (days from day 0).
BASELINE_WINDOW_DAYS = (-28, 3)

#: Progression draw: nearest draw to radiological progression in this window (days from progression).
PROGRESSION_WINDOW_DAYS = (-14, 28)

#: Pairing window of a plasma draw or a CEA value with an imaging assessment (+/- days).
PAIRING_WINDOW_DAYS = 14

#: RECIST 1.1 thresholds on the sum of target-lesion diameters.
RECIST_PR_CHANGE = -0.30      # fraction change from baseline
RECIST_PD_CHANGE = 0.20       # fraction change from nadir
RECIST_PD_ABSOLUTE_MM = 5.0   # mm increase from nadir

#: Innate resistance: progression at first evaluation or PFS below this (months).
INNATE_PFS_MONTHS = 3.0

#: Expanding alteration: a mutation present at baseline whose VAF at progression is at least this
#: fold *and* at least this much (fraction; 0.005 = 0.5 percentage points) above its baseline VAF
#: (design.md section 3).  An alteration absent at baseline is "new at progression" instead.
EXPANDING_VAF_FOLD = 2.0
EXPANDING_VAF_DELTA = 0.005

#: Lead time: HER2 CN rise of at least max(absolute, relative x (nadir - 2)) copies over nadir.
LEAD_RISE_ABSOLUTE_CN = 0.5
LEAD_RISE_RELATIVE = 0.5

#: Early HER2 decline: excess copies over 2 at the first on-treatment draw at most this fraction of baseline's.
EARLY_DECLINE_FRACTION = 0.5

#: Confidence level of every interval.
CONFIDENCE_LEVEL = 0.95

#: Survival: groups with fewer patients than this are reported as "too small" and left out of
#: the log-rank test and Cox model (a Kaplan-Meier curve of one patient has no interval).
MIN_SURVIVAL_GROUP_SIZE = 2

#: Concordance: plasma tumour-fraction strata (fraction upper bounds) for the tissue-informed
#: variant detection rate: < 1%, 1-5%, 5-10%, >= 10%.
TUMOUR_FRACTION_STRATA = (0.01, 0.05, 0.10)

#: Known somatic hotspots (gene, protein change) never treated as likely germline however high
#: their VAF.  Recurrent hotspots of cancerhotspots.org (Chang MT et al., Cancer Discov 2018) in
#: genes of the panel that matter here, plus the ERBB2 resistance hotspots of design.md.
SOMATIC_HOTSPOTS = (
    ("ERBB2", "S310F"), ("ERBB2", "S310Y"), ("ERBB2", "L755S"), ("ERBB2", "V777L"), ("ERBB2", "V842I"),
    ("PIK3CA", "E542K"), ("PIK3CA", "E545K"), ("PIK3CA", "H1047R"), ("PIK3CA", "H1047L"),
    ("KRAS", "G12D"), ("KRAS", "G12V"), ("KRAS", "G12C"), ("KRAS", "G13D"), ("KRAS", "Q61H"),
    ("NRAS", "Q61K"), ("NRAS", "Q61R"), ("BRAF", "V600E"),
    ("TP53", "R175H"), ("TP53", "R248Q"), ("TP53", "R248W"), ("TP53", "R273H"), ("TP53", "R273C"),
    ("TP53", "R282W"), ("TP53", "Y220C"), ("TP53", "G245S"),
)

#: Which variants count as mutations ("protein-changing") is decided in one place for every
#: analysis: :func:`analysis.alterations.is_protein_changing`.


@dataclass(frozen=True)
class AnalysisParameters:
    """The parameters in force for one analysis run.  Hashable; used in cache keys and URLs."""

    plasma_amplification_cn: float = PLASMA_AMPLIFICATION_CN
    tissue_amplification_cn: float = TISSUE_AMPLIFICATION_CN
    purity_adjustment: bool = True
    min_tumour_fraction: float = MIN_TUMOUR_FRACTION
    innate_pfs_months: float = INNATE_PFS_MONTHS
    baseline_window_days: tuple[int, int] = BASELINE_WINDOW_DAYS
    progression_window_days: tuple[int, int] = PROGRESSION_WINDOW_DAYS
    pairing_window_days: int = PAIRING_WINDOW_DAYS
    knowledge_base: str = "default"

    def as_dict(self) -> dict:
        return asdict(self)

    def with_changes(self, **changes) -> AnalysisParameters:
        return replace(self, **changes)
