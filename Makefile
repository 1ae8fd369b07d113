# `make demo` sets up and runs the report on a simulated account; `make test` runs the tests.
# Recipes are silent, so `make demo ARGS="--format json" > report.json` writes only the report.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test test-fast bench package sample clean build-ReportFunction

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@echo "setting up $(VENV) (requirements-dev.txt)..." >&2
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt >&2
	@touch $@

demo: $(VENV)/.installed
	@$(PY) -m devtools.demo $(ARGS)

test: $(VENV)/.installed
	@$(PY) -m pytest -q -n 2

test-fast: $(VENV)/.installed
	@$(PY) -m pytest -q -n 2 -m "not slow"

bench: $(VENV)/.installed
	@$(PY) bench/run.py $(ARGS)

package: $(VENV)/.installed
	@$(PY) tools/package.py

# The README's sample and docs/sample-report.md, from what `make demo` prints now.
sample: $(VENV)/.installed
	@$(PY) -m devtools.sample

# `sam build` runs this (template.yaml: BuildMethod makefile) with ARTIFACTS_DIR set: the function's files go there.
build-ReportFunction: $(VENV)/.installed
	@$(PY) tools/package.py --build-dir "$(ARTIFACTS_DIR)" --no-zip

clean:
	rm -rf $(VENV) build dist .aws-sam
