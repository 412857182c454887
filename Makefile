# deepstrike: `make briefing` builds the baseline briefing, `make test` runs the tests.
# The first target that needs Python creates .venv and installs the project into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SCENARIO ?= baseline

.DEFAULT_GOAL := help
.PHONY: help briefing scenarios test lint format bench clean install

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the project (done automatically)

briefing: $(STAMP) ## build report/$(SCENARIO)/briefing.html (SCENARIO=baseline)
	$(BIN)/deepstrike build --scenario $(SCENARIO)

scenarios: $(STAMP) ## build every scenario in scenarios/ and one comparison page
	$(BIN)/deepstrike compare $(sort $(basename $(notdir $(wildcard scenarios/*.yaml))))

test: $(STAMP) ## run lint and the test suite
	$(BIN)/ruff check src tests notebooks
	$(BIN)/ruff format --check src tests
	$(BIN)/python -m pytest

bench: $(STAMP) ## time the build against the naive pipeline, size, models; writes report/bench.json
	$(BIN)/python -m deepstrike.bench

lint: $(STAMP) ## ruff check
	$(BIN)/ruff check src tests notebooks

format: $(STAMP) ## ruff format
	$(BIN)/ruff format src tests

clean: ## remove build output (keeps .venv)
	rm -rf report .pytest_cache .ruff_cache
