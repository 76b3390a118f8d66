"""What the e-invoice worker (services/einvoices.py) reads and writes of our invoices: the invoice
with its lines and buyer, and the provider's answer written onto it (store/einvoices.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.ports.customers import CustomerRecord


class EInvoiceLine(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def amount(self) -> float: ...
    @property
    def quantity(self) -> float | None: ...
    @property
    def unit_price(self) -> float | None: ...
    @property
    def rate_percent(self) -> float | None: ...


class EInvoiceSource(Protocol):
    """An invoice of ours as the provider's request is built from it (store.models.InvoiceModel)."""

    @property
    def invoice_id(self) -> str: ...
    @property
    def customer_code(self) -> str: ...
    @property
    def customer_name(self) -> str: ...
    @property
    def customer_address(self) -> str | None: ...
    @property
    def period(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def issued_on(self) -> str: ...
    @property
    def total(self) -> float: ...
    @property
    def old_index(self) -> float: ...
    @property
    def new_index(self) -> float: ...
    @property
    def consumption_m3(self) -> float: ...
    @property
    def lines(self) -> Sequence[EInvoiceLine]: ...
    @property
    def invoice_number(self) -> float | None: ...

    # The provider's answer as written (EInvoiceRecords.write), and where its document is kept (mark_document).
    @property
    def einvoice_number(self) -> str | None: ...
    @property
    def einvoice_series(self) -> str | None: ...
    @property
    def einvoice_template(self) -> str | None: ...
    @property
    def einvoice_issued_at(self) -> str | None: ...
    @property
    def einvoice_lookup_code(self) -> str | None: ...
    @property
    def einvoice_tax_code(self) -> str | None: ...
    @property
    def einvoice_document_key(self) -> str | None: ...
    @property
    def einvoice_due(self) -> str | None:
        """Set while the e-invoice sweep's index holds the invoice (domain/einvoice_due.py)."""


@dataclass(frozen=True)
class Correction:
    """A legal invoice correcting the original (Decree 70/2025): an adjusting one (the differences)
    or a replacing one (the whole corrected invoice). Its own id is its idempotency key at the provider."""

    correction_id: str  # '<invoice id>#ADJ-<n>' or '#REP-<n>'
    kind: str  # adjustment | replacement
    before: dict[str, Any]  # the legal content it corrects (domain.einvoice.Basis, JSON)
    after: dict[str, Any]  # the bill's content it brings the legal invoice to
    status: str  # queued | pending | issued | rejected | unchanged (no money moved: nothing to issue)
    created_at: str
    number: str | None = None
    series: str | None = None
    template: str | None = None
    issued_at: str | None = None
    lookup_code: str | None = None
    tax_authority_code: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class EInvoiceState:
    """The invoice's legal side as kept with it: what was sent (`basis`), the provider's answer, and the
    corrections. `rev` counts its writes: each is made from the state as read, or not at all."""

    rev: int = 0
    status: str | None = None  # None: not sent | pending | issued | rejected
    basis: dict[str, Any] | None = None  # domain.einvoice.Basis as JSON, set before the first send
    number: str | None = None
    series: str | None = None
    template: str | None = None
    issued_at: str | None = None  # ISO instant
    lookup_code: str | None = None
    tax_authority_code: str | None = None
    error: str | None = None
    corrections: tuple[Correction, ...] = ()


class EInvoiceRecords(Protocol):
    def invoice(self, invoice_id: str) -> EInvoiceSource | None: ...

    def state(self, invoice: EInvoiceSource) -> EInvoiceState:
        """The e-invoice state kept with `invoice` (as read with it)."""
        ...

    def customer(self, code: str) -> CustomerRecord | None: ...

    def write(self, invoice_id: str, state: EInvoiceState, *, rev_read: int, invoice_number: int | None = None) -> bool:
        """Writes `state` (its rev one above `rev_read`) if the invoice's e-invoice state is still at
        `rev_read` and, when given, the bill still has `invoice_number` (a correction renumbers it):
        False when either moved (read again)."""
        ...

    def mark_document(self, invoice_id: str, key: str) -> None:
        """Records where the issued invoice's document is kept, unless a key is recorded already."""
        ...
