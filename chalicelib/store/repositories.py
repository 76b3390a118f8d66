"""Data access behind small interfaces. Infrastructure errors become domain
errors here, at the edge: a throttled table is a 503 to the client, a failed
condition is the domain answer the service expects, never a stack trace."""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Callable, Iterable
from typing import TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import (
    DoesNotExist,
    PutError,
    PynamoDBException,
    TransactWriteError,
    UpdateError,
)
from pynamodb.transactions import TransactWrite

from chalicelib.errors import ServiceUnavailable, ValidationError
from chalicelib.store.models import (
    CONNECTION,
    AccountModel,
    AuditModel,
    CounterModel,
    CustomerLinkModel,
    CustomerModel,
    InvoiceModel,
    InvoiceSeriesModel,
    OneTimeCodeModel,
    SessionModel,
    TariffModel,
)

T = TypeVar("T")
_THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}


class ConditionFailed(Exception):
    """A conditional write lost: the state was not what the caller required."""


def _is_condition_failure(exc: PynamoDBException) -> bool:
    code = getattr(exc, "cause_response_code", None)
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = getattr(exc, "cancellation_reasons", None) or []
        return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)
    return False


def storage_errors(fn: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (PutError, UpdateError, TransactWriteError) as exc:
            if _is_condition_failure(exc):
                raise ConditionFailed(str(exc)) from None
            if getattr(exc, "cause_response_code", None) in _THROTTLED | {"TransactionCanceledException"}:
                raise ServiceUnavailable() from exc
            raise
        except DoesNotExist:
            raise
        except PynamoDBException as exc:
            if getattr(exc, "cause_response_code", None) in _THROTTLED:
                raise ServiceUnavailable() from exc
            raise

    return wrapper


def save_if(item, condition) -> bool:
    """Write `item` if `condition` holds: False when it did not (someone else's
    write stands), the one answer every "create once" store method needs."""
    try:
        item.save(condition=condition)
    except PutError as exc:
        if _is_condition_failure(exc):
            return False
        raise
    return True


def update_if(item, actions: list, condition) -> bool:
    """Apply `actions` to `item` if `condition` holds: False when it did not
    (the item moved on); any other failure (throttling, a timeout) raises, so
    it is never mistaken for a lost race."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if _is_condition_failure(exc):
            return False
        raise
    return True


def get_or_none(model, *key, consistent_read: bool = False):
    """One item by its key, or None: the read every store needs."""
    try:
        return model.get(*key, consistent_read=consistent_read)
    except DoesNotExist:
        return None


def _connection() -> Connection:
    return CONNECTION


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def _unb64(token: str) -> dict:
    try:
        padded = token + "=" * (-len(token) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationError(
            "cursor is not valid", "Tham số cursor không hợp lệ.", field="cursor", code="INVALID_CURSOR"
        ) from None
    if not isinstance(value, dict):
        raise ValidationError(
            "cursor is not valid", "Tham số cursor không hợp lệ.", field="cursor", code="INVALID_CURSOR"
        )
    return value


class CustomerRepository:
    @storage_errors
    def get(self, code: str) -> CustomerModel | None:
        return get_or_none(CustomerModel, code)

    @storage_errors
    def get_many(self, codes: Iterable[str]) -> dict[str, CustomerModel]:
        codes = list(dict.fromkeys(codes))
        return {c.code: c for c in CustomerModel.batch_get(codes)} if codes else {}

    @storage_errors
    def find_by_phone(self, phone: str, limit: int = 10) -> list:
        return list(CustomerModel.by_phone.query(phone, limit=limit))

    @storage_errors
    def find_by_ledger(self, ledger_no: str, limit: int = 10) -> list:
        return list(CustomerModel.by_ledger.query(ledger_no, limit=limit))

    @storage_errors
    def advance_index(self, code: str, index: int, read_on: str) -> None:
        """The customer's last billed index moves forward, never back (a late, older reading changes nothing)."""
        update_if(
            CustomerModel(code),
            [CustomerModel.last_index.set(index), CustomerModel.last_read_on.set(read_on)],
            CustomerModel.code.exists()
            & (CustomerModel.last_read_on.does_not_exist() | (CustomerModel.last_read_on < read_on)),
        )

    @storage_errors
    def correct_index(self, code: str, index: int, read_on: str, replaced_read_on: str | None) -> None:
        """A correction of a period's reading: the customer's index becomes the
        corrected one if it is still the one the replaced reading set (or older)."""
        on_file = CustomerModel.last_read_on.does_not_exist() | (CustomerModel.last_read_on < read_on)
        if replaced_read_on:
            on_file = on_file | (CustomerModel.last_read_on == replaced_read_on)
        update_if(
            CustomerModel(code),
            [CustomerModel.last_index.set(index), CustomerModel.last_read_on.set(read_on)],
            CustomerModel.code.exists() & on_file,
        )


class AccountRepository:
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
        account: AccountModel,
        *,
        link_code: str | None = None,
        now: int = 0,
        consume_otp: tuple[str, str] | None = None,
    ) -> None:
        """Create the account, claim its first customer code, and use up the
        one-time code, all or nothing."""
        with TransactWrite(connection=_connection()) as tx:
            tx.save(account, condition=AccountModel.account_id.does_not_exist())
            if link_code:
                link = CustomerLinkModel(link_code, account_id=account.account_id, linked_at=now)
                tx.save(link, condition=CustomerLinkModel.customer_code.does_not_exist())
            if consume_otp:
                _consume_otp(tx, *consume_otp)

    @storage_errors
    def link_customer(self, account_id: str, code: str, now: int, consume_otp: tuple[str, str]) -> None:
        with TransactWrite(connection=_connection()) as tx:
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
        with TransactWrite(connection=_connection()) as tx:
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
        return item.failed_logins

    @storage_errors
    def clear_failures(self, account_id: str) -> None:
        AccountModel(account_id).update(
            actions=[AccountModel.failed_logins.set(0)], condition=AccountModel.account_id.exists()
        )


