"""Refunds of the credit a customer account holds (issue 13): requested, approved by another admin (audited)
and sent once. VNPay money goes back through VNPay's refund API; an outcome that is not clear (a timeout, a
5xx, an unreadable or unsigned answer) is `unconfirmed` and settled by asking VNPay (querydr on the payment),
never by sending it again. Cash is paid out at the office and recorded by the admin. No Chalice, no boto3.

    requested --approve--> sending --VNPay 00-----------------> refunded
        |                     |------VNPay's signed refusal---> failed       (the money back on the account)
        |                     '------anything unclear-------> unconfirmed --querydr--> refunded | failed
        '--reject--> rejected (the money back on the account)
    cash: requested --approve--> refunded (paid out at the office)

The request takes the money off the account's credit in the transaction that records it (a ledger entry
`refund`, the credit moved from the value read: it never goes negative and two requests cannot both take
it). Approving a VNPay refund adds it to the payment's `refunded` in the transaction that moves the refund
to `sending` (never more than the payment), and only then calls VNPay, once. A refund that did not happen
(failed, rejected) posts `refund_cancelled`: the money is back on the account's credit."""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeGuard, cast, get_args

from chalicelib.config import Settings
from chalicelib.domain import vnpay
from chalicelib.domain.identifiers import REFUND_ID_RE, VNPAY_PAYMENT_ID_RE
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.vntime import iso, now_vn
from chalicelib.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.common import AuditEntries, Clock
from chalicelib.ports.money import (
    GUARD,
    REFUND,
    SOURCE,
    CustomerAccountRecord,
    Ledger,
    NewPayment,
    PaymentRecord,
    Posting,
    PostingFailed,
    Refunds,
    VnpayMerchant,
    VnpayUnavailable,
)
from chalicelib.services.shapes_admin import (
    NOTE_MAX,
    ApproveRefund,
    Credit,
    Credits,
    Outcome,
    RefundList,
    RefundMethod,
    RefundStatus,
    RefundView,
    RejectRefund,
    RequestRefund,
    SettleRefund,
)

STATUSES: tuple[RefundStatus, ...] = get_args(RefundStatus)
ATTEMPTS = 8
# VNPay's refund answers that say it did not and will not refund this request: 02 terminal, 03 format or
# more than is left, 04 full after partial, 13 partial only, 91 no such transaction, 93 invalid amount,
# 95 the transaction failed at VNPay, 97 our checksum. 94 (already being processed), 98 (timeout), 99
# (other) and anything else are not a refusal: unconfirmed.
CLEAR_REFUSALS = frozenset({"02", "03", "04", "13", "91", "93", "95", "97"})
UNANSWERED_IN_A_ROW = 3
FAILED_REPORT_DAYS = 7


def _refund_not_found() -> NotFound:
    return NotFound("no such refund", "Không tìm thấy yêu cầu hoàn tiền.", code="REFUND_NOT_FOUND")


def _back_off(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.2, 0.01 * 2**attempt)))


