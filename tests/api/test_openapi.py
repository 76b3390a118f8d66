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