def _consume_otp(tx: TransactWrite, otp_key: str, nonce: str) -> None:
    # The code is spent only if it is still the one that was checked.
    tx.delete(OneTimeCodeModel(otp_key), condition=OneTimeCodeModel.nonce == nonce)


class SessionRepository:
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


class OneTimeCodeRepository:
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


class CounterRepository:
    @storage_errors
    def hit(self, key: str, expires_at: int) -> int:
        item = CounterModel(key)
        item.update(actions=[CounterModel.hits.add(1), CounterModel.expires_at.set(expires_at)])
        return item.hits

    @storage_errors
    def peek(self, key: str) -> int:
        try:
            return CounterModel.get(key).hits
        except DoesNotExist:
            return 0


class InvoiceRepository:
    @storage_errors
    def get(self, invoice_id: str) -> InvoiceModel | None:
        return get_or_none(InvoiceModel, invoice_id)

    @storage_errors
    def list_for_customer(
        self, code: str, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[InvoiceModel], str | None]:
        """Newest first, one Query: the status filter is the key of its own index."""
        start = None
        if cursor:
            start = _unb64(cursor)
            hash_attr = "customer_status" if status else "customer_code"
            expected = f"{code}#{status}" if status else code
            if start.get(hash_attr, {}).get("S") != expected:
                raise ValidationError(
                    "cursor does not belong to this query",
                    "Tham số cursor không hợp lệ.",
                    field="cursor",
                    code="INVALID_CURSOR",
                )
        if status:
            results = InvoiceModel.by_customer_status.query(
                f"{code}#{status}", scan_index_forward=False, limit=limit, last_evaluated_key=start
            )
        else:
            results = InvoiceModel.by_customer.query(
                code, scan_index_forward=False, limit=limit, last_evaluated_key=start
            )
        items = list(results)
        lek = results.last_evaluated_key
        return items, (_b64(lek) if lek and len(items) == limit else None)

    @storage_errors
    def put(self, invoice: InvoiceModel) -> None:
        invoice.save()

    @storage_errors
    def recent(self, code: str, limit: int) -> list[InvoiceModel]:
        return list(InvoiceModel.by_customer.query(code, scan_index_forward=False, limit=limit))


class ReadingStore:
    @storage_errors
    def create(self, item) -> object | None:
        """Store a new reading; if its id is taken, return the stored one instead."""
        from chalicelib.store.models import ReadingModel

        if save_if(item, ReadingModel.reading_id.does_not_exist()):
            return None
        return ReadingModel.get(item.reading_id, consistent_read=True)

    @storage_errors
    def get(self, reading_id: str, consistent: bool = False):
        from chalicelib.store.models import ReadingModel

        return get_or_none(ReadingModel, reading_id, consistent_read=consistent)

    @storage_errors
    def finish(self, reading_id: str, status: str, reasons, invoice_id, collect: bool, now: int) -> None:
        from chalicelib.store.models import ReadingModel

        actions = [
            ReadingModel.status.set(status),
            ReadingModel.collect_on_spot.set(1 if collect else 0),
            ReadingModel.processed_at.set(now),
        ]
        if reasons is not None:
            actions.append(ReadingModel.reasons.set(reasons))
        if invoice_id:
            actions.append(ReadingModel.invoice_id.set(invoice_id))
        ReadingModel(reading_id).update(actions=actions)


