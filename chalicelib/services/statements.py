"""Bank statements (CK) and the State Treasury's authorised collections (NT,
bank code KBNN): import a CSV export, post every line that names one
customer account to that account, keep the rest in a suspense list that
managers resolve by hand. No Chalice, no boto3.

A file is bounded (MAX_BYTES, MAX_LINES): a day's file of one bank is
hundreds to a few thousand lines. It comes through S3 (services/statement_imports.py:
a presigned POST, then the imports worker), or, up to DIRECT_MAX_BYTES, as the body
of one request, imported within it (import_body). Every line is recorded once
(its key is '<bank>#<bank reference>'; its payment 'bank#<bank>#<bank
reference>'): importing the same file again changes nothing and reports the
lines as duplicates. A line is posted through the ledger's one path
(services/ledger.py) in the transaction that records it: the money goes to
the invoices the line names, or the account's oldest open ones, up to what
each still owes at that moment, and the rest stays on the account as credit.
An invoice paid meanwhile (VNPay, cash) takes nothing more and the money is
credit: never applied twice, never lost. Whose money a line is: domain/transfer_matching.py (our payment
references TN/TH/TD first, then codes written by hand), the matcher bank notifications use too
(services/bank_transfers.py records a notified transfer through record_line, under the same keys)."""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Iterable, Sequence
from typing import Any, Literal, cast

