"""The OpenAPI document is valid and names exactly the app's operations."""

from __future__ import annotations

from openapi_spec_validator import validate


def test_document_is_valid_openapi_3(api):
    r = api.get("/v1/openapi.json", token="")
    assert r.status_code == 200
    validate(r.json)


def test_every_route_is_documented_and_nothing_else(app, api):
    doc = api.get("/v1/openapi.json", token="").json
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    served = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert documented == served


def test_secured_operations_match_the_authorizer(app, api):
    doc = api.get("/v1/openapi.json", token="").json
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            secured = "security" in doc["paths"][path][method.lower()]
            assert secured == (entry.authorizer is not None), (path, method)


def test_each_route_is_documented_beside_its_blueprint(app):
    """The routes of api/<blueprint>.py are documented in api/openapi_<blueprint>.py, and only there."""
    from chalicelib.api.openapi import PARTS

    for blueprint, paths in PARTS.items():
        for path, ops in paths.items():
            for method in ops:
                view = app.routes[path][method.upper()].view_function
                assert view.__module__ == f"chalicelib.api.{blueprint}", (path, method, view.__module__)


def test_no_response_schema_is_a_bare_object(api):
    """Every JSON answer has its shape: an object schema names its properties (or what its values are)."""
    doc = api.get("/v1/openapi.json", token="").json

    def bare(schema, where):
        if isinstance(schema, dict):
            if schema.get("type") == "object" and not {"properties", "additionalProperties"} & set(schema):
                yield where
            for key, value in schema.items():
                yield from bare(value, f"{where}/{key}")
        elif isinstance(schema, list):
            for i, value in enumerate(schema):
                yield from bare(value, f"{where}[{i}]")

    found = [
        where
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        for status, answer in op["responses"].items()
        for media, content in answer.get("content", {}).items()
        for where in bare(content["schema"], f"{method.upper()} {path} {status} {media}")
    ]
    assert found == []
