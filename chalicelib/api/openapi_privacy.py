"""OpenAPI path of the personal-data export (merged by openapi.document())."""

from __future__ import annotations

from chalicelib.api.openapi import _INT, _STR, _obj, _op, _query

_TS = {"type": "string", "format": "date-time", "nullable": True}
_LIST = {"type": "array", "items": {"type": "object"}}
_CUSTOMER = {
    "type": "object",
    "required": ["customer_code"],
    "properties": {
        "customer_code": _STR,
        "linked_at": _TS,
        "name": _STR,
        "phone": {"type": "string", "nullable": True},
        "address": _STR,
        "ledger_no": _STR,
        "payment_channel": _STR,
        "meter": {"type": "object"},
        "notifications": {"type": "object"},
        "invoices": _obj(["count", "items"], count=_INT, items=_LIST),
        "payment_channel_requests": _LIST,
    },
}
EXPORT = _obj(
    [
        "format_version",
        "generated_at",
        "account",
        "customers",
        "sessions",
        "one_time_codes",
        "orders",
        "payments",
        "readings",
        "reminders_sent",
        "audit",
        "chat_links",
        "not_included",
        "limits",
        "truncated",
    ],
    format_version=_INT,
    generated_at=_STR,
    legal_basis=_STR,
    account=_obj(
        ["account_id", "login", "role", "password"],
        account_id=_STR,
        login=_STR,
        role=_STR,
        created_at=_TS,
        password_changed_at=_TS,
        password=_STR,
        failed_logins=_INT,
        locked_until=_TS,
    ),
    customers={"type": "array", "items": _CUSTOMER},
    sessions=_LIST,
    one_time_codes=_LIST,
    orders=_LIST,
    payments=_LIST,
    readings=_LIST,
    reminders_sent=_LIST,
    audit=_LIST,
    chat_links={"type": "array", "items": {"type": "object"}, "nullable": True},
    not_included={"type": "array", "items": _STR},
    limits={"type": "object"},
    truncated={"type": "array", "items": _STR},
)

PATHS = {
    "/v1/me/data": {
        "get": _op(
            "Everything held about you (Decree 13/2023/NĐ-CP, right of access): account (a password hash is held, "
            "never shown), linked customer codes with the customer-book data, notification settings (push "
            "endpoints masked), sessions (metadata only), one-time codes pending (never the code), payment orders, "
            "payments and credits, invoices (summaries and count), payment-channel requests, readings and reminders "
            "of the newest invoices, audit entries about you, chat links. Customers only; bounded (see `limits`, "
            "`truncated`). `format=json` returns the same document as a file download.",
            (200, "The export", EXPORT),
            secured=True,
            errors=(400, 503),
            params=[_query("format", {"type": "string", "enum": ["json"]})],
        )
    },
}
