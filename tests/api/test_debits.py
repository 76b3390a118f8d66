"""Authorised debit (nhờ thu) through the handlers on DynamoDB Local and moto: a bank's monthly run asks
only the customers whose confirmed mandate is at that bank, for their open amounts, once per month; the
request file; the bank's results posted back (paid: exactly once through the ledger, whatever the amount;
failed: the reason and a reminder), the same file again or at once, bad files, roles."""

from __future__ import annotations

import csv
import io
import itertools
import secrets
import time
from datetime import date, datetime

import pytest
import requests

from chalicelib import deps
from chalicelib.adapters.notifier import MemoryNotifier, MemoryReminderQueue
from chalicelib.domain.debits import REQUEST_COLUMNS
from chalicelib.domain.reminders import VN_TZ
from chalicelib.domain.shapes import to_json
from tests.api.ledger_assert import assert_sound, at_once
from tests.sqs_events import sqs_event

WATER = 66000  # invoice_item: + VAT 5 % 3,300 + fee 10 % 6,600
TOTAL = 75900
WATER2 = 50000  # 50,000 + 2,500 + 5,000
TOTAL2 = 57500
RUNS = "/v1/admin/debits/runs"
RESULTS = "/v1/admin/debits/results"
HEADER = "request_id,status,bank_ref,amount,reason\n"
# Each test runs its own billing periods (2025-01, 2025-02, ...): its requests have ids of their own.
_months = itertools.count(1)


def _period() -> str:
    n = next(_months)
    return f"{2025 + (n - 1) // 12}-{(n - 1) % 12 + 1:02d}"


def mandate(code, bank="VCB", channel="authorised_debit", status="confirmed", decided_at=None, holder="NGUYEN VAN THU"):
    """A payment-channel request of the customer as the utility decided it (the customer book follows a
    confirmed one, as ChannelRequestStore.decide does)."""
    from chalicelib.store.models import ChannelRequestModel, CustomerModel

    now = int(time.time())
    item = ChannelRequestModel(
        f"CR{secrets.token_hex(6).upper()}",
        customer_code=code,
        account_id=f"customer:{code}",
        channel=channel,
        bank_code=bank,
        account_holder=holder,
        account_last4="3456",
        status=status,
        requested_at=now - 86400,
        decided_at=None if status == "pending" else (decided_at or now),
        decided_by=None if status == "pending" else "admin:admin",
    )
    item.save()
    if status == "confirmed":
        CustomerModel(code).update(actions=[CustomerModel.payment_channel.set(channel)])
    return item.request_id


@pytest.fixture
def debtor(new_customer):
    """A customer with a confirmed authorised-debit mandate (VCB unless said): (code, mandate id)."""

    def make(invoices=(("2024-05", 100, 111, WATER, "unpaid"),), bank="VCB", **kw):
        customer = new_customer(invoices=invoices)
        return customer.code, mandate(customer.code, bank, **kw)

    return make


@pytest.fixture
def memory_queue(app):
    queue, notifier = MemoryReminderQueue(), MemoryNotifier()
    deps.override("reminder_queue", queue)
    deps.override("notifier", notifier)
    yield queue, notifier
    deps.reset()


def run(api, token, bank, period):
    return api.post(RUNS, {"bank": bank, "period": period}, token=token)


def post_results(api, token, text, content_type="text/csv; charset=utf-8", raw=None):
    return api.call(
        "POST",
        RESULTS,
        raw=raw if raw is not None else text.encode("utf-8"),
        token=token,
        headers={"Content-Type": content_type},
    )


def request_item(request_id):
    from chalicelib.store.models import DebitRequestModel
    from chalicelib.store.repositories import get_or_none

    return get_or_none(DebitRequestModel, request_id, consistent_read=True)


def invoice(invoice_id):
    from chalicelib.store.models import InvoiceModel

    return InvoiceModel.get(invoice_id, consistent_read=True)


def credit(code) -> int:
    from chalicelib.store.models import CustomerAccountModel
    from chalicelib.store.repositories import get_or_none

    account = get_or_none(CustomerAccountModel, code, consistent_read=True)
    return int(account.credit) if account is not None else 0


def entries(code) -> list:
    from chalicelib.store.models import LedgerEntryModel

    return list(LedgerEntryModel.query(code, consistent_read=True))


