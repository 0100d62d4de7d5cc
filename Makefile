# One-command set-up on a fresh Debian machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONSTRAINTS := constraints.txt

.PHONY: demo test lint typecheck system-deps venv bench clean lock

system-deps:
	@sh scripts/system-deps.sh

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]' \
		--config-settings editable_mode=compat
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

# Pin every package to the newest version pyproject.toml allows, as installed in a scratch
# virtual environment: run it to take new releases, then `make test`, then commit.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	{ echo '# Every package `make venv` installs, pinned: written by `make lock`, not by hand.'; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > $(CONSTRAINTS)
	rm -rf .lock-venv

clean:
	@sh scripts/stop-embedded-postgres.sh .ledgerbridge
	rm -rf $(VENV) .ledgerbridge .pytest_cache .mypy_cache .ruff_cache
