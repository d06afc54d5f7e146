"""Clinical words, not codes: no internal code or raw non-number reaches a reader on any page.

Each page of the demo study is opened in headless Chromium (``tests/dashboard/test_page_walk.py``, one walk
for this and the other per-page checks); its visible text and every text drawn
in its figures (SVG: axis ticks, legends, annotations) is scanned for the codes the analysis uses
internally (pathway codes, timepoints, column names), for raw non-numbers ("nan", "inf", "None") and
for programmers' comparison signs.  File names and study ids (``data_mutations.txt``,
``stad_her2_ctdna_demo``) and the parameter names the command line takes are data, not codes, and
are allowed in the cells that show them.
"""

from __future__ import annotations

import re

from analysis.resistance import PATHWAYS

PAGES = ["/", "/cohort", "/patient/P033", "/patient/P009", "/patient/P001", "/concordance", "/response",
         "/resistance", "/survival", "/data"]

#: Codes with an underscore that name a pathway, a timepoint or a column, and the clinical file's HER2 status
#: codes; pathways without one ("PI3K", "MAPK") are the gene-family names readers use themselves.
CODES = sorted({p for p in PATHWAYS if "_" in p} | {"ON_TREATMENT", "BASELINE", "PROGRESSION", "POSITIVE", "NEGATIVE",
                                                    "her2_status", "lauren", "ecog", "pfs_months", "resistance_class",
                                                    "n_mechanisms", "patient_id", "sample_id"})
CODE_PATTERN = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, CODES)) + r")(?![\w.])")
NON_NUMBERS = re.compile(r"(?<![\w.])(nan|NaN|inf|-inf|Infinity|None|null|undefined)(?![\w.])")
SIGNS = re.compile(r">=|<=|!=")
BAD_PLURAL = re.compile(r"(?<![\d.,])1 (resistance mechanisms|mechanisms|patients|draws|samples|progressions)\b")
#: Lines that show a file name, a parameter's command-line name, a study id or a checksum: data.
DATA_LINE = re.compile(r"\.(txt|tsv|csv|maf|vcf|seg|bed)\b|_days\b|_cn\b|_months\b|_fraction\b|_adjustment\b|"
                       r"knowledge_base\b|_vaf\b|[0-9a-f]{40,}|stad_")

TEXT_JS = "return document.body.innerText;"
SVG_JS = "return Array.from(document.querySelectorAll('svg text')).map(t => t.textContent).join('\\n');"


def findings(text: str) -> list[str]:
    """Every code or raw non-number in *text*, with the line it is on."""
    found = []
    for line in text.splitlines():
        if DATA_LINE.search(line):
            continue
        for pattern in (CODE_PATTERN, NON_NUMBERS, SIGNS, BAD_PLURAL):
            found += [f"{m.group(0)!r} in: {line.strip()[:120]}" for m in pattern.finditer(line)]
    return found


def test_the_scan_finds_what_it_looks_for():
    assert findings("HER_FAMILY: ERBB4") and findings("plasma\tON_TREATMENT\t56") and findings("OR nan (inf-inf)")
    assert findings("cutoff >= 2.4") and findings("1 resistance mechanisms")
    assert not findings("HER family: ERBB4\nOn treatment\nOR 1.12 (0.158-7.99)\n\u2265 1 (any)\n11 patients")
    assert not findings("data_clinical_patient.txt\t7959\tbaseline_window_days")
