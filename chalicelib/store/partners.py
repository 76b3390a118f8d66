"""Bill-pay partners in DynamoDB: the partner accounts (each change from the version read, with its audit
entry in the same transaction), the nonces they signed with (a conditional put: a replay finds it), and
their payments. A payment's item and its receipt number are written in the ledger's posting transaction
(store/ledger.py) as the channel's own labelled items, so the money, the receipt and the answer the
partner gets are recorded together or not at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.ports.common import AuditEntry
from chalicelib.ports.money import Posting, PostingExtras
from chalicelib.ports.partners import (
    PARTNER_PAYMENT,
    PARTNER_SERIES,
    SOURCE_PAYMENT,
    NewPartner,
    NewPartnerPayment,
    PartnerChanged,
    PartnerExists,
)
from chalicelib.store import series as series_numbers
from chalicelib.store.audit import as_item
from chalicelib.store.ledger import item_of
from chalicelib.store.models import (
    CONNECTION,
    AuditModel,
    CustomerModel,
    PartnerModel,
    PartnerNonceModel,
    PartnerPaymentModel,
    PaymentModel,
)
from chalicelib.store.repositories import get_or_none, is_condition_failure, storage_errors

# What a change may set (services/partners.py checks the values): an admin's fields, and who and when.
CHANGEABLE = ("name", "secret_param", "ip_allowlist", "channels", "enabled", "updated_at", "updated_by")


class PartnerStore:
    @storage_errors
    def get(self, partner_id: str, consistent: bool = False) -> PartnerModel | None:
        return get_or_none(PartnerModel, partner_id, consistent_read=consistent)

    @storage_errors
    def all(self) -> list[PartnerModel]:
        return list(PartnerModel.listed.query("partner"))

    def create(self, partner: NewPartner, audit: AuditEntry) -> None:
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.save(item_of(PartnerModel, partner), condition=PartnerModel.partner_id.does_not_exist())
                tx.save(as_item(audit), condition=AuditModel.entity.does_not_exist())
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                raise PartnerExists(partner.partner_id) from None
            raise

    def update(self, partner_id: str, changes: dict[str, Any], version: int, audit: AuditEntry) -> None:
        unknown = set(changes) - set(CHANGEABLE)
        if unknown:
            raise ValueError(f"not a partner field a change may set: {sorted(unknown)}")
        actions = [getattr(PartnerModel, name).set(value) for name, value in changes.items()]
        actions.append(PartnerModel.version.set(version + 1))
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.update(PartnerModel(partner_id), actions=actions, condition=PartnerModel.version == version)
                tx.save(as_item(audit), condition=AuditModel.entity.does_not_exist())
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                raise PartnerChanged(partner_id) from None
            raise


class NonceStore:
    @storage_errors
    def claim(self, partner_id: str, nonce: str, now: int, expires_at: int) -> bool:
        """A conditional put: refused while the partner's same nonce is there and alive. DynamoDB's TTL
        deletes expired items late (within days), so an expired one counts as gone."""
        item = PartnerNonceModel(f"{partner_id}#{nonce}", expires_at=expires_at)
        try:
            item.save(condition=PartnerNonceModel.nonce_key.does_not_exist() | (PartnerNonceModel.expires_at < now))
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True


class PartnerPaymentStore:
    @storage_errors
    def payment(self, payment_id: str) -> PartnerPaymentModel | None:
        return get_or_none(PartnerPaymentModel, payment_id, consistent_read=True)

    @storage_errors
    def by_day(self, partner_id: str, day: str) -> list[PartnerPaymentModel]:
        return list(PartnerPaymentModel.by_partner_day.query(f"{partner_id}#{day}"))

    @storage_errors
    def customer(self, code: str) -> CustomerModel | None:
        return get_or_none(CustomerModel, code)

    @storage_errors
    def last_number(self, series: str) -> int:
        return series_numbers.last_number(series)

    @staticmethod
    def payment_items(series: str, number: int, item: Callable[[Posting], NewPartnerPayment]) -> PostingExtras:
        """The payment's item (as this attempt's posting leaves it: a repeat at the same moment finds it
        written once) and its receipt's number, as the cash receipts number theirs (store/collections.py)."""

        def extra(tx: Any, posting: Posting) -> None:
            tx.put(
                PARTNER_PAYMENT,
                item_of(PartnerPaymentModel, item(posting)),
                condition=PartnerPaymentModel.payment_id.does_not_exist(),
            )
            series_numbers.take_number(tx, PARTNER_SERIES, series, number)

        return extra

    @staticmethod
    def reversal_items(payment_id: str, answer: str, now: int) -> PostingExtras:
        def extra(tx: Any, posting: Posting) -> None:
            tx.update(
                PARTNER_PAYMENT,
                PartnerPaymentModel(payment_id),
                [
                    PartnerPaymentModel.status.set("reversed"),
                    PartnerPaymentModel.reversal_answer.set(answer),
                    PartnerPaymentModel.reversed_at.set(now),
                ],
                condition=PartnerPaymentModel.status == "paid",
            )
            tx.update(
                SOURCE_PAYMENT,
                PaymentModel(payment_id),
                [PaymentModel.status.set("reversed")],
                condition=PaymentModel.status == "applied",
            )

        return extra
