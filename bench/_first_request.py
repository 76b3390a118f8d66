"""One cold Lambda container, as Lambda runs it: import `app`, then call the
handlers directly with API Gateway events (no chalice.test, which would import
botocore up front). Prints one JSON line of timings. Run by bench.dynamo with
the local engines' environment; not meant to be run by hand."""

from __future__ import annotations

import time

_t0 = time.perf_counter()
import app  # noqa: E402

_t_import = time.perf_counter() - _t0

import json  # noqa: E402
import sys  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from chalicelib.api import authorizer  # noqa: E402

CONTEXT = SimpleNamespace(
    aws_request_id="bench",
    function_name="cskh-dev",
    memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:ap-southeast-1:000000000000:function:cskh-dev",
    get_remaining_time_in_millis=lambda: 30000,
)
CODE, INVOICE, PASSWORD, ACCESS_TOKEN = sys.argv[1:5]


def event(
    method: str,
    resource: str,
    path: str,
    params: dict | None = None,
    body: dict | None = None,
    auth: dict | None = None,
) -> dict:
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json"} if body else {},
        "multiValueQueryStringParameters": None,
        "queryStringParameters": None,
        "pathParameters": params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/api{path}",
            "requestId": "bench",
            "identity": {"sourceIp": "203.0.113.7"},
            "authorizer": auth or {},
        },
        "body": json.dumps(body) if body else None,
        "isBase64Encoded": False,
    }


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def call(ev: dict) -> dict:
    response = app.app(ev, CONTEXT)
    if response["statusCode"] != 200:
        raise SystemExit(f"{ev['httpMethod']} {ev['path']} answered {response['statusCode']}: {response['body']}")
    return json.loads(response["body"])


login = event("POST", "/v1/auth/login", "/v1/auth/login", body={"customer_code": CODE, "password": PASSWORD})
# What API Gateway hands the API function once the authorizer has said yes.
ctx = {"account_id": f"customer:{CODE}", "role": "customer", "codes": CODE, "family_id": "bench", "device": ""}
detail = event("GET", "/v1/invoices/{invoice_id}", f"/v1/invoices/{INVOICE}", {"invoice_id": INVOICE}, auth=ctx)
auth_event = {
    "type": "TOKEN",
    "authorizationToken": f"Bearer {ACCESS_TOKEN}",
    "methodArn": "arn:aws:execute-api:ap-southeast-1:000000000000:abc/api/GET/v1/me",
}

out = {"import_s": _t_import}
# The authorizer function: first verification imports PyJWT; no DynamoDB.
out["authorize_first_s"], policy = timed(lambda: authorizer.bearer(auth_event, CONTEXT))
if policy["principalId"] != f"customer:{CODE}":
    raise SystemExit(f"the authorizer refused the token: {policy}")
out["authorize_warm_s"], _ = timed(lambda: authorizer.bearer(auth_event, CONTEXT))
out["cryptography_loaded"] = "cryptography" in sys.modules
# The API function: the first request imports PynamoDB/botocore and builds the
# invoices table's client; login then builds the clients of three more tables.
out["detail_first_s"], _ = timed(lambda: call(detail))
out["detail_warm_s"], _ = timed(lambda: call(detail))
out["login_first_s"], _ = timed(lambda: call(login))
out["login_warm_s"], _ = timed(lambda: call(login))
print(json.dumps(out))
