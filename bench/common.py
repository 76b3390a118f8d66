"""Shared helpers: paths, the environment of a clean subprocess, statistics and
plain-text tables."""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Iterable, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
PY = sys.executable
REGION = "ap-southeast-1"
# A fixed, obviously fake 40-character signing key (config wants at least 32).
JWT_SECRET = "bench-only-not-a-secret-0123456789abcdef"
assert len(JWT_SECRET) == 40

# What is passed through from the caller's environment to a measured
# subprocess; everything else (AWS_*, PYTHON*, proxies) is left out.
_PASS = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "JAVA_HOME")


def clean_env(**extra: str) -> dict:
    env = {k: os.environ[k] for k in _PASS if k in os.environ}
    env.update(STAGE="test", JWT_SECRET=JWT_SECRET, AWS_DEFAULT_REGION=REGION, AWS_EC2_METADATA_DISABLED="true")
    env.update(extra)
    return env


def run_child(module: str, args: list, env: dict, timeout: int) -> dict:
    """Run `python -m <module> <args...> <out.json>` in a fresh interpreter (the app
    binds its engines at import, so each section gets its own) and return its JSON."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        done = subprocess.run([PY, "-m", module, *map(str, args), out], cwd=ROOT, env=env, timeout=timeout)
        if done.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"{module} exited with code {done.returncode}")
        with open(out, encoding="utf-8") as f:
            return json.load(f)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p90(values: Sequence[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], right: Sequence[int] = ()) -> str:
    """A plain-text table; columns whose index is in `right` are right-aligned."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells):
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def heading(title: str) -> None:
    print()
    print(title)
    print("=" * len(title))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
