"""The customer accounts' batch jobs: the nightly invariant check and the
migration of what was recorded before the ledger. No Chalice, no boto3.

**The invariant** (`ledger_invariant`, daily): for every account,
payments = allocations + credit + refunds, and charges + adjustments -
allocations - write-offs = the open amounts of its invoices, and each
invoice's allocations = its paid amount (domain/ledger.py `breaches`). The
accounts are the customer codes of the customers table, walked in parallel
segments (store/ledger_jobs.py says why that table); each account costs a
Query of its invoices, a Query of its entries and its share of a BatchGetItem
of the accounts' credit. An account read while a posting lands on it can
look broken for that instant: a breach is read again (consistently) after
RECHECK_DELAY_S, one wait per page of accounts, and reported only if it is
still there. The run stops when the Lambda's time runs short (STOP_MARGIN_MS)
and says so (`complete: false`, the metric LedgerInvariantIncomplete and its
alarm); the next night starts again from the first account. On DynamoDB
Local (two shared cores) it checks some 130 accounts a second.

**The migration** (`python -m chalicelib.cli migrate-ledger`; locally at the
end of the demo data) brings every account into the ledger: per invoice, a
charge for what no charge or adjustment explains yet, and for what was paid
before the ledger (a paid flag: the total) and no allocation explains, a
payment with its allocations, one per payment of before (the invoice's
payment list names it: VNPay's TransactionNo, the cash receipt, the bank
line; none: channel 'migration'), dated when the invoice was issued and paid;
the invoice's paid amount is set. VNPay money that waited for a refund (a
'credit' item, refund_pending or refund_failed) becomes a payment entry and
credit on its account, and the item is marked 'migrated'; VNPay's
'vnpay#<TransactionNo>' is recorded if it was not, so a late retry of that
IPN finds it posted. Idempotent: every entry has a deterministic key written
only if absent, each invoice changes only if it is still as read (what was
read is consistent with the entries), the credit item only from the status
read, so a second run, or two at once, write nothing twice."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from typing import Any, overload

from chalicelib.domain import ledger as rules
from chalicelib.domain.invoices import paid_amount
from chalicelib.domain.vntime import VN_TZ
from chalicelib.observability import logger
from chalicelib.ports.common import Clock
from chalicelib.ports.invoices import InvoiceRecord
from chalicelib.ports.money import (
    CustomerCodes,
    Ledger,
    LedgerEntryRecord,
    Migration,
    NewLedgerEntry,
    NewPayment,
    PaymentRecord,
    PostingFailed,
    open_invoice,
)

SEGMENTS = 8  # parallel walkers of the customers' by_shard index, one thread each
STOP_MARGIN_MS = 60_000  # stop when less than this is left of the Lambda's time
RECHECK_DELAY_S = 2.0  # a breach is read again after this, to tell a posting in flight from a fault
REPORT_CODES = 100  # breaching codes in the run's answer (the log names every one)
MIGRATED_BY = "system:migration"
MAX_ITEMS = 90  # items in one migration transaction (DynamoDB takes 100)
ATTEMPTS = 4
LEGACY_CREDIT_STATUSES = ("refund_pending", "refund_failed")  # money still held for the customer


def _plain(line: Any) -> dict[str, Any]:
    return line.as_dict() if hasattr(line, "as_dict") else dict(line)


def _lines(entries: Iterable[LedgerEntryRecord]) -> list[dict[str, Any]]:
    return [_plain(line) for entry in entries for line in (entry.lines or [])]


def _walk(
    walk: CustomerCodes, segments: int, visit: Callable[[list[str]], None], time_short: Callable[[], bool]
) -> list[bool]:
    """Every customer code, page by page in parallel segments, handed to `visit`; a segment stops when
    `time_short()`. Returns, per segment, whether it got to its end."""

    def segment(n: int) -> bool:
        key: dict[str, Any] | None = None
        while True:
            if time_short():
                return False
            codes, key = walk.codes_page(n, segments, key)
            if codes:
                visit(codes)
            if not key:
                return True

    with ThreadPoolExecutor(max_workers=segments) as pool:
        return list(pool.map(segment, range(segments)))


# -- the invariant ---------------------------------------------------------------


class LedgerInvariant:
    def __init__(
        self,
        *,
        ledger: Ledger,
        walk: CustomerCodes,
        segments: int = SEGMENTS,
        recheck_delay_s: float = RECHECK_DELAY_S,
    ) -> None:
        self.ledger = ledger
        self.walk = walk
        self.segments = segments
        self.recheck_delay_s = recheck_delay_s

    def breaches(self, code: str, credit: int | None = None, consistent: bool = False) -> list[str]:
        """What does not add up for one account now (empty: sound)."""
        listed = self.ledger.all_invoices(code)
        invoices = list(self.ledger.invoices([i.invoice_id for i in listed]).values()) if consistent else listed
        entries = self.ledger.entries(code)
        if credit is None:
            account = self.ledger.account(code)
            credit = int(account.credit or 0) if account is not None else 0
        return rules.breaches(_lines(entries), credit=credit, invoices=[open_invoice(i) for i in invoices])

    def check_codes(self, codes: Sequence[str]) -> dict[str, list[str]]:
        """{code: breaches} of the breaching ones among `codes`. An account that does not add up is read
        again (consistently), once for the whole page after RECHECK_DELAY_S, before it counts."""
        accounts = self.ledger.accounts(codes)
        suspects = [
            code for code in codes if self.breaches(code, int(accounts[code].credit or 0) if code in accounts else 0)
        ]
        if not suspects:
            return {}
        time.sleep(self.recheck_delay_s)
        out: dict[str, list[str]] = {}
        for code in suspects:
            found = self.breaches(code, consistent=True)
            if found:
                logger.warning("ledger invariant breached", extra={"customer_code": code, "breaches": "; ".join(found)})
                out[code] = found
        return out

    def run(
        self, time_left_ms: Callable[[], int] | None = None, stop_margin_ms: int = STOP_MARGIN_MS
    ) -> dict[str, Any]:
        """Check every account. `time_left_ms`: the Lambda's; the run stops with `complete: false` when
        less than the margin (at most a third of the time there was) is left."""
        if time_left_ms is not None:
            stop_margin_ms = min(stop_margin_ms, time_left_ms() // 3)
        lock = threading.Lock()
        checked = [0]
        breaching: dict[str, list[str]] = {}

        def visit(codes: list[str]) -> None:
            found = self.check_codes(codes)
            with lock:
                checked[0] += len(codes)
                breaching.update(found)

        done = _walk(
            self.walk, self.segments, visit, lambda: time_left_ms is not None and time_left_ms() < stop_margin_ms
        )
        codes = sorted(breaching)
        out = {"complete": all(done), "checked": checked[0], "breaching": len(codes), "codes": codes[:REPORT_CODES]}
        summary = {
            "checked": out["checked"],
            "breaching": out["breaching"],
            "complete": out["complete"],
            "breaching_codes": ",".join(codes[:REPORT_CODES]),
        }
        if codes or not out["complete"]:
            logger.warning(
                "ledger invariant: accounts that do not add up"
                if codes
                else "ledger invariant stopped for time: accounts left unchecked",
                extra=summary,
            )
        else:
            logger.info("ledger invariant holds", extra=summary)
        return out


# -- the migration ------------------------------------------------------------------


@overload
def _epoch(value: object, default: int) -> int: ...
@overload
def _epoch(value: object, default: None = None) -> int | None: ...
def _epoch(value: object, default: int | None = None) -> int | None:
    """Epoch seconds of an epoch number, an ISO instant or a date (Vietnam's midnight)."""
    if value is None or value == "":
        return default
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value)
    try:
        if len(text) == 10:
            return int(datetime.combine(date.fromisoformat(text), dtime(0), VN_TZ).timestamp())
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return default
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)
    return int(moment.timestamp())


