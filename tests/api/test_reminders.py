"""Payment reminders on DynamoDB Local: the plan, the worker (through Powertools
batch processing), quiet hours, preferences, and the real adapters on moto."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, timedelta

import pytest

from chalicelib import deps
from chalicelib.adapters.clock import FixedClock
from chalicelib.adapters.notifier import MemoryNotifier, MemoryPushRegistrar, MemoryReminderQueue
from chalicelib.domain import reminders as rules
from tests.sqs_events import sqs_event

# Each test plans its own far-future day, so no other test's invoices share its due dates.
_days = itertools.count(0)


class Reminders:
    def __init__(self, new_customer):
        self.today = date(2031, 1, 1) + timedelta(days=40 * next(_days) + 20)
        self.queue, self.notifier, self.push = MemoryReminderQueue(), MemoryNotifier(), MemoryPushRegistrar()
        self.clock = FixedClock(self.at(9))
        # The service gets its own clock (the app's clock also signs tokens, which must stay "now").
        from chalicelib.config import get_settings
        from chalicelib.services.reminders import ReminderService
        from chalicelib.store.reminders import ReminderStore

        self.service = ReminderService(
            settings=get_settings(),
            store=ReminderStore(),
            queue=self.queue,
            notifier=self.notifier,
            push=self.push,
            clock=self.clock,
        )
        for name, obj in (("reminder_queue", self.queue), ("reminders", self.service)):
            deps.override(name, obj)
        self._new_customer = new_customer

    def at(self, hour, minute=0, day=None) -> int:
        return (
            int(datetime.combine(day or self.today, datetime.min.time(), rules.VN_TZ).timestamp())
            + hour * 3600
            + minute * 60
        )

    def customer(self, level="due_today", status="unpaid", **attrs):
        """A customer with one invoice whose due date puts it at `level` today."""
        from chalicelib.store.models import CustomerModel, InvoiceModel

        c = self._new_customer(invoices=[("2030-12", 264, 275, 67500, status)])
        due = rules.find_level(level).due_date(self.today).isoformat()
        inv = next(InvoiceModel.by_customer.query(c.code))
        inv.update(actions=[InvoiceModel.due_date.set(due)])
        if attrs:
            c.update(actions=[getattr(CustomerModel, k).set(v) for k, v in attrs.items()])
        c.invoice_id = inv.invoice_id
        return c

    def plan(self, **kw):
        return self.service.plan(self.today, **kw)

    def deliver(self):
        """Hand every queued message to the worker (as SQS would); returns the batch answer and the delays."""
        from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

        from chalicelib.jobs.reminders import handle_batch

        taken = self.queue.take()
        if not taken:
            return {"batchItemFailures": []}, []
        try:
            answer = handle_batch(sqs_event(*[body for body, _ in taken], queue="cskh-test-reminders"))
        except BatchProcessingError:  # every record failed: Lambda fails, SQS redelivers them all
            answer = {"batchItemFailures": [{"itemIdentifier": f"m{i}"} for i in range(len(taken))]}
        return answer, taken

    def record(self, c, level="due_today"):
        from chalicelib.store.models import ReminderModel

        return ReminderModel.get(f"{c.invoice_id}#{level}")

    def sent_to(self, c):
        return [(m["channel"], m["data"]["level"]) for m in self.notifier.sent if m["customer_code"] == c.code]


@pytest.fixture
def rem(app, new_customer):
    yield Reminders(new_customer)
    deps.reset()


def test_each_level_is_chosen_by_its_due_date(rem):
    cs = {level: rem.customer(level) for level in ("due_soon", "due_today", "overdue_7", "overdue_14")}
    not_today = rem.customer("due_today")
    from chalicelib.store.models import InvoiceModel

    InvoiceModel(not_today.invoice_id).update(
        actions=[InvoiceModel.due_date.set((rem.today + timedelta(days=1)).isoformat())]
    )  # due tomorrow: no level today
    out = rem.plan()
    assert out["complete"] and out["enqueued"] == 4
    assert {lv: n["enqueued"] for lv, n in out["levels"].items()} == {
        "due_soon": 1,
        "due_today": 1,
        "overdue_7": 1,
        "overdue_14": 1,
    }
    assert sorted((b["invoice_id"], b["level"]) for b, _ in rem.queue.messages) == sorted(
        (c.invoice_id, lv) for lv, c in cs.items()
    )
    assert rem.deliver()[0] == {"batchItemFailures": []}
    for level, c in cs.items():
        assert rem.sent_to(c) == [("sms", level)]
        assert rem.record(c, level).status == "sent" and rem.record(c, level).channels == ["sms"]
    assert rem.sent_to(not_today) == []


def test_each_level_goes_once_though_the_job_runs_twice_and_messages_come_twice(rem):
    c = rem.customer("overdue_7")
    assert rem.plan()["enqueued"] == 1
    again = rem.plan()  # a retry of the job: re-plans, enqueues nothing
    assert again["enqueued"] == 0 and again["already"] == 1
    ((body, _),) = rem.queue.messages
    rem.queue.messages.append((body, 0))  # SQS delivers the message twice
    answer, _ = rem.deliver()
    assert answer == {"batchItemFailures": []}
    assert rem.sent_to(c) == [("sms", "overdue_7")]
    rem.queue.enqueue(body)  # and once more, later
    rem.deliver()
    assert rem.sent_to(c) == [("sms", "overdue_7")]
    assert rem.record(c, "overdue_7").sent_at == rem.clock.now()


def test_an_invoice_paid_since_the_plan_is_skipped_and_paid_ones_are_not_planned(rem):
    from chalicelib.store.models import InvoiceModel

    paid_already = rem.customer("due_today", status="paid")
    paid_since = rem.customer("due_today")
    out = rem.plan()
    assert out["enqueued"] == 1 and [b["invoice_id"] for b, _ in rem.queue.messages] == [paid_since.invoice_id]
    InvoiceModel(paid_since.invoice_id).update(actions=[InvoiceModel.status.set("paid")])
    rem.deliver()
    assert rem.sent_to(paid_since) == [] and rem.sent_to(paid_already) == []
    assert rem.record(paid_since).status == "skipped"


def test_opt_out_is_honoured_at_plan_and_at_send(rem):
    out_before = rem.customer("due_today", reminders_opt_out=1)
    out_after = rem.customer("due_today")
    out = rem.plan()
    assert out["opted_out"] == 1 and out["enqueued"] == 1
    from chalicelib.store.models import CustomerModel, ReminderModel

    CustomerModel(out_after.code).update(actions=[CustomerModel.reminders_opt_out.set(1)])
    rem.deliver()
    assert rem.notifier.sent == []
    assert rem.record(out_after).status == "skipped"
    with pytest.raises(ReminderModel.DoesNotExist):
        rem.record(out_before)


def test_channel_preferences_choose_sms_email_push_or_zalo(rem):
    arn = "arn:aws:sns:ap-southeast-1:000000000000:endpoint/GCM/cskh/abc"
    default = rem.customer()
    by_email = rem.customer(notify_channels=["email"], email="khach@example.vn")
    by_push = rem.customer(notify_channels=["push", "zalo"], push_endpoint=arn)
    unreachable = rem.customer(notify_channels=["email"])  # no address on file: nothing to send
    rem.plan()
    rem.deliver()
    assert rem.sent_to(default) == [("sms", "due_today")]
    assert rem.sent_to(by_email) == [("email", "due_today")]
    assert rem.sent_to(by_push) == [("push", "due_today"), ("zalo", "due_today")]
    assert rem.sent_to(unreachable) == [] and rem.record(unreachable).status == "skipped"
    email = next(m for m in rem.notifier.sent if m["customer_code"] == by_email.code)
    assert "Kính gửi quý khách" in email["text"] and "77.625 đ" in email["text"]  # diacritics kept
    sms = next(m for m in rem.notifier.sent if m["customer_code"] == default.code)
    assert sms["text"].isascii() and f"pay?invoice={default.invoice_id}" in sms["text"]


def test_quiet_hours_defer_the_message_not_send_it_and_not_lose_it(rem):
    c = rem.customer("due_soon")
    rem.plan()
    rem.clock.at = rem.at(12, 0)  # lunchtime in Vietnam
    answer, _delivered = rem.deliver()
    assert answer == {"batchItemFailures": []}
    assert rem.notifier.sent == [] and rem.record(c, "due_soon").status == "deferred"
    ((body, delay),) = rem.queue.messages  # back on the queue, held for 15 minutes
    assert body == {"invoice_id": c.invoice_id, "level": "due_soon"} and delay == 900
    rem.clock.at = rem.at(13, 25)
    rem.deliver()
    ((_, delay),) = rem.queue.messages
    assert delay == 300 and rem.notifier.sent == []  # only what is left of the window
    rem.clock.at = rem.at(13, 30)
    rem.deliver()
    assert rem.sent_to(c) == [("sms", "due_soon")] and rem.record(c, "due_soon").status == "sent"
    assert rem.queue.messages == []


def test_a_failing_channel_is_retried_without_resending_the_others(rem):
    c = rem.customer(notify_channels=["sms", "email"], email="khach@example.vn")
    rem.plan()
    ((body, _),) = rem.queue.messages
    rem.notifier.fail = {"email"}
    answer, _ = rem.deliver()
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}]}  # SQS will deliver it again
    assert rem.sent_to(c) == [("sms", "due_today")]
    assert rem.record(c).channels == ["sms"] and rem.record(c).status == "queued"
    rem.notifier.fail = set()
    rem.queue.enqueue(body)  # the redelivery
    assert rem.deliver()[0] == {"batchItemFailures": []}
    assert rem.sent_to(c) == [("sms", "due_today"), ("email", "due_today")]
    assert rem.record(c).status == "sent" and rem.record(c).channels == ["sms", "email"]


def test_a_reminder_none_of_whose_channels_is_configured_is_skipped_not_sent(rem):
    """Zalo ZNS (say) not configured and the customer chose only Zalo: nothing went out."""
    c = rem.customer(notify_channels=["email"], email="khach@example.vn")
    rem.plan()
    rem.notifier.unavailable = {"email"}
    assert rem.deliver()[0] == {"batchItemFailures": []}  # nothing to retry
    assert rem.sent_to(c) == [] and rem.record(c).status == "skipped" and rem.record(c).sent_at is None
    # With another channel that works, the unavailable one does not stop it being sent.
    d = rem.customer(notify_channels=["email", "sms"], email="khach2@example.vn")
    rem.plan()
    rem.deliver()
    assert rem.sent_to(d) == [("sms", "due_today")] and rem.record(d).status == "sent"


class Killed(BaseException):
    """Lambda's timeout or out-of-memory: nothing in the handler runs after it."""


