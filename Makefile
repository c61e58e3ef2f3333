# make run   set up (a .venv, the dependencies, the database) and run the tip line on SQLite
# make test  set up and pass the tests (SQLite, and PostgreSQL where one answers)
# make lint, make typecheck  ruff and mypy --strict (CI runs both beside the tests)
# make catalogs  extract the message ids into locales/tipline.pot, update every locale's catalog, compile them
# make catalogs-check  fail if the template or a catalog is out of date, or a catalog does not compile
# make constraints  rewrite constraints.txt from this venv's versions (after a dependency change)
# make drills  the drills on PostgreSQL (drills/outage.py, kill.py, flood.py, claims.py, redelivery.py), each bounded in time
# make bench set up (and install wrk as root) and run the benchmarks (the theft drill last); bench-webhooks: the webhook one
# make bench-scale  the webhook path with 1, 2 and 4 workers on SQLite and PostgreSQL, replies and alerts under load
# make bench-queue  claim-next latency with 10k and 1M stored tips on PostgreSQL
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
CONSOLE_PORT ?= 8001

.PHONY: setup setup-system run test lint typecheck bench bench-webhooks bench-scale bench-queue clean constraints drills drill-outage drill-flood drill-claims drill-redelivery \
	drill-kill \
	catalogs catalogs-extract catalogs-update catalogs-compile catalogs-check

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# System packages the benchmark needs (wrk), the console's browser test (Debian's chromium) and the compose check:
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
	@# Debian's docker-compose (1.29) checks deploy/compose.yaml where the docker compose plugin is missing
	@# (tests/test_deploy.py); it needs no daemon for 'config'.
	@if docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-compose >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-compose >/dev/null 2>&1; } || \
	  echo "setup-system: could not install docker-compose (apt-get install -y docker-compose); the compose check will skip"; \
	else echo "setup-system: docker-compose is missing; install it with 'sudo apt-get install -y docker-compose' to check the compose file"; fi
	@# Fonts for posters and exported tips (triage/fonts.py finds them through fontconfig) and
	@# poppler-utils (pdftoppm, pdftotext) for the poster and export tests.
	@missing=""; for pkg in fontconfig fonts-noto-core fonts-noto-cjk poppler-utils; do \
	  dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null 2>&1; } || \
	  echo "setup-system: could not install$$missing (apt-get install -y$$missing); posters and their tests need them"; \
	else echo "setup-system: missing$$missing; install with 'sudo apt-get install -y$$missing' for posters and PDF exports"; fi

# The public line and the staff console side by side; Ctrl-C stops both.  The console runs over
# plain HTTP on this machine only (TIPLINE_CONSOLE_INSECURE_COOKIES=1): never expose it like that.
run: setup
	$(BIN)/tipline init --demo
	@echo "Staff console: http://$(HOST):$(CONSOLE_PORT)/login  (user admin, the passphrase above; set up the second factor at first login)"
	@echo "Set the on-call rota (console /oncall, or 'tipline oncall add'): until then urgent tips alert nobody."
	TIPLINE_CONSOLE_INSECURE_COOKIES=1 $(BIN)/tipline console --host $(HOST) --port $(CONSOLE_PORT) & \
	  console=$$!; trap 'kill $$console 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/tipline serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/python -m ruff check .

typecheck: setup
	$(BIN)/python -m mypy

# Catalogs (README, "Translating"): Babel does the work; babel.cfg says where the ids live.
BABEL := $(BIN)/pybabel
POT := locales/tipline.pot
EXTRACT := $(BABEL) -q extract -F babel.cfg --add-location=file --project=tipline --version=0.1.0 \
	--copyright-holder="the tipline maintainers"
# Message ids are symbolic keys: a "similar" id is a different message, so never guess (-N).
UPDATE := $(BABEL) -q update -i $(POT) -d locales -D tipline --no-fuzzy-matching --ignore-pot-creation-date
# Extraction stamps the time; a template whose only change is that stamp is not rewritten.
SAME_POT := diff -q -I '^"POT-Creation-Date: ' $(POT)

catalogs: catalogs-extract catalogs-update catalogs-compile

catalogs-extract: setup
	$(EXTRACT) -o $(POT).new .
	@if [ -f $(POT) ] && $(SAME_POT) $(POT).new >/dev/null; then rm $(POT).new; else mv $(POT).new $(POT); fi

catalogs-update: setup
	$(UPDATE)

