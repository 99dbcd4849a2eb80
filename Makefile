# make run: set up the virtual environment and run the bot (the sandbox without Slack settings).
# make test: set up and run every check.
# make teams-playground: try the Teams side locally in Microsoft 365 Agents Playground.
# The first Python 3.12 or newer on PATH (the Microsoft 365 Agents SDK needs 3.12).
PYTHON ?= $(shell for p in python3 python3.13 python3.12; do $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test check lint typecheck imports pytest contract migrate clean bench teams-playground

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (python3.12 on PATH, or PYTHON=...)" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/mfa-helpdesk start

# The bot in Teams' anonymous mode and two Playgrounds (an employee, an IT admin); README "Try Teams locally".
teams-playground: $(STAMP)
	teams-playground/run

migrate: $(STAMP)
	$(BIN)/mfa-helpdesk migrate

test: check pytest

check: lint typecheck imports

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest

# Every storage port's behaviour on memory, SQLite and PostgreSQL (also part of `make pytest`).
contract: $(STAMP)
	$(BIN)/pytest -q tests/contract

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info

bench: $(STAMP)
	$(BIN)/python -m bench.run
