"""Ports of the data subject's export (services/privacy.py): reads on the caller's own keys, each
one Query, one GetItem or a BatchGet (store.privacy.PrivacyStore)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from chalicelib.ports.common import AuditItemRecord
from chalicelib.ports.customers import (
    AccountRecord,
    ChannelRequestRecord,
    CustomerLinkRecord,
    CustomerRecord,
    SessionRecord,
)
from chalicelib.ports.field import ReadingRecord
from chalicelib.ports.invoices import InvoiceRecord
from chalicelib.ports.money import OrderRecord
from chalicelib.ports.notices import ReminderRecord


class PendingCodeRecord(Protocol):
    """A one-time code as the export reads it: never its hash."""

    @property
    def otp_key(self) -> str: ...
    @property
    def sent_at(self) -> float: ...
    @property
    def expires_at(self) -> float: ...
    @property
    def attempts(self) -> float | None: ...


class ExportedOrder(OrderRecord, Protocol):
    """A payment order as the export shows it: the order (ports.money.OrderRecord), and what VNPay said."""

    @property
    def bank_code(self) -> str | None: ...
    @property
    def client_ip(self) -> str: ...
    @property
    def bank_tran_no(self) -> str | None: ...
    @property
    def pay_date(self) -> str | None: ...
    @property
    def response_code(self) -> str | None: ...


class ExportedPayment(Protocol):
    """An item of the payments table, as the export shows it."""

    @property
    def payment_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def order_id(self) -> str | None: ...
    @property
    def amount(self) -> float: ...
    @property
    def invoice_ids(self) -> Sequence[str] | None: ...
    @property
    def received_at(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def note(self) -> str | None: ...


class PrivacyReads(Protocol):
    def account(self, account_id: str) -> AccountRecord | None: ...

    def customers(self, codes: list[str]) -> Mapping[str, CustomerRecord]: ...

    def links(self, codes: list[str]) -> Mapping[str, CustomerLinkRecord]: ...

    def sessions(self, account_id: str, limit: int) -> Sequence[SessionRecord]: ...

    def pending_codes(self, keys: list[str]) -> Sequence[PendingCodeRecord]: ...

    def orders(self, account_id: str, limit: int) -> Sequence[ExportedOrder]: ...

    def payments(self, payment_ids: list[str]) -> Sequence[ExportedPayment]: ...

    def invoices(self, code: str, limit: int) -> Sequence[InvoiceRecord]: ...

    def invoice_count(self, code: str) -> int: ...

    def channel_requests(self, code: str, limit: int) -> Sequence[ChannelRequestRecord]: ...

    def audit(self, entity: str, limit: int) -> Sequence[AuditItemRecord]: ...

    def readings(self, reading_ids: list[str]) -> Sequence[ReadingRecord]: ...

    def reminders(self, keys: list[str]) -> Sequence[ReminderRecord]: ...

    def chat_links(self, account_id: str, codes: list[str]) -> Sequence[Mapping[str, Any]] | None:
        """The stored attributes of each chat link of the account; None if the system keeps none."""
