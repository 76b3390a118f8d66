"""Payment channels (seed 003): a customer registers online to pay by bank
transfer (CK) or authorised debit (NT) at a linked bank; the utility confirms;
from then on the field rules bill without collecting cash. No Chalice, no boto3."""

from __future__ import annotations

import secrets
from typing import Any, cast

from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.tokens import Identity
from chalicelib.errors import Conflict, NotFound
from chalicelib.ports.common import AuditRecorder, Clock
from chalicelib.ports.customers import ChannelRequestRecord, ChannelRequests, Customers
from chalicelib.services.auth import linked_code
from chalicelib.services.shapes_channels import (
    Channel,
    ChannelRequest,
    Decision,
    PendingRequests,
    RequestChannel,
    RequestStatus,
)

# Banks linked for online registration in seed 003 (shapes_channels.LinkedBank: the same codes).
LINKED_BANKS = {"VCB": "Vietcombank", "AGR": "Agribank", "STB": "Sacombank"}


class ChannelService:
    def __init__(self, *, store: ChannelRequests, customers: Customers, clock: Clock, audit: AuditRecorder) -> None:
        self.store = store
        self.customers = customers
        self.clock = clock
        self.audit = audit

    def request(self, identity: Identity, body: dict[str, Any]) -> dict[str, Any]:
        code = linked_code(identity, body.get("customer_code"))  # 403 before any other fault, as ever
        asked = parse(RequestChannel, body)
        if any(r.customer_code == code for r in self.store.pending()):
            raise Conflict(
                "a request for this customer code is already waiting for the utility",
                "Đã có yêu cầu đang chờ xử lý cho mã khách hàng này.",
                code="REQUEST_PENDING",
            )
        item = self.store.add(
            f"CR{secrets.token_hex(6).upper()}",
            customer_code=code,
            account_id=identity.account_id,
            channel=asked.channel,
            bank_code=asked.bank_code,
            account_holder=asked.account_holder,
            account_last4=asked.account_no[-4:],
            requested_at=self.clock.now(),
        )
        return _json(_view(item))

    def pending(self) -> dict[str, Any]:
        return _json(PendingRequests(requests=[_view(r) for r in self.store.pending()]))

    def decide(self, actor: str, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
        asked = parse(Decision, body)
        item = self.store.get(request_id)
        if item is None:
            raise NotFound("no such request", "Không tìm thấy yêu cầu.", code="REQUEST_NOT_FOUND")
        note = asked.note if isinstance(asked.note, str) else None  # any other value: ignored
        status = "confirmed" if asked.decision == "confirm" else "rejected"
        customer = self.customers.get(item.customer_code)
        before = customer.payment_channel if customer is not None else None
        if not self.store.decide(
            item, status, actor, self.clock.now(), note, channel_after=item.channel if status == "confirmed" else None
        ):
            raise Conflict("this request was already decided", "Yêu cầu này đã được xử lý.", code="REQUEST_DECIDED")
        self.audit(
            f"customer#{item.customer_code}",
            actor,
            f"payment_channel.{status}",
            {"payment_channel": before},
            {"payment_channel": item.channel if status == "confirmed" else before, "request_id": request_id},
        )
        return _json(_view(item, status))


def _json(shown: ChannelRequest | PendingRequests) -> dict[str, Any]:
    out: dict[str, Any] = to_json(shown)
    return out


def _view(r: ChannelRequestRecord, status: str | None = None) -> ChannelRequest:
    return ChannelRequest(
        request_id=r.request_id,
        customer_code=r.customer_code,
        channel=cast(Channel, r.channel),
        bank_code=r.bank_code,
        bank=LINKED_BANKS.get(r.bank_code),
        account_holder=r.account_holder,
        account_no=f"****{r.account_last4}",
        status=cast(RequestStatus, status or r.status),
    )
