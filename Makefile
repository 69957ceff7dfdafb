# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Embedded SQLite store under ./var, demo data loaded once, API on 127.0.0.1:8000.
run: install
	$(BIN)/hlm demo --if-empty
	$(BIN)/hlm serve

# Starts what the tests need (PostgreSQL fallback cluster, Kafka-protocol broker) from
# the fixtures, then runs the whole suite: two workers (pytest-xdist) for all but the fault
# tests, which kill or stop processes and servers and wait for recovery, then those alone.
test: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest -q -n 2 -m "not fault"
	$(BIN)/pytest -q -m fault

# The unit and service tiers on the embedded store only (no server, no broker, no faults):
# the quick check while working; `make test` runs everything.
test-fast: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	HLM_TEST_STORES=sqlite $(BIN)/pytest -q -n 2 -m "not slow and not pg and not kafka" \
		tests/unit tests/service

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/commands.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis .mypy_cache
