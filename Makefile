# Linli: `make run` serves the demo site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: install install-dev run serve test lint format messages makemessages migrate demo bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Test, lint and benchmark tools on top (requirements-dev.txt).
$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

messages: install
	@for po in locale/*/LC_MESSAGES/*.po; do \
		[ -e "$$po" ] || continue; \
		$(VENV)/bin/pybabel compile --input-file "$$po" --output-file "$${po%.po}.mo" || exit 1; \
	done

# The folders left out are the ones tests/core/test_translations.py leaves out.
MAKEMESSAGES_IGNORE := $(foreach dir,.venv var bench tests node_modules staticfiles media,--ignore "$(dir)/*")

makemessages: install
	$(PY) manage.py makemessages --locale zh_Hans --locale en $(MAKEMESSAGES_IGNORE)
	$(PY) manage.py makemessages --domain djangojs --locale zh_Hans --locale en $(MAKEMESSAGES_IGNORE)

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

run: install messages migrate
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

# axe-core for the browser accessibility tests (package.json, from the npm registry).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

test: install-dev messages node_modules/.installed
	$(PY) -m pytest --durations=20 $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Every benchmark, then docs/performance.md (bench/README.md). BENCH_ARGS="--quick" for a smoke run.
bench: install-dev messages
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