class RefundService:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Refunds,
        ledger: Ledger,
        clock: Clock,
        vnpay_client: VnpayMerchant,
        hash_secret: Callable[[], str],
        audit_entry: AuditEntries,
        four_eyes: bool = True,
    ) -> None:
        self.s = settings
        self.store = store
        self.ledger = ledger
        self.clock = clock
        self.vnpay = vnpay_client
        self._secret = hash_secret
        self._audit_entry = audit_entry
        self.four_eyes = four_eyes
        # An unclear refund is called failed only this long after it was sent (VNPay may still be working
        # on a request whose answer was lost); an approval still `sending` after it was given up on.
        self.settle_after = max(60, settings.reconcile_grace_minutes * 60)

    # -- the request ---------------------------------------------------------------------------------

    def request(self, actor: str, body: dict[str, Any]) -> dict[str, Any]:
        asked = parse(RequestRefund, body)
        code, amount, method, note = asked.customer_code, asked.amount, asked.method, asked.note
        # Checked here, after the method: a cash refund naming a payment is a contradiction, not a bad id.
        payment_id = asked.payment_id
        if payment_id is not None:
            if method != "vnpay":
                raise ValidationError(
                    "payment_id is for VNPay refunds only",
                    "Chỉ hoàn qua VNPay mới cần mã giao dịch.",
                    field="payment_id",
                )
            if not isinstance(payment_id, str) or not VNPAY_PAYMENT_ID_RE.match(payment_id):
                raise ValidationError(
                    "payment_id names a VNPay payment ('vnpay#<TransactionNo>')",
                    "Mã giao dịch VNPay không hợp lệ.",
                    field="payment_id",
                )
        self._credit_at_least(code, amount)
        source = self._source(code, amount, payment_id) if method == "vnpay" else None
        refund_id = self._new_id()
        for attempt in range(ATTEMPTS):
            credit = self._credit_at_least(code, amount)
            now = self.clock.now()
            item = NewPayment(
                f"refund#{refund_id}",
                kind="refund",
                channel=method,
                method=method,
                amount=amount,
                customer_code=code,
                customer_codes=[code],
                received_at=now,
                status="requested",
                requested_by=actor,
                note=note,
                flags=[],
                source_payment_id=source.payment_id if source else None,
                order_id=source.order_id if source else None,
                transaction_no=source.transaction_no if source else None,
            )
            posting = Posting(
                event="refund",
                reference=item.payment_id,
                posted_at=now,
                posted_by=actor,
                lines={code: [{"kind": "refund", "amount": amount}]},
                credit={code: -amount},
                credit_seen={code: credit},
                guard=item,
                payment_id=item.payment_id,
                channel=method,
                external_ref=item.source_payment_id,
                note=note,
            )
            audit = self._audit_entry(f"refund#{refund_id}", actor, "refund.request", None, _view(item))
            try:
                self.ledger.post(posting, self.store.with_audit(audit))
            except PostingFailed as failed:
                if GUARD in failed.failed:  # the random id was taken: another one
                    refund_id = self._new_id()
                else:  # the credit moved meanwhile: read it again
                    _back_off(attempt)
                continue
            logger.info("refund requested", extra={"refund_id": refund_id, "method": method, "amount": amount})
            return _view(item)
        raise ServiceUnavailable()

    def _credit_at_least(self, code: str, amount: int) -> int:
        """The account's credit as read now (consistently), if it covers `amount`."""
        account = self.ledger.account(code)
        credit = int(account.credit or 0) if account is not None else 0
        if amount > credit:
            held = f"{credit:,}".replace(",", ".")
            raise Conflict(
                f"the account holds {credit} VND of credit, less than {amount}",
                f"Tài khoản chỉ còn {held} đồng tiền dư, ít hơn số tiền cần hoàn.",
                code="INSUFFICIENT_CREDIT",
            )
        return credit

    def _new_id(self) -> str:
        day = now_vn(self.clock.now()).strftime("%y%m%d")
        return f"RF{day}{secrets.token_hex(4).upper()}"

    def _source(self, code: str, amount: int, payment_id: str | None) -> PaymentRecord:
        """The VNPay payment the money goes back through: the one named, or the account's most recent one
        with enough left to refund."""
        if payment_id is not None:
            payment = self.store.payment(payment_id)
            if payment is None or payment.kind != "payment" or not self._belongs(payment, code):
                raise NotFound(
                    "no such VNPay payment of this account",
                    "Không tìm thấy giao dịch VNPay này của khách hàng.",
                    code="PAYMENT_NOT_FOUND",
                )
            if _refundable(payment) < amount:
                raise Conflict(
                    f"this payment has {_refundable(payment)} VND left to refund",
                    "Giao dịch này không còn đủ tiền để hoàn.",
                    code="REFUND_EXCEEDS_PAYMENT",
                )
            if not payment.order_id or self.store.order(payment.order_id) is None:
                raise Conflict(
                    "this payment has no VNPay order to refund through",
                    "Giao dịch này không hoàn được qua VNPay.",
                    code="REFUND_EXCEEDS_PAYMENT",
                )
            return payment
        seen = set()
        for entry in reversed(self.ledger.entries(code)):
            pid = entry.payment_id or ""
            if entry.event != "payment" or entry.channel != "vnpay" or not pid.startswith("vnpay#") or pid in seen:
                continue
            seen.add(pid)
            payment = self.store.payment(pid)
            if (
                payment is not None
                and payment.kind == "payment"
                and _refundable(payment) >= amount
                and payment.order_id
                and self.store.order(payment.order_id) is not None
            ):
                return payment
        raise Conflict(
            "no VNPay payment of this account has that much left to refund: refund in cash",
            "Không có giao dịch VNPay nào của khách hàng còn đủ tiền để hoàn; hãy hoàn tiền mặt.",
            code="NO_REFUNDABLE_PAYMENT",
        )

    def _belongs(self, payment: PaymentRecord, code: str) -> bool:
        if payment.customer_codes:
            return code in payment.customer_codes
        order = self.store.order(payment.order_id) if payment.order_id else None  # written before the ledger
        return order is not None and any(dict(i).get("customer_code") == code for i in order.items)

    # -- approve, reject --------------------------------------------------------------------------

    def approve(self, actor: str, refund_id: str, body: dict[str, Any]) -> dict[str, Any]:
        note = parse(ApproveRefund, body).note
        item = self._refund(refund_id)
        _must_be_requested(item)
        if self.four_eyes and item.requested_by == actor:
            raise Forbidden(
                "a refund is approved by another admin than the one who asked for it",
                "Yêu cầu hoàn tiền phải được một quản lý khác duyệt.",
                code="REFUND_SAME_ADMIN",
            )
        if item.method == "cash":
            return self._paid_out_in_cash(actor, item, note)
        source = self.store.payment(item.source_payment_id or "")
        order = self.store.order(source.order_id) if source is not None and source.order_id else None
        if source is None or order is None:
            raise Conflict(
                "the VNPay payment of this refund is gone: reject it",
                "Không còn giao dịch VNPay của yêu cầu này; hãy từ chối yêu cầu.",
                code="REFUND_EXCEEDS_PAYMENT",
            )
        amount = int(item.amount)
        kind = "02" if not int(source.refunded or 0) and amount == int(source.amount) else "03"
        request_id = secrets.token_hex(16)
        now = self.clock.now()
        self._mark_sending(actor, item, source, request_id, now, note)
        # Sent once: whatever happens from here on, only VNPay's word (querydr) settles it.
        try:
            answer = self.vnpay.refund(
                order,
                amount_vnd=amount,
                transaction_no=source.transaction_no,
                created_by=actor,
                transaction_type=kind,
                request_id=request_id,
            )
            verdict, why = self._refund_verdict(answer, order.order_id)
        except VnpayUnavailable as exc:
            verdict, why = "unconfirmed", f"no clear answer from VNPay: {exc}"
        except Exception as exc:
            logger.exception("refund call failed", extra={"refund_id": refund_id})
            verdict, why = "unconfirmed", f"the call to VNPay broke: {type(exc).__name__}"
        logger.info("refund sent", extra={"refund_id": refund_id, "verdict": verdict, "type": kind})
        self._settle(actor, item, "sending", verdict, why)
        return _view(self._refund(refund_id))

    def _mark_sending(
        self, actor: str, item: PaymentRecord, source: PaymentRecord, request_id: str, now: int, note: str | None
    ) -> None:
        for attempt in range(ATTEMPTS):
            audit = self._audit_entry(
                item_entity(item),
                actor,
                "refund.approve",
                {"status": "requested"},
                {"status": "sending", "request_id": request_id, "note": note},
            )
            try:
                self.store.mark_sending(item, source, actor=actor, request_id=request_id, now=now, audit=audit)
                return
            except PostingFailed as failed:
                if REFUND in failed.failed:
                    _must_be_requested(self._refund(_refund_id(item)))
                if SOURCE in failed.failed:
                    raise Conflict(
                        "the VNPay payment has less left to refund than this: reject it",
                        "Giao dịch VNPay không còn đủ tiền để hoàn; hãy từ chối yêu cầu.",
                        code="REFUND_EXCEEDS_PAYMENT",
                    ) from None
                _back_off(attempt)
        raise ServiceUnavailable()

    def _paid_out_in_cash(self, actor: str, item: PaymentRecord, note: str | None) -> dict[str, Any]:
        now = self.clock.now()
        outcome = f"paid out in cash at the office, recorded by {actor}" + (f": {note}" if note else "")
        for attempt in range(ATTEMPTS):
            audit = self._audit_entry(
                item_entity(item),
                actor,
                "refund.cash_paid_out",
                {"status": "requested"},
                {"status": "refunded", "note": note},
            )
            try:
                self.store.paid_out_in_cash(item, actor=actor, now=now, outcome=outcome[:NOTE_MAX], audit=audit)
                break
            except PostingFailed as failed:
                if REFUND in failed.failed:
                    _must_be_requested(self._refund(_refund_id(item)))
                _back_off(attempt)
        else:
            raise ServiceUnavailable()
        return _view(self._refund(_refund_id(item)))

    def reject(self, actor: str, refund_id: str, body: dict[str, Any]) -> dict[str, Any]:
        note = parse(RejectRefund, body).note
        item = self._refund(refund_id)
        _must_be_requested(item)
        if not self._give_back(actor, item, "requested", "rejected", f"rejected by {actor}: {note}"):
            _must_be_requested(self._refund(refund_id))
        return _view(self._refund(refund_id))

    # -- VNPay's word ------------------------------------------------------------------------------

    def _signed(self, answer: object, fields: Sequence[str]) -> TypeGuard[dict[str, Any]]:
        return isinstance(answer, dict) and vnpay.verify_response(self._secret(), answer, fields)

    def _refund_verdict(self, answer: object, order_id: str) -> tuple[str, str]:
        if not self._signed(answer, vnpay.REFUND_RESPONSE_FIELDS):
            return "unconfirmed", "VNPay's answer to the refund is not signed"
        code = str(answer.get("vnp_ResponseCode") or "")
        said = f"VNPay {code}: {str(answer.get('vnp_Message') or '')[:200]}"
        if answer.get("vnp_TxnRef") not in (None, "", order_id):
            return "unconfirmed", f"VNPay answered about another order ({said})"
        if code == "00":
            return "refunded", said
        if code in CLEAR_REFUSALS:
            return "failed", said
        return "unconfirmed", said

    def _querydr_verdict(self, item: PaymentRecord, source: PaymentRecord, answer: object) -> tuple[str, str]:
        """What VNPay's querydr on the payment says of this refund. A refund shows as vnp_TransactionType
        02 (full) or 03 (partial) of the payment; 01 means no refund of it at all. VNPay does not say
        which refund it shows: it is this one only when no other refund of the payment was sent."""
        if not self._signed(answer, vnpay.QUERYDR_RESPONSE_FIELDS):
            return "unconfirmed", "VNPay's querydr answer is not signed"
        code = str(answer.get("vnp_ResponseCode") or "")
        if code != "00":
            return "unconfirmed", f"querydr: VNPay {code}: {str(answer.get('vnp_Message') or '')[:200]}"
        if str(answer.get("vnp_TransactionNo") or source.transaction_no) != str(source.transaction_no):
            return "unconfirmed", "querydr answered about another transaction"
        kind, status = str(answer.get("vnp_TransactionType") or ""), str(answer.get("vnp_TransactionStatus") or "")
        amount = int(item.amount)
        others = [r for r in self.store.in_flight(source.payment_id) if r.payment_id != item.payment_id]
        before = int(source.refunded or 0) - amount - sum(int(r.amount) for r in others)  # confirmed earlier
        late = self.clock.now() - int(item.sent_at or item.received_at) >= self.settle_after
        if kind == "01" and status != "00":
            return "unconfirmed", f"querydr: payment status {status or '?'}"
        if kind == "01":
            if before > 0:
                return (
                    "unconfirmed",
                    "querydr shows no refund of the payment, not even the earlier ones: check VNPay's merchant portal",
                )
            if not late:
                return "unconfirmed", "querydr shows no refund yet"
            return "failed", "querydr shows no refund of the payment: it did not happen"
        if kind not in ("02", "03"):
            return "unconfirmed", f"querydr: transaction type {kind or '?'}"
        ours = not others and (before == 0 or (kind == "02" and before + amount == int(source.amount)))
        if not ours:
            return "unconfirmed", (
                f"querydr shows a refund ({kind}/{status}) of the payment, but it had others: "
                "check VNPay's merchant portal"
            )
        if status == "09":
            return "failed", "querydr: VNPay rejected the refund (09)"
        if status in ("00", "05", "06"):
            return "refunded", f"querydr: VNPay shows the refund ({kind}, status {status})"
        return "unconfirmed", f"querydr: refund {kind}, status {status or '?'}"

    def _settle(self, actor: str, item: PaymentRecord, from_status: str, verdict: str, why: str) -> bool:
        """Write a verdict on a refund in `from_status`; False if someone else settled it first."""
        if verdict == "refunded":
            moved = self.store.move(item.payment_id, from_status, "refunded", why)
        elif verdict == "failed":
            return self._give_back(actor, item, from_status, "failed", why)
        else:
            moved = self.store.move(item.payment_id, from_status, "unconfirmed", why)
            if from_status == "unconfirmed":
                return moved  # the latest word recorded; not a change worth an audit entry
        if moved:
            to_status = "refunded" if verdict == "refunded" else "unconfirmed"
            self.store.record_audit(
                self._audit_entry(
                    item_entity(item),
                    actor,
                    f"refund.{to_status}",
                    {"status": from_status},
                    {"status": to_status, "outcome": why},
                )
            )
        return moved

    def _give_back(self, actor: str, item: PaymentRecord, from_status: str, to_status: str, why: str) -> bool:
        """The refund did not happen: `refund_cancelled` puts the money back on the account's credit, the
        refund moves from_status -> to_status and, if it had been sent, the payment's `refunded` goes down,
        all in one transaction. False if the refund was not in from_status any more."""
        code, amount = _account_of(item), int(item.amount)
        with_source = from_status != "requested" and bool(item.source_payment_id)
        flags: list[str] = []
        for attempt in range(ATTEMPTS):
            now = self.clock.now()
            posting = Posting(
                event="refund_cancelled",
                reference=item.payment_id,
                posted_at=now,
                posted_by=actor,
                lines={code: [{"kind": "refund", "amount": -amount}]},
                credit={code: amount},
                payment_id=item.payment_id,
                channel=item.method,
                external_ref=item.source_payment_id,
                note=why[:NOTE_MAX],
                flags=list(flags),
            )
            audit = self._audit_entry(
                item_entity(item),
                actor,
                f"refund.{to_status}",
                {"status": from_status},
                {"status": to_status, "outcome": why, "credit_back": amount},
            )

            extras = self.store.cancelled(
                item, from_status, to_status, why[:NOTE_MAX], source_back=with_source, audit=audit
            )
            try:
                self.ledger.post(posting, extras)
            except PostingFailed as failed:
                if REFUND in failed.failed:
                    return False
                if SOURCE in failed.failed:
                    # The payment's sum of refunds does not hold this one: the money still goes back.
                    logger.error("a refund's payment does not count it", extra={"refund_id": item.payment_id})
                    with_source, flags = False, ["SOURCE_REFUNDED_MISMATCH"]
                else:
                    _back_off(attempt)
                continue
            logger.info(
                "refund cancelled, credit back",
                extra={"refund_id": item.payment_id, "status": to_status, "amount": amount},
            )
            return True
        raise ServiceUnavailable()

    # -- settling what is unconfirmed -----------------------------------------------------------------

    def _unsettled(self, item: PaymentRecord) -> bool:
        """Unconfirmed, or an approval that stopped between its transaction and VNPay's answer."""
        if item.method != "vnpay":
            return False
        if item.status == "unconfirmed":
            return True
        return item.status == "sending" and self.clock.now() - int(item.sent_at or 0) >= self.settle_after

    def _ask_vnpay(self, actor: str, item: PaymentRecord) -> str:
        source = self.store.payment(item.source_payment_id or "")
        order = self.store.order(source.order_id) if source is not None and source.order_id else None
        if source is None or order is None:
            return "unconfirmed"
        try:
            answer = self.vnpay.querydr(order, transaction_no=source.transaction_no)
        except VnpayUnavailable as exc:
            if item.status == "sending":
                self._settle(actor, item, "sending", "unconfirmed", f"no clear answer from VNPay: {exc}")
            return "unanswered"
        verdict, why = self._querydr_verdict(item, source, answer)
        self._settle(actor, item, item.status, verdict, why)
        return verdict

    def check(self, actor: str, refund_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Ask VNPay about an unconfirmed refund now; or, with {outcome, note}, record what VNPay's merchant
        portal shows for one querydr cannot tell apart (audited)."""
        item = self._refund(refund_id)
        if body.get("outcome") is not None:
            settle = parse(SettleRefund, body)
            return self._resolve(actor, item, settle.outcome, settle.note)
        if self._unsettled(item):
            self._ask_vnpay(actor, item)
            item = self._refund(refund_id)
        return _view(item)

    def _resolve(self, actor: str, item: PaymentRecord, outcome: Outcome, note: str) -> dict[str, Any]:
        if not self._unsettled(item):
            raise Conflict(
                f"only an unconfirmed VNPay refund is settled by hand; this one is {item.status}",
                f"Chỉ yêu cầu hoàn qua VNPay chưa rõ kết quả mới được xác nhận thủ công; yêu cầu này "
                f"đang ở trạng thái {item.status}.",
                code="REFUND_NOT_UNCONFIRMED",
            )
        why = f"settled by {actor} from VNPay's merchant portal: {note}"
        if not self._settle(actor, item, item.status, outcome, why):
            raise Conflict(
                "this refund was settled meanwhile", "Yêu cầu này vừa được xử lý.", code="REFUND_NOT_UNCONFIRMED"
            )
        return _view(self._refund(_refund_id(item)))

    def settle_unconfirmed(self, limit: int = 50) -> dict[str, int]:
        """The reconciliation schedule: ask VNPay about every unconfirmed refund (and approvals left in
        `sending`), oldest first; stop asking after a few calls in a row go unanswered."""
        counts = {
            "checked": 0,
            "refunded": 0,
            "failed": 0,
            "unconfirmed": 0,
            "unanswered": 0,
            "errors": 0,
            "postponed": 0,
        }
        items = list(self.store.by_status("unconfirmed", limit=limit, newest_first=False))
        items += [i for i in self.store.by_status("sending", limit=limit, newest_first=False) if self._unsettled(i)]
        silent = 0
        for item in items:
            if silent >= UNANSWERED_IN_A_ROW:
                counts["postponed"] += 1
                continue
            counts["checked"] += 1
            try:
                verdict = self._ask_vnpay("reconciliation", item)
            except Exception:  # one refund's store trouble must not hold up the others
                counts["errors"] += 1
                logger.exception(
                    "settling a refund failed; the next run tries again", extra={"refund_id": item.payment_id}
                )
                continue
            silent = silent + 1 if verdict == "unanswered" else 0
            counts[verdict] += 1
        if counts["checked"]:
            logger.info("refunds settled", extra=counts)
        return counts

    # -- reading -------------------------------------------------------------------------------------

    def _refund(self, refund_id: object) -> PaymentRecord:
        if not isinstance(refund_id, str) or not REFUND_ID_RE.match(refund_id):
            raise _refund_not_found()
        item = self.store.payment(f"refund#{refund_id}")
        if item is None or item.kind != "refund":
            raise _refund_not_found()
        return item

    def get(self, refund_id: str) -> dict[str, Any]:
        return _view(self._refund(refund_id))

    def list_refunds(self, status: object, limit: object = None) -> dict[str, Any]:
        status = status or "requested"
        if not isinstance(status, str) or status not in STATUSES:
            raise ValidationError(
                f"status must be one of {', '.join(STATUSES)}", "Trạng thái không hợp lệ.", field="status"
            )
        size = _limit(limit, 100)
        shown = [_shown(r) for r in self.store.by_status(status, limit=size)]
        return to_json(RefundList(status=status, refunds=shown))  # type: ignore[no-any-return]

    def credits(self, limit: object = None) -> dict[str, Any]:
        """Accounts holding credit (one Query on the sparse with_credit index): what may be refunded, or
        goes to the next bill."""
        accounts = self.ledger.with_credit(limit=_limit(limit, 500))
        rows = [_credit(a) for a in accounts if int(a.credit or 0) > 0]
        shown = Credits(credits=rows, accounts=len(rows), total=sum(r.credit for r in rows))
        return to_json(shown)  # type: ignore[no-any-return]

    def daily_report(self) -> dict[str, Any]:
        """The refunds' part of the 08:00 payments report: accounts holding credit, refunds waiting for an
        approval, unconfirmed (or left sending) and failed in the last days. `needing_a_person` counts those
        a person must act on (credit itself goes to the next bill)."""
        now = self.clock.now()
        unconfirmed = list(self.store.by_status("unconfirmed", limit=100, newest_first=False))
        unconfirmed += [i for i in self.store.by_status("sending", limit=100, newest_first=False) if self._unsettled(i)]
        requested = self.store.by_status("requested", limit=100, newest_first=False)
        failed = self.store.by_status("failed", limit=100, since=now - FAILED_REPORT_DAYS * 86400)
        report: dict[str, Any] = {
            "credits_to_refund": self.credits()["credits"],
            "refunds_requested": [_view(r) for r in requested],
            "refunds_unconfirmed": [_view(r) for r in unconfirmed],
            "refunds_failed": [_view(r) for r in failed],
        }
        report["needing_a_person"] = len(requested) + len(unconfirmed) + len(failed)
        return report


def _refundable(payment: PaymentRecord) -> int:
    return int(payment.amount) - int(payment.refunded or 0)


def _refund_id(item: PaymentRecord) -> str:
    return item.payment_id.split("#", 1)[1]


def item_entity(item: PaymentRecord) -> str:
    return item.payment_id  # 'refund#<id>': the audit trail's entity


def _account_of(item: PaymentRecord) -> str:
    """The account a refund's money was taken from: every refund names one."""
    if not item.customer_code:
        raise ValueError(f"{item.payment_id} names no customer account")
    return item.customer_code


def _must_be_requested(item: PaymentRecord) -> None:
    if item.status != "requested":
        raise Conflict(
            f"this refund is {item.status}, not waiting for a decision",
            f"Yêu cầu hoàn tiền này đang ở trạng thái {item.status}, không còn chờ duyệt.",
            code="REFUND_NOT_REQUESTED",
        )


def _limit(value: object, most: int) -> int:
    if value is None:
        return most
    if not isinstance(value, (str, int)) or not str(value).isdigit() or not 1 <= int(value) <= most:
        raise ValidationError(f"limit: 1 to {most}", f"limit từ 1 đến {most}.", field="limit")
    return int(value)


def _shown(r: PaymentRecord) -> RefundView:
    return RefundView(
        refund_id=_refund_id(r),
        customer_code=cast(str, r.customer_code),
        amount=int(r.amount),
        # The store holds only the refunds this service writes: its methods and states, a code and an author.
        method=cast(RefundMethod, r.method),
        status=cast(RefundStatus, r.status),
        payment_id=r.source_payment_id,
        order_id=r.order_id,
        transaction_no=r.transaction_no,
        requested_by=cast(str, r.requested_by),
        requested_at=iso(r.received_at),
        approved_by=r.approved_by,
        sent_at=iso(r.sent_at),
        note=r.note,
        outcome=r.outcome,
    )


def _view(r: PaymentRecord) -> dict[str, Any]:
    """A refund as the API answers it (and the audit and the daily report record it)."""
    return to_json(_shown(r))  # type: ignore[no-any-return]


def _credit(a: CustomerAccountRecord) -> Credit:
    return Credit(customer_code=a.customer_code, credit=int(a.credit or 0), last_movement=iso(a.updated_at))
