"""Every component id used by the pages and callbacks, defined once."""

URL = "url"
PAGE_CONTENT = "page-content"
STUDY_ALERT = "study-alert"

OVERVIEW_COUNTS = "overview-counts"
OVERVIEW_SAMPLES_TABLE = "overview-samples-table"
OVERVIEW_HER2_TABLE = "overview-her2-table"
OVERVIEW_WARNINGS = "overview-warnings"
OVERVIEW_NOTES = "overview-notes"
