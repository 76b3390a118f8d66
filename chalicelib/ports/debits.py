"""Ports of authorised debit (services/debits.py): the debit requests as stored, the plain values the
store writes, and the store itself (store.debits.DebitStore). The channel requests it reads are
ports.customers.ChannelRequestRecord; invoices and postings go through the ledger's ports."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from chalicelib.ports.customers import ChannelRequestRecord, CustomerRecord
from chalicelib.ports.money import Posting, PostingExtras

DEBIT = "debit"  # the label of the debit request's move in a posting's transaction (PostingFailed.failed)


class DebitRequestRecord(Protocol):
    """One customer's debit in a bank's monthly run (store.models.DebitRequestModel)."""

    @property
    def request_id(self) -> str: ...
    @property
    def run_id(self) -> str: ...
    @property
    def bank_code(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def customer_code(self) -> str: ...
    @property
    def mandate_ref(self) -> str: ...
    @property
    def account_holder(self) -> str: ...
    @property
    def invoice_ids(self) -> Sequence[str]: ...
    @property
    def amount(self) -> float: ...
    @property
    def status(self) -> str:
        """pending | paid | failed"""

    @property
    def created_at(self) -> float: ...
    @property
    def created_by(self) -> str: ...
    @property
    def batch(self) -> str:
        """The request file it went to the bank in (one file never repeats a request of another)."""

    @property
    def bank_ref(self) -> str | None: ...
    @property
    def debited_amount(self) -> float | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def result_at(self) -> float | None: ...
    @property
    def flags(self) -> Sequence[str] | None: ...
    @property
    def allocated(self) -> float | None: ...
    @property
    def credited(self) -> float | None: ...


@dataclass
class NewDebitRequest:
    """A request to write (pending) unless its id is there already."""

    request_id: str
    run_id: str
    bank_code: str
    period: str
    customer_code: str
    mandate_ref: str
    account_holder: str
    invoice_ids: list[str]
    amount: int
    created_at: int
    created_by: str
    batch: str
    status: str = "pending"
    pending_flag: str | None = "pending"


@dataclass
class DebitPaid:
    """What the bank's 'paid' did, as this attempt's posting spread the money."""

    bank_ref: str
    debited_amount: int
    result_at: int
    result_by: str
    allocated: int
    credited: int
    flags: list[str] = field(default_factory=list)


class DebitRequests(Protocol):
    """Debit requests, the mandates they come from and what a run reads (store.debits.DebitStore)."""

    def confirmed_channels(self) -> Sequence[ChannelRequestRecord]:
        """Every confirmed payment-channel request (one Query of the channel requests' status index)."""

    def customers(self, codes: Iterable[str]) -> Mapping[str, CustomerRecord]: ...

    def held_invoices(self) -> Mapping[str, str]:
        """The invoices of requests the banks have not answered: invoice id -> request id."""

    def requests(self, request_ids: Iterable[str]) -> Mapping[str, DebitRequestRecord]:
        """Consistent reads."""

    def request(self, request_id: str) -> DebitRequestRecord | None: ...

    def of_run(self, run_id: str) -> Sequence[DebitRequestRecord]:
        """A run's requests, by customer code (the index: eventually consistent)."""

    def add(self, request: NewDebitRequest) -> bool:
        """Written once: False if the request was there."""

    def rebatch(self, request_id: str, old: str, new: str) -> bool:
        """A pending request moved to another file, only from `old` (a file never written): False otherwise."""

    def paid(
        self, request_id: str, from_statuses: Sequence[str], paid: Callable[[Posting], DebitPaid]
    ) -> PostingExtras:
        """In the posting's transaction (label DEBIT): the request from one of `from_statuses` to paid."""

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
        """pending -> failed with the bank's reason and, in the same transaction, the customer's reminder
        claimed ('<request_id>#debit_failed'); False if the request was not pending."""
