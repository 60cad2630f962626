# carematch: `make demo` serves a seeded demo at http://127.0.0.1:8000; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install messages demo test lint typecheck bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"

# Installs the exact versions in constraints.txt, so two installs months apart match.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable ".[dev,demo]"
	touch $(STAMP)

# The translations: every catalogue under carematch/locale is compiled when its .po changes.
PO_FILES := $(wildcard carematch/locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

%.mo: %.po $(STAMP)
	CAREMATCH_DEBUG=1 $(BIN)/carematch compilemessages --ignore=.venv --ignore=var -v 0

install: $(STAMP) $(MO_FILES)

# After changing translatable text: bring the catalogues up to date with the code, then
# translate what is new or marked fuzzy (a test fails while any client-facing entry is).
messages: $(STAMP)
	CAREMATCH_DEBUG=1 $(BIN)/carematch makemessages --all --no-location --no-obsolete \
		--ignore=.venv --ignore=var --ignore='*/tests/*' --ignore=benches -v 0

# The demo's video rooms: Jitsi Meet settings for meet.example.test, a name reserved for
# examples (RFC 6761) that never connects. Join pages build real signed links to it and say
# that it is an example; a real deployment sets its own domain, app id and secret.
DEMO_VIDEO := CAREMATCH_JITSI_DOMAIN=meet.example.test CAREMATCH_JITSI_APP_ID=carematch-demo \
	CAREMATCH_JITSI_APP_SECRET=demo-only-not-a-secret

# The demo server runs with a task worker beside it, so appointment emails print to this
# terminal; stopping the server (Ctrl-C) stops the worker too.
demo: install
	CAREMATCH_DEBUG=1 $(BIN)/carematch migrate --no-input -v 0
	CAREMATCH_DEBUG=1 $(BIN)/carematch seed_demo
	@echo "carematch is serving at http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/v1/docs)"
	@echo "A task worker sends appointment emails; in the demo they are printed here."
	@CAREMATCH_DEBUG=1 $(DEMO_VIDEO) $(BIN)/carematch db_worker --no-reload --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	CAREMATCH_DEBUG=1 $(DEMO_VIDEO) $(BIN)/carematch runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	CAREMATCH_DEBUG=1 $(BIN)/carematch makemigrations --check --dry-run

typecheck: install
	CAREMATCH_DEBUG=1 $(BIN)/mypy

# The suite runs on SQLite; with CAREMATCH_TEST_POSTGRES_URL set it runs, whole, on PostgreSQL too,
# at the same time (one pass a core; its report follows SQLite's). Either pass failing fails the target.
test: lint typecheck
	@if [ -n "$$CAREMATCH_TEST_POSTGRES_URL" ]; then \
		pg_log=$$(mktemp); \
		CAREMATCH_TEST_DATABASE=postgres $(BIN)/pytest -p no:cacheprovider >"$$pg_log" 2>&1 & pg_pid=$$!; \
		echo "== the suite on SQLite (and on PostgreSQL alongside) =="; \
		$(BIN)/pytest; sqlite_rc=$$?; \
		wait $$pg_pid; pg_rc=$$?; \
		echo "== the same suite on PostgreSQL =="; cat "$$pg_log"; rm -f "$$pg_log"; \
		test $$sqlite_rc -eq 0 -a $$pg_rc -eq 0; \
	else \
		$(BIN)/pytest; sqlite_rc=$$?; \
		echo "PostgreSQL pass skipped: set CAREMATCH_TEST_POSTGRES_URL to run the suite on PostgreSQL too."; \
		exit $$sqlite_rc; \
	fi

bench: install
	@for b in benches/*.py; do [ -e "$$b" ] || continue; echo "== $$b"; $(BIN)/python "$$b"; done

# Re-resolve the newest allowed versions and write them down; commit the result.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade --editable ".[dev,demo]"
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^carematch' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
