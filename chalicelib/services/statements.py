"""Bank statements (CK) and the State Treasury's authorised collections (NT,
bank code KBNN): import a CSV export, pay the invoices it pays exactly, keep
the rest in a suspense list that managers resolve by hand. No Chalice, no
boto3.

Importing is synchronous and bounded (MAX_BYTES, MAX_LINES): a day's file of
one bank is hundreds to a few thousand lines. Every line is recorded once
(its key is '<bank>#<bank reference>'): importing the same file again changes
nothing and reports the lines as duplicates. A line pays an invoice in the
same transaction that records it, under the invoice's 'still unpaid for this
amount' condition, so a line never pays twice and an invoice paid meanwhile
(VNPay, cash) leaves the line in suspense as ALREADY_PAID: never applied
twice, never lost."""
from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Optional

from chalicelib.adapters.clock import VN_TZ
from chalicelib.domain import statements as rules
from chalicelib.domain.invoices import INVOICE_ID_RE, format_vnd
from chalicelib.errors import AppError, Conflict, NotFound, ServiceUnavailable, ValidationError
from chalicelib.observability import logger
from chalicelib.store.models import StatementLineModel
from chalicelib.store.statements import Contended, InvoiceChanged, LineExists, LineNotInSuspense

MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 5000
APPLY_ATTEMPTS = 5
PAGE_DEFAULT = 100
PAGE_MAX = 500
MAX_NOTE = 500
LINE_ID_RE = re.compile(r"^[A-Z]{2,10}#[^\x00-\x1f]{1,64}$")


