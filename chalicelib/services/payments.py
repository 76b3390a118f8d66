"""Paying invoices through VNPay: open an order, answer VNPay's IPN, apply a
payment exactly once (IPN and reconciliation share one path), and read an
order's state. No Chalice, no boto3."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from typing import Any, cast

from chalicelib.config import Settings
from chalicelib.domain import vnpay
from chalicelib.domain.identifiers import IDEMPOTENCY_KEY_RE, ORDER_ID_RE
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.tokens import Identity
from chalicelib.domain.vntime import iso, now_vn
from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.common import AuditRecorder, Clock
from chalicelib.ports.money import (
    ORDER,
    InvoicesBusy,
    NewOrder,
    OrderRecord,
    Orders,
    PostingExtras,
    PostingFailed,
    VnpayMerchant,
    VnpayUnavailable,
    VnpayUnsigned,
)
from chalicelib.services import vietqr
from chalicelib.services.ledger import IncomingPayment, LedgerService, Target
from chalicelib.services.shapes_payments import CreateOrder, OrderItem, OrderStatus, OrderView

APPLY_ATTEMPTS = 5
OPEN_STATES = ("pending", "failed", "expired", "review")  # no transaction has settled the order yet
SETTLED_STATES = ("paid", "refunded", "review")  # no VietQR: paid, or VNPay may have taken the money


UNANSWERED_IN_A_ROW = 3  # querydr calls VNPay leaves unanswered before a reconciliation run stops asking
UNCLEAR_BEFORE_REVIEW = 3  # answers that cannot be acted on before an order goes to a person
PENDING_SCAN_MAX = 2000  # pending orders past expiry read per run (one Query, paged)


class ReconcileIncomplete(RuntimeError):
    """Some orders could not be settled in this run (the store was busy); the next run retries them."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__(f"reconciliation incomplete: {counts}")
        self.counts = counts


def _order_not_found() -> NotFound:
    return NotFound("no such payment order", "Không tìm thấy đơn thanh toán.", code="ORDER_NOT_FOUND")


