"""The OpenAPI 3 document of this API, assembled from one part per blueprint: the routes of
api/<blueprint>.py are documented in api/openapi_<blueprint>.py, with the builders and shared shapes
of api/openapi_common.py. tests/api/test_openapi.py checks the document is valid, names exactly the
app's operations, and each in its blueprint's part."""

from __future__ import annotations

import functools
from typing import Any

from chalicelib.api import (
    openapi_accounts,
    openapi_admin,
    openapi_auth,
    openapi_banks,
    openapi_channels,
    openapi_chat,
    openapi_collections,
    openapi_debits,
    openapi_imports,
    openapi_invoices,
    openapi_kpis,
    openapi_me,
    openapi_partners,
    openapi_partners_admin,
    openapi_payments,
    openapi_photos,
    openapi_privacy,
    openapi_readings,
    openapi_reminders,
    openapi_self_readings,
    openapi_service,
    openapi_staff,
    openapi_statements,
    openapi_tickets,
    openapi_water_cuts,
    openapi_web,
)
from chalicelib.api.openapi_common import STR, obj

# Each blueprint (the module name under chalicelib/api) and its paths, in the document's order.
PARTS: dict[str, dict[str, Any]] = {
    "service": openapi_service.PATHS,
    "auth": openapi_auth.PATHS,
    "me": openapi_me.PATHS,
    "invoices": openapi_invoices.PATHS,
    "payments": openapi_payments.PATHS,
    "partners": openapi_partners.PATHS,
    "channels": openapi_channels.PATHS,
    "banks": openapi_banks.PATHS,
    "reminders": openapi_reminders.PATHS,
    "privacy": openapi_privacy.PATHS,
    "photos": openapi_photos.PATHS,
    "chat": openapi_chat.PATHS,
    "accounts": openapi_accounts.PATHS,
    "staff": openapi_staff.PATHS,
    "readings": openapi_readings.PATHS,
    "self_readings": openapi_self_readings.PATHS,
    "collections": openapi_collections.PATHS,
    "admin": openapi_admin.PATHS,
    "statements": openapi_statements.PATHS,
    "partners_admin": openapi_partners_admin.PATHS,
    "debits": openapi_debits.PATHS,
    "imports": openapi_imports.PATHS,
    "kpis": openapi_kpis.PATHS,
    "tickets": openapi_tickets.PATHS,
    "water_cuts": openapi_water_cuts.PATHS,
    "web": openapi_web.PATHS,
}

# Query parameters read as the platforms send them (api/common.query is not used there).
PLATFORM_PATHS = ("/v1/vnpay/ipn", "/v1/vnpay/return", "/v1/chat/facebook", "/web/{asset}")


def _no_empty_query_values(paths: dict[str, Any]) -> None:
    """The API refuses `?name=` (api.common.query): say so in every string parameter's schema."""
    for path, ops in paths.items():
        if path in PLATFORM_PATHS:
            continue
        for operation in ops.values():
            for param in operation.get("parameters", []):
                schema = param.get("schema", {})
                if param.get("in") == "query" and schema.get("type") == "string" and "minLength" not in schema:
                    param["schema"] = dict(schema, minLength=1)


@functools.lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for part in PARTS.values():
        for path, ops in part.items():
            paths.setdefault(path, {}).update(ops)
    _no_empty_query_values(paths)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "CSKH water utility API",
            "version": "1.0.0",
            "description": "Customer care and meter-to-cash for a Vietnamese water utility. "
            "Money is integer VND; errors are {code, message}.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {"Error": obj(["code", "message"], code=STR, message=STR, field=STR)},
        },
    }
