"""Shared fixtures: a tiny study built in code with known content."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from analysis.study import Study, StudyMeta

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


def make_tiny_study() -> Study:
    """Two patients, one followed with three plasma draws; every table non-empty."""
    patients = pd.DataFrame({
        "patient_id": ["P1", "P2"],
        "her2_status": ["POSITIVE", "NEGATIVE"],
        "her2_ihc": ["3+", "1+"],
        "her2_fish_ratio": [4.5, 1.1],
        "pfs_months": [5.5, 12.0],
        "pfs_event": [True, False],
        "os_months": [11.0, 20.5],
        "os_event": [True, False],
        "age": [61.0, 70.0],
        "lauren": ["intestinal", "diffuse"],
    })
    samples = pd.DataFrame({
        "sample_id": ["P1-T", "P1-B0", "P1-D1", "P1-D2", "P2-T", "P2-B0"],
        "patient_id": ["P1", "P1", "P1", "P1", "P2", "P2"],
        "sample_type": ["tissue", "plasma", "plasma", "plasma", "tissue", "plasma"],
        "collection_day": [-20.0, -3.0, 42.0, 167.0, -30.0, -1.0],
        "timepoint": ["BASELINE", "BASELINE", "ON_TREATMENT", "PROGRESSION", "BASELINE", "BASELINE"],
    })
    variants = pd.DataFrame({
        "sample_id": ["P1-T", "P1-B0", "P1-D2", "P2-T"],
        "gene": ["TP53", "TP53", "PIK3CA", "KRAS"],
        "chromosome": ["17", "17", "3", "12"],
        "start_position": [7578406, 7578406, 178952085, 25398284],
        "reference_allele": ["C", "C", "A", "C"],
        "tumor_seq_allele": ["T", "T", "G", "T"],
        "variant_classification": ["Missense_Mutation"] * 4,
        "protein_change": ["R175H", "R175H", "H1047R", "G12D"],
        "t_ref_count": [300, 2700, 1900, 400],
        "t_alt_count": [100, 300, 100, 100],
        "depth": [400, 3000, 2000, 500],
        "vaf": [0.25, 0.1, 0.05, 0.2],
    })
    copy_number = pd.DataFrame({
        "sample_id": ["P1-T", "P1-B0", "P1-D1", "P1-D2", "P2-T", "P2-B0"],
        "gene": ["ERBB2"] * 6,
        "copy_number": [12.0, 4.0, 2.5, 3.0, 2.0, 2.0],
        "log2_ratio": [2.584962500721156, 1.0, 0.32192809488736235, 0.5849625007211562, 0.0, 0.0],
        "cna_discrete": [2, 2, 1, 1, 0, 0],
    })
    timeline = pd.DataFrame({
        "patient_id": ["P1", "P1", "P1", "P1", "P1", "P1", "P1", "P1"],
        "start_day": [0.0, -3.0, 40.0, 165.0, 167.0, -3.0, 42.0, 167.0],
        "stop_day": [167.0] + [None] * 7,
        "event_type": ["TREATMENT", "IMAGING", "IMAGING", "IMAGING", "STATUS", "LAB_TEST", "LAB_TEST",
                       "SPECIMEN"],
        "agent": ["Trastuzumab"] + [None] * 7,
        "test": [None] * 5 + ["CEA", "CEA", None],
        "result": [None] * 5 + [12.5, 6.0, None],
        "unit": [None] * 5 + ["ng/mL", "ng/mL", None],
        "target_lesion_sum_mm": [None, 80.0, 50.0, 65.0, None, None, None, None],
        "recist_response": [None, None, "PR", "PD", None, None, None, None],
        "status": [None] * 4 + ["PROGRESSION", None, None, None],
        "sample_id": [None] * 7 + ["P1-D2"],
    })
    return Study.from_tables(patients=patients, samples=samples, variants=variants, copy_number=copy_number,
                             timeline=timeline, meta=StudyMeta(study_id="tiny", name="Tiny study"))


@pytest.fixture
def tiny_study() -> Study:
    return make_tiny_study()


@pytest.fixture
def tiny_study_dir(tmp_path: Path, tiny_study: Study) -> Path:
    from analysis.io.cbioportal import write_study

    return write_study(tiny_study, tmp_path / "tiny")


@pytest.fixture(scope="session")
def demo_study_dir(tmp_path_factory) -> Path:
    """The demo cohort written by its generator into a temporary folder (seed 2019, 78 patients)."""
    from analysis.demo.generator import write_demo

    out = tmp_path_factory.mktemp("demo") / "demo"
    write_demo(out, out.parent / "demo.truth.json", n_patients=78, seed=2019)
    return out


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tools a test needs: skip naming the package on a developer's machine, fail under make test / CI."""
    from tests.system_tools import BROWSER_TOOLS, missing_tool_message, tools_required

    commands = [arg for mark in item.iter_markers("needs_tool") for arg in mark.args]
    if "dash_duo" in getattr(item, "fixturenames", ()):
        commands.extend(BROWSER_TOOLS)
    problems = [message for command in commands if (message := missing_tool_message(command))]
    if problems:
        (pytest.fail if tools_required() else pytest.skip)("; ".join(problems))


#: Modules whose tests each take tens of seconds without a browser (every demo patient, analysed twice).
LONG_MODULES = ("test_patient_from_cohort.py", "test_answers.py", "test_status_words.py", "test_patient_figure.py")


def _long_first(item: pytest.Item) -> int:
    """0 for browser tests (5-110 s each), 1 for the long analysis modules, 2 for the rest."""
    if "dash_duo" in getattr(item, "fixturenames", ()) or item.get_closest_marker("browser"):
        return 0
    return 1 if item.path.name in LONG_MODULES else 2


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long tests first (a stable sort: the order within each group is kept), so that pytest-xdist hands
    them out first and the workers finish together on short tests, instead of one worker running a
    100-second browser test after the others are done."""
    items.sort(key=_long_first)


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker starts its dash_duo servers on its own block of ports.

    dash.testing numbers servers from 58050 in every process; two workers would both bind 58050.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and worker[2:].isdigit():
        from dash.testing.application_runners import BaseDashRunner

        BaseDashRunner._next_port = 58050 + 500 * (int(worker[2:]) + 1)
