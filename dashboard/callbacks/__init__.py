"""Callbacks, registered on import with ``dash.callback``.  Thin: read inputs, ask a service, build, return."""
