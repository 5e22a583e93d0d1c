# Linli: `make run` serves the demo site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run serve test lint format messages makemessages migrate demo bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

messages: install
	@for po in locale/*/LC_MESSAGES/*.po; do \
		[ -e "$$po" ] || continue; \
		$(VENV)/bin/pybabel compile --input-file "$$po" --output-file "$${po%.po}.mo" || exit 1; \
	done

makemessages: install
	$(PY) manage.py makemessages --locale zh_Hans --locale en --ignore ".venv/*" --ignore "var/*"
	$(PY) manage.py makemessages --domain djangojs --locale zh_Hans --locale en --ignore ".venv/*" --ignore "var/*"

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

run: install messages migrate
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

test: install messages
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install messages
	$(PY) -m bench

clean:
	rm -rf $(VENV) var
