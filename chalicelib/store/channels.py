"""Payment-channel requests in DynamoDB; confirming one changes the customer's
channel in the same transaction."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.ports.customers import ChannelRequestRecord
from chalicelib.store.models import CONNECTION, ChannelRequestModel, CustomerModel
from chalicelib.store.repositories import get_or_none, storage_errors


class ChannelRequestStore:
    @storage_errors
    def add(
        self,
        request_id: str,
        *,
        customer_code: str,
        account_id: str,
        channel: str,
        bank_code: str,
        account_holder: str,
        account_last4: str,
        requested_at: int,
    ) -> ChannelRequestModel:
        """A new request, pending until the utility decides it."""
        item = ChannelRequestModel(
            request_id,
            customer_code=customer_code,
            account_id=account_id,
            channel=channel,
            bank_code=bank_code,
            account_holder=account_holder,
            account_last4=account_last4,
            status="pending",
            requested_at=requested_at,
        )
        item.save(condition=ChannelRequestModel.request_id.does_not_exist())
        return item

    @storage_errors
    def get(self, request_id: str) -> ChannelRequestModel | None:
        return get_or_none(ChannelRequestModel, request_id, consistent_read=True)

    @storage_errors
    def pending(self, limit: int = 200) -> list[ChannelRequestModel]:
        return list(ChannelRequestModel.by_status.query("pending", limit=limit))

    def decide(
        self,
        item: ChannelRequestRecord,
        status: str,
        actor: str,
        now: int,
        note: str | None,
        channel_after: str | None,
    ) -> bool:
        actions: list[Action] = [
            ChannelRequestModel.status.set(status),
            ChannelRequestModel.decided_at.set(now),
            ChannelRequestModel.decided_by.set(actor),
        ]
        if note:
            actions.append(ChannelRequestModel.note.set(note))
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.update(
                    ChannelRequestModel(item.request_id),
                    actions=actions,
                    condition=ChannelRequestModel.status == "pending",
                )
                if channel_after:
                    tx.update(
                        CustomerModel(item.customer_code),
                        actions=[CustomerModel.payment_channel.set(channel_after)],
                        condition=CustomerModel.code.exists(),
                    )
        except TransactWriteError:
            return False
        return True
