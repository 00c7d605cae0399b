# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: run test bench bench-deps lint format setup services

setup:
	@bash platform/setup.sh

run: setup
	@exec $(PY) platform/preflight.py

services:
	@bash platform/services-up.sh

test: setup services
	$(PY) manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup services bench-deps
	$(PY) -m pytest bench -s -q -p no:cacheprovider

# wrk drives the progress benchmark; Debian's package, installed as .ci/run does.
bench-deps:
	@command -v wrk >/dev/null || { apt-get update -q \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk; }

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