def file_rows(file) -> list[dict]:
    """The rows of one request file, fetched through its link."""
    r = requests.get(file["url"], timeout=10)
    assert r.status_code == 200, r.text
    assert r.content.startswith(",".join(n for n, _ in REQUEST_COLUMNS).encode() + b"\r\n")
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8"))))


def rid(bank, period, code) -> str:
    return f"{bank}-{period.replace('-', '')}-{code}"


_debit_periods = itertools.count(0)


def pending_debit(code: str, invoice_ids: list[str], amount: int) -> str:
    """A pending request of the customer in a run of its own (a period of the 2040s no test runs): the
    money state machine's debits, without a run over the whole table."""
    from chalicelib.store.models import DebitRequestModel

    n = next(_debit_periods)
    period = f"{2040 + n // 12}-{n % 12 + 1:02d}"
    request_id = rid("VCB", period, code)
    DebitRequestModel(
        request_id,
        run_id=request_id.rsplit("-", 1)[0],
        bank_code="VCB",
        period=period,
        customer_code=code,
        mandate_ref="CR000000000000",
        account_holder="NGUYEN VAN THU",
        invoice_ids=invoice_ids,
        amount=amount,
        status="pending",
        pending_flag="pending",
        created_at=int(time.time()),
        created_by="admin:test",
        batch=f"{int(time.time())}-test",
    ).save()
    return request_id


def paid_file(request_id: str, amount: int) -> bytes:
    return (HEADER + f"{request_id},paid,FT{request_id[-8:]}{request_id[4:10]},{amount},\n").encode()


def service(clock=None):
    """A DebitService of its own (threads call it directly), on the real stores and the app's fakes."""
    from chalicelib.adapters.clock import Clock
    from chalicelib.adapters.objects import S3Objects
    from chalicelib.config import get_settings
    from chalicelib.services.debits import DebitService
    from chalicelib.services.ledger import LedgerService
    from chalicelib.store import audit
    from chalicelib.store.debits import DebitStore
    from chalicelib.store.ledger import LedgerStore
    from chalicelib.store.reminders import ReminderStore

    clock = clock or Clock()
    return DebitService(
        settings=get_settings(),
        store=DebitStore(),
        ledger=LedgerService(store=LedgerStore(), clock=clock),
        objects=S3Objects(get_settings().imports_bucket),
        notices=ReminderStore(),
        queue=deps.reminder_queue(),
        notifier=deps.notifier(),
        clock=clock,
        audit=audit.record,
    )


# -- the run --------------------------------------------------------------------------------------


