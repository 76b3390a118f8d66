"""The licensed e-invoice provider (Decree 123/2020, Circular 78/2021, Decree 70/2025), as the
services see it: issue our invoice, adjust or replace an issued one, find one by our id, fetch
its document. No provider's names here: a second provider is one more adapter class.

Exactly once: our invoice id is the provider's idempotency key, so issuing the same invoice
again returns the invoice already made, never a second legal invoice. A caller that lost an
answer (a redelivered queue message) may call `find` first; the adapters also look the
invoice up themselves before any resend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.einvoice import EInvoiceRequest


@dataclass(frozen=True)
class Issued:
    """A legal invoice: the provider numbered it within its template and series."""

    invoice_id: str  # ours
    number: str  # as the provider prints it
    series: str
    template: str
    issued_at: datetime | None
    lookup_code: str  # what the buyer types on the provider's look-up page
    tax_authority_code: str = ""  # the tax authority's code, for invoices issued with one
    provider_ref: str = ""  # the provider's own id of the transaction


@dataclass(frozen=True)
class Pending:
    """Accepted without a number yet (the provider numbers it later): `find` it again later."""

    invoice_id: str
    provider_ref: str = ""


class ProviderUnavailable(Exception):
    """Down, slow or busy, or the answer was lost and the look-up could not tell: try again later.
    Nothing was made twice; the next attempt looks the invoice up before sending it again."""


class ProviderRejected(Exception):
    """The provider refused the invoice for good (bad data, an unknown series, a wrong account):
    sending it again changes nothing; a person has to look."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class EInvoiceProvider(Protocol):
    def issue(self, invoice: EInvoiceRequest) -> Issued | Pending: ...

    def adjust(self, original: Issued, request: EInvoiceRequest) -> Issued | Pending:
        """An adjusting invoice for `original`: `request` holds the differences (signed items);
        its `invoice_id` is the correction's own id, never the original's."""
        ...

    def replace(self, original: Issued, request: EInvoiceRequest) -> Issued | Pending:
        """A replacing invoice: `request` is the whole, corrected invoice."""
        ...

    def find(self, invoice_id: str) -> Issued | None: ...

    def document(self, issued: Issued) -> bytes:
        """The provider's representation of the invoice (PDF bytes)."""
        ...
