"""Cash collected on the spot by field staff (seed 003, "ghi thu chung"):
take the exact amount of an invoice the rules allow, once per collection_id,
under a gap-free receipt number, posted to the customer's account (the
ledger, channel 'cash'); count printed notices and receipts; the day's
receipts per staff member and the cash an admin received. No Chalice, no boto3.

Cash already in a worker's hand is always recorded: a device that was offline
may send a collection for an invoice VNPay or a bank paid meanwhile; it still
gets its receipt, the part beyond what the invoice still owes stays on the
account as credit (taken off the next bill, or given back), and the answer
says so.

A worker collects, prints and previews only for customers of their own branch
(seed 003's hand-over between workers happens inside a branch; a manager moves
a customer to another branch by the customer book). A customer or a
worker with no branch on record is not limited."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain import receipt_text
from chalicelib.domain.invoices import format_vnd, paid_amount
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.tokens import Identity
from chalicelib.domain.vntime import iso, now_vn, vn_within
from chalicelib.domain.words import amount_in_words
from chalicelib.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.common import AuditEntries, Clock
from chalicelib.ports.customers import CustomerRecord
from chalicelib.ports.invoices import InvoiceRecord
from chalicelib.ports.money import (
    RECEIPT,
    RECEIPT_LABELS,
    Collections,
    HandoverRecord,
    NewHandover,
    NewReceipt,
    PostingFailed,
    ReceiptRecord,
)
from chalicelib.services.ledger import IncomingPayment, LedgerService, Posted, Target
from chalicelib.services.shapes_field import (
    Collection,
    CreditNotice,
    DayQuery,
    Handover,
    HandoverView,
    NoticeCode,
    Printed,
    PrintRequest,
    Receipt,
    ReconciledReceipt,
    Reconciliation,
    StaffDayQuery,
)

COLLECT_ATTEMPTS = 8
MAX_FUTURE = timedelta(minutes=10)  # device clocks drift
MAX_PAST = timedelta(days=7)  # a device that was offline for a while
ONLINE_WINDOW = timedelta(minutes=10)  # a collection sent within this of its time came from a device online
CHANNEL_NAMES_VI = {"bank_transfer": "chuyển khoản", "authorised_debit": "nhờ thu"}
CHANNEL_NAMES_VI_PAID = {"vnpay": "VNPay", "cash": "tiền mặt"}
CHANNEL_NAMES_VI_ONLINE = {
    "vnpay": "VNPay",
    "bank_transfer": "chuyển khoản",
    "bank_statement": "chuyển khoản",
    "authorised_debit": "nhờ thu",
}


def _invoice_not_found(invoice_id: str) -> NotFound:
    return NotFound(f"no such invoice: {invoice_id}", f"Không tìm thấy hoá đơn {invoice_id}.", code="INVOICE_NOT_FOUND")


def _already_paid(invoice: InvoiceRecord) -> Conflict:
    payments = _payments(invoice)
    channel = payments[-1].get("channel") if payments else None
    how = CHANNEL_NAMES_VI_PAID.get(channel or "", channel)
    return Conflict(
        f"the invoice is already paid{f' ({channel})' if channel else ''}: do not take the money",
        f"Hoá đơn đã được thanh toán{f' ({how})' if how else ''}: không thu tiền.",
        code="INVOICE_ALREADY_PAID",
    )


def _not_allowed(message_en: str, message_vi: str) -> Conflict:
    return Conflict(message_en, message_vi, code="COLLECTION_NOT_ALLOWED")


def _no_receipt() -> Conflict:
    return Conflict(
        "no cash receipt for this invoice: print a notice",
        "Hoá đơn chưa có biên nhận thu tiền mặt: in giấy báo.",
        code="NO_RECEIPT",
    )


class CollectionService:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Collections,
        clock: Clock,
        audit_entry: AuditEntries,
        ledger: LedgerService,
    ) -> None:
        self.s = settings
        self.store = store
        self.clock = clock
        self._audit_entry = audit_entry
        self.ledger = ledger

    # -- taking cash -------------------------------------------------------

    def collect(self, identity: Identity, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Returns (receipt view, created?). The same collection_id again returns
        the first receipt; with a different body it is a 409."""
        staff = _staff_login(identity)
        request = parse(Collection, body)
        collection_id, invoice_id, amount = request.collection_id, request.invoice_id, request.amount
        lat, lng = request.lat, request.lng
        now = self.clock.now()
        collected = _instant(request.collected_at, now)
        collected_at = collected.isoformat(timespec="seconds")

        existing = self.store.receipt(collection_id)
        if existing is not None:
            return self._replay(existing, staff, invoice_id, amount, collected_at), False

        invoice = self.store.invoice(invoice_id)
        if invoice is None:
            raise _invoice_not_found(invoice_id)
        # Sent at once from a device online, a wrong amount is a typo to fix before the receipt is
        # printed; sent later by a device that was offline, the money is already in the worker's hand.
        offline = now - collected.timestamp() > ONLINE_WINDOW.total_seconds()
        self._check_collectable(invoice, amount, identity.branch, amount_checked=not offline)

        day = collected.date().isoformat()
        series = f"receipt#{staff}#{collected.year}"
        target = Target(customer_code=invoice.customer_code, invoice_ids=[invoice_id], read={invoice_id: invoice})
        for _ in range(COLLECT_ATTEMPTS):
            number = self.store.last_number(series) + 1
            receipt = NewReceipt(
                collection_id,
                staff=staff,
                receipt_no=f"{_staff_code(staff)}-{collected.year}-{number:06d}",
                invoice_id=invoice_id,
                customer_code=invoice.customer_code,
                amount=amount,
                collected_at=collected_at,
                day=day,
                staff_day=f"{staff}#{day}",
                lat=lat,
                lng=lng,
            )
            posted: Posted | None
            try:
                posted = self.ledger.post_payment(
                    self._money(receipt),
                    target,
                    extras=self.store.receipt_items(receipt, series, number),
                    extra_labels=RECEIPT_LABELS,
                )
            except PostingFailed as failed:
                if RECEIPT not in failed.failed:
                    continue  # another collection of this worker took the number: the next one
                posted = None
            if posted is None or posted.duplicate:
                # The same collection_id sent twice at once: the first one wrote it.
                first = self.store.receipt(collection_id)
                if first is None:
                    continue
                return self._replay(first, staff, invoice_id, amount, collected_at), False
            logger.info(
                "cash collected",
                extra={
                    "receipt_no": receipt.receipt_no,
                    "invoice_id": invoice_id,
                    "amount": amount,
                    "credited": posted.credited,
                },
            )
            # What the receipt records of the posting (the store wrote the same): how it spread the money.
            receipt = replace(receipt, credited=posted.credited, allocated=amount - posted.credited)
            return self._view(receipt), True
        raise ServiceUnavailable()

    def _money(self, receipt: NewReceipt) -> IncomingPayment:
        """The receipt as money received on the 'cash' channel, once per collection_id. Posted now
        (the account's entries stay in posting order); the invoice is paid at the collection's time."""
        return IncomingPayment(
            channel="cash",
            payment_id=f"cash#{receipt.collection_id}",
            external_ref=receipt.receipt_no,
            amount=int(receipt.amount),
            received_at=self.clock.now(),
            posted_by=f"staff:{receipt.staff}",
            paid_at=receipt.collected_at,
            display={
                "receipt_no": receipt.receipt_no,
                "staff": receipt.staff,
                "collected_at": receipt.collected_at,
                "collection_id": receipt.collection_id,
            },
        )

    def _check_collectable(self, invoice: InvoiceRecord, amount: int, branch: str, amount_checked: bool = True) -> None:
        """What refuses cash before any is recorded. An invoice paid meanwhile is not one of them:
        the cash is in the worker's hand, and what the invoice no longer owes becomes credit."""
        customer = self.store.customer(invoice.customer_code)
        _check_branch(branch, customer)
        if invoice.field_collect is not None and int(invoice.field_collect) == 0:
            raise _not_allowed(
                "the reading's rules do not allow collecting cash for this invoice: print a notice",
                "Không được thu tiền mặt hoá đơn này (theo kết quả kiểm tra chỉ số): in giấy báo cho khách hàng.",
            )
        channel = getattr(customer, "payment_channel", None) or "cash"
        if channel != "cash":
            raise _not_allowed(
                f"the customer pays by {channel}: do not collect cash, print a notice",
                f"Khách hàng thanh toán bằng {CHANNEL_NAMES_VI.get(channel, channel)}: "
                "không thu tiền mặt, in giấy báo.",
            )
        # A typo is caught only while nothing else was paid: once something was, any amount
        # the worker holds is recorded (the invoice takes what it still owes).
        if amount_checked and paid_amount(invoice) == 0 and amount != int(invoice.total):
            raise ValidationError(
                f"the amount must be the outstanding total, {int(invoice.total)} VND",
                f"Số tiền phải đúng bằng số tiền còn nợ: {format_vnd(int(invoice.total))}.",
                field="amount",
                code="AMOUNT_MISMATCH",
            )

    def _view(self, receipt: ReceiptRecord) -> dict[str, Any]:
        """The receipt, and when some of it went on the account, what to tell the worker
        (read from the invoice as it is now: who paid it)."""
        view = _receipt_view(receipt)
        if view.credited > 0:
            invoice = self.store.invoice(receipt.invoice_id)
            view = replace(view, notice=_credit_notice(receipt, _payments(invoice) if invoice is not None else []))
        answer: dict[str, Any] = to_json(view)
        return answer

    def _replay(
        self, receipt: ReceiptRecord, staff: str, invoice_id: str, amount: int, collected_at: str
    ) -> dict[str, Any]:
        same = (
            receipt.staff == staff
            and receipt.invoice_id == invoice_id
            and int(receipt.amount) == amount
            and _same_instant(receipt.collected_at, collected_at)
        )
        if not same:
            raise Conflict(
                "this collection_id was already used for a different collection",
                "Mã thu (collection_id) đã được dùng cho một lần thu khác.",
                field="collection_id",
                code="COLLECTION_ID_REUSED",
            )
        return self._view(receipt)

    # -- prints ------------------------------------------------------------

    def record_print(self, identity: Identity, body: dict[str, Any]) -> dict[str, Any]:
        """Count one printed notice or receipt and return what to print."""
        staff = _staff_login(identity)
        request = parse(PrintRequest, body)
        invoice_id, kind = request.invoice_id, request.kind
        text = self._text(identity.branch, invoice_id, kind, request.reason, request.collection_id)
        count = self.store.count_print(invoice_id, kind, staff, self.clock.now())
        printed = Printed(invoice_id=invoice_id, kind=kind, print_count=count, reprint=count > 1, text=text)
        answer: dict[str, Any] = to_json(printed)
        return answer

    def print_preview(
        self, identity: Identity, invoice_id: str, kind: str | None, collection_id: str | None = None
    ) -> dict[str, Any]:
        """What would print, without counting it (its path and query checked as POST /v1/staff/prints's body)."""
        _staff_login(identity)
        asked = {"invoice_id": invoice_id, "kind": kind or "notice", "collection_id": collection_id}
        request = parse(PrintRequest, {k: v for k, v in asked.items() if v is not None})
        text = self._text(identity.branch, request.invoice_id, request.kind, None, request.collection_id)
        count = self.store.print_count(request.invoice_id, request.kind)
        printed = Printed(invoice_id=request.invoice_id, kind=request.kind, print_count=count, text=text)
        answer: dict[str, Any] = to_json(printed)
        return answer

    def _text(
        self, branch: str, invoice_id: str, kind: str, reason: str | None, collection_id: str | None = None
    ) -> str:
        invoice = self.store.invoice(invoice_id)
        if invoice is None:
            raise _invoice_not_found(invoice_id)
        customer = self.store.customer(invoice.customer_code)
        _check_branch(branch, customer)
        slip = receipt_text.Slip(
            seller_name=self.s.seller_name,
            seller_hotline=self.s.seller_hotline,
            customer_name=invoice.customer_name,
            customer_code=invoice.customer_code,
            address=invoice.customer_address or getattr(customer, "address", "") or "",
            ledger_no=invoice.ledger_no or getattr(customer, "ledger_no", None),
            period=invoice.period,
            old_index=int(invoice.old_index),
            new_index=int(invoice.new_index),
            consumption_m3=int(invoice.consumption_m3),
            amount=int(invoice.total),
            invoice_id=invoice.invoice_id,
            due_date=invoice.due_date,
        )
        if kind == "receipt":
            receipt = self._receipt_of(invoice, collection_id)
            slip = replace(slip, amount=int(receipt.amount))  # what was taken, whatever the invoice owes
            collector = str(receipt.staff)
            account = self.store.account(f"staff:{collector}")
            name = getattr(account, "full_name", None)
            return receipt_text.receipt(
                slip,
                receipt_no=receipt.receipt_no,
                collector=f"{name} ({collector})" if name else collector,
                collected_at=receipt.collected_at,
                credited=int(receipt.credited or 0),
            )
        if invoice.status != "unpaid":
            raise (
                _already_paid(invoice)
                if invoice.status == "paid"
                else Conflict(
                    f"the invoice is {invoice.status}",
                    f"Hoá đơn ở trạng thái {invoice.status}.",
                    code="INVOICE_NOT_PAYABLE",
                )
            )
        return receipt_text.notice(slip, reason=reason or self._why_not_collected(invoice, customer))

    def _receipt_of(self, invoice: InvoiceRecord, collection_id: str | None) -> ReceiptRecord:
        """The cash receipt to print: the one named, else the invoice's latest cash payment, else (all
        of it went on the account: the invoice was paid meanwhile) the account's latest one for it."""
        if collection_id is not None:
            receipt = self.store.receipt(collection_id)
        else:
            cash = [p for p in _payments(invoice) if p.get("channel") == "cash" and p.get("collection_id")]
            receipt = (
                self.store.receipt(str(cash[-1]["collection_id"]))
                if cash
                else self.store.credited_receipt(invoice.customer_code, invoice.invoice_id)
            )
        if receipt is None or receipt.invoice_id != invoice.invoice_id:
            raise _no_receipt()
        return receipt

    def _why_not_collected(self, invoice: InvoiceRecord, customer: CustomerRecord | None) -> str | None:
        channel = getattr(customer, "payment_channel", None) or "cash"
        if channel != "cash":
            return f"Khách hàng thanh toán bằng {CHANNEL_NAMES_VI.get(channel, channel)}."
        if invoice.field_collect is not None and int(invoice.field_collect) == 0 and invoice.reading_id:
            reading = self.store.reading(invoice.reading_id)
            messages = [str(dict(r).get("message_vi") or "") for r in (getattr(reading, "reasons", None) or []) if r]
            return " ".join(m for m in messages if m) or None
        return None

    # -- reconciliation ----------------------------------------------------

    def staff_reconciliation(self, identity: Identity, day: str | None) -> dict[str, Any]:
        return self.reconciliation(_staff_login(identity), self._day(day))

    def admin_reconciliation(self, staff: str | None, day: str | None) -> dict[str, Any]:
        whose = parse(StaffDayQuery, {} if staff is None else {"staff": staff})
        return self.reconciliation(whose.staff, self._day(day))

    def reconciliation(self, staff: str, day: str) -> dict[str, Any]:
        """The day's receipts (one Query), their print counts (one BatchGetItem)
        and the handover an admin recorded (one GetItem)."""
        receipts = self.store.day_receipts(staff, day)
        prints = self.store.print_counts([r.invoice_id for r in receipts], "receipt")
        total = sum(int(r.amount) for r in receipts)
        handover = self.store.handover(staff, day)
        shown = Reconciliation(
            staff=staff,
            date=day,
            count=len(receipts),
            cash_total=total,
            cash_total_text=format_vnd(total),
            receipts=[
                ReconciledReceipt(
                    receipt_no=r.receipt_no,
                    invoice_id=r.invoice_id,
                    customer_code=r.customer_code,
                    amount=int(r.amount),
                    collected_at=r.collected_at,
                    print_count=prints.get(r.invoice_id, 0),
                    # cash in hand all the same: the invoice was paid meanwhile, this went on the account
                    credited=int(r.credited or 0),
                )
                for r in receipts
            ],
            handover=_handover_view(handover) if handover is not None else None,
            not_handed_over=total - (int(handover.handed_over) if handover is not None else 0),
        )
        answer: dict[str, Any] = to_json(shown)
        return answer

    def record_handover(self, actor: str, body: dict[str, Any]) -> dict[str, Any]:
        """An admin counts the cash a staff member hands over for a day; the
        expected amount is the day's receipts. Recording again replaces it (audited)."""
        request = parse(Handover, body)
        staff, day, handed_over, note = request.staff, request.date, request.handed_over, request.note
        if self.store.account(f"staff:{staff}") is None:
            raise NotFound("no such staff member", "Không tìm thấy nhân viên.", field="staff", code="STAFF_NOT_FOUND")
        receipts = self.store.day_receipts(staff, day)
        expected = sum(int(r.amount) for r in receipts)
        before = self.store.handover(staff, day)
        now = self.clock.now()
        item = NewHandover(
            staff,
            day,
            expected=expected,
            handed_over=handed_over,
            received_by=actor,
            received_at=now,
            note=note or None,
        )
        audit = self._audit_entry(
            f"handover#{staff}#{day}",
            actor,
            "handover.record",
            to_json(_handover_view(before)) if before is not None else None,
            dict(to_json(_handover_view(item)), receipts=len(receipts)),
            now,
        )
        self.store.record_handover(item, audit)
        logger.info(
            "cash handover recorded",
            extra={"staff": staff, "day": day, "expected": expected, "handed_over": handed_over},
        )
        return self.reconciliation(staff, day)

    def _day(self, value: str | None) -> str:
        if value is None or value == "":
            return now_vn(self.clock.now()).date().isoformat()
        return parse(DayQuery, {"date": value}).date


