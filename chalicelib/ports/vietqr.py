"""What the VietQR of a customer code reads: its open invoices (store.ledger.LedgerStore has them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chalicelib.ports.invoices import InvoiceRecord


class OpenInvoices(Protocol):
    def open_invoices(self, code: str, limit: int = 100) -> Sequence[InvoiceRecord]:
        """The account's open invoices, oldest period first."""
