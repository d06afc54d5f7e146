"""``GET /_her2/report/<patient id>.html`` (or ``.pdf``): a patient's tumour-board report as a plain download.

The patient page's two report links point here (:func:`report_href`), with the analysis parameters in the
query string exactly as the page's URL carries them (:func:`dashboard.parameters.params_to_query`), read
back by the same code as the page's (:func:`dashboard.parameters.params_from_query`), but strictly: a
value the page would replace by its default is refused here with 400, since a report must show the
parameters it was asked for.  An unknown patient is 404.  Both are short HTML pages that name neither the
patient nor the value.

The report page is rendered once per patient, parameters and knowledge base (the analysis cache's
``patient-report-page`` view, a :class:`dashboard.report.ReportPage`) and dated at each download.  Sent as
an attachment under the file name the report has always had (:func:`dashboard.report.report_file_name`),
``Cache-Control: no-store``.  Access control (:mod:`dashboard.auth`) guards this path like any other
(anonymous: 401), the security headers are added to it like to any response, and a successful download is
written to the audit log as the ``report`` event (:func:`dashboard.audit.record_report`).  No log line
carries the patient id.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from flask import Response, request

from analysis.params import AnalysisParameters
from analysis.resistance import load_knowledge_base
from dashboard import audit
from dashboard.analysis_service import AnalysisService, get_analysis_service
from dashboard.parameters import URL_KEYS, params_from_query, params_to_query
from dashboard.report import ReportError, ReportPage, build_report, report_file_name, report_page
from dashboard.report.pdf import page_to_pdf

REPORT_PREFIX = "/_her2/report/"
#: Suffix -> MIME type of the two formats.
FORMATS = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf"}


def report_href(patient_id: str, params: AnalysisParameters, suffix: str = ".html") -> str:
    """The report route's URL for *patient_id* (percent-encoded, ``/`` included) under *params*.

    >>> report_href("P 1/a#b", AnalysisParameters(plasma_amplification_cn=2.6))
    '/_her2/report/P%201%2Fa%23b.html?cutoff=2.6'
    """
    query = params_to_query(params)
    return f"{REPORT_PREFIX}{quote(str(patient_id), safe='')}{suffix}" + ("?" + urlencode(query) if query else "")


def cached_report_page(service: AnalysisService, patient_id: str, params: AnalysisParameters) -> ReportPage:
    """The patient's report page under *params*, rendered once and cached like any view."""
    return service.view("patient-report-page", params, lambda: report_page(build_report(
        service.study, patient_id, params, load_knowledge_base(service.knowledge_base_path(params)),
        patient=service.patient(patient_id, params), content_hash=service.study_hash())), patient_id)


ERROR_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - HER2 liquid biopsy</title></head>
<body style="font-family: system-ui, sans-serif; margin: 10vh auto; max-width: 36rem;">
<h1 style="font-size: 1.3rem;">{title}</h1><p>{message}</p><p><a href="/">Back to the dashboard</a></p>
</body></html>
"""


def error_page(status: int, title: str, message: str) -> Response:
    """A short HTML page (escaped; nothing from the request is echoed)."""
    body = ERROR_PAGE.format(title=html.escape(title), message=html.escape(message))
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def serve_report(name: str) -> Response:
    """The Flask view of ``/_her2/report/<name>``: *name* is the patient id (decoded) and the suffix."""
    suffix = next((s for s in FORMATS if name.endswith(s)), None)
    if suffix is None or name == suffix:
        return error_page(404, "No such report",
                          "A report address ends in the patient id and .html or .pdf.")
    patient_id = name[: -len(suffix)]
    service = get_analysis_service()
    query = {key: value for key, value in request.args.items() if key in URL_KEYS}
    parsed = params_from_query(query, service.knowledge_bases())
    if parsed.problems:
        wrong = ", ".join(sorted({problem.split("=", 1)[0].removeprefix("URL parameter ")
                                  for problem in parsed.problems}))
        return error_page(400, "Bad report parameters",
                          f"The report was not made: the value of {wrong} in its address is not valid. "
                          "Open the report from the patient page again.")
    if patient_id not in set(service.patient_ids()):
        return error_page(404, "Patient not found",
                          f"The study {service.study.meta.study_id} has no patient with the id in this address.")
    try:
        page = cached_report_page(service, patient_id, parsed.params).stamped(datetime.now(UTC))
        if suffix == ".html":
            body: bytes = page.encode("utf-8")
        else:
            body = page_to_pdf(page)
    except ReportError as exc:
        return error_page(503, "The report could not be made", str(exc))
    response = Response(body, status=200, mimetype=FORMATS[suffix].split(";")[0])
    if suffix == ".html":
        response.headers["Content-Type"] = FORMATS[suffix]
    # RFC 6266: the file name is ASCII-only (report_file_name), so the plain form is enough.
    response.headers["Content-Disposition"] = f'attachment; filename="{report_file_name(patient_id, suffix)}"'
    response.headers["Cache-Control"] = "no-store"
    audit.record_report(patient_id, suffix.removeprefix("."))
    return response


def add_report_route(app) -> None:
    """Register :func:`serve_report` on *app*'s Flask server (ids may hold ``//``: slashes are not merged)."""
    app.server.add_url_rule(REPORT_PREFIX + "<path:name>", "her2_report", serve_report, methods=["GET"],
                            merge_slashes=False)
