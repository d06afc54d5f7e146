"""Reusable, pure layout builders (DataFrame -> Dash components)."""
