"""Importing app.py (a Lambda cold start) must not pull in the heavy modules:
they load on first use. Timings are for bench/; this only checks which modules load."""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAVY = (
    "pynamodb",
    "boto3",
    "botocore.session",
    "jwt",
    "cryptography",
    "fpdf",
    "PIL",
    "qrcode",
    "aws_xray_sdk",
    "requests",
)


def test_importing_the_app_loads_no_heavy_module_and_needs_no_network():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    env.update(STAGE="test", JWT_SECRET="x" * 40, AWS_DEFAULT_REGION="ap-southeast-1")
    code = (
        "import json, socket, sys\n"
        "socket.socket.connect = lambda *a, **k: (_ for _ in ()).throw(OSError('no network at import'))\n"
        "import app\n"
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
