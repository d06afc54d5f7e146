"""``GET /_her2/health``: is this server process up, and which study does it serve (for load balancers).

Names the study (identifier and content hash) and the answering process, never a patient.
"""

from __future__ import annotations

import os

from flask import jsonify

HEALTH_PATH = "/_her2/health"


def add_health_endpoint(app) -> None:
    @app.server.route(HEALTH_PATH)
    def _health():
        from dashboard.analysis_service import get_analysis_service

        service = get_analysis_service()
        study = service.study
        response = jsonify(ok=True, study_id=study.meta.study_id, study_hash=service.study_hash(),
                           process=os.getpid())
        response.headers["Cache-Control"] = "no-store"
        return response
