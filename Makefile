# Two commands: `make serve` and `make test`. Each creates .venv on first use and reinstalls when the
# project's metadata changes; both may run at the same time (see LOCKED).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Creating .venv and installing into it happen under one file lock, so `make serve` and `make test` started
# together in a fresh clone take turns instead of colliding in ensurepip and pip.
LOCKED := $(PYTHON) tools/locked.py $(VENV).lock

.PHONY: serve test test-slow lint typecheck unit bench mutation compat clean

serve: $(VENV)/.installed
	$(BIN)/mockai serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test lint typecheck unit

lint: $(VENV)/.installed-test
	$(BIN)/ruff format --check mockai tests bench tools compat compat/run
	$(BIN)/ruff check mockai tests bench tools compat compat/run

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

unit: $(VENV)/.installed-test
	$(BIN)/python -m pytest

# Tests that install from the package index into fresh venvs (minutes): CI runs them after `make test`.
test-slow: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m slow

# Real client frameworks (LangChain, litellm, instructor, pydantic-ai, openai-agents, the Node SDK), each in its own
# venv or node folder under compat/, drive `mockai serve` from .venv. The first run installs them (minutes).
compat: $(VENV)/.installed
	$(PYTHON) compat/run

bench: $(VENV)/.installed-test
	$(BIN)/python bench/bench_sampler.py

# Mutation testing of the sampler, the chat format and the rule matcher ([tool.mutmut] in pyproject.toml). mutmut is
# a developer tool, not a test dependency: `make test` never needs it.
mutation: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet mutmut
	$(BIN)/mutmut run
	$(BIN)/mutmut results

# Re-checked under the lock: whoever waited finds the venv made. The marker comes last, so an interrupted
# creation is redone next time.
$(VENV)/.created:
	$(LOCKED) sh -c 'test -f $@ || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet --upgrade pip && touch $@; }'

$(VENV)/.installed: $(VENV)/.created pyproject.toml setup.py
	$(LOCKED) $(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.created pyproject.toml setup.py
	$(LOCKED) $(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) $(VENV).lock build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis mutants
	rm -rf compat/.venv-* compat/node/node_modules compat/.logs compat/.tiktoken-cache
