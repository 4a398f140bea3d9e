# Two commands do all the set-up on a fresh machine (Python >= 3.11 as python3):
#   make demo   create .venv, install the project, run the baseline scenario (the main job);
#               it replaces out/baseline only if that is an earlier result of its own
#   make test   the same with the test extras, then lint (ruff, and import-linter for the
#               layers of docs/architecture.md) and the whole test suite; the model
#               tests run again under Python 3.12 with mesa 3.5 when that Python is present
#               (not the property-based ones: random scenarios through the same code, half
#               the time of that second run, add little to a check of two versions)
#   make docs   regenerate every figure, table and screenshot of the README and docs/ (the
#               five targets below); each records what it was made from in docs/generated.json
#               and skips what is up to date, so with nothing changed it changes nothing
#               (docs/provenance.md; tests/test_stale_docs.py fails on anything stale)
#   make library  run the scenario library and rewrite its section of docs/scenarios.md
#   make notebooks  run the notebooks and render them with their outputs to docs/notebooks/
#   make validation  the validation, backtest and external tables of docs/validation.md
#   make figures  the README's plot and start levels, the examples quoted in docs/ prose
#   make screenshots  the browser app's screenshots in docs/img/app/ (Chromium, playwright)
#   make bench  the engine, batch and browser-app benchmarks (minutes; figures in
#               out/bench*.json, see docs/performance.md)
PYTHON ?= python3
VENV ?= .venv
PY312 ?= $(shell PYENV_VERSION=3.12.1 pyenv which python3.12 2>/dev/null || command -v python3.12)
VENV312 ?= .venv312
BIN = $(VENV)/bin

.PHONY: demo test lint bench docs library notebooks validation figures effects screenshots clean

$(BIN)/sim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,ema]"
	touch $(BIN)/sim

demo: $(BIN)/sim
	mkdir -p out
	$(BIN)/sim run scenarios/baseline.yaml --out out/baseline --force

lint: $(BIN)/sim
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

$(VENV312)/bin/sim: pyproject.toml
	$(PY312) -m venv $(VENV312)
	$(VENV312)/bin/python -m pip install --quiet --upgrade pip
	$(VENV312)/bin/python -m pip install --quiet -e ".[test,ema]"
	touch $(VENV312)/bin/sim

# the test files on two workers (pytest-xdist; a file's tests stay together, sharing its fixtures),
# in the order tests/conftest.py gives them (the slowest first; xdist would sort by test count)
XDIST = --numprocesses=2 --dist=loadfile --no-loadscope-reorder

test: lint
	$(BIN)/python -m pytest $(XDIST)
ifneq ($(PY312),)
	$(MAKE) --no-print-directory $(VENV312)/bin/sim
	$(VENV312)/bin/python -c "import mesa, sys; print('model tests on Python', sys.version.split()[0], 'mesa', mesa.__version__)"
	$(VENV312)/bin/python -m pytest -m model $(XDIST) --ignore=tests/test_properties.py
endif

# FORCE=--force makes every target regenerate what is up to date too
docs: library notebooks validation figures effects screenshots

library: $(BIN)/sim
	$(BIN)/python docs/make_library.py $(FORCE)

notebooks: $(BIN)/sim
	$(BIN)/python docs/make_notebooks.py $(FORCE)

validation: $(BIN)/sim
	$(BIN)/python docs/make_validation.py $(FORCE)

figures: $(BIN)/sim
	$(BIN)/python docs/make_figures.py $(FORCE)

effects: $(BIN)/sim
	$(BIN)/python docs/make_effects.py $(FORCE)

screenshots: $(BIN)/sim
	$(BIN)/python docs/make_screenshots.py $(FORCE)

bench: $(BIN)/sim
	$(BIN)/python benchmarks/bench_engine.py --json out/bench.json
	$(BIN)/python benchmarks/bench_batch.py --json out/bench_batch.json
	$(BIN)/python benchmarks/bench_ui.py --json out/bench_ui.json

clean:
	rm -rf $(VENV) $(VENV312) out build *.egg-info
