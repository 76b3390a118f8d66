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


def read_secure_string(name: str) -> str:
    """An SSM SecureString parameter's value, decrypted: how config reads a deployed stage's secrets
    (chalicelib.deps installs it with config.read_parameters_with)."""
    return client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
