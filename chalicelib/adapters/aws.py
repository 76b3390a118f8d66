"""boto3 clients with bounded calls. botocore's defaults (60 s to connect, 60 s to read,
several attempts) let one hung call outlast a worker's Lambda timeout, which brings the
whole SQS batch back, messages already sent included."""
from __future__ import annotations

CONNECT_TIMEOUT_S = 3
READ_TIMEOUT_S = 10
ATTEMPTS = 3        # botocore's standard retry mode, with its backoff


def client(service: str):
    import boto3   # deferred: importing the app stays light
    from botocore.config import Config

    from chalicelib.config import get_settings

    s = get_settings()
    return boto3.client(service, region_name=s.region, endpoint_url=s.aws_endpoint,
                        config=Config(connect_timeout=CONNECT_TIMEOUT_S, read_timeout=READ_TIMEOUT_S,
                                      retries={"max_attempts": ATTEMPTS, "mode": "standard"}))
