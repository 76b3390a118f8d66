"""`make audit`: pip-audit over every package of the lock; where pip-audit's
sources cannot be reached, the same advisory data for every pin PyPI can still
speak for; a clear SKIPPED when there is none.

pip-audit asks PyPI's per-release JSON API (`/pypi/<name>/<version>/json`, its
`vulnerabilities`) or OSV. When neither answers, pip-audit itself would skip every
package as "not found" and still say "No known vulnerabilities found": this script
never lets an audit that did not happen read as a clean one. With a source,
`--strict` fails on any package that could not be audited.

Fallback: some registries pass PyPI's project JSON (`/pypi/<name>/json`) but not
the per-release one. The project JSON carries the advisories of the project's
latest release, so every pin *at* the latest release is audited with PyPI's own
data; a pin behind it is named as not audited. Any advisory fails the build."""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Callable

PROBES = (
    ("pypi", "https://pypi.org/pypi/requests/2.32.3/json", None),
    ("osv", "https://api.osv.dev/v1/query", b'{"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.4"}'),
)


def reachable_source() -> str | None:
    for name, url, data in PROBES:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=15) as answer:
                if answer.status == 200 and b"vuln" in answer.read():
                    return name
        except OSError:
            continue
    return None


PIN_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)==([^\s;\\]+)", re.M)


def pins(lock_text: str) -> list[tuple[str, str]]:
    return PIN_RE.findall(lock_text)


def project_json(name: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=20) as answer:
            return json.load(answer) if answer.status == 200 else None
    except (OSError, ValueError):
        return None


def audit_latest(pinned: list[tuple[str, str]], fetch: Callable[[str], dict | None]) -> dict:
    """Advisories of every pin at its project's latest release; the others named."""
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        projects = list(pool.map(lambda pin: fetch(pin[0]), pinned))
    out = {"audited": [], "behind": [], "unreachable": [], "vulnerable": []}
    for (name, version), project in zip(pinned, projects):
        if project is None:
            out["unreachable"].append(name)
            continue
        latest = str(project.get("info", {}).get("version", ""))
        if latest != version:
            out["behind"].append((name, version, latest))
            continue
        out["audited"].append(name)
        for advisory in project.get("vulnerabilities") or []:
            if not advisory.get("withdrawn"):
                out["vulnerable"].append((name, version, advisory.get("id"), advisory.get("link")))
    return out


def fallback(lock: str, fetch: Callable[[str], dict | None] = project_json) -> int | None:
    """The exit code, or None when PyPI's project JSON does not answer either."""
    with open(lock, encoding="utf-8") as f:
        pinned = pins(f.read())
    result = audit_latest(pinned, fetch)
    if not result["audited"]:
        return None
    print(
        f"make audit: PARTIAL: pip-audit's sources are not reachable from here; PyPI's advisories for the latest "
        f"release cover {len(result['audited'])} of {len(pinned)} pins"
    )
    for name, version, latest in result["behind"]:
        print(f"  not audited: {name} {version} (latest {latest})")
    for name in result["unreachable"]:
        print(f"  not audited: {name} (PyPI did not answer)")
    for name, version, advisory, link in result["vulnerable"]:
        print(f"  VULNERABLE: {name} {version}: {advisory} {link or ''}")
    if result["vulnerable"]:
        return 1
    print(f"make audit: no known vulnerability in the {len(result['audited'])} audited pins")
    return 0


def main(lock: str, fetch: Callable[[str], dict | None] = project_json) -> int:
    source = os.environ.get("AUDIT_SOURCE") or reachable_source()
    if source is None:
        code = fallback(lock, fetch)
        if code is not None:
            return code
        print(
            "make audit: SKIPPED: no vulnerability source is reachable from here (PyPI's JSON API and OSV do not "
            "answer); run `make audit` where one is."
        )
        return 0
    tool = os.path.join(os.path.dirname(sys.executable), "pip-audit")
    command = [
        tool,
        "--strict",
        "--require-hashes",
        "--disable-pip",
        "--progress-spinner",
        "off",
        "--vulnerability-service",
        source,
        "--requirement",
        lock,
    ]
    print("make audit:", " ".join(command[1:]), flush=True)
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock"))
