"""Deterministic demo cohort: HER2+ gastric cancer on trastuzumab with serial plasma ctDNA.

The cohort reproduces the design of Wang et al. (Gut 2019;68:1152-1161) at n = 78 and keeps
its proportions at any size; a truth file records what was planted so the analyses can be
checked against it.
"""

from analysis.demo.generator import (
    CN_GENES,
    GENERATOR_VERSION,
    PATHWAYS,
    DemoCohort,
    design_counts,
    generate_demo,
    write_demo,
)

__all__ = [
    "CN_GENES",
    "GENERATOR_VERSION",
    "PATHWAYS",
    "DemoCohort",
    "design_counts",
    "generate_demo",
    "write_demo",
]
