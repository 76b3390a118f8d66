"""OpenAPI paths of the service blueprint (api/service.py): health and this document."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import BOOL, STR, array, json_content, obj, op
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_health import Health

# A JSON Schema inside the document (OpenAPI 3.0's subset): any object.
_JSON_SCHEMA = {"type": "object", "additionalProperties": True, "description": "a JSON Schema"}
_OPERATION = obj(
    ["summary", "tags", "responses"],
    summary=STR,
    description=STR,
    tags=array(STR),
    security=array({"type": "object", "additionalProperties": array(STR)}),
    parameters=array(
        {
            "type": "object",
            "required": ["name", "in", "schema"],
            "properties": {
                "name": STR,
                "in": {"type": "string", "enum": ["path", "query", "header"]},
                "required": BOOL,
                "schema": _JSON_SCHEMA,
                "description": STR,
            },
        }
    ),
    requestBody={
        "type": "object",
        "required": ["content"],
        "properties": {"required": BOOL, "content": {"type": "object", "additionalProperties": _JSON_SCHEMA}},
    },
    responses={
        "type": "object",
        "additionalProperties": obj(
            ["description"],
            description=STR,
            headers={"type": "object", "additionalProperties": _JSON_SCHEMA},
            content={"type": "object", "additionalProperties": _JSON_SCHEMA},
        ),
    },
)
DOCUMENT = obj(
    ["openapi", "info", "servers", "paths", "components"],
    openapi={"type": "string", "pattern": r"^3\.0\.\d+$"},
    info=obj(["title", "version"], title=STR, version=STR, description=STR),
    servers=array(obj(["url"], url=STR)),
    paths={
        "type": "object",
        "description": "by path, then by method",
        "additionalProperties": {"type": "object", "additionalProperties": _OPERATION},
    },
    components=obj(
        ["securitySchemes", "schemas"],
        securitySchemes={"type": "object", "additionalProperties": _JSON_SCHEMA},
        schemas={"type": "object", "additionalProperties": _JSON_SCHEMA},
    ),
)

HEALTH = json_schema(Health)

PATHS: dict[str, Any] = {
    "/v1/health": {
        "get": {
            "summary": "Service and store health",
            "tags": ["service"],
            "responses": {
                "200": {"description": "Healthy", **json_content(HEALTH)},
                "503": {"description": "Degraded: the store does not answer", **json_content(HEALTH)},
            },
        }
    },
    "/v1/openapi.json": {"get": op("This document", (200, "OpenAPI 3 document", DOCUMENT), errors=(), tag="service")},
}
