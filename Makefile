# make run   set up (a .venv, the dependencies, the database) and run the tip line on SQLite
# make test  set up and pass the tests (SQLite, and PostgreSQL where one answers)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test typecheck bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/tipline init --demo
	$(BIN)/tipline serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest

typecheck: setup
	$(BIN)/python -m mypy

bench: setup
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/crypto.py
	$(BIN)/python bench/webhooks.py
	$(BIN)/python bench/language.py

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
