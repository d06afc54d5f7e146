# Two commands set everything up on a fresh machine with Python 3.11:
#   make run    creates .venv, installs requirements, writes the demo study, serves http://127.0.0.1:8050
#   make test   same set-up plus test requirements, then the whole suite (browser tests included)
#   make serve  production: gunicorn, HER2DASH_WORKERS processes (default 2 x cores); README "Deploying"
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STUDY  ?= data/demo
HOST   ?= 127.0.0.1
PORT   ?= 8050

.PHONY: run serve worker test demo lint bench screenshots clean system-run system-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Also builds the compiled read counter (analysis/io/_count_targets.pyx, Cython) in place, against the
# system htslib when libhts-dev is installed, else against pysam's bundled htslib (setup.py says which).
$(VENV)/.installed: requirements.txt setup.py analysis/io/_count_targets.pyx | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python setup.py --quiet build_ext --inplace
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

# axe-core for the accessibility check of every page (tests/dashboard/test_page_walk.py), pinned.
AXE_VERSION := 4.10.3
AXE_JS := .cache/npm/node_modules/axe-core/axe.min.js
$(AXE_JS):
	npm install --silent --no-audit --no-fund --prefix .cache/npm axe-core@$(AXE_VERSION)

# The demo study is generated, deterministically, never committed.
data/demo/meta_study.txt: $(VENV)/.installed $(wildcard analysis/demo/*.py) data/panel_genes.txt
	$(BIN)/python -m analysis.demo --out data/demo

demo: data/demo/meta_study.txt

# Debian packages declared in system-packages.txt: installed when missing (root or passwordless sudo),
# otherwise one message with the command to run. Instant when all are present.
system-run:
	.ci/system-packages run

system-test:
	.ci/system-packages test

run: system-run $(VENV)/.installed demo
	$(BIN)/python app.py --study $(STUDY) --host $(HOST) --port $(PORT)

# Production serving: settings from HER2DASH_* variables (README "Deploying"); STUDY/HOST/PORT work as for run.
SERVE_CMD = HER2DASH_STUDY="$${HER2DASH_STUDY:-$(STUDY)}" HER2DASH_HOST="$${HER2DASH_HOST:-$(HOST)}" \
	HER2DASH_PORT="$${HER2DASH_PORT:-$(PORT)}" $(BIN)/gunicorn -c dashboard/gunicorn_conf.py dashboard.wsgi:server

serve: system-run $(VENV)/.installed demo
	$(SERVE_CMD)

# Several machines: a Celery worker for background callbacks (HER2DASH_CELERY=redis://HOST:6379/0 required).
worker: $(VENV)/.installed demo
	HER2DASH_STUDY="$${HER2DASH_STUDY:-$(STUDY)}" $(BIN)/celery -A dashboard.celery_worker worker \
	  --loglevel=INFO --concurrency="$${HER2DASH_CELERY_CONCURRENCY:-2}"

# Under make test a test whose system tool is missing fails instead of skipping (tests/system_tools.py).
# --maxschedchunk 2: pytest-xdist hands out tests two at a time in collection order (long ones first,
# tests/conftest.py), instead of a first chunk of a quarter of the suite per worker.
test: system-test $(VENV)/.installed-test demo $(AXE_JS)
	$(BIN)/ruff check .
	$(BIN)/mypy analysis
	HER2_REQUIRE_SYSTEM_TOOLS=1 DASH_TEST_CHROMEPATH="$${DASH_TEST_CHROMEPATH:-$$(command -v chromium)}" \
	  $(BIN)/python -m pytest --headless -n $${TEST_WORKERS:-3} --maxschedchunk 2

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy analysis

bench: $(VENV)/.installed demo
	for script in benchmarks/bench_*.py; do PYTHONPATH=. $(BIN)/python $$script || exit 1; done

screenshots: $(VENV)/.installed-test demo
	$(BIN)/python docs/take_screenshots.py

clean:
	rm -rf $(VENV) data/demo data/demo.truth.json data/demo_raw .cache build analysis/io/_count_targets.c analysis/io/_count_targets.*.so
