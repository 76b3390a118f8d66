"""`make deploy` and the documented deploy commands (issue 15: the packaged template is over
CloudFormation's 51,200-byte inline limit, so every deploy goes through the artifact bucket)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def make(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )


@pytest.mark.parametrize(
    ("args", "missing"),
    [((), "STAGE and BUCKET"), (("STAGE=prod",), "BUCKET"), (("BUCKET=b",), "STAGE")],
)
def test_make_deploy_refuses_without_stage_and_bucket(args, missing):
    run = make("deploy", *args)
    assert run.returncode != 0
    assert f"make deploy: {missing} missing, nothing done" in run.stderr
    assert "aws" not in run.stdout  # nothing ran


def test_a_stage_left_in_the_shell_is_not_taken_for_the_stage_to_deploy():
    run = make("deploy", "BUCKET=b", env={**os.environ, "STAGE": "dev"})
    assert run.returncode != 0 and "STAGE missing" in run.stderr


def test_make_deploy_uploads_the_template_and_deploys_it_from_the_bucket():
    run = make("-n", "deploy", "STAGE=prod", "BUCKET=artifacts")
    assert run.returncode == 0, run.stderr
    commands = run.stdout.replace("\\\n", " ")
    deploy = next(line for line in commands.splitlines() if "cloudformation deploy" in line)
    assert "--s3-bucket artifacts" in deploy and "--stack-name cskh-prod" in deploy
    assert "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND" in deploy
    assert "cloudformation package --template-file build/package/sam.json --s3-bucket artifacts" in " ".join(
        commands.split()
    )
    assert "describe-stacks --stack-name cskh-prod" in commands


def documented_deploys(text: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line.strip() for line in joined.splitlines() if "aws cloudformation deploy" in line]


@pytest.mark.parametrize("doc", ["README.md", "docs/deploy.md"])
def test_every_documented_cloudformation_deploy_names_the_bucket(doc):
    for command in documented_deploys((ROOT / doc).read_text(encoding="utf-8")):
        assert "--s3-bucket" in command, f"{doc}: {command}"
