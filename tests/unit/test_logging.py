"""Logs are JSON with a correlation id and carry no phone numbers or names."""

from __future__ import annotations

import io
import json

from chalicelib.observability import logger


def test_log_lines_are_json_without_personal_data():
    handler = logger.registered_handler
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        logger.set_correlation_id("req-123")
        logger.warning(
            "sms to 0912345601 failed",
            extra={"phone": "0912345601", "full_name": "Dương Tấn Hiền", "customer_code": "01031059"},
        )
    finally:
        handler.setStream(previous)
    line = buffer.getvalue().strip().splitlines()[-1]
    record = json.loads(line)
    assert record["correlation_id"] == "req-123" and record["customer_code"] == "01031059"
    assert record["service"] == "cskh" and record["level"] == "WARNING"
    assert "0912345601" not in line and "Dương" not in line
