"""Every component id used by the pages and callbacks, defined once."""

URL = "url"
PAGE_CONTENT = "page-content"
STUDY_ALERT = "study-alert"

OVERVIEW_COUNTS = "overview-counts"
OVERVIEW_SAMPLES_TABLE = "overview-samples-table"
OVERVIEW_HER2_TABLE = "overview-her2-table"
OVERVIEW_WARNINGS = "overview-warnings"
OVERVIEW_NOTES = "overview-notes"

# Parameter panel (one place for every analysis parameter) and URL state.
PARAM_PANEL = "param-panel"
PARAM_SUMMARY = "param-summary"
PARAM_CUTOFF = "param-cutoff"
PARAM_TISSUE_CUTOFF = "param-tissue-cutoff"
PARAM_PURITY = "param-purity"
PARAM_INNATE = "param-innate"
PARAM_BASELINE = "param-baseline"
PARAM_PROGRESSION = "param-progression"
PARAM_KB = "param-kb"
PARAM_RESET = "param-reset"
PARAMS = "params-store"
PAGE_STATE = "page-state"
URL_SYNC = "url-sync"
NAV_LINK = "nav-link"  # pattern-matching type: {"type": NAV_LINK, "path": ...}

# Whole-cohort analysis readiness (background computation with progress bar).
COHORT_READY = "cohort-ready"
COHORT_NEEDED = "cohort-needed"
COHORT_PROGRESS = "cohort-progress"
COHORT_PROGRESS_BAR = "cohort-progress-bar"
COHORT_PROGRESS_LABEL = "cohort-progress-label"
COHORT_ERROR = "cohort-error"
