"""`make run`: the whole backend on this machine, on real engines.

DynamoDB Local (data kept in .local/dynamodb), moto (SQS, SNS, SES, SSM,
EventBridge; in memory, so queues are recreated on each start), tables,
queues and demo data (idempotent), the API under `chalice local`, the event
runner (SQS messages and schedules, see local/events.py), the VNPay sandbox
(local/vnpay_sandbox.py: payment page, IPN, querydr/refund, a bank app for
VNPAY-QR), and the SMS outbox shown on the console (local stage only). Ctrl-C stops everything it started.

The end-to-end tests start the same `Stack` on free ports, with DynamoDB in
memory and a temporary state directory.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import IO

from local import engines

ROOT = engines.ROOT
DEFAULT_PORTS = {
    "API_PORT": 8000,
    "DYNAMODB_PORT": 8010,
    "MOTO_PORT": 8011,
    "VNPAY_SANDBOX_PORT": 8001,
    "CHAT_FAKES_PORT": 8002,
    "BANK_FAKES_PORT": 8003,
    "EINVOICE_FAKE_PORT": 8004,
}
DEMO_CUSTOMERS = (
    ("01031059", "Dương Tấn Hiền: invoice 05/2023, 264 -> 275, 11 m³, 78.255 đ unpaid"),
    ("01031060", "a neighbour: one unpaid invoice"),
)
UNREGISTERED_CODE = "01031061"
# Settings the stack owns: a developer's shell must not redirect them.
# (VNPAY_TMN_CODE and VNPAY_HASH_SECRET are the developer's to choose: see StackConfig
# and vnpay_hash_secret(); the URLs point at the local sandbox, always.)
_STACK_KEYS = (
    "STAGE",
    "TABLE_PREFIX",
    "JWT_SECRET",
    "JWT_SECRET_PARAM",
    "LOCAL_SMS_OUTBOX",
    "NOTIFICATIONS_QUEUE",
    "_X_AMZN_TRACE_ID",
    "VNPAY_PAY_URL",
    "VNPAY_API_URL",
    "VNPAY_RETURN_URL",
    "VNPAY_HASH_SECRET_PARAM",
    "VNPAY_IPN_ALLOWED_IPS",
    # E-invoices: the local S-Invoice fake, always (einvoice_env; the password is the developer's to choose).
    "EINVOICE_PROVIDER",
    "EINVOICE_BASE_URL",
    "EINVOICE_PASSWORD_PARAM",
)
DEFAULT_VNPAY_TMN_CODE = "CSKHDEMO"
# The local S-Invoice's supplier, template (mẫu số) and series (ký hiệu): what `make run` registers with it.
EINVOICE_FAKE_TAX_CODE, EINVOICE_FAKE_TEMPLATE, EINVOICE_FAKE_SERIES = "0100109106", "1/001", "C26TAA"
_PREPARE = (
    "from local import bootstrap, seed; bootstrap.main(); print('demo data created (0 = already there):', seed.load())"
)


class StackError(RuntimeError):
    """The stack cannot start; the message says why and what to do."""


class StackInterrupted(Exception):
    """A stop was requested (Ctrl-C) while the stack was starting."""


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------


@dataclass
class StackConfig:
    api_port: int = DEFAULT_PORTS["API_PORT"]
    dynamodb_port: int = DEFAULT_PORTS["DYNAMODB_PORT"]
    moto_port: int = DEFAULT_PORTS["MOTO_PORT"]
    vnpay_sandbox_port: int = DEFAULT_PORTS["VNPAY_SANDBOX_PORT"]
    chat_fakes_port: int = DEFAULT_PORTS["CHAT_FAKES_PORT"]  # local/chat_fakes.py: Messenger and Zalo OA
    bank_fakes_port: int = DEFAULT_PORTS["BANK_FAKES_PORT"]  # local/bank_fakes.py: bank app, SePay, Casso
    einvoice_fake_port: int = DEFAULT_PORTS["EINVOICE_FAKE_PORT"]  # local/einvoice_fake.py: Viettel S-Invoice
    state_dir: str = os.path.join(ROOT, ".local")
    persistent: bool = True  # DynamoDB Local on disk (make run) or in memory (tests)
    demo_password: str | None = None  # None: $DEMO_PASSWORD, else seed's documented default
    vnpay_tmn_code: str = DEFAULT_VNPAY_TMN_CODE
    vnpay_ipn_retry_seconds: float = 2.0  # VNPay waits 5 minutes between IPN attempts; compressed locally
    extra_env: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, env=None) -> StackConfig:
        env = os.environ if env is None else env
        ports = {}
        for name, default in DEFAULT_PORTS.items():
            raw = (env.get(name) or "").strip()
            if not raw:
                ports[name] = default
                continue
            if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
                raise StackError(f"{name} must be a port number from 1024 to 65535, got {raw!r}")
            ports[name] = int(raw)
        tmn_code = (env.get("VNPAY_TMN_CODE") or "").strip() or DEFAULT_VNPAY_TMN_CODE
        if not re.fullmatch(r"[A-Za-z0-9]{8}", tmn_code):
            raise StackError(f"VNPAY_TMN_CODE must be 8 letters or digits, got {tmn_code!r}")
        return cls(
            api_port=ports["API_PORT"],
            dynamodb_port=ports["DYNAMODB_PORT"],
            moto_port=ports["MOTO_PORT"],
            vnpay_sandbox_port=ports["VNPAY_SANDBOX_PORT"],
            chat_fakes_port=ports["CHAT_FAKES_PORT"],
            bank_fakes_port=ports["BANK_FAKES_PORT"],
            einvoice_fake_port=ports["EINVOICE_FAKE_PORT"],
            vnpay_tmn_code=tmn_code,
        )

    @classmethod
    def ephemeral(cls, state_dir: str, **overrides) -> StackConfig:
        """Free ports, DynamoDB in memory, state in `state_dir`: for tests."""
        ports = set()
        while len(ports) < 7:
            ports.add(engines.free_port())
        api, ddb, moto, vnpay, chat, bank, einvoice = sorted(ports)
        overrides.setdefault("vnpay_ipn_retry_seconds", 1.0)
        return cls(
            api_port=api,
            dynamodb_port=ddb,
            moto_port=moto,
            vnpay_sandbox_port=vnpay,
            chat_fakes_port=chat,
            bank_fakes_port=bank,
            einvoice_fake_port=einvoice,
            state_dir=str(state_dir),
            persistent=False,
            **overrides,
        )

    def ports(self) -> dict[str, int]:
        return {
            "API_PORT": self.api_port,
            "DYNAMODB_PORT": self.dynamodb_port,
            "MOTO_PORT": self.moto_port,
            "VNPAY_SANDBOX_PORT": self.vnpay_sandbox_port,
            "CHAT_FAKES_PORT": self.chat_fakes_port,
            "BANK_FAKES_PORT": self.bank_fakes_port,
            "EINVOICE_FAKE_PORT": self.einvoice_fake_port,
        }

    @property
    def lock_path(self) -> str:
        return os.path.join(self.state_dir, "run.pid")

    @property
    def jwt_secret_path(self) -> str:
        return os.path.join(self.state_dir, "jwt_secret")

    @property
    def vnpay_hash_secret_path(self) -> str:
        return os.path.join(self.state_dir, "vnpay_hash_secret")

    @property
    def vnpay_url(self) -> str:
        return f"http://127.0.0.1:{self.vnpay_sandbox_port}"

    @property
    def outbox_path(self) -> str:
        return os.path.join(self.state_dir, "sms-outbox.jsonl")

    @property
    def dynamodb_dir(self) -> str:
        return os.path.join(self.state_dir, "dynamodb")

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def einvoice_url(self) -> str:
        return f"http://127.0.0.1:{self.einvoice_fake_port}"


def read_jwt_secret(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def ensure_jwt_secret(path: str) -> str:
    """The local signing key: generated once (0600), then reused so tokens
    survive a restart. Never in the repository (.local/ is ignored)."""
    return _ensure_secret_file(path, lambda: secrets.token_urlsafe(48), "a JWT secret")


def _ensure_secret_file(path: str, generate, what: str) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    secret = read_jwt_secret(path)
    if secret is None:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _ensure_secret_file(path, generate, what)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(generate() + "\n")
        secret = read_jwt_secret(path)
    os.chmod(path, 0o600)
    if secret is None or len(secret) < 32:
        raise StackError(f"{path} holds {what} shorter than 32 characters; delete the file to get a new one")
    return secret


def vnpay_hash_secret(config: StackConfig, env=None, create: bool = True) -> str | None:
    """The VNPay terminal's hash secret the API and the sandbox share:
    $VNPAY_HASH_SECRET if set, else one generated once into
    .local/vnpay_hash_secret (0600; 32 characters like VNPay's)."""
    env = os.environ if env is None else env
    if (env.get("VNPAY_HASH_SECRET") or "").strip():
        return env["VNPAY_HASH_SECRET"].strip()
    if not create:
        return read_jwt_secret(config.vnpay_hash_secret_path)
    return _ensure_secret_file(
        config.vnpay_hash_secret_path, lambda: secrets.token_hex(16).upper(), "a VNPay hash secret"
    )


def app_env(config: StackConfig, jwt_secret: str | None, base=None, vnpay_secret: str | None = None) -> dict:
    """The environment of the API, the event runner, bootstrap/seed, jobs and
    the VNPay sandbox. `vnpay_secret` None: $VNPAY_HASH_SECRET or the one in
    the state directory, if any (jobs read it; `make run` creates it)."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not k.startswith("AWS_") and k not in _STACK_KEYS}
    ddb_port = config.dynamodb_port if engines.java_available() else config.moto_port
    env.update(engines.aws_env(ddb_port, config.moto_port))
    env.update(
        {
            "AWS_CONFIG_FILE": os.devnull,  # no profile of the developer's can leak in
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "STAGE": "local",
            "LOCAL_SMS_OUTBOX": config.outbox_path,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
        }
    )
    if jwt_secret:
        env["JWT_SECRET"] = jwt_secret
    # VNPay: the local sandbox plays VNPay (VNPAY_RETURN_URL stays unset: the API derives it).
    env.update(
        {
            "VNPAY_TMN_CODE": config.vnpay_tmn_code,
            "VNPAY_PAY_URL": f"{config.vnpay_url}/paymentv2/vpcpay.html",
            "VNPAY_API_URL": f"{config.vnpay_url}/merchant_webapi/api/transaction",
        }
    )
    vnpay_secret = vnpay_secret or vnpay_hash_secret(config, source, create=False)
    if vnpay_secret:
        env["VNPAY_HASH_SECRET"] = vnpay_secret
    if config.demo_password:
        env["DEMO_PASSWORD"] = config.demo_password
    env.update(config.extra_env)
    return env


def chat_env(config: StackConfig, base: dict) -> dict:
    """The chat channels, on in the local stack: the API, the worker and local/chat_fakes.py share
    these. Secrets are drawn afresh at each start (they live only in the processes' environment);
    $FACEBOOK_APP_SECRET etc. in the developer's shell win."""
    fakes = f"http://127.0.0.1:{config.chat_fakes_port}"
    env = {"FACEBOOK_GRAPH_URL": f"{fakes}/graph/v25.0", "ZALO_API_URL": f"{fakes}/zalo"}
    for name, make in (
        ("FACEBOOK_APP_SECRET", lambda: secrets.token_hex(16)),
        ("FACEBOOK_PAGE_TOKEN", lambda: "EAA" + secrets.token_urlsafe(32)),
        ("FACEBOOK_VERIFY_TOKEN", lambda: secrets.token_urlsafe(16)),
        ("ZALO_APP_ID", lambda: str(1000000000000000000 + secrets.randbelow(10**18))),
        ("ZALO_OA_SECRET", lambda: secrets.token_urlsafe(15)),
        ("ZALO_ACCESS_TOKEN", lambda: secrets.token_urlsafe(48)),
    ):
        env[name] = base.get(name) or make()
    return env


def bank_env(base: dict) -> dict:
    """The bank-notification services' keys, the same for the API and local/bank_fakes.py: the developer's
    $SEPAY_API_KEY / $CASSO_CHECKSUM_KEY, else the documented demo keys (chalicelib/config.py)."""
    from local.bank_fakes import DEMO_CASSO_CHECKSUM_KEY, DEMO_SEPAY_API_KEY

    return {
        "SEPAY_API_KEY": base.get("SEPAY_API_KEY") or DEMO_SEPAY_API_KEY,
        "CASSO_CHECKSUM_KEY": base.get("CASSO_CHECKSUM_KEY") or DEMO_CASSO_CHECKSUM_KEY,
    }


def einvoice_env(config: StackConfig, base: dict) -> dict:
    """E-invoices on, through local/einvoice_fake.py (docs/einvoice.md): the API and the readings worker queue
    charged invoices, the e-invoices worker issues them at the fake. Its supplier, template and series are the
    fake's; the account is the developer's $EINVOICE_USERNAME / $EINVOICE_PASSWORD, else the documented demo
    pair only the fake accepts (a local value in the processes' environment, never SSM)."""
    from local.einvoice_fake import DEMO_PASSWORD, DEMO_USERNAME, PREFIX

    return {
        "EINVOICE_PROVIDER": "viettel",
        "EINVOICE_BASE_URL": f"{config.einvoice_url}{PREFIX}/",
        "EINVOICE_SUPPLIER_TAX_CODE": EINVOICE_FAKE_TAX_CODE,
        "EINVOICE_TEMPLATE_CODE": EINVOICE_FAKE_TEMPLATE,
        "EINVOICE_SERIES": EINVOICE_FAKE_SERIES,
        "EINVOICE_USERNAME": base.get("EINVOICE_USERNAME") or DEMO_USERNAME,
        "EINVOICE_PASSWORD": base.get("EINVOICE_PASSWORD") or DEMO_PASSWORD,
        "EINVOICE_LOOKUP_URL": f"{config.einvoice_url}/tra-cuu",
    }


# --------------------------------------------------------------------------
# One `make run` at a time; ports free
# --------------------------------------------------------------------------


class RunLock:
    """`.local/run.pid`, held with flock for the life of the process: the
    kernel drops it when the process dies, so a stale file never blocks."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> RunLock:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                try:
                    pid = os.read(fd, 32).decode(errors="replace").strip() or "?"
                finally:
                    os.close(fd)
                raise StackError(
                    f"another `make run` is already running (pid {pid}, state in {os.path.dirname(self.path)}). "
                    f"Stop it first (Ctrl-C in its terminal, or `kill -INT {pid}`)."
                ) from None
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the previous holder removed the file meanwhile; lock the new one
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT leftovers
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return engines.port_open(port)


def check_ports(config: StackConfig) -> None:
    ports = config.ports()
    seen: dict[int, str] = {}
    for name, port in ports.items():
        if port in seen:
            raise StackError(f"{seen[port]} and {name} are both {port}; give each its own port")
        seen[port] = name
    wanted = ["API_PORT", "MOTO_PORT", "VNPAY_SANDBOX_PORT", "CHAT_FAKES_PORT", "BANK_FAKES_PORT"]
    wanted += ["EINVOICE_FAKE_PORT"] + (["DYNAMODB_PORT"] if engines.java_available() else [])
    for name in wanted:
        if port_in_use(ports[name]):
            raise StackError(
                f"port {ports[name]} ({name}) is already in use by another program; stop it, or pick another "
                f"port, e.g. `{name}={ports[name] + 100} make run`"
            )


# --------------------------------------------------------------------------
# Output: every child's lines, prefixed with its name
# --------------------------------------------------------------------------

# moto logs every call (the event runner long-polls each second): only its errors are news.
_QUIET = {"moto": re.compile(r'"[A-Z]+ \S+ HTTP/[\d.]+" [23]\d\d ')}


class Output:
    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._lock = threading.Lock()
        self.recent: dict[str, collections.deque] = collections.defaultdict(lambda: collections.deque(maxlen=30))

    def line(self, name: str, text: str) -> None:
        self.recent[name].append(text)
        with self._lock:
            try:
                self.stream.write(f"{name:>8} | {text}\n")
                self.stream.flush()
            except (ValueError, OSError):  # the stream was closed under us (end of a test session)
                pass

    def say(self, text: str = "") -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def pump(self, name: str, pipe) -> threading.Thread:
        quiet = _QUIET.get(name)

        def run() -> None:
            with pipe:
                for raw in iter(pipe.readline, b""):
                    text = raw.decode("utf-8", "replace").rstrip("\r\n")
                    if quiet is None or not quiet.search(text):
                        self.line(name, text)

        thread = threading.Thread(target=run, name=f"out-{name}", daemon=True)
        thread.start()
        return thread

    def tail(self, name: str) -> str:
        return "\n".join(f"    {line}" for line in self.recent.get(name, ()))


def format_sms(line: str) -> str | None:
    try:
        sms = json.loads(line)
        return f"SMS to {sms['to']} for {sms['customer_code']}: {sms['text']}"
    except (ValueError, KeyError, TypeError):
        return None


# --------------------------------------------------------------------------
# The stack
# --------------------------------------------------------------------------


class Stack:
    def __init__(self, config: StackConfig, out: IO[str] | None = None) -> None:
        self.config = config
        self.out = Output(out or sys.stdout)
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.env: dict = {}
        self.dynamodb_on_moto = not engines.java_available()
        self._lock: RunLock | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._abort = threading.Event()
        self.launched = 0  # children started, ever

    @property
    def api_url(self) -> str:
        return self.config.api_url

    @property
    def vnpay_url(self) -> str:
        return self.config.vnpay_url

    def request_stop(self) -> None:
        """Safe from a signal handler: start() and wait() notice and return.
        (Raising KeyboardInterrupt at an arbitrary point could lose a child
        that has just been started, and interrupting Thread.join corrupts the
        thread's state in Python 3.11.)"""
        self._abort.set()

    def _check_abort(self) -> None:
        if self._abort.is_set():
            raise StackInterrupted

    # -- start -------------------------------------------------------------------

    def start(self) -> Stack:
        cfg = self.config
        self._lock = RunLock(cfg.lock_path).acquire()
        atexit.register(self.stop)
        try:
            check_ports(cfg)
            os.makedirs(cfg.state_dir, exist_ok=True)
            self.env = app_env(cfg, ensure_jwt_secret(cfg.jwt_secret_path), vnpay_secret=vnpay_hash_secret(cfg))
            self.env.update(chat_env(cfg, self.env))
            self.env.update(bank_env(self.env))
            self.env.update(einvoice_env(cfg, self.env))
            self._start_engines()
            self._check_abort()
            # Tables, queues and demo data are made while the API and the event
            # runner start (the runner waits for its queues); ready = all three.
            setup = self._spawn("setup", [sys.executable, "-c", _PREPARE])
            # The hash secret reaches the sandbox through its environment, not its command line (ps).
            self._spawn(
                "vnpay",
                [
                    sys.executable,
                    "-m",
                    "local.vnpay_sandbox",
                    "--port",
                    str(cfg.vnpay_sandbox_port),
                    "--tmn-code",
                    cfg.vnpay_tmn_code,
                    "--ipn-url",
                    f"{self.api_url}/v1/vnpay/ipn",
                    "--ipn-retry-seconds",
                    f"{cfg.vnpay_ipn_retry_seconds:g}",
                ],
            )
            # chalice local, with API Gateway's own refusals in the API's error format (local/gateway.py)
            self._chalice()
            self._spawn(
                "api",
                [
                    sys.executable,
                    "-m",
                    "local.gateway",
                    "--project-dir",
                    ROOT,
                    "local",
                    "--no-autoreload",
                    "--stage",
                    "local",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(cfg.api_port),
                ],
            )
            self._spawn("events", [sys.executable, "-m", "local.events"])
            self._spawn(
                "chat",
                [
                    sys.executable,
                    "-m",
                    "local.chat_fakes",
                    "--port",
                    str(cfg.chat_fakes_port),
                    "--api-url",
                    self.api_url,
                ],
            )
            self._spawn(
                "bank",
                [
                    sys.executable,
                    "-m",
                    "local.bank_fakes",
                    "--port",
                    str(cfg.bank_fakes_port),
                    "--api-url",
                    self.api_url,
                    "--retry-seconds",
                    "0.5",  # SePay's 1, 1, 2, 3 ... minutes, compressed
                ],
            )
            # The account's pair reaches the fake through its environment, not its command line (ps).
            self._spawn(
                "einvoice",
                [
                    sys.executable,
                    "-m",
                    "local.einvoice_fake",
                    "--port",
                    str(cfg.einvoice_fake_port),
                    "--tax-code",
                    EINVOICE_FAKE_TAX_CODE,
                    "--template",
                    EINVOICE_FAKE_TEMPLATE,
                    "--series",
                    EINVOICE_FAKE_SERIES,
                ],
            )
            self._start_sms_tail()
            self._wait_setup(setup)
            self._wait_api()
            self._wait_url("vnpay", self.config.vnpay_url + "/sandbox/health")
            self._wait_url("chat", f"http://127.0.0.1:{cfg.chat_fakes_port}/fake/health")
            self._wait_url("bank", f"http://127.0.0.1:{cfg.bank_fakes_port}/fake/health")
            self._wait_url("einvoice", f"{cfg.einvoice_url}/fake/health")
            return self
        except BaseException:
            self.stop()
            raise

    def _start_engines(self) -> None:
        cfg = self.config
        starters = {"moto": lambda: engines.start_moto(cfg.moto_port, log=subprocess.PIPE)}
        if self.dynamodb_on_moto:
            self.out.line("run", "java is missing: DynamoDB runs on moto (in memory) instead of DynamoDB Local")
        else:
            starters["dynamodb"] = lambda: engines.start_dynamodb(
                cfg.dynamodb_port, db_path=cfg.dynamodb_dir if cfg.persistent else None, log=subprocess.PIPE
            )
        results: dict[str, object] = {}
        done = {name: threading.Event() for name in starters}

        def run(name: str) -> None:
            try:
                results[name] = starters[name]()
            except BaseException as exc:
                results[name] = exc
            finally:
                done[name].set()

        for name in starters:
            threading.Thread(target=run, args=(name,), name=f"start-{name}", daemon=True).start()
        try:
            for event in done.values():
                while not event.wait(0.2):
                    pass
        finally:
            for event in done.values():  # even on KeyboardInterrupt: collect what started, so stop() ends it
                event.wait(120)
            for name in starters:
                proc = results.get(name)
                if isinstance(proc, subprocess.Popen):
                    self.procs.append((name, proc))
                    self.launched += 1
                    self._threads.append(self.out.pump(name, proc.stdout))
        for name in starters:
            if isinstance(results.get(name), BaseException):
                raise StackError(f"{name} did not start: {results[name]}")

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append((name, proc))
        self.launched += 1
        self._threads.append(self.out.pump(name, proc.stdout))
        return proc

    def _wait_setup(self, proc: subprocess.Popen) -> None:
        """Tables, queues, demo data: idempotent, in a child so this process
        keeps no settings or clients of its own."""
        deadline = time.monotonic() + 180
        while proc.poll() is None:
            self._check_abort()
            if time.monotonic() > deadline:
                raise StackError(
                    "creating tables, queues and demo data took over 3 minutes:\n" + self.out.tail("setup")
                )
            time.sleep(0.1)
        rc = proc.returncode
        self.procs.remove(("setup", proc))
        if rc != 0:
            time.sleep(0.2)  # let the pump print the last lines
            raise StackError(f"creating tables, queues and demo data failed (exit {rc}):\n" + self.out.tail("setup"))

    @staticmethod
    def _chalice() -> str:
        candidate = os.path.join(os.path.dirname(sys.executable), "chalice")
        found = candidate if os.access(candidate, os.X_OK) else shutil.which("chalice")
        if not found:
            raise StackError("chalice is not installed next to this Python; run `make deps`")
        return found

    def _wait_api(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        url = self.api_url + "/v1/health"
        last = ""
        while time.monotonic() < deadline:
            self._check_abort()
            for name, proc in self.procs:
                if proc.poll() is not None:
                    time.sleep(0.2)
                    raise StackError(
                        f"{name} exited with code {proc.returncode} while starting:\n" + self.out.tail(name)
                    )
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    if resp.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                last = f"health answered {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.2)
        raise StackError(f"the API did not answer {url} within {timeout:.0f}s ({last}):\n" + self.out.tail("api"))

    def _wait_url(self, name: str, url: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_abort()
            proc = next((p for n, p in self.procs if n == name), None)
            if proc is not None and proc.poll() is not None:
                time.sleep(0.2)
                raise StackError(f"{name} exited with code {proc.returncode} while starting:\n" + self.out.tail(name))
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise StackError(f"{name} did not answer {url} within {timeout:.0f}s:\n" + self.out.tail(name))

    def _start_sms_tail(self) -> None:
        path = self.config.outbox_path
        # Codes sent before this start are old news.
        offset = os.path.getsize(path) if os.path.exists(path) else 0

        def run() -> None:
            nonlocal offset
            pending = b""
            while not self._stopping.wait(0.25):
                try:
                    size = os.path.getsize(path)
                except FileNotFoundError:
                    continue
                if size < offset:
                    offset = 0  # truncated or replaced
                if size == offset:
                    continue
                with open(path, "rb") as f:
                    f.seek(offset)
                    chunk = f.read()
                offset += len(chunk)
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    text = format_sms(raw.decode("utf-8", "replace"))
                    if text:
                        self.out.line("sms", text)

        thread = threading.Thread(target=run, name="sms-tail", daemon=True)
        thread.start()
        self._threads.append(thread)

    # -- running, stopping -----------------------------------------------------------

    def poll(self) -> tuple[str, int] | None:
        """(name, exit code) of a child that has exited, if any."""
        for name, proc in self.procs:
            if proc.poll() is not None:
                return name, proc.returncode
        return None

    def wait(self) -> tuple[str, int] | None:
        """Block until a child exits on its own, (name, exit code), or until
        request_stop(), None."""
        while not self._abort.wait(0.5):
            exited = self.poll()
            if exited:
                return exited
        return None

    def stop(self) -> None:
        """Stop every process this stack started (their whole process groups),
        and remove the lock. Safe to call twice."""
        self._stopping.set()
        # The API and the event runner first, then the engines they talk to.
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.out.line("run", f"{name} did not stop on SIGTERM; killing it")
                    _signal_group(proc, signal.SIGKILL)
                    proc.wait()
        for thread in self._threads:
            thread.join(timeout=2)
        self.procs.clear()
        self._threads.clear()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        atexit.unregister(self.stop)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the welcome -------------------------------------------------------------

    def banner(self) -> str:
        cfg, url = self.config, self.api_url
        password = (
            "the value of $DEMO_PASSWORD"
            if (cfg.demo_password or os.environ.get("DEMO_PASSWORD"))
            else _default_demo_password()
        )
        ddb = (
            "moto (in memory; java is missing)"
            if self.dynamodb_on_moto
            else f"DynamoDB Local http://127.0.0.1:{cfg.dynamodb_port}"
            + (f" (data in {os.path.relpath(cfg.dynamodb_dir, ROOT)})" if cfg.persistent else " (in memory)")
        )
        lines = [
            "",
            "The CSKH backend is running locally (stage local).",
            f"  API        {url}",
            f"  website    {url}/ (the customer page: log in with a demo code below, pay by QR)",
            f"  health     {url}/v1/health",
            f"  OpenAPI    {url}/v1/openapi.json",
            f"  DynamoDB   {ddb}",
            f"  moto       http://127.0.0.1:{cfg.moto_port} (SQS, SNS, SES, SSM, EventBridge; in memory)",
            f"  VNPay      {cfg.vnpay_url} (local sandbox: payment page, IPN every "
            f"{cfg.vnpay_ipn_retry_seconds:g}s up to 10 times, querydr/refund; terminal {cfg.vnpay_tmn_code},",
            "             hash secret "
            + ("$VNPAY_HASH_SECRET" if os.environ.get("VNPAY_HASH_SECRET") else _shown_path(cfg.vnpay_hash_secret_path))
            + ")",
            f"  bank app   {cfg.vnpay_url}/bank-app (paste an order's qr_payload, see it, pay it)",
            f"  IPN log    {cfg.vnpay_url}/sandbox/ipn-log",
            f"  chat       http://127.0.0.1:{cfg.chat_fakes_port} (fake Messenger + Zalo OA: POST /fake/facebook/send "
            "{psid,text}, /fake/zalo/send {user_id,text}; replies in GET /fake/outbox; docs/chat.md)",
            f"  transfers  http://127.0.0.1:{cfg.bank_fakes_port}/bank-app (pay a VietQR code or a demo bill: "
            "SePay / Casso notify the API; docs/bank_notifications.md)",
            f"  e-invoice  {cfg.einvoice_url} (fake Viettel S-Invoice: charged bills are issued in seconds; "
            "GET /fake/invoices, /tra-cuu; docs/einvoice.md)",
            "",
            f"Demo logins (password: {password}):",
        ]
        lines += [f"  customer {code}   {what}" for code, what in DEMO_CUSTOMERS]
        lines += [
            "  admin    admin      POST /v1/admin/login",
            "  staff    ghithu01   POST /v1/staff/login (binds the first device_imei it sees); today's route:",
            "                      12 customers 01031070-01031081 (GET /v1/staff/routes/today)",
            f"  {UNREGISTERED_CODE} has no account yet: register it with POST /v1/auth/register; the one-time",
            "           code shows up below as an 'sms' line (local stage only).",
            "",
            "Bill payment through a partner (docs/partners.md): DEMOBANK signs with "
            + ("$PARTNER_DEMO_SECRET" if os.environ.get("PARTNER_DEMO_SECRET") else "the demo secret")
            + "; play it with",
            f"  .venv/bin/python -m local.partner_client --url {url} bills 01031059",
            "      ... pay 01031059 78255 | reverse <partner_txn_id> | daily-file <day> | upload-file <day>",
            "",
            "Try:",
            f"  curl -s {url}/v1/auth/login -H 'Content-Type: application/json' \\",
            '       -d \'{"customer_code": "01031059", "password": "<demo password>"}\'',
            "",
            "Demo accounts keep the password they were first created with; `rm -rf .local/dynamodb` starts afresh.",
            "Ctrl-C stops everything.",
            "",
        ]
        return "\n".join(lines)


def _shown_path(path: str) -> str:
    rel = os.path.relpath(path, ROOT)
    return path if rel.startswith("..") else rel


def _default_demo_password() -> str:
    from local.seed import DEFAULT_DEMO_PASSWORD

    return DEFAULT_DEMO_PASSWORD


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Children run in their own session: the group id is the child's pid."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)


def main() -> int:
    try:
        config = StackConfig.from_env()
    except StackError as exc:
        print(f"make run: {exc}", file=sys.stderr)
        return 2
    stack = Stack(config)

    def on_signal(signum, frame):
        stack.request_stop()

    # Explicitly, for both: a shell may start us with SIGINT ignored.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        stack.start()
        stack.out.say(stack.banner())
        exited = stack.wait()
        if exited:
            stack.out.line("run", f"{exited[0]} exited with code {exited[1]}; stopping everything")
            code = 1
        else:
            stack.out.line("run", "stopping ...")
    except StackError as exc:
        sys.stdout.flush()
        print(f"\nmake run: {exc}", file=sys.stderr)
        code = 1
    except (StackInterrupted, KeyboardInterrupt):
        stack.out.line("run", "stopping ...")
    finally:
        stack.stop()
        if stack.launched:
            stack.out.line("run", "stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
