"""Bill payment through partners (banks, wallets, collection agents; docs/partners.md): a partner signs
every request (domain/partner_signature.py), looks a customer's bill up by customer code, pays it, and
may reverse a payment the same day. No Chalice, no boto3.

- Every route calls `authenticate` first, with the request's method, path, query, headers, body and the
  caller's address: the partner exists and is enabled, the address is on its allow-list (403), the
  timestamp is within 5 minutes, the signature is right, the nonce is new (a conditional put), in that
  order; anything else is a 401 with a code. Chalice's authorizers cannot see a body, hence here.
  No rate limit beyond this: only a partner holding its secret gets past it, and its volume is its
  business; a flood of unsigned requests costs a GetItem each and no SSM call (secrets are cached).
- A payment is posted once per (partner, partner_txn_id) through the ledger's one path: payment
  'partner#<partner>#<txn>', its receipt number and the answer written in the same transaction
  (store/partners.py). A repeat is answered what the first request was; a repeat with another customer,
  amount or invoices is a 409. More than the amount due is refused (422, nothing moved): a partner looks
  the bill up first. Less is a part payment.
- A reversal, the same day (Vietnam time, the payment's paid_at), takes the money back out exactly as it
  went in: a posting 'reversal' with the payment and each allocation negated and the credit it left taken
  back (from the credit read). If an invoice it paid or the credit it left has moved on since (a new bill
  took the credit, a refund, a correction), nothing moves: 409 REVERSAL_NOT_POSSIBLE."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain import partner_signature as sig
from chalicelib.domain.identifiers import CUSTOMER_CODE_RE, PARTNER_TXN_ID_RE
from chalicelib.domain.invoices import format_vnd, open_amount, paid_amount
from chalicelib.domain.masking import mask_address, mask_name
from chalicelib.domain.partner_signature import PartnerForbidden, PartnerUnauthorized
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.vntime import iso, now_vn, vn_within
from chalicelib.errors import AppError, Conflict, Forbidden, NotFound, ServiceUnavailable, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.common import Clock
from chalicelib.ports.invoices import InvoiceRecord
from chalicelib.ports.money import GUARD, InvoiceMove, NewPayment, Posting, PostingFailed
from chalicelib.ports.partners import (
    PARTNER_PAYMENT,
    PARTNER_SERIES,
    SOURCE_PAYMENT,
    NewPartnerPayment,
    Nonces,
    PartnerPaymentRecord,
    PartnerPayments,
    PartnerRecord,
    Partners,
    PartnerSecrets,
    SecretUnavailable,
)
from chalicelib.services.ledger import IncomingPayment, LedgerService, Target
from chalicelib.services.shapes_partners import (
    Applied,
    BillView,
    OpenInvoiceView,
    PaymentAnswer,
    PaymentBody,
    ReversalAnswer,
)

ATTEMPTS = 8
PAID_AT_MAX_AGE = timedelta(days=7)  # a partner's backlog after an outage; older is a person's job
PAID_AT_MAX_AHEAD = timedelta(seconds=sig.MAX_SKEW_S)


class AmountExceedsDue(AppError):
    status = 422
    code = "AMOUNT_EXCEEDS_DUE"
    message_vi = "Số tiền thanh toán lớn hơn số tiền khách hàng đang nợ."
    message_en = "The amount is more than the customer owes."


@dataclass(frozen=True)
class SignedRequest:
    """What of a request its signature covers, and where it came from."""

    method: str
    path: str  # as the caller sent it (a stage prefix is cut off by the signature's rules)
    params: Sequence[tuple[str, str]]  # every query parameter, decoded
    headers: Mapping[str, str]  # by lowercase name
    body: bytes
    source_ip: str


def payment_id_of(partner_id: str, txn: str) -> str:
    return f"partner#{partner_id}#{txn}"


def _back_off(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.2, 0.01 * 2**attempt)))


class PartnerService:
    def __init__(
        self,
        *,
        settings: Settings,
        partners: Partners,
        secrets: PartnerSecrets,
        nonces: Nonces,
        payments: PartnerPayments,
        ledger: LedgerService,
        clock: Clock,
    ) -> None:
        self.s = settings
        self.partners = partners
        self.secrets = secrets
        self.nonces = nonces
        self.payments = payments
        self.ledger = ledger
        self.clock = clock

    # -- the signed request ------------------------------------------------------------------------

    def authenticate(self, request: SignedRequest) -> PartnerRecord:
        """The partner that signed `request`, or PartnerUnauthorized (401) / PartnerForbidden (403)."""
        headers = sig.read_headers(request.headers)
        partner = self.partners.get(headers.partner_id)
        if partner is None:
            raise PartnerUnauthorized("no such partner", "Không có đối tác này.", code="PARTNER_UNKNOWN")
        if not partner.enabled:
            raise PartnerUnauthorized(
                "this partner is disabled", "Đối tác này đang bị tạm dừng.", code="PARTNER_DISABLED"
            )
        # Before the signature: an address off the list costs no SSM read, whatever it sends.
        if not sig.ip_allowed(request.source_ip, partner.ip_allowlist or ()):
            logger.info("partner call from an address off its list", extra={"partner_id": partner.partner_id})
            raise PartnerForbidden()
        now = self.clock.now()
        if not sig.timestamp_in_range(headers.timestamp, now):
            raise PartnerUnauthorized(
                f"X-Timestamp must be within {sig.MAX_SKEW_S} s of the server's clock ({now})",
                f"X-Timestamp lệch quá {sig.MAX_SKEW_S} giây so với đồng hồ máy chủ ({now}).",
                code="TIMESTAMP_OUT_OF_RANGE",
            )
        try:
            secret = self.secrets.secret(partner.secret_param)
        except SecretUnavailable as exc:
            logger.error("a partner's secret cannot be read", extra={"partner_id": partner.partner_id, "why": str(exc)})
            raise ServiceUnavailable() from None
        canonical = sig.canonical_string(
            request.method, request.path, request.params, headers.timestamp, headers.nonce, request.body
        )
        if not sig.signature_matches(secret, canonical, headers.signature):
            raise PartnerUnauthorized(
                "X-Signature does not match the request (docs/partners.md: the string signed)",
                "Chữ ký X-Signature không khớp với yêu cầu.",
                code="SIGNATURE_INVALID",
            )
        # Last: only a request that is genuinely the partner's uses its nonce up.
        if not self.nonces.claim(partner.partner_id, headers.nonce, now, now + sig.NONCE_TTL_S):
            raise PartnerUnauthorized(
                "this X-Nonce was used already", "X-Nonce này đã được dùng.", code="NONCE_REPLAYED"
            )
        return partner

    # -- looking a bill up -------------------------------------------------------------------------

    def bills(self, partner: PartnerRecord, customer_code: str | None) -> dict[str, Any]:
        code = _code(customer_code)
        customer = self.payments.customer(code)
        if customer is None:
            raise _no_customer(code)
        invoices = self._open_invoices(code)
        view = BillView(
            customer_code=code,
            name=mask_name(customer.name),
            address=mask_address(customer.address),
            amount_due=sum(open_amount(i) for i in invoices),
            currency="VND",
            invoices=[
                OpenInvoiceView(
                    invoice_id=i.invoice_id,
                    period=i.period,
                    total=int(i.total),
                    open_amount=open_amount(i),
                    due_date=i.due_date or None,
                )
                for i in invoices
            ],
        )
        logger.info("partner bill look-up", extra={"partner_id": partner.partner_id, "customer_code": code})
        return to_json(view)  # type: ignore[no-any-return]

    def _open_invoices(self, code: str) -> list[InvoiceRecord]:
        """The account's open invoices, oldest period first (the index lists them, a consistent read
        says what they owe now)."""
        listed = [i.invoice_id for i in self.ledger.store.open_invoices(code)]
        read = self.ledger.store.invoices(listed)
        found = [i for i in read.values() if i.customer_code == code and open_amount(i) > 0]
        return sorted(found, key=lambda i: i.period_key)

    # -- paying -------------------------------------------------------------------------------------

    def pay(self, partner: PartnerRecord, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """(the answer, posted now?). A repeat of the partner_txn_id answers the first request's answer."""
        req = parse(PaymentBody, body)
        pid = partner.partner_id
        payment_id = payment_id_of(pid, req.partner_txn_id)
        first = self.payments.payment(payment_id)
        if first is not None:
            return _replay(first, req), False
        channels = list(partner.channels or ())
        channel = req.channel or (channels[0] if channels else None)
        if channel not in channels:
            raise Forbidden(
                f"the channel {channel} is not enabled for this partner",
                f"Kênh {channel} chưa được bật cho đối tác này.",
                code="CHANNEL_NOT_ENABLED",
                field="channel",
            )
        now = self.clock.now()
        paid = _paid_at(req.paid_at, now)
        code = req.customer_code
        if self.payments.customer(code) is None:
            raise _no_customer(code)
        named = list(req.invoice_ids or ())
        if named:
            read = self.ledger.store.invoices(named)
            missing = [i for i in named if i not in read or read[i].customer_code != code]
            if missing:
                raise NotFound(
                    f"no such invoice of this customer: {missing[0]}",
                    f"Không tìm thấy hoá đơn {missing[0]} của khách hàng này.",
                    code="INVOICE_NOT_FOUND",
                    field="invoice_ids",
                )
            due = sum(open_amount(read[i]) for i in named)
        else:
            # The open invoices just read (oldest first) are the ones the money pays: the ledger plans
            # with this read instead of listing and reading them again.
            read = {i.invoice_id: i for i in self._open_invoices(code)}
            due = sum(open_amount(i) for i in read.values())
        if req.amount > due:
            # The same payment, posted by a concurrent repeat since it was first looked for, is what
            # made the bill smaller: the partner gets that first answer, not a refusal.
            first = self.payments.payment(payment_id)
            if first is not None:
                return _replay(first, req), False
            raise AmountExceedsDue(
                f"the amount due is {due} VND: look the bill up first (GET /v1/partners/bills)",
                f"Số tiền khách hàng đang nợ là {format_vnd(due)}: hãy tra cứu hoá đơn trước.",
                field="amount",
            )
        received = now_vn(now)
        series = f"receipt#partner#{pid}#{received.year}"
        target = Target(customer_code=code, invoice_ids=named or list(read), read=read or None)
        done: dict[str, NewPartnerPayment] = {}  # the item the last attempt's posting wrote
        for attempt in range(ATTEMPTS):
            number = self.payments.last_number(series) + 1
            receipt_no = f"{pid}-{received.year}-{number:07d}"
            money = IncomingPayment(
                channel="partner",
                payment_id=payment_id,
                external_ref=f"{pid}#{req.partner_txn_id}",
                amount=req.amount,
                received_at=now,
                posted_by=f"partner:{pid}",
                paid_at=paid.isoformat(timespec="seconds"),
                display={
                    "partner_id": pid,
                    "partner_txn_id": req.partner_txn_id,
                    "receipt_no": receipt_no,
                    "partner_channel": channel,
                },
            )

            def item(posting: Posting, receipt_no: str = receipt_no) -> NewPartnerPayment:
                # Per attempt: what this posting does with the money is what the partner is told.
                applied = [(m.invoice.invoice_id, m.invoice.period or "", m.allocate) for m in posting.invoices]
                credited = int(posting.credit.get(code, 0))
                answer = PaymentAnswer(
                    partner_id=pid,
                    partner_txn_id=req.partner_txn_id,
                    payment_id=payment_id,
                    receipt_no=receipt_no,
                    status="paid",
                    customer_code=code,
                    amount=req.amount,
                    allocated=sum(a for _, _, a in applied),
                    credited=credited,
                    invoices=[Applied(invoice_id=i, period=p, amount=a) for i, p, a in applied],
                    paid_at=paid.isoformat(timespec="seconds"),
                    day=paid.date().isoformat(),
                    received_at=iso(now),
                )
                done["item"] = NewPartnerPayment(
                    payment_id,
                    partner_id=pid,
                    partner_txn_id=req.partner_txn_id,
                    customer_code=code,
                    amount=req.amount,
                    paid_at=answer.paid_at,
                    day=answer.day,
                    receipt_no=receipt_no,
                    received_at=now,
                    status="paid",
                    allocations=json.dumps([{"invoice_id": i, "amount": a} for i, _, a in applied]),
                    credited=credited,
                    answer=json.dumps(to_json(answer), ensure_ascii=False),
                    invoice_ids=named,
                    channel=channel,
                )
                return done["item"]

            try:
                posted = self.ledger.post_payment(
                    money,
                    target,
                    extras=self.payments.payment_items(series, number, item),
                    extra_labels=(PARTNER_PAYMENT, PARTNER_SERIES),
                )
            except PostingFailed as failed:
                if PARTNER_PAYMENT not in failed.failed:
                    _back_off(attempt)
                    continue  # another payment of the partner took the receipt number: the next one
                posted = None
            if posted is None or posted.duplicate:
                # The same partner_txn_id at the same moment: the first one's answer.
                again = self.payments.payment(payment_id)
                if again is None:
                    raise Conflict(
                        "this transaction was recorded by the utility from a reconciliation difference; "
                        "ask the utility",
                        "Giao dịch này đã được công ty ghi nhận khi đối soát; vui lòng liên hệ công ty.",
                        code="PAYMENT_RECORDED_BY_HAND",
                    )
                return _replay(again, req), False
            logger.info(
                "partner payment posted",
                extra={
                    "partner_id": pid,
                    "payment_id": payment_id,
                    "receipt_no": receipt_no,
                    "amount": req.amount,
                    "credited": posted.credited,
                },
            )
            return json.loads(done["item"].answer), True
        raise ServiceUnavailable()

    # -- reversing ----------------------------------------------------------------------------------

    def reverse(self, partner: PartnerRecord, txn: str) -> tuple[dict[str, Any], bool]:
        """(the answer, reversed now?). Once: a second reversal answers what the first did."""
        if not isinstance(txn, str) or not PARTNER_TXN_ID_RE.fullmatch(txn):
            raise ValidationError(
                "partner_txn_id is 1-64 of A-Z a-z 0-9 _ . -",
                "partner_txn_id gồm 1-64 ký tự A-Z a-z 0-9 _ . -",
                field="partner_txn_id",
            )
        pid = partner.partner_id
        payment_id = payment_id_of(pid, txn)
        item = self.payments.payment(payment_id)
        if item is None:
            raise NotFound(
                "no such payment of this partner", "Không tìm thấy giao dịch này của đối tác.", code="PAYMENT_NOT_FOUND"
            )
        if item.status == "reversed" and item.reversal_answer:
            return json.loads(item.reversal_answer), False
        for attempt in range(ATTEMPTS):
            now = self.clock.now()
            if item.day != now_vn(now).date().isoformat():
                raise Conflict(
                    f"a payment can be reversed on its own day only ({item.day}, Vietnam time)",
                    f"Chỉ được huỷ giao dịch trong ngày thanh toán ({item.day}).",
                    code="REVERSAL_TOO_LATE",
                )
            try:
                posting, answer = self._reversal(item, now)
            except Conflict:
                # The money it looks for may be gone because this very reversal won at the same moment.
                again = self.payments.payment(payment_id)
                if again is not None and again.status == "reversed" and again.reversal_answer:
                    return json.loads(again.reversal_answer), False
                raise
            try:
                self.ledger.store.post(posting, self.payments.reversal_items(payment_id, answer, now))
            except PostingFailed as failed:
                if failed.failed & {GUARD, PARTNER_PAYMENT}:
                    again = self.payments.payment(payment_id)  # reversed at the same moment
                    if again is not None and again.status == "reversed" and again.reversal_answer:
                        return json.loads(again.reversal_answer), False
                    raise ServiceUnavailable() from None
                if SOURCE_PAYMENT in failed.failed:
                    logger.error("a partner payment's ledger item is not applied", extra={"payment_id": payment_id})
                    raise _not_possible("the payment is not as it was posted") from None
                _back_off(attempt)  # an invoice or the credit moved meanwhile: read them again
                continue
            logger.info(
                "partner payment reversed",
                extra={"partner_id": pid, "payment_id": payment_id, "amount": int(item.amount)},
            )
            return json.loads(answer), True
        raise ServiceUnavailable()

    def _reversal(self, item: PartnerPaymentRecord, now: int) -> tuple[Posting, str]:
        """The posting that takes `item`'s money back as it went in, from the invoices and credit as read
        now; REVERSAL_NOT_POSSIBLE when they no longer hold it."""
        code, amount, credited = item.customer_code, int(item.amount), int(item.credited)
        allocations = [(str(a["invoice_id"]), int(a["amount"])) for a in json.loads(item.allocations)]
        store = self.ledger.store
        invoices = store.invoices([i for i, _ in allocations])
        for invoice_id, taken in allocations:
            inv = invoices.get(invoice_id)
            if inv is None or inv.status == "cancelled" or paid_amount(inv) < taken:
                raise _not_possible(f"invoice {invoice_id} changed since the payment (corrected or cancelled)")
        credit = 0
        if credited:
            account = store.account(code)
            credit = int(account.credit or 0) if account is not None else 0
            if credit < credited:
                raise _not_possible("the credit the payment left has been used since (a new bill or a refund took it)")
        reversal_id = f"{item.payment_id}#reversal"
        answer = ReversalAnswer(
            partner_id=item.partner_id,
            partner_txn_id=item.partner_txn_id,
            payment_id=item.payment_id,
            receipt_no=item.receipt_no,
            status="reversed",
            customer_code=code,
            amount=amount,
            invoices=[Applied(invoice_id=i, period=invoices[i].period or "", amount=-a) for i, a in allocations],
            credit_taken=credited,
            reversed_at=iso(now),
        )
        shown = {"channel": "partner", "payment_id": reversal_id, "received_at": now, "receipt_no": item.receipt_no}
        posted_by = f"partner:{item.partner_id}"
        posting = Posting(
            event="reversal",
            reference=reversal_id,
            posted_at=now,
            posted_by=posted_by,
            lines={
                code: [{"kind": "payment", "amount": -amount}]
                + [{"kind": "allocation", "amount": -a, "invoice_id": i} for i, a in allocations]
            },
            credit={code: -credited} if credited else {},
            credit_seen={code: credit} if credited else {},
            invoices=[
                InvoiceMove(invoices[i], -a, display=dict(shown, amount=-a, note="reversed by the partner"))
                for i, a in allocations
            ],
            guard=NewPayment(
                reversal_id,
                kind="reversal",
                channel="partner",
                amount=amount,
                received_at=now,
                status="applied",
                invoice_ids=[i for i, _ in allocations],
                customer_codes=[code],
                external_ref=f"{item.partner_id}#{item.partner_txn_id}",
                source_payment_id=item.payment_id,
                posted_by=posted_by,
            ),
            payment_id=reversal_id,
            channel="partner",
            external_ref=f"{item.partner_id}#{item.partner_txn_id}",
            note=f"reversal of {item.payment_id}",
        )
        return posting, json.dumps(to_json(answer), ensure_ascii=False)