class PaymentService:
    def __init__(
        self,
        *,
        settings: Settings,
        orders: Orders,
        clock: Clock,
        hash_secret: Callable[[], str],
        qr_payload: Callable[..., str],
        ledger: LedgerService,
        vnpay_client: VnpayMerchant | None = None,
        audit: AuditRecorder | None = None,
    ) -> None:
        self.s = settings
        self.orders = orders
        self.clock = clock
        self._secret = hash_secret
        self._qr_payload = qr_payload
        self.vnpay = vnpay_client
        self.audit = audit
        self.ledger = ledger

    # -- orders ------------------------------------------------------------

    def create_order(
        self,
        identity: Identity,
        body: dict[str, Any],
        *,
        client_ip: str,
        locale: str,
        return_url: str,
        idempotency_key: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Returns (order view, created?)."""
        request = parse(CreateOrder, body)
        ids, bank_code = request.invoice_ids, request.bank_code
        if idempotency_key is not None and not IDEMPOTENCY_KEY_RE.fullmatch(idempotency_key):
            raise ValidationError(
                "Idempotency-Key: 8-128 of letters, digits, '_.:-'",
                "Idempotency-Key không hợp lệ.",
                field="Idempotency-Key",
            )
        now = self.clock.now()
        order_id = self._order_id(identity, idempotency_key, now)
        if idempotency_key:
            existing = self.orders.get(order_id, consistent=True)
            if existing is not None:
                return self.view(existing), False

        invoices = self.orders.invoices(ids, consistent=True)
        for invoice_id in ids:
            invoice = invoices.get(invoice_id)
            if invoice is None or not identity.owns(invoice.customer_code):
                raise NotFound(
                    f"no such invoice: {invoice_id}", f"Không tìm thấy hoá đơn {invoice_id}.", code="INVOICE_NOT_FOUND"
                )
            if invoice.status != "unpaid":
                raise Conflict(
                    f"invoice {invoice_id} is already paid",
                    f"Hoá đơn {invoice_id} đã được thanh toán.",
                    code="INVOICE_ALREADY_PAID",
                )
        holders = {i.pending_order_id for i in invoices.values() if i.pending_order_id and (i.pending_until or 0) > now}
        if holders:
            # The same customer asking again for the same invoices gets the order
            # that is already open (a double tap must not open a second one).
            if len(holders) == 1:
                current = self.orders.get(holders.pop(), consistent=True)
                if (
                    current is not None
                    and current.account_id == identity.account_id
                    and sorted(current.invoice_ids) == sorted(ids)
                    and current.status == "pending"
                ):
                    return self.view(current), False
            raise Conflict(
                "an invoice is being paid in another open order; wait for it to finish or expire",
                "Hoá đơn đang được thanh toán trong một đơn khác; vui lòng chờ đơn đó hoàn tất hoặc hết hạn.",
                code="INVOICE_PAYMENT_PENDING",
            )

        items: list[dict[str, Any]] = [
            {
                "invoice_id": i,
                "customer_code": invoices[i].customer_code,
                "period": invoices[i].period,
                "amount": int(invoices[i].total),
            }
            for i in ids
        ]
        amount = sum(item["amount"] for item in items)
        expires_at = now + self.s.order_ttl_minutes * 60
        codes = sorted({item["customer_code"] for item in items})
        order_info = f"Thanh toan tien nuoc {' '.join(codes)} don {order_id}"
        url, params = vnpay.pay_url(
            self.s.vnpay_pay_url,
            self._secret(),
            tmn_code=self.s.vnpay_tmn_code,
            amount_vnd=amount,
            txn_ref=order_id,
            order_info=order_info,
            return_url=return_url,
            ip_addr=client_ip,
            created_at=now,
            expires_at=expires_at,
            locale=locale,
            bank_code=bank_code,
        )
        qr = self._qr_payload(
            merchant_name=self.s.merchant_name,
            merchant_city=self.s.merchant_city,
            merchant_id=self.s.vnpay_tmn_code,
            amount_vnd=amount,
            bill_number=order_id,
            expires_at=expires_at,
        )
        order = NewOrder(
            order_id,
            account_id=identity.account_id,
            invoice_ids=ids,
            items=items,
            amount=amount,
            fee=0,
            status="pending",
            created_at=now,
            expires_at=expires_at,
            vnp_create_date=params["vnp_CreateDate"],
            order_info=params["vnp_OrderInfo"],
            bank_code=bank_code,
            locale=params["vnp_Locale"],
            client_ip=client_ip,
            payment_url=url,
            qr_payload=qr,
            credit_amount=0,
        )
        try:
            self.orders.open(order, now)
        except InvoicesBusy:
            raise Conflict(
                "an invoice was paid or taken by another order just now",
                "Hoá đơn vừa được thanh toán hoặc đang thuộc một đơn khác.",
                code="INVOICE_PAYMENT_PENDING",
            ) from None
        logger.info("order opened", extra={"order_id": order_id, "amount": amount, "invoices": len(ids)})
        return self.view(order), True

    def _order_id(self, identity: Identity, key: str | None, now: int) -> str:
        stamp = now_vn(now).strftime("%y%m%d%H%M%S")
        if key:
            digest = hashlib.sha256(f"{identity.account_id}|{key}".encode()).hexdigest()[:12].upper()
            return f"K{digest}"
        return f"{stamp}{secrets.randbelow(10**6):06d}"

    def view(self, order: OrderRecord) -> dict[str, Any]:
        """The order as its customer sees it: shapes_payments.OrderView, as JSON."""
        now = self.clock.now()
        status = order.status
        if status == "pending" and order.expires_at <= now:
            status = "expired"  # shown as expired; only VNPay's answer changes what is stored
        # Or by bank transfer: its VietQR while no payment has settled the order.
        transfer = vietqr.for_order(self.s, order.order_id, int(order.amount), settled=status in SETTLED_STATES)
        shown = OrderView(
            order_id=order.order_id,
            status=cast(OrderStatus, status),  # the store holds only the states this service writes
            amount=int(order.amount),
            fee=int(order.fee or 0),
            currency="VND",
            invoice_ids=list(order.invoice_ids),
            items=[
                OrderItem(
                    invoice_id=i["invoice_id"],
                    customer_code=i["customer_code"],
                    period=i["period"],
                    amount=int(i["amount"]),
                )
                for i in order.items
            ],
            payment_url=order.payment_url,
            qr_payload=order.qr_payload,
            qr_png_url=f"/v1/payments/{order.order_id}/qr.png",
            created_at=iso(order.created_at),
            expires_at=iso(order.expires_at),
            paid_at=iso(order.paid_at) if order.paid_at else None,
            transaction_no=order.transaction_no,
            credit_amount=int(order.credit_amount or 0),
            payment_reference=transfer.payment_reference if transfer else None,
            vietqr_payload=transfer.vietqr_payload if transfer else None,
        )
        answer: dict[str, Any] = to_json(shown)
        return answer

    def get(self, identity: Identity, order_id: str) -> OrderRecord:
        order = self.orders.get(order_id) if ORDER_ID_RE.match(order_id or "") else None
        if order is None or order.account_id != identity.account_id:
            raise _order_not_found()
        return order

    # -- VNPay's IPN -------------------------------------------------------

    def handle_ipn(self, params: Mapping[str, str], source_ip: str) -> tuple[str, str]:
        """VNPay's contract, in its order: checksum, order, amount, state, apply."""
        allowed = self.s.vnpay_ipn_allowed_ips
        if allowed and source_ip not in allowed:
            logger.warning("IPN from an address not on the allow-list", extra={"source_ip": source_ip})
            return vnpay.RSP_UNKNOWN_ERROR
        if not vnpay.verify(self._secret(), params):
            logger.warning("IPN with a bad signature", extra={"txn_ref": str(params.get("vnp_TxnRef", ""))[:40]})
            return vnpay.RSP_INVALID_SIGNATURE
        order_id = params.get("vnp_TxnRef") or ""
        order = self.orders.get(order_id, consistent=True) if ORDER_ID_RE.match(order_id) else None
        if order is None:
            return vnpay.RSP_ORDER_NOT_FOUND
        paid = vnpay.amount_from(params)
        if paid != int(order.amount):
            logger.warning("IPN amount differs from the order", extra={"order_id": order_id})
            if not vnpay.succeeded(params) or paid is None or paid <= 0:
                return vnpay.RSP_INVALID_AMOUNT
            # Signed by VNPay, so it is what the customer was charged: the money is recorded
            # (flagged) before VNPay hears 04; its retries then find it recorded.
            rsp = self.settle(order, params, applied_by="ipn", amount=paid)
            return vnpay.RSP_INVALID_AMOUNT if rsp == vnpay.RSP_CONFIRMED else rsp
        return self.settle(order, params, applied_by="ipn")

    def settle(
        self, order: OrderRecord, params: Mapping[str, str], applied_by: str, amount: int | None = None
    ) -> tuple[str, str]:
        """Apply VNPay's word on an order (from the IPN or from querydr). Every
        distinct successful transaction is posted to the customer accounts, in
        the same transaction that decides the answer: the first one pays the
        order's invoices at what they owe now, any other becomes credit."""
        transaction_no = str(params.get("vnp_TransactionNo") or "")
        if not vnpay.succeeded(params):
            return self._fail(order, params, transaction_no)
        if not transaction_no:
            return vnpay.RSP_UNKNOWN_ERROR
        if order.status in ("paid", "refunded") and order.transaction_no == transaction_no:
            return vnpay.RSP_ALREADY_CONFIRMED  # the same IPN again: one read, nothing to write
        paid = int(order.amount) if amount is None else amount
        for _ in range(APPLY_ATTEMPTS):
            first = order.status in OPEN_STATES
            money = self._money(order, params, transaction_no, paid, applied_by, first)
            target = Target(
                items=[(str(i["invoice_id"]), str(i["customer_code"]), int(i["amount"])) for i in order.items],
                credit_only=not first,
            )
            try:
                posted = self.ledger.post_payment(
                    money,
                    target,
                    extras=self._order_paid(order, money) if first else None,
                    extra_labels=(ORDER,),
                    release_hold=order.order_id,
                )
            except PostingFailed:
                # Another transaction settled the order first: read it again; this one's money
                # is then posted as a second payment (credit), never dropped.
                current = self.orders.get(order.order_id, consistent=True)
                if current is None:
                    return vnpay.RSP_UNKNOWN_ERROR
                order = current
                continue
            if posted.duplicate:
                return vnpay.RSP_ALREADY_CONFIRMED
            if first:
                logger.info(
                    "payment applied",
                    extra={
                        "order_id": order.order_id,
                        "applied_by": applied_by,
                        "credited": posted.credited,
                        "flags": ",".join(money.flags),
                    },
                )
                return vnpay.RSP_CONFIRMED
            logger.warning(
                "second payment for a settled order kept as credit", extra={"order_id": order.order_id, "amount": paid}
            )
            return vnpay.RSP_ALREADY_CONFIRMED
        return vnpay.RSP_UNKNOWN_ERROR  # VNPay will call again

    def _money(
        self,
        order: OrderRecord,
        params: Mapping[str, str],
        transaction_no: str,
        paid: int,
        applied_by: str,
        first: bool,
    ) -> IncomingPayment:
        now = self.clock.now()
        flags = []
        if paid != int(order.amount):
            flags.append("AMOUNT_MISMATCH")
        if not first:
            flags.append("SECOND_PAYMENT")
        elif order.status != "pending":
            flags.append(f"LATE_{order.status.upper()}")  # the order had expired or failed
        return IncomingPayment(
            channel="vnpay",
            payment_id=f"vnpay#{transaction_no}",
            external_ref=transaction_no,
            amount=paid,
            received_at=now,
            posted_by=applied_by,
            paid_at=now_vn(now).isoformat(timespec="seconds"),
            order_id=order.order_id,
            transaction_no=transaction_no,
            flags=flags,
            display={
                "order_id": order.order_id,
                "transaction_no": transaction_no,
                "bank_code": str(params.get("vnp_BankCode") or ""),
                "pay_date": str(params.get("vnp_PayDate") or ""),
            },
        )

    def _order_paid(self, order: OrderRecord, money: IncomingPayment) -> PostingExtras:
        """The order's own change, in the posting's transaction: from the state read to paid."""
        return self.orders.paid(
            order.order_id,
            order.status,
            transaction_no=money.external_ref,
            paid_at=money.received_at,
            applied_by=money.posted_by,
            paid_amount=money.amount,
        )

    def _fail(self, order: OrderRecord, params: Mapping[str, str], transaction_no: str) -> tuple[str, str]:
        response_code = str(params.get("vnp_ResponseCode") or "99")
        if order.status != "pending":
            return vnpay.RSP_ALREADY_CONFIRMED
        if not self.orders.record_failure(order, response_code, transaction_no or None):
            # Lost to a concurrent write: say 00 only once the order is no longer pending.
            current = self.orders.get(order.order_id, consistent=True)
            if current is None or current.status == "pending":
                return vnpay.RSP_UNKNOWN_ERROR  # VNPay will call again
            return vnpay.RSP_ALREADY_CONFIRMED
        logger.info("payment failed at VNPay", extra={"order_id": order.order_id, "response_code": response_code})
        return vnpay.RSP_CONFIRMED

    # -- reconciliation: orders whose IPN never came -------------------------

    def _vnpay(self) -> VnpayMerchant:
        if self.vnpay is None:
            raise RuntimeError("no VNPay client: deps.py wires one in")
        return self.vnpay

    def reconcile(self, limit: int = 100) -> dict[str, int]:
        """Ask VNPay (querydr) about orders still pending past their expiry and
        apply the answer through the same path as the IPN. Fair: the orders
        asked about longest ago (or never) go first, so orders VNPay cannot
        settle do not hold up newer ones; an answer that cannot be acted on
        three times puts the order up for review (the daily report lists it)."""
        now = self.clock.now()
        counts = {
            "checked": 0,
            "paid": 0,
            "failed": 0,
            "expired": 0,
            "unanswered": 0,
            "mismatch": 0,
            "errors": 0,
            "postponed": 0,
            "unclear": 0,
            "review": 0,
        }
        due = sorted(
            self.orders.pending_expired_before(now - self.s.reconcile_grace_minutes * 60, limit=PENDING_SCAN_MAX),
            key=lambda o: (int(o.checked_at or 0), int(o.expires_at)),
        )
        counts["postponed"] += max(0, len(due) - limit)
        silent = 0  # VNPay's unanswered calls in a row
        for order in due[:limit]:
            if silent >= UNANSWERED_IN_A_ROW:
                # VNPay is down: asking about the rest (10 s each) would outlast the function's 300 s and
                # kill the run before it reports; they wait for the next run (5 minutes).
                counts["postponed"] += 1
                continue
            counts["checked"] += 1
            try:
                answer = self._vnpay().querydr(order)
            except VnpayUnsigned as exc:
                silent = 0
                self._unclear(order, f"unsigned answer: {exc}", counts, now)
                continue
            except VnpayUnavailable as exc:
                counts["unanswered"] += 1
                silent += 1
                self.orders.mark_checked(order.order_id, now)
                logger.warning("querydr unanswered", extra={"order_id": order.order_id, "why": str(exc)})
                continue
            silent = 0
            try:
                self._reconcile_one(order, answer, counts, now)
            except Exception:  # a throttled or busy store on one order must not hold up the others
                counts["errors"] += 1
                logger.exception(
                    "reconciling an order failed; the next run tries again", extra={"order_id": order.order_id}
                )
        logger.info("reconciliation done", extra=counts)
        if counts["errors"]:
            # Fail the run (Lambda's error metric and alarm see it); every order is retried by the next run.
            raise ReconcileIncomplete(counts)
        return counts

    def _reconcile_one(
        self, order: OrderRecord, answer: dict[str, Any], counts: dict[str, int], now: int | None = None
    ) -> None:
        """Apply one signed querydr answer, counting the outcome."""
        now = self.clock.now() if now is None else now
        code, status = answer.get("vnp_ResponseCode"), answer.get("vnp_TransactionStatus")
        if code == "91":  # VNPay never saw a payment for it: the customer did not pay
            counts["expired"] += self.orders.record_failure(order, "91", None, status="expired")
            return
        if code != "00":
            self._unclear(order, f"querydr answered {str(code)[:4]}", counts, now)
            return
        if status == "00":
            paid = vnpay.amount_from({"vnp_Amount": str(answer.get("vnp_Amount", ""))})
            if paid is None or paid <= 0:
                self._unclear(order, "querydr gave no amount", counts, now)
                return
            if paid != int(order.amount):
                # What VNPay took is posted (flagged): the money is real even when it is not the order's.
                counts["mismatch"] += 1
                logger.error("querydr amount differs from the order", extra={"order_id": order.order_id})
            params = {
                "vnp_ResponseCode": "00",
                "vnp_TransactionStatus": "00",
                "vnp_TransactionNo": str(answer.get("vnp_TransactionNo") or ""),
                # Shown in the invoices' payment lists only, as str(value or "").
                "vnp_BankCode": str(answer.get("vnp_BankCode") or ""),
                "vnp_PayDate": str(answer.get("vnp_PayDate") or ""),
            }
            rsp = self.settle(order, params, applied_by="reconciliation", amount=paid)
            counts["paid"] += rsp == vnpay.RSP_CONFIRMED
            counts["errors"] += rsp == vnpay.RSP_UNKNOWN_ERROR  # the store stayed busy: the next run tries again
        elif status == "01":  # not completed: nothing will come any more once it expired
            counts["expired"] += self.orders.record_failure(order, "11", None, status="expired")
        elif status in ("02", "04"):  # an error, or reversed at VNPay: no money for the order
            counts["failed"] += self.orders.record_failure(order, str(status), None)
        else:
            # 05/06/09 (a refund's states), 07 (debited, suspected fraud): a person decides.
            self._unclear(order, f"transaction status {str(status)[:4]}", counts, now, at_once=status == "07")

    def _unclear(self, order: OrderRecord, why: str, counts: dict[str, int], now: int, at_once: bool = False) -> None:
        counts["unclear"] += 1
        if self.orders.note_unclear(order, why, now, review_after=1 if at_once else UNCLEAR_BEFORE_REVIEW):
            counts["review"] += 1
            logger.error(
                "order needs a person: VNPay's answer cannot be acted on",
                extra={"order_id": order.order_id, "why": why},
            )
        else:
            logger.warning("querydr answer not acted on", extra={"order_id": order.order_id, "why": why})

    def daily_report(self) -> dict[str, Any]:
        """What needs a person: orders VNPay has not answered for long after
        their expiry, or answered in a way nothing can act on. (Credits and
        refunds: RefundService.daily_report, merged by the payments_report job.)"""
        now = self.clock.now()
        stale = self.orders.pending_expired_before(now - 3600, limit=100)
        report: dict[str, Any] = {
            "orders_unsettled": [
                {"order_id": o.order_id, "amount": int(o.amount), "expired_at": iso(o.expires_at)} for o in stale
            ],
            "orders_in_review": [
                {
                    "order_id": o.order_id,
                    "amount": int(o.amount),
                    "expired_at": iso(o.expires_at),
                    "reason": o.review_reason,
                }
                for o in self.orders.in_review()
            ],
        }
        report["mismatches"] = sum(len(v) for v in report.values())
        logger.info(
            "daily payments report", extra={k: (len(v) if isinstance(v, list) else v) for k, v in report.items()}
        )
        return report

    # -- the customer's return ---------------------------------------------

    def return_result(self, params: Mapping[str, str]) -> dict[str, Any]:
        """What the return page shows. It reads; it never marks anything paid."""
        if not vnpay.verify(self._secret(), params):
            return {"valid": False}
        order_id = params.get("vnp_TxnRef") or ""
        order = self.orders.get(order_id) if ORDER_ID_RE.match(order_id) else None
        return {
            "valid": True,
            "succeeded": vnpay.succeeded(params),
            "order_id": order_id,
            "amount": vnpay.amount_from(params),
            "response_code": params.get("vnp_ResponseCode"),
            "response_text": vnpay.RESPONSE_CODES.get(params.get("vnp_ResponseCode") or "", "Lỗi khác / Other error"),
            "order_status": order.status if order is not None else None,
            "transaction_no": params.get("vnp_TransactionNo"),
        }