def test_claims_of_a_plan_that_died_before_queueing_are_queued_by_its_retry_and_only_then(rem, monkeypatch):
    cs = [rem.customer("due_today") for _ in range(3)]

    def killed(bodies):
        raise Killed

    monkeypatch.setattr(rem.queue, "enqueue_batch", killed)
    with pytest.raises(Killed):
        rem.plan()
    assert {rem.record(c).status for c in cs} == {"claimed"} and rem.queue.messages == []
    monkeypatch.undo()
    # A second run started at the same moment (EventBridge delivered the event twice) leaves them alone:
    # the first run may still be about to queue them.
    assert rem.plan()["enqueued"] == 0 and rem.queue.messages == []
    # Lambda retries the failed run a minute or more later: it queues them, once.
    rem.clock.advance(70)
    assert rem.plan()["enqueued"] == 3
    assert {rem.record(c).status for c in cs} == {"queued"}
    assert rem.plan()["enqueued"] == 0  # and not again
    rem.deliver()
    assert sorted(m["customer_code"] for m in rem.notifier.sent) == sorted(c.code for c in cs)
    assert {rem.record(c).status for c in cs} == {"sent"}


def test_the_plan_stops_for_time_and_a_continuation_finishes_it(rem, monkeypatch):
    from chalicelib.jobs import reminders as job
    from chalicelib.services import reminders as svc

    monkeypatch.setattr(svc, "PAGE", 2)
    cs = [rem.customer("due_today") for _ in range(5)]
    budget = iter([120_000] * 4)  # the initial reading, due_soon (empty), two pages of due_today, then short
    out = job.run_plan(
        rem.today,
        context=type("Ctx", (), {"get_remaining_time_in_millis": staticmethod(lambda: next(budget, 1_000))})(),
    )
    assert out["complete"] is False and out["enqueued"] == 4 and out["cursor"]["level"] == 1
    continuation = [b for b, _ in rem.queue.messages if b.get("kind") == "plan"]
    assert continuation == [{"kind": "plan", "today": rem.today.isoformat(), "cursor": out["cursor"]}]
    rem.deliver()  # the worker sends 4 and plans the rest
    rem.deliver()  # then sends the 5th
    assert sorted(c.code for c in cs) == sorted(m["customer_code"] for m in rem.notifier.sent)
    assert len(rem.notifier.sent) == 5


