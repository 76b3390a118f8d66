"""Ports of customers and their logins: the customer book, accounts, sessions, one-time codes,
rate-limit counters, the SMS sender, and the customers' payment-channel requests.

Records are read-only views of what a store returns (its items): numbers are `float` because
DynamoDB numbers come back as int or float."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

# -- records ---------------------------------------------------------------------------------


class CustomerRecord(Protocol):
    """A customer of the utility's book (store.models.CustomerModel)."""

    @property
    def code(self) -> str: ...
    @property
    def ledger_no(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def house_no(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def customer_class(self) -> str: ...
    @property
    def branch(self) -> str | None: ...
    @property
    def persons(self) -> float: ...
    @property
    def persons_next(self) -> float | None:
        """An approved household-size registration's residents (issue 18), priced from `persons_from` on."""

    @property
    def persons_from(self) -> str | None: ...
    @property
    def payment_channel(self) -> str: ...
    @property
    def meter_serial(self) -> str | None: ...
    @property
    def tariff_area(self) -> str: ...
    @property
    def meter_size(self) -> str | None: ...
    @property
    def meter_digits(self) -> float | None: ...
    @property
    def meter_replaced_on(self) -> str | None: ...
    @property
    def meter_start_index(self) -> float | None: ...
    @property
    def business_type(self) -> str | None: ...
    @property
    def last_index(self) -> float | None: ...
    @property
    def last_read_on(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def push_endpoint(self) -> str | None: ...
    @property
    def zalo_user_id(self) -> str | None: ...
    @property
    def notify_channels(self) -> Sequence[str] | None: ...
    @property
    def reminders_opt_out(self) -> float | None: ...


class AccountRecord(Protocol):
    """A login: '<role>:<login>' (store.models.AccountModel)."""

    @property
    def account_id(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def login(self) -> str: ...
    @property
    def password_hash(self) -> str: ...
    @property
    def customer_codes(self) -> Sequence[str]: ...
    @property
    def created_at(self) -> float: ...
    @property
    def password_changed_at(self) -> float: ...
    @property
    def session_epoch(self) -> float | None: ...
    @property
    def failed_logins(self) -> float | None: ...
    @property
    def locked_until(self) -> float | None: ...
    @property
    def device_imei(self) -> str | None: ...
    @property
    def branch(self) -> str | None: ...
    @property
    def full_name(self) -> str | None: ...
    @property
    def app_version(self) -> str | None: ...
    @property
    def last_seen_at(self) -> float | None: ...
    @property
    def last_lat(self) -> float | None: ...
    @property
    def last_lng(self) -> float | None: ...


class CustomerLinkRecord(Protocol):
    """A customer code held by an account."""

    @property
    def customer_code(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def linked_at(self) -> float: ...


class SessionRecord(Protocol):
    """A refresh-token family."""

    @property
    def family_id(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def account_epoch(self) -> float | None: ...
    @property
    def revoked(self) -> float | None: ...
    @property
    def created_at(self) -> float: ...
    @property
    def rotated_at(self) -> float: ...
    @property
    def expires_at(self) -> float: ...


class OneTimeCodeRecord(Protocol):
    """A live one-time code, '<purpose>#<customer code>'; only its keyed hash is held."""

    @property
    def otp_key(self) -> str: ...
    @property
    def code_hash(self) -> str: ...
    @property
    def nonce(self) -> str: ...
    @property
    def attempts(self) -> float | None: ...
    @property
    def sent_at(self) -> float: ...
    @property
    def expires_at(self) -> float: ...


class ChannelRequestRecord(Protocol):
    """A customer's request to pay by bank transfer or authorised debit."""

    @property
    def request_id(self) -> str: ...
    @property
    def customer_code(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def bank_code(self) -> str: ...
    @property
    def account_holder(self) -> str: ...
    @property
    def account_last4(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def requested_at(self) -> float: ...
    @property
    def decided_at(self) -> float | None: ...
    @property
    def decided_by(self) -> str | None: ...
    @property
    def note(self) -> str | None: ...


# -- stores ----------------------------------------------------------------------------------


class Customers(Protocol):
    """The customer book (store.customers.CustomerStore)."""

    def get(self, code: str) -> CustomerRecord | None: ...

    def get_many(self, codes: Iterable[str]) -> Mapping[str, CustomerRecord]: ...

    def find_by_phone(self, phone: str, limit: int = 10) -> Sequence[CustomerRecord]: ...

    def find_by_ledger(self, ledger_no: str, limit: int = 10) -> Sequence[CustomerRecord]: ...

    def advance_index(self, code: str, index: int, read_on: str) -> None:
        """The customer's last billed index moves forward, never back."""

    def correct_index(self, code: str, index: int, read_on: str, replaced_read_on: str | None) -> None:
        """A correction of a period's reading replaces the index it set, unless a later one moved on."""


OtpRef = tuple[str, str]  # (the code's key, the nonce checked): spent only if still that code


class Accounts(Protocol):
    """Logins (store.auth.AccountStore). ConditionFailed when a transaction's condition does not hold."""

    def get(self, account_id: str) -> AccountRecord | None: ...

    def holder_of(self, code: str) -> str | None: ...

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
        consume_otp: OtpRef | None = None,
    ) -> AccountRecord:
        """Create the account (and claim its first customer code, and spend the one-time code), all or
        nothing; ConditionFailed if the account or the code's link exists."""

    def link_customer(self, account_id: str, code: str, now: int, consume_otp: OtpRef) -> None: ...

    def set_password(
        self, account_id: str, password_hash: str, now: int, consume_otp: OtpRef | None = None
    ) -> None: ...

    def record_failure(self, account_id: str, max_failures: int, lock_until: int) -> float: ...

    def clear_failures(self, account_id: str) -> None: ...


class Sessions(Protocol):
    def create(
        self, family_id: str, account_id: str, token_id: str, now: int, expires_at: int, account_epoch: int = 0
    ) -> None: ...

    def rotate(
        self, family_id: str, presented_token_id: str, new_token_id: str, now: int, expires_at: int
    ) -> SessionRecord | None:
        """None when the presented token is not the family's current one."""

    def revoke(self, family_id: str) -> None: ...


class OneTimeCodes(Protocol):
    def put(self, otp_key: str, code_hash: str, nonce: str, now: int, ttl: int, resend_after: int) -> bool: ...

    def take_attempt(self, otp_key: str, now: int, max_attempts: int) -> OneTimeCodeRecord | None: ...


class Counters(Protocol):
    """Fixed-window counters of the rate limits."""

    def hit(self, key: str, expires_at: int) -> float: ...

    def peek(self, key: str) -> float: ...


class Sms(Protocol):
    def send_sms(self, customer_code: str, phone: str, text: str) -> None: ...


class ChannelRequests(Protocol):
    """Payment-channel requests (store.channels.ChannelRequestStore)."""

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
    ) -> ChannelRequestRecord: ...

    def get(self, request_id: str) -> ChannelRequestRecord | None: ...

    def pending(self, limit: int = 200) -> Sequence[ChannelRequestRecord]: ...

    def decide(
        self,
        item: ChannelRequestRecord,
        status: str,
        actor: str,
        now: int,
        note: str | None,
        channel_after: str | None,
    ) -> bool:
        """False if the request was decided meanwhile; confirming changes the customer's channel too."""
