"""Refunds of account credit (issue 13, defect 3 and "Credit on the account"): requested, approved by
another admin (audited), sent once; an unclear VNPay outcome is `unconfirmed` and settled by querydr,
never sent again; a refund that did not happen puts the money back on the account's credit.

VNPay's merchant API is a scripted fake here (its answers signed by this file's own small signer, from
VNPay's rules), and the local VNPay sandbox at the end (the real client over HTTP)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import itertools
import os
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import deps
from chalicelib.adapters.clock import FixedClock

SECRET = os.environ["VNPAY_HASH_SECRET"]
VN = timezone(timedelta(hours=7))
REFUND_ANSWER = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
)
QUERYDR_ANSWER = REFUND_ANSWER + ("vnp_PromotionCode", "vnp_PromotionAmount")
PASSWORD = "Quan-ly-hoan-tien-2024"
_txn = itertools.count(int(time.time()) % 10**6 * 100)
_admins = itertools.count(1)


def signed(fields, secret: str = SECRET, **values) -> dict:
    answer = dict.fromkeys(fields, "")
    answer.update({"vnp_ResponseId": "R" + os.urandom(8).hex(), "vnp_TmnCode": "CSKHTEST"}, **values)
    data = "|".join(str(answer[f]) for f in fields)
    answer["vnp_SecureHash"] = hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()
    return answer


def refund_answer(order, amount, kind, code="00", message="Refund success", **extra) -> dict:
    return signed(
        REFUND_ANSWER,
        vnp_Command="refund",
        vnp_ResponseCode=code,
        vnp_Message=message,
        vnp_TxnRef=order.order_id,
        vnp_Amount=str(amount * 100),
        vnp_TransactionNo=order.transaction_no,
        vnp_TransactionType=kind,
        vnp_TransactionStatus="05" if code == "00" else "",
        **extra,
    )


def querydr_answer(order, transaction_no, kind="01", status="00", code="00") -> dict:
    return signed(
        QUERYDR_ANSWER,
        vnp_Command="querydr",
        vnp_ResponseCode=code,
        vnp_Message="QueryDR Success",
        vnp_TxnRef=order.order_id,
        vnp_Amount=str(int(order.amount) * 100),
        vnp_TransactionNo=transaction_no,
        vnp_TransactionType=kind,
        vnp_TransactionStatus=status,
    )


class FakeVnpay:
    """VNPay's refund and querydr, scripted; every call counted."""

    def __init__(self, refund=None, querydr=None):
        self.refund_script = refund or (lambda order, amount, kind: refund_answer(order, amount, kind))
        self.querydr_script = querydr or (lambda order, number: querydr_answer(order, number))
        self.refunds, self.queries = [], []
        self.lock = threading.Lock()

    def refund(self, order, *, amount_vnd, transaction_no, created_by, transaction_type=None, request_id=None):
        with self.lock:
            self.refunds.append(
                {
                    "order_id": order.order_id,
                    "amount": amount_vnd,
                    "transaction_no": transaction_no,
                    "type": transaction_type,
                    "by": created_by,
                    "request_id": request_id,
                }
            )
        out = self.refund_script(order, amount_vnd, transaction_type)
        if isinstance(out, Exception):
            raise out
        return out

    def querydr(self, order, transaction_no=None):
        with self.lock:
            self.queries.append((order.order_id, transaction_no))
        out = self.querydr_script(order, transaction_no)
        if isinstance(out, Exception):
            raise out
        return out


def unavailable(why: str):
    from chalicelib.adapters.vnpay_client import VnpayUnavailable

    return VnpayUnavailable(why)


# -- the world: an account holding credit from a VNPay payment, two admins -----------------------


