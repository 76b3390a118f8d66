"""The payment order's shapes, declared once (chalicelib/domain/shapes.py): the body that opens an
order (`CreateOrder`: PaymentService.create_order parses it) and the order as the API answers it
(`OrderView`: PaymentService.view builds it). api/openapi_payments.py documents both from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chalicelib.domain import identifiers as ids
from chalicelib.domain import vietqr
from chalicelib.domain.shapes import spec

MAX_INVOICES = 20  # invoices one order may pay

BankCode = Literal["VNPAYQR", "VNBANK", "INTCARD"]  # vnpay.BANK_CODES, as a type
OrderStatus = Literal["pending", "paid", "failed", "expired", "refunded", "review"]


@dataclass(frozen=True, kw_only=True)
class CreateOrder:
    """POST /v1/payments: the caller's unpaid invoices to pay, and how (VNPay's choice page if none)."""

    invoice_ids: list[str] = field(
        metadata=spec(
            pattern=ids.INVOICE_ID,
            min=1,
            max=MAX_INVOICES,
            unique=True,
            message=(
                f"invoice_ids must list 1 to {MAX_INVOICES} distinct invoice ids",
                f"invoice_ids phải có từ 1 đến {MAX_INVOICES} mã hoá đơn khác nhau.",
            ),
        )
    )
    bank_code: BankCode | None = field(
        default=None,
        metadata=spec(
            description="VNPAYQR (a QR code), VNBANK (a domestic card or account), INTCARD (an international card)",
            message=(
                "bank_code must be one of VNPAYQR, VNBANK, INTCARD",
                "Mã phương thức thanh toán không hợp lệ.",
            ),
        ),
    )


@dataclass(frozen=True, kw_only=True)
class OrderItem:
    """An invoice an order pays, at what it owed when the order opened."""

    invoice_id: str = field(metadata=spec(pattern=ids.INVOICE_ID))
    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    period: str = field(metadata=spec(pattern=ids.PERIOD, example="2026-11"))
    amount: int = field(metadata=spec(description="VND"))


@dataclass(frozen=True, kw_only=True)
class OrderView:
    """A VNPay payment order as its customer sees it."""

    order_id: str = field(metadata=spec(pattern=ids.ORDER_ID))
    status: OrderStatus = field(metadata=spec(description="a pending order past expires_at shows as expired"))
    amount: int = field(metadata=spec(description="VND"))
    fee: int
    currency: Literal["VND"]
    invoice_ids: list[str] = field(metadata=spec(pattern=ids.INVOICE_ID))
    items: list[OrderItem]
    payment_url: str = field(metadata=spec(description="VNPay's payment page"))
    qr_payload: str = field(metadata=spec(description="the VNPAY-QR (EMVCo) payload"))
    qr_png_url: str = field(metadata=spec(description="the same QR as a PNG image"))
    created_at: str = field(metadata=spec(format="date-time"))
    expires_at: str = field(metadata=spec(format="date-time"))
    paid_at: str | None = field(metadata=spec(format="date-time"))
    transaction_no: str | None = field(metadata=spec(description="VNPay's vnp_TransactionNo, once paid"))
    credit_amount: int = field(metadata=spec(description="VND of the payment kept as account credit"))
    payment_reference: str | None = field(
        metadata=spec(
            pattern=vietqr.REFERENCE_PATTERN,
            description="the description of a bank transfer paying this order instead of VNPay (null for an "
            "order whose id no reference carries)",
        )
    )
    vietqr_payload: str | None = field(
        metadata=spec(
            pattern=vietqr.PAYLOAD_PATTERN,
            description="the VietQR of that transfer (NAPAS 247, the order's amount); null once the order is "
            "settled, or VietQR is off",
        )
    )
