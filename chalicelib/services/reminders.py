"""Payment reminders: the daily plan (which invoices get which dunning level
today, each level once per invoice), the worker that sends one reminder on the
customer's channels outside quiet hours, and the customer's preferences.
No Chalice, no boto3: the store, the queue, the notifier and the push
registrar are handed in.

Exactly once per level: the plan claims '<invoice_id>#<level>' with a
conditional Put ('claimed') and only the winner enqueues, then marks it
'queued', so a re-run enqueues nothing again; the worker records each channel
once it is sent, so a redelivered or retried message never repeats a channel
that went out. A claim left 'claimed' by a run that died before enqueueing
(Lambda retries a failed scheduled run) is enqueued by the next run, if it is
older than that run (RECLAIM_AFTER_S) so two runs at once never both send it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import date, datetime
from typing import Any, cast

from chalicelib.config import Settings
from chalicelib.domain import banks, vietqr
from chalicelib.domain import reminders as rules
from chalicelib.domain.messages import ReminderToSend
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.tokens import Identity
from chalicelib.domain.vntime import now_vn
from chalicelib.errors import Forbidden, NotFound, ServiceUnavailable, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.common import Clock, ConditionFailed
from chalicelib.ports.customers import CustomerRecord
from chalicelib.ports.invoices import InvoiceRecord
from chalicelib.ports.notices import (
    ChannelUnavailable,
    Notifier,
    PushRegistrar,
    ReminderQueue,
    Reminders,
)
from chalicelib.services.auth import customer_code
from chalicelib.services.delivery import channels_for, send_on
from chalicelib.services.shapes_reminders import (
    Preferences,
    PreferencesNow,
    PushRegistered,
    PushToken,
    ReminderChannel,
    SetPreferences,
)

PAGE = 500  # invoices per Query page (a checkpoint: the cursor moves page by page)
CLAIM_THREADS = 16  # conditional Puts and SendMessageBatch calls in flight
STOP_MARGIN_MS = 60_000  # stop planning when less than this is left of the Lambda's time
RECLAIM_AFTER_S = 60  # a claim this much older than the current run was left by a run that died


def _customer_not_found() -> NotFound:
    return NotFound("customer not found", "Không tìm thấy khách hàng.", code="CUSTOMER_NOT_FOUND")


def _not_linked() -> Forbidden:
    return Forbidden(
        "this customer code is not linked to your account",
        "Mã khách hàng này chưa được liên kết với tài khoản của bạn.",
        code="CUSTOMER_NOT_LINKED",
    )


class ReminderService:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Reminders,
        queue: ReminderQueue,
        notifier: Notifier,
        push: PushRegistrar,
        clock: Clock,
        threads: int = CLAIM_THREADS,
    ) -> None:
        self.settings = settings
        self.store = store
        self.queue = queue
        self.notifier = notifier
        self.push = push
        self.clock = clock
        self.threads = threads
        self._run_started: int | None = None  # when the current plan run started (its stale claims are older)
        self.levels = rules.levels(settings.reminder_offsets)
        self.quiet = rules.QuietHours(tuple(settings.reminder_quiet_hours))

    def _now(self) -> datetime:
        return now_vn(self.clock.now())

    # -- the daily plan ----------------------------------------------------------

    def plan(
        self,
        today: date | None = None,
        cursor: dict[str, Any] | None = None,
        time_left_ms: Callable[[], int] | None = None,
        stop_margin_ms: int = STOP_MARGIN_MS,
    ) -> dict[str, Any]:
        """Claim and enqueue today's reminders, level by level, page by page.
        Returns counts, and `complete: false` with a `cursor` to continue from
        when the time left (`time_left_ms`, the Lambda's) ran under the margin."""
        today = today or rules.vn_today(self._now())
        self._run_started = self.clock.now()
        start_level = int((cursor or {}).get("level", 0))
        key = (cursor or {}).get("key")
        out: dict[str, Any] = {"today": today.isoformat(), "complete": True, "cursor": None, "levels": {}}
        if time_left_ms is not None:
            # A short-lived invocation (a local runner, a continuation) still gets two thirds of its time.
            stop_margin_ms = min(stop_margin_ms, time_left_ms() // 3)
        totals = dict(unpaid=0, opted_out=0, no_customer=0, already=0, enqueued=0, released=0)
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            for index, (level, due) in enumerate(rules.due_dates_for(today, self.settings.reminder_offsets)):
                if index < start_level:
                    continue
                counts = out["levels"].setdefault(level.name, {"due_date": due.isoformat(), "enqueued": 0})
                while True:
                    if time_left_ms is not None and time_left_ms() < stop_margin_ms:
                        out.update(complete=False, cursor={"level": index, "key": key})
                        logger.warning(
                            "reminders plan stopped for time; continue from the cursor", extra={"cursor_level": index}
                        )
                        out.update(totals)
                        return out
                    invoices, next_key = self.store.due_page(due.isoformat(), key, PAGE)
                    page = self._plan_page(pool, level, invoices)
                    for k, v in page.items():
                        totals[k] += v
                    counts["enqueued"] += page["enqueued"]
                    key = next_key
                    if not key:
                        break
                key = None
        out.update(totals)
        logger.info("reminders planned", extra={k: v for k, v in out.items() if k != "levels"})
        return out

    def _plan_page(
        self, pool: ThreadPoolExecutor, level: rules.Level, invoices: Sequence[InvoiceRecord]
    ) -> dict[str, int]:
        counts = dict(unpaid=len(invoices), opted_out=0, no_customer=0, already=0, enqueued=0, released=0)
        if not invoices:
            return counts
        customers = self.store.customers(inv.customer_code for inv in invoices)
        now = self.clock.now()
        wanted = []
        for inv in invoices:
            customer = customers.get(inv.customer_code)
            if customer is None:
                counts["no_customer"] += 1
            elif customer.reminders_opt_out:
                counts["opted_out"] += 1
            else:
                wanted.append(inv)
        won = list(
            pool.map(
                lambda inv: self.store.claim(f"{inv.invoice_id}#{level.name}", inv.customer_code, level.name, now),
                wanted,
            )
        )
        bodies: list[dict[str, object]] = [
            to_json(ReminderToSend(invoice_id=inv.invoice_id, level=level.name)) for inv, w in zip(wanted, won) if w
        ]
        lost = [f"{inv.invoice_id}#{level.name}" for inv, w in zip(wanted, won) if not w]
        started = self._run_started if self._run_started is not None else now
        stale = self.store.stale_claims(lost, started - RECLAIM_AFTER_S) if lost else []
        if stale:
            logger.warning(
                "reminders claimed by a run that died before queueing them: queued now", extra={"count": len(stale)}
            )
            bodies += [to_json(ReminderToSend(invoice_id=key.rsplit("#", 1)[0], level=level.name)) for key in stale]
        counts["already"] = len(wanted) - len(bodies)
        batches = [bodies[i : i + 10] for i in range(0, len(bodies), 10)]
        for batch, result in zip(batches, pool.map(self._enqueue, batches)):
            failed, error = result
            keys = [f"{body['invoice_id']}#{level.name}" for body in batch]
            for i in failed:
                self.store.release(keys[i])
            list(pool.map(self.store.mark_queued, [k for i, k in enumerate(keys) if i not in failed]))
            counts["released"] += len(failed)
            counts["enqueued"] += len(batch) - len(failed)
            if error is not None:
                raise error
        return counts

    def _enqueue(self, batch: list[dict[str, object]]) -> tuple[list[int], Exception | None]:
        try:
            return self.queue.enqueue_batch(batch), None
        except Exception as exc:  # the whole batch: release its claims, then fail the run
            return list(range(len(batch))), exc

    # -- the worker ------------------------------------------------------------------

    def send(self, invoice_id: str, level_name: str) -> str:
        """Send one reminder: 'sent', 'skipped', 'deferred', or what it already was.
        Raises when a channel fails (SQS retries; channels already sent are not repeated)."""
        level = next((lv for lv in self.levels if lv.name == level_name), None)
        if level is None or not isinstance(invoice_id, str):
            logger.warning("reminder for an unknown level ignored", extra={"level": str(level_name)[:40]})
            return "ignored"
        key = f"{invoice_id}#{level.name}"
        reminder = self.store.reminder(key)
        if reminder is None:
            return "unknown"
        if reminder.status in ("sent", "skipped"):
            return reminder.status
        invoice = self.store.invoice(invoice_id)
        if invoice is None or invoice.status != "unpaid":
            self.store.set_status(key, "skipped")
            return "skipped"
        customer = self.store.customer(invoice.customer_code)
        if customer is None or customer.reminders_opt_out:
            self.store.set_status(key, "skipped")
            return "skipped"
        chosen = channels_for(customer)
        if not chosen:
            self.store.set_status(key, "skipped")
            return "skipped"
        now = self._now()
        delay = self.quiet.delay_seconds(now)
        if delay:
            # Deferred, not dropped: the same message comes back after the quiet window (in hops of <= 15 min).
            self.queue.enqueue(to_json(ReminderToSend(invoice_id=invoice_id, level=level.name)), delay)
            self.store.set_status(key, "deferred")
            return "deferred"

        def compose(channel: str) -> rules.Message:
            return rules.compose(
                level,
                channel,
                invoice_id=invoice_id,
                customer_code=invoice.customer_code,
                period=invoice.period,
                amount=int(invoice.total),
                due_date=invoice.due_date,
                link_base=self.settings.payment_link_base,
                sender=self.settings.sms_sender_id,
                transfer=self._transfer(invoice.invoice_id, invoice.customer_code, invoice.period),
            )

        delivered = send_on(
            self.notifier,
            customer,
            chosen,
            reminder.channels or [],
            compose,
            lambda channel: self.store.add_channel(key, channel),
            "reminder channel unavailable",
        )
        if not delivered:
            # Every channel the customer chose is switched off here: nothing went out, so not "sent".
            logger.warning("reminder skipped: none of the customer's channels is available", extra={"channels": chosen})
            self.store.set_status(key, "skipped")
            return "skipped"
        self.store.set_status(key, "sent", self.clock.now())
        return "sent"

    def _transfer(self, invoice_id: str, code: str, period: str) -> rules.TransferNote | None:
        """Where to transfer the bill and the reference to write; None while VietQR is off."""
        s = self.settings
        bank = banks.by_bin(s.vietqr_bank_bin or "") if s.vietqr_on else None
        if bank is None or not s.vietqr_account_no or not s.vietqr_account_name:
            return None
        return rules.TransferNote(
            bank=bank.short_name,
            account_no=s.vietqr_account_no,
            account_name=s.vietqr_account_name,
            reference=vietqr.invoice_reference(invoice_id, code, period),
        )

    # -- preferences ------------------------------------------------------------------

    def _codes(self, identity: Identity, requested: object) -> list[str]:
        if requested is not None:
            code = customer_code(requested)
            if not identity.owns(code):
                raise _not_linked()
            return [code]
        if not identity.customer_codes:
            raise _not_linked()
        return list(identity.customer_codes)

    def set_preferences(self, identity: Identity, body: dict[str, Any]) -> dict[str, Any]:
        codes = self._codes(identity, body.get("customer_code"))  # 403 before any other fault, as ever
        asked = parse(SetPreferences, body)
        channels: list[str] | None = None if asked.channels is None else list(asked.channels)
        opt_out, email = asked.opt_out, asked.email
        if channels is None and opt_out is None and email is None:
            raise ValidationError(
                "send channels, opt_out or email", "Cần gửi channels, opt_out hoặc email.", field="channels"
            )
        if channels and "email" in channels and email is None:
            for code in codes:
                current = self.store.customer(code)
                if current is not None and not current.email:
                    raise ValidationError(
                        "choosing e-mail needs an email address", "Vui lòng nhập địa chỉ email.", field="email"
                    )
        out = []
        for code in codes:
            try:
                self.store.set_preferences(code, channels, opt_out, email)
            except ConditionFailed:
                raise _customer_not_found() from None
            customer = self.store.customer(code)
            if customer is None:
                raise _customer_not_found()
            out.append(self._preferences(customer))
        answer: dict[str, Any] = to_json(PreferencesNow(customers=out))
        return answer

    def preferences(self, identity: Identity, code: object) -> dict[str, Any]:
        """GET /v1/me/notifications: the settings as they are, of the linked codes (or of one)."""
        out = []
        for linked in self._codes(identity, code):
            customer = self.store.customer(linked)
            if customer is not None:  # a code whose customer is gone shows nothing
                out.append(self._preferences(customer))
        answer: dict[str, Any] = to_json(PreferencesNow(customers=out))
        return answer

    @staticmethod
    def _preferences(customer: CustomerRecord) -> Preferences:
        return Preferences(
            customer_code=customer.code,
            channels=cast(list[ReminderChannel], list(customer.notify_channels or rules.DEFAULT_CHANNELS)),
            opt_out=bool(customer.reminders_opt_out),
            email=customer.email,
            push_registered=bool(customer.push_endpoint),
        )

    def register_push(self, identity: Identity, body: dict[str, Any]) -> dict[str, Any]:
        asked = parse(PushToken, body)
        codes = self._codes(identity, asked.customer_code)
        try:
            arn = self.push.register(asked.platform, asked.token, identity.account_id)
        except ChannelUnavailable:
            raise ServiceUnavailable("push notifications are not configured", "Chưa cấu hình thông báo đẩy.") from None
        for code in codes:
            with suppress(ConditionFailed):  # a code whose customer is gone
                self.store.set_push_endpoint(code, arn)
        answer: dict[str, Any] = to_json(PushRegistered(registered=True, platform=asked.platform, customer_codes=codes))
        return answer
