"""OpenAPI path of the privacy blueprint (api/privacy.py): the personal-data export (services/privacy.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import (
    BOOL,
    CODE,
    DATE,
    INT,
    INVOICE_ID,
    INVOICE_PAYMENT,
    NDATETIME,
    NNUM,
    NSTR,
    NUM,
    ORDER_ID,
    ORDER_ITEM,
    PERIOD,
    READING_ID,
    STR,
    array,
    fields,
    obj,
    op,
    query,
)

# Instants here are UTC, to the second ('2024-05-03T02:00:00Z').
_TS = dict(NDATETIME, description="UTC")
_JSON_ANY = {"nullable": True, "description": "the JSON value recorded"}
_MASKED = dict(NSTR, description="masked: its last characters only")
_INVOICE = fields(
    "paid_at",
    "customer_address",
    "payments",
    invoice_id=INVOICE_ID,
    period=PERIOD,
    status={"type": "string", "enum": ["unpaid", "paid", "cancelled"]},
    total=INT,
    consumption_m3=NUM,
    issued_on=DATE,
    due_date=DATE,
    paid_at=NSTR,
    customer_name=STR,
    customer_address=NSTR,
    payments=array(INVOICE_PAYMENT),
)
_CHANNEL_REQUEST = fields(
    "decided_at",
    "note",
    request_id=STR,
    channel=STR,
    bank_code=STR,
    account_holder=STR,
    account_no={"type": "string", "example": "****6789"},
    status=STR,
    requested_at=_TS,
    decided_at=_TS,
    note=NSTR,
)
_CUSTOMER = obj(
    ["customer_code"],
    customer_code=dict(CODE, nullable=True, description="null only when `missing`"),
    missing={"type": "boolean", "description": "present (true) when the linked code is no longer in the book"},
    linked_at=_TS,
    name=STR,
    phone=NSTR,
    address=STR,
    house_no=NSTR,
    ledger_no=STR,
    customer_class=STR,
    business_type=NSTR,
    persons=NUM,
    branch=NSTR,
    tariff_area=STR,
    payment_channel=STR,
    meter=fields(
        serial=NSTR,
        size=NSTR,
        digits=NNUM,
        replaced_on=NSTR,
        start_index=NNUM,
        last_index=NNUM,
        last_read_on=NSTR,
    ),
    notifications=fields(
        channels=dict(array(STR), nullable=True, description="null: the utility's default"),
        reminders_opt_out=BOOL,
        email=NSTR,
        push_endpoint=_MASKED,
        zalo_user_id=_MASKED,
    ),
    invoices=fields(count=INT, items=array(_INVOICE)),
    payment_channel_requests=array(_CHANNEL_REQUEST),
)
EXPORT = fields(
    "legal_basis",
    format_version=INT,
    generated_at=_TS,
    legal_basis=STR,
    account=fields(
        "created_at",
        "password_changed_at",
        "failed_logins",
        "locked_until",
        account_id=STR,
        login=STR,
        role=STR,
        created_at=_TS,
        password_changed_at=_TS,
        password=dict(STR, description="what is held: never the password, nor its hash"),
        failed_logins=INT,
        locked_until=_TS,
    ),
    customers=array(_CUSTOMER),
    sessions=array(
        fields(
            session=_MASKED,
            current=BOOL,
            created_at=_TS,
            last_used_at=_TS,
            expires_at=_TS,
            revoked=BOOL,
            device=dict(NSTR, description="always null: no device is stored for customer sessions"),
        )
    ),
    one_time_codes=array(
        fields(
            purpose={"type": "string", "enum": ["register", "reset", "link"]},
            customer_code=STR,
            sent_at=_TS,
            expires_at=_TS,
            attempts=INT,
            code=dict(STR, description="what is held: never the code"),
        )
    ),
    orders=array(
        obj(
            ["order_id", "status", "amount", "fee", "items", "created_at", "expires_at", "credit_amount"],
            order_id=ORDER_ID,
            status=STR,
            amount=INT,
            fee=INT,
            items=array(ORDER_ITEM),
            created_at=_TS,
            expires_at=_TS,
            bank_code=NSTR,
            client_ip=NSTR,
            transaction_no=NSTR,
            bank_tran_no=NSTR,
            pay_date=NSTR,
            response_code=NSTR,
            paid_at=_TS,
            credit_amount=INT,
        )
    ),
    payments=array(
        fields(
            "order_id",
            "note",
            payment_id=STR,
            kind=STR,
            order_id=NSTR,
            amount=INT,
            invoice_ids=array(STR),
            received_at=_TS,
            status=STR,
            note=NSTR,
        )
    ),
    readings=array(
        fields(
            "lat",
            "lng",
            reading_id=READING_ID,
            customer_code=CODE,
            period=PERIOD,
            new_index=NUM,
            read_at=STR,
            status=STR,
            lat=NNUM,
            lng=NNUM,
            read_by=dict(STR, description="the staff member's login"),
        )
    ),
    reminders_sent=array(
        fields(
            "sent_at",
            invoice_id=STR,
            level=STR,
            status=STR,
            channels=array(STR),
            created_at=_TS,
            sent_at=_TS,
            expires_at=_TS,
        )
    ),
    audit=array(
        fields(
            entity=STR,
            at=STR,
            actor=STR,
            action=STR,
            before=_JSON_ANY,
            after=_JSON_ANY,
        )
    ),
    chat_links=dict(
        array(
            fields(
                "identity_hash",
                "account_id",
                identity_hash=_MASKED,
                link_id=STR,
                account_id=STR,
                platform={"type": "string", "enum": ["facebook", "zalo"]},
                user_hint=STR,
                linked_at=dict(INT, description="epoch seconds"),
            )
        ),
        nullable=True,
        description="null when the chat links could not be read",
    ),
    not_included=array(STR),
    limits={"type": "object", "additionalProperties": INT, "description": "the bound of each list, by its name"},
    truncated=array(STR, description="the lists that reached their bound"),
)

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
