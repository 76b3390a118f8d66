"""The payment-channel requests' shapes, declared once (chalicelib/domain/shapes.py): the customer's
request (`RequestChannel`), the managers' decision (`Decision`) and the request as both read it
(`ChannelRequest`). ChannelService parses and builds them; api/openapi_channels.py documents them
from here. The messages are the ones the hand checks gave, word for word."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import spec
from chalicelib.services.shapes_auth import CODE

Channel = Literal["bank_transfer", "authorised_debit"]
# Banks linked for online registration in seed 003; adding one is a code change reviewed with the
# finance team (services/channels.LINKED_BANKS names them; tests/unit/test_shapes_areas.py keeps them equal).
LinkedBank = Literal["VCB", "AGR", "STB"]
RequestStatus = Literal["pending", "confirmed", "rejected"]
HOLDER_MIN, HOLDER_MAX = 2, 100


def _holder(value: str) -> str:
    """The account holder's name without its outer spaces, 2 to 100 characters of it."""
    name = value.strip()
    if not HOLDER_MIN <= len(name) <= HOLDER_MAX:
        raise ValueError("length")
    return name


@dataclass(frozen=True, kw_only=True)
class RequestChannel:
    """POST /v1/me/payment-channel: pay one linked code by bank transfer or authorised debit."""

    customer_code: str = field(metadata=CODE)
    channel: Channel = field(
        metadata=spec(
            message=(
                "channel must be bank_transfer or authorised_debit",
                "Hình thức phải là chuyển khoản hoặc nhờ thu.",
            )
        )
    )
    bank_code: LinkedBank = field(
        metadata=spec(message=("bank_code must be one of VCB, AGR, STB", "Ngân hàng chưa liên kết."))
    )
    account_holder: str = field(
        metadata=spec(
            check=_holder,
            schema={"minLength": HOLDER_MIN, "maxLength": HOLDER_MAX, "pattern": r"\S.*\S"},
            message=("account_holder is required", "Thiếu tên chủ tài khoản."),
        )
    )
    account_no: str = field(
        metadata=spec(
            pattern=ids.BANK_ACCOUNT_NO,
            fullmatch=True,
            message=("account_no: 6 to 20 digits", "Số tài khoản gồm 6 đến 20 chữ số."),
        )
    )


@dataclass(frozen=True, kw_only=True)
class Decision:
    """POST /v1/admin/payment-channel-requests/{request_id}: confirm or reject, with a note."""

    decision: Literal["confirm", "reject"] = field(
        metadata=spec(message=("decision must be confirm or reject", "Quyết định không hợp lệ."))
    )
    # Any JSON value: a note that is not a string is ignored (as it always was), not refused.
    note: object = field(default=None, metadata=spec(schema={"type": "string"}))


@dataclass(frozen=True, kw_only=True)
class ChannelRequest:
    """A request as the customer and the managers read it (the account number masked)."""

    request_id: str
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    channel: Channel
    bank_code: str
    bank: str | None = field(metadata=spec(description="the bank's name"))
    account_holder: str
    account_no: str = field(metadata=spec(example="****6789", description="masked: the last 4 digits"))
    status: RequestStatus


@dataclass(frozen=True, kw_only=True)
class PendingRequests:
    """GET /v1/admin/payment-channel-requests."""

    requests: list[ChannelRequest]