from chalicelib.domain import ledger as money_rules
from chalicelib.domain import partner_files as partner_rules
from chalicelib.domain import statements as rules
from chalicelib.domain import transfer_matching as matching
from chalicelib.domain.identifiers import LINE_ID_RE
from chalicelib.domain.invoices import format_vnd, paid_amount
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.vntime import iso, now_vn
from chalicelib.errors import AppError, Conflict, NotFound, ServiceUnavailable, ValidationError, invalid_cursor
from chalicelib.observability import logger
from chalicelib.ports.common import AuditEntries, AuditRecorder, Clock
from chalicelib.ports.invoices import InvoiceRecord
from chalicelib.ports.money import (
    LINE,
    Contended,
    LineNotInSuspense,
    LineResolution,
    NewStatementLine,
    Orders,
    Posting,
    PostingFailed,
    StatementLineRecord,
    StatementLines,
)
from chalicelib.services.ledger import IncomingPayment, LedgerService, Target
from chalicelib.services.shapes_statements import (
    BANK_MESSAGE,
    DuplicateRow,
    ImportResult,
    ImportRow,
    LinePage,
    LineStatus,
    LineView,
    MatchedRow,
    Resolve,
    RowError,
    SuspenseRow,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 5000
# A request's body reaches Lambda inside a JSON event of at most 6 MB (6,291,456 bytes), binary types
# base64-encoded (4 bytes for 3): above ~4.5 MiB the gateway fails before the app can answer. 4 MB
# (5.33 MB once encoded) leaves room for the headers; a larger file goes through S3.
DIRECT_MAX_BYTES = 4_000_000
PAGE_DEFAULT = 100
PAGE_MAX = 500


class PayloadTooLarge(AppError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"
    message_vi = "Tệp gửi lên quá lớn."
    message_en = "The file is too large."


def channel_of(bank: str) -> Literal["bank_transfer", "authorised_debit"]:
    return "authorised_debit" if bank == rules.TREASURY else "bank_transfer"


def payment_id_of(line_id: str) -> str:
    """The exactly-once key of a line's money in the ledger: 'bank#<bank>#<bank reference>'."""
    return f"bank#{line_id}"


class StatementService:
    def __init__(
        self,
        *,
        store: StatementLines,
        ledger: LedgerService,
        clock: Clock,
        audit_entry: AuditEntries,
        audit: AuditRecorder | None = None,
        orders: Orders | None = None,
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.clock = clock
        self._audit_entry = audit_entry
        self._audit = audit
        self.orders = orders  # an order's payment reference (TD...) pays its items: read through this

    # -- importing ---------------------------------------------------------

    def import_body(self, actor: str, bank: str | None, data: bytes) -> dict[str, Any]:
        """A statement sent as a request's body: at most DIRECT_MAX_BYTES (see above)."""
        bank = _bank(bank)
        if len(data) > DIRECT_MAX_BYTES:
            raise PayloadTooLarge(
                f"a statement sent as the request's body is at most {DIRECT_MAX_BYTES:,} bytes: upload a larger "
                "file through POST /v1/admin/imports/bank-statements/uploads (up to "
                f"{MAX_BYTES // (1024 * 1024)} MB), or split it",
                f"Tệp gửi trực tiếp tối đa {DIRECT_MAX_BYTES // 1_000_000} MB: hãy tải tệp lớn hơn lên qua "
                f"liên kết tải lên (tối đa {MAX_BYTES // (1024 * 1024)} MB) hoặc chia nhỏ tệp.",
            )
        return self.import_statement(actor, bank, data)

    def import_statement(
        self, actor: str, bank: str | None, data: bytes, import_id: str | None = None
    ) -> dict[str, Any]:
        """Import one file: every line recorded once (`import_id` names the upload it came from)."""
        bank = _bank(bank)
        if len(data) > MAX_BYTES:
            raise PayloadTooLarge(
                f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it",
                f"Tệp lớn hơn {MAX_BYTES // (1024 * 1024)} MB: hãy chia nhỏ tệp.",
            )
        if not data.strip():
            raise ValidationError(
                "the body must be the statement's CSV", "Thiếu nội dung tệp sao kê (CSV).", code="INVALID_STATEMENT"
            )
        try:
            parsed = rules.parse_statement(data, bank)
        except rules.StatementError as exc:
            raise ValidationError(
                f"the statement cannot be read: {exc}",
                "Không đọc được tệp sao kê (cần tệp CSV UTF-8 hoặc Excel .xlsx có dòng tiêu đề: ngày giao dịch, "
                "số tham chiếu, số tiền ghi có, nội dung).",
                code="INVALID_STATEMENT",
            ) from None
        if len(parsed.lines) > MAX_LINES:
            raise PayloadTooLarge(
                f"more than {MAX_LINES} lines: split the file", f"Tệp có hơn {MAX_LINES} dòng: hãy chia nhỏ tệp."
            )
        now = self.clock.now()
        today = now_vn(now).date()
        errors = list(parsed.errors)
        lines: list[rules.StatementLine] = []
        for line in parsed.lines:
            if rules.booked_on_is_plausible(line.booked_on, today):
                lines.append(line)
            else:
                errors.append(
                    {"row": line.row, "message": f"booking date {line.booked_on} is in the future or before 2000"}
                )
        errors.sort(key=lambda e: e["row"])
        import_id = import_id or f"BS-{bank}-{now_vn(now):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"

        # Reads in batches: lines already recorded, then what the fresh ones name (decisions()).
        recorded = self.store.existing_lines(f"{bank}#{x.bank_ref}" for x in lines)
        fresh = [x for x in lines if f"{bank}#{x.bank_ref}" not in recorded]
        decisions = self.decisions(fresh)

        results: list[ImportRow] = [
            DuplicateRow(row=x.row, line_id=f"{bank}#{x.bank_ref}", status="duplicate")
            for x in lines
            if f"{bank}#{x.bank_ref}" in recorded
        ]
        for line in fresh:
            results.append(self._record(actor, bank, line, import_id, now, decisions[line.bank_ref]))
        results.sort(key=lambda x: x.row)
        counts = {k: sum(1 for x in results if x.status == k) for k in ("matched", "suspense", "duplicate")}
        posted = [x for x in results if isinstance(x, MatchedRow)]
        result = ImportResult(
            import_id=import_id,
            bank=bank,
            channel=channel_of(bank),
            lines=len(lines),
            matched=counts["matched"],
            suspense=counts["suspense"],
            duplicates=counts["duplicate"],
            allocated=sum(x.allocated for x in posted),
            credited=sum(x.credited for x in posted),
            skipped=parsed.skipped,
            errors=[RowError(**e) for e in errors],
            results=list(results),
        )
        out: dict[str, Any] = to_json(result)
        if self._audit is not None:
            self._audit(
                f"statement_import#{import_id}",
                actor,
                "statement.import",
                None,
                {k: v for k, v in out.items() if k not in ("results", "errors")} | {"errors": len(errors)},
            )
        logger.info(
            "bank statement imported",
            extra={
                "import_id": import_id,
                "bank": bank,
                "lines": len(lines),
                "matched": counts["matched"],
                "suspense": counts["suspense"],
                "duplicates": counts["duplicate"],
                "errors": len(errors),
            },
        )
        return out

    def decisions(self, lines: Sequence[rules.StatementLine]) -> dict[str, matching.Decision]:
        """Whose money each line is, by bank reference: the one matcher of statement lines and bank
        notifications (domain/transfer_matching.py). Reads in batches the customers, invoices and orders
        the lines name; which account a line names needs no more (the ledger reads the invoices it pays
        again when it posts)."""
        found = {x.bank_ref: matching.read(x.description) for x in lines}
        known = self.store.known_customers(c for m in found.values() for c in m.customer_codes)
        facts = {
            i: _facts(inv)
            for i, inv in self.store.invoices(
                i for m in found.values() for i in m.invoice_ids if i.split("-")[1] in known
            ).items()
        }
        orders = self._orders(o for m in found.values() for o in m.order_ids)
        return {ref: matching.decide(m, facts, known, orders) for ref, m in found.items()}

    def _orders(self, order_ids: Iterable[str]) -> dict[str, matching.OrderFacts]:
        out: dict[str, matching.OrderFacts] = {}
        for order_id in dict.fromkeys(order_ids):
            order = self.orders.get(order_id) if self.orders is not None else None
            if order is not None:
                items = tuple((str(i["invoice_id"]), str(i["customer_code"]), int(i["amount"])) for i in order.items)
                out[order_id] = matching.OrderFacts(order_id, items)
        return out

    def record_line(
        self,
        actor: str,
        bank: str,
        line: rules.StatementLine,
        import_id: str,
        decision: rules.Decision,
        *,
        paid_at: str | None = None,
    ) -> dict[str, Any]:
        """One line that did not come in a file (a bank notification's transfer): recorded once, posted or
        put in suspense exactly as an imported line is, under the same keys (line '<bank>#<bank reference>',
        payment 'bank#<line_id>'), so the same transfer in tomorrow's statement is a duplicate."""
        row: dict[str, Any] = to_json(
            self._record(actor, bank, line, import_id, self.clock.now(), decision, paid_at=paid_at)
        )
        return row

    def _record(
        self,
        actor: str,
        bank: str,
        line: rules.StatementLine,
        import_id: str,
        now: int,
        decision: rules.Decision,
        paid_at: str | None = None,
    ) -> ImportRow:
        """Post the line to the account it names (an order reference: the order's items), or put it in
        suspense; either records it once."""
        line_id = f"{bank}#{line.bank_ref}"
        duplicate = DuplicateRow(row=line.row, line_id=line_id, amount=line.amount, status="duplicate")

        def item(status: str, **fields: Any) -> NewStatementLine:
            return NewStatementLine(
                line_id,
                bank_code=bank,
                bank_ref=line.bank_ref,
                booked_on=line.booked_on,
                amount=line.amount,
                description=line.description,
                import_id=import_id,
                imported_at=now,
                status=status,
                **fields,
            )

        if decision.status != "matched":
            if not self.store.record(item("suspense", reason=decision.reason)):
                return duplicate
            return SuspenseRow(
                row=line.row,
                line_id=line_id,
                amount=line.amount,
                status="suspense",
                invoice_id=None,
                reason=decision.reason,
            )

        code = decision.customer_code
        if code is None:
            raise ValueError("a matched line names its account")

        def with_line(posting: Posting) -> NewStatementLine:
            # The plan of this attempt: a retry after a race plans (and records) again.
            return item("matched", **_outcome(posting, code))

        money = _money(bank, line, import_id, now, actor)
        if paid_at:
            money.paid_at = paid_at  # a notification knows the time; a statement only the day
        order = decision if isinstance(decision, matching.Decision) and decision.items else None
        try:
            posted = self.ledger.post_payment(
                money,
                Target(items=list(order.items))
                if order
                else Target(customer_code=code, invoice_ids=list(decision.invoice_ids)),
                extras=self.store.add_line(with_line),
                extra_labels=(LINE,),
                release_hold=order.order_id if order else None,
            )
        except PostingFailed:
            return duplicate  # recorded meanwhile, by an import of the same line
        if posted.duplicate:
            return duplicate
        invoice_ids = [a.invoice_id for a in posted.plan.allocations]
        return MatchedRow(
            row=line.row,
            line_id=line_id,
            amount=line.amount,
            status="matched",
            reason=None,
            customer_code=code,
            invoice_id=invoice_ids[0] if invoice_ids else None,
            invoice_ids=invoice_ids,
            allocated=posted.allocated,
            credited=posted.credited,
        )

    # -- the suspense list -------------------------------------------------

    def suspense(self, limit: str | None, cursor: str | None) -> dict[str, Any]:
        size = _limit(limit)
        if cursor is not None and len(cursor) > 1024:
            raise invalid_cursor()
        items, next_cursor = self.store.by_status("suspense", size, cursor or None)
        page: dict[str, Any] = to_json(LinePage(items=[_view(x) for x in items], next_cursor=next_cursor))
        return page

    def resolve(self, actor: str, line_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """A manager posts a suspense line to a customer account ({customer_code}: its oldest open invoices
        first; {invoice_id}: that invoice first; either way the rest is credit) or sets it aside
        ({ignore: true, note}). Audited; posting is exactly-once."""
        line_id = _line_id(line_id)
        kind, value, note = _resolution(body)
        line = self.store.line(line_id)
        if line is None:
            raise NotFound("no such statement line", "Không tìm thấy dòng sao kê.", code="STATEMENT_LINE_NOT_FOUND")
        if line.status != "suspense":
            raise _not_in_suspense(line)
        before = _view(line)
        if value is None:  # kind 'ignore'
            return self._ignore(actor, line, before, note)
        if line.reason in partner_rules.NOT_POSTABLE:
            raise Conflict(
                f"a {line.reason} line is money the utility holds already: settle it with the partner, then set "
                "it aside ({ignore: true, note})",
                "Dòng này là tiền hệ thống đã ghi nhận: đối chiếu với đối tác rồi bỏ qua kèm ghi chú.",
                code="LINE_NOT_POSTABLE",
            )
        return self._post_by_hand(actor, line, before, self._target(kind, value), note)

    def _ignore(self, actor: str, line: StatementLineRecord, before: LineView, note: str | None) -> dict[str, Any]:
        after: dict[str, Any] = to_json(dataclasses.replace(before, status="ignored", resolved_by=actor, note=note))
        try:
            self.store.ignore(
                line.line_id,
                actor,
                self._audit_entry(
                    f"statement_line#{line.line_id}",
                    actor,
                    "statement.ignore",
                    to_json(before),
                    after,
                    self.clock.now(),
                ),
            )
        except LineNotInSuspense:
            raise _not_in_suspense(self.store.line(line.line_id) or line) from None
        except Contended:
            raise ServiceUnavailable() from None
        return after

    def _target(self, kind: str, value: str) -> Target:
        if kind == "customer_code":
            if not self.store.known_customers([value]):
                raise NotFound(
                    f"no such customer: {value}",
                    f"Không tìm thấy khách hàng {value}.",
                    field="customer_code",
                    code="CUSTOMER_NOT_FOUND",
                )
            return Target(customer_code=value)
        invoice = self.store.invoice(value)
        if invoice is None:
            raise NotFound(
                f"no such invoice: {value}",
                f"Không tìm thấy hoá đơn {value}.",
                field="invoice_id",
                code="INVOICE_NOT_FOUND",
            )
        return Target(customer_code=invoice.customer_code, invoice_ids=[value])

    def _post_by_hand(
        self, actor: str, line: StatementLineRecord, before: LineView, target: Target, note: str | None
    ) -> dict[str, Any]:
        code = target.customer_code
        if code is None:
            raise ValueError("a resolution names an account")
        done: dict[str, dict[str, Any]] = {}

        def resolved(posting: Posting) -> LineResolution:
            # Built per attempt: the audit says what this posting did, and its keys are fresh on a retry.
            outcome = _outcome(posting, code)
            shown = dataclasses.replace(before, status="resolved", resolved_by=actor, note=note or None, **outcome)
            after: dict[str, Any] = to_json(shown)
            now = self.clock.now()
            audits = [
                self._audit_entry(
                    f"statement_line#{line.line_id}", actor, "statement.resolve", to_json(before), after, now
                )
            ]
            audits += [
                self._audit_entry(
                    f"invoice#{m.invoice.invoice_id}",
                    actor,
                    "invoice.pay_from_statement",
                    _paid_view(m.invoice, 0),
                    _paid_view(m.invoice, m.allocate, m.display),
                    now,
                )
                for m in posting.invoices
            ]
            done["after"] = after
            return LineResolution(code, outcome["invoice_ids"], outcome["allocated"], outcome["credited"], audits)

        money = _money(line.bank_code, line, line.import_id, self.clock.now(), actor, resolved_by=actor)
        try:
            posted = self.ledger.post_payment(
                money, target, extras=self.store.resolve_line(line.line_id, actor, resolved), extra_labels=(LINE,)
            )
        except PostingFailed:
            raise _not_in_suspense(self.store.line(line.line_id) or line) from None
        if posted.duplicate:  # resolved by another request at the same moment
            raise _not_in_suspense(self.store.line(line.line_id) or line)
        logger.info(
            "statement line resolved by hand",
            extra={
                "line_id": line.line_id,
                "customer_code": code,
                "allocated": posted.allocated,
                "credited": posted.credited,
            },
        )
        return done["after"]


# -- helpers ------------------------------------------------------------------


def _resolution(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """('customer_code' | 'invoice_id' | 'ignore', the value (None: ignore), the note) from a resolution's body:
    each field checked by shapes_statements.Resolve, then the rule across them (exactly one of the three)."""
    asked = parse(Resolve, body)
    invoice_id, code, ignore, note = asked.invoice_id, asked.customer_code, asked.ignore, asked.note
    if (invoice_id is not None) + (code is not None) + (ignore is True) != 1:
        raise ValidationError(
            "give one of customer_code, invoice_id or ignore: true",
            "Cần một trong: mã khách hàng, mã hoá đơn hoặc ignore: true.",
            field="invoice_id",
        )
    note = (note or "").strip() or None
    if ignore is True:
        if note is None:
            raise ValidationError("note: say why the line is set aside", "Cần ghi chú lý do bỏ qua.", field="note")
        return "ignore", None, note
    if code is not None:
        return "customer_code", code, note
    return "invoice_id", invoice_id, note


def _facts(inv: InvoiceRecord) -> rules.InvoiceFacts:
    return rules.InvoiceFacts(inv.invoice_id, inv.customer_code, inv.status, int(inv.total))


def _money(
    bank: str,
    line: rules.StatementLine | StatementLineRecord,
    import_id: str,
    now: int,
    actor: str,
    **display: str,
) -> IncomingPayment:
    """A line's money for the ledger; `display` is what each invoice's payment list shows of it (the ledger
    adds channel, the amount applied to that invoice, payment_id and received_at)."""
    line_id = f"{bank}#{line.bank_ref}"
    amount = int(line.amount)
    # A bill-pay partner's difference (domain/partner_files.py) posts as that partner's payment would have:
    # a late retry of the payment then finds it posted.
    partner = getattr(line, "reason", None) in partner_rules.REASONS
    return IncomingPayment(
        channel="partner" if partner else channel_of(bank),
        payment_id=f"partner#{line_id}" if partner else payment_id_of(line_id),
        external_ref=line_id,
        amount=amount,
        received_at=now,
        posted_by=actor,
        paid_at=_paid_at(line.booked_on),
        display={
            "bank_code": bank,
            "bank_ref": line.bank_ref,
            "booked_on": line.booked_on,
            "line_id": line_id,
            "import_id": import_id,
            **display,
        },
    )


def _outcome(posting: Posting, code: str) -> dict[str, Any]:
    """What a posting does with a line's money: the invoices it pays (oldest first), how much, the credit."""
    invoice_ids = [m.invoice.invoice_id for m in posting.invoices if m.allocate > 0]
    return {
        "customer_code": code,
        "invoice_id": invoice_ids[0] if invoice_ids else None,
        "invoice_ids": invoice_ids,
        "allocated": sum(m.allocate for m in posting.invoices),
        "credited": int(sum(posting.credit.values())),  # an order's money may stay on several accounts
    }


def _paid_view(invoice: InvoiceRecord, allocate: int, payment: dict[str, Any] | None = None) -> dict[str, Any]:
    paid = paid_amount(invoice) + allocate
    out = {
        "status": money_rules.status_after(int(invoice.total), paid, int(invoice.written_off or 0), invoice.status),
        "paid_amount": paid,
    }
    return out if payment is None else dict(out, payment=payment)


def _paid_at(booked_on: str) -> str:
    """The day the money reached the utility's account (its start, Vietnam time): statements give no time."""
    return f"{booked_on}T00:00:00+07:00"


def _view(line: StatementLineRecord) -> LineView:
    amount = int(line.amount)
    return LineView(
        line_id=line.line_id,
        bank_code=line.bank_code,
        bank=rules.BANKS.get(line.bank_code),
        bank_ref=line.bank_ref,
        booked_on=line.booked_on,
        amount=amount,
        amount_text=format_vnd(amount),
        description=line.description,
        status=cast(LineStatus, line.status),
        reason=line.reason,
        invoice_id=line.invoice_id,
        import_id=line.import_id,
        imported_at=iso(line.imported_at),
        resolved_by=line.resolved_by,
        customer_code=line.customer_code,
        invoice_ids=list(line.invoice_ids or ([line.invoice_id] if line.invoice_id else [])),
        allocated=None if line.allocated is None else int(line.allocated),
        credited=None if line.credited is None else int(line.credited),
    )


def _not_in_suspense(line: StatementLineRecord) -> Conflict:
    return Conflict(
        f"the line is not in suspense (it is {line.status})",
        "Dòng sao kê không còn trong danh sách chờ xử lý.",
        code="LINE_NOT_IN_SUSPENSE",
    )


def _bank(value: object) -> str:
    bank = value.upper() if isinstance(value, str) else ""
    if bank not in rules.BANKS:
        raise ValidationError(*BANK_MESSAGE, field="bank")
    return bank


def _line_id(value: str) -> str:
    if not isinstance(value, str) or not LINE_ID_RE.match(value):
        raise ValidationError("line_id is '<bank>#<bank reference>'", "Mã dòng sao kê không hợp lệ.", field="line_id")
    return value


def _limit(value: str | None) -> int:
    if value in (None, ""):
        return PAGE_DEFAULT
    if not re.fullmatch(r"\d{1,4}", value) or not 1 <= int(value) <= PAGE_MAX:
        raise ValidationError(f"limit must be 1-{PAGE_MAX}", f"limit phải từ 1 đến {PAGE_MAX}.", field="limit")
    return int(value)
