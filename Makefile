# make run   set up (a .venv, the dependencies, the database) and run the tip line on SQLite
# make test  set up and pass the tests (SQLite, and PostgreSQL where one answers)
# make lint, make typecheck  ruff and mypy --strict (CI runs both beside the tests)
# make bench set up (and install wrk as root) and run the benchmarks (the theft drill last); bench-webhooks: the webhook one
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup setup-system run test lint typecheck bench bench-webhooks clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# System packages the benchmark needs (wrk): installed when running as root, otherwise
# named; never fails, so 'make test' works on a machine without root.
setup-system:
	@if command -v wrk >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1; } || \
	  echo "setup-system: could not install wrk (apt-get install -y wrk); the webhook benchmark will say so"; \
	else echo "setup-system: wrk is missing; install it with 'sudo apt-get install -y wrk' to run the webhook benchmark"; fi

run: setup
	$(BIN)/tipline init --demo
	$(BIN)/tipline serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/python -m ruff check .

typecheck: setup
	$(BIN)/python -m mypy

bench: setup setup-system
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/crypto.py
	$(BIN)/python bench/webhooks.py --write-results
	$(BIN)/python bench/language.py
	$(BIN)/python bench/theft.py --expect-fail --write-results

bench-webhooks: setup setup-system
	$(BIN)/python bench/webhooks.py --write-results

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
