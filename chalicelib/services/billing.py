"""Tariff versions and invoice issuance: a reading becomes a numbered invoice
priced by the tariff in force. No Chalice, no boto3."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain import einvoice_due
from chalicelib.domain import invoices as invoice_rules
from chalicelib.domain import ledger as ledger_rules
from chalicelib.domain import tariff as tariff_rules
from chalicelib.domain.messages import EInvoiceToIssue
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.tickets import billed_persons as _persons_in_period
from chalicelib.errors import Conflict, NotFound, ServiceUnavailable, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.common import AuditEntries, AuditRecorder, Clock, ConditionFailed, Publisher
from chalicelib.ports.customers import CustomerRecord, Customers
from chalicelib.ports.invoices import (
    BillingLedger,
    CreditChanged,
    InvoiceExists,
    InvoiceIssuer,
    InvoicePosting,
    InvoiceRecord,
    IssueUnclear,
    NewInvoice,
    NewInvoiceLine,
    SeriesTaken,
    Tariffs,
)
from chalicelib.services.shapes_admin import (
    IssueInvoice,
    StoredTariff,
    Tariff,
    TariffVersions,
    tariff_fields,
)
from chalicelib.services.shapes_invoices import InvoiceDetail, InvoiceLine

DUE_DAYS = 15
ISSUE_ATTEMPTS = 10
CREDIT_NOTE = "Trừ tiền thừa kỳ trước / credit from the previous bill"
CORRECTION_NOTE = "Điều chỉnh hoá đơn: tiền thừa chuyển vào tài khoản / correction: the excess goes to the account"


def _back_off(attempt: int) -> None:
    """Full jitter before trying the series again: without it, racers that lost
    retry in lockstep and conflict again (seen with 12 concurrent issues on a
    loaded machine). At most about 1.6 s over all attempts."""
    time.sleep(random.uniform(0, min(0.25, 0.01 * 2**attempt)))


def month_before(d: date) -> date:
    year, month = (d.year - 1, 12) if d.month == 1 else (d.year, d.month - 1)
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def billed_persons(customer: CustomerRecord, period: str) -> int:
    """The residents this period's bill is priced for: a household-size registration approved through a
    ticket (issue 18) counts from the period after its approval, never for the bill being made then."""
    return _persons_in_period(customer.persons, customer.persons_next, customer.persons_from, period)


def _two_dp(x: Fraction | float | None) -> float | None:
    return None if x is None else round(float(x), 2)


class BillingService:
    def __init__(
        self,
        *,
        settings: Settings,
        customers: Customers,
        tariffs: Tariffs,
        invoices: InvoiceIssuer,
        audit_entry: AuditEntries,
        audit: AuditRecorder,
        clock: Clock,
        ledger: BillingLedger,
        einvoices_on: Callable[[], bool] = lambda: False,
        publisher: Publisher | None = None,
    ) -> None:
        self.s = settings
        self.customers = customers
        self.tariffs = tariffs
        self.invoices = invoices  # reads invoices, and issues them with their number and posting
        self.audit_entry = audit_entry
        self.audit = audit
        self.clock = clock
        self.ledger = ledger  # the account's credit, invoices read consistently
        self.einvoices_on = einvoices_on  # a licensed e-invoice provider is configured (deps.einvoices)
        self.publisher = publisher

    # -- tariffs -----------------------------------------------------------

    def add_tariff(self, actor: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            version = tariff_rules.version_from_dict(body)
        except tariff_rules.TariffError as exc:
            raise ValidationError(str(exc), f"Biểu giá không hợp lệ: {exc}", code="INVALID_TARIFF") from None
        data = tariff_rules.version_to_dict(version)
        now = self.clock.now()
        try:
            self.tariffs.add(
                version.key,
                version.valid_from.isoformat(),
                tariff_id=version.tariff_id,
                version=json.dumps(data, ensure_ascii=False),
                created_at=now,
                created_by=actor,
                audit=self.audit_entry(f"tariff#{version.key}", actor, "tariff.add", None, data),
            )
        except ConditionFailed:
            raise Conflict(
                "a version of this tariff already starts on that date; versions never change, "
                "add one with a later valid_from",
                "Đã có biểu giá bắt đầu từ ngày này; biểu giá không được sửa, hãy thêm phiên bản mới.",
                code="TARIFF_VERSION_EXISTS",
            ) from None
        return to_json(Tariff(**tariff_fields(data)))  # type: ignore[no-any-return]

    def list_tariffs(self, area: object, customer_class: object) -> dict[str, Any]:
        if not isinstance(area, str) or not isinstance(customer_class, str):
            raise ValidationError(
                "area and customer_class are required", "Thiếu area hoặc customer_class.", field="area"
            )
        items = self.tariffs.list(f"{area}#{customer_class}")
        versions = [StoredTariff(**tariff_fields(json.loads(i.version)), created_by=i.created_by) for i in items]
        return to_json(TariffVersions(versions=versions))  # type: ignore[no-any-return]

    def load_published(self, actor: str, versions: Iterable[tariff_rules.TariffVersion]) -> int:
        """Add the shipped tables that are not there yet (idempotent)."""
        added = 0
        for v in versions:
            try:
                self.add_tariff(actor, tariff_rules.version_to_dict(v))
                added += 1
            except Conflict:
                pass
        return added

    # -- invoices ----------------------------------------------------------

    def issue_invoice(self, actor: str, body: dict[str, Any]) -> dict[str, Any]:
        reading = parse(IssueInvoice, body)
        if reading.new_index < reading.old_index:
            raise ValidationError(
                "the new index is below the old one",
                "Chỉ số mới nhỏ hơn chỉ số cũ.",
                field="new_index",
                code="NEW_INDEX_BELOW_OLD",
            )
        read_on = date.fromisoformat(reading.read_on)
        previous = reading.previous_read_on
        start = date.fromisoformat(previous) if previous is not None else month_before(read_on)
        customer = self.customers.get(reading.customer_code)
        if customer is None:
            raise NotFound("no customer has this code", "Không tìm thấy mã khách hàng.", code="CUSTOMER_NOT_FOUND")
        detail = self.issue(actor, customer, reading.period, reading.old_index, reading.new_index, read_on, start)
        shown = InvoiceDetail(**dict(detail, lines=[InvoiceLine(**line) for line in detail["lines"]]))
        return to_json(shown)  # type: ignore[no-any-return]

    def issue(
        self,
        actor: str,
        customer: CustomerRecord,
        period: str,
        old_index: int,
        new_index: int,
        read_on: date,
        start: date,
        *,
        consumption: int | None = None,
        field_collect: int | None = None,
        reading_id: str | None = None,
        replace_unpaid: bool = False,
        evidence: bool = False,
    ) -> dict[str, Any]:
        """Price and write one invoice with its charge on the customer's account
        (the account's credit applied to it). `consumption` overrides new - old (a
        meter that rolled over or was replaced); `replace_unpaid` makes it a
        correction of the period's invoice, paid or not (audited): what was paid
        stays paid, the difference is an adjustment."""
        code = customer.code
        if not start < read_on <= start + timedelta(days=400):
            raise ValidationError(
                "previous_read_on must be before read_on, at most 400 days",
                "Ngày đọc trước phải trước ngày đọc này, cách nhau tối đa 400 ngày.",
                field="previous_read_on",
            )
        m3 = new_index - old_index if consumption is None else consumption

        key = f"{customer.tariff_area}#{customer.customer_class}"
        stored = self.tariffs.versions_for(key, (start + timedelta(days=1)).isoformat(), read_on.isoformat())
        versions = [tariff_rules.version_from_dict(json.loads(i.version)) for i in stored]
        try:
            bill = tariff_rules.price(m3, start, read_on, versions, persons=billed_persons(customer, period))
        except tariff_rules.TariffError as exc:
            raise Conflict(
                f"cannot price this reading: {exc}", f"Không tính được tiền nước: {exc}", code="NO_TARIFF"
            ) from None

        today = self.clock.vn_now().date()
        symbol = self.s.invoice_symbol.replace("{yy}", f"{today.year % 100:02d}")
        series = f"{self.s.invoice_template}{symbol}"
        invoice_id = f"INV-{code}-{period.replace('-', '')}"
        invoice = NewInvoice(
            invoice_id,
            customer_code=code,
            period=period,
            period_key=f"{period}#{invoice_id}",
            customer_status=f"{code}#unpaid",
            status="unpaid",
            customer_name=customer.name,
            customer_address=customer.address,
            ledger_no=customer.ledger_no,
            old_index=old_index,
            new_index=new_index,
            consumption_m3=bill.consumption_m3,
            lines=[
                NewInvoiceLine(
                    kind=ln.kind,
                    description=ln.description,
                    amount=ln.amount,
                    quantity=_two_dp(ln.quantity),
                    unit_price=_two_dp(ln.unit_price),
                    rate_percent=ln.rate_percent,
                )
                for ln in bill.lines
            ],
            subtotal=bill.subtotal,
            vat=bill.vat,
            env_fee=bill.env_fee,
            total=bill.total,
            issued_on=today.isoformat(),
            due_date=(today + timedelta(days=DUE_DAYS)).isoformat(),
            source="billing",
            tariff_ref=", ".join(f"{v.tariff_id}: {v.legal_ref}" for v in versions if v.tariff_id in bill.tariff_ids),
            invoice_template=self.s.invoice_template,
            invoice_symbol=symbol,
            period_start=start.isoformat(),
            period_end=read_on.isoformat(),
            proration=bill.proration,
            issued_by=actor,
            payments=[],
            field_collect=field_collect,
            reading_id=reading_id,
            reading_evidence=1 if evidence else None,
            paid_amount=0,
        )
        if bill.charges == 0 and not invoice_rules.lines_add_up(
            invoice.lines, bill.subtotal, bill.vat, bill.env_fee, bill.total
        ):
            raise AssertionError("invoice lines do not add up")  # never expected: the engine guarantees it
        now = self.clock.now()
        if self.publisher is not None and self.einvoices_on():
            # The sweep re-queues it if the publish below is lost (services/einvoice_sweep.py).
            invoice.einvoice_due, invoice.einvoice_due_at = einvoice_due.DUE_PARTITION, einvoice_due.first_look(now)
        current = self.ledger.invoice(invoice_id) if replace_unpaid else None
        issued: NewInvoice | InvoiceRecord = invoice
        unclear: set[int] = set()  # numbers of attempts that may have been written all the same
        for attempt in range(ISSUE_ATTEMPTS):
            if current is not None:
                _correctable(current, now)
                posting = self._correction(invoice, current, actor, now)
            else:
                posting = self._charge(invoice, actor, now)
            number = self.invoices.last_number(series) + 1
            invoice.invoice_number = number
            try:
                self.invoices.issue(invoice, series, number, posting, replacing=current, at=now)
                break
            except IssueUnclear:
                unclear.add(number)
                _back_off(attempt)
            except (SeriesTaken, CreditChanged):
                _back_off(attempt)
            except InvoiceExists:
                found = self.ledger.invoice(invoice_id)
                if found is not None and _ours(found, invoice, unclear):
                    issued = found  # an earlier attempt was written; its answer was lost
                    break
                if current is None:
                    raise Conflict(
                        "this customer already has an invoice for this period",
                        "Khách hàng đã có hoá đơn kỳ này.",
                        code="INVOICE_EXISTS",
                    ) from None
                if found is None:
                    raise ServiceUnavailable() from None  # never expected: invoices are not deleted
                current = found  # paid, partly paid or held meanwhile: correct it as it is now
                _back_off(attempt)
        else:
            raise ServiceUnavailable()
        detail = invoice_rules.detail(issued)
        if current is not None:
            self.audit(f"invoice#{invoice_id}", actor, "invoice.correct", invoice_rules.detail(current), detail)
        self._queue_einvoice(invoice_id)
        return detail

    def _queue_einvoice(self, invoice_id: str) -> None:
        """The charged invoice goes to the e-invoice provider's queue (services/einvoices.py), after it
        is written: a queue that fails loses no invoice and fails no charge. It is logged (alarmed on
        like any error), and the invoice stays without an e-invoice status (einvoice null in its detail) until
        it is queued again: by the sweep (services/einvoice_sweep.py: the invoice was written due, minutes
        on), or by the next charge of the same invoice (a correction)."""
        if self.publisher is None or not self.einvoices_on():
            return
        message = EInvoiceToIssue(invoice_id=invoice_id)
        try:
            self.publisher.publish(message.QUEUE, to_json(message))
        except Exception:
            logger.exception("e-invoice: could not queue the charged invoice", extra={"invoice_id": invoice_id})

    def _charge(self, invoice: NewInvoice, actor: str, now: int) -> InvoicePosting:
        """A new invoice's charge; the account's credit pays what it covers at
        once (the bill shows it), from the credit as read: a credit that moved
        meanwhile fails the transaction, and the issue reads it again."""
        code, invoice_id, total = invoice.customer_code, invoice.invoice_id, int(invoice.total)
        account = self.ledger.account(code)
        credit = int(account.credit or 0) if account is not None else 0
        taken = ledger_rules.apply_credit(credit, total)
        lines: list[dict[str, object]] = [{"kind": "charge", "amount": total, "invoice_id": invoice_id}]
        shown: list[dict[str, Any]] = []
        if taken:
            lines.append({"kind": "allocation", "amount": taken, "invoice_id": invoice_id})
            shown.append({"channel": "credit", "amount": taken, "received_at": now, "note": CREDIT_NOTE})
        self._settle(invoice, taken, 0, shown, paid_at=None)
        return InvoicePosting(
            event="charge",
            reference=invoice_id,
            posted_at=now,
            posted_by=actor,
            lines=list(lines),
            credit=-taken,
            credit_seen=credit,
        )

    def _correction(self, invoice: NewInvoice, current: InvoiceRecord, actor: str, now: int) -> InvoicePosting:
        """A correction of `current` as read: the difference is an adjustment;
        what was paid stays paid up to the new total, the excess goes back to
        the account as credit (domain.ledger.correct)."""
        invoice_id = invoice.invoice_id
        fix = ledger_rules.correct(int(current.total), int(invoice.total), invoice_rules.paid_amount(current))
        lines: list[dict[str, object]] = [{"kind": "adjustment", "amount": fix.adjustment, "invoice_id": invoice_id}]
        shown: list[dict[str, Any]] = [dict(p) for p in (current.payments or [])]
        if fix.reversal:
            lines.append({"kind": "allocation", "amount": -fix.reversal, "invoice_id": invoice_id})
            shown.append(
                {"channel": "correction", "amount": -fix.reversal, "received_at": now, "note": CORRECTION_NOTE}
            )
        self._settle(
            invoice,
            fix.paid_after,
            int(current.written_off or 0),
            shown,
            paid_at=current.paid_at if current.status == "paid" else None,
        )
        return InvoicePosting(
            event="correction",
            reference=invoice_id,
            posted_at=now,
            posted_by=actor,
            lines=list(lines),
            credit=fix.reversal,
        )

    def _settle(
        self, invoice: NewInvoice, paid: int, written_off: int, shown: list[dict[str, Any]], paid_at: str | None
    ) -> None:
        """The invoice's paid amount, status and payment list as the posting leaves them."""
        status = ledger_rules.status_after(int(invoice.total), paid, written_off)
        invoice.paid_amount = paid
        invoice.written_off = written_off or None
        invoice.status = status
        invoice.customer_status = f"{invoice.customer_code}#{status}"
        invoice.payments = shown
        invoice.paid_at = (paid_at or self.clock.vn_now().isoformat(timespec="seconds")) if status == "paid" else None


