"""Pure figure builders: analysis tables in, ``plotly.graph_objects.Figure`` out.  No Dash, no I/O."""
