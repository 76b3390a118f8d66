"""Authorised debit (nhờ thu at a bank): each month, per bank, a request file asking the bank to debit
every customer whose mandate is confirmed for the open amount of their invoices; then the bank's
result file posted back. No Chalice, no boto3.

- A run (`run`): the customers whose channel now is authorised debit at the bank (their latest
  confirmed channel request, and the customer book agrees), each asked once per bank and period for
  what their invoices of that period and before still owe (request id '<bank>-<yyyymm>-<code>': a
  second run of the month writes nothing twice, and asks only customers the first did not). Invoices
  already in a request the banks have not answered are left out, so no invoice is asked twice. The
  file (every request of the run) goes to S3; the admin gets a short-lived link.
- The results (`post_results`): paid -> the money is posted through the ledger's one path as payment
  'debit#<request id>' (exactly once), to the request's invoices up to what each still owes, the rest
  credit, the request moved to paid in the same transaction; an amount other than asked is posted all
  the same and flagged. Failed -> the bank's reason recorded (pending -> failed, once) and the customer
  reminded through the reminders queue (`send_notice` is the worker's part). A file that cannot be
  read is refused whole; a row naming no request of ours is reported, the others applied."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from chalicelib.config import Settings
from chalicelib.domain import debits as rules
from chalicelib.domain import reminders as reminder_rules
from chalicelib.domain.identifiers import DEBIT_RUN_ID_RE
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.vntime import iso, now_vn
from chalicelib.errors import NotFound, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.common import AuditRecorder, Clock
from chalicelib.ports.customers import ChannelRequestRecord
from chalicelib.ports.debits import DEBIT, DebitPaid, DebitRequestRecord, DebitRequests, NewDebitRequest
from chalicelib.ports.imports import Objects
from chalicelib.ports.invoices import InvoiceRecord
from chalicelib.ports.money import Posting, PostingFailed, open_invoice
from chalicelib.ports.notices import Notifier, ReminderQueue, Reminders
from chalicelib.services.channels import LINKED_BANKS
from chalicelib.services.delivery import channels_for, send_on
from chalicelib.services.ledger import IncomingPayment, LedgerService, Target
from chalicelib.services.reminders import RECLAIM_AFTER_S
from chalicelib.services.shapes_debits import ResultRow, ResultsView, RowStatus, RunFile, RunView, StartRun
from chalicelib.services.statements import PayloadTooLarge

THREADS = 8  # customers read and requests written (or rows posted) at once
CHUNK = 64  # customers (or rows) between two looks at the time left
STOP_MARGIN_MS = 5_000  # stop taking work when less than this is left of the invocation (the API's is 20 s)
ORPHAN_AFTER_S = 900  # a file not written this long after its requests never will be (Lambda's longest run)
# A file older than this may have been sent and then expired (imports/ keeps 30 days): its requests are
# never sent again, whatever S3 says now.
ORPHAN_BEFORE_S = 25 * 86400
MAX_BYTES = 2 * 1024 * 1024  # a result file of MAX_ROWS rows is ~0.5 MB
LINK_EXPIRES_S = 300  # the request file holds names: its link is short-lived
CONTENT_TYPE = "text/csv; charset=utf-8"
NOTICE_KIND = "debit_failed"  # the reminders queue's message {"kind": NOTICE_KIND, "request_id"}
NO_REASON = "not given"
SYSTEM = "system:debits"


def file_key(run_id: str, batch: str) -> str:
    """Under imports/, whose objects expire after 30 days (names and amounts: the bank has them by then)."""
    return f"imports/debits/{run_id}/{batch}.csv"


def _batch_time(batch: str) -> int:
    """When a file's requests were written: the epoch seconds its name starts with."""
    head = batch.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


@dataclass(frozen=True)
class _Counted:
    """What a run's view counts of one request."""

    request_id: str
    status: str
    amount: int
    debited: int
    batch: str


def _counted(r: DebitRequestRecord | NewDebitRequest, batch: str | None = None) -> _Counted:
    debited = None if isinstance(r, NewDebitRequest) else r.debited_amount  # a new one: none yet
    return _Counted(r.request_id, r.status, int(r.amount), int(debited or 0), batch or r.batch)


