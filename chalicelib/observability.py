"""Logger, Metrics and Tracer (AWS Lambda Powertools), created once.

Logs are JSON with the API Gateway request id as correlation id. Personal data
stays out: phone numbers are masked anywhere in a written line (message, extra
fields, exception text), and fields named like personal data or secrets are
replaced before a record is written."""

from __future__ import annotations

import functools
import json
import logging

from aws_lambda_powertools import Logger

from chalicelib.domain.masking import redact_phones

SERVICE = "cskh"
_PERSONAL_FIELDS = (
    "phone",
    "full_name",
    "customer_name",
    "address",
    "password",
    "otp",
    "new_password",
    "customer_address",
    "account_holder",
    "account_no",
    "email",
    "access_token",
    "refresh_token",
    "token",
    "push_token",
    "push_endpoint",
)


class _PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Phones are masked on the whole written line (_serialize); here only whole fields go.
        for field in _PERSONAL_FIELDS:
            if field in record.__dict__:
                record.__dict__[field] = "[redacted]"
        return True


def _serialize(record: dict) -> str:
    # The last word on every line: phone numbers in extras, exception texts and
    # stack traces are masked too, not only in the message.
    return redact_phones(json.dumps(record, default=str, separators=(",", ":"), ensure_ascii=False))


logger = Logger(service=SERVICE, json_serializer=_serialize)
logger.registered_handler.addFilter(_PersonalDataFilter())


@functools.lru_cache(maxsize=1)
def metrics():
    from aws_lambda_powertools import Metrics

    return Metrics(namespace="CSKH", service=SERVICE)


def emit_counts(values: dict) -> None:
    """Count metrics (EMF: namespace CSKH, dimension service) that alarms watch, in a deployed
    stage; nothing locally."""
    from chalicelib.config import get_settings

    if get_settings().is_local:
        return
    from aws_lambda_powertools.metrics import MetricUnit

    m = metrics()
    for name, value in values.items():
        m.add_metric(name=name, unit=MetricUnit.Count, value=value)
    m.flush_metrics()


@functools.lru_cache(maxsize=1)
def tracer():
    # Creating the Tracer imports aws_xray_sdk and patches botocore: worth it
    # only where X-Ray is on (Lambda with active tracing), and only once.
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)