def pay_by_vnpay(
    code: str,
    amount: int,
    *,
    vnp_create_date: str | None = None,
    order_info: str | None = None,
    order_id: str | None = None,
    transaction_no: str | None = None,
) -> dict:
    """A VNPay payment of `amount` posted to the account, all of it left as credit (the ledger's one path)."""
    from chalicelib.domain import vnpay
    from chalicelib.services.ledger import IncomingPayment, Target
    from chalicelib.store.models import OrderModel

    txn = transaction_no or str(next(_txn))
    order_id = order_id or f"RFT{txn}"
    now = int(time.time())
    order = OrderModel(
        order_id,
        account_id=f"customer:{code}",
        invoice_ids=[f"INV-{code}-202405"],
        items=[{"invoice_id": f"INV-{code}-202405", "customer_code": code, "period": "2024-05", "amount": amount}],
        amount=amount,
        fee=0,
        status="paid",
        created_at=now,
        expires_at=now + 900,
        vnp_create_date=vnp_create_date or vnpay.vn_time(now),
        order_info=order_info or f"Thanh toan tien nuoc {code} don {order_id}",
        client_ip="127.0.0.1",
        payment_url="https://sandbox.example/pay",
        qr_payload="000201",
        transaction_no=txn,
        credit_amount=amount,
    )
    order.save()
    deps.ledger().post_payment(
        IncomingPayment(
            channel="vnpay",
            payment_id=f"vnpay#{txn}",
            external_ref=txn,
            amount=amount,
            received_at=now,
            posted_by="ipn",
            paid_at=datetime.fromtimestamp(now, VN).isoformat(timespec="seconds"),
            order_id=order_id,
            transaction_no=txn,
        ),
        Target(customer_code=code, credit_only=True),
    )
    return {"payment_id": f"vnpay#{txn}", "transaction_no": txn, "order_id": order_id}


