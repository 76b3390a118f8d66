"""The data subject's export in DynamoDB: reads on the caller's own keys only,
never a Scan (services/privacy.py says what is read and why)."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.store import models
from chalicelib.store.models import (
    AccountModel,
    AuditModel,
    ChannelRequestModel,
    CustomerLinkModel,
    CustomerModel,
    InvoiceModel,
    OneTimeCodeModel,
    OrderModel,
    PaymentModel,
    ReadingModel,
    ReminderModel,
    SessionModel,
)
from chalicelib.store.repositories import get_or_none, storage_errors


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class PrivacyStore:
    """Reads on the caller's own keys. Every method is one Query, one GetItem or a BatchGet."""

    @storage_errors
    def account(self, account_id: str):
        return get_or_none(AccountModel, account_id, consistent_read=True)

    @storage_errors
    def customers(self, codes: list[str]) -> dict:
        return {c.code: c for c in CustomerModel.batch_get(codes)} if codes else {}

    @storage_errors
    def links(self, codes: list[str]) -> dict:
        return {item.customer_code: item for item in CustomerLinkModel.batch_get(codes)} if codes else {}

    @storage_errors
    def sessions(self, account_id: str, limit: int) -> list:
        return list(SessionModel.by_account.query(account_id, scan_index_forward=False, limit=limit))

    @storage_errors
    def pending_codes(self, keys: list[str]) -> list:
        return (
            list(OneTimeCodeModel.batch_get(keys, attributes_to_get=["otp_key", "sent_at", "expires_at", "attempts"]))
            if keys
            else []
        )

    @storage_errors
    def orders(self, account_id: str, limit: int) -> list:
        return list(OrderModel.by_account.query(account_id, scan_index_forward=False, limit=limit))

    @storage_errors
    def payments(self, payment_ids: list[str]) -> list[PaymentModel]:
        out: list[PaymentModel] = []
        for chunk in _chunks(sorted(set(payment_ids)), 100):
            out.extend(PaymentModel.batch_get(chunk))
        return out

    @storage_errors
    def invoices(self, code: str, limit: int) -> list:
        return list(InvoiceModel.by_customer.query(code, scan_index_forward=False, limit=limit))

    @storage_errors
    def invoice_count(self, code: str) -> int:
        return InvoiceModel.by_customer.count(code)  # a Query with Select=COUNT

    @storage_errors
    def channel_requests(self, code: str, limit: int) -> list:
        return list(ChannelRequestModel.by_customer.query(code, scan_index_forward=False, limit=limit))

    @storage_errors
    def audit(self, entity: str, limit: int) -> list:
        return list(AuditModel.query(entity, scan_index_forward=False, limit=limit))

    @storage_errors
    def readings(self, reading_ids: list[str]) -> list[ReadingModel]:
        out: list[ReadingModel] = []
        for chunk in _chunks(sorted(set(reading_ids)), 100):
            out.extend(ReadingModel.batch_get(chunk))
        return out

    @storage_errors
    def reminders(self, keys: list[str]) -> list[ReminderModel]:
        out: list[ReminderModel] = []
        for chunk in _chunks(sorted(set(keys)), 100):
            out.extend(ReminderModel.batch_get(chunk))
        return out

    @storage_errors
    def chat_links(self, account_id: str, codes: list[str]) -> list[dict] | None:
        """Chat links (Zalo OA / Messenger) of the account, where the deployed code has them.

        Hook: a model named ChatLinkModel in chalicelib.store.models is read through its
        `by_account` index (or by customer code through `by_customer`); None means the
        system keeps no chat links, which the export says."""
        model = getattr(models, "ChatLinkModel", None)
        if model is None:
            return None
        if hasattr(model, "by_account"):
            items = list(model.by_account.query(account_id, limit=100))
        elif hasattr(model, "by_customer"):
            items = [item for code in codes for item in model.by_customer.query(code, limit=100)]
        else:
            return None
        return [dict(item.attribute_values) for item in items]
