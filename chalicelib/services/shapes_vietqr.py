"""How to pay by bank transfer, as the API answers it, declared once (chalicelib/domain/shapes.py):
the transfer of an invoice (in its detail), of a customer code's open invoices
(GET /v1/me/customers/{code}/vietqr). services/vietqr.py builds them; the OpenAPI parts document
them from here."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain import identifiers as ids
from chalicelib.domain import vietqr
from chalicelib.domain.shapes import spec


@dataclass(frozen=True, kw_only=True)
class BankView:
    """The bank the utility's account is at (domain/banks.py)."""

    bin: str = field(metadata=spec(pattern=r"^\d{6}$", example="970436"))
    code: str = field(metadata=spec(pattern=r"^[A-Z]{2,10}$", example="VCB"))
    short_name: str = field(metadata=spec(example="Vietcombank"))
    name: str = field(metadata=spec(example="Ngân hàng TMCP Ngoại thương Việt Nam"))


@dataclass(frozen=True, kw_only=True)
class TransferView:
    """A bank transfer (NAPAS 247, VietQR) that pays what is open now. With VietQR off, only the
    reference and the amount are given."""

    payment_reference: str = field(
        metadata=spec(
            pattern=vietqr.REFERENCE_PATTERN,
            example="TH230501031059G",
            description="what the transfer's description must contain (it starts the VietQR's purpose)",
        )
    )
    amount: int = field(metadata=spec(min=0, description="VND open now; 0: nothing to pay"))
    vietqr_payload: str | None = field(
        metadata=spec(
            pattern=vietqr.PAYLOAD_PATTERN,
            description="the VietQR (EMVCo, NAPAS 247 transfer to the account); null: nothing to pay, an amount "
            "over NAPAS 247's limit (under 500 million VND), or VietQR is off",
        )
    )
    purpose: str | None = field(metadata=spec(max=vietqr.PURPOSE_MAX, description="the description the QR fills in"))
    bank: BankView | None = field(metadata=spec(description="null: VietQR is off"))
    account_no: str | None = field(metadata=spec(pattern=ids.BANK_ACCOUNT_NO, example="1012345678"))
    account_name: str | None = field(metadata=spec(max=25, example="CTY CP CAP NUOC CA MAU"))
    png_url: str | None = field(metadata=spec(description="the QR as a PNG (Accept: image/png)"))
    svg_url: str | None = field(metadata=spec(description="the QR as an SVG"))


@dataclass(frozen=True, kw_only=True)
class AccountTransferView(TransferView):
    """One transfer for every open invoice of a customer code: the reference names the account, and
    the money pays its open invoices oldest first (what is left stays as credit)."""

    customer_code: str = field(metadata=spec(pattern=ids.CUSTOMER_CODE, example="01031059"))
    invoice_ids: list[str] = field(metadata=spec(pattern=ids.INVOICE_ID, description="the open invoices, oldest first"))
