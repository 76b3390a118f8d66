"""Paying by bank transfer with a VietQR (docs/vietqr.md): the transfer of an invoice, of a customer
code's open invoices, and of a payment order. The receiving account is configuration (VIETQR_*);
without it VietQR is off and only the payment reference is given. No Chalice, no boto3.

Money is not posted here: a transfer arrives as a bank notification or a statement line, and its
reference (domain/payment_reference.py, first in the QR's purpose) says what it pays."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain import banks, payment_reference, vietqr
from chalicelib.domain import invoices as invoice_rules
from chalicelib.domain.shapes import to_json
from chalicelib.domain.tokens import Identity
from chalicelib.errors import Conflict, Forbidden, NotFound
from chalicelib.ports.vietqr import OpenInvoices
from chalicelib.services.auth import customer_code
from chalicelib.services.shapes_vietqr import AccountTransferView, BankView, TransferView


def vietqr_off() -> NotFound:
    return NotFound(
        "bank transfer by VietQR is not offered",
        "Chưa có dịch vụ chuyển khoản bằng mã VietQR.",
        code="VIETQR_OFF",
    )


def not_payable(amount: int) -> Conflict:
    if amount <= 0:
        return Conflict("nothing is open to pay", "Không còn khoản nào phải thanh toán.", code="NOTHING_TO_PAY")
    return Conflict(
        "the amount is over what one NAPAS 247 transfer may carry (under 500 million VND)",
        "Số tiền vượt hạn mức một lần chuyển khoản nhanh NAPAS 247 (dưới 500 triệu đồng).",
        code="AMOUNT_OVER_TRANSFER_LIMIT",
    )


def _bill_number(value: str) -> str | None:
    """62/01 carries an id only when it fits whole (imported history ids may be longer)."""
    return value if 1 <= len(value) <= vietqr.BILL_MAX and value.isascii() and value.isprintable() else None


def transfer(
    settings: Settings, *, reference: str, amount: int, bill_number: str | None, images: str | None
) -> TransferView:
    """The transfer of `amount` VND with `reference`; `images` is the path its PNG/SVG hang under."""
    bank = banks.by_bin(settings.vietqr_bank_bin or "") if settings.vietqr_on else None
    if bank is None or not settings.vietqr_account_no:
        return TransferView(
            payment_reference=reference,
            amount=max(0, amount),
            vietqr_payload=None,
            purpose=None,
            bank=None,
            account_no=None,
            account_name=None,
            png_url=None,
            svg_url=None,
        )
    purpose = vietqr.purpose(reference)
    payable = 1 <= amount <= vietqr.AMOUNT_MAX
    payload = (
        vietqr.build(
            vietqr.Transfer(
                bank_bin=bank.bin,
                account_no=settings.vietqr_account_no,
                amount=amount,
                purpose=purpose,
                bill_number=bill_number,
            )
        )
        if payable
        else None
    )
    return TransferView(
        payment_reference=reference,
        amount=max(0, amount),
        vietqr_payload=payload,
        purpose=purpose,
        bank=BankView(bin=bank.bin, code=bank.code, short_name=bank.short_name, name=bank.name),
        account_no=settings.vietqr_account_no,
        account_name=settings.vietqr_account_name,
        png_url=f"{images}.png" if payload and images else None,
        svg_url=f"{images}.svg" if payload and images else None,
    )


def for_invoice(settings: Settings, invoice: Mapping[str, Any]) -> TransferView:
    """An invoice as domain.invoices.detail shows it: its open amount, its reference."""
    invoice_id = str(invoice["invoice_id"])
    return transfer(
        settings,
        reference=vietqr.invoice_reference(invoice_id, str(invoice["customer_code"]), str(invoice["period"])),
        amount=int(invoice.get("open_amount") or 0),
        bill_number=_bill_number(invoice_id),
        images=f"/v1/invoices/{invoice_id}/vietqr",
    )


def for_order(settings: Settings, order_id: str, amount: int, settled: bool) -> TransferView | None:
    """A payment order's amount by transfer instead of VNPay; no payload once the order is settled,
    and nothing for an order whose id a reference cannot carry (ids of before this code)."""
    try:
        reference = payment_reference.for_order(order_id)
    except ValueError:
        return None
    return transfer(
        settings,
        reference=reference,
        amount=0 if settled else amount,
        bill_number=_bill_number(order_id),
        images=None,
    )


class VietQrService:
    """The transfer of every open invoice of a linked customer code."""

    def __init__(self, *, settings: Settings, invoices: OpenInvoices) -> None:
        self.settings = settings
        self.invoices = invoices

    def for_account(self, identity: Identity, code: object) -> dict[str, Any]:
        view = self._account(identity, code)
        answer: dict[str, Any] = to_json(view)
        return answer

    def account_payload(self, identity: Identity, code: object) -> str:
        """The account's VietQR, for its image: 404 VIETQR_OFF, 409 when there is nothing to pay."""
        view = self._account(identity, code)
        if view.bank is None:
            raise vietqr_off()
        if view.vietqr_payload is None:
            raise not_payable(view.amount)
        return view.vietqr_payload

    def _account(self, identity: Identity, code: object) -> AccountTransferView:
        code = customer_code(code, "code")
        if not identity.owns(code):
            raise Forbidden(
                "this customer code is not linked to your account",
                "Mã khách hàng này chưa được liên kết với tài khoản của bạn.",
                code="CUSTOMER_NOT_LINKED",
            )
        open_now = [(i.invoice_id, invoice_rules.open_amount(i)) for i in self.invoices.open_invoices(code)]
        open_now = [(invoice_id, amount) for invoice_id, amount in open_now if amount > 0]
        base = transfer(
            self.settings,
            reference=payment_reference.for_account(code),
            amount=sum(amount for _, amount in open_now),
            bill_number=code,
            images=f"/v1/me/customers/{code}/vietqr",
        )
        return AccountTransferView(
            **{name: getattr(base, name) for name in TransferView.__dataclass_fields__},
            customer_code=code,
            invoice_ids=[invoice_id for invoice_id, _ in open_now],
        )
