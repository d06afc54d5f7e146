"""Analysis layer: study model, readers and the mathematics of the Wang et al. (Gut 2019) analyses.

Nothing in this package imports Dash.  Only :mod:`analysis.report` (the tumour-board report) imports
plotly and the Dash-free figure and table builders of the dashboard, so that the report shows exactly
the patient page's figure and tables; everything else imports neither plotly nor the dashboard.
"""

ANALYSIS_VERSION = "0.1.0"
