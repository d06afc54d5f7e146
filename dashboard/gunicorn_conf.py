"""gunicorn settings of ``make serve``, from the environment (README, "Deploying").

=========================  ===============================================================  ==========
variable                   what                                                             default
=========================  ===============================================================  ==========
``HER2DASH_STUDY``         study folder served                                              data/demo
``HER2DASH_HOST``          address to bind (127.0.0.1: this machine only)                   127.0.0.1
``HER2DASH_PORT``          port                                                             8050
``HER2DASH_CACHE_DIR``     result cache, background jobs, study snapshots (shared)          .cache
``HER2DASH_WORKERS``       worker processes                                                 2 x cores
``HER2DASH_THREADS``       threads per worker                                               4
``HER2DASH_TIMEOUT``       seconds a request may take before its worker is restarted        120
``HER2DASH_PRELOAD``       1: read the study once, before the workers fork (shared memory)  1
``HER2DASH_CELERY``        Redis URL: background callbacks on Celery, results in Redis      (unset)
``HER2DASH_STUDIES_ROOT``  folder under which the Data page may open other studies          see app.py
=========================  ===============================================================  ==========

No access log: request URLs carry patient identifiers.
"""

from __future__ import annotations

import os


def _host_port() -> str:
    host = os.environ.get("HER2DASH_HOST", "127.0.0.1")
    port = os.environ.get("HER2DASH_PORT", "8050")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1)


bind = _host_port()
workers = int(os.environ.get("HER2DASH_WORKERS") or default_workers())
worker_class = "gthread"
threads = int(os.environ.get("HER2DASH_THREADS") or 4)
timeout = int(os.environ.get("HER2DASH_TIMEOUT") or 120)
graceful_timeout = 30
preload_app = os.environ.get("HER2DASH_PRELOAD", "1") != "0"
accesslog = None
errorlog = "-"
loglevel = "info"
proc_name = "her2dash"
control_socket_disable = True  # no runtime control socket: several deployments (and tests) on one machine


def on_starting(server) -> None:
    """Master, before any worker: the configured study is the open one (the Data page may switch later)."""
    from dashboard.production import announce_configured_study

    announce_configured_study()


def post_worker_init(worker) -> None:
    """Each worker, once started: import the statistics libraries in the background (left out of start-up), and
    load the whole-cohort analysis into memory once it is cached (dashboard.production.keep_cohort_loaded)."""
    from dashboard.production import keep_cohort_loaded, warm_up_later

    warm_up_later()
    keep_cohort_loaded()

