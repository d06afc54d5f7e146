"""The tumour-board report as a plain download: GET /_her2/report/<patient id>.html|.pdf (dashboard.report_route)."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import pytest

from analysis.params import AnalysisParameters
from dashboard import ids
from dashboard.analysis_cache import cache_key
from dashboard.analysis_service import get_analysis_service
from dashboard.callbacks.patient import fill_patient
from dashboard.report_route import report_href
from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.test_hostile_ids import HOSTILE, hostile_study_dir


@pytest.fixture
def demo_app(demo_study_dir, tmp_path):
    return create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))


@pytest.fixture(scope="module")
def hostile_app(demo_study_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-route")
    return create_app(Settings(study=hostile_study_dir(demo_study_dir, folder / "study"), cache_dir=folder / "cache"))


def test_html_report_is_an_attachment_with_todays_file_name_and_the_page_headers(demo_app):
    client = demo_app.server.test_client()
    response = client.get("/_her2/report/P009.html")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="tumour-board-P009.html"'
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert header in response.headers
    page = response.get_data(as_text=True)
    assert "Tumour-board report: patient P009" in page and 'id="report-timeline"' in page
    assert "Plotly" in page  # the stored page got its plotly.js back at serving


def test_the_query_string_gives_the_reports_parameters(demo_app):
    client = demo_app.server.test_client()
    default = client.get("/_her2/report/P009.html").get_data(as_text=True)
    changed = client.get("/_her2/report/P009.html?cutoff=3.1").get_data(as_text=True)
    assert "3.1" in changed and changed.count("3.1") > default.count("3.1")
    # Served from the report-page cache under the parameters' key; a second download renders nothing.
    service = get_analysis_service()
    params = AnalysisParameters(plasma_amplification_cn=3.1)
    assert service.cache.contains(cache_key("view-patient-report-page", service.study_hash(), params,
                                            service._kb_fingerprint(params), "P009"))


def test_a_second_download_is_served_from_the_cache_and_dated_anew(demo_app, monkeypatch):
    client = demo_app.server.test_client()
    first = client.get("/_her2/report/P009.html").get_data(as_text=True)

    def no_rendering(*_args, **_kwargs):
        raise AssertionError("the report was rendered again")

    monkeypatch.setattr("dashboard.report_route.build_report", no_rendering)
    monkeypatch.setattr("dashboard.report_route.report_page", no_rendering)
    second = client.get("/_her2/report/P009.html").get_data(as_text=True)
    assert len(second) == len(first) and "generated-at-" not in second


@pytest.mark.parametrize("path, status", [
    ("/_her2/report/NOBODY.html", 404),
    ("/_her2/report/P009.docx", 404),
    ("/_her2/report/.html", 404),
    ("/_her2/report/P009.html?cutoff=lots", 400),
    ("/_her2/report/P009.html?cutoff=-1", 400),
    ("/_her2/report/P009.html?baseline=9,1", 400),
    ("/_her2/report/P009.html?kb=/etc/passwd", 400),
    ("/_her2/report/P009.pdf?kb=study:nothing.tsv", 400),
])
def test_unknown_patient_or_bad_parameter_is_a_clear_page_not_a_traceback(demo_app, path, status, caplog):
    client = demo_app.server.test_client()
    with caplog.at_level(logging.DEBUG):
        response = client.get(path)
    assert response.status_code == status
    assert response.mimetype == "text/html" and "Content-Disposition" not in response.headers
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "<h1" in text
    assert "NOBODY" not in text and "passwd" not in text and "lots" not in text  # nothing echoed
    assert "P009" not in caplog.text and "NOBODY" not in caplog.text


@pytest.mark.needs_tool("chromium")
def test_pdf_report(demo_app):
    response = demo_app.server.test_client().get("/_her2/report/P009.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == 'attachment; filename="tumour-board-P009.pdf"'
    assert response.mimetype == "application/pdf"


def test_the_old_callback_is_gone(demo_app):
    dependencies = json.loads(demo_app.server.test_client().get("/_dash-dependencies").get_data())
    assert not any("patient-report-download" in d["output"] for d in dependencies)
    assert not any(inp["id"] in (ids.PATIENT_REPORT_HTML, ids.PATIENT_REPORT_PDF)
                   for d in dependencies for inp in d["inputs"])


def test_patient_page_sets_the_links_to_the_route_under_the_parameters_in_force(demo_app):
    with demo_app.server.test_request_context():
        out = fill_patient({"cutoff": "2.6"}, "P009", None)
    assert out[-2:] == ("/_her2/report/P009.html?cutoff=2.6", "/_her2/report/P009.pdf?cutoff=2.6")


@pytest.mark.parametrize("pid", [HOSTILE["P009"], HOSTILE["P043"], HOSTILE["P067"]])
def test_hostile_ids_reach_their_own_report(hostile_app, pid):
    href = report_href(pid, AnalysisParameters())
    assert href == f"/_her2/report/{quote(pid, safe='')}.html"
    response = hostile_app.server.test_client().get(href)
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="tumour-board-') and disposition.count('"') == 2
    assert "<" not in disposition and "/" not in disposition.split("filename=")[1]
    page = response.get_data(as_text=True)
    from html import escape
    assert f"Tumour-board report: patient {escape(pid)}" in page
