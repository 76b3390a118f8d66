"""The utility's customer book in DynamoDB."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.store.models import CustomerModel
from chalicelib.store.repositories import get_or_none, storage_errors, update_if


class CustomerStore:
    @storage_errors
    def get(self, code: str) -> CustomerModel | None:
        return get_or_none(CustomerModel, code)

    @storage_errors
    def get_many(self, codes: Iterable[str]) -> dict[str, CustomerModel]:
        codes = list(dict.fromkeys(codes))
        return {c.code: c for c in CustomerModel.batch_get(codes)} if codes else {}

    @storage_errors
    def find_by_phone(self, phone: str, limit: int = 10) -> list:
        return list(CustomerModel.by_phone.query(phone, limit=limit))

    @storage_errors
    def find_by_ledger(self, ledger_no: str, limit: int = 10) -> list:
        return list(CustomerModel.by_ledger.query(ledger_no, limit=limit))

    @storage_errors
    def advance_index(self, code: str, index: int, read_on: str) -> None:
        """The customer's last billed index moves forward, never back (a late, older reading changes nothing)."""
        update_if(
            CustomerModel(code),
            [CustomerModel.last_index.set(index), CustomerModel.last_read_on.set(read_on)],
            CustomerModel.code.exists()
            & (CustomerModel.last_read_on.does_not_exist() | (CustomerModel.last_read_on < read_on)),
        )

    @storage_errors
    def correct_index(self, code: str, index: int, read_on: str, replaced_read_on: str | None) -> None:
        """A correction of a period's reading: the customer's index becomes the
        corrected one if it is still the one the replaced reading set (or older)."""
        on_file = CustomerModel.last_read_on.does_not_exist() | (CustomerModel.last_read_on < read_on)
        if replaced_read_on:
            on_file = on_file | (CustomerModel.last_read_on == replaced_read_on)
        update_if(
            CustomerModel(code),
            [CustomerModel.last_index.set(index), CustomerModel.last_read_on.set(read_on)],
            CustomerModel.code.exists() & on_file,
        )
