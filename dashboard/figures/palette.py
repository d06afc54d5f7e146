"""The one colour map of the patient timeline's series, shared by the patient page and the tumour-board report.

Every series keeps its colour on every panel and page: plasma ERBB2 copy number (observed and
purity-adjusted), CEA, tumour size, treatment, the progression scan, the amplification cutoff, and
the genes of resistance mechanisms.  Colour-blind-safe (Okabe & Ito 2008 for the fixed series; Tol
2021 "muted" and Okabe-Ito reddish purple for the genes); mechanism gene colours are never one of the
fixed series' colours, and non-mechanism variants are drawn in one muted grey.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "grey": "#999999",
}

#: The fixed series of the patient timeline: series -> colour.
SERIES = {
    "erbb2_cn": OKABE_ITO["blue"],
    "erbb2_cn_adjusted": OKABE_ITO["sky_blue"],
    "cea": OKABE_ITO["orange"],
    "tumour_size": OKABE_ITO["green"],
    "progression": OKABE_ITO["vermillion"],
    "cutoff": OKABE_ITO["grey"],
    "treatment": "#8a96a3",
}

#: Variants that support no mechanism call: one muted grey, thin lines.
MUTED = "#b4bcc5"

#: Colours of mechanism genes, none of them a fixed series' colour (Tol muted + Okabe-Ito).
MECHANISM_COLOURS = ("#882255", "#CC79A7", "#000000", "#999933", "#332288", "#AA4499", "#7F3C0C", "#DDCC77")

#: Genes of the shipped knowledge base in a fixed order: each gets the same colour on every patient.
GENE_ORDER = ("PIK3CA", "KRAS", "ERBB2", "NF1", "MET", "PTEN", "ERBB4", "BRAF", "PIK3R1", "EGFR", "FGFR2",
              "CCNE1", "NRAS", "MAP2K1", "ERBB3", "CDK4", "CDK6", "CDK12", "PIK3C3")


def gene_colour(gene: str) -> str:
    """The colour a mechanism gene has on every patient (genes outside :data:`GENE_ORDER` by a stable hash)."""
    name = str(gene).upper()
    if name in GENE_ORDER:
        return MECHANISM_COLOURS[GENE_ORDER.index(name) % len(MECHANISM_COLOURS)]
    return MECHANISM_COLOURS[sum(name.encode()) % len(MECHANISM_COLOURS)]


def gene_colours(genes: Iterable[str]) -> dict[str, str]:
    """Colours of the mechanism genes of one figure: each gene its own :func:`gene_colour`, unless an
    earlier gene of *genes* has it already, then the next free mechanism colour (so the genes of one
    patient never share a colour while there are colours left; the same genes give the same map).
    """
    out: dict[str, str] = {}
    for gene in dict.fromkeys(str(g).upper() for g in genes):
        colour = gene_colour(gene)
        taken = set(out.values())
        if colour in taken and len(taken) < len(MECHANISM_COLOURS):
            start = MECHANISM_COLOURS.index(colour)
            colour = next(MECHANISM_COLOURS[(start + k) % len(MECHANISM_COLOURS)]
                          for k in range(1, len(MECHANISM_COLOURS))
                          if MECHANISM_COLOURS[(start + k) % len(MECHANISM_COLOURS)] not in taken)
        out[gene] = colour
    return out