def test_preferences_are_the_callers_own(api, registered, rem):
    a, a_tokens = registered()
    b, b_tokens = registered()
    r = api.call(
        "PUT",
        "/v1/me/notifications",
        {"channels": ["email", "push"], "email": "a@example.vn"},
        token=a_tokens["access_token"],
    )
    assert r.status_code == 200, r.json
    assert r.json["customers"] == [
        {
            "customer_code": a.code,
            "channels": ["email", "push"],
            "opt_out": False,
            "email": "a@example.vn",
            "push_registered": False,
        }
    ]
    # A cannot change B's preferences, nor register a push token for B.
    r = api.call(
        "PUT", "/v1/me/notifications", {"customer_code": b.code, "opt_out": True}, token=a_tokens["access_token"]
    )
    assert r.status_code == 403 and r.json["code"] == "CUSTOMER_NOT_LINKED"
    r = api.post(
        "/v1/me/push-token",
        {"token": "x" * 40, "platform": "android", "customer_code": b.code},
        token=a_tokens["access_token"],
    )
    assert r.status_code == 403
    from chalicelib.store.models import CustomerModel

    stored_b = CustomerModel.get(b.code)
    assert stored_b.reminders_opt_out == 0 and stored_b.notify_channels is None and stored_b.push_endpoint is None
    r = api.call("PUT", "/v1/me/notifications", {"opt_out": True}, token=b_tokens["access_token"])
    assert r.status_code == 200 and r.json["customers"][0]["opt_out"] is True
    assert CustomerModel.get(b.code).reminders_opt_out == 1
    # No token: 401.
    assert api.call("PUT", "/v1/me/notifications", {"opt_out": True}, token="").status_code == 401


