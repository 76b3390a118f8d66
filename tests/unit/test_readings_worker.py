"""The readings worker reports exactly the records that failed (Powertools batch processing)."""

from __future__ import annotations

import json

from chalicelib import deps
from chalicelib.jobs.readings import handle_batch
from tests.sqs_events import sqs_event


class Service:
    def __init__(self):
        self.done = []

    def process(self, reading_id):
        if reading_id == "throttled":
            raise RuntimeError("DynamoDB throttled")
        self.done.append(reading_id)
        return "billed"


def test_only_failed_and_poison_records_are_reported():
    service = Service()
    deps.override("readings", service)
    try:
        result = handle_batch(
            sqs_event(
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
