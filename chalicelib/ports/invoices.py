"""Ports of invoices and their pricing: the invoices as stored, the writer that issues them with
gap-free numbers and their ledger posting in one transaction, the tariff versions, and what
billing reads of the customer accounts. The errors an issue can end with are here: the invoice
store raises them and billing retries or answers on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.domain.invoices import InvoiceLike, LineLike
from chalicelib.ports.common import AuditEntry

# -- records ---------------------------------------------------------------------------------


class InvoiceLineRecord(LineLike, Protocol):
    """One line of an invoice as stored: what the domain reads (kind, description, amount), and more."""

    @property
    def quantity(self) -> float | None: ...
    @property
    def unit_price(self) -> float | None: ...
    @property
    def rate_percent(self) -> float | None: ...


class InvoiceRecord(InvoiceLike, Protocol):
    """An invoice as stored (store.models.InvoiceModel): what the domain reads (domain.invoices.InvoiceLike),
    and the rest of the item."""

    @property
    def period_key(self) -> str: ...
    @property
    def customer_status(self) -> str: ...
    @property
    def lines(self) -> Sequence[InvoiceLineRecord]: ...
    @property
    def payments(self) -> Sequence[Any] | None:
        """The payment list the invoice shows: maps of channel, amount, received_at, note..."""

    @property
    def invoice_template(self) -> str | None: ...
    @property
    def invoice_symbol(self) -> str | None: ...
    @property
    def invoice_number(self) -> float | None: ...
    @property
    def customer_address(self) -> str | None: ...
    @property
    def ledger_no(self) -> str | None: ...
    @property
    def period_start(self) -> str | None: ...
    @property
    def period_end(self) -> str | None: ...
    @property
    def proration(self) -> Sequence[str] | None: ...
    @property
    def issued_by(self) -> str | None: ...
    @property
    def pending_order_id(self) -> str | None: ...
    @property
    def pending_until(self) -> float | None: ...
    @property
    def field_collect(self) -> float | None: ...
    @property
    def reading_id(self) -> str | None: ...
    @property
    def paid_amount(self) -> float | None: ...
    @property
    def written_off(self) -> float | None: ...
    @property
    def einvoice_document_key(self) -> str | None:
        """Where the legal e-invoice's document is kept (ports/documents.py), once fetched."""


class TariffRecord(Protocol):
    """One stored tariff version: `version` is its JSON form (domain.tariff.version_to_dict)."""

    @property
    def tariff_key(self) -> str: ...
    @property
    def valid_from(self) -> str: ...
    @property
    def tariff_id(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def created_at(self) -> float: ...
    @property
    def created_by(self) -> str: ...


class CreditRecord(Protocol):
    """A customer account's running state: the credit it holds."""

    @property
    def credit(self) -> float | None: ...


# -- what billing hands the invoice store ----------------------------------------------------


@dataclass
class NewInvoiceLine:
    kind: str
    description: str
    amount: int
    quantity: float | None = None
    unit_price: float | None = None
    rate_percent: float | None = None


@dataclass
class NewInvoice:
    """An invoice about to be issued (or a correction of the period's one), as billing priced it;
    the invoice store writes it with its number."""

    invoice_id: str
    customer_code: str
    period: str
    period_key: str
    customer_status: str
    status: str
    customer_name: str
    customer_address: str | None
    ledger_no: str | None
    old_index: int
    new_index: int
    consumption_m3: int
    lines: list[NewInvoiceLine]
    subtotal: int
    vat: int
    env_fee: int
    total: int
    issued_on: str
    due_date: str
    source: str
    tariff_ref: str
    invoice_template: str
    invoice_symbol: str
    period_start: str
    period_end: str
    proration: list[str]
    issued_by: str
    payments: list[dict[str, Any]]
    field_collect: int | None
    reading_id: str | None
    paid_amount: int
    written_off: int | None = None
    paid_at: str | None = None
    invoice_number: int | None = None
    # 1 when the reading that billed it had a photo or flags (issue 18): only then does the invoice detail
    # look the reading up for its evidence.
    reading_evidence: int | None = None
    # With a provider configured: in the e-invoice sweep's index until issued (domain/einvoice_due.py).
    einvoice_due: str | None = None
    einvoice_due_at: int | None = None


@dataclass
class InvoicePosting:
    """The invoice's entries on its customer's account, posted in the issue's transaction: a new
    invoice's charge (and the credit it takes), or a correction's adjustment (and the excess given
    back as credit)."""

    event: str  # charge | correction
    reference: str  # the invoice id
    posted_at: int
    posted_by: str
    lines: list[Mapping[str, object]] = field(default_factory=list)  # {kind, amount, invoice_id}
    credit: int = 0  # how the account's credit moves
    credit_seen: int | None = None  # the credit as read: a decrease is from it, or the issue fails


# -- errors of an issue ----------------------------------------------------------------------


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


# -- stores ----------------------------------------------------------------------------------


class Invoices(Protocol):
    """Invoices as stored (store.invoices.InvoiceStore)."""

    def get(self, invoice_id: str) -> InvoiceRecord | None: ...

    def list_for_customer(
        self, code: str, status: str | None, limit: int, cursor: str | None
    ) -> tuple[Sequence[InvoiceRecord], str | None]:
        """Newest first, a page of `limit` and the cursor of the next one (None: the last page)."""

    def recent(self, code: str, limit: int) -> Sequence[InvoiceRecord]: ...

    def history(self, code: str, until_period: str | None, limit: int) -> Sequence[InvoiceRecord]:
        """The code's last `limit` invoices of periods up to `until_period` (None: all), newest first:
        one Query on the customer's invoices index (the consumption history, issue 18)."""


class InvoiceIssuer(Invoices, Protocol):
    """Invoices, and their issue (store.invoices.InvoiceStore)."""

    def last_number(self, series: str) -> int: ...

    def issue(
        self,
        invoice: NewInvoice,
        series: str,
        number: int,
        posting: InvoicePosting,
        replacing: InvoiceRecord | None = None,
        at: int | None = None,
    ) -> None:
        """One transaction: the series from number - 1 to number, the invoice with that number, and
        the posting. `replacing`: a correction of that invoice as read, which must be unchanged since
        and not held by an open payment order at `at`. Raises InvoiceExists, CreditChanged,
        IssueUnclear or SeriesTaken."""


class Tariffs(Protocol):
    """Tariff versions (store.tariffs.TariffStore); a version is written once."""

    def versions_for(self, tariff_key: str, start: str, end: str) -> Sequence[TariffRecord]:
        """Every version in force on some day of (start, end], oldest first."""

    def list(self, tariff_key: str) -> Sequence[TariffRecord]: ...

    def add(
        self,
        tariff_key: str,
        valid_from: str,
        *,
        tariff_id: str,
        version: str,
        created_at: int,
        created_by: str,
        audit: AuditEntry,
    ) -> None:
        """The version and its audit entry; ConditionFailed if a version starts on that day."""


class BillingLedger(Protocol):
    """What billing reads of the customer accounts (store.ledger.LedgerStore), consistently."""

    def invoice(self, invoice_id: str) -> InvoiceRecord | None: ...

    def account(self, code: str, consistent: bool = True) -> CreditRecord | None: ...
