"""The local event runner (local/events.py): SQS delivery with partial batch
responses and redrive to the DLQ, and the schedule expressions."""

from __future__ import annotations

import datetime as dt
import json
import time

import boto3
import pytest
from chalice import Chalice, Cron, Rate
from moto import mock_aws

from local import events

UTC = dt.UTC
VIETNAM = dt.timezone(dt.timedelta(hours=7))
REGION = "ap-southeast-1"
MAX_RECEIVES = 3


def make_app():
    """A synthetic app: the real one has no schedules yet."""
    app = Chalice(app_name="synthetic")
    app.calls = {"work": [], "nightly": [], "every5": [], "flaky": 0, "bodies": []}

    @app.on_sqs_message(queue="work", batch_size=10)
    def worker(event):
        app.calls["work"].append(event.to_dict())
        failures = []
        for record in event:
            app.calls["bodies"].append(record.body)
            if record.body == "poison":
                failures.append({"itemIdentifier": record.to_dict()["messageId"]})
        return {"batchItemFailures": failures}

    @app.on_sqs_message(queue="crashy", batch_size=10)
    def crashy(event):
        raise RuntimeError("boom")

    @app.on_sqs_message(queue="liar", batch_size=10)
    def liar(event):
        return {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}

    @app.schedule("cron(0 2 * * ? *)")
    def nightly(event):
        app.calls["nightly"].append(event.to_dict())

    @app.schedule(Rate(5, unit=Rate.MINUTES))
    def every5(event):
        app.calls["every5"].append(event.time)

    @app.schedule("rate(1 hour)")
    def flaky(event):
        app.calls["flaky"] += 1
        raise RuntimeError("flaky job")

    return app


@pytest.fixture()
def sqs(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def make_queue(sqs, name: str, visibility: int = 1) -> tuple[str, str]:
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(visibility),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}),
        },
    )["QueueUrl"]
    return url, dlq


def depth(sqs, url: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def source(runner, name):
    return next(s for s in runner.sqs_sources + runner.schedule_sources if s.name == name)


def test_the_runner_finds_the_apps_event_sources():
    runner = events.EventRunner(make_app(), region=REGION)
    assert sorted(s.name for s in runner.sqs_sources) == ["crashy", "liar", "worker"]
    assert sorted(s.name for s in runner.schedule_sources) == ["every5", "flaky", "nightly"]
    assert runner.schedules["every5"].expression == "rate(5 minutes)"


def test_partial_batch_failure_deletes_the_successes_and_redrives_the_failure(sqs):
    url, dlq = make_queue(sqs, "work", visibility=1)
    for body in ("a", "poison", "b"):
        sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}}
        )
    app = make_app()
    runner = events.EventRunner(app, sqs_client=sqs, region=REGION, stage="local")
    worker = source(runner, "worker")

    first = runner.poll_once(worker, wait_seconds=1)
    assert first.received == 3 and len(first.succeeded) == 2 and len(first.failed) == 1

    # The event is shaped like Lambda's.
    record = app.calls["work"][0]["Records"][0]
    assert set(record) >= {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":work")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"]["stringValue"] == "test"

    # The failure comes back after the visibility timeout, until SQS moves it to the DLQ.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and depth(sqs, dlq) == 0:
        runner.poll_once(worker, wait_seconds=1)
    assert app.calls["bodies"].count("a") == 1 and app.calls["bodies"].count("b") == 1
    assert app.calls["bodies"].count("poison") == MAX_RECEIVES
    assert depth(sqs, url) == 0
    dead = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in dead] == ["poison"]


def test_a_handler_that_raises_deletes_nothing(sqs):
    url, _ = make_queue(sqs, "crashy", visibility=30)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    runner = events.EventRunner(make_app(), sqs_client=sqs, region=REGION)
    result = runner.poll_once(source(runner, "crashy"), wait_seconds=1)
    assert result.received == 1 and result.succeeded == [] and len(result.failed) == 1
    assert "RuntimeError: boom" in result.error
    assert depth(sqs, url) == 1  # in flight, not deleted


