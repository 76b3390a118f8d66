"""Supply chain: everything installed is pinned with hashes (requirements.txt for the
Lambda, requirements.lock for everything), the Makefile installs only from the lock,
CI runs the secret scan and the audit, the secret scan fails on a planted key, and an
audit that could not reach a vulnerability source says so instead of passing."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()


def _pins(path: pathlib.Path) -> dict[str, str]:
    """name -> version of every `name==version` line (continuations, options and comments aside)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().rstrip("\\").strip()
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._\-\[\]]*)==([^\s;]+)", line)
        if m:
            out[_norm(m.group(1))] = m.group(2)
    return out


def _unhashed(path: pathlib.Path) -> list[str]:
    """Requirements of a lock file that carry no --hash."""
    blocks = re.split(r"\n(?=[A-Za-z0-9])", path.read_text(encoding="utf-8"))
    return [b.split()[0] for b in blocks if re.match(r"^[A-Za-z0-9][^\n]*==", b) and "--hash=sha256:" not in b]


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / ".ci" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_lambda_requirements_are_a_hashed_lock_of_requirements_in():
    wanted, locked = _pins(ROOT / "requirements.in"), _pins(ROOT / "requirements.txt")
    assert wanted and {n: locked.get(n) for n in wanted} == wanted, "run `make lock`"
    assert _unhashed(ROOT / "requirements.txt") == []
    assert "pip" not in locked and "chalice" not in locked  # neither belongs in the Lambda zip


def test_the_lock_holds_every_dev_and_runtime_pin_with_hashes():
    lock = _pins(ROOT / "requirements.lock")
    for source in ("requirements-dev.txt", "requirements.txt"):
        wanted = _pins(ROOT / source)
        stale = {n: (v, lock.get(n)) for n, v in wanted.items() if lock.get(n) != v}
        assert stale == {}, f"{source} and requirements.lock differ (run `make lock`): {stale}"
    assert _unhashed(ROOT / "requirements.lock") == []
    # pip itself is locked too, below what chalice 1.34 can package with.
    major, minor = (int(x) for x in lock["pip"].split(".")[:2])
    assert (major, minor) < (26, 3)
    for tool in ("pip-tools", "pip-audit", "detect-secrets"):
        assert tool in lock


def test_the_makefile_installs_only_from_the_hashed_lock_and_ci_runs_the_checks():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    stamp = re.search(r"^\$\(STAMP_PY\):(.*?)\n\n", makefile, re.S | re.M).group(0)
    assert "requirements.lock" in stamp.splitlines()[0]
    installs = re.findall(r"pip install[^\n]*", stamp)
    assert installs and all("--require-hashes -r requirements.lock" in i for i in installs), installs
    for target in ("lock:", "audit:", "secrets:"):
        assert re.search(rf"^{target}", makefile, re.M), target
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    order = [ci.find(f"\nmake {t}") for t in ("test", "secrets", "audit")]
    assert -1 not in order and order == sorted(order), order


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "app.py").write_text('GREETING = "xin chao"\n', encoding="utf-8")
    return tmp_path


def _baseline(root: pathlib.Path, results: dict) -> None:
    (root / ".secrets.baseline").write_text(
        json.dumps({"version": "1.5.0", "plugins_used": [], "filters_used": [], "results": results}), encoding="utf-8"
    )