def payment_id_of(request_id: str) -> str:
    """The exactly-once key of a debit's money in the ledger."""
    return f"debit#{request_id}"


def notice_key(request_id: str) -> str:
    return f"{request_id}#{rules.NOTICE_LEVEL}"


class DebitService:
    def __init__(
        self,
        *,
        settings: Settings,
        store: DebitRequests,
        ledger: LedgerService,
        objects: Objects,
        notices: Reminders,
        queue: ReminderQueue,
        notifier: Notifier,
        clock: Clock,
        audit: AuditRecorder,
        threads: int = THREADS,
    ) -> None:
        self.settings = settings
        self.store = store
        self.ledger = ledger
        self.invoices = ledger.store
        self.objects = objects
        self.notices = notices
        self.queue = queue
        self.notifier = notifier
        self.clock = clock
        self.audit = audit
        self.threads = threads
        self.quiet = reminder_rules.QuietHours(tuple(settings.reminder_quiet_hours))

    # -- the monthly run ---------------------------------------------------------------

    def start_run(
        self, actor: str, body: dict[str, Any], time_left_ms: Callable[[], float] | None = None
    ) -> tuple[dict[str, Any], bool]:
        """POST /v1/admin/debits/runs: (the run, whether this call wrote any request)."""
        asked = parse(StartRun, body)
        this_month = now_vn(self.clock.now()).strftime("%Y-%m")
        if asked.period > this_month:
            raise ValidationError(
                "period: a month that has begun", "Kỳ hoá đơn không được ở tương lai.", field="period"
            )
        view = self.run(actor, asked.bank, asked.period, time_left_ms)
        return _json(view), bool(view.created)

    def run(self, actor: str, bank: str, period: str, time_left_ms: Callable[[], float] | None = None) -> RunView:
        """Ask every mandated customer of the bank not asked yet this period; the requests written go to the
        bank in one new file. Stops early (complete: false) when the invocation's time runs short."""
        run = rules.run_id(bank, period)
        now = self.clock.now()
        batch = f"{now}-{secrets.token_hex(2)}"
        mandates = rules.mandates_at(self.store.confirmed_channels(), bank)
        book = self.store.customers(m.customer_code for m in mandates)
        # The book must agree: a channel changed there since (back to cash, say) stops the debit.
        mandates = [
            m for m in mandates if (c := book.get(m.customer_code)) is not None and c.payment_channel == rules.CHANNEL
        ]
        ids = {m.customer_code: rules.request_id(bank, period, m.customer_code) for m in mandates}
        existing = dict(self.store.requests(ids.values()))
        # Invoices of requests other runs are still waiting on: asked of no bank twice.
        held = {i for i, r in self.store.held_invoices().items() if not r.startswith(f"{run}-")}
        todo = [m for m in mandates if ids[m.customer_code] not in existing]
        written: list[tuple[DebitRequestRecord | NewDebitRequest, bool]] = []
        looked_at = 0
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            for start in range(0, len(todo), CHUNK):
                if time_left_ms is not None and time_left_ms() < STOP_MARGIN_MS:
                    break
                chunk = todo[start : start + CHUNK]
                outcomes = pool.map(lambda m: self._request(m, run, bank, period, held, actor, now, batch), chunk)
                written += [o for o in outcomes if o is not None]
                looked_at += len(chunk)
        created = [r for r, new in written if new]
        records: dict[str, DebitRequestRecord | NewDebitRequest] = {r.request_id: r for r in self.store.of_run(run)}
        records.update(existing)
        records.update({r.request_id: r for r, _ in written})
        sent = created + self._orphans(run, records, batch, now)
        if sent:
            lines = sorted(sent, key=lambda r: r.customer_code)
            self.objects.put(file_key(run, batch), rules.requests_csv([_line(r) for r in lines]), CONTENT_TYPE)
        moved = {r.request_id for r in sent}
        counted = [_counted(r, batch if r.request_id in moved else None) for r in records.values()]
        summary = {
            "created": len(created),
            "in_file": len(sent),
            "requests": len(counted),
            "amount": sum(r.amount for r in counted),
            "complete": looked_at == len(todo),
        }
        self.audit(f"debit_run#{run}", actor, "debit.run", None, dict(summary, bank=bank, period=period, file=batch))
        logger.info("debit run", extra=dict(summary, run_id=run, file=batch))
        return self._view(
            run,
            bank,
            period,
            counted,
            created=len(created),
            left_out=looked_at - len(written),
            remaining=len(todo) - looked_at,
            batch=batch if sent else None,
        )

    def _request(
        self,
        mandate: ChannelRequestRecord,
        run: str,
        bank: str,
        period: str,
        held: set[str],
        actor: str,
        now: int,
        batch: str,
    ) -> tuple[DebitRequestRecord | NewDebitRequest, bool] | None:
        """One customer's request, written unless it is there: (it, written now); None: nothing to ask."""
        code = mandate.customer_code
        invoices = self._open_invoices(code, period, held)
        amount = sum(open_invoice(i).open_amount for i in invoices)
        if amount <= 0:
            return None
        new = NewDebitRequest(
            request_id=rules.request_id(bank, period, code),
            run_id=run,
            bank_code=bank,
            period=period,
            customer_code=code,
            mandate_ref=mandate.request_id,
            account_holder=mandate.account_holder,
            invoice_ids=[i.invoice_id for i in invoices],
            amount=amount,
            created_at=now,
            created_by=actor,
            batch=batch,
        )
        if self.store.add(new):
            return new, True
        there = self.store.request(new.request_id)  # another run of the same month wrote it meanwhile
        return (there, False) if there is not None else None

    def _open_invoices(self, code: str, period: str, held: set[str]) -> list[InvoiceRecord]:
        """The account's invoices of `period` and before that still owe something, oldest first, as they
        are now (the status index lists them; each is read again, consistently)."""
        listed = [i.invoice_id for i in self.invoices.open_invoices(code) if i.invoice_id not in held]
        fresh = self.invoices.invoices(listed)
        out = [
            inv
            for inv in fresh.values()
            if inv.customer_code == code
            and inv.status == "unpaid"
            and inv.period <= period
            and open_invoice(inv).open_amount > 0
        ]
        return sorted(out, key=lambda i: i.period_key)

    def _orphans(
        self, run: str, records: Mapping[str, DebitRequestRecord | NewDebitRequest], batch: str, now: int
    ) -> list[DebitRequestRecord | NewDebitRequest]:
        """Pending requests whose file was never written (the call that wrote them failed before it could),
        moved to this call's file. Only files older than any call still running: never one being written."""
        files: dict[str, bool] = {}
        out: list[DebitRequestRecord | NewDebitRequest] = []
        for r in records.values():
            written_at = _batch_time(r.batch)
            if (
                r.status != "pending"
                or r.batch == batch
                or not now - ORPHAN_BEFORE_S < written_at < now - ORPHAN_AFTER_S
            ):
                continue
            if r.batch not in files:
                files[r.batch] = self.objects.size(file_key(run, r.batch)) is not None
            if not files[r.batch] and self.store.rebatch(r.request_id, r.batch, batch):
                out.append(r)
        if out:
            logger.warning("debit requests without a file sent in this one", extra={"run_id": run, "count": len(out)})
        return out

    def view(self, run_id: str) -> dict[str, Any]:
        """GET /v1/admin/debits/runs/{run_id}: the run's requests by status and fresh links to its files."""
        if not isinstance(run_id, str) or not DEBIT_RUN_ID_RE.fullmatch(run_id):
            raise ValidationError("run_id is '<bank>-<yyyymm>'", "Mã đợt nhờ thu không hợp lệ.", field="run_id")
        bank, period = rules.period_of_run(run_id)
        records = [_counted(r) for r in self.store.of_run(run_id)]
        if bank not in LINKED_BANKS or not records:
            raise NotFound("no such debit run", "Không tìm thấy đợt nhờ thu.", code="DEBIT_RUN_NOT_FOUND")
        return _json(self._view(run_id, bank, period, records))

    def _view(
        self,
        run: str,
        bank: str,
        period: str,
        records: Sequence[_Counted],
        *,
        created: int | None = None,
        left_out: int | None = None,
        remaining: int | None = None,
        batch: str | None = None,
    ) -> RunView:
        by_status = {s: [r for r in records if r.status == s] for s in ("pending", "paid", "failed")}
        by_batch: dict[str, list[_Counted]] = {}
        for r in records:
            by_batch.setdefault(r.batch, []).append(r)
        files = {
            name: RunFile(
                name=name,
                url=self.objects.download_url(file_key(run, name), LINK_EXPIRES_S),
                expires_in=LINK_EXPIRES_S,
                rows=len(rs),
                amount=sum(r.amount for r in rs),
                created_at=iso(_batch_time(name)),
                content_type="text/csv; charset=utf-8",
            )
            for name, rs in sorted(by_batch.items())
            # A file being written, or never written (its requests go in the next run's file), has no link.
            if name == batch or self.objects.size(file_key(run, name)) is not None
        }
        return RunView(
            run_id=run,
            bank=bank,
            bank_name=LINKED_BANKS[bank],
            period=period,
            requests=len(records),
            amount=sum(r.amount for r in records),
            pending=len(by_status["pending"]),
            paid=len(by_status["paid"]),
            failed=len(by_status["failed"]),
            debited=sum(r.debited for r in by_status["paid"]),
            created=created,
            left_out=left_out,
            complete=None if remaining is None else remaining == 0,
            remaining=remaining,
            file=files.get(batch) if batch else None,
            files=list(files.values()),
        )

    def scheduled(self, today: date, time_left_ms: Callable[[], float] | None = None) -> dict[str, Any]:
        """The daily job: on DEBIT_RUN_DAY, last month's run for every linked bank; other days nothing."""
        day = self.settings.debit_run_day
        if not day or today.day != day:
            return {"ran": False, "today": today.isoformat(), "run_day": day}
        period = rules.period_before(today)
        runs = {bank: self.run(SYSTEM, bank, period, time_left_ms) for bank in LINKED_BANKS}
        return {
            "ran": True,
            "today": today.isoformat(),
            "period": period,
            "runs": {
                bank: {"run_id": v.run_id, "created": v.created, "requests": v.requests, "complete": v.complete}
                for bank, v in runs.items()
            },
        }

    # -- the bank's results --------------------------------------------------------------

    def post_results(self, actor: str, data: bytes, time_left_ms: Callable[[], float] | None = None) -> dict[str, Any]:
        """Apply a bank's result file; stops early (complete: false) when the invocation's time runs short:
        the same file again applies the rest (the rows done are duplicates then)."""
        if len(data) > MAX_BYTES:
            raise PayloadTooLarge(
                f"a result file is at most {MAX_BYTES // (1024 * 1024)} MB: split it",
                f"Tệp kết quả tối đa {MAX_BYTES // (1024 * 1024)} MB: hãy chia nhỏ tệp.",
            )
        try:
            rows = rules.parse_results(data)
        except rules.DebitFileError as exc:
            raise _invalid(str(exc)) from None
        if not rows:
            raise _invalid("the file lists no results")
        requests = self.store.requests(r.request_id for r in rows)
        results: list[tuple[ResultRow, bool]] = []
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            for start in range(0, len(rows), CHUNK):
                if time_left_ms is not None and time_left_ms() < STOP_MARGIN_MS:
                    break
                chunk = rows[start : start + CHUNK]
                results += pool.map(lambda r: self._apply(actor, r, requests.get(r.request_id)), chunk)
        out = ResultsView(
            rows=len(rows),
            paid=sum(r.status == "paid" for r, _ in results),
            failed=sum(r.status == "failed" for r, _ in results),
            duplicates=sum(r.status == "duplicate" for r, _ in results),
            errors=sum(r.status == "error" for r, _ in results),
            flagged=sum(bool(r.flags) for r, _ in results if r.status == "paid"),
            allocated=sum(r.allocated or 0 for r, _ in results if r.status == "paid"),
            credited=sum(r.credited or 0 for r, _ in results if r.status == "paid"),
            reminders_queued=sum(queued for _, queued in results),
            complete=len(results) == len(rows),
            not_reached=len(rows) - len(results),
            results=[r for r, _ in results],
        )
        answer = _json(out)
        counts = {k: v for k, v in answer.items() if k != "results"}
        digest = hashlib.sha256(data).hexdigest()[:16]
        self.audit(f"debit_results#{digest}", actor, "debit.results", None, counts)
        logger.info("debit results posted", extra=dict(counts, file=digest))
        return answer

    def _apply(self, actor: str, row: rules.ResultRow, request: DebitRequestRecord | None) -> tuple[ResultRow, bool]:
        if request is None:
            return _row(row, "error", code="DEBIT_REQUEST_NOT_FOUND", message="no such debit request"), False
        if row.status == "paid":
            return self._paid(actor, row, request), False
        return self._failed(actor, row, request)

    def _paid(self, actor: str, row: rules.ResultRow, request: DebitRequestRecord) -> ResultRow:
        code, amount, bank_ref = request.customer_code, row.amount, row.bank_ref
        if amount is None or bank_ref is None:
            raise ValueError("a paid row has an amount and a reference")
        if request.status == "paid":  # its money was posted in the transaction that moved it
            return _row(row, "duplicate", code_of=code)
        now = self.clock.now()
        flags = [] if amount == int(request.amount) else ["AMOUNT_MISMATCH"]
        if request.status == "failed":
            flags.append("PAID_AFTER_FAILED")
        money = IncomingPayment(
            channel=rules.CHANNEL,
            payment_id=payment_id_of(request.request_id),
            external_ref=f"{request.bank_code}#{bank_ref}",
            amount=amount,
            received_at=now,
            posted_by=actor,
            paid_at=iso(now),
            display={"request_id": request.request_id, "bank_code": request.bank_code, "bank_ref": bank_ref},
            flags=flags,
        )

        def paid(posting: Posting) -> DebitPaid:
            return DebitPaid(
                bank_ref=bank_ref,
                debited_amount=amount,
                result_at=now,
                result_by=actor,
                allocated=sum(m.allocate for m in posting.invoices),
                credited=int(posting.credit.get(code, 0)),
                flags=flags,
            )

        try:
            posted = self.ledger.post_payment(
                money,
                Target(customer_code=code, invoice_ids=list(request.invoice_ids)),
                extras=self.store.paid(request.request_id, ("pending", "failed"), paid),
                extra_labels=(DEBIT,),
            )
        except PostingFailed:  # paid meanwhile, by the same file sent again at once
            return _row(row, "duplicate", code_of=code)
        if posted.duplicate:
            return _row(row, "duplicate", code_of=code)
        return _row(
            row, "paid", code_of=code, amount=amount, allocated=posted.allocated, credited=posted.credited, flags=flags
        )

    def _failed(self, actor: str, row: rules.ResultRow, request: DebitRequestRecord) -> tuple[ResultRow, bool]:
        code = request.customer_code
        if request.status == "pending":
            if self.store.failed(
                request.request_id,
                customer_code=code,
                bank_ref=row.bank_ref,
                reason=row.reason or NO_REASON,
                now=self.clock.now(),
                actor=actor,
                notice_key=notice_key(request.request_id),
            ):
                return _row(row, "failed", code_of=code), self._queue_notice(request.request_id)
            request = self.store.request(request.request_id) or request  # answered meanwhile
        if request.status == "paid":
            return _row(
                row,
                "error",
                code_of=code,
                code="DEBIT_ALREADY_PAID",
                message="the bank reported this debit paid before: nothing changed",
            ), False
        return _row(row, "duplicate", code_of=code), self._queue_stale_notice(request.request_id)

    # -- the customer's notice -----------------------------------------------------------

    def _queue_notice(self, request_id: str) -> bool:
        key = notice_key(request_id)
        try:
            self.queue.enqueue({"kind": NOTICE_KIND, "request_id": request_id})
        except Exception:  # the claim stays: the same file sent again queues it (below)
            logger.warning("debit notice not queued", extra={"request_id": request_id})
            return False
        self.notices.mark_queued(key)
        return True

    def _queue_stale_notice(self, request_id: str) -> bool:
        """A failed debit whose notice was claimed but never queued (the queue failed, or the call died):
        queued now, if the claim is old enough that no call at this moment is still about to queue it."""
        key = notice_key(request_id)
        if not self.notices.stale_claims([key], self.clock.now() - RECLAIM_AFTER_S):
            return False
        return self._queue_notice(request_id)

    def send_notice(self, request_id: str) -> str:
        """The reminders worker's part: tell the customer the debit failed and how to pay. 'sent',
        'skipped', 'deferred' (quiet hours), or what it was already. Raises when a channel fails (SQS
        retries; a channel that went out is not repeated)."""
        key = notice_key(request_id) if isinstance(request_id, str) else ""
        reminder = self.notices.reminder(key) if key else None
        if reminder is None:
            return "unknown"
        if reminder.status in ("sent", "skipped"):
            return reminder.status
        request = self.store.request(request_id)
        invoices = self.invoices.invoices(request.invoice_ids) if request is not None else {}
        still_open = sorted(
            (i for i in invoices.values() if i.status == "unpaid" and open_invoice(i).open_amount > 0),
            key=lambda i: i.period_key,
        )
        customer = self.notices.customer(request.customer_code) if request is not None else None
        if request is None or request.status != "failed" or not still_open or customer is None:
            self.notices.set_status(key, "skipped")  # paid meanwhile (by the bank or otherwise)
            return "skipped"
        if customer.reminders_opt_out:
            self.notices.set_status(key, "skipped")
            return "skipped"
        chosen = channels_for(customer)
        if not chosen:
            self.notices.set_status(key, "skipped")
            return "skipped"
        delay = self.quiet.delay_seconds(now_vn(self.clock.now()))
        if delay:
            self.queue.enqueue({"kind": NOTICE_KIND, "request_id": request_id}, delay)
            self.notices.set_status(key, "deferred")
            return "deferred"
        owed = sum(open_invoice(i).open_amount for i in still_open)
        delivered = send_on(
            self.notifier,
            customer,
            chosen,
            reminder.channels or [],
            lambda channel: rules.failed_message(
                channel,
                bank=request.bank_code,
                customer_code=request.customer_code,
                period=request.period,
                amount=owed,
                invoice_id=still_open[0].invoice_id,
                link_base=self.settings.payment_link_base,
                sender=self.settings.sms_sender_id,
            ),
            lambda channel: self.notices.add_channel(key, channel),
            "debit notice channel unavailable",
        )
        if not delivered:
            self.notices.set_status(key, "skipped")
            return "skipped"
        self.notices.set_status(key, "sent", self.clock.now())
        return "sent"


