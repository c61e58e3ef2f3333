# make run   set up (a .venv, the dependencies, the database) and run the tip line on SQLite
# make test  set up and pass the tests (SQLite, and PostgreSQL where one answers)
# make lint, make typecheck  ruff and mypy --strict (CI runs both beside the tests)
# make bench set up (and install wrk as root) and run the benchmarks; bench-webhooks: the webhook one
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
CONSOLE_PORT ?= 8001

.PHONY: setup setup-system run test lint typecheck bench bench-webhooks clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# System packages the benchmark needs (wrk) and the console's browser test (Debian's chromium):
# installed when running as root, otherwise named; never fails, so 'make test' works without root
# (the browser test skips when chromium is missing).
setup-system:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } || \
	  echo "setup-system: could not install chromium (apt-get install -y chromium); the browser test will skip"; \
	else echo "setup-system: chromium is missing; install it with 'sudo apt-get install -y chromium' for the browser test"; fi
	@if command -v wrk >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1; } || \
	  echo "setup-system: could not install wrk (apt-get install -y wrk); the webhook benchmark will say so"; \
	else echo "setup-system: wrk is missing; install it with 'sudo apt-get install -y wrk' to run the webhook benchmark"; fi

# The public line and the staff console side by side; Ctrl-C stops both.  The console runs over
# plain HTTP on this machine only (TIPLINE_CONSOLE_INSECURE_COOKIES=1): never expose it like that.
run: setup
	$(BIN)/tipline init --demo
	@echo "Staff console: http://$(HOST):$(CONSOLE_PORT)/login  (user admin, the passphrase above; set up the second factor at first login)"
	TIPLINE_CONSOLE_INSECURE_COOKIES=1 $(BIN)/tipline console --host $(HOST) --port $(CONSOLE_PORT) & \
	  console=$$!; trap 'kill $$console 2>/dev/null' EXIT INT TERM; \
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

bench-webhooks: setup setup-system
	$(BIN)/python bench/webhooks.py --write-results

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