def test_the_secret_scan_fails_on_a_planted_aws_key_and_passes_once_it_is_gone(repo, capsys):
    secrets = _module("secrets")
    _baseline(repo, {})
    assert secrets.check(str(repo), ".secrets.baseline") == 0
    # An AWS access key pair, built here so this file itself holds none.
    key_id = "AKIA" + "J7Q2XWZP4R8KLM3N"
    secret = "wJalr" + "XUtnFEMI/K7MDENG/bPxRfiCY" + "Zq81Lm0AbC"
    (repo / "settings.py").write_text(
        f'AWS_ACCESS_KEY_ID = "{key_id}"\naws_secret_access_key = "{secret}"\n', encoding="utf-8"
    )
    assert secrets.check(str(repo), ".secrets.baseline") == 1
    out = capsys.readouterr().out
    assert "settings.py:1: AWS Access Key" in out and "FAILED" in out
    # Reviewed as a false positive, it passes; marked as a real secret, it fails again.
    secrets.update(str(repo), ".secrets.baseline")
    assert secrets.check(str(repo), ".secrets.baseline") == 0
    data = json.loads((repo / ".secrets.baseline").read_text(encoding="utf-8"))
    data["results"]["settings.py"][0]["is_secret"] = True
    (repo / ".secrets.baseline").write_text(json.dumps(data), encoding="utf-8")
    assert secrets.check(str(repo), ".secrets.baseline") == 1


def test_the_repository_baseline_lists_only_reviewed_false_positives():
    data = json.loads((ROOT / ".secrets.baseline").read_text(encoding="utf-8"))
    entries = [r for items in data["results"].values() for r in items]
    assert all(r.get("is_secret") is False for r in entries), "review new entries: detect-secrets audit"


def test_an_audit_without_a_vulnerability_source_says_skipped_not_clean(monkeypatch, capsys):
    audit = _module("audit")
    monkeypatch.delenv("AUDIT_SOURCE", raising=False)
    monkeypatch.setattr(audit, "reachable_source", lambda: None)
    ran = []
    monkeypatch.setattr(audit.subprocess, "call", lambda command: ran.append(command) or 0)
    assert audit.main("requirements.lock", fetch=lambda name: None) == 0 and ran == []
    assert "SKIPPED" in capsys.readouterr().out
    # With a source, pip-audit runs strict (a package it cannot audit fails) on the hashed lock.
    monkeypatch.setattr(audit, "reachable_source", lambda: "osv")
    monkeypatch.setattr(audit.subprocess, "call", lambda command: ran.append(command) or 1)
    assert audit.main("requirements.lock") == 1
    [command] = ran
    assert {"--strict", "--require-hashes", "--disable-pip"} <= set(command)
    assert command[command.index("--vulnerability-service") + 1] == "osv" and command[-1] == "requirements.lock"


def test_without_pip_audits_sources_the_pins_at_their_latest_release_are_audited_with_pypis_data(
    monkeypatch, capsys, tmp_path
):
    audit = _module("audit")
    monkeypatch.delenv("AUDIT_SOURCE", raising=False)
    monkeypatch.setattr(audit, "reachable_source", lambda: None)
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "pynamodb==6.1.0 \\\n    --hash=sha256:ab\nrequests==2.30.0 ; python_version >= '3.9' \\\n"
        "    --hash=sha256:cd\nqrcode==8.2 \\\n    --hash=sha256:ef\n",
        encoding="utf-8",
    )
    projects = {
        "pynamodb": {"info": {"version": "6.1.0"}, "vulnerabilities": []},
        "requests": {"info": {"version": "2.34.2"}, "vulnerabilities": []},
        "qrcode": {
            "info": {"version": "8.2"},
            "vulnerabilities": [{"id": "PYSEC-0000-1", "link": "https://osv.dev/PYSEC-0000-1", "withdrawn": None}],
        },
    }
    assert audit.main(str(lock), fetch=projects.get) == 1
    out = capsys.readouterr().out
    assert "cover 2 of 3 pins" in out and "not audited: requests 2.30.0 (latest 2.34.2)" in out
    assert "VULNERABLE: qrcode 8.2: PYSEC-0000-1" in out
    # A withdrawn advisory does not count; nothing else found: clean, and says how much was covered.
    projects["qrcode"]["vulnerabilities"][0]["withdrawn"] = "2026-01-01T00:00:00Z"
    assert audit.main(str(lock), fetch=projects.get) == 0
    assert "no known vulnerability in the 2 audited pins" in capsys.readouterr().out
    # PyPI silent as well: SKIPPED, never clean.
    assert audit.main(str(lock), fetch=lambda name: None) == 0
    assert "SKIPPED" in capsys.readouterr().out
