"""Reading a customer account back from the tables and checking that it adds
up (domain.ledger.breaches): the check every money test ends with."""

from __future__ import annotations

import threading
from collections import Counter

from chalicelib.domain import ledger as rules


def account_state(code: str) -> dict:
    from chalicelib.ports.money import open_invoice
    from chalicelib.store.ledger import LedgerStore

    store = LedgerStore()
    entries = store.entries(code)
    lines = [dict(line) for e in entries for line in e.lines]
    account = store.account(code)
    invoices = [open_invoice(i) for i in store.all_invoices(code)]
    return {
        "entries": entries,
        "lines": lines,
        "credit": int(account.credit) if account else 0,
        "invoices": invoices,
        "totals": rules.totals(lines),
    }


def assert_sound(code: str, *, charged_by_ledger: bool = False) -> dict:
    """The account's entries agree with its credit and with every invoice's paid amount. Invoices
    written before the ledger (test data) carry no charge entry: their totals stand in for it."""
    state = account_state(code)
    lines = list(state["lines"])
    if not charged_by_ledger:
        charged = {line.get("invoice_id") for line in lines if line["kind"] == "charge"}
        allocated = rules.invoice_allocations(lines)
        adjusted = Counter()
        for line in lines:
            if line["kind"] == "adjustment":
                adjusted[line.get("invoice_id")] += int(line["amount"])
        for i in state["invoices"]:
            if i.invoice_id in charged:
                continue
            # Its charge, as first issued: today's total less the corrections the ledger recorded since.
            lines.append({"kind": "charge", "amount": i.total - adjusted[i.invoice_id], "invoice_id": i.invoice_id})
            before = i.paid - allocated.get(i.invoice_id, 0)  # paid before the ledger existed
            if before:
                lines += [
                    {"kind": "payment", "amount": before},
                    {"kind": "allocation", "amount": before, "invoice_id": i.invoice_id},
                ]
    problems = rules.breaches(lines, credit=state["credit"], invoices=state["invoices"])
    assert problems == [], problems
    return state


def at_once(*calls):
    """Start the calls at the same moment on threads (a barrier); return what each returned, or the
    exception it raised, in order."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(n, fn):
        barrier.wait()
        try:
            out[n] = fn()
        except Exception as exc:
            out[n] = exc

    threads = [threading.Thread(target=run, args=(n, fn)) for n, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out
