"""Authorised debit requests in DynamoDB. A request's key is '<bank>-<yyyymm>-<customer code>', so a
month's run writes each customer once however often it runs. A 'paid' answer moves the request in the
ledger's transaction (store/ledger.py: one of the channel's labelled items), so the request and its
money are recorded together or not at all; a 'failed' one moves it and claims the customer's reminder
in one transaction, so the reminder is queued once whatever the retries."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain.debits import NOTICE_LEVEL
from chalicelib.errors import ServiceUnavailable
from chalicelib.ports.debits import DEBIT, DebitPaid, NewDebitRequest
from chalicelib.ports.money import Posting, PostingExtras
from chalicelib.store.ledger import item_of
from chalicelib.store.models import (
    CONNECTION,
    ChannelRequestModel,
    CustomerModel,
    DebitRequestModel,
    ReminderModel,
)
from chalicelib.store.reminders import KEEP_DAYS
from chalicelib.store.repositories import get_or_none, save_if, storage_errors, update_if

FAIL_ATTEMPTS = 4  # a failed answer racing another transaction on the same request is tried again


class DebitStore:
    # -- reads -------------------------------------------------------------

    @storage_errors
    def confirmed_channels(self) -> list[ChannelRequestModel]:
        return list(ChannelRequestModel.by_status.query("confirmed"))

    @storage_errors
    def customers(self, codes: Iterable[str]) -> dict[str, CustomerModel]:
        keys = sorted(set(codes))
        return {c.code: c for c in CustomerModel.batch_get(keys, consistent_read=True)} if keys else {}

    @storage_errors
    def held_invoices(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in DebitRequestModel.pending.query("pending"):
            for invoice_id in item.invoice_ids or []:
                out[invoice_id] = item.request_id
        return out

    @storage_errors
    def requests(self, request_ids: Iterable[str]) -> dict[str, DebitRequestModel]:
        keys = list(dict.fromkeys(request_ids))
        if not keys:
            return {}
        return {r.request_id: r for r in DebitRequestModel.batch_get(keys, consistent_read=True)}

    @storage_errors
    def request(self, request_id: str) -> DebitRequestModel | None:
        return get_or_none(DebitRequestModel, request_id, consistent_read=True)

    @storage_errors
    def of_run(self, run_id: str) -> list[DebitRequestModel]:
        return list(DebitRequestModel.by_run.query(run_id))

    # -- writes ------------------------------------------------------------

    @storage_errors
    def add(self, request: NewDebitRequest) -> bool:
        return save_if(item_of(DebitRequestModel, request), DebitRequestModel.request_id.does_not_exist())

    @storage_errors
    def rebatch(self, request_id: str, old: str, new: str) -> bool:
        return update_if(
            DebitRequestModel(request_id),
            [DebitRequestModel.batch.set(new)],
            (DebitRequestModel.batch == old) & (DebitRequestModel.status == "pending"),
        )

    @staticmethod
    def paid(request_id: str, from_statuses: Sequence[str], paid: Callable[[Posting], DebitPaid]) -> PostingExtras:
        def extra(tx: Any, posting: Posting) -> None:
            done = paid(posting)  # per attempt: a retried posting spreads the money again
            actions: list[Action] = [
                DebitRequestModel.status.set("paid"),
                DebitRequestModel.pending_flag.remove(),
                DebitRequestModel.bank_ref.set(done.bank_ref),
                DebitRequestModel.debited_amount.set(done.debited_amount),
                DebitRequestModel.result_at.set(done.result_at),
                DebitRequestModel.result_by.set(done.result_by),
                DebitRequestModel.allocated.set(done.allocated),
                DebitRequestModel.credited.set(done.credited),
                DebitRequestModel.flags.set(done.flags),
            ]
            tx.update(
                DEBIT,
                DebitRequestModel(request_id),
                actions,
                condition=DebitRequestModel.status.is_in(*from_statuses),
            )

        return extra

    def failed(
        self,
        request_id: str,
        *,
        customer_code: str,
        bank_ref: str | None,
        reason: str,
        now: int,
        actor: str,
        notice_key: str,
    ) -> bool:
        actions: list[Action] = [
            DebitRequestModel.status.set("failed"),
            DebitRequestModel.pending_flag.remove(),
            DebitRequestModel.reason.set(reason),
            DebitRequestModel.result_at.set(now),
            DebitRequestModel.result_by.set(actor),
        ]
        if bank_ref:
            actions.append(DebitRequestModel.bank_ref.set(bank_ref))
        notice = ReminderModel(
            notice_key,
            customer_code=customer_code,
            level=NOTICE_LEVEL,
            status="claimed",
            channels=[],
            created_at=now,
            expires_at=now + KEEP_DAYS * 86400,
        )
        for attempt in range(FAIL_ATTEMPTS):
            try:
                with TransactWrite(connection=CONNECTION) as tx:
                    tx.update(
                        DebitRequestModel(request_id), actions=actions, condition=DebitRequestModel.status == "pending"
                    )
                    tx.save(notice, condition=ReminderModel.reminder_key.does_not_exist())
            except TransactWriteError as exc:
                reasons = [None if r is None else r.code for r in (getattr(exc, "cancellation_reasons", None) or [])]
                if "ConditionalCheckFailed" in reasons:
                    return False
                if "TransactionConflict" in reasons or getattr(exc, "cause_response_code", None) in (
                    "TransactionConflictException",
                    "TransactionInProgressException",
                ):
                    time.sleep(0.02 * (attempt + 1))
                    continue
                raise ServiceUnavailable() from exc
            return True
        raise ServiceUnavailable()
