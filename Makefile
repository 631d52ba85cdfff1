# The README's two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint translations install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations: $(VENV)/.installed
	$(BIN)/python -m interaction.core.i18n compile

## make run [PORT=5000] [HOST=127.0.0.1]: install, migrate, load demo data on first start, fill an empty search
## index, serve on http://HOST:PORT
run: install translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo --first-start
	$(FLASK) search reindex --if-empty
	$(BIN)/python wsgi.py --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .

## make test: lint, the whole suite on SQLite, again on PostgreSQL, and the Redis-backed tests
test: install-dev translations lint
	bash scripts/test-all.sh

clean:
	rm -rf $(VENV) instance/interaction.db* tests/browser/artifacts
