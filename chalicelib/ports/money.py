"""Ports of the money services (services/ledger.py, payments.py, refunds.py, statements.py, collections.py,
accounts.py, ledger_jobs.py): what they ask of the stores and of VNPay's merchant API, the plain values they
hand over to be written, and the exceptions the stores and the client raise for them to catch.

Implemented structurally by store/ledger.py (LedgerStore), store/payments.py (OrderStore), store/refunds.py
(RefundStore), store/statements.py (StatementStore), store/collections.py (CollectionStore),
store/ledger_jobs.py (AccountWalk, MigrationStore) and adapters/vnpay_client.py (VnpayClient); deps.py passes
them in. Records are read-only views of the items a store returns: numbers are `float` (DynamoDB's), the
services turn them into int. A store turns the plain values (`Posting`, `NewOrder`, `NewReceipt`...) into its
items; what a channel adds to a posting's transaction (the order's state, the receipt and its number, the bank
line) is built by a store method the service names and hands on unopened (`PostingExtras`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.domain import ledger as rules
from chalicelib.domain.invoices import paid_amount
from chalicelib.ports.common import AuditEntry
from chalicelib.ports.customers import AccountRecord, CustomerRecord
from chalicelib.ports.field import ReadingRecord
from chalicelib.ports.invoices import CreditRecord, InvoiceRecord

# -- what the stores and the VNPay client raise ---------------------------------------------------


class PostingFailed(Exception):
    """A posting's transaction was cancelled: `failed` names the conditions that did not hold ('guard': posted
    before, 'invoice:<id>', 'credit:<code>', 'entry:<code>', or a channel's own label); `contended` says another
    transaction held one of the items at that moment."""

    def __init__(self, failed: set[str], contended: bool) -> None:
        super().__init__(f"failed: {sorted(failed)}; contended: {contended}")
        self.failed = failed
        self.contended = contended


class InvoicesBusy(Exception):
    """An invoice was paid or taken by another order meanwhile."""


class LineNotInSuspense(Exception):
    """The line was applied, resolved or ignored meanwhile."""


class Contended(Exception):
    """Another transaction touched the same items at the same moment; read again and retry."""


class VnpayUnavailable(Exception):
    """No trustworthy answer (network, HTTP status, bad checksum): try later."""


class VnpayUnsigned(VnpayUnavailable):
    """VNPay answered, but without a checksum that verifies: the answer is not acted on."""


# The names of the items a posting's transaction holds besides the ledger's own: PostingFailed.failed says
# which condition did not hold.
GUARD = "guard"  # the payment's '<channel>#<reference>' item: posted before
ORDER = "order"  # the VNPay order moving to paid
LINE = "line"  # the bank statement line recorded (or moved out of suspense)
RECEIPT = "receipt"  # the cash receipt: its collection_id was written first
SERIES = "series"  # the receipt's number: another collection of the worker took it
RECEIPT_LABELS = (RECEIPT, SERIES)
REFUND = "refund"  # the refund item moving from the status read
SOURCE = "source"  # the VNPay payment a refund goes back through (its `refunded`)


# -- records: what the stores return, as the services read it ---------------------------------------


class CustomerAccountRecord(CreditRecord, Protocol):
    """A customer account's credit, and when it last moved (store.models.CustomerAccountModel)."""

    @property
    def customer_code(self) -> str: ...
    @property
    def updated_at(self) -> float | None: ...


class LedgerEntryRecord(Protocol):
    """One posting on one account (store.models.LedgerEntryModel); `lines` are mappings {kind, amount,
    invoice_id?}."""

    @property
    def customer_code(self) -> str: ...
    @property
    def entry_id(self) -> str: ...
    @property
    def event(self) -> str: ...
    @property
    def posted_at(self) -> float: ...
    @property
    def lines(self) -> Sequence[Any] | None: ...
    @property
    def credit_delta(self) -> float | None: ...
    @property
    def payment_id(self) -> str | None: ...
    @property
    def channel(self) -> str | None: ...
    @property
    def external_ref(self) -> str | None: ...
    @property
    def posted_by(self) -> str: ...
    @property
    def note(self) -> str | None: ...
    @property
    def flags(self) -> Sequence[str] | None: ...


