"""`chalice local` answering the way the deployed API Gateway does.

Deployed, API Gateway's own refusals (no or bad token, a role's route not
granted, a path or method the API does not have) are reshaped into the API's
error format by the gateway responses in infra/package.py
(GATEWAY_RESPONSES). chalice local sends its own bodies instead
(`{"message":"Unauthorized"}`, `{"Message": "User is not authorized ..."}`,
a 403 "Missing Authentication Token", an HTML 501 for a method it has no
handler for). This runs chalice's CLI with those answers replaced by the
deployed ones, so what a client (and the fuzzer) sees locally is what the
OpenAPI document promises.

    python -m local.gateway --project-dir . local --no-autoreload --port 8000
"""

from __future__ import annotations

import json
import sys

from chalice import local as chalice_local

# chalice local's exception -> API Gateway's response type (infra/package.py)
_RESPONSE_TYPES = {
    chalice_local.NotAuthorizedError: "UNAUTHORIZED",
    chalice_local.ForbiddenError: "ACCESS_DENIED",
    chalice_local.InvalidAuthorizerError: "DEFAULT_5XX",
}


def gateway_answer(response_type: str) -> tuple[int, bytes]:
    """The status and body the deployed API sends for one of API Gateway's response types."""
    from chalicelib import errors
    from infra.package import GATEWAY_RESPONSES, INTERNAL_ERROR

    error_name, status = GATEWAY_RESPONSES[response_type]
    if error_name:
        err = getattr(errors, error_name)
        body = {"code": err.code, "message": err.message_vi}
        status = status or err.status
    else:
        body, status = INTERNAL_ERROR, status or 500
    return status, json.dumps(body, ensure_ascii=False).encode()


def _send_error_response(self, error) -> None:
    response_type = _RESPONSE_TYPES.get(type(error), "DEFAULT_4XX")
    if b"Missing Authentication Token" in (error.body or b"") or b"Authorization header requires" in (
        error.body or b""
    ):
        response_type = "MISSING_AUTHENTICATION_TOKEN"  # no such path or method
    status, body = gateway_answer(response_type)
    headers = {k: v for k, v in (error.headers or {}).items() if k.lower() != "content-type"}
    self._send_http_response(status, {**headers, "Content-Type": "application/json"}, body)


def _unknown_method(self) -> None:
    """A method chalice local has no handler for (TRACE, CONNECT, ...): API
    Gateway answers it like any path or method the API lacks."""
    self._parse_payload()
    status, body = gateway_answer("MISSING_AUTHENTICATION_TOKEN")
    self._send_http_response(status, {"Content-Type": "application/json"}, body)


def _any_method(self, name: str):
    # BaseHTTPRequestHandler looks up do_<METHOD> and answers an HTML 501 when there is none.
    if name.startswith("do_"):
        return _unknown_method.__get__(self)
    raise AttributeError(name)


def patch() -> None:
    handler = chalice_local.ChaliceRequestHandler
    handler._send_error_response = _send_error_response
    handler.__getattr__ = _any_method


def main() -> int:
    patch()
    from chalice.cli import main as chalice_main

    sys.argv[0] = "chalice"
    return chalice_main()


if __name__ == "__main__":
    sys.exit(main())
