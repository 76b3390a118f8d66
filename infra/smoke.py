"""Read-only checks of a deployed stage, run after each deployment (docs/deploy.md).

    python -m infra.smoke https://<api id>.execute-api.<region>.amazonaws.com/api/     (make smoke URL=...)

The URL is the stack's `EndpointURL` output (`make deploy` prints it). Checks:
the health route, the OpenAPI document, API Gateway's own refusals in the API's
error format ({"code", "message"}: an unknown path, a bad token), the smoke
account's login and invoice list (SMOKE_CUSTOMER_CODE and SMOKE_PASSWORD; skipped,
and said so, when they are not set), and VNPay's IPN answering RspCode 97 to an
unsigned call (99 with SMOKE_IPN_ALLOW_LISTED=1: a stage whose
VNPAY_IPN_ALLOWED_IPS does not list this machine refuses it before the signature).
Nothing is written but the smoke account's session. Exits 1 when a check fails,
after running the others, and prints what failed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

import requests

TIMEOUT_SECONDS = 20


class CheckFailed(Exception):
    pass


class Smoke:
    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.base = url.rstrip("/")
        self.env = env
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "cskh-smoke"
        self.failures: list[str] = []
        self.stage = ""  # what the health route says

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return self.http.request(method, self.base + path, timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as exc:
            raise CheckFailed(f"{method} {path}: no answer ({exc.__class__.__name__}: {str(exc)[:160]})") from exc

    def json_of(self, resp: requests.Response) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise CheckFailed(
                f"{resp.request.method} {resp.url}: HTTP {resp.status_code}, not JSON: {resp.text[:200]!r}"
            ) from None

    def run(self, name: str, check: Callable[[], str]) -> None:
        try:
            detail = check()
        except CheckFailed as exc:
            self.failures.append(f"{name}: {exc}")
            print(f"FAIL {name}: {exc}")
        else:
            print(f"ok   {name}: {detail}")

    # The checks: each returns what it saw, or raises CheckFailed.

    def health(self) -> str:
        resp = self.call("GET", "/v1/health")
        body = self.json_of(resp)
        if resp.status_code != 200 or body.get("status") != "ok" or body.get("store") is not True:
            raise CheckFailed(f"GET /v1/health: HTTP {resp.status_code} {body}")
        self.stage = str(body.get("stage"))
        return f"stage {self.stage}, store reachable"

    def openapi(self) -> str:
        resp = self.call("GET", "/v1/openapi.json")
        body = self.json_of(resp)
        version = str(body.get("openapi", "")) if isinstance(body, dict) else ""
        if resp.status_code != 200 or not version.startswith("3.") or not body.get("paths"):
            raise CheckFailed(f"GET /v1/openapi.json: HTTP {resp.status_code}, openapi {version!r}")
        return f"OpenAPI {version}, {len(body['paths'])} paths"

    def error_format(self, method: str, path: str, expected: list[tuple[int, str]], **kwargs: Any) -> str:
        resp = self.call(method, path, **kwargs)
        body = self.json_of(resp)
        shaped = isinstance(body, dict) and isinstance(body.get("code"), str) and isinstance(body.get("message"), str)
        if not shaped or (resp.status_code, body["code"]) not in expected:
            wanted = " or ".join(f"HTTP {status} {{code: {code}, message}}" for status, code in expected)
            raise CheckFailed(
                f"{method} {path}: expected {wanted}, got HTTP {resp.status_code} {str(body)[:200]} "
                "(API Gateway's own answer: are the gateway responses deployed?)"
            )
        return f"HTTP {resp.status_code} {{code: {body['code']}, message}}"

    def unknown_path(self) -> str:
        return self.error_format("GET", "/v1/smoke-no-such-path", [(404, "NOT_FOUND")])

    def bad_token(self) -> str:
        expected = [(401, "UNAUTHORIZED")]
        if self.stage == "local":
            expected.append((403, "FORBIDDEN"))  # chalice local cannot answer 401 for a Lambda authorizer
        headers = {"Authorization": "Bearer smoke-not-a-token"}
        return self.error_format("GET", "/v1/me", expected, headers=headers)

    def account(self, code: str, password: str) -> str:
        resp = self.call("POST", "/v1/auth/login", json={"customer_code": code, "password": password})
        body = self.json_of(resp)
        token = body.get("access_token") if isinstance(body, dict) else None
        if resp.status_code != 200 or not token:
            raise CheckFailed(f"POST /v1/auth/login as {code}: HTTP {resp.status_code} {str(body)[:200]}")
        path = f"/v1/customers/{code}/invoices"
        resp = self.call("GET", path, headers={"Authorization": f"Bearer {token}"})
        body = self.json_of(resp)
        invoices = body.get("invoices") if isinstance(body, dict) else None
        if resp.status_code != 200 or not isinstance(invoices, list):
            raise CheckFailed(f"GET {path}: HTTP {resp.status_code} {str(body)[:200]}")
        return f"{code} signed in, {len(invoices)} invoices listed"

    def ipn(self) -> str:
        expected = "99" if self.env.get("SMOKE_IPN_ALLOW_LISTED") == "1" else "97"
        resp = self.call("GET", "/v1/vnpay/ipn", params={"vnp_TxnRef": "smoke", "vnp_SecureHash": "0" * 64})
        body = self.json_of(resp)
        rsp = body.get("RspCode") if isinstance(body, dict) else None
        if resp.status_code != 200 or rsp != expected:
            hint = {
                "99": " (99: this machine is not on VNPAY_IPN_ALLOWED_IPS, then set SMOKE_IPN_ALLOW_LISTED=1;"
                " or the VNPay hash secret could not be read: step 2b)",
                "97": " (97: the stage has no VNPAY_IPN_ALLOWED_IPS: unset SMOKE_IPN_ALLOW_LISTED)",
            }.get(str(rsp), "")
            raise CheckFailed(
                f"GET /v1/vnpay/ipn unsigned: expected HTTP 200 RspCode {expected}, "
                f"got HTTP {resp.status_code} {str(body)[:200]}{hint}"
            )
        return f"unsigned call answered RspCode {rsp}"

    def all(self) -> int:
        print(f"smoke checks of {self.base}")
        self.run("health", self.health)
        self.run("OpenAPI document", self.openapi)
        self.run("error format of an unknown path", self.unknown_path)
        self.run("error format of a bad token", self.bad_token)
        code, password = self.env.get("SMOKE_CUSTOMER_CODE", ""), self.env.get("SMOKE_PASSWORD", "")
        if code and password:
            self.run("smoke account's login and invoices", lambda: self.account(code, password))
        else:
            print("skip smoke account's login and invoices: SMOKE_CUSTOMER_CODE and SMOKE_PASSWORD are not set")
        self.run("VNPay IPN refuses an unsigned call", self.ipn)
        if self.failures:
            print(f"{len(self.failures)} smoke check(s) FAILED:")
            for failure in self.failures:
                print(f"  - {failure}")
            return 1
        print("all smoke checks passed")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.smoke", description=__doc__.split("\n")[0])
    parser.add_argument("url", help="the stage's base URL: the stack's EndpointURL output")
    args = parser.parse_args(argv)
    if not args.url.startswith(("https://", "http://")):
        parser.error(f"{args.url!r} is not an http(s) URL")
    return Smoke(args.url, dict(os.environ)).all()


if __name__ == "__main__":
    sys.exit(main())