catalogs-compile: setup
	$(BABEL) compile -d locales -D tipline --statistics

catalogs-check: setup
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(EXTRACT) -o "$$tmp/tipline.pot" . && \
	{ $(SAME_POT) "$$tmp/tipline.pot" >/dev/null || { echo "$(POT) is out of date: run 'make catalogs'"; exit 1; }; } && \
	{ $(UPDATE) --check || { echo "a catalog is out of date: run 'make catalogs'"; exit 1; }; } && \
	for po in locales/*/LC_MESSAGES/tipline.po; do \
	  lang=$${po#locales/}; lang=$${lang%%/*}; \
	  $(BABEL) -q compile -l "$$lang" -i "$$po" -o "$$tmp/$$lang.mo" || exit 1; \
	done && echo "catalogs: template and every catalog up to date; all compile"

bench: setup setup-system
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/crypto.py
	$(BIN)/python bench/webhooks.py --write-results
	$(BIN)/python bench/language.py
	$(BIN)/python bench/theft.py --write-results

# Claim-next latency with 10 thousand and 1 million stored tips on PostgreSQL (TIPLINE_BENCH_DATABASE_URL,
# default the local test server): loads about 3 million rows by COPY into a schema it drops afterwards.
bench-queue: setup
	$(BIN)/python -m bench.queue

bench-webhooks: setup setup-system
	$(BIN)/python bench/webhooks.py --write-results

# Throughput with 1, 2 and 4 gunicorn workers on SQLite and PostgreSQL (TIPLINE_BENCH_DATABASE_URL, default the
# local test server; schemas of its own, dropped afterwards), replies and P1 alerts at 50 messages/s, the outbox drain.
bench-scale: setup setup-system
	$(BIN)/python bench/scale.py --write-results

# The versions this venv holds, pinned for the next install (pip itself and the project excluded).
constraints:
	$(BIN)/python -m pip install --quiet -e '.[test]'
	{ sed -n '1,3p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -v '^tipline'; } \
	  > constraints.txt.new && mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis

# Drills (issue 13) on PostgreSQL; each exits non-zero on failure.  The outage and kill drills start a
# throwaway cluster of their own with Debian's initdb/pg_ctl (as the postgres user when run as root);
# DRILL_MODE=server uses the server at DRILL_PG instead (TIPLINE_TEST_DATABASE_URL or the local default), the outage
# drill stopping a TCP proxy in front of it (never the server itself).
DRILL_PG ?= $(or $(TIPLINE_TEST_DATABASE_URL),postgresql+psycopg://postgres@127.0.0.1:5432/test)
DRILL_MODE ?= cluster
OUTAGE_MODE := $(if $(filter server,$(DRILL_MODE)),proxy,cluster)
drills: drill-outage drill-kill drill-flood drill-claims drill-redelivery

# PostgreSQL stopped (pg_ctl stop -m fast) for 10 s (inside Twilio's retries) and 60 s (beyond them):
# never a 500, 0 lost per channel, the spool carrying the long one.
drill-outage: $(STAMP)
	timeout 300 $(BIN)/python drills/outage.py --mode $(OUTAGE_MODE) --postgres '$(DRILL_PG)' --outage 10
	timeout 400 $(BIN)/python drills/outage.py --mode $(OUTAGE_MODE) --postgres '$(DRILL_PG)' --outage 60 --every 1.0

# A worker SIGKILLed while sending, a gunicorn worker SIGKILLed mid-request: every reply delivered, duplicates
# at most the sends in flight, the unacknowledged webhook's retry handled once.
drill-kill: $(STAMP)
	timeout 400 $(BIN)/python drills/kill.py --mode $(DRILL_MODE) --postgres '$(DRILL_PG)'

# A flood from one sender and from many: the others' answers stay fast, nothing held is lost.
drill-flood: $(STAMP)
	timeout 60 $(BIN)/python drills/flood.py --database-url '$(DRILL_PG)'

# 8 processes pulling from 2,000 tips at once through the console's claim path: each tip claimed once.
drill-claims: $(STAMP)
	$(BIN)/python drills/claims.py --database-url '$(DRILL_PG)'

# 4 gunicorn workers, 5,000 Twilio webhooks each delivered twice: every conversation exactly its script.
drill-redelivery: $(STAMP)
	$(BIN)/python drills/redelivery.py --database-url '$(DRILL_PG)'
