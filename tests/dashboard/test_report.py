"""The tumour-board report: content, HTML escaping, the command line, the PDF and its page breaks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.answers import patient_answers
from analysis.cli import main
from analysis.io.cbioportal import read_study
from analysis.patient import analyse_patient
from analysis.resistance import load_knowledge_base
from analysis.study import Study
from dashboard.report import ReportError, build_report, html_to_pdf, render_html, write_report
from dashboard.report.html import FIGURE_ID, PRINT_CSS
from tests.conftest import PROJECT_ROOT, make_tiny_study


@pytest.fixture(scope="module")
def demo(demo_study_dir):
    study = read_study(demo_study_dir)
    truth = json.loads((demo_study_dir.parent / "demo.truth.json").read_text())["patients"]
    return study, truth


def acquired_with_lead(truth: dict) -> str:
    """A planted acquired-resistance patient with two mechanisms, one new at progression, and a lead."""
    return next(pid for pid, p in sorted(truth.items())
                if p["resistance_class"] == "acquired" and p["molecular_lead_draw_day"] is not None
                and len(p["mechanisms"]) == 2 and any(m["status"] == "new at progression" for m in p["mechanisms"])
                and p["mechanisms"][0]["type"] == "mutation" and p["mechanisms"][1]["type"] == "mutation")


@pytest.fixture(scope="module")
def demo_report(demo):
    study, truth = demo
    pid = acquired_with_lead(truth)
    return pid, build_report(study, pid), study, truth


def _escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_html_report_holds_every_part(demo_report):
    pid, report, study, truth = demo_report
    page = render_html(report)
    answers = patient_answers(analyse_patient(study, pid))
    assert report.answers == answers
    for sentence in answers.sentences:
        assert _escaped(sentence) in page
    # The answers come before the figure, the figure before the evidence.
    assert page.index('id="answer-her2"') < page.index(f'id="{FIGURE_ID}"') < page.index('class="evidence"')
    # plotly.js is inline: no script or stylesheet is fetched from anywhere.
    assert "Plotly.newPlot" in page and len(page) > 3_000_000
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import", page)
    for mechanism in truth[pid]["mechanisms"]:
        assert f"<td class=\"col-gene\">{mechanism['gene']}</td>" in page
        assert f"<td class=\"col-alteration\">{mechanism['alteration']}</td>" in page
    evidence = report.evidence
    assert len(evidence) == len(truth[pid]["mechanisms"])
    for citation in evidence["citation"]:
        assert _escaped(citation) in page
    for status in evidence["status"]:
        assert f'<td class="col-status">{status}</td>' in page
    for sha in study.provenance["sha256"]:
        assert sha in page
    assert study.content_hash in page
    kb = load_knowledge_base()
    assert kb.sha256 in page and f"knowledge base version {kb.version}" in page
    assert "For research use; not a diagnostic report." in page
    assert "Lowest tumour fraction for purity adjustment" in page  # the parameters in force
    # Every draw has its own alteration table.
    for sample_id in analyse_patient(study, pid).samples["sample_id"]:
        assert f"<h3>{sample_id} - " in page
    assert "size: A4" in page and "size: letter" in render_html(report, "letter")


def test_everything_from_the_study_or_knowledge_base_is_escaped(tmp_path):
    tiny = make_tiny_study()
    hostile = "P<b>1</b>&"
    patients = tiny.patients.replace({"patient_id": {"P1": hostile}})
    samples = tiny.samples.replace({"patient_id": {"P1": hostile}, "sample_id": {"P1-D2": "P1-D2<i>"}})
    variants = tiny.variants.replace({"sample_id": {"P1-D2": "P1-D2<i>"}})
    copy_number = tiny.copy_number.replace({"sample_id": {"P1-D2": "P1-D2<i>"}})
    timeline = tiny.timeline.replace({"patient_id": {"P1": hostile}, "sample_id": {"P1-D2": "P1-D2<i>"}})
    from analysis.study import StudyMeta

    study = Study.from_tables(patients=patients, samples=samples, variants=variants, copy_number=copy_number,
                              timeline=timeline, meta=StudyMeta(study_id="s<script>", name="<img src=x>"))
    kb_text = (PROJECT_ROOT / "data" / "resistance_kb.tsv").read_text().replace(
        "Berns K et al. Cancer Cell 2007", "<script>alert('kb')</script> Berns K")
    kb_file = tmp_path / "kb.tsv"
    kb_file.write_text(kb_text)
    kb = load_knowledge_base(kb_file)
    page = render_html(build_report(study, hostile, knowledge_base=kb))
    body = page.split("</style>")[-1]
    # The only tags are the report's own: none of the study's or knowledge base's text became markup.
    assert "<b>1</b>" not in body and "<i>" not in body and "<img" not in body
    assert "<script>alert" not in body and "&lt;script&gt;alert(&#x27;kb&#x27;)&lt;/script&gt;" in body
    assert "P&lt;b&gt;1&lt;/b&gt;&amp;" in body
    # The page footer names the patient in CSS: escaped there too (no quote or angle bracket left raw).
    footer = re.search(r"@bottom-left \{ content: (\"[^\"]*\")", page).group(1)
    assert "<" not in footer and "&" not in footer


def test_unknown_patient_and_wrong_suffix(demo, tmp_path):
    study, _ = demo
    with pytest.raises(ReportError, match="no patient 'NOBODY'"):
        build_report(study, "NOBODY")
    with pytest.raises(ReportError, match="ending in .html or .pdf"):
        write_report(study, "P001", tmp_path / "report.docx")


def test_report_never_imports_dash(demo_study_dir, tmp_path):
    """The analysis-side report uses the dashboard's Dash-free figure and table builders only."""
    out = tmp_path / "r.html"
    code = ("import sys\nfrom analysis.io.cbioportal import read_study\nfrom dashboard.report import write_report\n"
            f"write_report(read_study({str(demo_study_dir)!r}), 'P009', {str(out)!r})\n"
            "loaded = sorted(m for m in sys.modules if m == 'dash' or m.startswith('dash.'))\n"
            "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 1_000_000


def test_command_line_one_patient_and_all_followed(demo, demo_study_dir, tmp_path, capsys):
    study, truth = demo
    pid = acquired_with_lead(truth)
    out = tmp_path / "one.html"
    assert main(["report", "--study", str(demo_study_dir), "--patient", pid, "--out", str(out)]) == 0
    assert f"id=\"answer-her2\">{_escaped(patient_answers(analyse_patient(study, pid)).her2_trajectory)}" \
        in out.read_text()
    folder = tmp_path / "all"
    assert main(["report", "--study", str(demo_study_dir), "--all", "--out", str(folder)]) == 0
    followed = sorted(pid for pid, p in truth.items() if p["followed"])
    assert sorted(p.name for p in folder.iterdir()) == [f"tumour-board-{pid}.html" for pid in followed]
    assert "24 report(s) of followed patients" in capsys.readouterr().out
    assert main(["report", "--study", str(demo_study_dir), "--patient", "NOBODY", "--out", str(out)]) == 2
    assert "no patient 'NOBODY'" in capsys.readouterr().err
    assert main(["report", "--study", str(demo_study_dir), "--all", "--out", str(out)]) == 2


def _pdf_pages(pdf: Path) -> list[str]:
    """Text of each page (pdftotext -layout, one call per page)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    n_pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout for i in range(1, n_pages + 1)]


def _words(text: str) -> set[str]:
    """Alphanumeric runs: a cell wraps inside a citation at spaces and hyphens ("1152-" / "1161")."""
    return set(re.findall(r"[A-Za-z0-9]+", text))


@pytest.mark.parametrize("paper, size", [("a4", r"59[45][.0-9]* x 841[.0-9]*"), ("letter", "612 x 792")])
@pytest.mark.needs_tool("chromium")
@pytest.mark.needs_tool("pdftotext")
def test_pdf_holds_patient_mechanism_and_citations_and_no_row_is_split(demo, tmp_path, paper, size):
    study, truth = demo
    pid = acquired_with_lead(truth)
    pdf = write_report(study, pid, tmp_path / f"{pid}.pdf", paper=paper)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(rf"Page size:\s+{size} pts", info), info
    pages = _pdf_pages(pdf)
    text = "\n".join(pages)
    flat = " ".join(text.split())
    assert f"Tumour-board report: patient {pid}" in flat
    assert "For research use; not a diagnostic report." in flat
    report = build_report(study, pid)
    assert " ".join(report.answers.mechanism.split()[:6]) in flat
    for row in report.evidence.itertuples(index=False):
        assert row.pathway in flat
        # Every word of the row (gene, alteration, sample, status, citation) on one and the same page.
        words = _words(" ".join(str(v) for v in (row.gene, row.alteration, row.sample_id, row.status, row.citation)))
        holding = [i for i, page in enumerate(pages) if words <= _words(page)]
        assert holding, (row.citation, "not found whole on any page")
    # The footer on every page names the patient.
    assert all(f"Patient {pid}" in page for page in pages)


@pytest.mark.needs_tool("chromium")
@pytest.mark.needs_tool("pdftotext")
def test_print_stylesheet_keeps_table_rows_whole_across_pages(tmp_path):
    """A table of tall rows over several pages: each row's first and last line on the same page."""
    # Rows of 3 to 13 lines, so that page ends do not fall between rows by chance.
    rows = "".join(f"<tr><td>ROW{i}TOP<br>{'<br>'.join(['line'] * (3 + i * 7 % 11))}<br>ROW{i}END</td>"
                   f"<td>cell {i}</td></tr>" for i in range(40))
    page = tmp_path / "rows.html"
    page.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{PRINT_CSS.read_text()}</style>"
                    f"<style>@page {{ size: A4; }}</style></head><body><table><thead><tr><th>Row</th><th>Cell</th>"
                    f"</tr></thead><tbody>{rows}</tbody></table></body></html>")
    pages = _pdf_pages(html_to_pdf(page, tmp_path / "rows.pdf"))
    assert len(pages) >= 3, "the table must run over pages for the test to mean anything"
    for i in range(40):
        top = [n for n, text in enumerate(pages) if f"ROW{i}TOP" in text.split()]
        end = [n for n, text in enumerate(pages) if f"ROW{i}END" in text.split()]
        assert top == end and len(top) == 1, (i, top, end)
    # The header row is repeated on every page.
    assert all("Row" in text.split() for text in pages)