# -- views and parsing ------------------------------------------------------


def _receipt_view(r: ReceiptRecord) -> Receipt:
    amount = int(r.amount)
    credited = int(r.credited or 0)
    return Receipt(
        collection_id=r.collection_id,
        receipt_no=r.receipt_no,
        invoice_id=r.invoice_id,
        customer_code=r.customer_code,
        amount=amount,
        amount_text=format_vnd(amount),
        amount_in_words=amount_in_words(amount),
        collected_at=r.collected_at,
        staff=r.staff,
        date=r.day,
        allocated=amount - credited if r.allocated is None else int(r.allocated),
        credited=credited,
    )


def _credit_notice(r: ReceiptRecord, payments: list[dict[str, Any]]) -> CreditNotice:
    """What the app shows when cash went on the account: who paid the invoice
    meanwhile, and that the worker keeps the money as credit or gives it back."""
    credited = int(r.credited or 0)
    allocated = int(r.amount) - credited
    others = [p for p in payments if p.get("collection_id") != r.collection_id]
    last = others[-1] if others else {}
    channel = str(last.get("channel") or "")
    partly_en, partly_vi = ("partly ", " một phần") if allocated > 0 else ("", "")
    code: NoticeCode
    if channel == "cash":
        code = "ALREADY_PAID_IN_CASH"
        what_en = f"{partly_en}collected in cash already (receipt {last.get('receipt_no')})"
        what_vi = f"Hoá đơn đã được thu tiền mặt{partly_vi} (biên nhận {last.get('receipt_no')})"
    else:
        code = "ALREADY_PAID_ONLINE"
        how = CHANNEL_NAMES_VI_ONLINE.get(channel, channel)
        what_en = f"{partly_en or 'already '}paid online{f' ({channel})' if channel else ''}"
        what_vi = f"Hoá đơn đã được thanh toán trực tuyến{partly_vi}{f' ({how})' if how else ''}"
    rest_en = f"; {format_vnd(allocated)} paid the rest of it" if allocated > 0 else ""
    rest_vi = f"; {format_vnd(allocated)} trả nốt hoá đơn" if allocated > 0 else ""
    return CreditNotice(
        code=code,
        message_en=f"The invoice was {what_en}{rest_en} — the money goes on the account "
        f"({format_vnd(credited)}, taken off the next bill), or give it back.",
        message_vi=f"{what_vi}{rest_vi}. Số tiền {format_vnd(credited)} được ghi có vào tài khoản "
        "khách hàng (trừ vào kỳ sau), hoặc trả lại tiền cho khách.",
    )


