# Newsroom Review. `make run` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve test bench lint chromium clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 ($(PYTHON)) is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Serving Newsroom Review at http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production settings: gunicorn plus one background worker (scripts/serve.sh; README, Production).
serve: install
	HOST=$(HOST) PORT=$(PORT) scripts/serve.sh

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	fi

test: install chromium
	$(BIN)/pytest
	@# Again on a throwaway PostgreSQL cluster when the server binaries are on the machine.
	scripts/with_postgres.sh $(BIN)/pytest -q -p no:cacheprovider

bench: install
	$(BIN)/pip install --quiet -e ".[test,bench]"
	$(PY) tests/bench/run.py
	@# The review page on SQLite, then the database benchmarks on a throwaway PostgreSQL cluster.
	$(PY) tests/bench/review_page.py
	scripts/with_postgres.sh $(PY) tests/bench/review_page.py
	scripts/with_postgres.sh $(PY) tests/bench/search.py
	@# 50 simulated editors against gunicorn on 127.0.0.1 for at most 60 s, on SQLite and on PostgreSQL.
	$(PY) tests/bench/load.py
	scripts/with_postgres.sh $(PY) tests/bench/load.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis staticfiles
