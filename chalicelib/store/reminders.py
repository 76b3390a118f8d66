"""The reminders in DynamoDB: the unpaid invoices falling due (the by_due_date
index: Queries, never a Scan), the reminder records that make each level go out
once, and the customers' reminder preferences."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import DeleteError
from pynamodb.expressions.update import Action

from chalicelib.store.models import CustomerModel, InvoiceModel, ReminderModel
from chalicelib.store.repositories import get_or_none, is_condition_failure, save_if, storage_errors, update_if

KEEP_DAYS = 120  # reminder records expire (TTL) after the last level could matter


class ReminderStore:
    """DynamoDB access of the reminders (calls counted by the bench)."""

    @storage_errors
    def due_page(self, due_date: str, start_key: dict | None, limit: int) -> tuple[list, dict | None]:
        """One page of unpaid invoices due on `due_date` (the by_due_date index: a Query, never a Scan)."""
        it = InvoiceModel.by_due_date.query(
            due_date,
            filter_condition=InvoiceModel.status == "unpaid",
            last_evaluated_key=start_key,
            limit=limit,
            page_size=limit,
        )
        items = list(it)
        return items, it.last_evaluated_key

    @storage_errors
    def customers(self, codes: Iterable[str]) -> dict:
        return {c.code: c for c in CustomerModel.batch_get(sorted(set(codes)))}

    @storage_errors
    def customer(self, code: str):
        return get_or_none(CustomerModel, code)

    @storage_errors
    def invoice(self, invoice_id: str):
        return get_or_none(InvoiceModel, invoice_id)

    @storage_errors
    def reminder(self, key: str):
        return get_or_none(ReminderModel, key, consistent_read=True)

    @storage_errors
    def claim(self, key: str, code: str, level: str, now: int) -> bool:
        """Record the reminder unless it exists: True for the one caller that creates it."""
        item = ReminderModel(
            key,
            customer_code=code,
            level=level,
            status="claimed",
            channels=[],
            created_at=now,
            expires_at=now + KEEP_DAYS * 86400,
        )
        return save_if(item, ReminderModel.reminder_key.does_not_exist())

    @storage_errors
    def release(self, key: str) -> None:
        """Undo a claim whose message could not be enqueued, so a re-run plans it again."""
        try:
            ReminderModel(key).delete(condition=ReminderModel.status == "claimed")
        except DeleteError as exc:
            if not is_condition_failure(exc):
                raise

    @storage_errors
    def mark_queued(self, key: str) -> None:
        """Its message is on the queue (the worker may already have moved it on: then nothing)."""
        update_if(ReminderModel(key), [ReminderModel.status.set("queued")], ReminderModel.status == "claimed")

    @storage_errors
    def stale_claims(self, keys: list[str], before: int) -> list[str]:
        """Of these reminders, those still 'claimed' since before `before`: their run died unqueued."""
        return [
            item.reminder_key
            for item in ReminderModel.batch_get(keys)
            if item.status == "claimed" and int(item.created_at) < before
        ]

    @storage_errors
    def set_status(self, key: str, status: str, now: int | None = None) -> None:
        actions: list[Action] = [ReminderModel.status.set(status)]
        if status == "sent":
            if now is None:
                raise ValueError("a reminder is sent at a time: pass now")
            actions.append(ReminderModel.sent_at.set(now))
        ReminderModel(key).update(actions=actions, condition=ReminderModel.reminder_key.exists())

    @storage_errors
    def add_channel(self, key: str, channel: str) -> None:
        update_if(
            ReminderModel(key),
            [ReminderModel.channels.set(ReminderModel.channels.append([channel]))],
            ReminderModel.reminder_key.exists() & ~ReminderModel.channels.contains(channel),
        )

    @storage_errors
    def set_preferences(
        self, code: str, channels: list[str] | None, opt_out: bool | None, email: str | None
    ) -> CustomerModel:
        actions: list[Action] = []
        if channels is not None:
            actions.append(CustomerModel.notify_channels.set(channels))
        if opt_out is not None:
            actions.append(CustomerModel.reminders_opt_out.set(1 if opt_out else 0))
        if email is not None:
            actions.append(CustomerModel.email.set(email))
        customer = CustomerModel(code)
        customer.update(actions=actions, condition=CustomerModel.code.exists())
        return customer

    @storage_errors
    def set_push_endpoint(self, code: str, arn: str) -> None:
        CustomerModel(code).update(
            actions=[CustomerModel.push_endpoint.set(arn)], condition=CustomerModel.code.exists()
        )
