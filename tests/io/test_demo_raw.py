"""Demo raw files: deterministic, small, fast."""

from __future__ import annotations

import time

from analysis.demo.raw import main
from tests.io.conftest import folder_fingerprint


def test_deterministic_small_and_fast(tmp_path):
    start = time.perf_counter()
    assert main(["--out", str(tmp_path / "a")]) == 0
    elapsed = time.perf_counter() - start
    main(["--out", str(tmp_path / "b")])
    first, second = folder_fingerprint(tmp_path / "a"), folder_fingerprint(tmp_path / "b")
    assert first == second
    assert elapsed < 20
    total = sum(p.stat().st_size for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert total < 10_000_000
    assert {"samples.tsv", "patients.tsv", "panel.bed", "truth.json"} <= set(first)
    assert sum(name.endswith(".bam") for name in first) == 10
