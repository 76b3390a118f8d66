"""Ports of bill payment through partners (services/partners.py, services/partner_files.py): the partner
accounts, their secrets (SSM), the nonces they have used, their payments and the answers given, and the
plain values the stores write.

Implemented structurally by store/partners.py (PartnerStore, NonceStore, PartnerPaymentStore) and
adapters/partner_secrets.py (CachedSecrets); deps.py passes them in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.ports.common import AuditEntry
from chalicelib.ports.customers import CustomerRecord
from chalicelib.ports.money import Posting, PostingExtras

# The labels of a partner posting's own items (PostingFailed.failed names the one that did not hold).
PARTNER_PAYMENT = "partner_payment"  # the answer's item: written once per payment, moved once to reversed
PARTNER_SERIES = "partner_series"  # the receipt's number: another payment of the partner took it
SOURCE_PAYMENT = "source_payment"  # the payment a reversal takes back: still applied


class SecretUnavailable(Exception):
    """A partner's secret cannot be read (SSM refused or failed; the parameter is missing or too short).
    The text names the parameter, never a value."""


class PartnerExists(Exception):
    """A partner with this id is there already."""


class PartnerChanged(Exception):
    """The partner changed (or went) since it was read: read it again."""


# -- records ---------------------------------------------------------------------------------


class PartnerRecord(Protocol):
    """A partner account (store.models.PartnerModel)."""

    @property
    def partner_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def secret_param(self) -> str: ...
    @property
    def ip_allowlist(self) -> Sequence[str] | None: ...
    @property
    def channels(self) -> Sequence[str] | None: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def version(self) -> float: ...
    @property
    def created_at(self) -> float: ...
    @property
    def created_by(self) -> str: ...
    @property
    def updated_at(self) -> float: ...
    @property
    def updated_by(self) -> str: ...


class PartnerPaymentRecord(Protocol):
    """A partner's payment as posted, with the answers given (store.models.PartnerPaymentModel); `answer`,
    `reversal_answer` and `allocations` are JSON."""

    @property
    def payment_id(self) -> str: ...
    @property
    def partner_id(self) -> str: ...
    @property
    def partner_txn_id(self) -> str: ...
    @property
    def customer_code(self) -> str: ...
    @property
    def amount(self) -> float: ...
    @property
    def invoice_ids(self) -> Sequence[str] | None: ...
    @property
    def paid_at(self) -> str: ...
    @property
    def day(self) -> str: ...
    @property
    def channel(self) -> str | None: ...
    @property
    def receipt_no(self) -> str: ...
    @property
    def received_at(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def allocations(self) -> str: ...
    @property
    def credited(self) -> float: ...
    @property
    def answer(self) -> str: ...
    @property
    def reversal_answer(self) -> str | None: ...
    @property
    def reversed_at(self) -> float | None: ...


# -- plain values the stores write ---------------------------------------------------------------


@dataclass
class NewPartner:
    partner_id: str
    name: str
    secret_param: str
    ip_allowlist: list[str]
    channels: list[str]
    enabled: bool
    created_at: int
    created_by: str
    updated_at: int
    updated_by: str
    version: int = 1


@dataclass
class NewPartnerPayment:
    """The payment's item, as the posting of this attempt leaves it (allocations, credited, the answer)."""

    payment_id: str
    partner_id: str
    partner_txn_id: str
    customer_code: str
    amount: int
    paid_at: str
    day: str
    receipt_no: str
    received_at: int
    status: str
    allocations: str  # JSON [{invoice_id, amount}]
    credited: int
    answer: str  # JSON: what the first request was answered, and every repeat is
    invoice_ids: list[str] = field(default_factory=list)  # as the partner named them
    channel: str | None = None


# -- the stores and the secret reader -------------------------------------------------------------


class Partners(Protocol):
    """Partner accounts (store.partners.PartnerStore)."""

    def get(self, partner_id: str, consistent: bool = False) -> PartnerRecord | None: ...

    def all(self) -> Sequence[PartnerRecord]:
        """Every partner, by id (one Query of a small index: no Scan)."""

    def create(self, partner: NewPartner, audit: AuditEntry) -> None:
        """The partner and its audit entry, or nothing: PartnerExists."""

    def update(self, partner_id: str, changes: dict[str, Any], version: int, audit: AuditEntry) -> None:
        """The changes (the admin's fields, and updated_at and updated_by) and version + 1, if the partner is still
        at `version`, with the audit entry: PartnerChanged."""


class PartnerSecrets(Protocol):
    """A partner's HMAC secret, by the name of its SSM parameter (adapters.partner_secrets.CachedSecrets)."""

    def secret(self, param: str) -> str:
        """SecretUnavailable when it cannot be read."""


class Nonces(Protocol):
    """The nonces partners have used (store.partners.NonceStore)."""

    def claim(self, partner_id: str, nonce: str, now: int, expires_at: int) -> bool:
        """Record it; False if the partner used it before and it has not expired."""


class PartnerPayments(Protocol):
    """Partners' payments, their receipts' numbers and the customers they pay (store.partners.PartnerPaymentStore)."""

    def payment(self, payment_id: str) -> PartnerPaymentRecord | None:
        """Read consistently: a repeat finds the first request's answer."""

    def by_day(self, partner_id: str, day: str) -> Sequence[PartnerPaymentRecord]:
        """One partner's payments of one day (the payment's paid_at, Vietnam time), by transaction id."""

    def customer(self, code: str) -> CustomerRecord | None: ...

    def last_number(self, series: str) -> int: ...

    def payment_items(self, series: str, number: int, item: Callable[[Posting], NewPartnerPayment]) -> PostingExtras:
        """In a posting: the payment's item (built from this attempt's posting; label PARTNER_PAYMENT,
        written once) and the receipt's number (label PARTNER_SERIES)."""

    def reversal_items(self, payment_id: str, answer: str, now: int) -> PostingExtras:
        """In the reversal's posting: the payment's item paid -> reversed with the answer (PARTNER_PAYMENT), and
        the ledger's payment applied -> reversed (SOURCE_PAYMENT)."""
