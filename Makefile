# Two commands matter: `make run` and `make test`. Both work on a fresh machine with Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint format venv venv-dev migrate demo check-deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

venv: $(VENV)/.runtime
venv-dev: $(VENV)/.dev

# Local settings for this checkout, written once: DEBUG on and a SECRET_KEY of its own, so that every
# `manage.py` command works without exporting anything. Git ignores it; the environment overrides it.
.env:
	@umask 077 && $(PYTHON) -c 'import secrets; print("# Local development settings, written by make run. The environment overrides them.\nDEBUG=1\nSECRET_KEY=" + secrets.token_urlsafe(50))' > $@.tmp
	@mv $@.tmp $@
	@echo "Wrote .env (DEBUG=1 and a new SECRET_KEY) for local use; see README.md, Configuration."

# Local development server with the demo organization.
run: venv .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py recover_import_jobs
	$(BIN)/python manage.py demo --url http://$(HOST):$(PORT)/
	@echo ""
	@echo "  Serving http://$(HOST):$(PORT)/ (admin http://$(HOST):$(PORT)/admin/). Ctrl-C stops it."
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite. DATABASE_URL selects the database (unset: SQLite).
test: venv-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Production settings: DEBUG off even where the local .env turns it on.
check-deploy: venv
	DEBUG=$${DEBUG:-0} SECRET_KEY=$${SECRET_KEY:-check-deploy-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')} \
	ALLOWED_HOSTS=$${ALLOWED_HOSTS:-crm.example.com} \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
