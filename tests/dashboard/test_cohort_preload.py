"""A server worker loads the cached whole-cohort analysis in the background, so no request waits for it."""

from __future__ import annotations

import threading
import time

from analysis.cohort_rows import rows_of
from analysis.params import AnalysisParameters
from dashboard.analysis_cache import AnalysisCache
from dashboard.analysis_service import AnalysisService, get_analysis_service
from dashboard.production import keep_cohort_loaded, load_cached_cohort
from dashboard.server import create_app
from dashboard.settings import Settings


def _fresh_process_cache(service) -> None:
    """As in another worker: the analysis on disk, nothing in this process's memory."""
    service.cache._memory.clear()
    service.cache._sizes.clear()
    service.cache._used = 0


def test_nothing_is_computed_and_the_cached_analysis_is_loaded_with_its_index(tiny_study_dir, tmp_path):
    create_app(Settings(study=tiny_study_dir, cache_dir=tmp_path / "cache"))
    service = get_analysis_service()
    params = AnalysisParameters()
    assert load_cached_cohort() is False  # not computed yet: the loader never computes it
    assert service.cache.computations["cohort"] == 0
    service.cohort(params)
    _fresh_process_cache(service)
    key = service.cohort_key(params)
    assert key not in service.cache._memory
    assert load_cached_cohort() is True
    assert key in service.cache._memory and service.cache.computations["cohort"] == 1
    cohort = service.cache._memory[key]
    assert len(rows_of(cohort)._positions) == 9  # every table patient_from_cohort reads, indexed


def test_the_background_loader_picks_up_an_analysis_finished_later(tiny_study_dir, tmp_path):
    create_app(Settings(study=tiny_study_dir, cache_dir=tmp_path / "cache"))
    service = get_analysis_service()
    params = AnalysisParameters()
    stop = threading.Event()
    loader = keep_cohort_loaded(delay=0.0, every=0.05, stop=stop)
    try:
        # The first visitor's analysis, made in another process (a background job): on the shared disk only.
        AnalysisService(service.studies, AnalysisCache(service.cache.directory)).cohort(params)
        key = service.cohort_key(params)
        deadline = time.monotonic() + 20
        while key not in service.cache._memory and time.monotonic() < deadline:
            time.sleep(0.05)
        assert key in service.cache._memory
    finally:
        stop.set()
        loader.join(5)
    assert not loader.is_alive()
