"""The local event runner: what Lambda's event sources do in AWS, for the
local stack (`chalice local` serves HTTP only).

* `@app.on_sqs_message`: long-polls each queue on moto, hands the handler a
  Lambda-shaped SQS event, and honours the partial batch response
  (ReportBatchItemFailures): only the records the handler did not report are
  deleted; the others become visible again after the queue's visibility
  timeout, and SQS's redrive policy moves them to the dead-letter queue after
  maxReceiveCount receives, as in AWS.
* `@app.schedule`: fires each handler on its `rate(...)` or `cron(...)`
  expression (UTC, like EventBridge) with a Lambda-shaped scheduled event; a
  failed run is retried like an asynchronous Lambda invocation.

Run `python -m local.events` with the local stack's environment (local/run.py
does); `python -m local.jobs NAME` runs one scheduled job once.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import hashlib
import importlib
import logging
import os
import re
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("local.events")

ACCOUNT = "123456789012"  # moto's default account
UTC = dt.UTC
# An asynchronous Lambda invocation (what EventBridge does) is retried twice.
ASYNC_RETRY_DELAYS = (60.0, 120.0)


# --------------------------------------------------------------------------
# Schedule expressions: rate(N unit) and AWS's six-field cron, in UTC.
# --------------------------------------------------------------------------


class ScheduleError(ValueError):
    """A schedule expression EventBridge would reject (or this parser cannot read)."""


_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}  # JAN=1 .. DEC=12
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}  # SUN=1


def _aws_dow(day: dt.date) -> int:
    """AWS numbering: 1 = Sunday ... 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _value(token: str, lo: int, hi: int, names: dict, what: str) -> int:
    token = token.upper()
    if token in names:
        return names[token]
    if not token.isdigit():
        raise ScheduleError(f"{what}: {token!r} is not a number")
    value = int(token)
    if not lo <= value <= hi:
        raise ScheduleError(f"{what}: {value} is outside {lo}-{hi}")
    return value


def _parse_set(text: str, lo: int, hi: int, what: str, names: dict | None = None) -> frozenset:
    """'*', '5', '1,15', '1-5', '*/15', '10/5', '1-10/2', 'MON-FRI' -> the set of values."""
    names = names or {}
    out: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ScheduleError(f"{what}: empty list item in {text!r}")
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"{what}: bad increment in {part!r}")
            step = int(step_text)
        if base == "*":
            start, end = lo, hi
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = _value(a, lo, hi, names, what), _value(b, lo, hi, names, what)
        else:
            start = _value(base, lo, hi, names, what)
            end = hi if step_text else start
        # start > end: a wrapping range such as FRI-MON or NOV-FEB
        values = list(range(start, end + 1)) if start <= end else list(range(start, hi + 1)) + list(range(lo, end + 1))
        out.update(values[::step])
    return frozenset(out)


def _dom_predicate(text: str) -> Callable[[dt.date], bool]:
    if text == "?":
        return lambda d: True
    text = text.upper()

    def last_day(d: dt.date) -> int:
        return calendar.monthrange(d.year, d.month)[1]

    if text == "L":
        return lambda d: d.day == last_day(d)
    if text == "LW":

        def last_weekday(d: dt.date) -> bool:
            day = last_day(d)
            while dt.date(d.year, d.month, day).weekday() >= 5:
                day -= 1
            return d.day == day

        return last_weekday
    m = re.fullmatch(r"(\d{1,2})W", text)
    if m:
        target = int(m.group(1))
        if not 1 <= target <= 31:
            raise ScheduleError(f"day-of-month: {text!r}")

        def nearest_weekday(d: dt.date) -> bool:
            # The weekday nearest to the target day, without leaving the month.
            day = min(target, last_day(d))
            wd = dt.date(d.year, d.month, day).weekday()
            if wd == 5:
                day = day - 1 if day > 1 else day + 2
            elif wd == 6:
                day = day + 1 if day < last_day(d) else day - 2
            return d.day == day

        return nearest_weekday
    days = _parse_set(text, 1, 31, "day-of-month")
    return lambda d: d.day in days


