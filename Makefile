# Modelyard — every set-up step lives here, so a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/.tools/bin:$(CURDIR)/$(BIN):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help venv crds crds-check lint test test-unit test-integration e2e demo clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  %-18s %s\n",$$1,$$2}'

$(BIN)/modelyard: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

venv: $(BIN)/modelyard ## create .venv with the operator and its dev tools

crds: venv ## regenerate crds/, the chart's CRDs and docs/api.md from the API models
	$(BIN)/modelyard crds

crds-check: venv ## fail if a generated file is out of date
	$(BIN)/modelyard crds --check

lint: venv ## ruff, mypy --strict, import-linter layer contracts
	$(BIN)/ruff check operator tests
	$(BIN)/mypy
	$(BIN)/lint-imports

test: venv tools ## the whole test suite (unit, integration; e2e skips without a cluster)
	$(BIN)/pytest -q

test-unit: venv ## pure tests only
	$(BIN)/pytest -q tests/unit

test-integration: venv tools ## the operator against the sandbox
	$(BIN)/pytest -q tests/integration

demo: venv ## the whole lifecycle in the sandbox
	$(BIN)/modelyard sandbox demo

clean: ## remove the virtualenv, tools and caches
	rm -rf $(VENV) .tools .sandbox .pytest_cache .mypy_cache .ruff_cache

-include mk/*.mk
