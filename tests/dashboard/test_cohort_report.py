"""The researcher's (cohort) report: its findings, figures, methods and provenance, HTML escaping, the command
line, and the PDF on A4 and Letter with no table row split across pages."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from dataclasses import replace

import pytest

from analysis.cli import main
from analysis.cohort import analyse_cohort
from analysis.findings import cohort_findings
from analysis.io.cbioportal import read_study
from analysis.study import StudyMeta
from dashboard.report import (
    ReportError,
    build_cohort_report,
    cohort_report_file_name,
    render_cohort_html,
    write_cohort_report,
)
from dashboard.report.cohort import findings_frame
from dashboard.views import resistance as resistance_views
from dashboard.views import response as response_views
from tests.conftest import PROJECT_ROOT, make_tiny_study
from tests.dashboard.test_report import _pdf_pages, _words


@pytest.fixture(scope="module")
def demo(demo_study_dir):
    study = read_study(demo_study_dir)
    cohort = analyse_cohort(study)
    return study, cohort, build_cohort_report(study, cohort=cohort)


def test_report_holds_every_finding_with_its_page_values(demo):
    study, cohort, report = demo
    page = render_cohort_html(report)
    assert [f.key for f in report.findings] == [f.key for f in cohort_findings(cohort)]
    for finding in report.findings:
        assert f'id="finding-{finding.key}"' in page
        assert html.escape(finding.statement, quote=True) in page
        assert html.escape(finding.value, quote=True) in page
        if finding.caution:
            assert html.escape(finding.caution, quote=True) in page
    # The headline numbers, as the pages show them (computed here from the pages' view models).
    response_cards = {label: value for value, label, _ in response_views.headline_facts(cohort.response)}
    assert f"<td class=\"col-value\">{response_cards['AUC for progression: plasma HER2 CN change']}</td>" in page
    assert f"<td class=\"col-value\">{response_cards['AUC for progression: CEA change']}</td>" in page
    assert html.escape(f"{resistance_views.headline(cohort.resistance)['value']}") in page
    assert f"{len(cohort.concordance.pairs)} patients with paired baseline plasma and tissue" in page
    assert "AUC 0.821" in page and "AUC 0.449" in page  # exact estimates, 3 significant digits
    assert "&lt; 0.001 (5.08e-06)" in page
    # Figures of the Response and Survival pages, then methods and provenance.
    for figure_id in ("figure-roc", "figure-her2-slope", "figure-km-mechanism_count", "figure-km-baseline_mutation"):
        assert f'id="{figure_id}"' in page
    assert page.count("plotly.js v") >= 1 and page.count('<script src="http') == 0
    assert page.index('id="findings"') < page.index('id="agreement"') < page.index('id="pfs"') \
        < page.index('id="methods"') < page.index('id="provenance"')
    assert all(sha in page for sha in study.provenance["sha256"])
    assert "For research use; not a diagnostic report." in page
    assert f"software version {report.software_version}" in page
    kb_version = report.knowledge_base.set_index("field").loc["Version", "value"]
    assert f"knowledge base version {kb_version}" in page
    assert "Plasma ERBB2 amplification cutoff" in page  # the parameters in force


def test_findings_table_has_n_ci_test_and_p(demo):
    _, _, report = demo
    table = findings_frame(report.findings).set_index("topic")
    share = table.loc["Progressors with a known resistance mechanism"]
    assert (share["value"], share["n"], share["ci_text"], share["exact"]) == \
        ("76.5% (13/17)", "17 progressors", report.finding("mechanism_share").ci_text, "share 0.765")
    delong = table.loc["Plasma HER2 CN vs CEA: DeLong test"]
    assert delong["p"] == "< 0.001 (5.08e-06)" and delong["test"].startswith("DeLong")
    assert table.loc["PFS by number of resistance mechanisms", "page_name"] == "Survival"


def test_everything_from_the_study_is_escaped():
    tiny = make_tiny_study()
    study = replace(tiny, meta=StudyMeta(study_id="s<script>", name="<img src=x>"))
    page = render_cohort_html(build_cohort_report(study))
    # The markup outside the report's own scripts (plotly.js and the figures): no tag from the study.
    body = re.sub(r"<script[^>]*>.*?</script>", "", page.split("</style>")[-1], flags=re.S)
    assert "<img" not in body and "<script" not in body
    assert "&lt;img src=x&gt;" in body and "s&lt;script&gt;" in body
    footer = re.search(r"@bottom-left \{ content: (\"[^\"]*\")", page).group(1)
    assert "<" not in footer and "&" not in footer


def test_errors_name_the_problem(demo, tmp_path):
    study, _, report = demo
    with pytest.raises(ReportError, match="ending in .html or .pdf"):
        write_cohort_report(study, tmp_path / "report.docx")
    with pytest.raises(ReportError, match="paper size 'a5'"):
        render_cohort_html(report, "a5")
    empty = replace(make_tiny_study(), patients=make_tiny_study().patients.iloc[0:0])
    with pytest.raises(ReportError, match="no patients"):
        build_cohort_report(empty)
    assert cohort_report_file_name("a b/c", ".pdf") == "cohort-report-a_b_c.pdf"


def test_command_line_cohort_report(demo, demo_study_dir, tmp_path, capsys):
    _, _, report = demo
    out = tmp_path / "cohort.html"
    assert main(["report", "--study", str(demo_study_dir), "--cohort", "--out", str(out)]) == 0
    assert "researcher's report of study" in capsys.readouterr().out
    page = out.read_text()
    for finding in report.findings:
        assert html.escape(finding.statement, quote=True) in page
    assert main(["report", "--study", str(demo_study_dir), "--cohort", "--out", str(tmp_path / "x.txt")]) == 2
    assert "ending in .html or .pdf" in capsys.readouterr().err


def test_cohort_report_never_imports_dash(demo_study_dir, tmp_path):
    out = tmp_path / "r.html"
    code = ("import sys\nfrom analysis.cli import main\n"
            f"assert main(['report', '--study', {str(demo_study_dir)!r}, '--cohort', '--out', {str(out)!r}]) == 0\n"
            "loaded = sorted(m for m in sys.modules if m == 'dash' or m.startswith('dash.'))\n"
            "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 1_000_000  # plotly.js is inside


@pytest.mark.parametrize("paper, size", [("a4", r"59[45][.0-9]* x 841[.0-9]*"), ("letter", "612 x 792")])
@pytest.mark.needs_tool("chromium")
@pytest.mark.needs_tool("pdftotext")
def test_pdf_has_the_findings_and_no_row_is_split(demo, demo_study_dir, tmp_path, paper, size):
    study, _, report = demo
    pdf = tmp_path / f"cohort-{paper}.pdf"
    assert main(["report", "--study", str(demo_study_dir), "--cohort", "--out", str(pdf), "--paper", paper]) == 0
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(rf"Page size:\s+{size} pts", info), info
    pages = _pdf_pages(pdf)
    flat = " ".join("\n".join(pages).split())
    assert "For research use; not a diagnostic report." in flat
    assert all(f"Cohort report, study {study.meta.study_id}" in " ".join(page.split()) for page in pages)
    for finding in report.findings:
        # Each finding's statement is printed whole on one page (it never breaks across pages).
        words = _words(finding.statement)
        assert [i for i, page in enumerate(pages) if words <= _words(page)], finding.key
    # Every row of the findings table has all its words on one page.
    for row in findings_frame(report.findings).itertuples(index=False):
        words = _words(" ".join(str(v) for v in row))
        assert [i for i, page in enumerate(pages) if words <= _words(page)], row
    # Every file of the provenance table with its checksum on one page (the checksum wraps inside its cell).
    for row in report.provenance.itertuples(index=False):
        assert any(row.file in page and row.sha256[:20] in "".join(page.split())
                   and row.sha256[-20:] in "".join(page.split()) for page in pages), row.file
