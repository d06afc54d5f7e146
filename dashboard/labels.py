"""Display names for codes that users read (pathways, classes, sample types)."""

# Pathway names are shared with the analysis-side answer sentences and report.
from analysis.wording import AT_LEAST, AT_MOST, PATHWAY_NAMES, TIMEPOINT_NAMES, pathway_name, timepoint_name  # noqa: F401

RESISTANCE_CLASS_NAMES = {"innate": "Innate resistance", "acquired": "Acquired resistance", "none": "No progression",
                          "unknown": "Not followed / status unknown"}

#: Follow-up status (``analysis.trajectory`` ``follow_up``) as users read it.
FOLLOW_UP_NAMES = {"progressed": "Progressed", "censored": "No progression (censored)",
                   "status unknown": "Status unknown", "not followed": "Not followed"}
