"""The one colour map of the app: a colour means one thing on every page, figure and report.

Every figure takes its colours from here, by meaning:

- :data:`ALTERATION`: the alteration types, in cBioPortal's oncoprint colours (cbioportal-frontend,
  ``src/shared/components/oncoprint/geneticrules.ts``: amplification ``#ff0000``, gain ``#ffb6c1``, deep
  deletion ``#0000ff``, shallow deletion ``#8fd8d8``, missense ``#008000``, truncating ``#000000``, in-frame
  ``#993404``, fusion / structural variant ``#8B00C9``, other ``#cf58bc``), so that a cBioPortal user reads
  ours at once;
- :data:`RESISTANCE_CLASS`: innate, acquired, no progression, unknown;
- :data:`SOURCE`: plasma vs tissue;
- :data:`PFS`: progression (the event), censored, status unknown; :data:`PROGRESSION` is the colour of a
  progression wherever it is drawn (PFS track, patient timeline, PD scans);
- :data:`SURVIVAL_GROUPS`: the Kaplan-Meier groups of a grouping (a resistance-class grouping keeps the
  class colours);
- the patient timeline's :data:`SERIES`, the oncoprint's clinical tracks (:data:`HER2_STATUS`,
  :data:`MECHANISM_COUNT`) and status marks (:data:`STATUS_MARK`), plasma/tissue agreement
  (:data:`AGREEMENT`), ROC marks (:data:`ROC_MARK`), HER2 CN direction at progression (:data:`DIRECTION`)
  and the genes of resistance mechanisms (:data:`MECHANISM_COLOURS`).

No colour serves two meanings (:func:`meaning_colours` lists them; a shared colour is allowed only for
the same meaning under two names, listed in :data:`SAME_MEANING`).  :data:`NEUTRAL` colours (ink, axes,
empty cells, outlines, medians) carry no meaning.  Colour-blind-safe where the cBioPortal convention
leaves room (Okabe & Ito 2008, Tol 2021); every figure also tells groups apart by shape, dash or position.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Okabe & Ito (2008) colour-blind-safe palette (source of several meanings below; use the meanings).
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "grey": "#999999",
}

#: Colours without a meaning: text, axes, outlines, empty and not-profiled cells, medians, white.
NEUTRAL = {
    "ink": "#1D2329", "subtle": "#5B6570", "axis": "#8A96A3", "grid": "#D0D0D0", "white": "#FFFFFF",
    "empty_cell": "#E4E7EB", "not_profiled": "#F7F8FA", "not_profiled_hatch": "#9AA3AD", "panel": "#F1F3F5",
}

#: Backgrounds of legends (clear) and of labels over a plot (white, a little see-through).
CLEAR = "rgba(255, 255, 255, 0)"
LABEL_BACKGROUND = "rgba(255, 255, 255, 0.85)"

#: Print (the reports): black text and axes on white paper, a light grid.  No meaning either.
PRINT = {"ink": "#000000", "paper": "#FFFFFF", "grid": "#D0D0D0"}

#: Alteration types, in cBioPortal's oncoprint colours.  "HER2 loss at progression" (ours) is drawn as an
#: open cell outlined in the amplification red: an amplification that is gone.
ALTERATION = {
    "amplification": "#FF0000",
    "gain": "#FFB6C1",
    "deletion": "#0000FF",  # deep deletion
    "shallow_deletion": "#8FD8D8",
    "missense": "#008000",
    "truncating": "#000000",
    "inframe": "#993404",
    "structural_variant": "#8B00C9",  # fusion
    "other_mutation": "#CF58BC",
}

#: The colour of a progression (event) everywhere: PFS track, timeline progression scan, PD scans.
PROGRESSION = "#882255"
#: No progression (censored) everywhere: resistance class "none", PFS censored, scans without PD.
NO_PROGRESSION = "#999999"
#: Status unknown everywhere: resistance class unknown, PFS status unknown, unknown track values.
UNKNOWN = "#DDE1E5"

#: Resistance classes (swimmer bars, oncoprint track, HER2 slopes, survival by class).
RESISTANCE_CLASS = {
    "innate": "#999933",
    "acquired": "#56B4E9",
    "none": NO_PROGRESSION,
    "unknown": UNKNOWN,
}

#: Sample source: plasma vs tissue.
SOURCE = {"plasma": "#0072B2", "tissue": "#E69F00"}

#: PFS status (oncoprint PFS track).
PFS = {"progression": PROGRESSION, "censored": NO_PROGRESSION, "status unknown": UNKNOWN}

#: Kaplan-Meier groups of a grouping, in order (indigo, rose, teal, mauve; then repeated): each at least 3:1
#: against white, so that a curve reads as a line.
SURVIVAL_GROUPS = ("#332288", "#CC6677", "#2A8C7E", "#8E6C8A")

#: The patient timeline's series (the patient page and the tumour-board report).
SERIES = {
    "erbb2_cn": SOURCE["plasma"],  # plasma ERBB2 copy number: a plasma measure
    "erbb2_cn_adjusted": "#003F66",
    "cea": "#EE3377",
    "tumour_size": "#117733",
    "progression": PROGRESSION,
    "cutoff": "#6F7B87",
    "treatment": "#3B4650",
}

#: Oncoprint clinical tracks.
HER2_STATUS = {"POSITIVE": "#5E4FA2", "NEGATIVE": "#C2B8E6"}
MECHANISM_COUNT = {"0": "#F3EBD3", "1": "#C8AD6E", "2+": "#6B531F"}

#: Oncoprint status marks (fill; outlined in ink).
STATUS_MARK = {"new_at_progression": "#F0E442", "expanding": NEUTRAL["white"], "unknown_baseline": NEUTRAL["ink"]}

#: Plasma vs tissue NGS calls (concordance scatter, 2 x 2 table cells): agreement, and each source alone.
AGREEMENT = {"both": "#009E73", "plasma_only": SOURCE["plasma"], "tissue_only": SOURCE["tissue"],
             "neither": "#B4BCC5"}

#: ROC marks: the Youden cutoff and the slider's cutoff.
ROC_MARK = {"youden": "#E6AB02", "slider": "#D55E00"}

#: Plasma HER2 CN at progression vs baseline.
DIRECTION = {"higher": "#A6761D", "lower": "#7570B3", "equal": NEUTRAL["subtle"]}

#: Variants that support no mechanism call: one muted grey, thin lines (the "neither" grey: no call).
MUTED = AGREEMENT["neither"]

#: Colours of mechanism genes (patient VAF tracks), none of them a colour of another meaning.
MECHANISM_COLOURS = ("#CC79A7", "#1B9E77", "#4D004B", "#B2182B", "#9A6324", "#42A5F5", "#66A61E", "#F032E6")

#: Genes of the shipped knowledge base in a fixed order: each gets the same colour on every patient.
GENE_ORDER = ("PIK3CA", "KRAS", "ERBB2", "NF1", "MET", "PTEN", "ERBB4", "BRAF", "PIK3R1", "EGFR", "FGFR2",
              "CCNE1", "NRAS", "MAP2K1", "ERBB3", "CDK4", "CDK6", "CDK12", "PIK3C3")

#: Pairs (map, key) that are one meaning under two names, and so share a colour.
SAME_MEANING = (
    {("SOURCE", "plasma"), ("SERIES", "erbb2_cn"), ("AGREEMENT", "plasma_only")},
    {("SOURCE", "tissue"), ("AGREEMENT", "tissue_only")},
    {("PFS", "progression"), ("SERIES", "progression")},
    {("PFS", "censored"), ("RESISTANCE_CLASS", "none")},
    {("PFS", "status unknown"), ("RESISTANCE_CLASS", "unknown")},
    {("AGREEMENT", "neither"), ("MUTED", "")},
)


def meaning_colours() -> dict[tuple[str, str], str]:
    """Every meaning's colour: ``(map name, key) -> "#RRGGBB"`` (upper case), neutral colours excluded."""
    maps: dict[str, dict[str, str]] = {
        "ALTERATION": ALTERATION, "RESISTANCE_CLASS": RESISTANCE_CLASS, "SOURCE": SOURCE, "PFS": PFS,
        "SURVIVAL_GROUPS": {str(i): c for i, c in enumerate(SURVIVAL_GROUPS)}, "SERIES": SERIES,
        "HER2_STATUS": HER2_STATUS, "MECHANISM_COUNT": MECHANISM_COUNT, "STATUS_MARK": STATUS_MARK,
        "AGREEMENT": AGREEMENT, "ROC_MARK": ROC_MARK, "DIRECTION": DIRECTION, "MUTED": {"": MUTED},
        "MECHANISM_COLOURS": {str(i): c for i, c in enumerate(MECHANISM_COLOURS)},
    }
    neutral = {c.upper() for c in NEUTRAL.values()}
    return {(name, key): colour.upper() for name, mapping in maps.items() for key, colour in mapping.items()
            if colour.upper() not in neutral}


