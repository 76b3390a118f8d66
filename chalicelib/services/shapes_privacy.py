"""The personal-data export's shapes (Decree 13/2023/ND-CP, right of access), declared once
(chalicelib/domain/shapes.py): the document PrivacyService builds (`Export`) and
api/openapi_privacy.py states from here. Instants are UTC, to the second ('2024-05-03T02:00:00Z')."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema, spec
from chalicelib.services.shapes_invoices import InvoicePayment
from chalicelib.services.shapes_payments import OrderItem

OtpPurpose = Literal["register", "reset", "link"]
_TS = spec(format="date-time", description="UTC")
_MASKED = spec(description="masked: its last characters only")
_JSON_ANY = spec(schema={"nullable": True}, description="the JSON value recorded")


def _items(schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    """The document schema of a list of JSON values kept as they are held (`list[object]`)."""
    return spec(schema={"items": schema}, **more)


@dataclass(frozen=True, kw_only=True)
class Account:
    account_id: str
    login: str
    role: str
    created_at: str | None = field(metadata=_TS)
    password_changed_at: str | None = field(metadata=_TS)
    password: str = field(metadata=spec(description="what is held: never the password, nor its hash"))
    failed_logins: int
    locked_until: str | None = field(metadata=_TS)


@dataclass(frozen=True, kw_only=True)
class Meter:
    serial: str | None
    size: str | None
    digits: float | None
    replaced_on: str | None
    start_index: float | None
    last_index: float | None
    last_read_on: str | None


@dataclass(frozen=True, kw_only=True)
class Notifications:
    channels: list[str] | None = field(metadata=spec(description="null: the utility's default"))
    reminders_opt_out: bool
    email: str | None
    push_endpoint: str | None = field(metadata=_MASKED)
    zalo_user_id: str | None = field(metadata=_MASKED)


@dataclass(frozen=True, kw_only=True)
class Invoice:
    invoice_id: str = field(metadata=spec(pattern=ids.INVOICE_ID))
    period: str = field(metadata=spec(pattern=ids.PERIOD, example="2026-11"))
    status: Literal["unpaid", "paid", "cancelled"]
    total: int
    consumption_m3: float
    issued_on: str = field(metadata=spec(format="date"))
    due_date: str = field(metadata=spec(format="date"))
    paid_at: str | None
    customer_name: str
    customer_address: str | None
    payments: list[object] = field(metadata=_items(json_schema(InvoicePayment, closed=False)))


@dataclass(frozen=True, kw_only=True)
class Invoices:
    count: int
    items: list[Invoice]


@dataclass(frozen=True, kw_only=True)
class ChannelRequest:
    request_id: str
    channel: str
    bank_code: str
    account_holder: str
    account_no: str = field(metadata=spec(example="****6789"))
    status: str
    requested_at: str | None = field(metadata=_TS)
    decided_at: str | None = field(metadata=_TS)
    note: str | None


@dataclass(frozen=True, kw_only=True)
class Customer:
    """A linked code with what the customer book holds about it."""

    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    linked_at: str | None = field(metadata=_TS)
    name: str
    phone: str | None
    address: str
    house_no: str | None
    ledger_no: str
    customer_class: str
    business_type: str | None
    persons: float
    branch: str | None
    tariff_area: str
    payment_channel: str
    meter: Meter
    notifications: Notifications
    invoices: Invoices
    payment_channel_requests: list[ChannelRequest]


@dataclass(frozen=True, kw_only=True)
class MissingCustomer:
    """A linked code no longer in the customer book."""

    customer_code: str | None = field(metadata=spec(pattern=ids.CUSTOMER_CODE))
    missing: Literal[True]


@dataclass(frozen=True, kw_only=True)
class Session:
    session: str | None = field(metadata=_MASKED)
    current: bool
    created_at: str | None = field(metadata=_TS)
    last_used_at: str | None = field(metadata=_TS)
    expires_at: str | None = field(metadata=_TS)
    revoked: bool
    device: str | None = field(metadata=spec(description="always null: no device is stored for customer sessions"))


@dataclass(frozen=True, kw_only=True)
class PendingCode:
    purpose: OtpPurpose
    customer_code: str
    sent_at: str | None = field(metadata=_TS)
    expires_at: str | None = field(metadata=_TS)
    attempts: int
    code: str = field(metadata=spec(description="what is held: never the code"))


@dataclass(frozen=True, kw_only=True)
class Order:
    order_id: str = field(metadata=spec(pattern=ids.ORDER_ID))
    status: str
    amount: int
    fee: int
    items: list[object] = field(metadata=_items(json_schema(OrderItem)))
    created_at: str | None = field(metadata=_TS)
    expires_at: str | None = field(metadata=_TS)
    bank_code: str | None
    client_ip: str | None
    transaction_no: str | None
    bank_tran_no: str | None
    pay_date: str | None
    response_code: str | None
    paid_at: str | None = field(metadata=_TS)
    credit_amount: int


@dataclass(frozen=True, kw_only=True)
class Payment:
    payment_id: str
    kind: str
    order_id: str | None
    amount: int
    invoice_ids: list[str]
    received_at: str | None = field(metadata=_TS)
    status: str
    note: str | None


@dataclass(frozen=True, kw_only=True)
class Reading:
    reading_id: str = field(metadata=spec(pattern=ids.READING_ID))
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    period: str = field(metadata=spec(pattern=ids.PERIOD, example="2026-11"))
    new_index: float
    read_at: str
    status: str
    lat: float | None
    lng: float | None
    read_by: str = field(metadata=spec(description="the staff member's login"))


@dataclass(frozen=True, kw_only=True)
class ReminderSent:
    invoice_id: str
    level: str
    status: str
    channels: list[str]
    created_at: str | None = field(metadata=_TS)
    sent_at: str | None = field(metadata=_TS)
    expires_at: str | None = field(metadata=_TS)


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    entity: str
    at: str
    actor: str
    action: str
    before: object = field(metadata=_JSON_ANY)
    after: object = field(metadata=_JSON_ANY)


@dataclass(frozen=True, kw_only=True)
class ChatLink:
    """A chat link as held, secret-like values masked: for the document only (the service keeps
    whatever keys the link has, so the schema stays open)."""

    identity_hash: str | None = field(default=None, metadata=spec(omit_none=True, **_MASKED))
    link_id: str
    account_id: str | None = field(default=None, metadata=spec(omit_none=True))
    platform: Literal["facebook", "zalo"]
    user_hint: str
    linked_at: int = field(metadata=spec(description="epoch seconds"))


_CUSTOMERS = {"oneOf": [json_schema(Customer), json_schema(MissingCustomer)]}


@dataclass(frozen=True, kw_only=True)
class Export:
    """GET /v1/me/data: everything held about the signed-in customer, bounded (`limits`, `truncated`)."""

    format_version: int
    generated_at: str | None = field(metadata=_TS)
    legal_basis: str
    account: Account
    customers: list[object] = field(metadata=_items(_CUSTOMERS, description="Customer, or MissingCustomer"))
    sessions: list[Session]
    one_time_codes: list[PendingCode]
    orders: list[Order]
    payments: list[Payment]
    readings: list[Reading]
    reminders_sent: list[ReminderSent]
    audit: list[AuditEntry]
    chat_links: list[object] | None = field(
        metadata=_items(json_schema(ChatLink, closed=False), description="null when the chat links could not be read")
    )
    not_included: list[str]
    limits: object = field(
        metadata=spec(
            schema={"type": "object", "additionalProperties": {"type": "integer"}},
            description="the bound of each list, by its name",
        )
    )
    truncated: list[str] = field(metadata=spec(description="the lists that reached their bound"))