# -- helpers ---------------------------------------------------------------------------------------


def _code(value: str | None) -> str:
    if not value:
        raise ValidationError("customer_code is required", "Thiếu mã khách hàng.", field="customer_code")
    if not CUSTOMER_CODE_RE.fullmatch(value):
        raise ValidationError("customer_code is 6-12 digits", "Mã khách hàng gồm 6-12 chữ số.", field="customer_code")
    return value


def _no_customer(code: str) -> NotFound:
    return NotFound(
        f"no customer {code}", f"Không tìm thấy khách hàng {code}.", code="CUSTOMER_NOT_FOUND", field="customer_code"
    )


def _not_possible(why: str) -> Conflict:
    return Conflict(
        f"the payment cannot be taken back as it went in: {why}; nothing was changed",
        "Không thể huỷ giao dịch: số tiền đã được sử dụng sau khi thanh toán. Không có thay đổi nào.",
        code="REVERSAL_NOT_POSSIBLE",
    )


def _paid_at(value: str, now: int) -> datetime:
    """The partner's paid_at: ISO 8601 with an offset (without one it is Vietnam time), not ahead of our clock
    by more than the signature's skew, at most PAID_AT_MAX_AGE ago. In Vietnam time, to the second."""
    try:
        if len(value) > 40:
            raise ValueError
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            "paid_at must be an ISO 8601 date and time, e.g. 2024-06-10T09:30:00+07:00",
            "Thời điểm thanh toán (paid_at) không hợp lệ.",
            field="paid_at",
        ) from None
    within = vn_within(moment, now, PAID_AT_MAX_AGE, PAID_AT_MAX_AHEAD)
    if within is None:
        raise ValidationError(
            "paid_at is in the future or more than 7 days ago",
            "Thời điểm thanh toán ở tương lai hoặc quá 7 ngày trước.",
            field="paid_at",
        )
    return within


def _replay(first: PartnerPaymentRecord, req: PaymentBody) -> dict[str, Any]:
    """The first request's answer, if this one asks the same (customer, amount, invoices)."""
    same = (
        first.customer_code == req.customer_code
        and int(first.amount) == req.amount
        and list(first.invoice_ids or ()) == list(req.invoice_ids or ())
    )
    if not same:
        raise Conflict(
            "this partner_txn_id was used for another payment (customer, amount or invoices differ)",
            "Mã giao dịch này đã được dùng cho một thanh toán khác.",
            code="PARTNER_TXN_CONFLICT",
            field="partner_txn_id",
        )
    return json.loads(first.answer)  # type: ignore[no-any-return]
