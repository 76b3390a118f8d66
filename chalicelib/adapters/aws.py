"""boto3 clients with bounded calls, one per service and endpoint for the container. botocore's
defaults (60 s to connect, 60 s to read, several attempts) let one hung call outlast a worker's
Lambda timeout, which brings the whole SQS batch back, messages already sent included; and a
client costs tens of milliseconds to build, so a cold start builds each one once."""

from __future__ import annotations

import functools

CONNECT_TIMEOUT_S = 3
READ_TIMEOUT_S = 10
ATTEMPTS = 3  # botocore's standard retry mode, with its backoff


def client(service: str):
    from chalicelib.config import get_settings

    s = get_settings()
    return _client(service, s.region, s.aws_endpoint)


@functools.cache
def _client(service: str, region: str, endpoint: str | None):
    import boto3  # deferred: importing the app stays light
    from botocore.config import Config

    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        config=Config(
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            retries={"max_attempts": ATTEMPTS, "mode": "standard"},
        ),
    )


def s3_client():
    """The S3 client, on the region's own endpoint (https://s3.<region>.amazonaws.com, virtual-hosted
    style, Signature V4): links it signs name `<bucket>.s3.<region>.amazonaws.com`. botocore signs
    presigned links for the global endpoint otherwise, and a bucket younger than a day can answer
    those with a 307 to its region, which a signed PUT or POST does not survive (AWS: "send requests
    only to the Regional endpoint that's in the same Region as your S3 bucket"). Locally (moto, an
    AWS_ENDPOINT_URL on 127.0.0.1) path style, which needs no DNS name per bucket."""
    from chalicelib.config import get_settings

    s = get_settings()
    return _s3_client(s.region, s.aws_endpoint)


def s3_regional_endpoint(region: str) -> str:
    return f"https://s3.{region}.amazonaws.com{'.cn' if region.startswith('cn-') else ''}"


def s3_link_sources(bucket: str, region: str, endpoint: str | None) -> tuple[str, ...]:
    """Where the links s3_client() signs for `bucket` point, as Content-Security-Policy sources that match
    them and nothing else of S3 (the website's CSP: api/web.py): the bucket's own virtual host on the
    region's endpoint; path style (locally, or a bucket name with dots, which botocore then signs path
    style) the presigned POST's URL exactly (`<endpoint>/<bucket>`) and the objects under it (`/<bucket>/`)."""
    regional = s3_regional_endpoint(region)
    if endpoint or "." in bucket:
        base = (endpoint or regional).rstrip("/")
        return (f"{base}/{bucket}", f"{base}/{bucket}/")
    return (regional.replace("https://", f"https://{bucket}.", 1),)


@functools.cache
def _s3_client(region: str, endpoint: str | None):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint or s3_regional_endpoint(region),
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if endpoint else "virtual"},
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            retries={"max_attempts": ATTEMPTS, "mode": "standard"},
        ),
    )


def read_secure_string(name: str) -> str:
    """An SSM SecureString parameter's value, decrypted: how config reads a deployed stage's secrets
    (chalicelib.deps installs it with config.read_parameters_with)."""
    return client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
