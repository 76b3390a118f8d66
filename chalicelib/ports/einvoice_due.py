"""What the e-invoice sweep (services/einvoice_sweep.py) reads and writes: the charged invoices whose
e-invoice is due (the sparse index by_einvoice_due, store/einvoice_due.py), and when it looks again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class DueInvoice:
    """An invoice in the sweep's index, as the index last saw it."""

    invoice_id: str
    # False: cancelled, or imported history (the worker would skip it). An issued one is queued: it is
    # due again only when charged again (a correction the worker has not stated yet), and one the index
    # shows only because it lags the table is not moved back into it (look_again is conditional).
    to_issue: bool
    rev: int  # its e-invoice state's revision (einvoice_rev) as read: leaving is conditional on it


class EInvoiceDue(Protocol):
    def due(self, now: int, limit: int) -> Sequence[DueInvoice]:
        """At most `limit` invoices to look at by `now`, the longest waiting first (a Query, never a Scan)."""
        ...

    def look_again(self, invoice_id: str, at: int) -> None:
        """The sweep looks at it again at `at`: nothing when it has left the index meanwhile (issued)."""
        ...

    def leave(self, invoice_id: str, rev: int) -> None:
        """Out of the index, if its e-invoice state is still at `rev` (else a worker wrote since: it stays)."""
        ...
