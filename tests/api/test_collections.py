"""Cash collected in the field, prints and end-of-day reconciliation, through
the handlers (a staff member logged in on its device) on DynamoDB Local."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from datetime import datetime, timedelta

import pytest

from chalicelib.adapters.clock import VN_TZ

PASSWORD = "Thu-tien-2024"
IMEI = "35693803564{:04d}"
_n = itertools.count(1)
WATER = 66000  # invoice_item: + VAT 5 % 3,300 + fee 10 % 6,600
TOTAL = 75900


class Staff:
    def __init__(self, api, login, token, imei, full_name):
        self.api, self.login, self.token, self.imei, self.full_name = api, login, token, imei, full_name
        self.headers = {"X-Device-Imei": imei, "X-App-Version": "1.2.0"}

    def get(self, path):
        return self.api.get(path, token=self.token, headers=self.headers)

    def post(self, path, body):
        return self.api.post(path, body, token=self.token, headers=self.headers)

    def collect(self, invoice_id, amount=TOTAL, collection_id=None, **extra):
        body = {
            "collection_id": collection_id or f"col-{secrets.token_hex(8)}",
            "invoice_id": invoice_id,
            "amount": amount,
            "collected_at": datetime.now(VN_TZ).isoformat(timespec="seconds"),
            "lat": 9.1769,
            "lng": 105.1524,
            **extra,
        }
        return self.post("/v1/staff/collections", body), body

    @property
    def identity(self):
        from chalicelib.domain.tokens import Identity

        return Identity(account_id=f"staff:{self.login}", role="staff", device=self.imei)


@pytest.fixture
def staff(api, admin):
    """A staff account created by an admin, logged in on its device."""

    def make(branch="TP Ca Mau"):
        n = next(_n)
        login = f"thu{n:02d}{secrets.token_hex(2)}"
        full_name = f"Nguyễn Văn Thu {n}"
        r = api.post(
            "/v1/admin/staff",
            {"username": login, "password": PASSWORD, "full_name": full_name, "branch": branch},
            token=admin,
        )
        assert r.status_code == 201, r.json
        imei = IMEI.format(n)
        r = api.post(
            "/v1/staff/login",
            {"username": login, "password": PASSWORD, "device_imei": imei, "app_version": "1.2.0"},
            token="",
        )
        assert r.status_code == 200, r.json
        return Staff(api, login, r.json["access_token"], imei, full_name)

    return make


@pytest.fixture
def unpaid(new_customer):
    """A cash-paying customer's unpaid invoice of 75,900 VND; returns (customer, invoice_id)."""

    def make(**changes):
        c = new_customer(invoices=[("2024-05", 100, 111, WATER, "unpaid")])
        if changes:
            c.update(actions=[getattr(type(c), k).set(v) for k, v in changes.items()])
        return c, f"INV-{c.code}-202405"

    return make


def _invoice(invoice_id):
    from chalicelib.store.models import InvoiceModel

    return InvoiceModel.get(invoice_id, consistent_read=True)


def _service():
    from chalicelib.api.collections import collections

    return collections()


def _account_credit(code):
    from chalicelib.store.models import CustomerAccountModel
    from chalicelib.store.repositories import get_or_none

    account = get_or_none(CustomerAccountModel, code, consistent_read=True)
    return int(account.credit or 0) if account is not None else 0


def _cash_entries(code):
    """The account's ledger postings on the cash channel."""
    from chalicelib.store.models import LedgerEntryModel

    return [e for e in LedgerEntryModel.query(code, consistent_read=True) if e.channel == "cash"]


def _bank_pays(invoice_id, amount, ref=None):
    """Another channel pays the invoice, through the ledger: a bank transfer naming it."""
    from chalicelib import deps
    from chalicelib.services.ledger import IncomingPayment, Target

    ref = ref or f"FT{secrets.token_hex(6).upper()}"
    code = _invoice(invoice_id).customer_code
    money = IncomingPayment(
        channel="bank_transfer",
        payment_id=f"bank#TEST#{ref}",
        external_ref=ref,
        amount=amount,
        received_at=int(time.time()),
        posted_by="test",
        paid_at=datetime.now(VN_TZ).isoformat(timespec="seconds"),
        display={"bank_ref": ref},
    )
    return deps.ledger().post_payment(money, Target(customer_code=code, invoice_ids=[invoice_id]))