class PaymentRecord(Protocol):
    """An item of the payments table (store.models.PaymentModel): money posted once per
    '<channel>#<reference>' (kind payment), a refund ('refund#<id>'), or a credit of before the ledger."""

    @property
    def payment_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def channel(self) -> str | None: ...
    @property
    def order_id(self) -> str | None: ...
    @property
    def amount(self) -> float: ...
    @property
    def invoice_ids(self) -> Sequence[str] | None: ...
    @property
    def customer_codes(self) -> Sequence[str] | None: ...
    @property
    def transaction_no(self) -> str | None: ...
    @property
    def external_ref(self) -> str | None: ...
    @property
    def received_at(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def note(self) -> str | None: ...
    @property
    def refunded(self) -> float | None: ...
    @property
    def customer_code(self) -> str | None: ...
    @property
    def source_payment_id(self) -> str | None: ...
    @property
    def method(self) -> str | None: ...
    @property
    def requested_by(self) -> str | None: ...
    @property
    def approved_by(self) -> str | None: ...
    @property
    def sent_at(self) -> float | None: ...
    @property
    def outcome(self) -> str | None: ...


class OrderRecord(Protocol):
    """A VNPay payment order (store.models.OrderModel); `items` are mappings {invoice_id, customer_code,
    period, amount}."""

    @property
    def order_id(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def invoice_ids(self) -> Sequence[str]: ...
    @property
    def items(self) -> Sequence[Any]: ...
    @property
    def amount(self) -> float: ...
    @property
    def fee(self) -> float | None: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> float: ...
    @property
    def expires_at(self) -> float: ...
    @property
    def vnp_create_date(self) -> str: ...
    @property
    def order_info(self) -> str: ...
    @property
    def payment_url(self) -> str: ...
    @property
    def qr_payload(self) -> str: ...
    @property
    def transaction_no(self) -> str | None: ...
    @property
    def paid_at(self) -> float | None: ...
    @property
    def credit_amount(self) -> float | None: ...
    @property
    def checked_at(self) -> float | None: ...
    @property
    def unclear_answers(self) -> float | None: ...
    @property
    def review_reason(self) -> str | None: ...


class ReceiptRecord(Protocol):
    """A cash receipt (store.models.ReceiptModel)."""

    @property
    def collection_id(self) -> str: ...
    @property
    def staff(self) -> str: ...
    @property
    def receipt_no(self) -> str: ...
    @property
    def invoice_id(self) -> str: ...
    @property
    def customer_code(self) -> str: ...
    @property
    def amount(self) -> float: ...
    @property
    def collected_at(self) -> str: ...
    @property
    def day(self) -> str: ...
    @property
    def allocated(self) -> float | None: ...
    @property
    def credited(self) -> float | None: ...


class HandoverRecord(Protocol):
    """The cash a staff member handed over for a day (store.models.HandoverModel)."""

    @property
    def expected(self) -> float: ...
    @property
    def handed_over(self) -> float: ...
    @property
    def received_by(self) -> str: ...
    @property
    def received_at(self) -> float: ...
    @property
    def note(self) -> str | None: ...


class StatementLineRecord(Protocol):
    """One credit line of a bank statement (store.models.StatementLineModel)."""

    @property
    def line_id(self) -> str: ...
    @property
    def bank_code(self) -> str: ...
    @property
    def bank_ref(self) -> str: ...
    @property
    def booked_on(self) -> str: ...
    @property
    def amount(self) -> float: ...
    @property
    def description(self) -> str: ...
    @property
    def import_id(self) -> str: ...
    @property
    def imported_at(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def invoice_id(self) -> str | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def resolved_by(self) -> str | None: ...
    @property
    def customer_code(self) -> str | None: ...
    @property
    def invoice_ids(self) -> Sequence[str] | None: ...
    @property
    def allocated(self) -> float | None: ...
    @property
    def credited(self) -> float | None: ...


def open_invoice(invoice: InvoiceRecord) -> rules.OpenInvoice:
    """An invoice as the ledger's rules read it (domain/ledger.py)."""
    return rules.OpenInvoice(
        invoice.invoice_id,
        invoice.customer_code,
        int(invoice.total),
        paid_amount(invoice),
        int(invoice.written_off or 0),
        invoice.status,
        invoice.period,
    )


# -- plain values the stores write ---------------------------------------------------------------


@dataclass
class NewPayment:
    """An item of the payments table to write: a posting's guard (kind payment, '<channel>#<reference>': must not
    exist), or a refund request (kind refund, 'refund#<id>')."""

    payment_id: str
    kind: str
    amount: int
    received_at: int
    status: str
    channel: str | None = None
    order_id: str | None = None
    invoice_ids: list[str] = field(default_factory=list)
    customer_codes: list[str] = field(default_factory=list)
    transaction_no: str | None = None
    external_ref: str | None = None
    note: str | None = None
    allocated: int | None = None
    credited: int | None = None
    refunded: int | None = None
    flags: list[str] = field(default_factory=list)
    posted_by: str | None = None
    customer_code: str | None = None
    source_payment_id: str | None = None
    method: str | None = None
    requested_by: str | None = None
    approved_by: str | None = None
    sent_at: int | None = None
    outcome: str | None = None


@dataclass
class NewOrder:
    """A VNPay payment order to open (pending, holding its invoices)."""

    order_id: str
    account_id: str
    invoice_ids: list[str]
    items: list[dict[str, Any]]  # {invoice_id, customer_code, period, amount}
    amount: int
    created_at: int
    expires_at: int
    vnp_create_date: str
    order_info: str
    locale: str
    client_ip: str
    payment_url: str
    qr_payload: str
    bank_code: str | None = None
    fee: int = 0
    status: str = "pending"
    credit_amount: int = 0
    transaction_no: str | None = None
    paid_at: int | None = None
    checked_at: int | None = None
    unclear_answers: int | None = None
    review_reason: str | None = None


@dataclass
class NewReceipt:
    """A cash receipt to write with its posting; `allocated` and `credited` are how the posting spread it."""

    collection_id: str
    staff: str
    receipt_no: str
    invoice_id: str
    customer_code: str
    amount: int
    collected_at: str
    day: str
    staff_day: str
    lat: float | None = None
    lng: float | None = None
    allocated: int | None = None
    credited: int | None = None


@dataclass
class NewHandover:
    """The cash a staff member hands over for a day, as an admin records it."""

    staff: str
    day: str
    expected: int
    handed_over: int
    received_by: str
    received_at: int
    note: str | None = None


@dataclass
class NewStatementLine:
    """A bank statement line to record: in suspense, or matched with what its posting did."""

    line_id: str
    bank_code: str
    bank_ref: str
    booked_on: str
    amount: int
    description: str
    import_id: str
    imported_at: int
    status: str
    reason: str | None = None
    customer_code: str | None = None
    invoice_id: str | None = None
    invoice_ids: list[str] | None = None
    allocated: int | None = None
    credited: int | None = None


@dataclass
class LineResolution:
    """What a posting did with a suspense line a manager resolved, and the audit entries that say so."""

    customer_code: str
    invoice_ids: list[str]
    allocated: int
    credited: int
    audits: list[AuditEntry]


@dataclass
class NewLedgerEntry:
    """A ledger entry the migration writes with a key of its own (written only if absent)."""

    customer_code: str
    entry_id: str
    event: str
    posted_at: int
    lines: list[dict[str, Any]]
    posted_by: str
    credit_delta: int = 0
    payment_id: str | None = None
    channel: str | None = None
    external_ref: str | None = None
    note: str | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class InvoiceMove:
    """An invoice as read, and how much more is allocated to it (negative: given back)."""

    invoice: InvoiceRecord
    allocate: int
    display: dict[str, Any] | None = None  # what the invoice's payment list shows
    paid_at: str | None = None  # set when this move pays it off
    release_hold: str | None = None  # the order whose hold ends with this move


@dataclass
class Posting:
    """Everything one event does to the accounts, written in one transaction (Ledger.post)."""

    event: str
    reference: str
    posted_at: int
    posted_by: str
    lines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # customer code -> entries
    credit: dict[str, int] = field(default_factory=dict)  # customer code -> credit delta
    credit_seen: dict[str, int] = field(default_factory=dict)  # for decreases: the credit read
    invoices: list[InvoiceMove] = field(default_factory=list)
    guard: NewPayment | None = None
    payment_id: str | None = None
    channel: str | None = None
    external_ref: str | None = None
    note: str | None = None
    flags: list[str] = field(default_factory=list)

    def codes(self) -> list[str]:
        return list(dict.fromkeys(list(self.lines) + list(self.credit)))


# The channel's own items of a posting's transaction, built by a store method the service names (OrderStore.paid,
# CollectionStore.receipt_items, ...) and handed on unopened; the ledger store calls it with its transaction (the
# store's own business, hence Any) and the posting of this attempt.
PostingExtras = Callable[[Any, Posting], None]


# -- the stores and the client ---------------------------------------------------------------------


class Ledger(Protocol):
    """The customer accounts (store.ledger.LedgerStore): invoices as a posting reads them, entries, credit, and
    the one transaction that posts money."""

    def invoices(self, invoice_ids: Iterable[str], consistent: bool = True) -> Mapping[str, InvoiceRecord]: ...

    def invoice(self, invoice_id: str) -> InvoiceRecord | None: ...

    def open_invoices(self, code: str, limit: int = 100) -> Sequence[InvoiceRecord]:
        """The account's open invoices, oldest period first."""

    def all_invoices(self, code: str) -> Sequence[InvoiceRecord]: ...

    def account(self, code: str, consistent: bool = True) -> CustomerAccountRecord | None: ...

    def accounts(self, codes: Iterable[str]) -> Mapping[str, CustomerAccountRecord]: ...

    def entries(self, code: str) -> Sequence[LedgerEntryRecord]:
        """Every posting of the account, oldest first."""

    def payment(self, payment_id: str) -> PaymentRecord | None: ...

    def with_credit(self, limit: int = 500) -> Sequence[CustomerAccountRecord]: ...

    def post(self, posting: Posting, extras: PostingExtras | None = None) -> None:
        """Write the posting (and the channel's own items) in one transaction, or raise PostingFailed."""


class Orders(Protocol):
    """VNPay payment orders (store.payments.OrderStore)."""

    def get(self, order_id: str, consistent: bool = False) -> OrderRecord | None: ...

    def invoices(self, invoice_ids: list[str], consistent: bool = False) -> Mapping[str, InvoiceRecord]: ...

    def open(self, order: NewOrder, now: int) -> None:
        """Create the order and hold its invoices, or nothing at all: InvoicesBusy."""

    def paid(
        self, order_id: str, from_status: str, *, transaction_no: str, paid_at: int, applied_by: str, paid_amount: int
    ) -> PostingExtras:
        """The order from the status read to paid, in the posting's transaction (label ORDER)."""

    def pending_expired_before(self, until: int, limit: int = 100) -> Sequence[OrderRecord]: ...

    def in_review(self, limit: int = 100) -> Sequence[OrderRecord]: ...

    def mark_checked(self, order_id: str, now: int) -> None: ...

    def note_unclear(self, order: OrderRecord, why: str, now: int, review_after: int) -> bool: ...

    def record_failure(
        self, order: OrderRecord, response_code: str, transaction_no: str | None, status: str = "failed"
    ) -> bool: ...


class Refunds(Protocol):
    """Refund items, the VNPay payments they go back through and those payments' orders (store.refunds.RefundStore).
    The transactions raise PostingFailed naming REFUND, SOURCE or 'audit'."""

    def payment(self, payment_id: str) -> PaymentRecord | None: ...

    def order(self, order_id: str) -> OrderRecord | None: ...

    def by_status(
        self, status: str, *, limit: int = 100, since: int | None = None, newest_first: bool = True
    ) -> Sequence[PaymentRecord]: ...

    def in_flight(self, source_payment_id: str) -> Sequence[PaymentRecord]: ...

    def move(self, payment_id: str, from_status: str, to_status: str, outcome: str) -> bool: ...

    def with_audit(self, audit: AuditEntry) -> PostingExtras:
        """The audit entry, in the posting's transaction."""

    def mark_sending(
        self,
        refund: PaymentRecord,
        source: PaymentRecord,
        *,
        actor: str,
        request_id: str,
        now: int,
        audit: AuditEntry,
    ) -> None:
        """requested -> sending and the payment's `refunded` raised (never past its amount), with the audit entry."""

    def paid_out_in_cash(self, refund: PaymentRecord, *, actor: str, now: int, outcome: str, audit: AuditEntry) -> None:
        """requested -> refunded, with the audit entry."""

    def cancelled(
        self,
        refund: PaymentRecord,
        from_status: str,
        to_status: str,
        outcome: str,
        *,
        source_back: bool,
        audit: AuditEntry,
    ) -> PostingExtras:
        """In the posting that puts the money back: the refund from_status -> to_status, the payment's `refunded`
        lowered again (source_back), the audit entry."""

    def record_audit(self, audit: AuditEntry) -> None: ...


class StatementLines(Protocol):
    """Bank statement lines (store.statements.StatementStore)."""

    def line(self, line_id: str) -> StatementLineRecord | None: ...

    def existing_lines(self, line_ids: Iterable[str]) -> AbstractSet[str]: ...

    def known_customers(self, codes: Iterable[str]) -> AbstractSet[str]: ...

    def invoices(self, invoice_ids: Iterable[str]) -> Mapping[str, InvoiceRecord]: ...

    def invoice(self, invoice_id: str) -> InvoiceRecord | None: ...

    def by_status(
        self, status: str, limit: int, cursor: str | None
    ) -> tuple[Sequence[StatementLineRecord], str | None]: ...

    def record(self, line: NewStatementLine) -> bool:
        """A line that pays nothing (suspense): written once. False if it was there."""

    def add_line(self, line: Callable[[Posting], NewStatementLine]) -> PostingExtras:
        """The line (as this attempt's posting leaves it), recorded in the posting's transaction (label LINE)."""

    def resolve_line(self, line_id: str, actor: str, resolution: Callable[[Posting], LineResolution]) -> PostingExtras:
        """suspense -> resolved in the posting's transaction (label LINE), with its audit entries."""

    def ignore(self, line_id: str, actor: str, audit: AuditEntry) -> None:
        """suspense -> ignored, with its audit entry: LineNotInSuspense, Contended."""


class Collections(Protocol):
    """Cash receipts, print counters and handovers (store.collections.CollectionStore)."""

    def receipt(self, collection_id: str) -> ReceiptRecord | None: ...

    def invoice(self, invoice_id: str) -> InvoiceRecord | None: ...

    def customer(self, code: str) -> CustomerRecord | None: ...

    def account(self, account_id: str) -> AccountRecord | None: ...

    def reading(self, reading_id: str) -> ReadingRecord | None:
        """Why its rules refused cash on the spot: its `reasons`."""

    def last_number(self, series: str) -> int: ...

    def credited_receipt(self, customer_code: str, invoice_id: str, limit: int = 20) -> ReceiptRecord | None: ...

    def receipt_items(self, receipt: NewReceipt, series: str, number: int) -> PostingExtras:
        """The receipt and its number in the posting's transaction (RECEIPT_LABELS)."""

    def count_print(self, invoice_id: str, kind: str, staff: str, now: int) -> int: ...

    def print_count(self, invoice_id: str, kind: str) -> int: ...

    def print_counts(self, invoice_ids: Iterable[str], kind: str) -> Mapping[str, int]: ...

    def day_receipts(self, staff: str, day: str) -> Sequence[ReceiptRecord]: ...

    def handover(self, staff: str, day: str) -> HandoverRecord | None: ...

    def record_handover(self, item: NewHandover, audit: AuditEntry) -> None: ...


class CustomerCodes(Protocol):
    """The walk over every customer code, in parallel segments (store.ledger_jobs.AccountWalk)."""

    def codes_page(
        self, segment: int, segments: int, start_key: dict[str, Any] | None = None
    ) -> tuple[list[str], dict[str, Any] | None]: ...


class Migration(Protocol):
    """The credits of before the ledger and the migration's transactions (store.ledger_jobs.MigrationStore)."""

    def legacy_credits(self, status: str) -> Sequence[PaymentRecord]: ...

    def order(self, order_id: str) -> OrderRecord | None: ...

    def payment(self, payment_id: str) -> PaymentRecord | None: ...

    def write(
        self,
        entries: Iterable[NewLedgerEntry],
        invoices: Iterable[tuple[InvoiceRecord, int]] = (),
        credit: Mapping[str, int] | None = None,
        credit_item: PaymentRecord | None = None,
        guard: NewPayment | None = None,
    ) -> None:
        """One transaction, or PostingFailed naming what did not hold."""


class VnpayMerchant(Protocol):
    """VNPay's merchant API (adapters.vnpay_client.VnpayClient): signed answers only, else VnpayUnavailable
    (VnpayUnsigned: an answer without a valid checksum)."""

    def querydr(self, order: OrderRecord, transaction_no: str | None = None) -> dict[str, Any]: ...

    def refund(
        self,
        order: OrderRecord,
        *,
        amount_vnd: int,
        transaction_no: str | None,
        created_by: str,
        transaction_type: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]: ...
