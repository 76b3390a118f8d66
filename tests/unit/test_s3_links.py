"""Presigned S3 links (issue 15): signed for the bucket's regional endpoint, never the global one (a new
bucket answers the global name with a 307 for up to a day, which a signed PUT or POST does not
survive), and a statement's POST policy that lets S3 itself refuse another key, type or size.
moto accepts any form, so the policy is checked here as S3 would read it."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import pytest


@pytest.fixture
def regional(monkeypatch):
    """The deployed client (no AWS_ENDPOINT_URL), in the utility's region."""
    from chalicelib.adapters import aws, objects

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    client = aws._s3_client("ap-southeast-1", None)
    monkeypatch.setattr(objects, "_s3", lambda: client)
    return objects.S3Objects("cskh-prod-imports-0123")


def test_links_name_the_regional_endpoint(regional):
    host = "cskh-prod-imports-0123.s3.ap-southeast-1.amazonaws.com"
    for url in (
        regional.upload_url("imports/customers/IMP0123456789AB.csv", "text/csv"),
        regional.download_url("imports/customers/IMP0123456789AB-errors.csv"),
        regional.upload_form("imports/bank-statements/IMP0123456789AB.csv", "text/csv", 5 * 1024 * 1024)["url"],
    ):
        parts = urlsplit(url)
        assert (parts.scheme, parts.hostname) == ("https", host), url
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in regional.upload_url("k", "text/csv")
    assert "/ap-southeast-1/s3/aws4_request" in regional.upload_form("k", "text/csv", 10)["fields"]["x-amz-credential"]


def test_the_statement_policy_fixes_key_type_and_size(regional):
    form = regional.upload_form("imports/bank-statements/IMP0123456789AB.csv", "text/csv", 5 * 1024 * 1024, 900)
    fields = form["fields"]
    assert fields["key"] == "imports/bank-statements/IMP0123456789AB.csv" and fields["Content-Type"] == "text/csv"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"bucket": "cskh-prod-imports-0123"} in conditions
    assert {"key": "imports/bank-statements/IMP0123456789AB.csv"} in conditions
    assert {"Content-Type": "text/csv"} in conditions
    assert ["content-length-range", 1, 5 * 1024 * 1024] in conditions


def test_other_regions_and_the_local_stack():
    from chalicelib.adapters import aws

    assert aws.s3_regional_endpoint("ap-southeast-1") == "https://s3.ap-southeast-1.amazonaws.com"
    local = aws._s3_client("ap-southeast-1", "http://127.0.0.1:4566")
    url = local.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    assert url.startswith("http://127.0.0.1:4566/b/k?")  # path style: no DNS name per bucket locally
