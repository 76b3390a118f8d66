"""The documents bucket's adapter (adapters/documents.py): links signed for the regional endpoint that
live 5 minutes and name the file, and a Content-Disposition that cannot be broken out of."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest


@pytest.fixture
def deployed(monkeypatch):
    """The deployed client (no AWS_ENDPOINT_URL), in the utility's region; signing makes no call."""
    from chalicelib.adapters import aws, documents

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    client = aws._s3_client("ap-southeast-1", None)
    monkeypatch.setattr(aws, "s3_client", lambda: client)
    return documents.S3Documents("cskh-prod-documents-0123")


def test_a_link_is_https_regional_short_lived_and_names_the_file(deployed):
    url = deployed.url("einvoices/INV-01031059-202305/C26TAA-C26TAA00000012.pdf", "hoa-don-dien-tu-C26TAA-12.pdf")
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname) == ("https", "cskh-prod-documents-0123.s3.ap-southeast-1.amazonaws.com")
    assert parts.path == "/einvoices/INV-01031059-202305/C26TAA-C26TAA00000012.pdf"
    q = parse_qs(parts.query)
    assert q["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and q["X-Amz-Expires"] == ["300"]
    assert q["response-content-disposition"] == ['attachment; filename="hoa-don-dien-tu-C26TAA-12.pdf"']
    assert q["response-content-type"] == ["application/pdf"]
    assert parse_qs(urlsplit(deployed.url("k.pdf", "a.pdf", ttl=60)).query)["X-Amz-Expires"] == ["60"]


def test_the_file_name_cannot_break_the_header():
    from chalicelib.adapters.documents import attachment

    assert attachment("a\"; filename*=UTF-8''evil.exe\r\nX: y.pdf") == (
        'attachment; filename="a___filename__UTF-8__evil.exe__X__y.pdf"'
    )
    assert attachment("hoá-đơn.pdf") == 'attachment; filename="ho_-__n.pdf"'


def test_the_memory_store_keeps_what_was_put():
    from chalicelib.adapters.documents import MemoryDocuments

    store = MemoryDocuments()
    store.put("einvoices/X/S-1.pdf", b"%PDF-1.7")
    assert store.objects == {"einvoices/X/S-1.pdf": (b"%PDF-1.7", "application/pdf")}
    assert "einvoices/X/S-1.pdf" in store.url("einvoices/X/S-1.pdf", "f.pdf")
