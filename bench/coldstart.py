"""Cold start: the wall time to import `app` in a fresh interpreter, against a
bare `import boto3, chalice, pynamodb.models` measured the same way in the
same run (alternating order, so drift hits both alike)."""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict

from bench.common import PY, ROOT, clean_env, heading, median, ms, table

GOAL_RATIO = 1.25
TIMED = "import time; t=time.perf_counter(); import {mods}; print(time.perf_counter()-t)"
APP = "app"
BASELINE = "boto3, chalice, pynamodb.models"
# Heavy dependencies that the app should import only when a request needs them
# (botocore's bare package is fine: Powertools imports it for its user agent).
HEAVY = (
    "boto3",
    "botocore.session",
    "botocore.client",
    "pynamodb.models",
    "pynamodb.connection",
    "cryptography",
    "jwt",
    "aws_xray_sdk",
    "requests",
    "urllib3",
    "qrcode",
)
# Import `app` with the network switched off, then say what got imported.
NO_NETWORK = r"""
import json, socket, sys
def _refuse(*a, **k):
    raise OSError("importing app tried to use the network")
socket.socket.connect = socket.socket.connect_ex = _refuse
socket.getaddrinfo = socket.create_connection = _refuse
import app
print(json.dumps({"modules": len(sys.modules),
                  "heavy_loaded": [m for m in HEAVY if m in sys.modules]}))
"""


def _time_import(mods: str) -> float:
    out = subprocess.run(
        [PY, "-c", TIMED.format(mods=mods)], cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=60
    )
    if out.returncode != 0:
        raise RuntimeError(f"`import {mods}` failed:\n{out.stderr.strip()[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def _importtime(runs: int) -> list[dict]:
    """Median self and cumulative time per module over `runs` -X importtime runs."""
    samples: dict[str, dict] = defaultdict(lambda: {"self": [], "cum": [], "depth": 0})
    order: list[str] = []
    for _ in range(runs):
        out = subprocess.run(
            [PY, "-X", "importtime", "-c", "import app"],
            cwd=ROOT,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        if out.returncode != 0:
            raise RuntimeError(f"importing app failed:\n{out.stderr.strip()[-2000:]}")
        for line in out.stderr.splitlines():
            if not line.startswith("import time:") or "imported package" in line:
                continue
            self_us, cum_us, name = line[len("import time:") :].split("|", 2)
            module = name.strip()
            s = samples[module]
            if not s["self"]:
                order.append(module)
            s["self"].append(int(self_us))
            s["cum"].append(int(cum_us))
            s["depth"] = (len(name) - len(name.lstrip()) - 1) // 2
    return [
        {
            "module": m,
            "depth": samples[m]["depth"],
            "self_ms": median(samples[m]["self"]) / 1000,
            "cumulative_ms": median(samples[m]["cum"]) / 1000,
        }
        for m in order
    ]


def run(runs: int = 15, importtime_runs: int = 3) -> dict:
    heading("1. Cold start (import in a fresh interpreter, no network)")
    # Warm the OS file cache and write .pyc files first; those runs are not counted.
    _time_import(APP)
    _time_import(BASELINE)
    app_times, base_times = [], []
    for i in range(runs):
        pair = [(APP, app_times), (BASELINE, base_times)]
        for mods, into in pair if i % 2 == 0 else reversed(pair):
            into.append(_time_import(mods))
    app_med, base_med = median(app_times), median(base_times)
    ratio = app_med / base_med

    guard = subprocess.run(
        [PY, "-c", f"HEAVY = {HEAVY!r}\n" + NO_NETWORK],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if guard.returncode != 0:
        raise RuntimeError(f"importing app with the network off failed:\n{guard.stderr.strip()[-2000:]}")
    loaded = json.loads(guard.stdout.strip().splitlines()[-1])

    print(
        table(
            ["import", "median", "min", "max", "runs"],
            [
                ["app", ms(app_med), ms(min(app_times)), ms(max(app_times)), runs],
                [BASELINE, ms(base_med), ms(min(base_times)), ms(max(base_times)), runs],
            ],
            right=(1, 2, 3, 4),
        )
    )
    verdict = "OK" if ratio <= GOAL_RATIO else "OVER GOAL"
    print(f"\nratio app / baseline: {ratio:.2f}x  (goal <= {GOAL_RATIO}x: {verdict})")
    print(
        f"importing app needs no network; {loaded['modules']} modules loaded; heavy dependencies loaded at import: "
        f"{', '.join(loaded['heavy_loaded']) or 'none (all deferred to first use)'}"
    )

    modules = _importtime(importtime_runs)
    top = sorted((m for m in modules if m["module"] != "app"), key=lambda m: -m["cumulative_ms"])[:10]
    print(
        f"\nTop 10 modules by cumulative import time under `import app` (-X importtime, median of "
        f"{importtime_runs}; indentation = nesting):"
    )
    print(
        table(
            ["module", "cumulative", "self"],
            [
                ["  " * max(0, m["depth"] - 1) + m["module"], f"{m['cumulative_ms']:.1f} ms", f"{m['self_ms']:.1f} ms"]
                for m in top
            ],
            right=(1, 2),
        )
    )
    by_package: dict[str, float] = defaultdict(float)
    for m in modules:
        if m["module"] != "app":
            by_package[m["module"].split(".")[0]] += m["self_ms"]
    packages = sorted(by_package.items(), key=lambda kv: -kv[1])[:8]
    print("Self time by top-level package: " + ", ".join(f"{p} {t:.1f} ms" for p, t in packages))

    return {
        "runs": runs,
        "app_median_s": app_med,
        "baseline_median_s": base_med,
        "baseline": f"import {BASELINE}",
        "ratio": ratio,
        "goal_ratio": GOAL_RATIO,
        "within_goal": ratio <= GOAL_RATIO,
        "app_samples_s": app_times,
        "baseline_samples_s": base_times,
        "modules_loaded": loaded["modules"],
        "heavy_loaded_at_import": loaded["heavy_loaded"],
        "top_imports": top,
        "self_ms_by_package": dict(packages),
    }
