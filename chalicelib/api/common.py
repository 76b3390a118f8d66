"""What every route handler shares: body parsing, the caller's identity, and
turning errors into the API's error format (never a stack trace)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib.domain.tokens import Identity
from chalicelib.errors import AppError, Unauthorized, ValidationError
from chalicelib.observability import logger

MAX_BODY_BYTES = 16 * 1024
LARGE_BODY_BYTES = 256 * 1024  # an offline batch of 100 readings, a route of 3,000 customers


def lang(request) -> str:
    accept = (request.headers.get("accept-language") or "").strip().lower()
    return "en" if accept.startswith("en") else "vi"


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


def csv_response(body: str, filename: str, headers: dict | None = None) -> Response:
    """A CSV file for a spreadsheet, downloaded as `filename`."""
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            **(headers or {}),
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def error_response(err: AppError, language: str) -> Response:
    return json_response(err.body(language), err.status, err.headers)


def json_body(request, max_bytes: int = MAX_BODY_BYTES) -> dict:
    raw = request.raw_body or b""
    if len(raw) > max_bytes:
        raise ValidationError("the request body is too large", "Dữ liệu gửi lên quá lớn.", code="BODY_TOO_LARGE")
    if not raw.strip():
        raise ValidationError("a JSON object body is required", "Thiếu dữ liệu JSON.", code="INVALID_JSON")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ValidationError(
            "the body is not valid JSON", "Dữ liệu không phải JSON hợp lệ.", code="INVALID_JSON"
        ) from None
    if not isinstance(body, dict):
        raise ValidationError(
            "the body must be a JSON object", "Dữ liệu phải là một đối tượng JSON.", code="INVALID_JSON"
        )
    return body


def query(request, allow_empty: tuple = ()) -> dict:
    """The query parameters. One given with no value (`?status=`) is a 400
    naming it, not the same as leaving it out: the document allows no empty
    values, and a client that sent one meant something. `allow_empty` names
    those whose empty value the document gives a meaning (`?date=`: today)."""
    params = request.query_params or {}
    for name, value in params.items():
        if value == "" and name not in allow_empty:
            raise ValidationError(
                f"{name} has no value: give one or leave the parameter out",
                f"Tham số {name} không có giá trị.",
                field=name,
            )
    return params


def wants_csv(request, params: dict) -> bool:
    """CSV for a spreadsheet: `format=csv`, or no format and `Accept: text/csv`; JSON otherwise."""
    fmt = params.get("format")
    if fmt not in (None, "", "json", "csv"):
        raise ValidationError("format must be json or csv", "Định dạng phải là json hoặc csv.", field="format")
    if fmt:
        return fmt == "csv"
    return "text/csv" in (request.headers.get("accept") or "").lower()


def client_ip(request) -> str:
    return (request.context.get("identity") or {}).get("sourceIp") or "unknown"


def identity(request) -> Identity:
    ctx = request.context.get("authorizer") or {}
    if not ctx.get("account_id"):
        raise Unauthorized()
    codes = tuple(c for c in (ctx.get("codes") or "").split(",") if c)
    return Identity(
        account_id=ctx["account_id"],
        role=ctx.get("role", ""),
        customer_codes=codes,
        family_id=ctx.get("family_id", ""),
        device=ctx.get("device", ""),
    )


def as_caller(request, act: Callable[..., Any], *args: Any, status: int = 200) -> Response:
    """The signed-in caller acts with the request's JSON body: `act(caller's account id, *args, body)`,
    answered `status` (201 for what it made) with what it returns."""
    return json_response(act(identity(request).account_id, *args, json_body(request)), status)


def handled(app_or_bp) -> Callable:
    """Wrap a view so domain errors become the API's JSON errors and anything
    unexpected becomes a logged 500 with no internals in the body."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def view(*args, **kwargs):
            request = app_or_bp.current_request
            try:
                result = fn(*args, **kwargs)
            except AppError as err:
                logger.info("request refused", extra={"error_code": err.code, "status": err.status})
                return error_response(err, lang(request))
            except Exception:
                logger.exception("unhandled error")
                return json_response(
                    {
                        "code": "INTERNAL_ERROR",
                        "message": "Đã có lỗi xảy ra. Vui lòng thử lại sau."
                        if lang(request) == "vi"
                        else "Something went wrong; try again later.",
                    },
                    500,
                )
            return result if isinstance(result, Response) else json_response(result)

        return view

    return decorate