def test_an_invalid_item_identifier_fails_the_whole_batch(sqs):
    url, _ = make_queue(sqs, "liar", visibility=30)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.send_message(QueueUrl=url, MessageBody="y")
    runner = events.EventRunner(make_app(), sqs_client=sqs, region=REGION)
    result = runner.poll_once(source(runner, "liar"), wait_seconds=1)
    assert result.succeeded == [] and len(result.failed) == result.received >= 1
    assert "invalid itemIdentifier" in result.error
    assert depth(sqs, url) == 2


@pytest.mark.parametrize(
    "response, failed",
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": None}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "m2"}]}, {"m2"}),
    ],
)
def test_batch_responses_lambda_accepts(response, failed):
    assert events.failed_message_ids(response, ["m1", "m2"]) == failed


@pytest.mark.parametrize(
    "response",
    [
        "ok",
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"id": "m1"}]},
        {"batchItemFailures": [{"itemIdentifier": "m9"}]},
    ],
)
def test_batch_responses_that_fail_the_whole_batch(response):
    with pytest.raises(events._WholeBatchFailed):
        events.failed_message_ids(response, ["m1", "m2"])


# -- schedules ---------------------------------------------------------------


def test_cron_nightly_at_two_utc_is_nine_in_vietnam():
    sched = events.parse_schedule("cron(0 2 * * ? *)")
    assert sched.matches(dt.datetime(2023, 6, 1, 2, 0, tzinfo=UTC))
    assert sched.matches(dt.datetime(2023, 6, 1, 9, 0, tzinfo=VIETNAM))
    assert not sched.matches(dt.datetime(2023, 6, 1, 2, 1, tzinfo=UTC))
    assert not sched.matches(dt.datetime(2023, 6, 1, 9, 0, tzinfo=UTC))
    assert sched.next_after(dt.datetime(2023, 6, 1, 2, 0, tzinfo=UTC)) == dt.datetime(2023, 6, 2, 2, 0, tzinfo=UTC)
    assert sched.next_after(dt.datetime(2023, 6, 1, 1, 59, 30, tzinfo=UTC)) == dt.datetime(2023, 6, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "expression, when, expected",
    [
        ("cron(0/15 * * * ? *)", dt.datetime(2023, 6, 1, 10, 45), True),
        ("cron(0/15 * * * ? *)", dt.datetime(2023, 6, 1, 10, 50), False),
        ("cron(*/10 8-17 ? * MON-FRI *)", dt.datetime(2023, 6, 2, 17, 30), True),  # a Friday
        ("cron(*/10 8-17 ? * MON-FRI *)", dt.datetime(2023, 6, 3, 9, 0), False),  # a Saturday
        ("cron(0 0 1 * ? *)", dt.datetime(2023, 7, 1, 0, 0), True),
        ("cron(0 0 L * ? *)", dt.datetime(2023, 2, 28, 0, 0), True),
        ("cron(0 0 L * ? *)", dt.datetime(2024, 2, 28, 0, 0), False),  # 2024 is a leap year
        ("cron(0 0 LW * ? *)", dt.datetime(2023, 9, 29, 0, 0), True),  # 30/09/2023 is a Saturday
        ("cron(0 0 15W * ? *)", dt.datetime(2023, 7, 14, 0, 0), True),  # 15/07/2023 is a Saturday
        ("cron(0 0 ? * 6L *)", dt.datetime(2023, 6, 30, 0, 0), True),  # last Friday of June
        ("cron(0 0 ? * 6L *)", dt.datetime(2023, 6, 23, 0, 0), False),
        ("cron(0 0 ? * 3#2 *)", dt.datetime(2023, 6, 13, 0, 0), True),  # second Tuesday
        ("cron(0 0 ? * 1 *)", dt.datetime(2023, 6, 4, 0, 0), True),  # 1 = Sunday
        ("cron(0 0 ? * SUN *)", dt.datetime(2023, 6, 5, 0, 0), False),
        ("cron(30 1 1,15 JAN-MAR ? 2024)", dt.datetime(2024, 2, 15, 1, 30), True),
        ("cron(30 1 1,15 JAN-MAR ? 2024)", dt.datetime(2023, 2, 15, 1, 30), False),
        ("cron(0 22 ? * FRI-MON *)", dt.datetime(2023, 6, 4, 22, 0), True),  # a wrapping range
    ],
)
def test_cron_matching(expression, when, expected):
    assert events.parse_schedule(expression).matches(when.replace(tzinfo=UTC)) is expected


