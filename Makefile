# `make demo` sets up and runs the report on a simulated account; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test test-fast bench package clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

demo: $(VENV)/.installed
	$(PY) -m devtools.demo $(ARGS)

test: $(VENV)/.installed
	$(PY) -m pytest -q -n 2

test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -n 2 -m "not slow"

bench: $(VENV)/.installed
	$(PY) bench/run.py $(ARGS)

package: $(VENV)/.installed
	$(PY) tools/package.py

clean:
	rm -rf $(VENV) build dist
