"""Generate the demo study: a synthetic cohort with the design of Wang et al. (Gut 2019).

At the default size (78 patients) the counts are exactly those of design.md section 1:
46 HER2-positive / 32 HER2-negative patients with paired baseline plasma and tissue;
24 HER2-positive patients followed on trastuzumab with 97 plasma draws in all; 17 of them
progress (7 innate, 10 acquired resistance), 13 of the 17 with at least one known resistance
mechanism.  Other sizes keep the same proportions (:func:`design_counts`).

The biology is a small mixing model, so that the analyses have something true to find:

* plasma copy number of a gene = 2 (1 - f) + T f, with f the plasma tumour fraction and T the
  tumour's copy number of the gene (tissue: the same with purity p in place of f);
* f tracks tumour burden: f = f0 (size / baseline size)^2, so ERBB2 copy number falls on
  response and rises at progression; serum CEA follows burden only loosely, and a third of
  patients do not secrete it at all;
* every tumour has one truncal TP53 mutation at VAF f / 2 (so 2 x the highest somatic VAF
  recovers f), subclonal passengers below it, clonal-haematopoiesis (CHIP) variants in plasma
  only and heterozygous germline SNPs at VAF about 0.5 in plasma and tissue;
* innate resistance: tumour and f grow, plasma ERBB2 copy number at progression is above
  baseline; acquired resistance: an ERBB2-poorer clone takes over, copy number at progression
  is below baseline (below 2.4 copies in the HER2-loss patients); ctDNA rises one draw
  (about 6 weeks) before the scan that shows progression (``molecular_lead_draw_day`` in the
  truth), so the lead time of design.md section 3 has something to find.

Every random draw comes from one ``numpy.random.default_rng(seed)`` consumed in a fixed order,
so the same seed gives identical tables and truth.  Coordinates are GRCh37; those of hotspots
are the published ones, the rest (passengers, ERBB4 S774G, NF1 R1362*, TET2 stops) are
illustrative positions inside the gene and say so in the truth file.
"""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.panel import load_panel_genes
from analysis.params import (
    DAYS_PER_MONTH,
    PLASMA_AMPLIFICATION_CN,
    RECIST_PD_ABSOLUTE_MM,
    RECIST_PD_CHANGE,
    RECIST_PR_CHANGE,
    TISSUE_AMPLIFICATION_CN,
)
from analysis.study import Study, StudyMeta

GENERATOR_VERSION = "1.0.0"
STUDY_ID = "stad_her2_ctdna_demo"

#: The published design at n = 78 (design.md section 1); other sizes scale these.
DESIGN_PATIENTS = 78
_DESIGN = {
    "her2_positive": 46,
    "followed": 24,
    "serial_draws": 97,
    "progressions": 17,
    "innate": 7,
    "with_mechanism": 13,
    "innate_with_mechanism": 6,
}

#: Pathway identifiers used in the truth file (and by the resistance knowledge base).
PATHWAYS = ("PI3K", "HER_FAMILY", "MAPK", "RTK_BYPASS", "CELL_CYCLE", "HER2_LOSS")

#: Genes with a gene-level copy-number row in every sample.
CN_GENES = (
    "ERBB2", "ERBB3", "ERBB4", "EGFR", "MET", "FGFR1", "FGFR2", "KRAS", "NRAS", "BRAF",
    "MAP2K1", "NF1", "PIK3CA", "PTEN", "AKT1", "AKT2", "CCNE1", "CCND1", "CDK4", "CDK6",
    "CDK12", "MDM2", "MYC", "CDKN2A", "CDKN2B", "RB1", "TP53", "SMAD4", "APC", "CDH1",
    "ARID1A", "GATA4", "GATA6", "VEGFA", "IGF1R", "KIT", "PDGFRA", "KDR", "FGF19", "ZNF217",
)

#: (gene, protein change) -> (chromosome, GRCh37 position, ref, alt, classification, illustrative).
_CATALOGUE: dict[tuple[str, str], tuple[str, int, str, str, str, bool]] = {
    ("PIK3CA", "H1047R"): ("3", 178952085, "A", "G", "Missense_Mutation", False),
    ("PIK3CA", "E545K"): ("3", 178936091, "G", "A", "Missense_Mutation", False),
    ("PIK3CA", "E542K"): ("3", 178936082, "G", "A", "Missense_Mutation", False),
    ("ERBB2", "L755S"): ("17", 37880220, "T", "C", "Missense_Mutation", False),
    ("ERBB2", "S310F"): ("17", 37868208, "C", "T", "Missense_Mutation", False),
    ("ERBB2", "V842I"): ("17", 37881332, "G", "A", "Missense_Mutation", False),
    ("ERBB4", "S774G"): ("2", 212483943, "T", "C", "Missense_Mutation", True),
    ("NF1", "R1362*"): ("17", 29562645, "C", "T", "Nonsense_Mutation", True),
    ("KRAS", "G12D"): ("12", 25398284, "C", "T", "Missense_Mutation", False),
    ("KRAS", "G13D"): ("12", 25398281, "C", "T", "Missense_Mutation", False),
    ("TP53", "R175H"): ("17", 7578406, "C", "T", "Missense_Mutation", False),
    ("TP53", "R273H"): ("17", 7577120, "C", "T", "Missense_Mutation", False),
    ("TP53", "R248Q"): ("17", 7577538, "C", "T", "Missense_Mutation", False),
    ("TP53", "R248W"): ("17", 7577539, "G", "A", "Missense_Mutation", False),
    ("TP53", "R282W"): ("17", 7577094, "G", "A", "Missense_Mutation", False),
    ("TP53", "Y220C"): ("17", 7578190, "T", "C", "Missense_Mutation", False),
    ("TP53", "G245S"): ("17", 7577548, "C", "T", "Missense_Mutation", False),
    ("DNMT3A", "R882H"): ("2", 25457242, "C", "T", "Missense_Mutation", False),
    ("DNMT3A", "R882C"): ("2", 25457243, "G", "A", "Missense_Mutation", False),
    ("TET2", "Q1274*"): ("4", 106157014, "C", "T", "Nonsense_Mutation", True),
    ("TET2", "R1516*"): ("4", 106180860, "C", "T", "Nonsense_Mutation", True),
    ("KDR", "Q472H"): ("4", 55972974, "T", "A", "Missense_Mutation", False),
    ("FGFR4", "G388R"): ("5", 176520243, "G", "A", "Missense_Mutation", False),
    ("ERCC2", "K751Q"): ("19", 45854919, "T", "G", "Missense_Mutation", False),
    ("ATM", "D1853N"): ("11", 108175462, "G", "A", "Missense_Mutation", False),
    ("BRCA2", "N372H"): ("13", 32906729, "A", "C", "Missense_Mutation", False),
}
_TRUNCAL = tuple(k for k in _CATALOGUE if k[0] == "TP53")
_CHIP = (("DNMT3A", "R882H"), ("DNMT3A", "R882C"), ("TET2", "Q1274*"), ("TET2", "R1516*"))
_GERMLINE = (("KDR", "Q472H"), ("FGFR4", "G388R"), ("ERCC2", "K751Q"), ("ATM", "D1853N"), ("BRCA2", "N372H"))

