"""Storage of the chat assistants: links, one-time link codes, handled events."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.ports.chat import NewChatLink
from chalicelib.ports.common import ConditionFailed
from chalicelib.store.models import CONNECTION, AuditModel, ChatEventModel, ChatLinkCodeModel, ChatLinkModel
from chalicelib.store.repositories import get_or_none, is_condition_failure, save_if, storage_errors


class ChatStore:
    # -- handled events (dedupe) ------------------------------------------------

    @storage_errors
    def claim_event(self, event_key: str, expires_at: int) -> bool:
        """True the first time a platform message is seen; False for a redelivery."""
        return save_if(ChatEventModel(event_key, expires_at=expires_at), ChatEventModel.event_key.does_not_exist())

    @storage_errors
    def release_event(self, event_key: str) -> None:
        """Handling failed before the reply was queued: let the platform's redelivery try again."""
        ChatEventModel(event_key).delete()

    # -- one-time link codes ------------------------------------------------------

    @storage_errors
    def put_code(self, code_hash: str, account_id: str, now: int, expires_at: int) -> bool:
        """False if a live code has the same hash (the caller draws another)."""
        item = ChatLinkCodeModel(code_hash, account_id=account_id, created_at=now, expires_at=expires_at)
        return save_if(item, ChatLinkCodeModel.code_hash.does_not_exist() | (ChatLinkCodeModel.expires_at <= now))

    @storage_errors
    def live_code(self, code_hash: str, now: int) -> ChatLinkCodeModel | None:
        item = get_or_none(ChatLinkCodeModel, code_hash, consistent_read=True)
        return item if item is not None and item.expires_at > now else None

    @storage_errors
    def link_with_code(self, code: ChatLinkCodeModel, new: NewChatLink, audit: list[AuditModel], now: int) -> None:
        """Spend the code and write the link (replacing an older link of the same identity), all or
        nothing: a code links one identity, once. ConditionFailed when the code was used meanwhile."""
        link = ChatLinkModel(
            new.identity_hash,
            link_id=new.link_id,
            account_id=new.account_id,
            platform=new.platform,
            user_hint=new.user_hint,
            linked_at=new.linked_at,
        )
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.delete(
                    ChatLinkCodeModel(code.code_hash),
                    condition=(ChatLinkCodeModel.account_id == code.account_id) & (ChatLinkCodeModel.expires_at > now),
                )
                tx.save(link)
                for entry in audit:
                    tx.save(entry, condition=AuditModel.entity.does_not_exist())
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(str(exc)) from None
            raise

    # -- links ----------------------------------------------------------------------

    @storage_errors
    def link_of(self, identity_hash: str) -> ChatLinkModel | None:
        return get_or_none(ChatLinkModel, identity_hash)

    @storage_errors
    def links_of_account(self, account_id: str, limit: int = 50) -> list[ChatLinkModel]:
        return list(ChatLinkModel.by_account.query(account_id, scan_index_forward=False, limit=limit))

    @storage_errors
    def unlink(self, link: ChatLinkModel, audit: AuditModel) -> bool:
        """Remove exactly this link (not a newer one of the same identity); False if it is gone already."""
        try:
            with TransactWrite(connection=CONNECTION) as tx:
                tx.delete(ChatLinkModel(link.identity_hash), condition=ChatLinkModel.link_id == link.link_id)
                tx.save(audit, condition=AuditModel.entity.does_not_exist())
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True