def test_chalice_schedule_objects_parse():
    assert events.parse_schedule(Cron(0, 2, "*", "*", "?", "*")).matches(dt.datetime(2023, 1, 1, 2, 0))
    rate = events.parse_schedule(Rate(1, unit=Rate.HOURS), anchor=dt.datetime(2023, 1, 1, tzinfo=UTC))
    assert rate.expression == "rate(1 hour)"
    assert rate.next_after(dt.datetime(2023, 1, 1, 0, 30, tzinfo=UTC)) == dt.datetime(2023, 1, 1, 1, 0, tzinfo=UTC)
    assert rate.next_after(dt.datetime(2023, 1, 1, 1, 0, tzinfo=UTC)) == dt.datetime(2023, 1, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 2 * * * *)",
        "cron(0 2 ? * ? *)",
        "cron(0 2 * *)",
        "cron(60 2 * * ? *)",
        "cron(0 2 * * ? 1960)",
        "rate(0 minutes)",
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(5 weeks)",
        "every 5 minutes",
    ],
)
def test_invalid_expressions_are_rejected(expression):
    with pytest.raises(events.ScheduleError):
        events.parse_schedule(expression)


def test_the_scheduler_fires_due_jobs_once_with_a_scheduled_event():
    start = dt.datetime(2023, 6, 1, 1, 58, 30, tzinfo=UTC)
    clock = {"now": start}
    app = make_app()
    runner = events.EventRunner(app, region=REGION, stage="local", now=lambda: clock["now"], retry_delays=())
    assert runner.next_due("nightly") == dt.datetime(2023, 6, 1, 2, 0, tzinfo=UTC)
    assert runner.next_due("every5") == start + dt.timedelta(minutes=5)
    assert runner.tick() == []

    clock["now"] = dt.datetime(2023, 6, 1, 2, 0, 1, tzinfo=UTC)
    assert runner.tick() == ["nightly"]
    assert runner.tick() == []  # once per firing
    event = app.calls["nightly"][0]
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["time"] == "2023-06-01T02:00:00Z"
    assert event["resources"] == [f"arn:aws:events:{REGION}:{events.ACCOUNT}:rule/synthetic-local-nightly-event"]
    assert runner.next_due("nightly") == dt.datetime(2023, 6, 2, 2, 0, tzinfo=UTC)

    # After a long sleep, a missed firing runs once, not once per missed interval.
    clock["now"] = start + dt.timedelta(minutes=31)
    assert sorted(runner.tick()) == ["every5"]
    assert len(app.calls["every5"]) == 1
    assert runner.next_due("every5") == start + dt.timedelta(minutes=35)


def test_a_failed_scheduled_run_is_retried_like_an_async_invocation():
    start = dt.datetime(2023, 6, 1, 0, 0, tzinfo=UTC)
    clock = {"now": start}
    app = make_app()
    runner = events.EventRunner(app, region=REGION, now=lambda: clock["now"], retry_delays=(0, 0))
    clock["now"] = start + dt.timedelta(hours=1)
    assert "flaky" in runner.tick()  # fails; a retry is queued
    runner.tick()  # retry 1 fails
    runner.tick()  # retry 2 fails; no more
    runner.tick()
    assert app.calls["flaky"] == 3


def test_fire_runs_one_job_now_and_raises_what_it_raises():
    app = make_app()
    runner = events.EventRunner(app, region=REGION)
    runner.fire(source(runner, "nightly"))
    assert len(app.calls["nightly"]) == 1
    with pytest.raises(RuntimeError, match="flaky job"):
        runner.fire(source(runner, "flaky"))