#: Passenger genes (none is a resistance or CHIP gene) with illustrative GRCh37 spans.
_PASSENGER_SPANS: dict[str, tuple[str, int, int]] = {
    "ARID1A": ("1", 27022522, 27108601), "CDH1": ("16", 68771195, 68869444),
    "APC": ("5", 112043195, 112181936), "KMT2D": ("12", 49412758, 49449107),
    "KMT2C": ("7", 151832010, 152133090), "SMAD4": ("18", 48556583, 48611411),
    "RHOA": ("3", 49396579, 49449526), "FAT1": ("4", 187508937, 187647876),
    "ATM": ("11", 108093559, 108239826), "BRCA2": ("13", 32889611, 32973805),
    "CTNNB1": ("3", 41236401, 41301587), "FBXW7": ("4", 153242410, 153456185),
    "SMARCA4": ("19", 11071598, 11172958), "RNF43": ("17", 56431037, 56494943),
    "ZFHX3": ("16", 72816784, 73082274), "NOTCH1": ("9", 139388896, 139440238),
    "SOX9": ("17", 70117161, 70122561), "BCOR": ("X", 39910499, 40036582),
    "ARID2": ("12", 46123448, 46301823), "CIC": ("19", 42788817, 42799948),
    "PTPRD": ("9", 8314246, 10612723), "TGFBR2": ("3", 30647994, 30735634),
    "SPEN": ("1", 16174359, 16266955), "RB1": ("13", 48877883, 49056026),
    "ATR": ("3", 142168077, 142297668), "EP300": ("22", 41488614, 41576081),
    "CREBBP": ("16", 3775056, 3930121), "MTOR": ("1", 11166592, 11322564),
    "POLE": ("12", 133200348, 133263951), "MSH6": ("2", 48010221, 48034092),
    "PTCH1": ("9", 98205262, 98279339), "SETD2": ("3", 47057898, 47205457),
    "BAP1": ("3", 52435020, 52444121), "TSC2": ("16", 2097466, 2138716),
    "NOTCH3": ("19", 15270445, 15311792), "LRP1B": ("2", 140988992, 142889270),
}
_PASSENGER_GENES = tuple(sorted(_PASSENGER_SPANS))
_AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
_BASES = "ACGT"

#: Plasma and tissue calling limits of the simulated assay.
_PLASMA_MIN_ALT, _PLASMA_MIN_VAF = 5, 0.003
_TISSUE_MIN_ALT, _TISSUE_MIN_VAF = 5, 0.02
#: f = f0 (size / baseline size)^_BURDEN_EXPONENT.
_BURDEN_EXPONENT = 2.0
_MAX_FRACTION = 0.6
#: Acquired resistance: ctDNA rises before the scan shows progression.  At the last draw before the
#: progression draw the tumour fraction is at least this share of the progression draw's, so the
#: ERBB2 copy-number rise (design.md lead time) comes one draw (about 6 weeks) before radiology.
_LEAD_FRACTION_OF_PROGRESSION = 1.0
_CN_NOISE_SD = {"plasma": 0.015, "tissue": 0.05}  # log2 units


# --------------------------------------------------------------------------- design


def _round_half_up(value: float) -> int:
    return int(np.floor(value + 0.5))


def design_counts(n_patients: int = DESIGN_PATIENTS) -> dict[str, int]:
    """The cohort's counts at *n_patients*, in the proportions of the n = 78 design.

    Returns
    -------
    dict
        ``patients``, ``her2_positive``, ``her2_negative``, ``followed``, ``serial_draws``,
        ``progressions``, ``innate``, ``acquired``, ``censored``, ``with_mechanism``,
        ``innate_with_mechanism``, ``acquired_with_mechanism``.

    Raises
    ------
    ValueError
        *n_patients* is below 1.
    """
    if n_patients < 1:
        raise ValueError(f"n_patients must be at least 1, got {n_patients}")
    scale = n_patients / DESIGN_PATIENTS
    her2_positive = min(n_patients, _round_half_up(_DESIGN["her2_positive"] * scale))
    followed = min(her2_positive, _round_half_up(_DESIGN["followed"] * scale))
    draws = _round_half_up(_DESIGN["serial_draws"] * scale)
    # Each followed patient needs a baseline and at least one later draw.
    draws = max(draws, 2 * followed) if followed else 0
    progressions = min(followed, _round_half_up(_DESIGN["progressions"] * scale))
    innate = _round_half_up(progressions * _DESIGN["innate"] / _DESIGN["progressions"])
    acquired = progressions - innate
    with_mechanism = _round_half_up(progressions * _DESIGN["with_mechanism"] / _DESIGN["progressions"])
    innate_mech = min(innate, _round_half_up(innate * _DESIGN["innate_with_mechanism"] / _DESIGN["innate"]))
    acquired_mech = min(acquired, with_mechanism - innate_mech)
    innate_mech = with_mechanism - acquired_mech
    return {
        "patients": n_patients,
        "her2_positive": her2_positive,
        "her2_negative": n_patients - her2_positive,
        "followed": followed,
        "serial_draws": draws,
        "progressions": progressions,
        "innate": innate,
        "acquired": acquired,
        "censored": followed - progressions,
        "with_mechanism": with_mechanism,
        "innate_with_mechanism": innate_mech,
        "acquired_with_mechanism": acquired_mech,
    }


@dataclass(frozen=True)
class _Planted:
    """One planted resistance alteration of a progressor profile."""

    pathway: str
    gene: str
    alteration: str      # protein change, or "amplification" / "deep deletion" / "copy-number loss"
    kind: str            # mutation / amplification / deletion / cn_loss
    status: str          # baseline / new at progression
    at_progression: bool = True  # baseline alterations: still detectable at progression


@dataclass(frozen=True)
class _Profile:
    code: str
    resistance_class: str | None
    progression_visit: int | None
    planted: tuple[_Planted, ...] = ()


def _amp(pathway: str, gene: str, status: str) -> _Planted:
    return _Planted(pathway, gene, "amplification", "amplification", status)


def _mut(pathway: str, gene: str, change: str, status: str = "baseline",
         at_progression: bool = True) -> _Planted:
    return _Planted(pathway, gene, change, "mutation", status, at_progression)


# The 17 progressor profiles at n = 78.  Two-mechanism patients progress first (innate at the
# first scan, acquired at the third); PIK3CA is in 4 of 7 innate and none of the acquired;
# ERBB2/ERBB4 mutations in baseline plasma of 6 (I1 I4 I5 A5 A6 A7) and at progression in 5
# (I1 I4 I5 A1 A5).
_INNATE_WITH_MECHANISM = (
    _Profile("I1", "innate", 1, (_mut("PI3K", "PIK3CA", "H1047R"), _mut("HER_FAMILY", "ERBB2", "L755S"))),
    _Profile("I2", "innate", 1, (_mut("PI3K", "PIK3CA", "E545K"), _amp("RTK_BYPASS", "MET", "baseline"))),
    _Profile("I3", "innate", 2, (_mut("PI3K", "PIK3CA", "E542K"),)),
    _Profile("I4", "innate", 1, (_mut("PI3K", "PIK3CA", "H1047R"), _mut("HER_FAMILY", "ERBB2", "S310F"))),
    _Profile("I5", "innate", 2, (_mut("HER_FAMILY", "ERBB2", "V842I"),)),
    _Profile("I6", "innate", 2, (_amp("CELL_CYCLE", "CCNE1", "baseline"),)),
)
_INNATE_WITHOUT = (_Profile("I7", "innate", 2),)
_HER2_LOSS = _Planted("HER2_LOSS", "ERBB2", "copy-number loss", "cn_loss", "new at progression")
_NF1_DELETION = _Planted("MAPK", "NF1", "deep deletion", "deletion", "new at progression")
_ACQUIRED_WITH_MECHANISM = (
    _Profile("A1", "acquired", 5, (_mut("HER_FAMILY", "ERBB4", "S774G", "new at progression"),)),
    _Profile("A2", "acquired", 5, (_mut("MAPK", "NF1", "R1362*", "new at progression"),)),
    _Profile("A3", "acquired", 3, (_NF1_DELETION, _HER2_LOSS)),
    _Profile("A4", "acquired", 4, (_HER2_LOSS,)),
    _Profile("A5", "acquired", 4, (_mut("HER_FAMILY", "ERBB2", "V842I"),)),
    _Profile("A6", "acquired", 3, (_mut("HER_FAMILY", "ERBB2", "S310F", at_progression=False),
                                   _mut("MAPK", "KRAS", "G12D", "new at progression"))),
    _Profile("A7", "acquired", 3, (_mut("HER_FAMILY", "ERBB2", "L755S", at_progression=False),
                                   _amp("RTK_BYPASS", "EGFR", "new at progression"))),
)
_ACQUIRED_WITHOUT = (
    _Profile("A8", "acquired", 5), _Profile("A9", "acquired", 6), _Profile("A10", "acquired", 7),
)
_CENSORED = _Profile("C", None, None)