def test_a_run_asks_only_the_confirmed_debit_customers_of_that_bank_for_their_open_amounts(
    api, admin, registered, new_customer, debtor
):
    from chalicelib.store.models import InvoiceModel

    period = _period()
    two, two_mandate = debtor(
        invoices=[
            ("2024-03", 90, 100, 40000, "paid"),
            ("2024-04", 100, 111, WATER, "unpaid"),
            ("2024-05", 111, 120, WATER2, "unpaid"),
        ]
    )
    part, _ = debtor()
    InvoiceModel(f"INV-{part}-202405").update(actions=[InvoiceModel.paid_amount.set(20000)])  # paid in part
    next_year = f"{int(period[:4]) + 1}-01"  # an invoice of a later period is not this run's
    later, _ = debtor(invoices=[("2024-05", 100, 111, WATER, "unpaid"), (next_year, 111, 120, WATER2, "unpaid")])
    paid_up, _ = debtor(invoices=[("2024-05", 100, 111, WATER, "paid")])
    at_agr, _ = debtor(bank="AGR")
    moved, _ = debtor()
    mandate(moved, "AGR", decided_at=int(time.time()) + 5)  # the VCB mandate ended: AGR now
    back_to_cash, _ = debtor()
    from chalicelib.store.models import CustomerModel

    CustomerModel(back_to_cash).update(actions=[CustomerModel.payment_channel.set("cash")])
    others = {}
    for name, kw in {
        "pending": dict(status="pending"),
        "rejected": dict(status="rejected"),
        "transfer": dict(channel="bank_transfer"),
    }.items():
        c = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
        mandate(c.code, "VCB", **kw)
        others[name] = c.code
    # One through the API: the customer registers, the utility confirms.
    customer, tokens = registered(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    asked = api.post(
        "/v1/me/payment-channel",
        {
            "customer_code": customer.code,
            "channel": "authorised_debit",
            "bank_code": "VCB",
            "account_holder": '=HYPERLINK("http://x")',
            "account_no": "0071000123456",
        },
        token=tokens["access_token"],
    )
    assert asked.status_code == 202, asked.json
    assert (
        api.post(
            f"/v1/admin/payment-channel-requests/{asked.json['request_id']}", {"decision": "confirm"}, token=admin
        ).status_code
        == 200
    )

    r = run(api, admin, "VCB", period)
    assert r.status_code == 201, r.json
    view = r.json
    assert (view["run_id"], view["bank"], view["bank_name"], view["period"]) == (
        f"VCB-{period.replace('-', '')}",
        "VCB",
        "Vietcombank",
        period,
    )
    assert view["created"] >= 4 and view["complete"] is True and view["remaining"] == 0
    assert view["file"]["expires_in"] == 300 and view["files"] == [view["file"]]
    mine = {two: TOTAL + TOTAL2, part: TOTAL - 20000, later: TOTAL, customer.code: TOTAL}
    for code, amount in mine.items():
        item = request_item(rid("VCB", period, code))
        assert item is not None and item.status == "pending" and int(item.amount) == amount, code
        assert item.run_id == view["run_id"] and item.pending_flag == "pending"
    assert list(request_item(rid("VCB", period, two)).invoice_ids) == [f"INV-{two}-202404", f"INV-{two}-202405"]
    assert request_item(rid("VCB", period, two)).mandate_ref == two_mandate
    assert list(request_item(rid("VCB", period, later)).invoice_ids) == [f"INV-{later}-202405"]  # not the next one
    for code in [paid_up, at_agr, moved, back_to_cash, *others.values()]:
        assert request_item(rid("VCB", period, code)) is None, code
    rows = {row["customer_code"]: row for row in file_rows(view["file"])}
    assert len(rows) == view["requests"] == view["file"]["rows"] == view["created"]
    assert set(mine) <= set(rows) and not {paid_up, at_agr, moved, back_to_cash, *others.values()} & set(rows)
    assert rows[two] == {
        "request_id": rid("VCB", period, two),
        "customer_code": two,
        "mandate_ref": two_mandate,
        "account_holder": "NGUYEN VAN THU",
        "invoice_ids": f"INV-{two}-202404;INV-{two}-202405",
        "amount": str(TOTAL + TOTAL2),
        "period": period,
    }
    assert rows[customer.code]["mandate_ref"] == asked.json["request_id"]
    assert rows[customer.code]["account_holder"] == '\'=HYPERLINK("http://x")'  # never a formula in Excel

    # The month again: nothing written twice, no new file.
    again = run(api, admin, "VCB", period)
    assert again.status_code == 200 and again.json["created"] == 0 and again.json["file"] is None, again.json
    assert again.json["requests"] == view["requests"] and again.json["amount"] == view["amount"]
    assert [f["name"] for f in again.json["files"]] == [view["file"]["name"]]
    # A customer mandated since: asked in a file of their own, the others not again.
    newcomer, _ = debtor()
    third = run(api, admin, "VCB", period).json
    assert third["created"] == 1 and [r["customer_code"] for r in file_rows(third["file"])] == [newcomer]
    assert {f["name"] for f in third["files"]} == {view["file"]["name"], third["file"]["name"]}
    got = api.get(f"{RUNS}/{view['run_id']}", token=admin)
    assert got.status_code == 200 and got.json["created"] is None and got.json["file"] is None, got.json
    assert got.json["pending"] == got.json["requests"] == view["requests"] + 1 and len(got.json["files"]) == 2
    # The AGR run of the month has the AGR customers, not the VCB ones.
    agr = run(api, admin, "AGR", period).json
    agr_rows = {row["customer_code"] for row in file_rows(agr["file"])}
    assert {at_agr, moved} <= agr_rows and not set(mine) & agr_rows


def test_an_invoice_an_unanswered_request_asks_is_not_asked_again(api, admin, debtor, memory_queue):
    first, second = _period(), _period()
    code, _ = debtor()
    assert run(api, admin, "VCB", first).status_code in (200, 201)
    assert request_item(rid("VCB", first, code)) is not None
    run(api, admin, "VCB", second)
    assert request_item(rid("VCB", second, code)) is None  # the bank has not answered the first
    r = post_results(api, admin, HEADER + f"{rid('VCB', first, code)},failed,,,Khong du so du\n")
    assert r.status_code == 200 and r.json["failed"] == 1, r.json
    run(api, admin, "VCB", second)  # answered: the next run asks again
    assert int(request_item(rid("VCB", second, code)).amount) == TOTAL


def test_what_a_run_refuses(api, admin):
    for body, field in (
        ({"bank": "XYZ", "period": "2025-01"}, "bank"),
        ({"bank": "KBNN", "period": "2025-01"}, "bank"),
        ({"bank": "VCB", "period": "2025-13"}, "period"),
        ({"bank": "VCB"}, "period"),
        ({"bank": "VCB", "period": f"{date.today().year + 1}-01"}, "period"),
    ):
        r = api.post(RUNS, body, token=admin)
        assert r.status_code == 400 and r.json["field"] == field, (body, r.json)
    assert api.get(f"{RUNS}/VCB-209901", token=admin).status_code == 404
    r = api.get(f"{RUNS}/nonsense", token=admin)
    assert r.status_code == 400 and r.json["field"] == "run_id"


# -- the results ----------------------------------------------------------------------------------


def test_a_paid_debit_is_posted_once_to_its_invoices(api, admin, debtor):
    period = _period()
    code, _ = debtor(invoices=[("2024-04", 100, 111, WATER, "unpaid"), ("2024-05", 111, 120, WATER2, "unpaid")])
    run(api, admin, "VCB", period)
    request_id = rid("VCB", period, code)
    text = HEADER + f'{request_id},PAID,VCB{request_id[-6:]}X,"{TOTAL + TOTAL2:,}",\n'
    r = post_results(api, admin, text)
    assert r.status_code == 200, r.json
    assert {k: r.json[k] for k in ("rows", "paid", "failed", "duplicates", "errors", "flagged")} == {
        "rows": 1,
        "paid": 1,
        "failed": 0,
        "duplicates": 0,
        "errors": 0,
        "flagged": 0,
    }
    [row] = r.json["results"]
    assert (row["status"], row["customer_code"], row["allocated"], row["credited"], row["flags"]) == (
        "paid",
        code,
        TOTAL + TOTAL2,
        0,
        [],
    )
    for inv_id in (f"INV-{code}-202404", f"INV-{code}-202405"):
        inv = invoice(inv_id)
        assert inv.status == "paid" and inv.customer_status == f"{code}#paid"
        [payment] = [dict(p) for p in inv.payments]
        assert payment["channel"] == "authorised_debit" and payment["payment_id"] == f"debit#{request_id}"
        assert payment["request_id"] == request_id and payment["bank_code"] == "VCB"
    item = request_item(request_id)
    assert (item.status, item.pending_flag, int(item.debited_amount), int(item.allocated), int(item.credited)) == (
        "paid",
        None,
        TOTAL + TOTAL2,
        TOTAL + TOTAL2,
        0,
    )
    from chalicelib.store.models import PaymentModel

    guard = PaymentModel.get(f"debit#{request_id}", consistent_read=True)
    assert guard.channel == "authorised_debit" and int(guard.amount) == TOTAL + TOTAL2
    assert_sound(code)
    # The same file again: nothing twice.
    again = post_results(api, admin, text)
    assert again.status_code == 200 and (again.json["paid"], again.json["duplicates"]) == (0, 1), again.json
    assert len(entries(code)) == 1 and len(invoice(f"INV-{code}-202405").payments) == 1
    assert api.get(f"{RUNS}/VCB-{period.replace('-', '')}", token=admin).json["paid"] >= 1
    assert_sound(code)


def test_another_amount_than_asked_is_posted_and_flagged(api, admin, debtor):
    period = _period()
    short, _ = debtor(invoices=[("2024-04", 100, 111, WATER, "unpaid"), ("2024-05", 111, 120, WATER2, "unpaid")])
    more, _ = debtor()
    run(api, admin, "VCB", period)
    text = HEADER + (
        f'{rid("VCB", period, short)},paid,FT1{short},"80,000",\n{rid("VCB", period, more)},paid,FT2{more},100000,\n'
    )
    r = post_results(api, admin, text)
    assert r.status_code == 200 and (r.json["paid"], r.json["flagged"]) == (2, 2), r.json
    rows = {x["customer_code"]: x for x in r.json["results"]}
    # A part: the oldest invoice first, the next partly.
    assert (rows[short]["allocated"], rows[short]["credited"], rows[short]["flags"]) == (80000, 0, ["AMOUNT_MISMATCH"])
    assert invoice(f"INV-{short}-202404").status == "paid"
    nxt = invoice(f"INV-{short}-202405")
    assert (nxt.status, int(nxt.paid_amount)) == ("unpaid", 80000 - TOTAL)
    # More than asked: the rest is credit, never dropped.
    assert (rows[more]["allocated"], rows[more]["credited"]) == (TOTAL, 100000 - TOTAL)
    assert credit(more) == 100000 - TOTAL
    item = request_item(rid("VCB", period, short))
    assert (item.status, int(item.amount), int(item.debited_amount), list(item.flags)) == (
        "paid",
        TOTAL + TOTAL2,
        80000,
        ["AMOUNT_MISMATCH"],
    )
    assert_sound(short)
    assert_sound(more)


def _at_nine(day=None) -> int:
    """09:00 Vietnam time today (outside the quiet hours)."""
    day = day or datetime.now(VN_TZ).date()
    return int(datetime(day.year, day.month, day.day, 9, 0, tzinfo=VN_TZ).timestamp())


def test_a_failed_debit_records_the_reason_and_reminds_the_customer_once(api, admin, debtor, memory_queue):
    from chalicelib.adapters.clock import FixedClock
    from chalicelib.jobs.reminders import handle_batch
    from chalicelib.store.models import ReminderModel

    queue, notifier = memory_queue
    period = _period()
    code, _ = debtor()
    run(api, admin, "VCB", period)
    request_id = rid("VCB", period, code)
    text = HEADER + f"{request_id},failed,,,Tai khoan khong du so du\n"
    r = post_results(api, admin, text)
    assert r.status_code == 200 and (r.json["failed"], r.json["reminders_queued"]) == (1, 1), r.json
    item = request_item(request_id)
    assert (item.status, item.reason, item.pending_flag) == ("failed", "Tai khoan khong du so du", None)
    assert invoice(f"INV-{code}-202405").status == "unpaid" and entries(code) == []
    taken = queue.take()
    assert [body for body, _ in taken] == [{"kind": "debit_failed", "request_id": request_id}]
    assert ReminderModel.get(f"{request_id}#debit_failed", consistent_read=True).status == "queued"
    # The same file again: nothing recorded or queued twice.
    again = post_results(api, admin, text)
    assert (again.json["failed"], again.json["duplicates"], again.json["reminders_queued"]) == (0, 1, 0)
    assert queue.take() == []
    # The reminders worker sends it (at 09:00, outside the quiet hours), once.
    deps.override("debits", service(FixedClock(_at_nine())))
    answer = handle_batch(sqs_event(*[body for body, _ in taken], queue="cskh-test-reminders"))
    assert answer == {"batchItemFailures": []}
    [sms] = notifier.sent
    assert sms["channel"] == "sms" and sms["customer_code"] == code
    assert "chua trich no duoc 75.900" in sms["text"] and code in sms["text"] and "Thu" not in sms["text"]
    assert f"INV-{code}-202405" in sms["data"]["payment_link"]
    assert ReminderModel.get(f"{request_id}#debit_failed", consistent_read=True).status == "sent"
    handle_batch(sqs_event(*[body for body, _ in taken], queue="cskh-test-reminders"))  # SQS delivers it again
    assert len(notifier.sent) == 1


def test_a_bank_that_corrects_failed_to_paid_is_posted_and_paid_to_failed_is_refused(api, admin, debtor, memory_queue):
    period = _period()
    code, _ = debtor()
    other, _ = debtor()
    run(api, admin, "VCB", period)
    failed_then_paid, paid_then_failed = rid("VCB", period, code), rid("VCB", period, other)
    post_results(
        api, admin, HEADER + f"{failed_then_paid},failed,,,Loi he thong\n{paid_then_failed},paid,FT9,{TOTAL},\n"
    )
    r = post_results(
        api, admin, HEADER + f"{failed_then_paid},paid,FT8,{TOTAL},\n{paid_then_failed},failed,,,Khong du so du\n"
    )
    assert r.status_code == 200, r.json
    rows = {x["request_id"]: x for x in r.json["results"]}
    assert rows[failed_then_paid]["status"] == "paid" and rows[failed_then_paid]["flags"] == ["PAID_AFTER_FAILED"]
    assert rows[paid_then_failed]["status"] == "error" and rows[paid_then_failed]["code"] == "DEBIT_ALREADY_PAID"
    assert invoice(f"INV-{code}-202405").status == "paid" and request_item(failed_then_paid).status == "paid"
    assert request_item(paid_then_failed).status == "paid" and request_item(paid_then_failed).reason is None
    assert_sound(code)
    assert_sound(other)


def test_the_same_file_twice_at_once_is_applied_once(app, new_customer, memory_queue):
    queue, _ = memory_queue
    period = _period()
    payer = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    refuser = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
    for c in (payer, refuser):
        mandate(c.code, "STB")
    service().run("admin:test", "STB", period)
    text = (
        HEADER
        + f"{rid('STB', period, payer.code)},paid,FT{payer.code},100000,\n"
        + f"{rid('STB', period, refuser.code)},failed,,,Khong du so du\n"
    ).encode()
    services = [service() for _ in range(4)]
    results = at_once(*[lambda s=s: s.post_results("admin:test", text) for s in services])
    assert not [x for x in results if isinstance(x, Exception)], results
    # Each row is applied by one of the four (not always the same one), a duplicate to the other three.
    totals = [sum(x[k] for x in results) for k in ("paid", "failed", "duplicates", "reminders_queued")]
    assert totals == [1, 1, 6, 1], results
    assert len(entries(payer.code)) == 1 and credit(payer.code) == 100000 - TOTAL
    assert invoice(f"INV-{payer.code}-202405").status == "paid"
    assert len(invoice(f"INV-{payer.code}-202405").payments) == 1
    assert [body for body, _ in queue.take()] == [
        {"kind": "debit_failed", "request_id": rid("STB", period, refuser.code)}
    ]
    assert_sound(payer.code)


def test_a_file_that_cannot_be_read_moves_nothing(api, admin, debtor):
    period = _period()
    code, _ = debtor()
    run(api, admin, "VCB", period)
    good = f"{rid('VCB', period, code)},paid,FT1,{TOTAL},\n"
    for text, where in (
        ("", "empty"),
        ("request_id,status,amount\n" + good, "a column missing"),
        (HEADER + good + f"{rid('VCB', period, code)},paid,FT2,{TOTAL},\n", "a request twice"),
        (HEADER + good + "VCB-202513-01031059,paid,FT3,1000,\n", "not a request id"),
        (HEADER + good + f"{rid('VCB', period, '01031059')},ok,FT3,1000,\n", "a status"),
        (HEADER + good + f"{rid('VCB', period, '01031059')},paid,,1000,\n", "no bank reference"),
        (HEADER + good + f"{rid('VCB', period, '01031059')},paid,FT4,-1000,\n", "a negative amount"),
        (HEADER + good + f"{rid('VCB', period, '01031059')},paid,FT4,12.5,\n", "a fraction"),
        (HEADER + good + f"{rid('VCB', period, '01031059')},paid,FT4,0,\n", "nothing debited"),
        (HEADER + good + f"{rid('VCB', period, '01031059')},paid,FT4,75,900,\n", "an amount split in two"),
        (HEADER, "no rows"),
    ):
        r = post_results(api, admin, text)
        assert r.status_code == 400 and r.json["code"] == "INVALID_DEBIT_RESULTS", (where, r.status_code, r.json)
    r = post_results(api, admin, "", raw=b"\xff\xfe\x00garbage\xd8\x00")
    assert r.status_code == 400 and r.json["code"] == "INVALID_DEBIT_RESULTS"
    r = post_results(api, admin, "", raw=b"request_id,status,bank_ref,amount,reason\n\xe0\xe1\n")
    assert r.status_code == 400 and r.json["code"] == "INVALID_DEBIT_RESULTS"
    r = post_results(api, admin, "", raw=HEADER.encode() + b"x" * (2 * 1024 * 1024))
    assert r.status_code == 413 and r.json["code"] == "PAYLOAD_TOO_LARGE"
    r = post_results(api, admin, HEADER + good, content_type="application/json")
    assert r.status_code == 415
    assert request_item(rid("VCB", period, code)).status == "pending" and entries(code) == []
    # A row naming no request of ours is reported; the rest is applied.
    unknown = rid("VCB", period, "09999999")
    r = post_results(api, admin, HEADER.replace(",", ";") + good.replace(",", ";") + f"{unknown};paid;FT5;1000;\n")
    assert r.status_code == 200 and (r.json["paid"], r.json["errors"]) == (1, 1), r.json
    [error] = [x for x in r.json["results"] if x["status"] == "error"]
    assert (error["request_id"], error["code"], error["row"]) == (unknown, "DEBIT_REQUEST_NOT_FOUND", 3)
    assert_sound(code)


def test_only_managers(api, registered, debtor):
    from tests.api.test_owasp import _foreign_token

    _, tokens = registered()
    for token, status in ((tokens["access_token"], 403), (_foreign_token("staff"), 403), ("", 401)):
        assert api.post(RUNS, {"bank": "VCB", "period": "2025-01"}, token=token).status_code == status
        assert api.get(f"{RUNS}/VCB-202501", token=token).status_code == status
        assert post_results(api, token, HEADER + "VCB-202501-01031059,failed,,,x\n").status_code == status


def test_the_job_runs_last_month_for_every_linked_bank_on_its_day(app, debtor):
    import dataclasses

    from chalicelib.config import get_settings
    from chalicelib.jobs.debits import run_scheduled

    code, _ = debtor(bank="AGR")
    svc = service()
    svc.settings = dataclasses.replace(get_settings(), debit_run_day=5)
    deps.override("debits", svc)
    try:
        assert run_scheduled(date(2026, 3, 4))["ran"] is False
        out = run_scheduled(date(2026, 3, 5))
        assert out["ran"] is True and out["period"] == "2026-02" and set(out["runs"]) == {"VCB", "AGR", "STB"}
        assert request_item(rid("AGR", "2026-02", code)) is not None
        assert run_scheduled(date(2026, 3, 5))["runs"]["AGR"]["created"] == 0
    finally:
        deps.reset()


def test_requests_whose_file_was_never_written_go_in_the_next_file(app, debtor):
    """A run that wrote its requests but failed before its file (S3 refused it, the call died): the next
    run sends them, once the call that wrote them cannot still be writing its file; never in two files."""
    from chalicelib.store.models import DebitRequestModel

    period = _period()
    code, _ = debtor(bank="AGR")
    lost = f"{int(time.time()) - 3600}-dead"
    svc = service()
    svc.objects.put = lambda *a, **kw: (_ for _ in ()).throw(RuntimeError("S3 is down"))
    with pytest.raises(RuntimeError):
        svc.run("admin:test", "AGR", period)
    request_id = rid("AGR", period, code)
    DebitRequestModel(request_id).update(actions=[DebitRequestModel.batch.set(lost)])  # an hour ago
    fresh, _ = debtor(bank="AGR")
    view = service().run("admin:test", "AGR", period)
    sent = {row["customer_code"] for row in file_rows(to_json(view.file))}
    assert {code, fresh} <= sent and view.created >= 1
    assert request_item(request_id).batch == view.file.name
    assert lost not in [f.name for f in view.files]
    again = service().run("admin:test", "AGR", period)  # found again: not sent twice
    assert again.file is None and again.created == 0


def test_a_run_or_a_file_cut_short_by_time_says_so_and_the_same_call_again_does_the_rest(
    app, debtor, memory_queue, monkeypatch
):
    import chalicelib.services.debits as debits

    monkeypatch.setattr(debits, "CHUNK", 1)
    period = _period()
    codes = [debtor(bank="STB")[0] for _ in range(3)]

    def budget(n):
        """Time enough for n chunks, then none."""
        left = iter([60_000] * n)
        return lambda: next(left, 0)

    first = service().run("admin:test", "STB", period, budget(1))
    # (Other tests' STB customers sort first: the one customer looked at may have had nothing to ask.)
    assert first.complete is False and first.remaining >= 2 and (first.file is None or first.file.rows == 1)
    rest = service().run("admin:test", "STB", period)
    assert rest.complete is True and rest.remaining == 0 and rest.file.rows >= 2
    asked = {r["customer_code"] for f in (first.file, rest.file) if f for r in file_rows(to_json(f))}
    assert set(codes) <= asked
    text = (HEADER + "".join(f"{rid('STB', period, c)},paid,FT{c},{TOTAL},\n" for c in codes)).encode()
    cut = service().post_results("admin:test", text, budget(2))
    assert (cut["complete"], cut["not_reached"], cut["paid"], len(cut["results"])) == (False, 1, 2, 2)
    done = service().post_results("admin:test", text)
    assert (done["complete"], done["paid"], done["duplicates"]) == (True, 1, 2)
    for c in codes:
        assert invoice(f"INV-{c}-202405").status == "paid"
        assert len(entries(c)) == 1
        assert_sound(c)