class SeriesTaken(Exception):
    """Another issue took the next number first; read the series again and retry."""


class InvoiceExists(Exception):
    """The invoice is not as the issue expected: it exists already, or (a correction) it changed since it was
    read or an open payment order holds it."""


class CreditChanged(Exception):
    """The account's credit moved since it was read (a payment or another charge): read it again and retry."""


class IssueUnclear(SeriesTaken):
    """The transaction failed without naming a condition (another transaction held an item, a throttle, an
    answer lost): retry with the series read again, but the invoice may have been written with this number."""


class InvoiceWriter:
    """Issues invoices with gap-free numbers: the series counter moves from n
    to n+1 in the same transaction that creates invoice n+1, so a number is
    never skipped or used twice, whatever runs at the same time. The invoice's
    ledger posting (its charge, or a correction's adjustment) is written in
    that transaction too, so the account never misses or repeats one."""

    @storage_errors
    def last_number(self, series: str) -> int:
        try:
            return InvoiceSeriesModel.get(series, consistent_read=True).last_number
        except DoesNotExist:
            return 0

    def issue(
        self,
        invoice: InvoiceModel,
        series: str,
        number: int,
        posting,
        replacing: InvoiceModel | None = None,
        at: int | None = None,
    ) -> None:
        """One transaction: series n-1 -> n, the invoice, and `posting` (a store.ledger.Posting).
        `replacing`: a correction of that invoice as read; it must be unchanged since
        and not held by an open payment order at `at`."""
        # Imported here: store.ledger builds on this module.
        from chalicelib.store.ledger import LedgerStore, PostingFailed, unchanged

        invoice.invoice_number = number
        if replacing is None:
            invoice_condition = InvoiceModel.invoice_id.does_not_exist()
        else:
            invoice_condition = unchanged(replacing) & (
                InvoiceModel.pending_order_id.does_not_exist() | (InvoiceModel.pending_until < at)
            )
        counter_condition = (
            InvoiceSeriesModel.series.does_not_exist() if number == 1 else InvoiceSeriesModel.last_number == number - 1
        )

        def numbered(tx, _posting) -> None:
            tx.update(
                "series",
                InvoiceSeriesModel(series),
                [InvoiceSeriesModel.last_number.set(number)],
                condition=counter_condition,
            )
            tx.put("invoice", invoice, condition=invoice_condition)

        try:
            LedgerStore().post(posting, extras=numbered)
        except PostingFailed as failed:
            if "invoice" in failed.failed:
                raise InvoiceExists(invoice.invoice_id) from None
            if any(label.startswith("credit:") for label in failed.failed):
                raise CreditChanged(invoice.customer_code) from None
            if not failed.failed:
                raise IssueUnclear(series) from None
            raise SeriesTaken(series) from None  # the series moved: read the number again


class TariffRepository:
    @storage_errors
    def versions_for(self, tariff_key: str, start: str, end: str) -> list[TariffModel]:
        """Every version in force on some day of (start, end]: those that begin
        inside it, and the last one that began on or before its first day.
        One Query, newest first, stopping at that last one."""
        out = []
        for item in TariffModel.query(tariff_key, TariffModel.valid_from <= end, scan_index_forward=False):
            out.append(item)
            if item.valid_from <= start:
                break
        return list(reversed(out))

    @storage_errors
    def list(self, tariff_key: str) -> list[TariffModel]:
        return list(TariffModel.query(tariff_key))

    @storage_errors
    def add(self, item: TariffModel, audit: AuditModel) -> None:
        """A version is written once; a later change is a new version."""
        with TransactWrite(connection=_connection()) as tx:
            tx.save(item, condition=TariffModel.tariff_key.does_not_exist())
            tx.save(audit, condition=AuditModel.entity.does_not_exist())


class AuditRepository:
    @storage_errors
    def record(self, item: AuditModel) -> None:
        item.save(condition=AuditModel.entity.does_not_exist())

    @storage_errors
    def for_entity(self, entity: str, limit: int = 50) -> list[AuditModel]:
        return list(AuditModel.query(entity, scan_index_forward=False, limit=limit))

    @storage_errors
    def by_actor(self, actor: str, limit: int = 50) -> list[AuditModel]:
        return list(AuditModel.by_actor.query(actor, scan_index_forward=False, limit=limit))