#: Baseline alterations of non-followed tumours (for plasma-tissue concordance per gene).
_DRIVERS = (
    ("mutation", "PIK3CA", "H1047R"), ("mutation", "PIK3CA", "E545K"), ("mutation", "KRAS", "G12D"),
    ("mutation", "KRAS", "G13D"), ("amplification", "KRAS", "amplification"),
    ("amplification", "MET", "amplification"), ("amplification", "EGFR", "amplification"),
    ("amplification", "CCNE1", "amplification"), ("amplification", "FGFR2", "amplification"),
    ("amplification", "CDK6", "amplification"),
)


def _assign_roles(counts: dict[str, int],
                  rng: np.random.Generator) -> list[tuple[str, _Profile | None, bool]]:
    """Per patient (in id order): HER2 status, followed profile (None if not followed), discordant flag."""
    n = counts["patients"]
    order = rng.permutation(n)
    n_pos, n_followed = counts["her2_positive"], counts["followed"]
    profiles: list[_Profile] = []
    for group, k in ((_INNATE_WITH_MECHANISM, counts["innate_with_mechanism"]),
                     (_INNATE_WITHOUT, counts["innate"] - counts["innate_with_mechanism"]),
                     (_ACQUIRED_WITH_MECHANISM, counts["acquired_with_mechanism"]),
                     (_ACQUIRED_WITHOUT, counts["acquired"] - counts["acquired_with_mechanism"])):
        profiles.extend(group[i % len(group)] for i in range(k))
    profiles.extend([_CENSORED] * counts["censored"])
    # Pathology-vs-NGS discordance: 2 of 46 HER2+ (not followed), 1 of 32 HER2-.
    n_disc_pos = min(n_pos - n_followed, _round_half_up(n_pos * 2 / 46))
    n_disc_neg = min(n - n_pos, _round_half_up((n - n_pos) * 1 / 32))
    roles: list[tuple[str, _Profile | None, bool]] = [("", None, False)] * n
    for rank, patient_index in enumerate(order):
        if rank < n_followed:
            roles[patient_index] = ("POSITIVE", profiles[rank], False)
        elif rank < n_pos:
            roles[patient_index] = ("POSITIVE", None, rank - n_followed < n_disc_pos)
        else:
            roles[patient_index] = ("NEGATIVE", None, rank - n_pos < n_disc_neg)
    return roles


# --------------------------------------------------------------------------- clinical course


@dataclass
class _Course:
    """Imaging and plasma schedule of one followed patient (days from day 0)."""

    profile: _Profile
    scan_days: list[int]
    sizes: list[float]
    draw_days: list[int]
    fixed_draws: set[int] = field(default_factory=set)  # indices that may not be trimmed
    cea_secretor: bool | None = None

    @property
    def progression_day(self) -> int | None:
        return self.scan_days[-1] if self.profile.progression_visit else None

    def size_at(self, day: float) -> float:
        return float(np.interp(day, self.scan_days, self.sizes))


def _recist(sizes: list[float]) -> list[str]:
    """RECIST 1.1 calls from target-lesion sums; the first entry is the baseline scan ('')."""
    calls, nadir = [""], sizes[0]
    for size in sizes[1:]:
        if size - nadir >= RECIST_PD_ABSOLUTE_MM and size >= nadir * (1 + RECIST_PD_CHANGE):
            calls.append("PD")
        elif size <= sizes[0] * (1 + RECIST_PR_CHANGE):
            calls.append("PR")
        else:
            calls.append("SD")
        nadir = min(nadir, size)
    return calls


def _course(profile: _Profile, rng: np.random.Generator) -> _Course:
    visits = profile.progression_visit or int(rng.integers(4, 9))
    intervals = 42 + rng.integers(-4, 5, size=visits)
    if profile.resistance_class == "innate" and visits == 2:
        # Innate by definition: PFS < 3 months (91.3 days).
        intervals[1] = min(int(intervals[1]), 88 - int(intervals[0]))
    visit_days = np.cumsum(intervals).tolist()
    baseline_size = float(rng.uniform(40, 160))
    sizes = [baseline_size]
    if profile.resistance_class == "innate":
        if visits == 1:
            sizes.append(baseline_size * rng.uniform(1.25, 1.6))
        else:
            sizes.append(baseline_size * rng.uniform(0.92, 1.08))
            nadir = min(sizes)
            sizes.append(max(nadir * rng.uniform(1.25, 1.5), nadir + 6.0))
    else:
        responding = visits - 1 if profile.progression_visit else visits
        nadir_ratio = rng.uniform(0.35, 0.75)
        nadir_visit = min(responding, int(rng.integers(1, 4)))
        for k in range(1, responding + 1):
            if k <= nadir_visit:
                sizes.append(baseline_size * nadir_ratio ** (k / nadir_visit))
            else:
                sizes.append(baseline_size * nadir_ratio * rng.uniform(1.0, 1.1))
        if profile.progression_visit:
            nadir = min(sizes)
            sizes.append(max(nadir * rng.uniform(1.25, 1.6), nadir + 6.0))
    baseline_scan = -int(rng.integers(1, 22))
    scan_days = [baseline_scan, *visit_days]
    draw_days = [-int(rng.integers(0, 15))]
    for k, day in enumerate(visit_days, start=1):
        is_last = k == len(visit_days)
        if is_last and profile.progression_visit:
            draw_days.append(day + int(rng.integers(0, 8)))
        else:
            draw_days.append(day - int(rng.integers(0, 4)))
    n = len(draw_days)
    # Baseline, first on-treatment draw (early decline) and the last draw are always kept.
    fixed = {0, 1, n - 1}
    return _Course(profile, scan_days, [round(s, 1) for s in sizes], draw_days, fixed)


