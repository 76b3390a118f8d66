"""The Lambda package: zip and unzipped size, and what takes the room.

Uses `python -m infra.package` (build/package/deployment.zip) when that module
exists, otherwise `chalice package --stage dev` on a copy of the project under
build/bench-work/, with fake AWS credentials and the stage's environment from
.chalice/config.json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import zipfile
from collections import defaultdict

from bench.common import BUILD, PY, REGION, ROOT, heading, table

MIB = 1024 * 1024
ZIP_LIMIT = 50 * MIB  # direct upload, zipped
UNZIPPED_LIMIT = 250 * MIB  # function code and layers, unzipped
WORK = os.path.join(BUILD, "bench-work")
# Top-level entries with no use at run time in Lambda, by why they are there.
_CHALICE_CLI = "chalice CLI dependency"
_RUNTIME = "also in the Lambda runtime"
_TEST = "test-only"
SUSPECT = dict.fromkeys(
    (
        "pip",
        "setuptools",
        "pkg_resources",
        "_distutils_hack",
        "distutils-precedence.pth",
        "wheel",
        "click",
        "inquirer",
        "blessed",
        "jinxed",
        "wcwidth",
        "editor",
        "readchar",
        "runs",
        "xmod",
        "yaml",
        "_yaml",
    ),
    _CHALICE_CLI,
)
SUSPECT.update(dict.fromkeys(("boto3", "botocore", "s3transfer"), _RUNTIME))
SUSPECT.update(dict.fromkeys(("moto", "pytest", "_pytest", "hypothesis", "cryptography"), _TEST))
WHY = {
    _CHALICE_CLI: "there because requirements.txt lists chalice; `chalice package` adds the chalice runtime "
    "(chalice/app.py) by itself, so chalice belongs in requirements-dev.txt",
    _RUNTIME: "the Lambda Python runtime has them; vendoring only pins the version (botocore also comes with pynamodb)",
    _TEST: "test dependencies have no place in the package",
}
# What the app's settings need to import in the dev stage, when no config says otherwise.
DEFAULT_STAGE_ENV = {"STAGE": "dev", "JWT_SECRET_PARAM": "/cskh/dev/jwt-secret"}


def _env(stage_env: dict) -> dict:
    # Keep the caller's pip/proxy settings (chalice downloads Lambda wheels),
    # drop any real AWS settings and the app's own settings.
    drop = ("AWS_", "STAGE", "JWT_", "TABLE_PREFIX", "LOCAL_SMS_OUTBOX", "SCRYPT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION=REGION, AWS_EC2_METADATA_DISABLED="true"
    )
    env.update({k: str(v) for k, v in stage_env.items()})
    return env


def _stage_env(config_path: str, stage: str = "dev") -> dict:
    if not os.path.exists(config_path):
        return dict(DEFAULT_STAGE_ENV)
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    env = dict(config.get("environment_variables") or {})
    env.update((config.get("stages", {}).get(stage) or {}).get("environment_variables") or {})
    return env or dict(DEFAULT_STAGE_ENV)


def _run(cmd: list[str], cwd: str, env: dict) -> None:
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed ({out.returncode}):\n{(out.stdout + out.stderr).strip()[-3000:]}")


def build_zip() -> tuple[str, str]:
    """Returns (path of deployment.zip, how it was built)."""
    config = os.path.join(ROOT, ".chalice", "config.json")
    note = ""
    if os.path.exists(os.path.join(ROOT, "infra", "package.py")):
        try:
            _run([PY, "-m", "infra.package"], ROOT, _env(_stage_env(config)))
            return os.path.join(BUILD, "package", "deployment.zip"), "python -m infra.package"
        except RuntimeError as exc:
            print(f"!!! python -m infra.package failed; measuring `chalice package` instead:\n{exc}")
            note = "; python -m infra.package FAILED"
    return _chalice_package(config, note)


def _chalice_package(config: str, note: str) -> tuple[str, str]:
    """`chalice package --stage dev` on a copy of the project under build/ (so
    nothing is written into the source tree, and chalice's dependency cache
    survives between runs). The zip's content depends only on app.py,
    chalicelib/, vendor/ and requirements.txt; IAM policy files the config names
    but that do not exist yet are stubbed in the copy (they only shape sam.json)."""
    project = os.path.join(WORK, "project")
    out_dir = os.path.join(WORK, "package")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(os.path.join(project, ".chalice"), exist_ok=True)
    for name in ("app.py", "requirements.txt"):
        shutil.copy2(os.path.join(ROOT, name), project)
    for name in ("chalicelib", "vendor"):
        shutil.rmtree(os.path.join(project, name), ignore_errors=True)
        if os.path.isdir(os.path.join(ROOT, name)):
            shutil.copytree(
                os.path.join(ROOT, name),
                os.path.join(project, name),
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
    copied_config = os.path.join(project, ".chalice", "config.json")
    for old in os.listdir(os.path.join(project, ".chalice")):
        if old.endswith(".json"):
            os.remove(os.path.join(project, ".chalice", old))
    stubbed = []
    if os.path.exists(config):
        for name in os.listdir(os.path.dirname(config)):
            if name.endswith(".json"):
                shutil.copy2(os.path.join(os.path.dirname(config), name), os.path.join(project, ".chalice"))
        with open(config, encoding="utf-8") as f:
            stubbed = _stub_policies(json.load(f), os.path.join(project, ".chalice"))
        how = "chalice package --stage dev (no infra/package.py)" if not note else "chalice package --stage dev"
        if stubbed:
            how += f"; stubbed missing {', '.join(stubbed)}"
    else:
        with open(copied_config, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "version": "2.0",
                    "app_name": "cskh",
                    "stages": {"dev": {"api_gateway_stage": "api", "environment_variables": DEFAULT_STAGE_ENV}},
                },
                f,
                indent=2,
            )
        how = "chalice package --stage dev with a minimal config (no .chalice/config.json, no infra/package.py)"
    chalice = os.path.join(os.path.dirname(PY), "chalice")
    _run([chalice, "package", "--stage", "dev", out_dir], project, _env(_stage_env(copied_config)))
    return os.path.join(out_dir, "deployment.zip"), how + note


def _stub_policies(config: dict, chalice_dir: str, stage: str = "dev") -> list[str]:
    names = []
    scopes = [config, config.get("stages", {}).get(stage) or {}]
    scopes += list(((config.get("stages", {}).get(stage) or {}).get("lambda_functions") or {}).values())
    for scope in scopes:
        if scope.get("iam_policy_file"):
            names.append(scope["iam_policy_file"])
    stubbed = []
    for name in dict.fromkeys(names):
        path = os.path.join(chalice_dir, name)
        if not os.path.exists(path):
            with open(path, "w", encoding="utf-8") as f:
                json.dump(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "*"}],
                    },
                    f,
                )
            stubbed.append(f".chalice/{name}")
    return stubbed


def analyse(path: str) -> dict:
    zipped = os.path.getsize(path)
    unzipped = 0
    by_top: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            unzipped += info.file_size
            top = info.filename.split("/", 1)[0]
            if top.endswith((".dist-info", ".egg-info")):
                top = "*.dist-info (metadata)"
            by_top[top][0] += info.file_size
            by_top[top][1] += info.compress_size
    biggest = sorted(by_top.items(), key=lambda kv: -kv[1][0])[:10]
    suspects: dict[str, dict] = {}
    for name, category in SUSPECT.items():
        if name in by_top:
            group = suspects.setdefault(
                category, {"entries": [], "unzipped_bytes": 0, "zipped_bytes": 0, "why": WHY[category]}
            )
            group["entries"].append(name)
            group["unzipped_bytes"] += by_top[name][0]
            group["zipped_bytes"] += by_top[name][1]
    return {
        "zip_bytes": zipped,
        "unzipped_bytes": unzipped,
        "zip_limit_bytes": ZIP_LIMIT,
        "unzipped_limit_bytes": UNZIPPED_LIMIT,
        "within_limits": zipped <= ZIP_LIMIT and unzipped <= UNZIPPED_LIMIT,
        "biggest": [{"name": n, "unzipped_bytes": u, "zipped_bytes": c} for n, (u, c) in biggest],
        "suspects": suspects,
    }


def run() -> dict:
    heading("2. Lambda package size")
    started = time.perf_counter()
    path, how = build_zip()
    result = analyse(path)
    result.update(
        zip_path=os.path.relpath(path, ROOT), built_with=how, build_seconds=round(time.perf_counter() - started, 1)
    )

    def mib(n: int) -> str:
        return f"{n / MIB:.1f} MiB"

    print(f"built with: {how} ({result['build_seconds']} s) -> {result['zip_path']}")
    print(
        table(
            ["", "size", "Lambda limit", "share"],
            [
                ["zipped", mib(result["zip_bytes"]), mib(ZIP_LIMIT), f"{result['zip_bytes'] / ZIP_LIMIT:.0%}"],
                [
                    "unzipped",
                    mib(result["unzipped_bytes"]),
                    mib(UNZIPPED_LIMIT),
                    f"{result['unzipped_bytes'] / UNZIPPED_LIMIT:.0%}",
                ],
            ],
            right=(1, 2, 3),
        )
    )
    if not result["within_limits"]:
        print("!!! OVER LAMBDA'S PACKAGE LIMITS: the deployment would be refused !!!")
    print("\n10 biggest top-level entries in the zip:")
    print(
        table(
            ["entry", "unzipped", "zipped", "note"],
            [
                [b["name"], mib(b["unzipped_bytes"]), mib(b["zipped_bytes"]), SUSPECT.get(b["name"], "")]
                for b in result["biggest"]
            ],
            right=(1, 2),
        )
    )
    for category, group in result["suspects"].items():
        print(
            f"{category}: {mib(group['unzipped_bytes'])} unzipped, {mib(group['zipped_bytes'])} zipped "
            f"({', '.join(group['entries'])}): {group['why']}"
        )
    return result
