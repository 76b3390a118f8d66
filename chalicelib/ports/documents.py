"""Documents kept once and served by link (issue 17, docs/einvoice.md "The document, stored once"):
the legal e-invoice's PDF, fetched from the provider when the invoice is issued, is written here
and never rendered again. Private and encrypted where it is kept; a reader gets a short-lived link."""

from __future__ import annotations

from typing import Protocol


class DocumentStore(Protocol):
    """adapters.documents.S3Documents (a bucket of its own), MemoryDocuments in tests."""

    def put(self, key: str, data: bytes, content_type: str = "application/pdf") -> None:
        """Writes the document under `key`, encrypted at rest; the same key again writes the same bytes."""
        ...

    def url(self, key: str, filename: str, ttl: int = 300) -> str:
        """A link that downloads the document as `filename` for `ttl` seconds, then nothing."""
        ...
