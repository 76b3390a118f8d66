"""The data subject's right of access (Decree 13/2023/ND-CP, art. 14): everything
the system holds about the signed-in customer, in one JSON document.

Only GetItem, BatchGet and Query on the caller's own keys (never a Scan), each
bounded by a limit that the answer states (`limits`) and flags when reached
(`truncated`). Secrets are never returned: the password is shown as "a hash is
held", one-time codes as "a code is pending", session token ids not at all,
push endpoints masked. No Chalice, no boto3: the reads come through a port."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast, get_args

from chalicelib.domain import reminders as reminder_rules
from chalicelib.domain.shapes import to_json
from chalicelib.domain.tokens import Identity
from chalicelib.domain.vntime import utc_iso
from chalicelib.errors import Forbidden, Unauthorized
from chalicelib.ports.common import AuditItemRecord, Clock
from chalicelib.ports.customers import ChannelRequestRecord, CustomerLinkRecord, CustomerRecord, SessionRecord
from chalicelib.ports.field import ReadingRecord
from chalicelib.ports.invoices import InvoiceRecord
from chalicelib.ports.notices import ReminderRecord
from chalicelib.ports.privacy import ExportedOrder, ExportedPayment, PendingCodeRecord, PrivacyReads
from chalicelib.services.shapes_privacy import (
    Account,
    AuditEntry,
    ChannelRequest,
    Customer,
    Export,
    Invoice,
    Invoices,
    Meter,
    MissingCustomer,
    Notifications,
    Order,
    OtpPurpose,
    Payment,
    PendingCode,
    Reading,
    ReminderSent,
    Session,
)

# Bounds of one export (per customer code where it says so).
LIMITS = {
    "sessions": 100,
    "orders": 100,
    "invoices_per_code": 120,  # ten years of monthly bills
    "invoice_detail_per_code": 24,  # audit entries, readings and reminders of the newest invoices
    "channel_requests_per_code": 50,
    "audit_per_entity": 100,
}
OTP_PURPOSES: tuple[OtpPurpose, ...] = get_args(OtpPurpose)
FORMAT_VERSION = 1


def _mask_tail(value: str | None, keep: int = 6) -> str | None:
    if not value:
        return None
    return "…" + value[-keep:] if len(value) > keep else "*" * len(value)


def _plain(value: object) -> Any:
    """PynamoDB map/list values into JSON-ready ones (Decimal-free ints)."""
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _attrs(record: object, *names: str) -> dict[str, Any]:
    """The record's attributes of these names, as they are held (a view's plain fields)."""
    return {name: getattr(record, name) for name in names}


class PrivacyService:
    def __init__(self, *, store: PrivacyReads, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def export(self, identity: Identity) -> dict[str, Any]:
        if identity.role != "customer":
            raise Forbidden(
                "only a customer's own account can be exported here",
                "Chỉ khách hàng mới xem được dữ liệu của chính mình tại đây.",
                code="CUSTOMERS_ONLY",
            )
        account = self.store.account(identity.account_id)
        if account is None:
            raise Unauthorized()
        codes = list(dict.fromkeys(account.customer_codes or []))
        truncated: list[str] = []
        customers = self.store.customers(codes)
        links = self.store.links(codes)

        sessions = self.store.sessions(account.account_id, LIMITS["sessions"])
        if len(sessions) >= LIMITS["sessions"]:
            truncated.append("sessions")
        orders = self.store.orders(account.account_id, LIMITS["orders"])
        if len(orders) >= LIMITS["orders"]:
            truncated.append("orders")
        payment_ids = []
        for order in orders:
            if order.transaction_no and order.status in ("paid", "refunded"):
                payment_ids.append(f"vnpay#{order.transaction_no}")
                if order.credit_amount:
                    payment_ids += [f"credit#{order.transaction_no}#{i}" for i in order.invoice_ids]
        payments = self.store.payments(payment_ids)

        per_code = []
        detail_invoices: list[InvoiceRecord] = []
        for code in codes:
            invoices = self.store.invoices(code, LIMITS["invoices_per_code"])
            count = self.store.invoice_count(code) if len(invoices) >= LIMITS["invoices_per_code"] else len(invoices)
            if count > len(invoices):
                truncated.append(f"invoices:{code}")
            requests = self.store.channel_requests(code, LIMITS["channel_requests_per_code"])
            if len(requests) >= LIMITS["channel_requests_per_code"]:
                truncated.append(f"payment_channel_requests:{code}")
            detail_invoices += invoices[: LIMITS["invoice_detail_per_code"]]
            per_code.append((code, invoices, count, requests))

        audit_entities = (
            [f"customer#{c}" for c in codes]
            + [f"invoice#{i.invoice_id}" for i in detail_invoices]
            + [f"credit#{p.payment_id}" for p in payments if p.kind == "credit"]
        )
        audit: list[AuditItemRecord] = []
        for entity in audit_entities:
            items = self.store.audit(entity, LIMITS["audit_per_entity"])
            if len(items) >= LIMITS["audit_per_entity"]:
                truncated.append(f"audit:{entity}")
            audit += items
        readings = self.store.readings([i.reading_id for i in detail_invoices if i.reading_id])
        reminder_keys = [f"{i.invoice_id}#{lv.name}" for i in detail_invoices for lv in reminder_rules.levels()]
        reminders = self.store.reminders(reminder_keys)
        pending = self.store.pending_codes([f"{p}#{c}" for c in codes for p in OTP_PURPOSES])
        chat = self.store.chat_links(account.account_id, codes)
        now = self.clock.now()

        shown = Export(
            format_version=FORMAT_VERSION,
            generated_at=utc_iso(now),
            legal_basis="Nghị định 13/2023/NĐ-CP, Điều 14 (quyền truy cập dữ liệu cá nhân)",
            account=Account(
                account_id=account.account_id,
                login=account.login,
                role=account.role,
                created_at=utc_iso(account.created_at),
                password_changed_at=utc_iso(account.password_changed_at),
                password="a salted scrypt hash is held; the password itself is never stored",
                failed_logins=int(account.failed_logins or 0),
                locked_until=utc_iso(account.locked_until) if account.locked_until else None,
            ),
            customers=[
                _customer(customers.get(code), links.get(code), invoices, count, requests)
                for code, invoices, count, requests in per_code
            ],
            sessions=[_session(s, identity.family_id) for s in sessions],
            one_time_codes=[_pending_code(p) for p in pending],
            orders=[_order(o) for o in orders],
            payments=[_payment(p) for p in payments],
            readings=[_reading(r) for r in readings],
            reminders_sent=[_reminder(r) for r in reminders],
            audit=[_audit(a) for a in sorted(audit, key=lambda a: a.at)],
            chat_links=None if chat is None else [_chat(c) for c in chat],
            not_included=[
                "rate-limit counters (keyed by customer code or IP address, kept at most about an hour)",
                "service logs (CloudWatch; personal data redacted; kept 30 days in dev, 90 in prod)",
                "readings that produced no invoice (flagged or rejected field readings)",
            ],
            limits=LIMITS,
            truncated=truncated,
        )
        export: dict[str, Any] = to_json(shown)
        return export

    @staticmethod
    def as_download(export: dict[str, Any]) -> tuple[str, str]:
        """(body, filename) of the export as a JSON attachment."""
        login = export["account"]["login"]
        day = (export["generated_at"] or "")[:10]
        return json.dumps(export, ensure_ascii=False, indent=2), f"cskh-du-lieu-ca-nhan-{login}-{day}.json"


def _customer(
    c: CustomerRecord | None,
    link: CustomerLinkRecord | None,
    invoices: Sequence[InvoiceRecord],
    count: int,
    requests: Sequence[ChannelRequestRecord],
) -> Customer | MissingCustomer:
    if c is None:
        return MissingCustomer(customer_code=link.customer_code if link else None, missing=True)
    return Customer(
        customer_code=c.code,
        linked_at=utc_iso(link.linked_at) if link else None,
        **_attrs(c, "name", "phone", "address", "house_no", "ledger_no", "customer_class", "business_type"),
        **_attrs(c, "persons", "branch", "tariff_area", "payment_channel"),
        meter=Meter(
            serial=c.meter_serial,
            size=c.meter_size,
            digits=c.meter_digits,
            replaced_on=c.meter_replaced_on,
            start_index=c.meter_start_index,
            last_index=c.last_index,
            last_read_on=c.last_read_on,
        ),
        notifications=Notifications(
            channels=list(c.notify_channels) if c.notify_channels is not None else None,
            reminders_opt_out=bool(c.reminders_opt_out),
            email=c.email,
            push_endpoint=_mask_tail(c.push_endpoint),
            zalo_user_id=_mask_tail(c.zalo_user_id, 4),
        ),
        invoices=Invoices(count=count, items=[_invoice(i) for i in invoices]),
        payment_channel_requests=[_channel_request(r) for r in requests],
    )


def _invoice(i: InvoiceRecord) -> Invoice:
    return Invoice(
        **_attrs(i, "invoice_id", "period", "status"),
        total=int(i.total),
        consumption_m3=_plain(i.consumption_m3),
        **_attrs(i, "issued_on", "due_date", "paid_at", "customer_name", "customer_address"),
        payments=_plain(list(i.payments or [])),
    )


def _session(s: SessionRecord, current_family: str) -> Session:
    return Session(
        session=_mask_tail(s.family_id),
        current=s.family_id == current_family,
        created_at=utc_iso(s.created_at),
        last_used_at=utc_iso(s.rotated_at),
        expires_at=utc_iso(s.expires_at),
        revoked=bool(s.revoked),
        device=None,  # no device or user agent is stored for customer sessions
    )


def _pending_code(p: PendingCodeRecord) -> PendingCode:
    purpose, _, code = p.otp_key.partition("#")
    return PendingCode(
        purpose=cast(OtpPurpose, purpose),  # one of OTP_PURPOSES: the keys asked for
        customer_code=code,
        sent_at=utc_iso(p.sent_at),
        expires_at=utc_iso(p.expires_at),
        attempts=int(p.attempts or 0),
        code="only a keyed hash is held; it expires with the code",
    )


def _order(o: ExportedOrder) -> Order:
    return Order(
        **_attrs(o, "order_id", "status"),
        amount=int(o.amount),
        fee=int(o.fee or 0),
        items=_plain(list(o.items or [])),
        created_at=utc_iso(o.created_at),
        expires_at=utc_iso(o.expires_at),
        **_attrs(o, "bank_code", "client_ip", "transaction_no", "bank_tran_no", "pay_date", "response_code"),
        paid_at=utc_iso(o.paid_at),
        credit_amount=int(o.credit_amount or 0),
    )


def _payment(p: ExportedPayment) -> Payment:
    return Payment(
        **_attrs(p, "payment_id", "kind", "order_id"),
        amount=int(p.amount),
        invoice_ids=list(p.invoice_ids or []),
        received_at=utc_iso(p.received_at),
        status=p.status,
        note=p.note,
    )


def _reading(r: ReadingRecord) -> Reading:
    return Reading(
        **_attrs(r, "reading_id", "customer_code", "period"),
        new_index=_plain(r.new_index),
        **_attrs(r, "read_at", "status"),
        lat=_plain(r.lat),
        lng=_plain(r.lng),
        read_by=r.staff,
    )


def _reminder(r: ReminderRecord) -> ReminderSent:
    return ReminderSent(
        invoice_id=r.reminder_key.rsplit("#", 1)[0],
        level=r.level,
        status=r.status,
        channels=list(r.channels or []),
        created_at=utc_iso(r.created_at),
        sent_at=utc_iso(r.sent_at),
        expires_at=utc_iso(r.expires_at),
    )


def _channel_request(r: ChannelRequestRecord) -> ChannelRequest:
    return ChannelRequest(
        **_attrs(r, "request_id", "channel", "bank_code", "account_holder"),
        account_no=f"****{r.account_last4}",
        status=r.status,
        requested_at=utc_iso(r.requested_at),
        decided_at=utc_iso(r.decided_at),
        note=r.note,
    )


def _audit(a: AuditItemRecord) -> AuditEntry:
    def load(text: str | None) -> Any:
        try:
            return json.loads(text) if text else None
        except ValueError:
            return text

    return AuditEntry(
        entity=a.entity,
        at=a.at.split("#", 1)[0],
        actor=a.actor,
        action=a.action,
        before=load(a.before),
        after=load(a.after),
    )


def _chat(c: Mapping[str, Any]) -> dict[str, Any]:
    data = _plain(dict(c))
    out = {}
    for key, value in data.items():
        secret_like = any(word in key for word in ("token", "secret", "hash", "user_id", "psid"))
        out[key] = _mask_tail(str(value), 4) if secret_like and value else value
    return out