def test_low_tumour_fraction_patient_report_says_why(tmp_path):
    from tests.analysis.test_answers import _low_fraction_study

    page = render_html(build_report(_low_fraction_study(), "P1"))
    assert "cannot be described: the tumour fraction is below 2%" in page


def test_a_stored_report_page_stamped_at_serving_is_the_report_rendered_then(demo_report):
    """The server renders each report once (:func:`report_page`) and dates every download: the stamped page
    is byte for byte the report rendered at that time, and the stored page holds neither date nor plotly.js."""
    from datetime import UTC, datetime

    from dashboard.report import report_page

    pid, report, study, _ = demo_report
    stored = report_page(report)
    for when in (datetime(2026, 12, 7, 6, 41, tzinfo=UTC), datetime(2031, 1, 2, 23, 5, tzinfo=UTC)):
        dated = build_report(study, pid, generated_at=when)
        assert stored.stamped(when) == render_html(dated)
    assert "2026-12-07 06:41 UTC" in stored.stamped(datetime(2026, 12, 7, 6, 41, tzinfo=UTC))
    assert "UTC" not in stored.page.split("generated", 2)[1][:40]  # the date is a marker until served
    assert len(stored.page) < 200_000 < len(stored.stamped(datetime(2026, 12, 7, tzinfo=UTC)))
