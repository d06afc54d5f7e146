# Two commands set everything up on a fresh machine with Python 3.11:
#   make run    creates .venv, installs requirements, writes the demo study, serves http://127.0.0.1:8050
#   make test   same set-up plus test requirements, then the whole suite (browser tests included)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STUDY  ?= data/demo
HOST   ?= 127.0.0.1
PORT   ?= 8050
CHROME ?= $(firstword $(wildcard /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome))

.PHONY: run test demo lint bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

# The demo study is generated, deterministically, never committed.
data/demo/meta_study.txt: $(VENV)/.installed $(wildcard analysis/demo/*.py) data/panel_genes.txt
	$(BIN)/python -m analysis.demo --out data/demo

demo: data/demo/meta_study.txt

run: $(VENV)/.installed demo
	$(BIN)/python app.py --study $(STUDY) --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test demo
	$(BIN)/ruff check .
	$(BIN)/mypy analysis
	DASH_TEST_CHROMEPATH=$(CHROME) $(BIN)/python -m pytest --headless

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy analysis

bench: $(VENV)/.installed demo
	for script in benchmarks/bench_*.py; do PYTHONPATH=. $(BIN)/python $$script || exit 1; done

screenshots: $(VENV)/.installed-test demo
	$(BIN)/python docs/take_screenshots.py

clean:
	rm -rf $(VENV) data/demo data/demo.truth.json data/demo_raw .cache
