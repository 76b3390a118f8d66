"""The readings worker reports exactly the records that failed (Powertools batch processing)."""

from __future__ import annotations

import json

from chalicelib import deps
from chalicelib.jobs.readings import handle_batch


class Service:
    def __init__(self):
        self.done = []

    def process(self, reading_id):
        if reading_id == "throttled":
            raise RuntimeError("DynamoDB throttled")
        self.done.append(reading_id)
        return "billed"


def _event(*bodies):
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": body,
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:ap-southeast-1:000000000000:cskh-test-readings",
                "awsRegion": "ap-southeast-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


def test_only_failed_and_poison_records_are_reported():
    service = Service()
    deps.override("readings", service)
    try:
        result = handle_batch(
            _event(
                json.dumps({"reading_id": "r-ok-1"}),
                json.dumps({"reading_id": "throttled"}),
                "{not json",
                json.dumps({"no": "id"}),
                json.dumps({"reading_id": "r-ok-2"}),
            )
        )
    finally:
        deps.reset()
    assert result == {
        "batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]
    }
    assert service.done == ["r-ok-1", "r-ok-2"]