def _entry_id(at: int, event: str, reference: str) -> str:
    """Like Posting.entry_id, with 'migration' for the random suffix: the same account, event and reference
    always give the same key, so an entry is written once whatever the runs."""
    return f"{at * 1000:013d}#{event}#{reference}#migration"


@dataclass
class _PaidBefore:
    """One payment of before the ledger, as an account's invoices show it."""

    reference: str
    channel: str
    external_ref: str | None
    payment_id: str | None
    at: int
    allocations: list[tuple[str, int]] = field(default_factory=list)


def _paid_before(invoice: InvoiceRecord) -> _PaidBefore:
    """What the invoice's payment list says about the payment that paid it."""
    shown = [_plain(p) for p in (invoice.payments or [])]
    p = shown[-1] if shown else {}
    channel = p["channel"] if p.get("channel") in rules.CHANNELS else "migration"
    at = _epoch(
        p.get("received_at") or p.get("collected_at") or p.get("booked_on"),
        _epoch(invoice.paid_at, _epoch(invoice.due_date, _epoch(invoice.issued_on, 0))),
    )
    if p.get("payment_id"):
        ref, external, payment_id = (
            str(p["payment_id"]),
            p.get("external_ref") or p.get("transaction_no"),
            str(p["payment_id"]),
        )
    elif p.get("transaction_no"):
        ref = payment_id = f"vnpay#{p['transaction_no']}"
        external = str(p["transaction_no"])
    elif p.get("collection_id"):
        ref, external, payment_id = f"cash#{p['collection_id']}", str(p.get("receipt_no") or p["collection_id"]), None
    elif p.get("line_id"):
        ref, external, payment_id = f"bank#{p['line_id']}", str(p.get("bank_ref") or p["line_id"]), None
    else:
        ref, external, payment_id = f"migration#{invoice.invoice_id}", None, None
    return _PaidBefore(ref, channel, external, payment_id, at)


