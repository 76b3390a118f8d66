"""The documents bucket (ports/documents.py) in S3 (moto locally), and an in-memory one for tests.

Objects are private (the bucket blocks public access; infra/package.py) and encrypted with S3's own
key (SSE-S3, AES256, asked on every put besides the bucket's default). A reader gets a presigned GET
that lives `ttl` seconds and names the file through ResponseContentDisposition, so the browser saves
`hoa-don-...pdf` rather than the key. Presigning makes no network call."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def attachment(filename: str) -> str:
    """A Content-Disposition for `filename`, ASCII only (the names we build are)."""
    return f'attachment; filename="{_UNSAFE.sub("_", filename)}"'


class S3Documents:
    """The documents as objects of their bucket (adapters/objects.S3Objects): kept immutable, served as files."""

    def __init__(self, bucket: str) -> None:
        from chalicelib.adapters.objects import S3Objects

        self.objects = S3Objects(bucket)

    def put(self, key: str, data: bytes, content_type: str = "application/pdf") -> None:
        # The document never changes under its key: a cache may keep it, a shared one may not.
        self.objects.put(key, data, content_type, cache_control="private, max-age=31536000, immutable")

    def url(self, key: str, filename: str, ttl: int = 300) -> str:
        return self.objects.download_url(key, ttl, "application/pdf", attachment(filename))


class MemoryDocuments:
    """The port in memory: what was put (with its content type), and links that name key and file."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.puts: list[str] = []

    def put(self, key: str, data: bytes, content_type: str = "application/pdf") -> None:
        self.puts.append(key)
        self.objects[key] = (data, content_type)

    def url(self, key: str, filename: str, ttl: int = 300) -> str:
        return f"memory://documents/{key}?filename={filename}&ttl={ttl}"