def test_collecting_writes_a_receipt_and_pays_the_invoice_with_consecutive_numbers(staff, unpaid):
    worker = staff()
    year = datetime.now(VN_TZ).year
    numbers = []
    for _ in range(3):
        customer, invoice_id = unpaid()
        r, body = worker.collect(invoice_id)
        assert r.status_code == 201, r.json
        receipt = r.json
        assert receipt["invoice_id"] == invoice_id and receipt["amount"] == TOTAL
        assert receipt["amount_text"] == "75.900 đ" and receipt["staff"] == worker.login
        assert receipt["amount_in_words"] == "Bảy mươi lăm nghìn chín trăm đồng"
        assert receipt["allocated"] == TOTAL and receipt["credited"] == 0 and "notice" not in receipt
        numbers.append(receipt["receipt_no"])
        inv = _invoice(invoice_id)
        assert inv.status == "paid" and inv.customer_status == f"{customer.code}#paid"
        assert int(inv.paid_amount) == TOTAL and _account_credit(customer.code) == 0
        [payment] = [dict(p) for p in inv.payments]
        assert payment["channel"] == "cash" and payment["receipt_no"] == receipt["receipt_no"]
        assert payment["staff"] == worker.login and int(payment["amount"]) == TOTAL
        assert payment["collected_at"] == body["collected_at"] == receipt["collected_at"]
    code = worker.login.upper()
    assert numbers == [f"{code}-{year}-{i:06d}" for i in (1, 2, 3)]
    # Another worker has its own series.
    other = staff()
    r, _ = other.collect(unpaid()[1])
    assert r.json["receipt_no"] == f"{other.login.upper()}-{year}-000001"


def test_simultaneous_collections_of_one_worker_get_gap_free_numbers(staff, unpaid):
    from chalicelib.errors import AppError

    worker = staff()
    service, ident = _service(), worker.identity
    invoices = [unpaid()[1] for _ in range(8)]
    results, errors, barrier = [], [], threading.Barrier(len(invoices))
    now = datetime.now(VN_TZ).isoformat(timespec="seconds")

    def collect(invoice_id):
        barrier.wait()
        try:
            results.append(
                service.collect(
                    ident,
                    {
                        "collection_id": f"par-{invoice_id}",
                        "invoice_id": invoice_id,
                        "amount": TOTAL,
                        "collected_at": now,
                    },
                )[0]
            )
        except AppError as err:
            errors.append(err.code)

    threads = [threading.Thread(target=collect, args=(i,)) for i in invoices]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    numbers = sorted(int(r["receipt_no"].rsplit("-", 1)[1]) for r in results)
    assert numbers == list(range(1, len(invoices) + 1))


def test_the_same_collection_id_again_returns_the_first_receipt_and_pays_once(staff, unpaid):
    worker = staff()
    _, invoice_id = unpaid()
    first, body = worker.collect(invoice_id)
    assert first.status_code == 201
    again = worker.post("/v1/staff/collections", body)  # the device re-sends after a lost answer
    assert again.status_code == 200 and again.json == first.json
    assert len(_invoice(invoice_id).payments) == 1
    # Same id, different collection: refused, nothing written.
    _, other_invoice = unpaid()
    r = worker.post("/v1/staff/collections", dict(body, invoice_id=other_invoice))
    assert r.status_code == 409 and r.json["code"] == "COLLECTION_ID_REUSED"
    assert _invoice(other_invoice).status == "unpaid"
    # Same invoice, a new id (a double tap that made a new id, or a second worker): the cash is in a
    # hand, so it is recorded (issue 13) as credit, and the worker is told the invoice was paid in cash.
    r, _ = worker.collect(invoice_id)
    assert r.status_code == 201 and r.json["credited"] == TOTAL and r.json["allocated"] == 0, r.json
    assert r.json["receipt_no"].endswith("-000002")
    assert r.json["notice"]["code"] == "ALREADY_PAID_IN_CASH"
    assert "tiền mặt" in r.json["notice"]["message_vi"] and first.json["receipt_no"] in r.json["notice"]["message_vi"]
    assert len(_invoice(invoice_id).payments) == 1 and int(_invoice(invoice_id).paid_amount) == TOTAL
    assert _account_credit(_invoice(invoice_id).customer_code) == TOTAL


def test_the_amount_must_be_exactly_the_outstanding_total(staff, unpaid):
    worker = staff()
    _, invoice_id = unpaid()
    for amount in (TOTAL - 1, TOTAL + 1000):
        r, _ = worker.collect(invoice_id, amount=amount)
        assert r.status_code == 400 and r.json["code"] == "AMOUNT_MISMATCH" and r.json["field"] == "amount"
        assert "75.900 đ" in r.json["message"]
    assert _invoice(invoice_id).status == "unpaid"


def test_cash_taken_offline_for_a_bill_corrected_meanwhile_is_recorded_whatever_the_amount(staff, unpaid):
    """An offline device took the bill's amount as it stood; the bill was corrected before it came
    back online. The money is in the worker's hand: it is recorded, the invoice takes what it owes
    and the rest goes on the account (or the invoice stays partly open)."""
    from chalicelib.store.models import InvoiceModel

    worker = staff()
    two_days_ago = (datetime.now(VN_TZ) - timedelta(days=2)).isoformat(timespec="seconds")
    for new_total, allocated, credited in ((TOTAL - 20000, TOTAL - 20000, 20000), (TOTAL + 10000, TOTAL, 0)):
        customer, invoice_id = unpaid()
        InvoiceModel(invoice_id).update(actions=[InvoiceModel.total.set(new_total)])  # the correction
        r, _ = worker.collect(invoice_id, amount=TOTAL, collected_at=two_days_ago)
        assert r.status_code == 201, r.json
        assert (r.json["allocated"], r.json["credited"]) == (allocated, credited)
        inv = _invoice(invoice_id)
        assert int(inv.paid_amount) == allocated and _account_credit(customer.code) == credited
        assert inv.status == ("paid" if allocated == new_total else "unpaid")