@dataclass
class Chunk:
    """What one migration transaction writes for an account."""

    entries: list[NewLedgerEntry] = field(default_factory=list)
    invoices: list[tuple[InvoiceRecord, int]] = field(default_factory=list)

    @property
    def items(self) -> int:
        return len(self.entries) + len(self.invoices)


def plan_account(
    code: str, invoices: Sequence[InvoiceRecord], entries: Sequence[LedgerEntryRecord], now: int
) -> list[Chunk]:
    """What brings one account's invoices into its ledger (empty: nothing left to do), in transactions
    of at most MAX_ITEMS items; an invoice and the payment that paid it stay in one."""
    charged: dict[str, int] = {}
    allocated: dict[str, int] = {}
    for line in _lines(entries):
        invoice_id = line.get("invoice_id")
        if invoice_id is None:
            continue
        if line["kind"] in ("charge", "adjustment"):
            charged[invoice_id] = charged.get(invoice_id, 0) + int(line["amount"])
        elif line["kind"] == "allocation":
            allocated[invoice_id] = allocated.get(invoice_id, 0) + int(line["amount"])
    units: dict[str, list[tuple[InvoiceRecord, int, int]]] = {}  # payment (or invoice) -> invoices in it
    paid_by: dict[str, _PaidBefore] = {}
    for invoice in sorted(invoices, key=lambda i: i.period_key):
        if invoice.customer_code != code or invoice.status == "cancelled":
            continue
        charge = int(invoice.total) - charged.get(invoice.invoice_id, 0)
        allocation = paid_amount(invoice) - allocated.get(invoice.invoice_id, 0)
        if charge <= 0 and allocation <= 0 and invoice.paid_amount is not None:
            continue
        key = invoice.invoice_id
        if allocation > 0:
            paid = _paid_before(invoice)
            key = paid.reference
            paid_by.setdefault(key, paid).allocations.append((invoice.invoice_id, allocation))
        units.setdefault(key, []).append((invoice, max(charge, 0), max(allocation, 0)))
    chunks = [Chunk()]
    for key, members in units.items():
        unit = Chunk()
        for invoice, charge, _ in members:
            if charge:
                at = _epoch(invoice.issued_on, _epoch(f"{invoice.period}-01", now))
                unit.entries.append(
                    NewLedgerEntry(
                        code,
                        _entry_id(at, "charge", invoice.invoice_id),
                        event="charge",
                        posted_at=at,
                        lines=[{"kind": "charge", "amount": charge, "invoice_id": invoice.invoice_id}],
                        credit_delta=0,
                        posted_by=MIGRATED_BY,
                        note="issued before the customer account",
                        flags=["MIGRATED"],
                    )
                )
            unit.invoices.append((invoice, paid_amount(invoice)))
        payment = paid_by.get(key)
        if payment is not None:
            received = sum(amount for _, amount in payment.allocations)
            unit.entries.append(
                NewLedgerEntry(
                    code,
                    _entry_id(payment.at, "payment", payment.reference),
                    event="payment",
                    posted_at=payment.at,
                    lines=[{"kind": "payment", "amount": received}]
                    + [
                        {"kind": "allocation", "amount": amount, "invoice_id": invoice_id}
                        for invoice_id, amount in payment.allocations
                    ],
                    credit_delta=0,
                    payment_id=payment.payment_id,
                    channel=payment.channel,
                    external_ref=payment.external_ref,
                    posted_by=MIGRATED_BY,
                    note="paid before the customer account",
                    flags=["MIGRATED"],
                )
            )
        if chunks[-1].items and chunks[-1].items + unit.items > MAX_ITEMS:
            chunks.append(Chunk())
        chunks[-1].entries += unit.entries
        chunks[-1].invoices += unit.invoices
    return [c for c in chunks if c.items]