@pytest.mark.parametrize(
    "body, field",
    [
        ({"channels": ["fax"]}, "channels"),
        ({"channels": []}, "channels"),
        ({"channels": ["sms", "sms"]}, "channels"),
        ({"channels": "sms"}, "channels"),
        ({"opt_out": "yes"}, "opt_out"),
        ({"email": "not-an-email"}, "email"),
        ({"channels": ["email"]}, "email"),
        ({}, "channels"),
    ],
)
def test_bad_preferences_are_refused(api, registered, rem, body, field):
    _, tokens = registered()
    r = api.call("PUT", "/v1/me/notifications", body, token=tokens["access_token"])
    assert r.status_code == 400 and r.json["field"] == field, r.json


def test_push_token_registers_an_endpoint_on_the_callers_codes(api, registered, rem):
    a, tokens = registered()
    for body, field in (
        ({"token": "short", "platform": "android"}, "token"),
        ({"token": "x" * 40, "platform": "windows"}, "platform"),
    ):
        r = api.post("/v1/me/push-token", body, token=tokens["access_token"])
        assert r.status_code == 400 and r.json["field"] == field
    r = api.post("/v1/me/push-token", {"token": "fcm:" + "a" * 60, "platform": "android"}, token=tokens["access_token"])
    assert r.status_code == 201 and r.json == {"registered": True, "platform": "android", "customer_codes": [a.code]}
    from chalicelib.store.models import CustomerModel

    assert CustomerModel.get(a.code).push_endpoint.startswith("arn:aws:sns:")
    assert rem.push.registered[0][:2] == ("android", "fcm:" + "a" * 60)


