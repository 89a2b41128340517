# Set-up and checks. Plain python3 -m venv and pip; nothing else is assumed.
VENV ?= .venv
PY := $(VENV)/bin/python
Q ?= How well does a fine-tuned CLIP model re-identify basketball players?

.PHONY: demo test install install-dev lint

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(PY)
	$(PY) -m pip install --quiet -e '.[local]'

install-dev: $(PY)
	$(PY) -m pip install --quiet -e '.[dev,local]'

## demo: set up, then answer a question over the bundled corpus (offline)
demo: install
	$(VENV)/bin/rag ask "$(Q)"

lint: install-dev
	$(VENV)/bin/ruff check rag tests benchmarks
	$(VENV)/bin/ruff format --check rag tests benchmarks
	$(VENV)/bin/mypy

## test: set up with the dev tools, then lint, type-check and run the tests
test: lint
	$(PY) -m pytest
