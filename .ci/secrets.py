"""`make secrets`: detect-secrets over every file git knows (tracked, and new files not
ignored), compared with the reviewed baseline `.secrets.baseline`.

Fails (exit 1) on any finding the baseline does not list, and on any baseline entry
marked as a real secret (`is_secret: true`). Entries are matched by file, type and
the secret's hash, not by line, so edits elsewhere in a file do not fail the check.
`make secrets-baseline` rescans and keeps the review marks; review new entries
(`detect-secrets audit .secrets.baseline`) before committing it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Tool caches and generated lock files: no hand-written secret can live there.
EXCLUDE = (
    r"^\.secrets\.baseline$|(^|/)\.schemathesis/|(^|/)\.hypothesis/|^requirements\.(txt|lock)$|^package-lock\.json$"
)


def tracked_files(root: str) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return sorted({f for f in out.split("\0") if f and os.path.isfile(os.path.join(root, f))})


def scan(root: str, files: list[str]) -> dict:
    tool = os.path.join(os.path.dirname(sys.executable), "detect-secrets")
    out = subprocess.run(
        [tool, "scan", "--exclude-files", EXCLUDE, *files], cwd=root, check=True, capture_output=True
    ).stdout
    return json.loads(out)


def findings(results: dict) -> set[tuple[str, str, str]]:
    return {(path, r["type"], r["hashed_secret"]) for path, items in results.items() for r in items}


def check(root: str, baseline_path: str) -> int:
    with open(os.path.join(root, baseline_path), encoding="utf-8") as f:
        baseline = json.load(f)
    found = scan(root, tracked_files(root))
    new = findings(found["results"]) - findings(baseline["results"])
    real = [
        (p, r["type"], r.get("line_number"))
        for p, items in baseline["results"].items()
        for r in items
        if r.get("is_secret")
    ]
    for path, kind, hashed in sorted(new):
        line = next(r["line_number"] for r in found["results"][path] if r["hashed_secret"] == hashed)
        print(f"secret? {path}:{line}: {kind} (not in {baseline_path})")
    for path, kind, line in real:
        print(f"secret! {path}:{line}: {kind} is marked as a real secret in {baseline_path}: remove it")
    if new or real:
        print(
            "make secrets: FAILED. Move real secrets to SSM/env; for a false positive, `make secrets-baseline` "
            "then review it with `detect-secrets audit .secrets.baseline`."
        )
        return 1
    print(
        f"make secrets: no secret outside the reviewed baseline ({len(findings(baseline['results']))} "
        "reviewed false positives)"
    )
    return 0


def update(root: str, baseline_path: str) -> int:
    """Rescan into the baseline, keeping the review marks (is_secret) of findings already there."""
    path = os.path.join(root, baseline_path)
    old = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = {(p, r["type"], r["hashed_secret"]): r for p, items in json.load(f)["results"].items() for r in items}
    fresh = scan(root, tracked_files(root))
    for p, items in fresh["results"].items():
        for r in items:
            before = old.get((p, r["type"], r["hashed_secret"]))
            if before is not None and "is_secret" in before:
                r["is_secret"] = before["is_secret"]
    fresh.pop("generated_at", None)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(fresh, f, indent=2, sort_keys=True)
        f.write("\n")
    unreviewed = sum("is_secret" not in r for items in fresh["results"].values() for r in items)
    print(f"{baseline_path}: {unreviewed} finding(s) to review (detect-secrets audit {baseline_path})")
    return 0


if __name__ == "__main__":
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if len(sys.argv) > 1 and sys.argv[1] == "--update":
        sys.exit(update(root, ".secrets.baseline"))
    sys.exit(check(root, ".secrets.baseline"))