@pytest.fixture
def admins(api, admin):
    """Two managers: the demo one asks, another approves."""
    username = f"hoantien{next(_admins):03d}{os.urandom(2).hex()}"
    deps.auth().create_admin(username, PASSWORD)
    r = api.post("/v1/admin/login", {"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.json
    return admin, r.json["access_token"]


@pytest.fixture
def fake():
    def use(vnpay: FakeVnpay, clock=None) -> FakeVnpay:
        deps.override("vnpay_client", vnpay)
        if clock is not None:
            deps.override("clock", clock)
        return vnpay

    yield use
    deps.reset()


@pytest.fixture
def credit(new_customer):
    """A customer whose account holds `amount` of credit from one VNPay payment."""

    def make(amount: int = 100_000):
        code = new_customer().code
        return code, pay_by_vnpay(code, amount)

    return make


def account_credit(code: str) -> int:
    from chalicelib.store.ledger import LedgerStore

    account = LedgerStore().account(code)
    return int(account.credit or 0) if account is not None else 0


def assert_sound(code: str) -> None:
    """The ledger invariant: what the account's entries add up to is the credit it holds, never negative."""
    from chalicelib.domain import ledger as rules
    from chalicelib.store.ledger import LedgerStore

    entries = LedgerStore().entries(code)
    lines = [line.as_dict() if hasattr(line, "as_dict") else dict(line) for e in entries for line in e.lines]
    held = account_credit(code)
    assert rules.totals(lines).credit == held >= 0, (rules.totals(lines), held)
    assert sum(int(e.credit_delta) for e in entries) == held


def refunded_of(payment_id: str) -> int:
    from chalicelib.store.models import PaymentModel

    return int(PaymentModel.get(payment_id, consistent_read=True).refunded or 0)


def ask(api, token, code, amount, method="vnpay", **more):
    return api.post(
        "/v1/admin/refunds",
        {"customer_code": code, "amount": amount, "method": method, "note": "khách yêu cầu hoàn tiền dư", **more},
        token=token,
    )


# -- the whole way, VNPay answering ---------------------------------------------------------------


def test_a_vnpay_refund_is_asked_approved_by_another_admin_and_sent_once(api, admins, credit, fake):
    asker, approver = admins
    code, paid = credit(100_000)
    vnpay = fake(FakeVnpay())
    r = ask(api, asker, code, 30_000)
    assert r.status_code == 201, r.json
    refund = r.json
    assert refund["status"] == "requested" and refund["payment_id"] == paid["payment_id"]
    assert refund["requested_by"] == "admin:admin" and refund["amount"] == 30_000
    # The credit is taken at once: nobody can ask for it twice, nor does the next bill take it.
    assert account_credit(code) == 70_000
    assert_sound(code)
    # The admin who asked cannot approve.
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", token=asker)
    assert r.status_code == 403 and r.json["code"] == "REFUND_SAME_ADMIN"
    assert vnpay.refunds == []
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", {"note": "đã kiểm tra"}, token=approver)
    assert r.status_code == 200, r.json
    assert r.json["status"] == "refunded" and r.json["approved_by"].startswith("admin:hoantien")
    assert r.json["outcome"].startswith("VNPay 00")
    assert len(vnpay.refunds) == 1
    sent = vnpay.refunds[0]
    assert (sent["amount"], sent["transaction_no"], sent["type"]) == (30_000, paid["transaction_no"], "03")
    assert refunded_of(paid["payment_id"]) == 30_000
    # A second click sends nothing.
    again = api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", token=approver)
    assert again.status_code == 409 and again.json["code"] == "REFUND_NOT_REQUESTED"
    assert len(vnpay.refunds) == 1
    assert account_credit(code) == 70_000
    assert_sound(code)
    # Audited: who asked, who approved.
    trail = api.get(f"/v1/admin/audit?entity=refund%23{refund['refund_id']}", token=asker).json["entries"]
    assert {e["action"] for e in trail} >= {"refund.request", "refund.approve", "refund.refunded"}


def test_refunding_a_whole_payment_is_a_full_refund(api, admins, credit, fake):
    asker, approver = admins
    code, paid = credit(80_000)
    vnpay = fake(FakeVnpay())
    refund = ask(api, asker, code, 80_000, payment_id=paid["payment_id"]).json
    assert api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", token=approver).json["status"] == "refunded"
    assert vnpay.refunds[0]["type"] == "02" and account_credit(code) == 0
    assert_sound(code)


# -- defect 3: an unclear answer is unconfirmed, never sent again; querydr settles it ---------------

UNCLEAR = {
    "timeout": lambda order, amount, kind: unavailable("ReadTimeout"),
    "5xx": lambda order, amount, kind: unavailable("HTTPError"),
    "unreadable": lambda order, amount, kind: unavailable("JSONDecodeError"),
    "unsigned 00": lambda order, amount, kind: {
        k: v for k, v in refund_answer(order, amount, kind).items() if k != "vnp_SecureHash"
    },
    "00 with a bad checksum": lambda order, amount, kind: refund_answer(order, amount, kind, secret="not-vnpay"),
    "unsigned refusal": lambda order, amount, kind: dict(
        refund_answer(order, amount, kind, code="95"), vnp_SecureHash="00"
    ),
    "99 other error": lambda order, amount, kind: refund_answer(order, amount, kind, code="99", message="Loi"),
    "94 being processed": lambda order, amount, kind: refund_answer(order, amount, kind, code="94"),
}


@pytest.mark.parametrize("answer", sorted(UNCLEAR))
def test_an_unclear_refund_is_unconfirmed_never_sent_again_and_querydr_settles_it(answer, api, admins, credit, fake):
    asker, approver = admins
    code, paid = credit(100_000)
    shows = {"kind": "01"}
    vnpay = fake(
        FakeVnpay(
            refund=UNCLEAR[answer],
            querydr=lambda order, number: querydr_answer(order, number, kind=shows["kind"], status="05"),
        )
    )
    refund = ask(api, asker, code, 40_000).json
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", token=approver)
    assert r.status_code == 200, r.json
    assert r.json["status"] == "unconfirmed", r.json
    # The money stays taken (VNPay may have sent it) and is counted against the payment.
    assert account_credit(code) == 60_000 and refunded_of(paid["payment_id"]) == 40_000
    # Clicking again, by either admin, or rejecting, sends nothing.
    for token in (approver, asker):
        again = api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", token=token)
        assert again.status_code in (403, 409) and again.json["code"] in ("REFUND_NOT_REQUESTED", "REFUND_SAME_ADMIN")
    assert (
        api.post(f"/v1/admin/refunds/{refund['refund_id']}/reject", {"note": "gửi lại"}, token=approver).status_code
        == 409
    )
    assert len(vnpay.refunds) == 1
    # VNPay received it after all: querydr shows a partial refund of the payment.
    shows["kind"] = "03"
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/check", token=approver)
    assert r.status_code == 200 and r.json["status"] == "refunded", r.json
    assert vnpay.queries == [(paid["order_id"], paid["transaction_no"])]
    assert len(vnpay.refunds) == 1 and account_credit(code) == 60_000
    assert_sound(code)


def test_an_unconfirmed_refund_vnpay_never_made_fails_after_the_grace_and_the_money_is_back(api, admins, credit, fake):
    asker, approver = admins
    code, paid = credit(100_000)
    clock = FixedClock(int(time.time()))
    vnpay = fake(FakeVnpay(refund=lambda order, amount, kind: unavailable("ReadTimeout")), clock)
    refund = ask(api, asker, code, 25_000).json
    assert api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", token=approver).json["status"] == "unconfirmed"
    # VNPay shows no refund yet: it may still be working on the request, so nothing is decided.
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/check", token=approver)
    assert r.json["status"] == "unconfirmed" and account_credit(code) == 75_000
    clock.advance(3600)
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/check", token=approver)
    assert r.json["status"] == "failed", r.json
    assert account_credit(code) == 100_000 and refunded_of(paid["payment_id"]) == 0
    assert len(vnpay.refunds) == 1
    assert_sound(code)
    from chalicelib.store.ledger import LedgerStore

    assert [e.event for e in LedgerStore().entries(code)][-2:] == ["refund", "refund_cancelled"]
    # Not a dead end: the money can be asked for again (in cash this time) and paid out.
    again = ask(api, asker, code, 25_000, method="cash").json
    r = api.post(f"/v1/admin/refunds/{again['refund_id']}/approve", {"note": "khách nhận tại quầy"}, token=approver)
    assert r.json["status"] == "refunded" and account_credit(code) == 75_000
    assert_sound(code)


def test_a_signed_refusal_fails_and_puts_the_money_back(api, admins, credit, fake):
    asker, approver = admins
    code, paid = credit(100_000)
    vnpay = fake(
        FakeVnpay(
            refund=lambda order, amount, kind: refund_answer(
                order, amount, kind, code="95", message="Giao dich khong thanh cong ben VNPAY"
            )
        )
    )
    refund = ask(api, asker, code, 50_000).json
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", token=approver)
    assert r.json["status"] == "failed" and r.json["outcome"].startswith("VNPay 95")
    assert account_credit(code) == 100_000 and refunded_of(paid["payment_id"]) == 0
    assert len(vnpay.refunds) == 1
    assert api.post(f"/v1/admin/refunds/{refund['refund_id']}/check", token=approver).json["status"] == "failed"
    assert vnpay.queries == []
    assert_sound(code)


def test_a_rejected_request_puts_the_money_back(api, admins, credit, fake):
    asker, approver = admins
    code, _ = credit(60_000)
    vnpay = fake(FakeVnpay())
    refund = ask(api, asker, code, 60_000).json
    assert account_credit(code) == 0
    assert api.post(f"/v1/admin/refunds/{refund['refund_id']}/reject", token=approver).status_code == 400  # why?
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/reject", {"note": "khách đổi ý"}, token=approver)
    assert r.status_code == 200 and r.json["status"] == "rejected"
    assert account_credit(code) == 60_000 and vnpay.refunds == []
    assert api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", token=approver).status_code == 409
    assert api.post(f"/v1/admin/refunds/{refund['refund_id']}/reject", {"note": "x"}, token=approver).status_code == 409
    assert_sound(code)


def test_cash_is_paid_out_at_the_office(api, admins, new_customer, fake):
    from chalicelib.services.ledger import IncomingPayment, Target

    asker, approver = admins
    vnpay = fake(FakeVnpay())
    code = new_customer().code
    now = int(time.time())
    deps.ledger().post_payment(
        IncomingPayment(
            channel="cash",
            payment_id=f"cash#rf-{code}",
            external_ref=f"rf-{code}",
            amount=45_000,
            received_at=now,
            posted_by="staff:test",
            paid_at="2024-05-05T10:00:00+07:00",
        ),
        Target(customer_code=code, credit_only=True),
    )
    # Cash money cannot go back through VNPay: there is no VNPay payment.
    r = ask(api, asker, code, 45_000)
    assert r.status_code == 409 and r.json["code"] == "NO_REFUNDABLE_PAYMENT"
    refund = ask(api, asker, code, 45_000, method="cash").json
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", {"note": "phiếu chi PC-0012"}, token=approver)
    assert r.status_code == 200 and r.json["status"] == "refunded"
    assert "PC-0012" in r.json["outcome"] and r.json["sent_at"]
    assert vnpay.refunds == [] and account_credit(code) == 0
    assert_sound(code)


# -- races -------------------------------------------------------------------------------------------


def test_credit_cannot_go_negative_under_eight_concurrent_requests(app, credit, fake):
    from chalicelib.errors import AppError

    code, _ = credit(100_000)
    fake(FakeVnpay())
    service = deps.refunds()
    results, barrier = [], threading.Barrier(8)

    def one(method):
        barrier.wait()
        try:
            results.append(
                service.request(
                    "admin:admin", {"customer_code": code, "amount": 30_000, "method": method, "note": "đồng thời"}
                )["status"]
            )
        except AppError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=one, args=("vnpay" if i % 2 else "cash",)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == ["INSUFFICIENT_CREDIT"] * 5 + ["requested"] * 3, results
    assert account_credit(code) == 10_000
    assert_sound(code)


def test_eight_concurrent_approvals_send_once(app, credit, fake):
    from chalicelib.errors import AppError

    code, paid = credit(100_000)
    vnpay = fake(FakeVnpay())
    service = deps.refunds()
    refund = service.request("admin:admin", {"customer_code": code, "amount": 10_000, "method": "vnpay", "note": "x"})
    results, barrier = [], threading.Barrier(8)

    def one(i):
        barrier.wait()
        try:
            results.append(service.approve(f"admin:other{i}", refund["refund_id"], {})["status"])
        except AppError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == ["REFUND_NOT_REQUESTED"] * 7 + ["refunded"], results
    assert len(vnpay.refunds) == 1 and refunded_of(paid["payment_id"]) == 10_000


def test_refunds_through_one_payment_never_exceed_it(api, admins, new_customer, fake):
    asker, approver = admins
    code = new_customer().code
    small = pay_by_vnpay(code, 20_000)
    pay_by_vnpay(code, 50_000)  # the latest payment
    fake(FakeVnpay())
    r = ask(api, asker, code, 30_000, payment_id=small["payment_id"])
    assert r.status_code == 409 and r.json["code"] == "REFUND_EXCEEDS_PAYMENT"
    # Unnamed: the latest payment with enough left.
    assert ask(api, asker, code, 40_000).json["payment_id"] != small["payment_id"]
    # Three asked through the small one: each fits alone, the three do not.
    asked = [ask(api, asker, code, amount, payment_id=small["payment_id"]).json for amount in (15_000, 5_000, 5_000)]
    for refund in asked[:2]:
        assert api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", token=approver).json["status"] == "refunded"
    r = api.post(f"/v1/admin/refunds/{asked[2]['refund_id']}/approve", token=approver)
    assert r.status_code == 409 and r.json["code"] == "REFUND_EXCEEDS_PAYMENT"
    assert refunded_of(small["payment_id"]) == 20_000
    assert (
        api.post(f"/v1/admin/refunds/{asked[2]['refund_id']}/reject", {"note": "hết tiền hoàn"}, token=approver).json[
            "status"
        ]
        == "rejected"
    )
    assert account_credit(code) == 70_000 - 40_000 - 20_000
    assert_sound(code)


# -- the schedule, the lists and the report ---------------------------------------------------------


def test_the_reconciliation_schedule_settles_unconfirmed_refunds(app, credit, fake):
    from chalicelib.jobs.reconcile import settle_refunds

    code, paid = credit(100_000)
    shows = {"answer": unavailable("ReadTimeout")}
    vnpay = fake(
        FakeVnpay(
            refund=lambda order, amount, kind: unavailable("HTTPError"), querydr=lambda order, number: shows["answer"]
        )
    )
    service = deps.refunds()
    refund = service.request("admin:admin", {"customer_code": code, "amount": 12_000, "method": "vnpay", "note": "x"})
    assert service.approve("admin:other", refund["refund_id"], {})["status"] == "unconfirmed"
    counts = settle_refunds()
    assert counts["unanswered"] >= 1 and service.get(refund["refund_id"])["status"] == "unconfirmed"
    shows["answer"] = None
    vnpay.querydr_script = lambda order, number: (
        querydr_answer(order, number, kind="03", status="06")
        if number == paid["transaction_no"]
        else querydr_answer(order, number)
    )
    counts = settle_refunds()
    assert counts["refunded"] >= 1 and service.get(refund["refund_id"])["status"] == "refunded"
    assert len(vnpay.refunds) == 1


def test_an_approval_that_stopped_midway_is_settled_like_an_unconfirmed_one(app, credit, fake):
    """The approval's transaction is written and then the function dies (before or after calling VNPay):
    the refund stays `sending`; once it is clearly over, the schedule asks VNPay about it."""
    code, paid = credit(100_000)
    clock = FixedClock(int(time.time()))
    vnpay = fake(FakeVnpay(querydr=lambda order, number: querydr_answer(order, number, kind="01")), clock)
    service = deps.refunds()
    refund = service.request("admin:admin", {"customer_code": code, "amount": 7_000, "method": "vnpay", "note": "x"})

    def dies(*a, **kw):
        raise SystemExit("the function timed out")

    vnpay.refund_script = dies
    with pytest.raises(SystemExit):
        service.approve("admin:other", refund["refund_id"], {})
    assert service.get(refund["refund_id"])["status"] == "sending"
    service.settle_unconfirmed()  # it may still be under way: not asked about yet
    assert service.get(refund["refund_id"])["status"] == "sending" and vnpay.queries == []
    clock.advance(3600)
    service.settle_unconfirmed()
    assert service.get(refund["refund_id"])["status"] == "failed"
    assert account_credit(code) == 100_000 and refunded_of(paid["payment_id"]) == 0
    assert_sound(code)


def test_refunds_are_listed_by_status_and_credits_reported(api, admins, credit, fake):
    asker, approver = admins
    code, _ = credit(90_000)
    fake(FakeVnpay(refund=lambda order, amount, kind: unavailable("ReadTimeout")))
    waiting = ask(api, asker, code, 10_000).json
    unclear = ask(api, asker, code, 20_000).json
    api.post(f"/v1/admin/refunds/{unclear['refund_id']}/approve", token=approver)
    listed = api.get("/v1/admin/refunds?status=requested", token=asker).json
    assert waiting["refund_id"] in [r["refund_id"] for r in listed["refunds"]]
    assert api.get("/v1/admin/refunds", token=asker).json["status"] == "requested"
    listed = api.get("/v1/admin/refunds?status=unconfirmed", token=asker).json["refunds"]
    assert unclear["refund_id"] in [r["refund_id"] for r in listed]
    assert api.get(f"/v1/admin/refunds/{waiting['refund_id']}", token=asker).json["status"] == "requested"
    assert api.get("/v1/admin/refunds/RF000000DEADBEEF", token=asker).status_code == 404
    assert api.get("/v1/admin/refunds/..%2Fx", token=asker).status_code == 404
    r = api.get("/v1/admin/refunds?status=lost", token=asker)
    assert r.status_code == 400 and r.json["field"] == "status"
    assert api.get("/v1/admin/refunds?limit=1000", token=asker).json["field"] == "limit"
    # The credits report: accounts holding credit, from the with_credit index.
    credits = api.get("/v1/admin/credits", token=asker).json
    row = next(c for c in credits["credits"] if c["customer_code"] == code)
    assert row["credit"] == 60_000 and row["last_movement"].endswith("+07:00")
    assert credits["total"] >= 60_000 and credits["accounts"] >= 1
    # The daily report lists them, and what needs a person counts in the morning's alarm.
    report = deps.refunds().daily_report()
    assert code in [c["customer_code"] for c in report["credits_to_refund"]]
    assert unclear["refund_id"] in [r["refund_id"] for r in report["refunds_unconfirmed"]]
    assert waiting["refund_id"] in [r["refund_id"] for r in report["refunds_requested"]]
    assert report["needing_a_person"] >= 2


def test_the_payments_report_job_adds_the_refunds(app, credit, fake, monkeypatch):
    from chalicelib.jobs import reconcile

    fake(FakeVnpay(refund=lambda order, amount, kind: refund_answer(order, amount, kind, code="95")))
    code, _ = credit(30_000)
    service = deps.refunds()
    failed = service.request("admin:admin", {"customer_code": code, "amount": 30_000, "method": "vnpay", "note": "x"})
    assert service.approve("admin:other", failed["refund_id"], {})["status"] == "failed"

    class Payments:
        def daily_report(self):
            return {"orders_unsettled": [], "mismatches": 2}

    monkeypatch.setattr(reconcile.deps, "payments", lambda: Payments())
    report = reconcile.payments_report.func(type("Event", (), {"context": None})())
    assert failed["refund_id"] in [r["refund_id"] for r in report["refunds_failed"]]
    assert code in [c["customer_code"] for c in report["credits_to_refund"]]
    assert report["mismatches"] >= 3 and "needing_a_person" not in report


# -- what a request may be ----------------------------------------------------------------------------


def test_what_a_request_may_be(api, admins, credit, new_customer, fake):
    asker, _ = admins
    code, paid = credit(50_000)
    fake(FakeVnpay())
    for body, field in (
        ({"amount": True}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": "100"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"method": "bank"}, "method"),
        ({"note": ""}, "note"),
        ({"note": "x" * 501}, "note"),
        ({"customer_code": "12ab"}, "customer_code"),
        ({"method": "cash", "payment_id": paid["payment_id"]}, "payment_id"),
        ({"payment_id": "credit#1#INV"}, "payment_id"),
    ):
        r = api.post(
            "/v1/admin/refunds",
            {"customer_code": code, "amount": 1_000, "method": "vnpay", "note": "x", **body},
            token=asker,
        )
        assert r.status_code == 400 and r.json["field"] == field, (body, r.json)
    r = ask(api, asker, code, 50_001)
    assert r.status_code == 409 and r.json["code"] == "INSUFFICIENT_CREDIT"
    # Another account's payment is not found (not a way to refund someone else's money to oneself).
    other, theirs = credit(50_000)
    r = ask(api, asker, code, 1_000, payment_id=theirs["payment_id"])
    assert r.status_code == 404 and r.json["code"] == "PAYMENT_NOT_FOUND"
    # An account that never held credit.
    r = ask(api, asker, new_customer().code, 1_000, method="cash")
    assert r.status_code == 409 and r.json["code"] == "INSUFFICIENT_CREDIT"
    # A request cannot choose its state or who approved it.
    r = ask(api, asker, code, 1_000, status="refunded", approved_by="admin:someone", refund_id="RF000000AAAAAAAA")
    assert r.status_code == 201 and r.json["status"] == "requested" and r.json["approved_by"] is None
    assert r.json["refund_id"] != "RF000000AAAAAAAA"
    assert account_credit(code) == 49_000 and account_credit(other) == 50_000


def test_settling_by_hand_needs_an_unconfirmed_refund_and_a_note(api, admins, credit, fake):
    asker, approver = admins
    code, paid = credit(100_000)
    fake(
        FakeVnpay(
            refund=lambda order, amount, kind: unavailable("ReadTimeout"),
            querydr=lambda order, number: unavailable("ReadTimeout"),
        )
    )
    done = ask(api, asker, code, 10_000, method="cash").json
    api.post(f"/v1/admin/refunds/{done['refund_id']}/approve", token=approver)
    r = api.post(f"/v1/admin/refunds/{done['refund_id']}/check", {"outcome": "failed", "note": "x"}, token=approver)
    assert r.status_code == 409 and r.json["code"] == "REFUND_NOT_UNCONFIRMED"
    refund = ask(api, asker, code, 20_000).json
    api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", token=approver)
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/check", token=approver)
    assert r.json["status"] == "unconfirmed"  # VNPay does not answer: nothing decided
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/check", {"outcome": "failed"}, token=approver)
    assert r.status_code == 400 and r.json["field"] == "note"
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/check", {"outcome": "lost", "note": "x"}, token=approver)
    assert r.status_code == 400 and r.json["field"] == "outcome"
    r = api.post(
        f"/v1/admin/refunds/{refund['refund_id']}/check",
        {"outcome": "failed", "note": "cổng VNPay không có giao dịch hoàn"},
        token=approver,
    )
    assert r.json["status"] == "failed" and "merchant portal" in r.json["outcome"]
    assert account_credit(code) == 90_000 and refunded_of(paid["payment_id"]) == 0
    assert_sound(code)


# -- against the local VNPay sandbox, with the real client ---------------------------------------------


@pytest.fixture
def sandbox():
    from local import vnpay_sandbox

    sb = vnpay_sandbox.Sandbox(
        "CSKHTEST",
        SECRET,
        "http://127.0.0.1:9/v1/vnpay/ipn",
        retry_seconds=0.05,
        max_attempts=1,
        ipn_timeout=0.2,
        refund_settle_seconds=0.1,
        log=lambda line: None,
    )
    server = vnpay_sandbox.serve_in_thread(sb)
    sb.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield sb
    sb.close()
    server.shutdown()


def test_a_refund_whose_answer_is_lost_is_found_by_querydr_at_the_sandbox(api, admins, new_customer, sandbox, fake):
    from chalicelib.adapters.clock import Clock
    from chalicelib.adapters.vnpay_client import VnpayClient
    from chalicelib.config import get_settings, vnpay_hash_secret
    from chalicelib.domain import vnpay

    asker, approver = admins
    code = new_customer().code
    now = int(time.time())
    ref = f"SB{now}{os.urandom(3).hex().upper()}"
    _, params = vnpay.pay_url(
        sandbox.base + "/paymentv2/vpcpay.html",
        SECRET,
        tmn_code="CSKHTEST",
        amount_vnd=100_000,
        txn_ref=ref,
        order_info=f"Thanh toan tien nuoc {code} don {ref}",
        return_url="http://127.0.0.1:9/v1/vnpay/return",
        ip_addr="127.0.0.1",
        created_at=now,
        expires_at=now + 900,
    )
    txn = sandbox.pay(params, "success")
    paid = pay_by_vnpay(
        code,
        100_000,
        vnp_create_date=params["vnp_CreateDate"],
        order_info=params["vnp_OrderInfo"],
        order_id=ref,
        transaction_no=txn.transaction_no,
    )
    client = VnpayClient(
        dataclasses.replace(get_settings(), vnpay_api_url=sandbox.base + "/merchant_webapi/api/transaction"),
        vnpay_hash_secret,
        Clock(),
    )

    class AnswerLost:
        """VNPay gets the refund and makes it; its answer never comes back."""

        sent = 0

        def refund(self, *a, **kw):
            AnswerLost.sent += 1
            assert client.refund(*a, **kw)["vnp_ResponseCode"] == "00"
            raise unavailable("ReadTimeout")

        def querydr(self, *a, **kw):
            return client.querydr(*a, **kw)

    fake(AnswerLost())
    refund = ask(api, asker, code, 35_000).json
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", token=approver)
    assert r.json["status"] == "unconfirmed"
    assert api.post(f"/v1/admin/refunds/{refund['refund_id']}/approve", token=approver).status_code == 409
    r = api.post(f"/v1/admin/refunds/{refund['refund_id']}/check", token=approver)
    assert r.json["status"] == "refunded", r.json
    assert AnswerLost.sent == 1 and txn.refunded() == 35_000  # VNPay refunded it once
    # The rest of the credit, through the sandbox with nothing lost: a second partial refund.
    deps.override("vnpay_client", client)
    second = ask(api, asker, code, 65_000).json
    r = api.post(f"/v1/admin/refunds/{second['refund_id']}/approve", token=approver)
    assert r.json["status"] == "refunded" and txn.refunded() == 100_000
    assert refunded_of(paid["payment_id"]) == 100_000 and account_credit(code) == 0
    assert_sound(code)