def _dow_predicate(text: str) -> Callable[[dt.date], bool]:
    if text == "?":
        return lambda d: True
    text = text.upper()
    if text == "L":  # the last day of the week: Saturday
        return lambda d: _aws_dow(d) == 7
    m = re.fullmatch(r"([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)L", text)
    if m:  # 5L: the month's last Thursday
        wanted = _value(m.group(1), 1, 7, _DAYS, "day-of-week")
        return lambda d: _aws_dow(d) == wanted and d.day + 7 > calendar.monthrange(d.year, d.month)[1]
    m = re.fullmatch(r"([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)#([1-5])", text)
    if m:  # 3#2: the month's second Tuesday
        wanted = _value(m.group(1), 1, 7, _DAYS, "day-of-week")
        nth = int(m.group(2))
        return lambda d: _aws_dow(d) == wanted and (d.day - 1) // 7 + 1 == nth
    days = _parse_set(text, 1, 7, "day-of-week", _DAYS)
    return lambda d: _aws_dow(d) in days


class Schedule:
    expression: str

    def next_after(self, when: dt.datetime) -> dt.datetime | None:
        raise NotImplementedError


@dataclass
class RateSchedule(Schedule):
    expression: str
    interval: dt.timedelta
    # EventBridge counts a rate from when the rule is created; locally, from
    # when the runner starts (or the anchor a caller gives).
    anchor: dt.datetime = field(default_factory=lambda: dt.datetime.now(UTC))

    def next_after(self, when: dt.datetime) -> dt.datetime:
        when = _utc(when)
        if when < self.anchor:
            return self.anchor + self.interval
        periods = (when - self.anchor) // self.interval + 1
        return self.anchor + periods * self.interval