@pytest.mark.parametrize(
    "change,field",
    [
        ({"amount": "75900"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": 75900.0}, "amount"),
        ({"collection_id": "short"}, "collection_id"),
        ({"invoice_id": "../x"}, "invoice_id"),
        ({"collected_at": "yesterday"}, "collected_at"),
        ({"collected_at": "2020-01-01T10:00:00+07:00"}, "collected_at"),
        ({"lat": 95}, "lat"),
        ({"lng": "105"}, "lng"),
    ],
)
def test_bad_collections_are_400_naming_the_field(staff, unpaid, change, field):
    _, invoice_id = unpaid()
    r, _ = staff().collect(change.pop("invoice_id", invoice_id), **change)
    assert r.status_code == 400 and r.json.get("field") == field, r.json
    assert _invoice(invoice_id).status == "unpaid"


def test_a_worker_collects_and_prints_only_for_customers_of_their_own_branch(staff, unpaid):
    from chalicelib.store.models import AccountModel

    other_branch = staff(branch="Nam Can")
    customer, invoice_id = unpaid()  # a customer of TP Ca Mau
    r, _ = other_branch.collect(invoice_id)
    assert r.status_code == 403 and r.json["code"] == "OUTSIDE_BRANCH", r.json
    assert _invoice(invoice_id).status == "unpaid" and not _invoice(invoice_id).payments
    for r in (
        other_branch.post("/v1/staff/prints", {"invoice_id": invoice_id, "kind": "notice"}),
        other_branch.get(f"/v1/staff/invoices/{invoice_id}/print"),
    ):
        assert r.status_code == 403 and r.json["code"] == "OUTSIDE_BRANCH", r.json
        assert customer.name not in str(r.json) and customer.address not in str(r.json)
    assert _service().store.print_count(invoice_id, "notice") == 0
    # Moved to TP Ca Mau: the next call sees it, without a new login; the refused tries used no receipt number.
    AccountModel(f"staff:{other_branch.login}").update(actions=[AccountModel.branch.set("TP Ca Mau")])
    r, _ = other_branch.collect(invoice_id)
    assert r.status_code == 201, r.json
    assert r.json["receipt_no"].endswith("-000001")
    # A customer with no branch on record is not limited.
    unlisted, no_branch = unpaid()
    unlisted.update(actions=[type(unlisted).branch.remove()])
    r, _ = staff(branch="Nam Can").collect(no_branch)
    assert r.status_code == 201, r.json


def test_unknown_invoice_is_404(staff):
    r, _ = staff().collect("INV-00000000-209901")
    assert r.status_code == 404 and r.json["code"] == "INVOICE_NOT_FOUND"


def test_no_cash_when_the_reading_rules_said_no(staff, unpaid):
    from chalicelib.store.models import InvoiceModel

    worker = staff()
    _, invoice_id = unpaid()
    InvoiceModel(invoice_id).update(actions=[InvoiceModel.field_collect.set(0)])
    r, _ = worker.collect(invoice_id)
    assert r.status_code == 409 and r.json["code"] == "COLLECTION_NOT_ALLOWED"
    assert "Không được thu tiền mặt" in r.json["message"] and "giấy báo" in r.json["message"]
    assert _invoice(invoice_id).status == "unpaid"
    _, allowed = unpaid()
    InvoiceModel(allowed).update(actions=[InvoiceModel.field_collect.set(1)])
    assert worker.collect(allowed)[0].status_code == 201


@pytest.mark.parametrize("channel,words", [("bank_transfer", "chuyển khoản"), ("authorised_debit", "nhờ thu")])
def test_no_cash_from_customers_who_pay_by_bank(staff, unpaid, channel, words):
    worker = staff()
    _, invoice_id = unpaid(payment_channel=channel)
    r, _ = worker.collect(invoice_id)
    assert r.status_code == 409 and r.json["code"] == "COLLECTION_NOT_ALLOWED" and words in r.json["message"]
    assert _invoice(invoice_id).status == "unpaid"


def _open_order(invoice_id):
    """A VNPay order holding the invoice, as POST /v1/payments opens it."""
    from chalicelib.ports.money import NewOrder
    from chalicelib.store.payments import OrderStore

    inv = _invoice(invoice_id)
    now = int(time.time())
    order = NewOrder(
        f"{secrets.randbelow(10**12):012d}",
        account_id=f"customer:{inv.customer_code}",
        invoice_ids=[invoice_id],
        items=[
            {
                "invoice_id": invoice_id,
                "customer_code": inv.customer_code,
                "period": inv.period,
                "amount": int(inv.total),
            }
        ],
        amount=int(inv.total),
        fee=0,
        status="pending",
        created_at=now,
        expires_at=now + 900,
        vnp_create_date="20240605093000",
        order_info="Thanh toan",
        locale="vn",
        client_ip="1.2.3.4",
        payment_url="https://sandbox.example/pay",
        qr_payload="000201",
        credit_amount=0,
    )
    OrderStore().open(order, now)
    return order


def _vnpay_pays(order, txn):
    from chalicelib import deps

    return deps.payments().settle(
        order,
        {"vnp_ResponseCode": "00", "vnp_TransactionStatus": "00", "vnp_TransactionNo": txn, "vnp_BankCode": "NCB"},
        applied_by="ipn",
    )


@pytest.mark.parametrize("paid_by", ["vnpay", "bank_transfer"])
def test_cash_taken_offline_for_an_invoice_paid_meanwhile_is_recorded_as_credit(api, admin, staff, unpaid, paid_by):
    """Issue 13, defect 4: a device offline for days sends the cash it took for an invoice VNPay
    (or a bank) paid meanwhile. It used to be a 409 and the cash was recorded nowhere; now it has
    a receipt, is posted once to the customer's account as credit, and is in the hand-over."""
    from chalicelib.store.models import PaymentModel

    worker = staff()
    customer, invoice_id = unpaid()
    if paid_by == "vnpay":
        assert _vnpay_pays(_open_order(invoice_id), f"77{secrets.randbelow(10**6):06d}")[0] == "00"
    else:
        _bank_pays(invoice_id, TOTAL)
    assert _invoice(invoice_id).status == "paid"
    collected = (datetime.now(VN_TZ) - timedelta(days=3)).replace(microsecond=0)
    r, body = worker.collect(invoice_id, collected_at=collected.isoformat())
    assert r.status_code == 201, r.json
    receipt = r.json
    assert receipt["receipt_no"] == f"{worker.login.upper()}-{collected.year}-000001"
    assert receipt["amount"] == TOTAL and receipt["allocated"] == 0 and receipt["credited"] == TOTAL
    assert receipt["date"] == collected.date().isoformat()
    notice = receipt["notice"]
    assert notice["code"] == "ALREADY_PAID_ONLINE"
    assert "already paid online" in notice["message_en"] and "give it back" in notice["message_en"]
    assert "75.900 đ" in notice["message_vi"] and "ghi có vào tài khoản" in notice["message_vi"]
    assert {"vnpay": "VNPay", "bank_transfer": "chuyển khoản"}[paid_by] in notice["message_vi"]
    # Posted once on the cash channel: all of it credit on the customer's account.
    [entry] = _cash_entries(customer.code)
    assert entry.payment_id == f"cash#{body['collection_id']}" and entry.external_ref == receipt["receipt_no"]
    assert [(line["kind"], int(line["amount"])) for line in entry.lines] == [("payment", TOTAL)]
    assert int(entry.credit_delta) == TOTAL and entry.posted_by == f"staff:{worker.login}"
    assert _account_credit(customer.code) == TOTAL
    payment = PaymentModel.get(f"cash#{body['collection_id']}", consistent_read=True)
    assert (payment.channel, int(payment.amount), int(payment.allocated), int(payment.credited)) == (
        "cash",
        TOTAL,
        0,
        TOTAL,
    )
    # The invoice keeps the one payment that paid it.
    inv = _invoice(invoice_id)
    assert [dict(p)["channel"] for p in inv.payments] == [paid_by] and int(inv.paid_amount) == TOTAL
    # The device sends it again after a lost answer: the first receipt, nothing posted twice.
    again = worker.post("/v1/staff/collections", body)
    assert again.status_code == 200 and again.json == receipt
    assert len(_cash_entries(customer.code)) == 1 and _account_credit(customer.code) == TOTAL
    # The customer gets a receipt that says where the money went.
    for r in (
        worker.post("/v1/staff/prints", {"invoice_id": invoice_id, "kind": "receipt"}),
        worker.get(f"/v1/staff/invoices/{invoice_id}/print?kind=receipt&collection_id={body['collection_id']}"),
    ):
        assert r.status_code == 200, r.json
        flat = " ".join(r.json["text"].split())
        assert f"Số: {receipt['receipt_no']}" in flat and "Ghi có tài khoản 75.900 đ" in flat, flat
        assert "Bảy mươi lăm nghìn chín trăm đồng" in flat and worker.full_name in flat
    # The hand-over of that day counts it: it is cash the worker holds.
    day = worker.get(f"/v1/staff/reconciliation?date={collected.date().isoformat()}").json
    assert day["count"] == 1 and day["cash_total"] == TOTAL and day["not_handed_over"] == TOTAL
    [row] = day["receipts"]
    assert row["receipt_no"] == receipt["receipt_no"] and row["credited"] == TOTAL and row["print_count"] == 1
    r = api.post(
        "/v1/admin/reconciliation/handover",
        {"staff": worker.login, "date": collected.date().isoformat(), "handed_over": TOTAL},
        token=admin,
    )
    assert r.status_code == 200 and r.json["handover"]["expected"] == TOTAL and r.json["not_handed_over"] == 0


def test_cash_for_an_invoice_partly_paid_meanwhile_pays_the_rest_and_credits_the_excess(staff, unpaid):
    worker = staff()
    customer, invoice_id = unpaid()
    _bank_pays(invoice_id, 50000)
    assert _invoice(invoice_id).status == "unpaid" and int(_invoice(invoice_id).paid_amount) == 50000
    r, body = worker.collect(invoice_id)
    assert r.status_code == 201, r.json
    assert (r.json["amount"], r.json["allocated"], r.json["credited"]) == (TOTAL, TOTAL - 50000, 50000)
    notice = r.json["notice"]
    assert notice["code"] == "ALREADY_PAID_ONLINE" and "partly" in notice["message_en"]
    assert "25.900 đ" in notice["message_vi"] and "50.000 đ" in notice["message_vi"]
    inv = _invoice(invoice_id)
    assert inv.status == "paid" and int(inv.paid_amount) == TOTAL
    cash = [dict(p) for p in inv.payments if dict(p)["channel"] == "cash"]
    assert [(p["receipt_no"], int(p["amount"]), p["collection_id"]) for p in cash] == [
        (r.json["receipt_no"], TOTAL - 50000, body["collection_id"])
    ]
    assert _account_credit(customer.code) == 50000
    [entry] = _cash_entries(customer.code)
    assert sorted((line["kind"], int(line["amount"])) for line in entry.lines) == [
        ("allocation", TOTAL - 50000),
        ("payment", TOTAL),
    ]
    printed = " ".join(
        worker.post("/v1/staff/prints", {"invoice_id": invoice_id, "kind": "receipt"}).json["text"].split()
    )
    assert "Đã thu 75.900 đ" in printed and "Trả hoá đơn 25.900 đ" in printed
    assert "Ghi có tài khoản 50.000 đ" in printed
    # Once something was paid, whatever the worker holds is recorded (no AMOUNT_MISMATCH).
    other, other_invoice = unpaid()
    _bank_pays(other_invoice, 70000)
    r, _ = worker.collect(other_invoice, amount=10000)
    assert r.status_code == 201 and (r.json["allocated"], r.json["credited"]) == (TOTAL - 70000, 10000 - 5900)
    assert _invoice(other_invoice).status == "paid" and _account_credit(other.code) == 4100


def test_what_refuses_cash_still_refuses_it_when_the_invoice_was_paid_meanwhile(staff, unpaid):
    from chalicelib.store.models import InvoiceModel, ReceiptModel

    worker, elsewhere = staff(), staff(branch="Nam Can")
    year = datetime.now(VN_TZ).year
    by_bank, bank_invoice = unpaid(payment_channel="bank_transfer")
    flagged, flagged_invoice = unpaid()
    InvoiceModel(flagged_invoice).update(actions=[InvoiceModel.field_collect.set(0)])
    other_branch, other_invoice = unpaid()
    for invoice_id in (bank_invoice, flagged_invoice, other_invoice):
        _bank_pays(invoice_id, TOTAL)
    for who, invoice_id, status, code in (
        (worker, bank_invoice, 409, "COLLECTION_NOT_ALLOWED"),
        (worker, flagged_invoice, 409, "COLLECTION_NOT_ALLOWED"),
        (elsewhere, other_invoice, 403, "OUTSIDE_BRANCH"),
    ):
        r, body = who.collect(invoice_id)
        assert r.status_code == status and r.json["code"] == code, r.json
        assert ReceiptModel.count(body["collection_id"]) == 0
    for customer in (by_bank, flagged, other_branch):
        assert _cash_entries(customer.code) == [] and _account_credit(customer.code) == 0
    for who in (worker, elsewhere):
        assert _service().store.last_number(f"receipt#{who.login}#{year}") == 0
    # Nothing paid yet: a wrong amount is still a typo to fix before anything is recorded.
    _, fresh = unpaid()
    r, body = worker.collect(fresh, amount=TOTAL + 100)
    assert r.status_code == 400 and r.json["code"] == "AMOUNT_MISMATCH"
    assert ReceiptModel.count(body["collection_id"]) == 0


def test_cash_with_an_open_vnpay_order_wins_and_the_later_vnpay_money_is_a_credit(staff, unpaid):
    from chalicelib.store.models import PaymentModel

    worker = staff()
    _, invoice_id = unpaid()
    order = _open_order(invoice_id)
    r, _ = worker.collect(invoice_id)
    assert r.status_code == 201
    txn = f"78{secrets.randbelow(10**6):06d}"
    assert _vnpay_pays(order, txn)[0] == "00"
    assert [dict(p)["channel"] for p in _invoice(invoice_id).payments] == ["cash"]
    # On the ledger (issue 13) VNPay's money is posted, all of it credit on the account, not a credit item.
    online = PaymentModel.get(f"vnpay#{txn}", consistent_read=True)
    assert int(online.amount) == TOTAL and int(online.credited) == TOTAL and int(online.allocated) == 0
    assert _account_credit(_invoice(invoice_id).customer_code) == TOTAL


def test_cash_racing_vnpay_exactly_one_takes_the_invoice_and_the_other_is_credit(staff, unpaid):
    from chalicelib.errors import AppError
    from chalicelib.store.models import PaymentModel, ReceiptModel

    worker = staff()
    service, ident = _service(), worker.identity
    outcomes = []
    for round_ in range(6):
        customer, invoice_id = unpaid()
        order = _open_order(invoice_id)
        txn = f"79{secrets.randbelow(10**6):06d}"
        collection_id = f"race-{invoice_id}"
        barrier, cash, vnpay = threading.Barrier(2), {}, {}

        def take_cash():
            barrier.wait()
            try:
                cash["receipt"] = service.collect(
                    ident,
                    {
                        "collection_id": collection_id,
                        "invoice_id": invoice_id,
                        "amount": TOTAL,
                        "collected_at": datetime.now(VN_TZ).isoformat(timespec="seconds"),
                    },
                )[0]
            except AppError as err:
                cash["error"] = (err.status, err.code, err.message_vi)

        def pay_online():
            barrier.wait()
            time.sleep((0, 0.002, 0.2)[round_ % 3])  # cash does more reads first: let it win sometimes
            vnpay["rsp"] = _vnpay_pays(order, txn)[0]

        threads = [threading.Thread(target=take_cash), threading.Thread(target=pay_online)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        inv = _invoice(invoice_id)
        payments = [dict(p) for p in inv.payments]
        assert inv.status == "paid" and len(payments) == 1, payments  # one payment, whoever won
        assert vnpay["rsp"] == "00"  # VNPay is always answered
        # The cash in the worker's hand always has its receipt (issue 13); the loser's money is credit.
        assert "error" not in cash, cash
        receipt = cash["receipt"]
        assert ReceiptModel.count(collection_id) == 1
        online = PaymentModel.get(f"vnpay#{txn}", consistent_read=True)
        if payments[0]["channel"] == "cash":
            assert payments[0]["receipt_no"] == receipt["receipt_no"] and receipt["credited"] == 0
            assert int(online.credited) == TOTAL  # the online money is kept as credit
            outcomes.append("cash")
        else:
            assert receipt["credited"] == TOTAL and receipt["notice"]["code"] == "ALREADY_PAID_ONLINE"
            assert int(online.credited) == 0
            outcomes.append("vnpay")
        # Money is conserved: both amounts are on the invoice or on the account, once.
        assert int(inv.paid_amount) == TOTAL and _account_credit(customer.code) == TOTAL
    # Every round issued a receipt: the numbers stay gap-free whoever won.
    year = datetime.now(VN_TZ).year
    assert _service().store.last_number(f"receipt#{worker.login}#{year}") == len(outcomes) == 6


def test_one_collection_sent_many_times_racing_another_payment_records_the_money_once(staff, unpaid):
    """The device re-sends one collection from several threads while a bank transfer for the same
    invoice is posted: one receipt, one posting, and every dong is on the invoice or the account."""
    from chalicelib.errors import AppError
    from chalicelib.store.models import PaymentModel, ReceiptModel

    worker = staff()
    service, ident = _service(), worker.identity
    senders = 4
    for round_ in range(4):
        customer, invoice_id = unpaid()
        transfer = 30000 if round_ % 2 else TOTAL  # another payment of part, or all, of the invoice
        body = {
            "collection_id": f"dup-{invoice_id}",
            "invoice_id": invoice_id,
            "amount": TOTAL,
            "collected_at": datetime.now(VN_TZ).isoformat(timespec="seconds"),
        }
        barrier, answers, errors = threading.Barrier(senders + 1), [], []

        def send():
            barrier.wait()
            try:
                answers.append(service.collect(ident, dict(body)))
            except AppError as err:
                errors.append(err.code)

        def transfer_in():
            barrier.wait()
            time.sleep(0.2 if round_ >= 2 else 0)  # the cash first, sometimes
            _bank_pays(invoice_id, transfer)

        threads = [threading.Thread(target=send) for _ in range(senders)] + [threading.Thread(target=transfer_in)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == []
        assert sorted(created for _, created in answers) == [False] * (senders - 1) + [True]
        first = next(view for view, created in answers if created)
        assert all(view == first for view, _ in answers), answers  # replays give the first receipt
        assert ReceiptModel.count(body["collection_id"]) == 1 and len(_cash_entries(customer.code)) == 1
        cash = PaymentModel.get(f"cash#{body['collection_id']}", consistent_read=True)
        assert (int(cash.allocated), int(cash.credited)) == (first["allocated"], first["credited"])
        inv = _invoice(invoice_id)
        assert inv.status == "paid" and int(inv.paid_amount) == TOTAL
        assert int(inv.paid_amount) + _account_credit(customer.code) == TOTAL + transfer  # conserved
    year = datetime.now(VN_TZ).year
    assert _service().store.last_number(f"receipt#{worker.login}#{year}") == 4


def test_prints_are_counted_and_reprints_show(staff, unpaid):
    worker = staff()
    customer, invoice_id = unpaid(payment_channel="bank_transfer")
    first = worker.post("/v1/staff/prints", {"invoice_id": invoice_id, "kind": "notice"})
    assert first.status_code == 200, first.json
    assert first.json["print_count"] == 1 and first.json["reprint"] is False
    text = first.json["text"]
    assert all(len(line) <= 32 for line in text.splitlines())
    flat = " ".join(text.split())
    assert "GIẤY BÁO TIỀN NƯỚC" in flat and "75.900 đ" in flat and customer.code in flat
    assert "Chưa thu tại nhà: Khách hàng thanh toán bằng chuyển khoản." in flat
    second = worker.post("/v1/staff/prints", {"invoice_id": invoice_id, "kind": "notice", "reason": "Khách vắng nhà"})
    assert second.json["print_count"] == 2 and second.json["reprint"] is True
    assert "Chưa thu tại nhà: Khách vắng nhà" in " ".join(second.json["text"].split())
    preview = worker.get(f"/v1/staff/invoices/{invoice_id}/print?kind=notice")
    assert preview.status_code == 200 and preview.json["print_count"] == 2 and "GIẤY BÁO" in preview.json["text"]
    assert worker.post("/v1/staff/prints", {"invoice_id": invoice_id, "kind": "notice"}).json["print_count"] == 3
    # No receipt before cash was taken; bad kinds and unknown invoices.
    r = worker.post("/v1/staff/prints", {"invoice_id": invoice_id, "kind": "receipt"})
    assert r.status_code == 409 and r.json["code"] == "NO_RECEIPT"
    assert worker.post("/v1/staff/prints", {"invoice_id": invoice_id, "kind": "bill"}).json["field"] == "kind"
    assert worker.post("/v1/staff/prints", {"invoice_id": "INV-0-000000", "kind": "notice"}).status_code == 404
    assert worker.get(f"/v1/staff/invoices/{invoice_id}/print?kind=x").status_code == 400


def test_a_receipt_prints_after_cash_and_a_notice_no_longer_does(staff, unpaid):
    worker = staff()
    _, invoice_id = unpaid()
    receipt = worker.collect(invoice_id)[0].json
    r = worker.post("/v1/staff/prints", {"invoice_id": invoice_id, "kind": "receipt"})
    assert r.status_code == 200 and r.json["print_count"] == 1 and r.json["reprint"] is False
    flat = " ".join(r.json["text"].split())
    for expected in (
        "BIÊN NHẬN THU TIỀN NƯỚC",
        f"Số: {receipt['receipt_no']}",
        "75.900 đ",
        "Bảy mươi lăm nghìn chín trăm đồng",
        worker.full_name,
        "Liên 2: giao khách hàng",
        "Chỉ số cũ 100",
        "Chỉ số mới 111",
        "11 m³",
        "05/2024",
    ):
        assert expected in flat, expected
    assert worker.post("/v1/staff/prints", {"invoice_id": invoice_id, "kind": "receipt"}).json["reprint"] is True
    r = worker.post("/v1/staff/prints", {"invoice_id": invoice_id, "kind": "notice"})
    assert r.status_code == 409 and r.json["code"] == "INVOICE_ALREADY_PAID"


def test_reconciliation_lists_the_days_receipts_and_the_handover_difference(api, admin, staff, unpaid):
    from chalicelib.store.audit import AuditStore

    worker, other = staff(), staff()
    today = datetime.now(VN_TZ).date().isoformat()
    collected = [worker.collect(unpaid()[1])[0].json for _ in range(3)]
    other.collect(unpaid()[1])
    worker.post("/v1/staff/prints", {"invoice_id": collected[0]["invoice_id"], "kind": "receipt"})
    worker.post("/v1/staff/prints", {"invoice_id": collected[0]["invoice_id"], "kind": "receipt"})

    r = worker.get("/v1/staff/reconciliation")
    assert r.status_code == 200, r.json
    day = r.json
    assert day["date"] == today and day["staff"] == worker.login
    assert day["count"] == 3 and day["cash_total"] == 3 * TOTAL and day["cash_total_text"] == "227.700 đ"
    assert [x["receipt_no"] for x in day["receipts"]] == [c["receipt_no"] for c in collected]
    assert [x["print_count"] for x in day["receipts"]] == [2, 0, 0]
    assert {x["invoice_id"] for x in day["receipts"]} == {c["invoice_id"] for c in collected}
    assert day["handover"] is None and day["not_handed_over"] == 3 * TOTAL
    assert worker.get(f"/v1/staff/reconciliation?date={today}").json == day
    assert worker.get("/v1/staff/reconciliation?date=2020-01-01").json["count"] == 0
    assert worker.get("/v1/staff/reconciliation?date=2024-02-30").status_code == 400

    # The manager counts 10,000 VND short.
    r = api.post(
        "/v1/admin/reconciliation/handover",
        {"staff": worker.login, "date": today, "handed_over": 3 * TOTAL - 10000, "note": "thiếu 10.000"},
        token=admin,
    )
    assert r.status_code == 200, r.json
    handover = r.json["handover"]
    assert handover["expected"] == 3 * TOTAL and handover["handed_over"] == 3 * TOTAL - 10000
    assert handover["difference"] == -10000 and handover["received_by"] == "admin:admin"
    assert r.json["not_handed_over"] == 10000
    assert worker.get("/v1/staff/reconciliation").json["handover"] == handover
    seen = api.get(f"/v1/admin/reconciliation?staff={worker.login}&date={today}", token=admin).json
    assert seen["handover"] == handover and seen["count"] == 3 and seen["cash_total"] == 3 * TOTAL
    # Recounted: replaced, and both changes are in the audit trail.
    r = api.post(
        "/v1/admin/reconciliation/handover",
        {"staff": worker.login, "date": today, "handed_over": 3 * TOTAL},
        token=admin,
    )
    assert r.json["handover"]["difference"] == 0 and r.json["not_handed_over"] == 0
    trail = AuditStore().for_entity(f"handover#{worker.login}#{today}")
    assert len(trail) == 2 and all(a.actor == "admin:admin" for a in trail)
    # Other staff's day is its own.
    assert other.get("/v1/staff/reconciliation").json["count"] == 1


def test_handover_input_is_checked(api, admin, staff):
    worker = staff()
    today = datetime.now(VN_TZ).date().isoformat()
    for body, field in (
        ({"date": today, "handed_over": 0}, "staff"),
        ({"staff": worker.login, "date": "today", "handed_over": 0}, "date"),
        ({"staff": worker.login, "date": today, "handed_over": -1}, "handed_over"),
        ({"staff": worker.login, "date": today, "handed_over": "5"}, "handed_over"),
    ):
        r = api.post("/v1/admin/reconciliation/handover", body, token=admin)
        assert r.status_code == 400 and r.json["field"] == field
    r = api.post(
        "/v1/admin/reconciliation/handover", {"staff": "nobody-here", "date": today, "handed_over": 0}, token=admin
    )
    assert r.status_code == 404 and r.json["code"] == "STAFF_NOT_FOUND"
    assert api.get("/v1/admin/reconciliation", token=admin).json["field"] == "staff"


def test_reconciliation_is_one_query_and_never_scans(api, staff, unpaid, monkeypatch):
    import collections as pycollections

    from pynamodb.connection.base import Connection

    worker = staff()
    for _ in range(2):
        _, invoice_id = unpaid()
        worker.collect(invoice_id)
        worker.post("/v1/staff/prints", {"invoice_id": invoice_id, "kind": "receipt"})
    seen = pycollections.Counter()
    original = Connection._make_api_call

    def counting(self, operation_name, operation_kwargs, *a, **kw):
        seen[operation_name] += 1
        return original(self, operation_name, operation_kwargs, *a, **kw)

    monkeypatch.setattr(Connection, "_make_api_call", counting)
    assert worker.get("/v1/staff/reconciliation").json["count"] == 2
    assert seen["Query"] == 1 and seen["BatchGetItem"] == 1 and "Scan" not in seen, seen


def test_customers_cannot_call_staff_routes_and_staff_not_admin_ones(api, registered, staff, unpaid):
    _, tokens = registered()
    customer_token = tokens["access_token"]
    _, invoice_id = unpaid()
    body = {
        "collection_id": "col-customer-0001",
        "invoice_id": invoice_id,
        "amount": TOTAL,
        "collected_at": datetime.now(VN_TZ).isoformat(timespec="seconds"),
    }
    assert api.post("/v1/staff/collections", body, token=customer_token).status_code == 403
    assert (
        api.post("/v1/staff/prints", {"invoice_id": invoice_id, "kind": "notice"}, token=customer_token).status_code
        == 403
    )
    assert api.get(f"/v1/staff/invoices/{invoice_id}/print", token=customer_token).status_code == 403
    assert api.get("/v1/staff/reconciliation", token=customer_token).status_code == 403
    assert api.post("/v1/staff/collections", body, token="").status_code == 401
    worker = staff()
    assert worker.get("/v1/admin/reconciliation?staff=x").status_code == 403
    assert (
        worker.post(
            "/v1/admin/reconciliation/handover", {"staff": worker.login, "date": "2024-01-01", "handed_over": 0}
        ).status_code
        == 403
    )
    # A staff token from another device is refused before anything is written.
    r = api.post(
        "/v1/staff/collections",
        body,
        token=worker.token,
        headers={"X-Device-Imei": "999999999999999", "X-App-Version": "1.2.0"},
    )
    assert r.status_code == 403 and r.json["code"] == "DEVICE_MISMATCH"
    assert _invoice(invoice_id).status == "unpaid"
