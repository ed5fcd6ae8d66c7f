# Two commands: `make serve` and `make test`. Each creates .venv on first use and reinstalls when the
# project's metadata changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint typecheck unit bench mutation clean

serve: $(VENV)/.installed
	$(BIN)/mockai serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test lint typecheck unit

lint: $(VENV)/.installed-test
	$(BIN)/ruff format --check mockai tests bench
	$(BIN)/ruff check mockai tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

unit: $(VENV)/.installed-test
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/bench_sampler.py

# Mutation testing of the sampler, the chat format and the rule matcher ([tool.mutmut] in pyproject.toml). mutmut is
# a developer tool, not a test dependency: `make test` never needs it.
mutation: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet mutmut
	$(BIN)/mutmut run
	$(BIN)/mutmut results

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml setup.py
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml setup.py
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis mutants