# -- the real adapters, on moto (SNS, SES, SQS) and `responses` (Zalo) ----------------


def test_sns_push_registrar_and_the_channel_notifier_on_moto(app):
    import boto3

    from chalicelib.adapters.notifications import MemorySms
    from chalicelib.adapters.notifier import ChannelNotifier, SnsPushRegistrar, ZaloZns
    from chalicelib.config import get_settings
    from chalicelib.store.models import CustomerModel

    arn = SnsPushRegistrar().register("android", "fcm-token-" + "b" * 40, "acct-1")
    s = get_settings()
    sns = boto3.client("sns", region_name=s.region, endpoint_url=s.aws_endpoint)
    assert sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]["Enabled"] == "true"
    customer = CustomerModel(
        "09999001",
        ledger_no="L",
        name="N",
        address="A",
        phone="0988000111",
        email="khach@example.vn",
        push_endpoint=arn,
    )
    level = rules.find_level("due_today")
    sms_gateway = MemorySms()
    notifier = ChannelNotifier(sms=sms_gateway, zalo=ZaloZns())
    for channel in ("sms", "push", "email"):
        notifier.send(
            channel,
            customer,
            rules.compose(
                level,
                channel,
                invoice_id="INV-1",
                customer_code="09999001",
                period="2030-12",
                amount=78255,
                due_date="2031-01-15",
                link_base=s.payment_link_base,
            ),
        )
    assert sms_gateway.sent[0]["phone"] == "0988000111" and sms_gateway.sent[0]["text"].isascii()
    from chalicelib.adapters.notifier import ChannelUnavailable

    with pytest.raises(ChannelUnavailable):  # not configured in the test stage
        notifier.send(
            "zalo",
            customer,
            rules.compose(
                level,
                "zalo",
                invoice_id="INV-1",
                customer_code="09999001",
                period="2030-12",
                amount=78255,
                due_date="2031-01-15",
                link_base=s.payment_link_base,
            ),
        )


def test_zalo_zns_over_http(monkeypatch):
    import responses

    from chalicelib.adapters import notifier as n
    from chalicelib.store.models import CustomerModel

    monkeypatch.setattr(n, "zalo_access_token", lambda: "zalo-token-123")
    monkeypatch.setattr(
        n,
        "get_settings",
        lambda: type("S", (), {"zalo_template_id": "tpl-1", "zalo_zns_url": "https://zns.test/message/template"})(),
    )
    customer = CustomerModel("09999002", ledger_no="L", name="N", address="A", phone="0988000222")
    message = rules.compose(
        rules.find_level("overdue_7"),
        "zalo",
        invoice_id="INV-2",
        customer_code="09999002",
        period="2030-12",
        amount=78255,
        due_date="2031-01-15",
        link_base="https://x.vn/p?i=",
    )
    with responses.RequestsMock() as mock:
        mock.post("https://zns.test/message/template", json={"error": 0, "message": "Success"})
        mock.post("https://zns.test/message/template", json={"error": -124, "message": "Access token invalid"})
        zalo = n.ZaloZns()
        zalo.send(customer, message)
        sent = json.loads(mock.calls[0].request.body)
        assert mock.calls[0].request.headers["access_token"] == "zalo-token-123"
        assert sent["phone"] == "84988000222" and sent["template_id"] == "tpl-1"
        assert sent["template_data"]["amount"] == "78.255 đ" and "quá hạn" in sent["template_data"]["content"]
        with pytest.raises(n.DeliveryFailed):
            zalo.send(customer, message)


