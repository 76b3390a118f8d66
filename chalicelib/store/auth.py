"""Logins in DynamoDB: accounts (and the customer codes they hold), refresh-token
sessions, one-time codes and the rate-limit counters."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from chalicelib.store.models import (
    AccountModel,
    CounterModel,
    CustomerLinkModel,
    OneTimeCodeModel,
    SessionModel,
)
from chalicelib.store.repositories import connection, get_or_none, save_if, storage_errors, update_if


class AccountStore:
    @storage_errors
    def get(self, account_id: str) -> AccountModel | None:
        return get_or_none(AccountModel, account_id)

    @storage_errors
    def holder_of(self, code: str) -> str | None:
        """The account that holds a customer code, if any."""
        try:
            return CustomerLinkModel.get(code).account_id
        except DoesNotExist:
            return None

    @storage_errors
    def create(
        self,
        account_id: str,
        *,
        role: str,
        login: str,
        password_hash: str,
        customer_codes: list[str],
        now: int,
        link_code: str | None = None,
        consume_otp: tuple[str, str] | None = None,
    ) -> AccountModel:
        """Create the account, claim its first customer code, and use up the
        one-time code, all or nothing."""
        account = AccountModel(
            account_id,
            role=role,
            login=login,
            password_hash=password_hash,
            customer_codes=customer_codes,
            created_at=now,
            password_changed_at=now,
            failed_logins=0,
            locked_until=0,
        )
        with TransactWrite(connection=connection()) as tx:
            tx.save(account, condition=AccountModel.account_id.does_not_exist())
            if link_code:
                link = CustomerLinkModel(link_code, account_id=account.account_id, linked_at=now)
                tx.save(link, condition=CustomerLinkModel.customer_code.does_not_exist())
            if consume_otp:
                _consume_otp(tx, *consume_otp)
        return account

    @storage_errors
    def link_customer(self, account_id: str, code: str, now: int, consume_otp: tuple[str, str]) -> None:
        with TransactWrite(connection=connection()) as tx:
            link = CustomerLinkModel(code, account_id=account_id, linked_at=now)
            tx.save(link, condition=CustomerLinkModel.customer_code.does_not_exist())
            tx.update(
                AccountModel(account_id),
                actions=[AccountModel.customer_codes.set(AccountModel.customer_codes.append([code]))],
                condition=AccountModel.account_id.exists(),
            )
            _consume_otp(tx, *consume_otp)

    @storage_errors
    def set_password(
        self, account_id: str, password_hash: str, now: int, consume_otp: tuple[str, str] | None = None
    ) -> None:
        with TransactWrite(connection=connection()) as tx:
            tx.update(
                AccountModel(account_id),
                actions=[
                    AccountModel.password_hash.set(password_hash),
                    AccountModel.password_changed_at.set(now),
                    AccountModel.session_epoch.add(1),
                    AccountModel.failed_logins.set(0),
                    AccountModel.locked_until.set(0),
                ],
                condition=AccountModel.account_id.exists(),
            )
            if consume_otp:
                _consume_otp(tx, *consume_otp)

    @storage_errors
    def record_failure(self, account_id: str, max_failures: int, lock_until: int) -> int:
        """Count a failed login; the attempt that reaches the limit locks the account."""
        item = AccountModel(account_id)
        item.update(actions=[AccountModel.failed_logins.add(1)], condition=AccountModel.account_id.exists())
        if item.failed_logins >= max_failures:
            item.update(actions=[AccountModel.locked_until.set(lock_until), AccountModel.failed_logins.set(0)])
        return int(item.failed_logins)

    @storage_errors
    def clear_failures(self, account_id: str) -> None:
        AccountModel(account_id).update(
            actions=[AccountModel.failed_logins.set(0)], condition=AccountModel.account_id.exists()
        )


def _consume_otp(tx: TransactWrite, otp_key: str, nonce: str) -> None:
    # The code is spent only if it is still the one that was checked.
    tx.delete(OneTimeCodeModel(otp_key), condition=OneTimeCodeModel.nonce == nonce)


class SessionStore:
    @storage_errors
    def create(
        self, family_id: str, account_id: str, token_id: str, now: int, expires_at: int, account_epoch: int = 0
    ) -> None:
        SessionModel(
            family_id,
            account_id=account_id,
            current_token_id=token_id,
            account_epoch=account_epoch,
            revoked=0,
            created_at=now,
            rotated_at=now,
            expires_at=expires_at,
        ).save(condition=SessionModel.family_id.does_not_exist())

    @storage_errors
    def rotate(
        self, family_id: str, presented_token_id: str, new_token_id: str, now: int, expires_at: int
    ) -> SessionModel | None:
        """Swap the family's current token if the presented one is current.
        Returns None when it is not (a reused or forged token)."""
        item = SessionModel(family_id)
        rotated = update_if(
            item,
            [
                SessionModel.current_token_id.set(new_token_id),
                SessionModel.rotated_at.set(now),
                SessionModel.expires_at.set(expires_at),
            ],
            (SessionModel.current_token_id == presented_token_id)
            & (SessionModel.revoked == 0)
            & (SessionModel.expires_at > now),
        )
        return item if rotated else None

    @storage_errors
    def revoke(self, family_id: str) -> None:
        update_if(SessionModel(family_id), [SessionModel.revoked.set(1)], SessionModel.family_id.exists())


class OneTimeCodeStore:
    @storage_errors
    def put(self, otp_key: str, code_hash: str, nonce: str, now: int, ttl: int, resend_after: int) -> bool:
        """Store a new code unless one was sent less than `resend_after` seconds ago."""
        item = OneTimeCodeModel(
            otp_key, code_hash=code_hash, nonce=nonce, attempts=0, sent_at=now, expires_at=now + ttl
        )
        return save_if(
            item, OneTimeCodeModel.otp_key.does_not_exist() | (OneTimeCodeModel.sent_at <= now - resend_after)
        )

    @storage_errors
    def take_attempt(self, otp_key: str, now: int, max_attempts: int) -> OneTimeCodeModel | None:
        """Count one verification attempt on a live code; None when there is no
        live code or its attempts are used up."""
        item = OneTimeCodeModel(otp_key)
        counted = update_if(
            item,
            [OneTimeCodeModel.attempts.add(1)],
            OneTimeCodeModel.otp_key.exists()
            & (OneTimeCodeModel.attempts < max_attempts)
            & (OneTimeCodeModel.expires_at > now),
        )
        return item if counted else None


class CounterStore:
    @storage_errors
    def hit(self, key: str, expires_at: int) -> int:
        item = CounterModel(key)
        item.update(actions=[CounterModel.hits.add(1), CounterModel.expires_at.set(expires_at)])
        return int(item.hits)

    @storage_errors
    def peek(self, key: str) -> int:
        try:
            return int(CounterModel.get(key).hits)
        except DoesNotExist:
            return 0
