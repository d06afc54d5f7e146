"""The WSGI application that gunicorn serves (``make serve``)::

    gunicorn -c dashboard/gunicorn_conf.py dashboard.wsgi:server

See :mod:`dashboard.production` for what is built and :mod:`dashboard.gunicorn_conf` for the settings.
"""

from __future__ import annotations

import logging

from dashboard.production import build_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
app = build_app()
server = app.server