def all_colours() -> set[str]:
    """Every colour a figure may use: the meanings' and the neutral ones (upper-case hex)."""
    return set(meaning_colours().values()) | {c.upper() for c in NEUTRAL.values()}


def survival_group_colour(group: str, index: int) -> str:
    """The colour of a Kaplan-Meier group: a resistance class keeps its class colour, any other group the
    *index*-th :data:`SURVIVAL_GROUPS` colour."""
    if group in RESISTANCE_CLASS:
        return RESISTANCE_CLASS[group]
    return SURVIVAL_GROUPS[index % len(SURVIVAL_GROUPS)]


def contrast_on_white(hex_colour: str) -> float:
    """WCAG 2 contrast ratio of a ``#RRGGBB`` colour against white (1 to 21)."""
    h = hex_colour.lstrip("#")
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def outline_for(hex_colour: str) -> dict:
    """The outline of a filled mark in *hex_colour*: none when the fill stands out against white (3:1, WCAG
    non-text contrast), else a thin ink line, so that a pale fill (unknown class, sky blue) still has an edge."""
    if contrast_on_white(hex_colour) >= 3:
        return dict(width=0)
    return dict(width=0.8, color=NEUTRAL["ink"])


def rgba(hex_colour: str, alpha: float) -> str:
    """``rgba(r, g, b, alpha)`` of a ``#RRGGBB`` colour (a lighter fill of a meaning's colour)."""
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[0:2], 16)}, {int(h[2:4], 16)}, {int(h[4:6], 16)}, {alpha})"


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
