"""Test settings for every level. The environment is fixed here, before any
chalicelib module is imported, so models bind to the local engines' ports and
nothing can reach AWS. The engines themselves start only when a test needs them."""

from __future__ import annotations

import os
import secrets
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from local.engines import Engines  # noqa: E402

ENGINES = Engines()
os.environ.update(ENGINES.env())
os.environ.update(
    {
        "STAGE": "test",
        "TABLE_PREFIX": "cskh-test-",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "SCRYPT_LOG2_N": "10",  # fast hashing in tests; production uses 2**14 (see bench/)
        "VNPAY_TMN_CODE": "CSKHTEST",
        "VNPAY_HASH_SECRET": secrets.token_hex(16).upper(),
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("JWT_SECRET_PARAM", None)
os.environ.pop("LOCAL_SMS_OUTBOX", None)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def engines():
    """DynamoDB Local and moto, with the tables and queues created."""
    with ENGINES:
        from local import bootstrap

        bootstrap.create_tables()
        bootstrap.create_queues()
        bootstrap.create_buckets()
        yield ENGINES
