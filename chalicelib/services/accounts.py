"""The customer account statement ("sổ theo dõi công nợ"): the entries of the
ledger with the running balance, the open invoices, the credit. A customer
reads the codes linked to its account; the managers read any code, with the
references and who posted each entry. No Chalice, no boto3.

DynamoDB calls of one statement, never a Scan: one Query for the account's
ledger entries (oldest first), one GetItem for its credit, one Query for its
invoices (by_customer). The managers' view of a code with none of these asks
the customer book once more (GetItem), to tell an empty account from an
unknown code.

The statement's shape is declared once, in services/shapes_accounts.py: built here, documented by
api/openapi_accounts.py."""

from __future__ import annotations

import csv
import io
from typing import Any

from chalicelib.domain import accounts as view
from chalicelib.domain.shapes import to_json
from chalicelib.domain.tokens import Identity
from chalicelib.errors import NotFound
from chalicelib.ports.common import Clock
from chalicelib.ports.customers import Customers
from chalicelib.ports.money import Ledger, LedgerEntryRecord, open_invoice
from chalicelib.services.auth import customer_code, linked_code
from chalicelib.services.shapes_accounts import AdminRow, AdminStatement, OpenInvoice, Row, Statement


def _line(line: Any) -> dict[str, Any]:
    raw = line.as_dict() if hasattr(line, "as_dict") else dict(line)
    return {"kind": str(raw["kind"]), "amount": int(raw["amount"]), "invoice_id": raw.get("invoice_id")}


def _entry(item: LedgerEntryRecord) -> dict[str, Any]:
    """A ledger item as the plain mapping domain/accounts.py reads."""
    return {
        "entry_id": item.entry_id,
        "event": item.event,
        "posted_at": int(item.posted_at),
        "lines": [_line(line) for line in item.lines or []],
        "credit_delta": int(item.credit_delta or 0),
        "payment_id": item.payment_id,
        "channel": item.channel,
        "external_ref": item.external_ref,
        "posted_by": item.posted_by,
        "note": item.note,
        "flags": list(item.flags or []),
    }


class AccountService:
    def __init__(self, *, store: Ledger, customers: Customers, clock: Clock) -> None:
        self.store = store
        self.customers = customers
        self.clock = clock

    def for_customer(self, identity: Identity, code: object, lang: str = "vi") -> dict[str, Any]:
        code = linked_code(identity, code)
        statement, _ = self._statement(code, lang, internal=False)
        return statement

    def for_admin(self, code: object, lang: str = "vi") -> dict[str, Any]:
        code = customer_code(code, "code")
        statement, empty = self._statement(code, lang, internal=True)
        if empty and self.customers.get(code) is None:
            raise NotFound("no customer has this code", "Không tìm thấy mã khách hàng.", code="CUSTOMER_NOT_FOUND")
        return statement

    def _statement(self, code: str, lang: str, internal: bool) -> tuple[dict[str, Any], bool]:
        entries = [_entry(e) for e in self.store.entries(code)]
        account = self.store.account(code)
        invoices = self.store.all_invoices(code)
        open_list = view.open_amounts(open_invoice(i) for i in invoices)
        credit = int(account.credit or 0) if account is not None else 0
        open_amount = sum(i["open_amount"] for i in open_list)
        balance = open_amount - credit
        due = {i.invoice_id: i.due_date for i in invoices}
        for item in open_list:
            item["due_date"] = due.get(item["invoice_id"])
        rows = view.rows(
            entries, balance=balance, periods={i.invoice_id: i.period for i in invoices}, lang=lang, internal=internal
        )
        figures = dict(
            customer_code=code,
            generated_at=view.vn_time(self.clock.now()),
            balance=balance,
            credit=credit,
            open_amount=open_amount,
            open_invoices=[OpenInvoice(**i) for i in open_list],
        )
        shown: Statement | AdminStatement = (
            AdminStatement(currency="VND", entries=[AdminRow(**r) for r in rows], **figures)
            if internal
            else Statement(currency="VND", entries=[Row(**r) for r in rows], **figures)
        )
        statement: dict[str, Any] = to_json(shown)
        return statement, not entries and account is None and not invoices

    @staticmethod
    def csv(statement: dict[str, Any], internal: bool = False) -> str:
        """Starts with a BOM (U+FEFF, so Excel reads the Vietnamese text as UTF-8), CRLF lines:
        a header, then one row per statement row; the last row's balance is today's."""
        out = io.StringIO()
        out.write("\ufeff")
        csv.writer(out, lineterminator="\r\n").writerows(view.csv_rows(statement, internal))
        return out.getvalue()

    @staticmethod
    def filename(statement: dict[str, Any]) -> str:
        day = (statement.get("generated_at") or "")[:10].replace("-", "")
        return f"so-cong-no-{statement['customer_code']}-{day}.csv"
