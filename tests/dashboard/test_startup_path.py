"""Start-up of the production app: what a first page does not need is neither imported nor computed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from analysis.io.cbioportal import write_study
from tests.conftest import PROJECT_ROOT, make_tiny_study

#: Imported only when a cohort page needs them (and by each worker in the background, after its start).
HEAVY = ("scipy.stats", "lifelines", "statsmodels", "celery")

PROBE = """
import json, sys
import analysis.study
hashed = []
original = analysis.study.Study.__dict__["content_hash"].func
def counting(self):
    hashed.append(1)
    return original(self)
analysis.study.Study.content_hash = __import__("functools").cached_property(counting)
analysis.study.Study.content_hash.__set_name__(analysis.study.Study, "content_hash")
import dashboard.wsgi
from dashboard.analysis_service import get_analysis_service
get_analysis_service().study_hash()
print(json.dumps({"modules": [m for m in sys.argv[1:] if m in sys.modules], "hashed": len(hashed)}))
"""


def _start(study, cache) -> dict:
    env = {**os.environ, "HER2DASH_STUDY": str(study), "HER2DASH_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", PROBE, *HEAVY], cwd=PROJECT_ROOT, env=env, capture_output=True,
                         text=True, timeout=300, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_the_app_starts_without_the_statistics_libraries_and_from_a_snapshot_without_hashing(tmp_path):
    study = tmp_path / "study"
    write_study(make_tiny_study(), study)
    first = _start(study, tmp_path / "cache")  # from text: parsed, hashed, snapshotted
    assert first["modules"] == []
    assert first["hashed"] == 1
    again = _start(study, tmp_path / "cache")  # from the snapshot: the stored hash is used
    assert again["modules"] == []
    assert again["hashed"] == 0


def test_a_worker_imports_them_in_the_background_once_started():
    code = ("import sys\nfrom dashboard.production import warm_up_later\n"
            "assert 'scipy.stats' not in sys.modules\n"
            "warm_up_later(delay=0.0).join(120)\n"
            "print(all(m in sys.modules for m in ('scipy.stats', 'lifelines')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                         timeout=300, check=True).stdout
    assert out.strip().splitlines()[-1] == "True"
