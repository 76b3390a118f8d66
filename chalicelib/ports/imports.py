"""Ports of the customer-book import: the imports as stored, the customer upsert, and the files
(S3: presigned links, ranged reads)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class ImportRecord(Protocol):
    """A customer-book import: the uploaded file, where the worker got to, what failed."""

    @property
    def import_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def object_key(self) -> str: ...
    @property
    def next_offset(self) -> float: ...
    @property
    def next_row(self) -> float: ...
    @property
    def header(self) -> Sequence[str] | None: ...
    @property
    def rows_done(self) -> float: ...
    @property
    def rows_ok(self) -> float: ...
    @property
    def rows_failed(self) -> float: ...
    @property
    def errors(self) -> Sequence[Any] | None:
        """The first rows that failed: {row, code, message}."""

    @property
    def error_key(self) -> str | None: ...
    @property
    def sent_offset(self) -> float | None: ...
    @property
    def created_by(self) -> str: ...
    @property
    def bank(self) -> str | None:
        """A bank statement's bank (kind bank_statement)."""

    @property
    def summary(self) -> Any:
        """A bank statement's outcome once processed: counts and the first errors (a map)."""

    @property
    def result_key(self) -> str | None:
        """A bank statement's full result (JSON) in the bucket."""


class Imports(Protocol):
    """Imports and the customer upsert (store.imports.ImportStore)."""

    def create(
        self,
        import_id: str,
        *,
        object_key: str,
        created_by: str,
        now: int,
        kind: str = "customers",
        bank: str | None = None,
    ) -> ImportRecord:
        """A new import (customers, or a bank_statement of `bank`), awaiting its upload."""

    def get(self, import_id: str, consistent: bool = False) -> ImportRecord | None: ...

    def move(self, import_id: str, from_status: str, to_status: str, now: int) -> bool:
        """False if the import is no longer in `from_status`."""

    def advance(
        self,
        import_id: str,
        offset: int,
        next_offset: int,
        next_row: int,
        header: list[str],
        rows: int,
        ok: int,
        failed: int,
        errors: list[dict[str, Any]],
        status: str,
        now: int,
        max_errors: int,
    ) -> None:
        """Record a chunk's outcome, once: only if the import is still at `offset`."""

    def mark_sent(self, import_id: str, offset: int) -> None:
        """The message for the chunk at `offset` is on the queue (only ever forward)."""

    def set_error_key(self, import_id: str, key: str) -> None: ...

    def finish(self, import_id: str, status: str, summary: dict[str, Any], result_key: str | None, now: int) -> None:
        """A bank statement's outcome: done or failed, its summary and where the full result is."""

    def upsert_customers(self, rows: list[dict[str, Any]]) -> int:
        """Write the rows' customers, keeping what the book does not own; how many were written."""


class Objects(Protocol):
    """Files in one bucket (adapters.objects.S3Objects)."""

    def upload_url(self, key: str, content_type: str, expires: int = 900) -> str: ...

    def upload_form(self, key: str, content_type: str, max_bytes: int, expires: int = 900) -> dict[str, Any]:
        """A presigned POST {url, fields}: the key, the Content-Type and 1..max_bytes enforced by S3."""

    def download_url(self, key: str, expires: int = 900) -> str: ...

    def size(self, key: str) -> int | None:
        """None if there is no such file."""

    def read(self, key: str, start: int, length: int) -> bytes: ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...