def _back_off(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.5, 0.02 * 2**attempt)))


class LedgerMigration:
    def __init__(
        self, *, ledger: Ledger, store: Migration, walk: CustomerCodes, clock: Clock, segments: int = SEGMENTS
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.walk = walk
        self.clock = clock
        self.segments = segments

    def run(self, codes: Sequence[str] | None = None, segments: int | None = None) -> dict[str, Any]:
        """Migrate the credits of before the ledger, then every account (or only `codes`)."""
        counts: Counter[str] = Counter()
        failed: list[str] = []
        lock = threading.Lock()
        wanted = set(codes) if codes is not None else None
        for status in LEGACY_CREDIT_STATUSES:
            for credit in self.store.legacy_credits(status):
                try:
                    counts.update(self.migrate_credit(credit, wanted))
                except PostingFailed:
                    failed.append(credit.payment_id)
        # A refund whose outcome nobody knows stays with a person: the daily report lists it.
        counts["credits_refund_sent_left"] = len(self.store.legacy_credits("refund_sent"))

        def visit(page: list[str]) -> None:
            for code in page:
                try:
                    done = self.migrate_account(code)
                except PostingFailed:
                    done, lost = Counter[str](), [code]
                else:
                    lost = []
                with lock:
                    counts["accounts_seen"] += 1
                    counts.update(done)
                    failed.extend(lost)

        if codes is not None:
            visit(list(codes))
        else:
            _walk(self.walk, segments or self.segments, visit, lambda: False)
        out: dict[str, Any] = {
            "accounts_seen": 0,
            "accounts_migrated": 0,
            "charges": 0,
            "payments": 0,
            "invoices_updated": 0,
            "credits_migrated": 0,
            **counts,
            "failed": sorted(failed),
        }
        (logger.warning if failed else logger.info)(
            "ledger migration done", extra={k: (",".join(v) if isinstance(v, list) else v) for k, v in out.items()}
        )
        return out

    # -- one account -------------------------------------------------------------

    def migrate_account(self, code: str) -> Counter[str]:
        """Bring one account's invoices into its ledger; a condition that failed (a posting landed meanwhile,
        another run) is read again. Raises PostingFailed after ATTEMPTS."""
        counts: Counter[str] = Counter()
        for attempt in range(ATTEMPTS):
            # The invoices first, then the entries: a posting between the two reads moves an invoice,
            # so the invoice's condition fails and everything is read again.
            listed = self.ledger.all_invoices(code)
            invoices = self.ledger.invoices([i.invoice_id for i in listed])
            entries = self.ledger.entries(code)
            chunks = plan_account(code, list(invoices.values()), entries, self.clock.now())
            if not chunks:
                return counts
            try:
                for chunk in chunks:
                    self.store.write(chunk.entries, chunk.invoices)
                    counts["charges"] += sum(1 for e in chunk.entries if e.event == "charge")
                    counts["payments"] += sum(1 for e in chunk.entries if e.event == "payment")
                    counts["invoices_updated"] += len(chunk.invoices)
            except PostingFailed as lost:
                if attempt == ATTEMPTS - 1:
                    logger.warning(
                        "ledger migration: account left for the next run",
                        extra={"customer_code": code, "failed": ",".join(sorted(lost.failed))},
                    )
                    raise
                _back_off(attempt)
                continue
            counts["accounts_migrated"] += 1
            return counts
        return counts

    # -- one credit of before the ledger ------------------------------------------

    def _credit_parts(self, credit: PaymentRecord) -> dict[str, int]:
        """Whose money it is: the invoice's account, or an order's accounts by their items."""
        invoices = self.ledger.invoices(credit.invoice_ids or [], consistent=False)
        order = (
            self.store.order(credit.order_id)
            if credit.order_id and (credit.payment_id.endswith("#order") or len(credit.invoice_ids or []) != 1)
            else None
        )
        if order is not None and order.items:
            items = []
            for item in order.items:
                item = _plain(item)
                code = item.get("customer_code") or getattr(
                    invoices.get(item.get("invoice_id") or ""), "customer_code", None
                )
                if code:
                    items.append((code, int(item.get("amount") or 0)))
            if items:
                return {c: a for c, a in rules.split_by_items(int(credit.amount), items).items() if a > 0}
        codes = [invoices[i].customer_code for i in credit.invoice_ids or [] if i in invoices]
        return {codes[0]: int(credit.amount)} if codes else {}

    def migrate_credit(self, credit: PaymentRecord, wanted: set[str] | None = None) -> Counter[str]:
        counts: Counter[str] = Counter()
        for attempt in range(ATTEMPTS):
            parts = self._credit_parts(credit)
            if not parts:
                logger.warning(
                    "ledger migration: a credit with no account, left as it is", extra={"payment_id": credit.payment_id}
                )
                counts["credits_without_account"] += 1
                return counts
            if wanted is not None and not set(parts) & wanted:
                return counts
            at = _epoch(credit.received_at, self.clock.now())
            txn = credit.transaction_no
            entries = [
                NewLedgerEntry(
                    code,
                    _entry_id(at, "payment", credit.payment_id),
                    event="payment",
                    posted_at=at,
                    lines=[{"kind": "payment", "amount": amount}],
                    credit_delta=amount,
                    payment_id=credit.payment_id,
                    channel="vnpay",
                    external_ref=txn,
                    posted_by=MIGRATED_BY,
                    note=f"VNPay money waiting for a refund before the customer account ({credit.status})",
                    flags=["MIGRATED"],
                )
                for code, amount in parts.items()
            ]
            guard = None
            if txn and self.store.payment(f"vnpay#{txn}") is None:
                # A second payment of an order left no 'vnpay#<TransactionNo>': without it a late retry of
                # its IPN would be posted again.
                guard = NewPayment(
                    f"vnpay#{txn}",
                    kind="payment",
                    channel="vnpay",
                    order_id=credit.order_id,
                    amount=int(credit.amount),
                    invoice_ids=[],
                    customer_codes=list(parts),
                    transaction_no=txn,
                    external_ref=txn,
                    received_at=at,
                    status="applied",
                    allocated=0,
                    credited=int(credit.amount),
                    refunded=0,
                    flags=["MIGRATED"],
                    posted_by=MIGRATED_BY,
                    note=f"recorded by the migration of {credit.payment_id}",
                )
            try:
                self.store.write(entries, credit=parts, credit_item=credit, guard=guard)
            except PostingFailed as lost:
                fresh = self.store.payment(credit.payment_id)
                if fresh is None or fresh.status not in LEGACY_CREDIT_STATUSES:
                    return counts  # migrated (or settled) by someone else meanwhile
                if attempt == ATTEMPTS - 1:
                    logger.warning(
                        "ledger migration: credit left for the next run",
                        extra={"payment_id": credit.payment_id, "failed": ",".join(sorted(lost.failed))},
                    )
                    raise
                credit = fresh
                _back_off(attempt)
                continue
            counts["credits_migrated"] += 1
            return counts
        return counts
