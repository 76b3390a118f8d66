"""The bank notifications handled, in DynamoDB (models.BankNotificationModel): the fast answer to a
service's retry. The money itself is guarded by the statement line and the payment item (store/ledger.py,
store/statements.py), not by this record."""

from __future__ import annotations

from chalicelib.store.models import BankNotificationModel
from chalicelib.store.repositories import get_or_none, save_if, storage_errors

KEEP_SECONDS = 90 * 24 * 3600  # SePay retries for about 33 minutes, Casso for hours at most


class BankNotificationStore:
    @storage_errors
    def seen(self, key: str) -> BankNotificationModel | None:
        return get_or_none(BankNotificationModel, key, consistent_read=True)

    @storage_errors
    def remember(self, key: str, *, line_id: str | None, outcome: str, received_at: int) -> None:
        """The first answer stands: a duplicate handled at the same moment does not overwrite it."""
        item = BankNotificationModel(
            key, line_id=line_id, outcome=outcome, received_at=received_at, expires_at=received_at + KEEP_SECONDS
        )
        save_if(item, BankNotificationModel.notification_key.does_not_exist())