# -- helpers ------------------------------------------------------------------------------


def _line(r: DebitRequestRecord | NewDebitRequest) -> rules.RequestLine:
    return rules.RequestLine(
        request_id=r.request_id,
        customer_code=r.customer_code,
        mandate_ref=r.mandate_ref,
        account_holder=r.account_holder,
        invoice_ids=tuple(r.invoice_ids),
        amount=int(r.amount),
        period=r.period,
    )


def _row(
    row: rules.ResultRow,
    status: RowStatus,
    *,
    code_of: str | None = None,
    amount: int | None = None,
    allocated: int | None = None,
    credited: int | None = None,
    flags: Sequence[str] = (),
    code: str | None = None,
    message: str | None = None,
) -> ResultRow:
    return ResultRow(
        row=row.row,
        request_id=row.request_id,
        status=status,
        customer_code=code_of,
        amount=amount,
        allocated=allocated,
        credited=credited,
        flags=list(flags),
        code=code,
        message=message,
    )


def _json(shape: object) -> dict[str, Any]:
    return cast(dict[str, Any], to_json(shape))


def _invalid(message: str) -> ValidationError:
    return ValidationError(
        f"the result file cannot be read: {message}",
        "Không đọc được tệp kết quả nhờ thu (CSV UTF-8, dòng tiêu đề: "
        + ", ".join(n for n, _ in rules.RESULT_COLUMNS)
        + f"): {message}",
        code="INVALID_DEBIT_RESULTS",
    )