def _payments(invoice: InvoiceRecord) -> list[dict[str, Any]]:
    return [dict(p) for p in (invoice.payments or []) if p is not None]


def _handover_view(h: HandoverRecord) -> HandoverView:
    return HandoverView(
        expected=int(h.expected),
        handed_over=int(h.handed_over),
        difference=int(h.handed_over) - int(h.expected),
        received_by=h.received_by,
        received_at=iso(h.received_at),
        note=h.note,
    )


def _check_branch(staff_branch: str, customer: CustomerRecord | None) -> None:
    customer_branch = getattr(customer, "branch", None)
    if staff_branch and customer_branch and staff_branch != customer_branch:
        raise Forbidden(
            "the customer belongs to another branch: collect and print only for your branch",
            "Khách hàng thuộc chi nhánh khác: chỉ thu tiền và in cho khách hàng của chi nhánh mình.",
            code="OUTSIDE_BRANCH",
        )


def _staff_login(identity: Identity) -> str:
    role, _, login = identity.account_id.partition(":")
    if identity.role != "staff" or role != "staff" or not login:
        raise Forbidden("staff only", "Chỉ dành cho nhân viên.")
    return login


def _staff_code(login: str) -> str:
    """The staff member's part of a receipt number: the login, upper case, letters and digits."""
    return re.sub(r"[^A-Z0-9]", "", login.upper()) or "NV"


def _instant(value: str, now: int) -> datetime:
    """An ISO 8601 instant from the device (shapes_field.Collection checked its form), in Vietnam time.
    Without an offset it is Vietnam time."""
    moment = vn_within(datetime.fromisoformat(value), now, MAX_PAST, MAX_FUTURE)
    if moment is None:
        raise ValidationError(
            "collected_at is too far from now (at most 7 days ago)",
            "Thời điểm thu không hợp lệ (quá xa so với hiện tại).",
            field="collected_at",
        )
    return moment


def _same_instant(a: str, b: str) -> bool:
    try:
        return datetime.fromisoformat(a) == datetime.fromisoformat(b)
    except ValueError:
        return a == b
