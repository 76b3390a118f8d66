"""SSM Parameter Store, for secrets that the code itself rotates (the Zalo OA tokens).

Read-only secrets go through `chalicelib.config._secret`; this adapter also writes. Values are
SecureString (encrypted with the account's `aws/ssm` key unless the parameter names another),
written with Overwrite. Locally and in the tests, moto serves SSM at AWS_ENDPOINT_URL."""

from __future__ import annotations

import functools
import threading


class ParameterError(Exception):
    """SSM refused or failed a read or write. The text names the parameter and SSM's error code, never
    the value."""


@functools.lru_cache(maxsize=1)
def _ssm():
    # Bounded calls (adapters/aws.py): the refresher must finish its writes well inside its Lambda timeout.
    from chalicelib.adapters.aws import client

    return client("ssm")


class SsmParameters:
    def __init__(self, client=None) -> None:
        self._client = client

    @property
    def client(self):
        return self._client or _ssm()

    def get(self, name: str) -> str:
        try:
            return self.client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except Exception as exc:
            raise ParameterError(f"SSM GetParameter {name} failed: {_code(exc)}") from None

    def put(self, name: str, value: str) -> None:
        try:
            self.client.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        except Exception as exc:
            # A ValidationException may quote the value it refused: only the code is kept.
            raise ParameterError(f"SSM PutParameter {name} failed: {_code(exc)}") from None


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or type(exc).__name__)
    return type(exc).__name__


class MemoryParameters:
    """For tests: a dict, with a hook to make one name's writes fail."""

    def __init__(self, values=None) -> None:
        self.values: dict[str, str] = dict(values or {})
        self.writes: list[str] = []  # names, in the order written
        self.failing_puts: set[str] = set()
        self._lock = threading.Lock()

    def get(self, name: str) -> str:
        with self._lock:
            if name not in self.values:
                raise ParameterError(f"SSM GetParameter {name} failed: ParameterNotFound")
            return self.values[name]

    def put(self, name: str, value: str) -> None:
        with self._lock:
            if name in self.failing_puts:
                raise ParameterError(f"SSM PutParameter {name} failed: ThrottlingException")
            self.values[name] = value
            self.writes.append(name)