def test_the_sqs_queue_batches_and_delays_on_moto(app):
    from chalicelib.adapters.notifier import SqsReminderQueue
    from chalicelib.adapters.queues import _sqs, queue_url

    q = SqsReminderQueue()
    url = queue_url("reminders")
    while _sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        pass  # (PurgeQueue allows one call a minute)
    assert q.enqueue_batch([{"invoice_id": f"INV-{i}", "level": "due_today"} for i in range(10)]) == []
    q.enqueue({"invoice_id": "INV-late", "level": "due_today"}, delay_seconds=900)
    got = []
    for _ in range(5):
        got += _sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    bodies = {json.loads(m["Body"])["invoice_id"] for m in got}
    assert bodies == {f"INV-{i}" for i in range(10)}  # the delayed one is not visible yet


# -- one phone, two accounts (issue 15: SNS refuses a token it has with other attributes) ------------


def test_a_token_registered_again_reuses_and_enables_its_endpoint_on_moto(app):
    """moto answers as SNS does: InvalidParameter, naming the endpoint that has the token already."""
    import boto3

    from chalicelib.adapters.notifier import SnsPushRegistrar
    from chalicelib.config import get_settings

    token = "fcm-shared-" + "c" * 40
    registrar = SnsPushRegistrar()
    first = registrar.register("android", token, "acct-mother")
    s = get_settings()
    sns = boto3.client("sns", region_name=s.region, endpoint_url=s.aws_endpoint)
    sns.set_endpoint_attributes(EndpointArn=first, Attributes={"Enabled": "false"})  # the platform refused it
    second = registrar.register("android", token, "acct-son")  # other CustomUserData: SNS refuses to create
    assert second == first
    attributes = sns.get_endpoint_attributes(EndpointArn=first)["Attributes"]
    assert attributes["Enabled"] == "true" and attributes["Token"] == token


class _RefusingSns:
    """An SNS client answering CreatePlatformEndpoint as AWS does for a token it has with other attributes."""

    def __init__(self, message: str, code: str = "InvalidParameter") -> None:
        self.message, self.code, self.attributes = message, code, []

    def create_platform_endpoint(self, **kw):
        from botocore.exceptions import ClientError

        raise ClientError(
            {"Error": {"Type": "Sender", "Code": self.code, "Message": self.message}}, "CreatePlatformEndpoint"
        )

    def set_endpoint_attributes(self, EndpointArn, Attributes):
        self.attributes.append((EndpointArn, Attributes))


def test_the_existing_endpoint_is_taken_from_snss_error(monkeypatch):
    from botocore.exceptions import ClientError

    import chalicelib.adapters.notifier as notifier

    arn = "arn:aws:sns:ap-southeast-1:123456789012:endpoint/GCM/cskh-android/5e3e9847-3183-3f18-a7e8-671c3a57d4b3"
    fake = _RefusingSns(
        f"Invalid parameter: Token Reason: Endpoint {arn} already exists with the same Token, but different attributes."
    )
    monkeypatch.setattr(notifier, "_sns", lambda: fake)
    registrar = notifier.SnsPushRegistrar()
    monkeypatch.setattr(registrar, "_app_arn", lambda platform: "arn:aws:sns:ap-southeast-1:123456789012:app/GCM/x")
    assert registrar.register("android", "tok", "acct-2") == arn
    assert fake.attributes == [(arn, {"Token": "tok", "Enabled": "true"})]
    # Any other refusal is not mistaken for it.
    for code, message in (("InvalidParameter", "Invalid parameter: Token Reason: malformed"), ("Throttling", "slow")):
        monkeypatch.setattr(notifier, "_sns", lambda: _RefusingSns(message, code))
        with pytest.raises(ClientError):
            registrar.register("android", "tok", "acct-2")


def test_one_phone_registered_from_two_accounts(api, registered):
    """A family phone paying for two houses: both accounts register the same token, neither is a 500."""
    from chalicelib.store.models import CustomerModel

    body = {"token": "fcm:" + "f" * 60, "platform": "android"}
    a, tokens_a = registered()
    b, tokens_b = registered()
    for tokens in (tokens_a, tokens_b, tokens_a):
        r = api.post("/v1/me/push-token", body, token=tokens["access_token"])
        assert r.status_code == 201, r.json
    endpoint = CustomerModel.get(a.code, consistent_read=True).push_endpoint
    assert endpoint and endpoint == CustomerModel.get(b.code, consistent_read=True).push_endpoint