def _fit_draw_total(courses: list[_Course], target: int, rng: np.random.Generator) -> None:
    """Trim or add plasma draws, deterministically, until the followed draws total *target*."""
    total = sum(len(c.draw_days) for c in courses)
    if total > target:
        heap = [(-len(c.draw_days), i) for i, c in enumerate(courses)
                if len(c.draw_days) > len(c.fixed_draws)]
        heapq.heapify(heap)
        while total > target and heap:
            _, i = heapq.heappop(heap)
            course = courses[i]
            optional = [j for j in range(len(course.draw_days)) if j not in course.fixed_draws]
            drop = optional[len(optional) // 2]
            del course.draw_days[drop]
            n = len(course.draw_days)
            course.fixed_draws = {0, 1, n - 1}
            total -= 1
            if n > len(course.fixed_draws):
                heapq.heappush(heap, (-n, i))
    while total < target:
        # Extend follow-up of censored patients (one more scan and draw), fewest draws first;
        # without censored patients add a draw midway through the longest on-treatment gap.
        censored = [i for i, c in enumerate(courses) if c.profile.progression_visit is None]
        if censored:
            i = min(censored, key=lambda j: (len(courses[j].draw_days), j))
            course = courses[i]
            day = course.scan_days[-1] + 42 + int(rng.integers(-4, 5))
            nadir = min(course.sizes)
            course.scan_days.append(day)
            course.sizes.append(round(nadir * rng.uniform(1.0, 1.1), 1))
            course.draw_days.append(day - int(rng.integers(0, 4)))
        else:
            best = None
            for i, course in enumerate(courses):
                days = course.draw_days
                for j in range(1, len(days) - 1 if course.profile.progression_visit else len(days)):
                    gap = days[j] - days[j - 1]
                    if gap >= 14 and (best is None or gap > best[0]):
                        best = (gap, i, j)
            if best is None:
                raise ValueError(f"cannot place {target} plasma draws on {len(courses)} followed patients")
            _, i, j = best
            days = courses[i].draw_days
            days.insert(j, (days[j - 1] + days[j]) // 2)
        total += 1
    for course in courses:
        course.fixed_draws = {0, 1, len(course.draw_days) - 1}


# --------------------------------------------------------------------------- molecular data


class _Rows:
    """Column lists of one table, appended row by row and turned into a DataFrame once."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns: dict[str, list] = {c: [] for c in columns}

    def add(self, **values) -> None:
        for name, column in self.columns.items():
            column.append(values.get(name))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns)


_VARIANT_SPEC_COLUMNS = ("sample_id", "gene", "chromosome", "start_position", "reference_allele",
                         "tumor_seq_allele", "variant_classification", "protein_change", "depth",
                         "expected_vaf", "is_plasma", "origin", "must_detect")


@dataclass
class _Builder:
    """Accumulates all tables and the truth while patients are simulated in order."""

    rng: np.random.Generator
    patients: _Rows = field(default_factory=lambda: _Rows((
        "patient_id", "her2_status", "her2_ihc", "her2_fish_ratio", "pfs_months", "pfs_event",
        "os_months", "os_event", "age", "sex", "lauren", "ecog")))
    samples: _Rows = field(default_factory=lambda: _Rows((
        "sample_id", "patient_id", "sample_type", "collection_day", "timepoint")))
    variant_specs: _Rows = field(default_factory=lambda: _Rows(_VARIANT_SPEC_COLUMNS))
    timeline: _Rows = field(default_factory=lambda: _Rows((
        "patient_id", "start_day", "stop_day", "event_type", "agent", "test", "result", "unit",
        "target_lesion_sum_mm", "recist_response", "status", "sample_id")))
    cn_samples: list[tuple[str, str, float]] = field(default_factory=list)  # sample, type, f or purity
    cn_true: list[tuple[int, str, float]] = field(default_factory=list)     # noise still to add
    cn_exact: list[tuple[int, str, float, int | None]] = field(default_factory=list)  # final value
    truth_patients: dict[str, dict] = field(default_factory=dict)

    # ---- variants

    def _variant(self, sample_id: str, key: tuple[str, str], expected_vaf: float, is_plasma: bool,
                 origin: str, depth: int, must_detect: bool = False) -> None:
        chrom, pos, ref, alt, classification, _ = _CATALOGUE[key]
        self.variant_specs.add(sample_id=sample_id, gene=key[0], chromosome=chrom, start_position=pos,
                               reference_allele=ref, tumor_seq_allele=alt,
                               variant_classification=classification, protein_change=key[1],
                               depth=depth, expected_vaf=expected_vaf, is_plasma=is_plasma,
                               origin=origin, must_detect=must_detect)

    def _passengers(self) -> list[dict]:
        rng = self.rng
        out = []
        for _ in range(1 + int(rng.poisson(2.5))):
            gene = _PASSENGER_GENES[int(rng.integers(len(_PASSENGER_GENES)))]
            chrom, lo, hi = _PASSENGER_SPANS[gene]
            ref_index = int(rng.integers(4))
            alt_base = _BASES[(ref_index + 1 + int(rng.integers(3))) % 4]
            kind = rng.random()
            aa_from = _AMINO_ACIDS[int(rng.integers(20))]
            codon = int(rng.integers(20, 1500))
            if kind < 0.75:
                classification = "Missense_Mutation"
                aa_to = _AMINO_ACIDS[(_AMINO_ACIDS.index(aa_from) + 1 + int(rng.integers(19))) % 20]
            elif kind < 0.87:
                classification, aa_to = "Nonsense_Mutation", "*"
            else:
                classification, aa_to = "Silent", aa_from
            ccf_tissue = rng.uniform(0.3, 0.85)
            where = rng.random()
            ccf_plasma = min(0.85, ccf_tissue * rng.uniform(0.8, 1.2))
            if where < 0.1:
                ccf_plasma = 0.0          # tissue-only (spatial heterogeneity)
            elif where < 0.2:
                ccf_tissue, ccf_plasma = 0.0, rng.uniform(0.3, 0.7)   # shed by an unsampled metastasis
            out.append({"gene": gene, "chromosome": chrom, "start_position": int(rng.integers(lo, hi)),
                        "reference_allele": _BASES[ref_index], "tumor_seq_allele": alt_base,
                        "variant_classification": classification,
                        "protein_change": f"{aa_from}{codon}{aa_to}",
                        "ccf_tissue": ccf_tissue, "ccf_plasma": ccf_plasma})
        return out

    def _add_passenger_rows(self, passengers: list[dict], sample_id: str, fraction: float, is_plasma: bool,
                            depth: int) -> None:
        for p in passengers:
            ccf = p["ccf_plasma"] if is_plasma else p["ccf_tissue"]
            if ccf <= 0:
                continue
            self.variant_specs.add(sample_id=sample_id, depth=depth, expected_vaf=fraction / 2 * ccf,
                                   is_plasma=is_plasma, origin="passenger", must_detect=False,
                                   **{k: v for k, v in p.items() if not k.startswith("ccf")})

    def _depth(self, is_plasma: bool) -> int:
        return int(self.rng.integers(1500, 6001)) if is_plasma else int(self.rng.integers(300, 901))

    # ---- one patient

    def add_patient(self, index: int, patient_id: str, her2_status: str, profile: _Profile | None,
                    discordant: bool, course: _Course | None) -> None:
        rng = self.rng
        followed = profile is not None
        # Tumour: purity, ERBB2 copy number, pathology.
        purity = float(rng.uniform(0.3, 0.75))
        if her2_status == "POSITIVE":
            tumour_erbb2 = float(np.exp(rng.uniform(np.log(6), np.log(40))))
            if discordant:      # IHC 2+/FISH just >= 2 but tissue NGS below the 4.0-copy cutoff
                tumour_erbb2 = float(rng.uniform(3.0, 4.0))
            else:
                tumour_erbb2 = max(tumour_erbb2, 2 + (TISSUE_AMPLIFICATION_CN + 0.4 - 2) / purity)
        else:
            tumour_erbb2 = float(rng.uniform(2.0, 2.5))
            if discordant:      # pathology negative, tissue NGS amplified (heterogeneity)
                purity = float(rng.uniform(0.5, 0.75))
                tumour_erbb2 = float(rng.uniform(10, 14))
        ihc, fish = self._pathology(her2_status, discordant, tumour_erbb2)
        # Baseline plasma tumour fraction.
        if profile is None:
            low, high = 0.006, 0.5
        elif profile.resistance_class == "innate":
            low, high = 0.06, 0.35
        elif profile.resistance_class == "acquired":
            low, high = 0.08, 0.4
        else:
            low, high = 0.06, 0.35
        f0 = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        if profile is not None and profile.resistance_class == "acquired":
            # Room for a progression value below baseline yet (outside HER2 loss) above 2.4 copies.
            tumour_erbb2 = max(tumour_erbb2, 2 + 1.2 / f0)
        truncal = _TRUNCAL[int(rng.integers(len(_TRUNCAL)))]
        passengers = self._passengers()
        chip = _CHIP[int(rng.integers(len(_CHIP)))] if rng.random() < 0.15 else None
        chip_vaf = float(rng.uniform(0.005, 0.03))
        germline = _GERMLINE[int(rng.integers(len(_GERMLINE)))] if rng.random() < 0.2 else None
        driver = _DRIVERS[int(rng.integers(len(_DRIVERS)))] if (not followed and rng.random() < 0.3) else None
        # Tumour copy number of an amplified gene: high enough for tissue NGS to call it (>= 4.0).
        driver_cn = max(float(rng.uniform(8, 20)), 2 + 2.4 / purity)

        # Plasma draws: (sample_id, day, timepoint, f, tumour ERBB2 CN).
        draws = self._draws(patient_id, profile, course, f0, tumour_erbb2)
        tissue_id = f"{patient_id}-T"
        tissue_day = -int(rng.integers(7, 61))

        # Samples table (tissue first: it is collected before the baseline draw).
        self.samples.add(sample_id=tissue_id, patient_id=patient_id, sample_type="tissue",
                         collection_day=float(tissue_day), timepoint="BASELINE")
        for d in draws:
            self.samples.add(sample_id=d["sample_id"], patient_id=patient_id, sample_type="plasma",
                             collection_day=float(d["day"]), timepoint=d["timepoint"])

        # Planted resistance alterations: copy-number targets per gene at progression.
        planted = profile.planted if profile else ()
        amplified_gene_cn = {p.gene: max(float(rng.uniform(8, 20)), 2 + 2.4 / purity)
                             for p in planted if p.kind == "amplification"}

        # Tissue rows.
        tissue_row = len(self.cn_samples)
        self.cn_samples.append((tissue_id, "tissue", purity))
        tissue_cn = (2 * (1 - purity) + tumour_erbb2 * purity) * 2 ** rng.normal(0, _CN_NOISE_SD["tissue"])
        self.cn_exact.append((tissue_row, "ERBB2", float(tissue_cn), None))
        depth = self._depth(False)
        self._variant(tissue_id, truncal, purity / 2, False, "truncal", depth)
        self._add_passenger_rows(passengers, tissue_id, purity, False, self._depth(False))
        if germline:
            self._variant(tissue_id, germline, float(rng.uniform(0.47, 0.53)), False, "germline",
                          self._depth(False))
        for p in planted:
            if p.status != "baseline":
                continue
            if p.kind == "mutation":
                self._variant(tissue_id, (p.gene, p.alteration), purity / 2 * 0.8, False, "mechanism",
                              self._depth(False))
            elif p.kind == "amplification":
                self.cn_true.append((tissue_row, p.gene, 2 + purity * (amplified_gene_cn[p.gene] - 2)))
        if driver:
            self._driver_rows(driver, tissue_id, tissue_row, purity, False, driver_cn)

        # Plasma rows.
        for d in draws:
            row = len(self.cn_samples)
            sid, f = d["sample_id"], d["f"]
            self.cn_samples.append((sid, "plasma", f))
            self.cn_exact.append((row, "ERBB2", d["erbb2_cn"], None))
            self._variant(sid, truncal, f / 2, True, "truncal", self._depth(True), must_detect=f >= 0.02)
            self._add_passenger_rows(passengers, sid, f, True, self._depth(True))
            if chip:
                self._variant(sid, chip, chip_vaf * float(np.exp(rng.normal(0, 0.1))), True, "chip",
                              self._depth(True))
            if germline:
                self._variant(sid, germline, float(rng.uniform(0.47, 0.53)), True, "germline",
                              self._depth(True))
            if driver:
                self._driver_rows(driver, sid, row, f, True, driver_cn)
            at_progression = d["timepoint"] == "PROGRESSION"
            for p in planted:
                present = (p.status == "baseline" and (p.at_progression or not at_progression)) or \
                          (p.status == "new at progression" and at_progression)
                if not present or p.kind == "cn_loss":
                    continue
                if p.kind == "mutation":
                    ccf = 0.8 if p.status == "baseline" else 0.7
                    self._variant(sid, (p.gene, p.alteration), f / 2 * ccf, True, "mechanism",
                                  self._depth(True), must_detect=d["timepoint"] != "ON_TREATMENT")
                elif p.kind == "amplification":
                    gene_cn = max(amplified_gene_cn[p.gene], 2 + 1.0 / f)
                    self.cn_true.append((row, p.gene, 2 + f * (gene_cn - 2)))
                elif p.kind == "deletion":
                    self.cn_exact.append((row, p.gene, 2 * (1 - f) * 2 ** rng.normal(0, 0.01), -2))

        if course is not None:
            self._timeline(patient_id, course, draws)
        self._clinical(patient_id, her2_status, ihc, fish, profile, course)
        self._truth(patient_id, her2_status, ihc, fish, profile, discordant, purity, tumour_erbb2,
                    tissue_id, tissue_cn, draws, course, truncal, chip, germline, driver)

    def _driver_rows(self, driver: tuple[str, str, str], sample_id: str, row: int, fraction: float,
                     is_plasma: bool, gene_cn: float) -> None:
        kind, gene, change = driver
        if kind == "mutation":
            self._variant(sample_id, (gene, change), fraction / 2 * 0.8, is_plasma, "driver",
                          self._depth(is_plasma))
        else:
            self.cn_true.append((row, gene, 2 + fraction * (gene_cn - 2)))

    def _pathology(self, her2_status: str, discordant: bool, tumour_erbb2: float) -> tuple[str, float | None]:
        rng = self.rng
        if her2_status == "POSITIVE":
            if discordant:
                return "2+", round(float(rng.uniform(2.0, 2.4)), 2)
            ratio = round(float(max(2.2, tumour_erbb2 / 2 * rng.uniform(0.8, 1.2))), 2)
            if rng.random() < 0.75:
                return "3+", (ratio if rng.random() < 0.5 else None)
            return "2+", ratio
        if discordant:
            return "1+", None
        u = rng.random()
        if u < 0.4:
            return "0", None
        if u < 0.75:
            return "1+", None
        return "2+", round(float(rng.uniform(1.0, 1.9)), 2)

    def _draws(self, patient_id: str, profile: _Profile | None, course: _Course | None, f0: float,
               tumour_erbb2: float) -> list[dict]:
        rng = self.rng
        noise = _CN_NOISE_SD["plasma"]
        if course is None or profile is None:
            cn = (2 * (1 - f0) + tumour_erbb2 * f0) * 2 ** rng.normal(0, noise)
            return [{"sample_id": f"{patient_id}-B0", "day": -int(rng.integers(0, 15)),
                     "timepoint": "BASELINE", "f": f0, "tumour_erbb2": tumour_erbb2, "erbb2_cn": float(cn),
                     "size_mm": None}]
        baseline_size = course.sizes[0]
        progression_day = course.progression_day
        fractions = []
        for j, day in enumerate(course.draw_days):
            f = f0
            if j > 0:
                burden = course.size_at(day) / baseline_size
                f = f0 * burden ** _BURDEN_EXPONENT * float(np.exp(rng.normal(0, 0.1)))
            fractions.append(min(_MAX_FRACTION, max(0.001, f)))
        kinds = {p.kind for p in profile.planted}
        if progression_day is not None:
            floor = 0.05
            if "deletion" in kinds:
                floor = 0.25        # a homozygous deletion is only visible in plasma at high f
            if profile.resistance_class == "innate":
                floor = max(floor, 1.3 * f0)
            fractions[-1] = min(_MAX_FRACTION, max(fractions[-1], floor))
        # Tumour ERBB2 copy number at progression.
        tumour_at_progression = tumour_erbb2
        if profile.resistance_class == "acquired":
            f_p, excess0 = fractions[-1], f0 * (tumour_erbb2 - 2)
            if "cn_loss" in kinds:
                target_cn = float(rng.uniform(2.05, 2.25))
            else:
                target_cn = 2 + max(excess0 * rng.uniform(0.6, 0.92), 0.65)
            tumour_at_progression = 2 + (target_cn - 2) / f_p
        n = len(course.draw_days)
        if profile.resistance_class == "acquired" and progression_day is not None and n >= 4:
            fractions[-2] = min(_MAX_FRACTION, max(fractions[-2], _LEAD_FRACTION_OF_PROGRESSION * fractions[-1]))
        draws = []
        for j, day in enumerate(course.draw_days):
            f = fractions[j]
            # The ERBB2-poorer clone of acquired resistance takes over late.
            weight = min(1.0, max(0.0, day / progression_day)) ** 3 if progression_day is not None else 0.0
            tumour_cn = tumour_erbb2 + (tumour_at_progression - tumour_erbb2) * weight
            cn = (2 * (1 - f) + tumour_cn * f) * 2 ** rng.normal(0, noise)
            if j == 0:
                timepoint, sample_id = "BASELINE", f"{patient_id}-B0"
            else:
                is_progression = progression_day is not None and j == n - 1
                timepoint = "PROGRESSION" if is_progression else "ON_TREATMENT"
                sample_id = f"{patient_id}-D{j}"
            draws.append({"sample_id": sample_id, "day": day, "timepoint": timepoint, "f": f,
                          "tumour_erbb2": tumour_cn, "erbb2_cn": float(cn),
                          "size_mm": round(course.size_at(day), 1)})
        if progression_day is not None:
            self._enforce_direction(profile, draws[0], draws[-1], kinds)
        return draws

    @staticmethod
    def _enforce_direction(profile: _Profile, baseline: dict, progression: dict, kinds: set[str]) -> None:
        """Guarantee the design's copy-number direction despite measurement noise (rarely acts)."""
        base, prog = baseline["erbb2_cn"], progression["erbb2_cn"]
        if profile.resistance_class == "innate":
            prog = max(prog, base * 1.05)
        elif "cn_loss" in kinds:
            base = max(base, PLASMA_AMPLIFICATION_CN + 0.2)
            prog = min(prog, PLASMA_AMPLIFICATION_CN - 0.15)
        else:
            prog = min(max(prog, PLASMA_AMPLIFICATION_CN + 0.15), base * 0.92)
        baseline["erbb2_cn"], progression["erbb2_cn"] = base, prog

    def _timeline(self, patient_id: str, course: _Course, draws: list[dict]) -> None:
        rng = self.rng
        stop = float(course.scan_days[-1])
        for agent in ("Trastuzumab", "Capecitabine", "Oxaliplatin"):
            self.timeline.add(patient_id=patient_id, start_day=0.0, stop_day=stop, event_type="TREATMENT",
                              agent=agent)
        calls = _recist(course.sizes)
        for k, (day, size, call) in enumerate(zip(course.scan_days, course.sizes, calls, strict=True)):
            # A few calls are left blank so that the analysis has to derive them.
            recorded = call if (k > 0 and rng.random() >= 0.12) else None
            self.timeline.add(patient_id=patient_id, start_day=float(day), event_type="IMAGING",
                              target_lesion_sum_mm=size, recist_response=recorded)
        secretor = rng.random() < 0.55
        cea0 = float(np.exp(rng.uniform(np.log(6), np.log(250))))
        for d in draws:
            if secretor:
                ratio = course.size_at(d["day"]) / course.sizes[0]
                cea = cea0 * ratio ** 0.8 * float(np.exp(rng.normal(0, 0.5)))
            else:
                cea = float(rng.uniform(0.8, 4.5))
            d["cea"] = round(cea, 1)
            self.timeline.add(patient_id=patient_id, start_day=float(d["day"]), event_type="LAB_TEST",
                              test="CEA", result=d["cea"], unit="ng/mL")
            self.timeline.add(patient_id=patient_id, start_day=float(d["day"]), event_type="SPECIMEN",
                              sample_id=d["sample_id"])
        if course.progression_day is not None:
            self.timeline.add(patient_id=patient_id, start_day=float(course.progression_day),
                              event_type="STATUS", status="PROGRESSION")
        course.cea_secretor = secretor

    def _clinical(self, patient_id: str, her2_status: str, ihc: str, fish: float | None,
                  profile: _Profile | None, course: _Course | None) -> None:
        rng = self.rng
        pfs = pfs_event = os_ = os_event = None
        if course is not None:
            last_day = course.scan_days[-1]
            pfs = round(last_day / DAYS_PER_MONTH, 4)
            pfs_event = course.progression_day is not None
            if pfs_event:
                os_day = last_day + int(rng.integers(60, 421))
                os_event = bool(rng.random() < 0.7)
            else:
                os_day = last_day + int(rng.integers(0, 61))
                os_event = False
            os_ = round(os_day / DAYS_PER_MONTH, 4)
        age = int(np.clip(round(rng.normal(61, 10)), 30, 85))
        sex = "Male" if rng.random() < 0.7 else "Female"
        lauren_p = (0.65, 0.2, 0.15) if her2_status == "POSITIVE" else (0.45, 0.4, 0.15)
        lauren = ("intestinal", "diffuse", "mixed")[int(rng.choice(3, p=lauren_p))]
        ecog = int(rng.choice(3, p=(0.45, 0.5, 0.05)))
        self.patients.add(patient_id=patient_id, her2_status=her2_status, her2_ihc=ihc, her2_fish_ratio=fish,
                          pfs_months=pfs, pfs_event=pfs_event, os_months=os_, os_event=os_event,
                          age=age, sex=sex, lauren=lauren, ecog=ecog)

    def _truth(self, patient_id: str, her2_status: str, ihc: str, fish: float | None,
               profile: _Profile | None, discordant: bool, purity: float, tumour_erbb2: float,
               tissue_id: str, tissue_cn: float,
               draws: list[dict], course: _Course | None, truncal: tuple[str, str],
               chip: tuple[str, str] | None, germline: tuple[str, str] | None,
               driver: tuple[str, str, str] | None) -> None:
        progressed = course is not None and course.progression_day is not None
        baseline_id = draws[0]["sample_id"]
        progression_id = draws[-1]["sample_id"] if progressed else None
        mechanisms = []
        for p in (profile.planted if profile else ()):
            mechanisms.append({
                "pathway": p.pathway, "gene": p.gene, "alteration": p.alteration, "type": p.kind,
                "status": p.status,
                "sample_id": baseline_id if p.status == "baseline" else progression_id,
                "detected_at_progression": p.at_progression,
            })
        self.truth_patients[patient_id] = {
            "her2_status": her2_status,
            "her2_ihc": ihc,
            "her2_fish_ratio": fish,
            "pathology_ngs_discordant": discordant,
            "followed": profile is not None,
            "profile": profile.code if profile else None,
            "progressed": progressed,
            "resistance_class": profile.resistance_class if profile else None,
            "pfs_months": round(course.scan_days[-1] / DAYS_PER_MONTH, 4) if course else None,
            "progression_day": course.progression_day if course else None,
            "mechanisms": mechanisms,
            "n_mechanisms": len(mechanisms),
            "tissue_sample_id": tissue_id,
            "tissue_purity": round(purity, 6),
            "tissue_erbb2_cn": round(float(tissue_cn), 4),
            "tumour_erbb2_cn": round(tumour_erbb2, 4),
            "baseline_sample_id": baseline_id,
            "progression_sample_id": progression_id,
            "erbb2_cn_baseline": round(draws[0]["erbb2_cn"], 4),
            "erbb2_cn_progression": round(draws[-1]["erbb2_cn"], 4) if progressed else None,
            "molecular_lead_draw_day": (draws[-2]["day"] if progressed and profile is not None
                                        and profile.resistance_class == "acquired" and len(draws) >= 4 else None),
            "cea_secretor": course.cea_secretor if course else None,
            "truncal_variant": f"{truncal[0]} {truncal[1]}",
            "chip_variant": f"{chip[0]} {chip[1]}" if chip else None,
            "germline_variant": f"{germline[0]} {germline[1]}" if germline else None,
            "baseline_driver": f"{driver[1]} {driver[2]}" if driver else None,
            "plasma_samples": {
                d["sample_id"]: {
                    "collection_day": d["day"], "timepoint": d["timepoint"],
                    "tumour_fraction": round(d["f"], 6),
                    "tumour_erbb2_cn": round(d["tumour_erbb2"], 4),
                    "tumour_size_mm": d["size_mm"],
                } for d in draws
            },
        }

    # ---- tables

    def variants_frame(self) -> pd.DataFrame:
        spec = self.variant_specs.frame()
        if spec.empty:
            return spec
        rng = self.rng
        depth = spec["depth"].to_numpy(dtype=np.int64)
        expected = np.clip(spec["expected_vaf"].to_numpy(dtype=float), 0.0, 1.0)
        alt = rng.binomial(depth, expected)
        is_plasma = spec["is_plasma"].to_numpy(dtype=bool)
        origin = spec["origin"].to_numpy()
        # Heterozygous germline calls stay inside the likely-germline VAF band.
        germline = origin == "germline"
        band = np.clip(alt, np.ceil(0.42 * depth), np.floor(0.58 * depth))
        alt = np.where(germline, band, alt).astype(np.int64)
        min_alt = np.where(is_plasma, _PLASMA_MIN_ALT, _TISSUE_MIN_ALT)
        min_vaf = np.where(is_plasma, _PLASMA_MIN_VAF, _TISSUE_MIN_VAF)
        # Planted alterations the design counts on are made detectable.
        must = spec["must_detect"].to_numpy(dtype=bool)
        floor = np.maximum(min_alt, np.ceil(min_vaf * depth)).astype(np.int64)
        alt = np.where(must, np.maximum(alt, floor), alt)
        called = (alt >= min_alt) & (alt / depth >= min_vaf)
        out = spec.loc[called, ["sample_id", "gene", "chromosome", "start_position", "reference_allele",
                                "tumor_seq_allele", "variant_classification", "protein_change"]].copy()
        out["t_alt_count"] = alt[called]
        out["t_ref_count"] = depth[called] - alt[called]
        out["depth"] = depth[called]
        out["vaf"] = np.round(alt[called] / depth[called], 6)
        return out.reset_index(drop=True)

    def copy_number_frame(self) -> pd.DataFrame:
        rng = self.rng
        n_samples, genes = len(self.cn_samples), list(CN_GENES)
        gene_index = {g: i for i, g in enumerate(genes)}
        is_plasma = np.array([t == "plasma" for _, t, _ in self.cn_samples], dtype=bool)
        sd = np.where(is_plasma, _CN_NOISE_SD["plasma"], _CN_NOISE_SD["tissue"])[:, None]
        noise = rng.normal(0.0, 1.0, size=(n_samples, len(genes))) * sd
        true_cn = np.full((n_samples, len(genes)), 2.0)
        for row, gene, value in self.cn_true:
            true_cn[row, gene_index[gene]] = value
        cn = true_cn * 2.0 ** noise
        discrete_override = np.zeros((n_samples, len(genes)), dtype=bool)
        discrete = np.zeros((n_samples, len(genes)), dtype=np.int64)
        for row, gene, value, call in self.cn_exact:
            cn[row, gene_index[gene]] = value
            if call is not None:
                discrete[row, gene_index[gene]] = call
                discrete_override[row, gene_index[gene]] = True
        cn = np.round(cn, 4)
        plasma = is_plasma[:, None]
        amp_cut = np.where(plasma, PLASMA_AMPLIFICATION_CN, TISSUE_AMPLIFICATION_CN)
        gain_cut = np.where(plasma, 2.2, 2.6)
        loss_cut = np.where(plasma, 1.7, 1.5)
        computed = np.where(cn >= amp_cut, 2, np.where(cn >= gain_cut, 1, np.where(cn <= loss_cut, -1, 0)))
        discrete = np.where(discrete_override, discrete, computed)
        sample_ids = np.array([s for s, _, _ in self.cn_samples], dtype=object)
        return pd.DataFrame({
            "sample_id": np.repeat(sample_ids, len(genes)),
            "gene": np.tile(np.array(genes, dtype=object), n_samples),
            "copy_number": cn.ravel(),
            "log2_ratio": np.round(np.log2(cn.ravel() / 2.0), 4),
            "cna_discrete": discrete.ravel(),
        })


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class DemoCohort:
    """A generated demo study and the truth planted in it.

    Attributes
    ----------
    study
        The study (tables per :mod:`analysis.schema`), ``meta.study_id`` = ``stad_her2_ctdna_demo``.
    truth
        JSON-serialisable dict: ``generator`` (name, version, seed, n_patients), ``counts``
        (patients, her2_positive, her2_negative, followed, serial_draws, progressions, innate,
        acquired, censored, with_mechanism, ...), ``patients`` (per patient id: what was planted)
        and ``notes``.
    """

    study: Study
    truth: dict


def generate_demo(n_patients: int = DESIGN_PATIENTS, seed: int = 2019) -> DemoCohort:
    """Generate the demo cohort in memory.

    Parameters
    ----------
    n_patients
        Number of patients (78 = the published design; other sizes keep its proportions).
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives identical output.

    Returns
    -------
    DemoCohort
        The study and its truth dict.

    Raises
    ------
    ValueError
        *n_patients* is below 1.
    """
    counts = design_counts(n_patients)
    rng = np.random.default_rng(seed)
    roles = _assign_roles(counts, rng)
    width = max(3, len(str(n_patients)))
    patient_ids = [f"P{i + 1:0{width}d}" for i in range(n_patients)]
    followed_order = [i for i, (_, profile, _) in enumerate(roles) if profile is not None]
    courses = {i: _course(roles[i][1], rng) for i in followed_order}  # type: ignore[arg-type]
    _fit_draw_total([courses[i] for i in followed_order], counts["serial_draws"], rng)

    builder = _Builder(rng)
    for i, patient_id in enumerate(patient_ids):
        her2_status, profile, discordant = roles[i]
        builder.add_patient(i, patient_id, her2_status, profile, discordant, courses.get(i))

    patients = builder.patients.frame()
    samples = builder.samples.frame()
    timeline = builder.timeline.frame()
    if not timeline.empty:
        event_order = {"TREATMENT": 0, "IMAGING": 1, "LAB_TEST": 2, "SPECIMEN": 3, "STATUS": 4}
        timeline["_order"] = timeline["event_type"].map(event_order)
        timeline = (timeline.sort_values(["patient_id", "start_day", "_order", "agent"], kind="stable")
                    .drop(columns="_order").reset_index(drop=True))
    study = Study.from_tables(
        patients=patients, samples=samples, variants=builder.variants_frame(),
        copy_number=builder.copy_number_frame(), timeline=timeline,
        meta=StudyMeta(
            study_id=STUDY_ID,
            name="HER2+ gastric cancer ctDNA demo (synthetic)",
            description=(f"Synthetic cohort with the design of Wang et al., Gut 2019;68:1152-1161: "
                         f"{counts['patients']} patients with paired baseline plasma and tissue, "
                         f"{counts['followed']} followed on trastuzumab with {counts['serial_draws']} plasma "
                         f"draws. Generated by analysis.demo {GENERATOR_VERSION}, seed {seed}. "
                         "Not patient data."),
        ),
    )
    _check_panel(study)
    truth = _assemble_truth(builder.truth_patients, counts, seed, n_patients)
    return DemoCohort(study=study, truth=truth)


def _check_panel(study: Study) -> None:
    panel = set(load_panel_genes())
    used = set(study.variants["gene"].dropna()) | set(study.copy_number["gene"].dropna())
    missing = sorted(used - panel)
    if missing:
        raise ValueError(f"demo genes missing from data/panel_genes.txt: {', '.join(missing)}")


def _assemble_truth(patients: dict[str, dict], counts: dict[str, int], seed: int, n_patients: int) -> dict:
    values = list(patients.values())
    progressors = [p for p in values if p["progressed"]]
    observed = {
        "patients": len(values),
        "her2_positive": sum(p["her2_status"] == "POSITIVE" for p in values),
        "her2_negative": sum(p["her2_status"] == "NEGATIVE" for p in values),
        "followed": sum(p["followed"] for p in values),
        "serial_draws": sum(len(p["plasma_samples"]) for p in values if p["followed"]),
        "progressions": len(progressors),
        "innate": sum(p["resistance_class"] == "innate" for p in progressors),
        "acquired": sum(p["resistance_class"] == "acquired" for p in progressors),
        "censored": sum(p["followed"] and not p["progressed"] for p in values),
        "with_mechanism": sum(bool(p["mechanisms"]) for p in progressors),
        "multiple_mechanisms": sum(len(p["mechanisms"]) >= 2 for p in progressors),
        "erbb_mutation_baseline": sum(
            any(m["gene"] in ("ERBB2", "ERBB4") and m["type"] == "mutation" and m["status"] == "baseline"
                for m in p["mechanisms"]) for p in progressors),
        "erbb_mutation_progression": sum(
            any(m["gene"] in ("ERBB2", "ERBB4") and m["type"] == "mutation" and m["detected_at_progression"]
                for m in p["mechanisms"]) for p in progressors),
        "pik3ca_innate": sum(any(m["gene"] == "PIK3CA" for m in p["mechanisms"])
                             for p in progressors if p["resistance_class"] == "innate"),
        "pik3ca_acquired": sum(any(m["gene"] == "PIK3CA" for m in p["mechanisms"])
                               for p in progressors if p["resistance_class"] == "acquired"),
        "pathology_ngs_discordant": sum(p["pathology_ngs_discordant"] for p in values),
    }
    for key in ("patients", "her2_positive", "followed", "serial_draws", "progressions", "with_mechanism",
                "innate", "acquired"):
        if observed[key] != counts[key]:
            raise AssertionError(f"demo generator broke its design: {key} {observed[key]} != {counts[key]}")
    illustrative = sorted(f"{g} {c}" for (g, c), v in _CATALOGUE.items() if v[5])
    return {
        "generator": {"name": "analysis.demo", "version": GENERATOR_VERSION, "seed": seed,
                      "n_patients": n_patients},
        "counts": observed,
        "patients": patients,
        "notes": {
            "coordinates": "GRCh37, 1-based. Hotspot positions are the published ones; passenger positions "
                           "and these variants are illustrative positions inside the gene: "
                           + ", ".join(illustrative) + ".",
            "tumour_fraction": "Planted plasma tumour fraction f; the truncal TP53 variant has expected "
                               "VAF f/2.",
            "copy_number": "Observed CN = 2(1 - f) + T f (tissue: purity p for f), with log2 noise.",
            "survival": "PFS/OS are given for the followed (trastuzumab-treated) patients only; day 0 of the "
                        "others is their baseline plasma draw window.",
            "mechanism_status": "baseline = present in baseline plasma (and tissue); new at progression = absent at "
                                "baseline, present at progression (sample_id is the progression draw).",
        },
    }


def write_demo(out_dir: str | Path, truth_path: str | Path | None = None, n_patients: int = DESIGN_PATIENTS,
               seed: int = 2019) -> DemoCohort:
    """Generate the demo cohort and write it as a cBioPortal study folder plus a truth JSON file.

    Parameters
    ----------
    out_dir
        Study folder to write (via ``analysis.io.cbioportal.write_study``).
    truth_path
        Truth JSON file; default ``<out_dir>.truth.json`` beside the folder.  Never inside the
        study folder, so the study stays a clean cBioPortal study.
    n_patients, seed
        As for :func:`generate_demo`.

    Returns
    -------
    DemoCohort
        What was written.

    Raises
    ------
    ValueError
        *truth_path* lies inside *out_dir*, or *n_patients* is below 1.
    """
    from analysis.io.cbioportal import write_study  # the writer lives in the I/O layer

    out = Path(out_dir)
    truth_file = Path(truth_path) if truth_path is not None else out.with_name(out.name + ".truth.json")
    if out.resolve() in truth_file.resolve().parents:
        raise ValueError(f"truth file {truth_file} must not be inside the study folder {out}")
    cohort = generate_demo(n_patients=n_patients, seed=seed)
    write_study(cohort.study, out)
    truth_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = truth_file.with_name(truth_file.name + ".tmp")
    tmp.write_text(truth_json(cohort.truth), encoding="utf-8")
    tmp.replace(truth_file)
    return cohort


def truth_json(truth: dict) -> str:
    """The truth dict as the bytes written to disk: sorted keys, indent 2, trailing newline."""
    return json.dumps(truth, sort_keys=True, indent=2, allow_nan=False) + "\n"
