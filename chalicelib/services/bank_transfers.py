"""Incoming bank transfers, matched in seconds: a notification service (SePay, Casso; ports/banks.py)
tells us money reached the utility's account, and the money is posted to the customer account its
purpose names, or put in the statement lines' suspense list for a person. No Chalice, no boto3.

Each transfer becomes a statement line, the same one the bank's statement file gives it the next day
(services/statements.py): line '<bank>#<bank reference>' (the receiving bank's code, domain/banks.py),
payment 'bank#<line_id>', the same matcher (domain/transfer_matching.py), the same suspense list and
its resolution by hand (audited). So a transfer notified now and imported tomorrow is posted once, and
so is a notification sent twice, or twice at once (the line's and the payment's conditional writes
decide). The notification's own key '<service>#<its id>' is remembered after its money is recorded:
a retry is answered at once; a retry after a crash between the two finds the line and posts nothing.

Money out is acknowledged and ignored; money in to another account than the configured one
(VIETQR_ACCOUNT_NO, or BANK_SUB_ACCOUNTS) is parked as OTHER_ACCOUNT."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain import bank_notifications as rules
from chalicelib.domain import banks
from chalicelib.domain import statements as statement_rules
from chalicelib.domain import transfer_matching as matching
from chalicelib.domain.bank_notifications import BankTransfer
from chalicelib.domain.vntime import now_vn
from chalicelib.errors import NotFound
from chalicelib.observability import logger
from chalicelib.ports.banks import BankNotifications, BankNotificationSource
from chalicelib.ports.common import Clock
from chalicelib.services.statements import StatementService


class ChannelOff(NotFound):
    code = "BANK_CHANNEL_OFF"


class BankTransferService:
    def __init__(
        self,
        *,
        settings: Settings,
        sources: Mapping[str, BankNotificationSource],
        notifications: BankNotifications,
        statements: StatementService,
        clock: Clock,
    ) -> None:
        self.s = settings
        self.sources = sources
        self.notifications = notifications
        self.statements = statements
        self.clock = clock

    def receive(self, service: str, headers: Mapping[str, str], raw: bytes) -> dict[str, Any]:
        """One call of a notification service: checked (key or signature), each transfer in it handled
        once; the answer the service expects. A 4xx for a call or a body that is not right (the service's
        retries of it cannot succeed), a 5xx only for a passing fault (the retry will do)."""
        source = self.sources.get(service)
        bank = self.bank_code()
        if source is None or bank is None:
            raise ChannelOff(
                f"{service} notifications are not configured here",
                "Kênh nhận thông báo chuyển khoản này chưa được cấu hình.",
            )
        transfers = source.verify(headers, raw)
        today = now_vn(self.clock.now()).date()
        for n, t in enumerate(transfers):
            if not statement_rules.booked_on_is_plausible(t.booked_on, today):
                where = "transactionDate" if service == rules.SEPAY else "data.transactionDateTime"
                raise rules.refused(where if len(transfers) == 1 else f"data[{n}].transactionDateTime", "in the future")
        results = [self.handle(t, bank) for t in transfers]
        logger.info(
            "bank notification handled",
            extra={
                "service": service,
                "transfers": len(results),
                "outcomes": ",".join(str(r["status"]) for r in results),
            },
        )
        return source.answer()

    def bank_code(self) -> str | None:
        """The receiving bank's short code (the statement import's for the same bank), or None when the
        receiving account is not configured (the channel is then off)."""
        bank = banks.by_bin(self.s.vietqr_bank_bin or "")
        return bank.code if bank is not None and self.s.vietqr_account_no else None

    def handle(self, t: BankTransfer, bank: str) -> dict[str, Any]:
        """One transfer: recorded as a statement line and posted, or parked, or ignored; once."""
        if t.test:
            return {"status": "test"}
        if t.direction != rules.IN:
            return {"status": "ignored"}  # money out: the utility's own payments, not ours to match
        seen = self.notifications.seen(t.key)
        if seen is not None:
            return {"status": "duplicate", "line_id": seen.line_id}
        # Without the bank's reference the line cannot meet its statement line; the service's id keeps it
        # unique (the statement import then records the transfer again: a person sees both).
        ref = t.bank_ref or f"{t.service.upper()}-{t.service_id}"
        line = statement_rules.StatementLine(
            row=0, bank_ref=ref, booked_on=t.booked_on, amount=t.amount, description=t.content
        )
        if self._ours(t):
            decision = self.statements.decisions([line])[ref]
        else:
            decision = matching.Decision("suspense", reason=matching.OTHER_ACCOUNT)
        result = self.statements.record_line(t.service, bank, line, t.key, decision, paid_at=t.occurred_at)
        self.notifications.remember(
            t.key, line_id=result["line_id"], outcome=str(result["status"]), received_at=self.clock.now()
        )
        return result

    def _ours(self, t: BankTransfer) -> bool:
        accounts = {self.s.vietqr_account_no, *self.s.bank_sub_accounts} - {None}
        return t.account_number in accounts or (t.sub_account is not None and t.sub_account in accounts)
