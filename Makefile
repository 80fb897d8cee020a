# Leadflow: `make run` serves the app with worker and beat; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# The suite runs on real PostgreSQL and Redis; override these to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/leadflow
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0

.PHONY: install run test lint format messages bench bench-quick soak clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	PORT=$(PORT) $(PY) -m leadflow.runner

test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	$(VENV)/bin/pytest $(PYTEST_ARGS)
	# The report tests once more on SQLite: the same figures on both databases.
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	$(VENV)/bin/pytest -m both_databases --ds=leadflow.settings.test_sqlite $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# The layer rule (docs/architecture.md): an upward import fails here, naming the file.
	$(VENV)/bin/lint-imports

# The Russian catalogue: extract every message into locale/ru/…/django.po (translate what is
# new there), then compile django.mo. Commit both; tests/test_translations.py checks them.
messages: install
	$(PY) manage.py makemessages --locale ru
	$(PY) manage.py compilemessages --locale ru --ignore '.venv/*'

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks (bench/README.md): one table, appended to bench/RESULTS.md. BENCH_LABEL names the
# section, BENCH_TREE the code measured (default: this tree), e.g.
#   make bench-quick BENCH_LABEL=before BENCH_TREE=/tmp/bench-before
BENCH_LABEL ?= unlabelled
BENCH_TREE ?= $(CURDIR)

bench: install
	$(PY) bench/run.py --leads 1000000 --label "$(BENCH_LABEL)" --tree "$(BENCH_TREE)" \
		--runs 5 --ingest-seconds 30 --no-seed-run $(BENCH_ARGS)

bench-quick: install
	$(PY) bench/run.py --leads 100000 --label "$(BENCH_LABEL)" --tree "$(BENCH_TREE)" \
		$(BENCH_ARGS)

# The fault and load promises of issue 13 (soak/run.py): its own PostgreSQL, Redis, gunicorn,
# worker and beat on loopback, killed and restarted on purpose; under 30 minutes.
soak: install
	$(PY) soak/run.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
