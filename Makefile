# One-command set-up on a fresh Debian machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck system-deps venv bench clean

system-deps:
	@sh scripts/system-deps.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	@touch $(STAMP)

venv: system-deps $(STAMP)

demo: venv
	$(BIN)/ledgerbridge demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

test: venv lint typecheck
	$(BIN)/python -m pytest -q

bench: venv
	$(BIN)/python bench/ledger_append.py --quick

clean:
	@sh scripts/stop-embedded-postgres.sh .ledgerbridge
	rm -rf $(VENV) .ledgerbridge .pytest_cache .mypy_cache .ruff_cache
