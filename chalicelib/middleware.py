"""Chalice middleware: correlation id, one access log line, metrics and X-Ray
annotations for every request and event."""

from __future__ import annotations

import json
import re
import time
import uuid

from chalicelib.config import get_settings
from chalicelib.observability import logger


def _traced() -> bool:
    # Only in Lambda with active tracing; elsewhere the X-Ray SDK is never imported.
    import os

    return bool(os.environ.get("_X_AMZN_TRACE_ID")) and not get_settings().is_local


def observe_http(event, get_response):
    started = time.perf_counter()
    context = event.context or {}
    # API Gateway's request id; chalice local has none, so a caller's own
    # X-Request-Id (if sane) or a fresh one keeps the logs joinable.
    request_id = context.get("requestId") or _sane_id((event.headers or {}).get("x-request-id")) or uuid.uuid4().hex
    logger.set_correlation_id(request_id)
    route = context.get("resourcePath") or event.path
    if _traced():
        from chalicelib.observability import tracer

        tracer().put_annotation("route", route)
    response = _uniform_error(get_response(event))
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    response.headers["X-Request-Id"] = request_id
    logger.info(
        "request",
        extra={"method": event.method, "route": route, "status": response.status_code, "duration_ms": elapsed_ms},
    )
    if not get_settings().is_local:
        from aws_lambda_powertools.metrics import MetricUnit

        from chalicelib.observability import metrics

        m = metrics()
        m.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
        if response.status_code >= 500:
            m.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
        m.add_metric(name="Latency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
        m.flush_metrics()
    return response


def start_job(event) -> None:
    """Called first by every event handler (SQS, schedule). Lambda imports a
    blueprint's event handler from its own module, never app.py, so the app's
    middleware cannot wrap it: each handler does this itself."""
    context = getattr(event, "context", None)
    logger.set_correlation_id(getattr(context, "aws_request_id", None))


def _sane_id(value) -> str:
    return value if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9._-]{8,64}", value) else ""


def _uniform_error(response):
    """Chalice answers some requests itself (415, 405, ...) as {"Code", "Message"}:
    give them the API's {"code", "message"} shape too."""
    if response.status_code < 400 or not isinstance(response.body, (dict, str, bytes)):
        return response
    body = response.body
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError:
            return response
    if isinstance(body, dict) and set(body) == {"Code", "Message"}:
        name = re.sub(r"(Error)$", "", body["Code"])
        response.body = json.dumps({"code": re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper(), "message": body["Message"]})
        response.headers["Content-Type"] = "application/json"
    return response
