# make run  – set up .venv, migrate the SQLite database, load the demo, serve :5000
# make test – the whole test suite (COOP_TEST_DATABASE_URL=postgresql+psycopg://… for PostgreSQL)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PO_FILES := $(wildcard coop/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-browser lint audit bench bench-http messages translations clean

run: $(VENV)/.runtime $(MO_FILES)
	$(FLASK) db upgrade
	$(FLASK) coop demo
	@echo "Coop is at http://$(HOST):$(PORT)/  (stop with Ctrl+C)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.dev $(MO_FILES)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-browser: $(VENV)/.dev $(MO_FILES)
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check coop tests bench

# Known vulnerabilities in everything the requirements install, asked of PyPI
# (.ci/audit.py says how; here a package it could not audit fails too; CI names it).
audit: $(VENV)/.dev
	$(BIN)/python .ci/audit.py --strict

bench: $(VENV)/.dev
	$(BIN)/python bench/split.py
	$(BIN)/python bench/savings.py
	$(BIN)/python bench/catalog_import.py
	$(BIN)/python bench/documents.py
	$(BIN)/python bench/transfer.py

# The app over HTTP under gunicorn on PostgreSQL (a few minutes).
bench-http: $(VENV)/.dev
	$(BIN)/python bench/http.py

# Extract the strings to translate and merge them into every catalog.
messages: $(VENV)/.dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_pgettext:1c,2 --no-location --sort-output \
		-o coop/translations/messages.pot .
	$(BIN)/pybabel update -i coop/translations/messages.pot -d coop/translations --no-fuzzy-matching

translations: $(MO_FILES)

coop/translations/%/LC_MESSAGES/messages.mo: coop/translations/%/LC_MESSAGES/messages.po $(VENV)/.runtime
	$(BIN)/pybabel compile -i $< -o $@ --statistics

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) $(MO_FILES)