def _ours(stored: InvoiceRecord, invoice: NewInvoice, numbers: set[int]) -> bool:
    """Whether the invoice found is this issue's own write: the same series, a number one of its unclear
    attempts took, and the same reading, author and total."""
    return (
        stored.invoice_number is not None
        and int(stored.invoice_number) in numbers
        and (stored.invoice_template, stored.invoice_symbol, stored.reading_id, stored.issued_by)
        == (invoice.invoice_template, invoice.invoice_symbol, invoice.reading_id, invoice.issued_by)
        and int(stored.total) == int(invoice.total)
    )


def _correctable(invoice: InvoiceRecord, now: int) -> None:
    """Paid or not, an invoice can be corrected, except a cancelled one, and one an
    open VNPay order holds at its amount (until the order is paid, fails or lapses)."""
    if invoice.status == "cancelled":
        raise Conflict(
            "this period's invoice is cancelled; it cannot be corrected",
            "Hoá đơn kỳ này đã huỷ: không thể điều chỉnh.",
            code="INVOICE_CANCELLED",
        )
    if invoice.pending_order_id and int(invoice.pending_until or 0) > now:
        raise Conflict(
            "this invoice is being paid in an open order; correct it when the order ends",
            "Hoá đơn đang được thanh toán trong một đơn mở: điều chỉnh sau khi đơn kết thúc.",
            code="INVOICE_PAYMENT_PENDING",
        )
