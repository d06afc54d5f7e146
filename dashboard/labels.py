"""Display names for codes that users read (pathways, classes, sample types)."""

PATHWAY_NAMES = {
    "PI3K": "PI3K pathway",
    "HER_FAMILY": "HER family",
    "MAPK": "MAPK pathway",
    "RTK_BYPASS": "RTK bypass",
    "CELL_CYCLE": "Cell cycle",
    "HER2_LOSS": "HER2 loss",
}

RESISTANCE_CLASS_NAMES = {"innate": "Innate resistance", "acquired": "Acquired resistance", "none": "No progression",
                          "unknown": "Not followed / status unknown"}

#: Follow-up status (``analysis.trajectory`` ``follow_up``) as users read it.
FOLLOW_UP_NAMES = {"progressed": "Progressed", "censored": "No progression (censored)",
                   "status unknown": "Status unknown", "not followed": "Not followed"}


def pathway_name(code: str) -> str:
    """Readable pathway name (unknown codes are shown as they are)."""
    return PATHWAY_NAMES.get(str(code), str(code))
