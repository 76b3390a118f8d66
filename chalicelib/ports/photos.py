"""Where photos are kept (adapters/objects.S3Objects on the documents bucket): an upload form that
S3 itself holds to the key, type and size; what arrived; a short-lived link to show it."""

from __future__ import annotations

from typing import Any, Protocol


class PhotoObjects(Protocol):
    def upload_form(self, key: str, content_type: str, max_bytes: int, expires: int = 900) -> dict[str, Any]: ...

    def size(self, key: str) -> int | None:
        """The object's size, None when nothing was uploaded under `key`."""
        ...

    def read(self, key: str, start: int, length: int) -> bytes: ...

    def download_url(self, key: str, expires: int = 900, content_type: str | None = None) -> str: ...