@dataclass
class CronSchedule(Schedule):
    expression: str
    minutes: frozenset
    hours: frozenset
    months: frozenset
    years: frozenset | None
    dom: Callable[[dt.date], bool]
    dow: Callable[[dt.date], bool]

    def matches_day(self, day: dt.date) -> bool:
        return (
            day.month in self.months
            and (self.years is None or day.year in self.years)
            and self.dom(day)
            and self.dow(day)
        )

    def matches(self, when: dt.datetime) -> bool:
        """Whether the schedule fires in this minute (UTC)."""
        when = _utc(when)
        return when.minute in self.minutes and when.hour in self.hours and self.matches_day(when.date())

    def next_after(self, when: dt.datetime) -> dt.datetime | None:
        """The first firing strictly after `when`, or None within the next 5 years."""
        when = _utc(when)
        day = when.date()
        for _ in range(5 * 366 + 1):
            if self.matches_day(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate > when:
                            return candidate
            day += dt.timedelta(days=1)
        return None


def _utc(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


_RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def parse_schedule(expression: Any, anchor: dt.datetime | None = None) -> Schedule:
    """'rate(5 minutes)', 'cron(0 2 * * ? *)' or a chalice Rate/Cron object."""
    if hasattr(expression, "to_string"):
        expression = expression.to_string()
    text = " ".join(str(expression).split())
    m = re.fullmatch(r"rate\((\d+) ([a-z]+)\)", text)
    if m:
        value, unit = int(m.group(1)), m.group(2)
        if unit not in _RATE_UNITS or value < 1:
            raise ScheduleError(f"{text}: a rate is a positive number of minutes, hours or days")
        if (value == 1) != (not unit.endswith("s")):
            raise ScheduleError(f"{text}: EventBridge wants '1 {unit.rstrip('s')}' or 'N {unit.rstrip('s')}s'")
        interval = dt.timedelta(seconds=value * _RATE_UNITS[unit])
        return RateSchedule(text, interval, _utc(anchor) if anchor else dt.datetime.now(UTC))
    m = re.fullmatch(r"cron\((.+)\)", text)
    if not m:
        raise ScheduleError(f"{text!r}: expected rate(...) or cron(...)")
    fields = m.group(1).split(" ")
    if len(fields) != 6:
        raise ScheduleError(f"{text}: cron needs 6 fields (minutes hours day-of-month month day-of-week year)")
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(f"{text}: exactly one of day-of-month and day-of-week must be '?'")
    return CronSchedule(
        expression=text,
        minutes=_parse_set(minutes, 0, 59, "minutes"),
        hours=_parse_set(hours, 0, 23, "hours"),
        months=_parse_set(month, 1, 12, "month", _MONTHS),
        years=None if year == "*" else _parse_set(year, 1970, 2199, "year"),
        dom=_dom_predicate(dom),
        dow=_dow_predicate(dow),
    )


# --------------------------------------------------------------------------
# Lambda-shaped events.
# --------------------------------------------------------------------------


def _lambda_message_attributes(attrs: dict) -> dict:
    out = {}
    for name, value in (attrs or {}).items():
        out[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value.get("DataType"),
        }
    return out


def sqs_event(messages: Iterable[dict], queue_arn: str, region: str) -> dict:
    """The event Lambda's SQS poller sends, from ReceiveMessage's messages."""
    records = []
    for msg in messages:
        body = msg.get("Body", "")
        records.append(
            {
                "messageId": msg["MessageId"],
                "receiptHandle": msg["ReceiptHandle"],
                "body": body,
                "attributes": dict(msg.get("Attributes") or {}),
                "messageAttributes": _lambda_message_attributes(msg.get("MessageAttributes")),
                "md5OfBody": msg.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def scheduled_event(rule_arn: str, when: dt.datetime, region: str, account: str = ACCOUNT) -> dict:
    """The event EventBridge sends for a scheduled rule."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": _utc(when).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def lambda_context(function_name: str, timeout_s: int = 60, memory_mb: int = 512):
    from chalice.local import LambdaContext

    ctx = LambdaContext(function_name, memory_mb, max_runtime_ms=timeout_s * 1000)
    ctx.invoked_function_arn = f"arn:aws:lambda:{_region()}:{ACCOUNT}:function:{function_name}"
    return ctx


def function_timeout(name: str, config_path: str | None = None) -> int:
    """The function's Lambda timeout in seconds as .chalice/config.json deploys it (the local stage sets
    none; dev's, else prod's, else Lambda's 60 s): a handler that checks its remaining time (the e-invoices
    worker needs 70 s for a record) sees what it would in AWS."""
    import json

    path = config_path or os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".chalice", "config.json"
    )
    try:
        with open(path, encoding="utf-8") as f:
            stages = json.load(f).get("stages", {})
    except (OSError, ValueError):
        return 60
    for stage in ("local", "dev", "prod"):
        timeout = stages.get(stage, {}).get("lambda_functions", {}).get(name, {}).get("lambda_timeout")
        if isinstance(timeout, int) and timeout > 0:
            return timeout
    return 60


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "ap-southeast-1"


# --------------------------------------------------------------------------
# The runner.
# --------------------------------------------------------------------------


@dataclass
class BatchResult:
    received: int = 0
    succeeded: list = field(default_factory=list)  # message ids deleted
    failed: list = field(default_factory=list)  # message ids left for redelivery
    error: str | None = None  # why the whole batch failed, if it did


class _WholeBatchFailed(Exception):
    pass


def failed_message_ids(response: Any, message_ids: list[str]) -> set[str]:
    """Which records a handler's response reports as failed, as Lambda reads an
    SQSBatchResponse: None, {} or an empty/None list is complete success; an
    itemIdentifier that is empty, missing or not in the batch fails the whole
    batch (as does an answer that is not a batch response at all)."""
    if response is None:
        return set()
    if not isinstance(response, dict):
        raise _WholeBatchFailed(
            f"the handler returned {type(response).__name__}; expected None or {{'batchItemFailures': [...]}}"
        )
    items = response.get("batchItemFailures")
    if not items:
        return set()
    if not isinstance(items, list):
        raise _WholeBatchFailed("batchItemFailures is not a list")
    failed = set()
    for item in items:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not ident or ident not in message_ids:
            raise _WholeBatchFailed(f"batchItemFailures holds an invalid itemIdentifier: {item!r}")
        failed.add(ident)
    return failed


class EventRunner:
    def __init__(
        self,
        chalice_app,
        *,
        sqs_client=None,
        region: str | None = None,
        stage: str | None = None,
        wait_seconds: int = 1,
        retry_delays: tuple = ASYNC_RETRY_DELAYS,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(UTC),
    ) -> None:
        from chalice.app import ScheduledEventConfig, SQSEventConfig

        self.app = chalice_app
        self.region = region or _region()
        self.stage = stage or os.environ.get("STAGE", "local")
        self.wait_seconds = wait_seconds
        self.retry_delays = tuple(retry_delays)
        self.now = now
        self._sqs = sqs_client
        self._queues: dict[str, tuple[str, str]] = {}
        self._invoke_lock = threading.Lock()
        self.sqs_sources = [s for s in chalice_app.event_sources if isinstance(s, SQSEventConfig)]
        self.schedule_sources = [s for s in chalice_app.event_sources if isinstance(s, ScheduledEventConfig)]
        started = self.now()
        self.schedules = {s.name: parse_schedule(s.schedule_expression, anchor=started) for s in self.schedule_sources}
        self._next_due: dict[str, dt.datetime | None] = {
            name: sched.next_after(started) for name, sched in self.schedules.items()
        }
        self._retries: list[tuple[float, Any, dict, int]] = []  # (due monotonic, source, event, attempt)

    # -- invoking handlers, the way Lambda does --------------------------------

    def function_name(self, name: str) -> str:
        return f"{self.app.app_name}-{self.stage}-{name}"

    def invoke(self, name: str, event: dict) -> Any:
        handler = self.app.handler_map[name]
        context = lambda_context(self.function_name(name), function_timeout(name))
        with self._invoke_lock:  # one invocation at a time keeps the local log readable
            return handler(event, context)

    # -- SQS ---------------------------------------------------------------------

    @property
    def sqs(self):
        if self._sqs is None:
            import boto3

            self._sqs = boto3.client(
                "sqs", region_name=self.region, endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None
            )
        return self._sqs

    def queue(self, source) -> tuple[str, str]:
        """(queue url, queue arn) of an on_sqs_message source."""
        key = source.name
        if key not in self._queues:
            name = source.queue or source.queue_arn.rsplit(":", 1)[-1]
            url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self._queues[key] = (url, arn)
        return self._queues[key]

    def poll_once(self, source, wait_seconds: int | None = None) -> BatchResult:
        """One receive (long poll) and, if messages came, one handler invocation."""
        url, arn = self.queue(source)
        wait = self.wait_seconds if wait_seconds is None else wait_seconds
        messages = self.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=max(1, min(int(source.batch_size or 10), 10)),
            WaitTimeSeconds=wait,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        result = BatchResult(received=len(messages))
        if not messages:
            return result
        ids = [m["MessageId"] for m in messages]
        event = sqs_event(messages, arn, self.region)
        try:
            failed = failed_message_ids(self.invoke(source.name, event), ids)
        except _WholeBatchFailed as exc:
            failed, result.error = set(ids), str(exc)
        except Exception as exc:  # the function errored: Lambda deletes nothing
            failed, result.error = set(ids), f"{type(exc).__name__}: {exc}"
            log.error(
                "%s raised on a batch of %d from %s:\n%s",
                source.name,
                len(ids),
                source.queue or arn,
                traceback.format_exc().rstrip(),
            )
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            )
        result.succeeded = [m["MessageId"] for m in done]
        result.failed = [i for i in ids if i in failed]
        level = logging.WARNING if result.failed else logging.INFO
        log.log(
            level,
            "%s: %d message(s) from %s, %d done, %d to retry%s",
            source.name,
            len(ids),
            url.rsplit("/", 1)[-1],
            len(done),
            len(result.failed),
            f" ({result.error})" if result.error else "",
        )
        return result

    # -- schedules ---------------------------------------------------------------

    def rule_arn(self, source) -> str:
        return f"arn:aws:events:{self.region}:{ACCOUNT}:rule/{self.function_name(source.name)}-event"

    def fire(self, source, when: dt.datetime | None = None, attempt: int = 1) -> Any:
        """Run one scheduled handler now, with the event of a firing at `when`.
        Raises what the handler raises."""
        event = scheduled_event(self.rule_arn(source), when or self.now(), self.region)
        return self._fire_event(source, event, attempt)

    def _fire_event(self, source, event: dict, attempt: int) -> Any:
        log.info(
            "%s: fired (%s)%s",
            source.name,
            self.schedules[source.name].expression if source.name in self.schedules else "on demand",
            f", attempt {attempt}" if attempt > 1 else "",
        )
        return self.invoke(source.name, event)

    def _fire_async(self, source, event: dict, attempt: int) -> None:
        try:
            self._fire_event(source, event, attempt)
        except Exception:
            log.error("%s failed (attempt %d):\n%s", source.name, attempt, traceback.format_exc().rstrip())
            if attempt <= len(self.retry_delays):
                delay = self.retry_delays[attempt - 1]
                self._retries.append((time.monotonic() + delay, source, event, attempt + 1))
                log.info("%s: retrying in %gs", source.name, delay)

    def tick(self, now: dt.datetime | None = None) -> list[str]:
        """Fire every schedule that is due by `now` (once, even if several
        firings were missed while the machine slept) and due retries.
        Returns the names fired."""
        now = _utc(now or self.now())
        fired = []
        for source in self.schedule_sources:
            due = self._next_due.get(source.name)
            if due is None or due > now:
                continue
            self._next_due[source.name] = self.schedules[source.name].next_after(max(now, due))
            event = scheduled_event(self.rule_arn(source), due, self.region)
            self._fire_async(source, event, 1)
            fired.append(source.name)
        mono = time.monotonic()
        due_retries = [r for r in self._retries if r[0] <= mono]
        self._retries = [r for r in self._retries if r[0] > mono]
        for _, source, event, attempt in due_retries:
            self._fire_async(source, event, attempt)
            fired.append(source.name)
        return fired

    def next_due(self, name: str) -> dt.datetime | None:
        return self._next_due.get(name)

    # -- the loop ----------------------------------------------------------------

    def _poll_forever(self, source, stop: threading.Event) -> None:
        misses = 0
        while not stop.is_set():
            try:
                self.poll_once(source)
                misses = 0
            except Exception as exc:
                if "NonExistentQueue" in str(exc) or "QueueDoesNotExist" in str(exc):
                    misses += 1
                    if misses == 10:  # bootstrap normally creates it within a few seconds
                        log.warning(
                            "queue %s does not exist (run local.bootstrap); still waiting",
                            source.queue or source.queue_arn,
                        )
                    self._queues.pop(source.name, None)
                else:
                    log.error("polling %s failed: %s", source.queue or source.queue_arn, exc)
                stop.wait(1)

    def _schedule_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception:
                log.error("scheduler error:\n%s", traceback.format_exc().rstrip())
            stop.wait(1.0 - time.time() % 1.0 + 0.01)  # just after each second

    def describe(self) -> list[str]:
        lines = []
        for s in self.sqs_sources:
            lines.append(f"queue {s.queue or s.queue_arn} -> {s.name} (batch {s.batch_size})")
        for s in self.schedule_sources:
            due = self._next_due.get(s.name)
            lines.append(
                f"schedule {self.schedules[s.name].expression} -> {s.name} (next "
                f"{due.strftime('%Y-%m-%d %H:%M UTC') if due else 'never'})"
            )
        return lines

    def run(self, stop: threading.Event) -> None:
        threads = [
            threading.Thread(target=self._poll_forever, args=(s, stop), name=f"sqs-{s.name}", daemon=True)
            for s in self.sqs_sources
        ]
        if self.schedule_sources:
            threads.append(threading.Thread(target=self._schedule_forever, args=(stop,), name="schedules", daemon=True))
        for t in threads:
            t.start()
        stop.wait()
        for t in threads:
            t.join(timeout=self.wait_seconds + 5)


def load_app(spec: str = "app:app"):
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr or "app")


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Deliver SQS messages and fire schedules to the Chalice app.")
    parser.add_argument("--app", default="app:app", help="module:attribute of the Chalice app (default app:app)")
    parser.add_argument("--wait", type=int, default=1, help="SQS long-poll seconds (1-20)")
    args = parser.parse_args(argv)
    configure_logging()
    sys.path.insert(0, os.getcwd())
    runner = EventRunner(load_app(args.app), wait_seconds=max(1, min(args.wait, 20)))
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for line in runner.describe() or ["no SQS or schedule handlers in the app"]:
        log.info("%s", line)
    runner.run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
