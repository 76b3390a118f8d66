"""OpenAPI paths of the accounts blueprint (api/accounts.py): the customer account statement.
Its shapes are declared once, in services/shapes_accounts.py (AccountService builds them); both are
closed: a customer's rows carry nothing beyond their own schema (no internal references), the
managers' add theirs."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import CODE, STR, op, path_param, query
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_accounts import AdminStatement, Statement


def _with_csv(operation: dict[str, Any]) -> dict[str, Any]:
    operation["responses"]["200"]["content"]["text/csv"] = {"schema": STR}
    return operation


_FORMAT = query("format", {"type": "string", "enum": ["json", "csv"]})
CUSTOMER_STATEMENT = json_schema(Statement)
ADMIN_STATEMENT = json_schema(AdminStatement)

PATHS: dict[str, Any] = {
    "/v1/me/account": {
        "get": _with_csv(
            op(
                "The account statement of a linked customer code (sổ theo dõi công nợ): entries oldest first with the "
                "balance after each, open invoices, credit. JSON, or CSV (UTF-8 with BOM) with format=csv or "
                "Accept: text/csv",
                (200, "The statement", CUSTOMER_STATEMENT),
                secured=True,
                errors=(400, 503),
                params=[query("customer_code", CODE, required=True), _FORMAT],
            )
        )
    },
    "/v1/admin/customers/{code}/account": {
        "get": _with_csv(
            op(
                "A customer's account statement for managers: the same, plus entry, payment and external references, "
                "who posted each entry, flags and notes. JSON or CSV",
                (200, "The statement", ADMIN_STATEMENT),
                secured=True,
                errors=(400, 404, 503),
                tag="managers",
                params=[path_param("code", CODE), _FORMAT],
            )
        )
    },
}
