"""Analysis layer: study model, readers and the mathematics of the Wang et al. (Gut 2019) analyses.

Nothing in this package imports Dash or plotly.
"""

ANALYSIS_VERSION = "0.1.0"
