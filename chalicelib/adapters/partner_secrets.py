"""Partners' HMAC secrets, read from SSM SecureString parameters (adapters/parameters.py) and kept for a few
minutes per Lambda container: a signed request then costs no SSM call, and a secret rotated in SSM is used
within CACHE_SECONDS. Locally the parameters live in moto's SSM (local/seed.py puts the demo partner's)."""

from __future__ import annotations

import threading
import time

from chalicelib.adapters.parameters import ParameterError, SsmParameters
from chalicelib.ports.partners import SecretUnavailable

CACHE_SECONDS = 300
MIN_LENGTH = 16


class CachedSecrets:
    def __init__(self, params=None, cache_seconds: int = CACHE_SECONDS, now=time.monotonic) -> None:
        self.params = params or SsmParameters()
        self.cache_seconds = cache_seconds
        self._now = now
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def secret(self, param: str) -> str:
        with self._lock:
            hit = self._cache.get(param)
            if hit is not None and self._now() - hit[0] < self.cache_seconds:
                return hit[1]
        try:
            value = self.params.get(param)
        except ParameterError as exc:
            raise SecretUnavailable(str(exc)) from None
        if len(value) < MIN_LENGTH:
            raise SecretUnavailable(f"the secret in {param} is shorter than {MIN_LENGTH} characters")
        with self._lock:
            self._cache[param] = (self._now(), value)
        return value

    def forget(self, param: str | None = None) -> None:
        """Drop one cached secret (or all): the next request reads SSM again."""
        with self._lock:
            if param is None:
                self._cache.clear()
            else:
                self._cache.pop(param, None)
