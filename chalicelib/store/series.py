"""The numbering series (invoices, cash receipts, partner receipts) share one table and one rule:
a number is taken in the same transaction that writes what it numbers, by moving the series from
n-1 to n (or creating it at 1), so two writers never take the same number; the loser's transaction
fails on this item and it reads the series again."""

from __future__ import annotations

from typing import Any

from chalicelib.store.models import InvoiceSeriesModel
from chalicelib.store.repositories import get_or_none


def last_number(series: str) -> int:
    """The last number taken in `series` (a consistent read), 0 before the first."""
    item = get_or_none(InvoiceSeriesModel, series, consistent_read=True)
    return int(item.last_number) if item else 0


def take_number(tx: Any, label: str, series: str, number: int) -> None:
    """Add to the transaction `tx` the move of `series` to `number`, on the condition that it stands at
    number - 1 (does not exist yet for 1); `label` names the item in a failed transaction."""
    tx.update(
        label,
        InvoiceSeriesModel(series),
        [InvoiceSeriesModel.last_number.set(number)],
        condition=InvoiceSeriesModel.series.does_not_exist()
        if number == 1
        else InvoiceSeriesModel.last_number == number - 1,
    )
