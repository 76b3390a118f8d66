"""The notification worker reports exactly the records that failed."""

from __future__ import annotations

import json

from chalice.app import SQSEvent

from chalicelib import deps
from chalicelib.jobs.notifications import handle_batch
from tests.sqs_events import sqs_event


class FlakySms:
    def __init__(self, fail_for):
        self.fail_for, self.sent = fail_for, []

    def send_sms(self, customer_code, phone, text):
        if customer_code in self.fail_for:
            raise RuntimeError("SNS throttled")
        self.sent.append(customer_code)


def _event(*bodies):
    return SQSEvent(sqs_event(*bodies), context=None)


def test_partial_batch_failure_names_only_the_failed_records():
    sms = FlakySms(fail_for={"01031060"})
    deps.override("sms_gateway", sms)
    try:
        ok = json.dumps({"kind": "sms", "customer_code": "01031059", "phone": "0912345601", "text": "a"})
        bad = json.dumps({"kind": "sms", "customer_code": "01031060", "phone": "0912345602", "text": "b"})
        result = handle_batch(_event(ok, bad, "not json", json.dumps({"kind": "sms"})))
    finally:
        deps.reset()
    assert result == {
        "batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]
    }
    assert sms.sent == ["01031059"]
