"""Display names for codes that users read (pathways, classes, sample types)."""

import pandas as pd

# Pathway names are shared with the analysis-side answer sentences and report.
from analysis.wording import AT_LEAST, AT_MOST, PATHWAY_NAMES, TIMEPOINT_NAMES, pathway_name, timepoint_name  # noqa: F401

RESISTANCE_CLASS_NAMES = {"innate": "Innate resistance", "acquired": "Acquired resistance", "none": "No progression",
                          "unknown": "Not followed / status unknown"}

#: Follow-up status (``analysis.trajectory`` ``follow_up``) as users read it.
FOLLOW_UP_NAMES = {"progressed": "Progressed", "censored": "No progression (censored)",
                   "status unknown": "Status unknown", "not followed": "Not followed"}

#: Pathology HER2 status codes (clinical file) as users read them; other codings are shown as recorded.
HER2_STATUS_NAMES = {"POSITIVE": "HER2-positive", "NEGATIVE": "HER2-negative", "EQUIVOCAL": "HER2-equivocal"}


def her2_status_name(value) -> str:
    """``POSITIVE`` -> ``HER2-positive``; a missing value -> ``not recorded``; anything else as recorded."""
    if value is None or pd.isna(value) or str(value).strip() == "":
        return "not recorded"
    return HER2_STATUS_NAMES.get(str(value).strip().upper(), str(value))
