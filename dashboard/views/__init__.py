"""View models: analysis results -> figure and table data for the pages (pure, cached by the service)."""
