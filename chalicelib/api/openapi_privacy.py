"""OpenAPI path of the privacy blueprint (api/privacy.py): the personal-data export (services/privacy.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import op, query
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_privacy import Export

# The export's shape is declared once, in services/shapes_privacy.py (PrivacyService builds it).
EXPORT = json_schema(Export)

PATHS: dict[str, Any] = {
    "/v1/me/data": {
        "get": op(
            "Everything held about you (Decree 13/2023/NĐ-CP, right of access): account (a password hash is held, "
            "never shown), linked customer codes with the customer-book data, notification settings (push "
            "endpoints masked), sessions (metadata only), one-time codes pending (never the code), payment orders, "
            "payments and credits, invoices (summaries and count), payment-channel requests, readings and reminders "
            "of the newest invoices, audit entries about you, chat links. Customers only; bounded (see `limits`, "
            "`truncated`). `format=json` returns the same document as a file download.",
            (200, "The export", EXPORT),
            secured=True,
            errors=(400, 503),
            params=[query("format", {"type": "string", "enum": ["json"]})],
        )
    },
}