class PayloadTooLarge(AppError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"
    message_vi = "Tệp gửi lên quá lớn."
    message_en = "The file is too large."


def channel_of(bank: str) -> str:
    return "authorised_debit" if bank == rules.TREASURY else "bank_transfer"


class StatementService:
    def __init__(self, *, store, clock, audit_entry, audit=None) -> None:
        self.store = store
        self.clock = clock
        self._audit_entry = audit_entry
        self._audit = audit

    # -- importing ---------------------------------------------------------

    def import_statement(self, actor: str, bank: Optional[str], data: bytes) -> dict:
        bank = _bank(bank)
        if len(data) > MAX_BYTES:
            raise PayloadTooLarge(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it",
                                  f"Tệp lớn hơn {MAX_BYTES // (1024 * 1024)} MB: hãy chia nhỏ tệp.")
        if not data.strip():
            raise ValidationError("the body must be the statement's CSV", "Thiếu nội dung tệp sao kê (CSV).",
                                  code="INVALID_STATEMENT")
        try:
            parsed = rules.parse_statement(data, bank)
        except rules.StatementError as exc:
            raise ValidationError(
                f"the statement cannot be read: {exc}",
                "Không đọc được tệp sao kê (cần tệp CSV UTF-8 hoặc Excel .xlsx có dòng tiêu đề: ngày giao dịch, "
                "số tham chiếu, số tiền ghi có, nội dung).", code="INVALID_STATEMENT") from None
        if len(parsed.lines) > MAX_LINES:
            raise PayloadTooLarge(f"more than {MAX_LINES} lines: split the file",
                                  f"Tệp có hơn {MAX_LINES} dòng: hãy chia nhỏ tệp.")
        now = self.clock.now()
        today = datetime.fromtimestamp(now, VN_TZ).date()
        errors = list(parsed.errors)
        lines = []
        for line in parsed.lines:
            if rules.booked_on_is_plausible(line.booked_on, today):
                lines.append(line)
            else:
                errors.append({"row": line.row, "message": f"booking date {line.booked_on} is in the future "
                                                           "or before 2000"})
        errors.sort(key=lambda e: e["row"])
        import_id = f"BS-{bank}-{datetime.fromtimestamp(now, VN_TZ):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"

        # Reads in batches: lines already recorded, customers and invoices named.
        recorded = self.store.existing_lines(f"{bank}#{x.bank_ref}" for x in lines)
        fresh = [x for x in lines if f"{bank}#{x.bank_ref}" not in recorded]
        refs = {x.bank_ref: rules.find_references(x.description) for x in fresh}
        known = self.store.known_customers(c for r in refs.values() for c in r.customer_codes)
        facts = {i: _facts(inv) for i, inv in self.store.invoices(
            i for r in refs.values() for i in r.invoice_ids if r.customer_codes and i.split("-")[1] in known
        ).items()}
        unpaid: dict[str, list] = {}

        results = [{"row": x.row, "line_id": f"{bank}#{x.bank_ref}", "status": "duplicate"}
                   for x in lines if f"{bank}#{x.bank_ref}" in recorded]
        for line in fresh:
            r = refs[line.bank_ref]
            named = [i for i in r.invoice_ids if i in facts and facts[i].status != "cancelled"]
            if not named:
                for code in r.customer_codes:
                    if code in known and code not in unpaid:
                        unpaid[code] = [_facts(i) for i in self.store.unpaid_of(code)]
                        for f in unpaid[code]:
                            facts.setdefault(f.invoice_id, f)
            decision = rules.decide(line.amount, r, facts,
                                    {c: [facts[f.invoice_id] for f in fs] for c, fs in unpaid.items()}, known)
            status, invoice_id, reason = self._record(bank, line, import_id, now, decision, facts)
            results.append({"row": line.row, "line_id": f"{bank}#{line.bank_ref}", "status": status,
                            "invoice_id": invoice_id, "reason": reason, "amount": line.amount})
        results.sort(key=lambda x: x["row"])
        counts = {k: sum(1 for x in results if x["status"] == k) for k in ("matched", "suspense", "duplicate")}
        out = {"import_id": import_id, "bank": bank, "channel": channel_of(bank), "lines": len(lines),
               "matched": counts["matched"], "suspense": counts["suspense"], "duplicates": counts["duplicate"],
               "skipped": parsed.skipped, "errors": errors, "results": results}
        if self._audit is not None:
            self._audit(f"statement_import#{import_id}", actor, "statement.import", None,
                        {k: v for k, v in out.items() if k not in ("results", "errors")} | {"errors": len(errors)})
        logger.info("bank statement imported", extra={"import_id": import_id, "bank": bank, "lines": len(lines),
                                                      "matched": counts["matched"], "suspense": counts["suspense"],
                                                      "duplicates": counts["duplicate"], "errors": len(errors)})
        return out

    def _record(self, bank: str, line: rules.StatementLine, import_id: str, now: int,
                decision: rules.Decision, facts: dict) -> tuple[str, Optional[str], Optional[str]]:
        """Pay the matched invoice with the line, or put the line in suspense.
        Returns (matched | suspense | duplicate, invoice_id, reason)."""
        def item(status, invoice_id=None, reason=None):
            return StatementLineModel(f"{bank}#{line.bank_ref}", bank_code=bank, bank_ref=line.bank_ref,
                                      booked_on=line.booked_on, amount=line.amount, description=line.description,
                                      import_id=import_id, imported_at=now, status=status, invoice_id=invoice_id,
                                      reason=reason)

        reason = decision.reason
        if decision.status == "matched":
            invoice = facts[decision.invoice_id]
            payment = _payment(bank, line.bank_ref, line.amount, line.booked_on, import_id)
            for _ in range(APPLY_ATTEMPTS):
                try:
                    self.store.apply(item("matched", invoice.invoice_id), invoice, payment, _paid_at(line.booked_on))
                except LineExists:
                    return "duplicate", None, None
                except (InvoiceChanged, Contended) as exc:
                    current = self.store.invoice(invoice.invoice_id)
                    if current is not None and current.status == "unpaid" and int(current.total) == line.amount \
                            and isinstance(exc, Contended):
                        continue
                    reason = "ALREADY_PAID" if current is not None and current.status == "paid" \
                        else "AMOUNT_MISMATCH"
                    if current is not None:
                        facts[invoice.invoice_id] = _facts(current)
                    break
                else:
                    facts[invoice.invoice_id] = rules.InvoiceFacts(invoice.invoice_id, invoice.customer_code,
                                                                   "paid", invoice.total)
                    return "matched", invoice.invoice_id, None
            else:
                raise ServiceUnavailable()
            logger.info("statement line not applied: the invoice changed",
                        extra={"line_id": f"{bank}#{line.bank_ref}", "invoice_id": invoice.invoice_id,
                               "reason": reason})
        if not self.store.record(item("suspense", reason=reason)):
            return "duplicate", None, None
        return "suspense", None, reason

    # -- the suspense list -------------------------------------------------

    def suspense(self, limit: Optional[str], cursor: Optional[str]) -> dict:
        size = _limit(limit)
        if cursor is not None and len(cursor) > 1024:
            raise ValidationError("cursor is not valid", "Tham số cursor không hợp lệ.", field="cursor",
                                  code="INVALID_CURSOR")
        items, next_cursor = self.store.by_status("suspense", size, cursor or None)
        return {"items": [_view(x) for x in items], "next_cursor": next_cursor}

    def resolve(self, actor: str, line_id: str, body: dict) -> dict:
        """A manager applies a suspense line to an invoice ({invoice_id}) or sets
        it aside ({ignore: true, note}). Audited; applying is exactly-once."""
        line_id = _line_id(line_id)
        invoice_id, ignore, note = body.get("invoice_id"), body.get("ignore"), body.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
            raise ValidationError(f"note: up to {MAX_NOTE} characters", f"Ghi chú tối đa {MAX_NOTE} ký tự.",
                                  field="note")
        if ignore not in (None, False, True):
            raise ValidationError("ignore must be true or false", "Trường ignore phải là true hoặc false.",
                                  field="ignore")
        if (invoice_id is None) == (ignore is not True):
            raise ValidationError("give either invoice_id or ignore: true", "Cần mã hoá đơn hoặc ignore: true.",
                                  field="invoice_id")
        if ignore is True and not (note or "").strip():
            raise ValidationError("note: say why the line is set aside", "Cần ghi chú lý do bỏ qua.",
                                  field="note")
        line = self.store.line(line_id)
        if line is None:
            raise NotFound("no such statement line", "Không tìm thấy dòng sao kê.",
                           code="STATEMENT_LINE_NOT_FOUND")
        if line.status != "suspense":
            raise _not_in_suspense(line)
        before = _view(line)
        if ignore is True:
            after = dict(before, status="ignored", resolved_by=actor, note=note.strip())
            try:
                self.store.ignore(line_id, actor, self._audit_entry(
                    f"statement_line#{line_id}", actor, "statement.ignore", before, after, self.clock.now()))
            except LineNotInSuspense:
                raise _not_in_suspense(self.store.line(line_id) or line) from None
            except Contended:
                raise ServiceUnavailable() from None
            return after

        if not isinstance(invoice_id, str) or not INVOICE_ID_RE.match(invoice_id):
            raise ValidationError("invoice_id is not valid", "Mã hoá đơn không hợp lệ.", field="invoice_id")
        amount = int(line.amount)
        for _ in range(APPLY_ATTEMPTS):
            invoice = self.store.invoice(invoice_id)
            if invoice is None:
                raise NotFound(f"no such invoice: {invoice_id}", f"Không tìm thấy hoá đơn {invoice_id}.",
                               field="invoice_id", code="INVOICE_NOT_FOUND")
            if invoice.status == "paid":
                raise Conflict("the invoice is already paid", "Hoá đơn đã được thanh toán.",
                               code="INVOICE_ALREADY_PAID")
            if invoice.status != "unpaid":
                raise Conflict(f"the invoice is {invoice.status}", "Hoá đơn không còn phải thanh toán.",
                               code="INVOICE_NOT_PAYABLE")
            if int(invoice.total) != amount:
                total = int(invoice.total)
                raise Conflict(f"the line's amount {amount} is not the invoice's total {total}",
                               f"Số tiền {format_vnd(amount)} khác tổng hoá đơn {format_vnd(total)}.",
                               code="AMOUNT_MISMATCH")
            now = self.clock.now()
            after = dict(before, status="resolved", invoice_id=invoice_id, resolved_by=actor)
            if note:
                after["note"] = note.strip()
            payment = dict(_payment(line.bank_code, line.bank_ref, amount, line.booked_on, line.import_id),
                           resolved_by=actor)
            audits = [self._audit_entry(f"statement_line#{line_id}", actor, "statement.resolve", before, after, now),
                      self._audit_entry(f"invoice#{invoice_id}", actor, "invoice.pay_from_statement",
                                        {"status": invoice.status}, {"status": "paid", "payment": payment}, now)]
            try:
                self.store.resolve(line, invoice, payment, _paid_at(line.booked_on), actor, audits)
            except LineNotInSuspense:
                raise _not_in_suspense(self.store.line(line_id) or line) from None
            except (InvoiceChanged, Contended):
                continue                      # read the invoice again: paid meanwhile is a 409 above
            logger.info("statement line resolved by hand", extra={"line_id": line_id, "invoice_id": invoice_id})
            return after
        raise ServiceUnavailable()


# -- helpers ------------------------------------------------------------------

def _facts(inv) -> rules.InvoiceFacts:
    return rules.InvoiceFacts(inv.invoice_id, inv.customer_code, inv.status, int(inv.total))


def _payment(bank: str, bank_ref: str, amount: int, booked_on: str, import_id: str) -> dict:
    return {"channel": channel_of(bank), "bank_code": bank, "bank_ref": bank_ref, "amount": amount,
            "booked_on": booked_on, "line_id": f"{bank}#{bank_ref}", "import_id": import_id}


def _paid_at(booked_on: str) -> str:
    """The day the money reached the utility's account (its start, Vietnam time): statements give no time."""
    return f"{booked_on}T00:00:00+07:00"


def _view(line: StatementLineModel) -> dict:
    amount = int(line.amount)
    return {"line_id": line.line_id, "bank_code": line.bank_code, "bank": rules.BANKS.get(line.bank_code),
            "bank_ref": line.bank_ref, "booked_on": line.booked_on, "amount": amount,
            "amount_text": format_vnd(amount), "description": line.description, "status": line.status,
            "reason": line.reason, "invoice_id": line.invoice_id, "import_id": line.import_id,
            "imported_at": datetime.fromtimestamp(int(line.imported_at), VN_TZ).isoformat(timespec="seconds"),
            "resolved_by": line.resolved_by}


def _not_in_suspense(line: StatementLineModel) -> Conflict:
    return Conflict(f"the line is not in suspense (it is {line.status})",
                    "Dòng sao kê không còn trong danh sách chờ xử lý.", code="LINE_NOT_IN_SUSPENSE")


def _bank(value: Optional[str]) -> str:
    bank = (value or "").strip().upper()
    if bank not in rules.BANKS:
        raise ValidationError(f"bank must be one of {', '.join(rules.BANKS)}",
                              f"Mã ngân hàng phải là một trong: {', '.join(rules.BANKS)}.", field="bank")
    return bank


def _line_id(value: str) -> str:
    if not isinstance(value, str) or not LINE_ID_RE.match(value):
        raise ValidationError("line_id is '<bank>#<bank reference>'", "Mã dòng sao kê không hợp lệ.",
                              field="line_id")
    return value


def _limit(value: Optional[str]) -> int:
    if value in (None, ""):
        return PAGE_DEFAULT
    if not re.fullmatch(r"\d{1,4}", value) or not 1 <= int(value) <= PAGE_MAX:
        raise ValidationError(f"limit must be 1-{PAGE_MAX}", f"limit phải từ 1 đến {PAGE_MAX}.", field="limit")
    return int(value)
