"""Payment-channel requests in DynamoDB; confirming one changes the customer's
channel in the same transaction."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.models import CONNECTION, ChannelRequestModel, CustomerModel
from chalicelib.store.repositories import get_or_none, storage_errors


class ChannelRequestStore:
    @storage_errors
    def add(self, item: ChannelRequestModel) -> None:
        item.save(condition=ChannelRequestModel.request_id.does_not_exist())

    @storage_errors
    def get(self, request_id: str) -> ChannelRequestModel | None:
        return get_or_none(ChannelRequestModel, request_id, consistent_read=True)

    @storage_errors
    def pending(self, limit: int = 200) -> list[ChannelRequestModel]:
        return list(ChannelRequestModel.by_status.query("pending", limit=limit))

    def decide(
        self, item: ChannelRequestModel, status: str, actor: str, now: int, note: str | None, channel_after: str | None
    ) -> bool:
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.update(
                    ChannelRequestModel(item.request_id),
                    actions=[
                        ChannelRequestModel.status.set(status),
                        ChannelRequestModel.decided_at.set(now),
                        ChannelRequestModel.decided_by.set(actor),
                    ]
                    + ([ChannelRequestModel.note.set(note)] if note else []),
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
