"""Payment channels (seed 003): a customer registers online to pay by bank
transfer (CK) or authorised debit (NT) at a linked bank; the utility confirms;
from then on the field rules bill without collecting cash. No Chalice, no boto3."""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.domain.identifiers import BANK_ACCOUNT_NO_RE
from chalicelib.domain.tokens import Identity
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.ports.common import AuditRecorder, Clock
from chalicelib.ports.customers import ChannelRequestRecord, ChannelRequests, Customers
from chalicelib.services.auth import customer_code

CHANNELS = ("bank_transfer", "authorised_debit")
# Banks linked for online registration in seed 003 (VCB, AGR, STB); the list is configuration-free on purpose:
# adding a bank is a code change reviewed with the finance team.
LINKED_BANKS = {"VCB": "Vietcombank", "AGR": "Agribank", "STB": "Sacombank"}


class ChannelService:
    def __init__(self, *, store: ChannelRequests, customers: Customers, clock: Clock, audit: AuditRecorder) -> None:
        self.store = store
        self.customers = customers
        self.clock = clock
        self.audit = audit

    def request(self, identity: Identity, body: dict[str, Any]) -> dict[str, Any]:
        code = customer_code(body.get("customer_code"))
        if not identity.owns(code):
            raise Forbidden(
                "this customer code is not linked to your account",
                "Mã khách hàng này chưa được liên kết với tài khoản của bạn.",
                code="CUSTOMER_NOT_LINKED",
            )
        channel = body.get("channel")
        if channel not in CHANNELS:
            raise ValidationError(
                "channel must be bank_transfer or authorised_debit",
                "Hình thức phải là chuyển khoản hoặc nhờ thu.",
                field="channel",
            )
        bank = body.get("bank_code")
        if not isinstance(bank, str) or bank not in LINKED_BANKS:
            raise ValidationError(
                f"bank_code must be one of {', '.join(LINKED_BANKS)}", "Ngân hàng chưa liên kết.", field="bank_code"
            )
        holder = body.get("account_holder")
        if not isinstance(holder, str) or not 2 <= len(holder.strip()) <= 100:
            raise ValidationError("account_holder is required", "Thiếu tên chủ tài khoản.", field="account_holder")
        account = body.get("account_no")
        if not isinstance(account, str) or not BANK_ACCOUNT_NO_RE.fullmatch(account):
            raise ValidationError("account_no: 6 to 20 digits", "Số tài khoản gồm 6 đến 20 chữ số.", field="account_no")
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
            channel=channel,
            bank_code=bank,
            account_holder=holder.strip(),
            account_last4=account[-4:],
            requested_at=self.clock.now(),
        )
        return _view(item)

    def pending(self) -> dict[str, Any]:
        return {"requests": [_view(r) for r in self.store.pending()]}

    def decide(self, actor: str, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
        decision = body.get("decision")
        if decision not in ("confirm", "reject"):
            raise ValidationError("decision must be confirm or reject", "Quyết định không hợp lệ.", field="decision")
        item = self.store.get(request_id)
        if item is None:
            raise NotFound("no such request", "Không tìm thấy yêu cầu.", code="REQUEST_NOT_FOUND")
        note = body.get("note") if isinstance(body.get("note"), str) else None
        status = "confirmed" if decision == "confirm" else "rejected"
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
        return dict(_view(item), status=status)


def _view(r: ChannelRequestRecord) -> dict[str, Any]:
    return {
        "request_id": r.request_id,
        "customer_code": r.customer_code,
        "channel": r.channel,
        "bank_code": r.bank_code,
        "bank": LINKED_BANKS.get(r.bank_code),
        "account_holder": r.account_holder,
        "account_no": f"****{r.account_last4}",
        "status": r.status,
    }
