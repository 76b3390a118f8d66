"""Viettel S-Invoice (SInvoice, api-vinvoice.viettel.vn) behind the e-invoice port.

Every field and where it comes from: docs/einvoice.md. The calls (under the base URL,
https://api-vinvoice.viettel.vn/services/einvoiceapplication/api in production):

    POST InvoiceAPI/InvoiceWS/createInvoice/{supplierTaxCode}
         JSON invoice -> {errorCode, description, result: {invoiceNo, transactionID, reservationCode, ...}}
    POST InvoiceAPI/InvoiceWS/searchInvoiceByTransactionUuid
         form supplierTaxCode, transactionUuid -> {errorCode, result: [{invoiceNo, reservationCode, issueDate}]}
    POST InvoiceAPI/InvoiceUtilsWS/getInvoiceRepresentationFile
         JSON {supplierTaxCode, templateCode, invoiceNo, fileType: "PDF"} -> {fileToBytes: base64, fileName}

Authentication: `auth="token"` logs in (POST {auth_url} {username, password} -> access_token,
expires_in) and sends the token as the `access_token` cookie and as a Bearer header, as the
public clients do; `auth="basic"` sends HTTP Basic, as Viettel's 2018 document describes.

Never two legal invoices: our invoice id is `transactionUuid`. When the create call may have
reached Viettel but its answer is lost (a read timeout, a broken connection, a 5xx, an answer
that is not JSON), the invoice is looked up by transactionUuid BEFORE anything is sent again;
only a look-up that finds nothing allows a resend. Settings come in through the constructor
(the wiring reads them from config and SSM); no password or token ever goes into a log or an
exception's text.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from chalicelib.domain.einvoice import EInvoiceRequest, Item, Reference
from chalicelib.observability import logger
from chalicelib.ports.einvoices import Issued, Pending, ProviderRejected, ProviderUnavailable

if TYPE_CHECKING:
    import requests

CREATE = "InvoiceAPI/InvoiceWS/createInvoice/{tax_code}"
SEARCH = "InvoiceAPI/InvoiceWS/searchInvoiceByTransactionUuid"
FILE = "InvoiceAPI/InvoiceUtilsWS/getInvoiceRepresentationFile"

# adjustmentType (as the Odoo module sends it): 1 an original invoice, 3 a replacing one,
# 5 an adjusting one. adjustmentInvoiceType: 1 an adjustment of money, 2 of information.
ORIGINAL, REPLACEMENT, ADJUSTMENT = "1", "3", "5"
# taxPercentage: a rate in percent, or -2 "not subject to VAT" (KCT), -1 "not declared".
NOT_SUBJECT = -2
# An answer saying the invoice does not exist (HTTP 400 {"message": "NOT_FOUND_DATA"}, or errorCode).
NOT_FOUND_CODES = frozenset({"NOT_FOUND_DATA"})


@dataclass(frozen=True)
class ViettelSettings:
    base_url: str  # ... /services/einvoiceapplication/api
    supplier_tax_code: str
    template_code: str  # e.g. '1/001' (mẫu số)
    invoice_series: str  # e.g. 'C26TAA' (ký hiệu)
    username: str
    password: str = field(repr=False)
    auth: str = "token"  # token | basic
    auth_url: str = ""  # default: {scheme}://{host}/auth/login of the base URL
    invoice_type: str = "1"  # 1: VAT invoice (hóa đơn GTGT) under Circular 78
    connect_timeout: float = 5.0
    read_timeout: float = 60.0  # Viettel recommends 60-90 s (Odoo's module, docs/einvoice.md)
    send_attempts: int = 2  # sends of one invoice in one call, a look-up between each
    payment_method_name: str = "TM/CK"  # cash or transfer: what the law allows when not yet known
    unit_name: str = "m3"
    meter_block: bool = False  # send the meter-reading block (its field names are unconfirmed)
    # Codes meaning "this transactionUuid was used already": answered by a look-up, not an error.
    duplicate_codes: frozenset[str] = frozenset({"TRANSACTION_UUID_INVALID"})

    def __post_init__(self) -> None:
        missing = [
            name
            for name in ("base_url", "supplier_tax_code", "template_code", "invoice_series", "username", "password")
            if not getattr(self, name)
        ]
        if missing:
            raise ValueError(f"Viettel S-Invoice settings missing: {', '.join(missing)}")
        if self.auth not in ("token", "basic"):
            raise ValueError("auth must be 'token' or 'basic'")


def epoch_ms(moment: datetime) -> int:
    """SInvoice's dates: milliseconds since the epoch, whole seconds (Odoo's module)."""
    return int(moment.timestamp()) * 1000


def _number(value: Fraction | None, places: int) -> float | None:
    """A quantity or unit price as a JSON number: `places` decimals at most (SInvoice's precision is
    unconfirmed: the amount, always whole, is what counts)."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP).normalize()
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def _tax(rate: int | None) -> int:
    return NOT_SUBJECT if rate is None else rate


def build_invoice(
    s: ViettelSettings,
    req: EInvoiceRequest,
    *,
    adjustment: str = ORIGINAL,
    original: Reference | None = None,
    money_adjustment: bool = True,
) -> dict[str, Any]:
    """The createInvoice body for `req` (pure: the request tests check it field by field)."""
    signed = adjustment == ADJUSTMENT  # an adjustment states increases and decreases apart
    general: dict[str, Any] = {
        "transactionUuid": req.invoice_id,
        "invoiceType": s.invoice_type,
        "templateCode": s.template_code,
        "invoiceSeries": s.invoice_series,
        "invoiceIssuedDate": epoch_ms(req.issued_at),
        "currencyCode": req.currency,
        "adjustmentType": adjustment,
        "paymentStatus": req.paid,
        "cusGetInvoiceRight": True,
    }
    if req.note:
        general["invoiceNote"] = req.note
    if original is not None:
        general.update(
            {
                "adjustmentInvoiceType": ("1" if money_adjustment else "2") if signed else "",
                "originalInvoiceId": original.number,
                "originalInvoiceIssueDate": epoch_ms(original.issued_at),
                "originalTemplateCode": original.template,
                "additionalReferenceDesc": original.agreement or original.reason,
                "additionalReferenceDate": epoch_ms(original.agreement_date or req.issued_at),
            }
        )
    buyer = {
        "buyerName": req.buyer.name,
        "buyerLegalName": req.buyer.name if req.buyer.tax_code else "",
        "buyerTaxCode": req.buyer.tax_code,
        "buyerAddressLine": req.buyer.address,
        "buyerCode": req.buyer.code,
        "buyerEmail": req.buyer.email,
        "buyerPhoneNumber": req.buyer.phone,
        "buyerCountryCode": "VN",
        "buyerNotGetInvoice": 0,
    }
    seller = {
        "sellerLegalName": req.seller.name,
        "sellerTaxCode": req.seller.tax_code,
        "sellerAddressLine": req.seller.address,
        "sellerPhoneNumber": req.seller.phone,
        "sellerEmail": req.seller.email,
        "sellerBankName": req.seller.bank_name,
        "sellerBankAccount": req.seller.bank_account,
        "sellerCountryCode": "VN",
    }
    body: dict[str, Any] = {
        "generalInvoiceInfo": general,
        "buyerInfo": buyer,
        "sellerInfo": seller,
        "payments": [{"paymentMethodName": s.payment_method_name}],
        "itemInfo": [_item(s, item, signed) for item in req.items],
        "taxBreakdowns": [
            {
                "taxPercentage": _tax(g.vat_percent),
                "taxableAmount": abs(g.taxable) if signed else g.taxable,
                "taxAmount": abs(g.vat) if signed else g.vat,
                **({"taxableAmountPos": g.taxable >= 0, "taxAmountPos": g.vat >= 0} if signed else {}),
            }
            for g in req.vat_groups
        ],
        "summarizeInfo": {
            "sumOfTotalLineAmountWithoutTax": abs(req.total_without_vat) if signed else req.total_without_vat,
            "totalAmountWithoutTax": abs(req.total_without_vat) if signed else req.total_without_vat,
            "totalTaxAmount": abs(req.total_vat) if signed else req.total_vat,
            "totalAmountWithTax": abs(req.total) if signed else req.total,
            "totalAmountWithTaxInWords": req.total_in_words,
            "discountAmount": 0,
            **(
                {
                    "isTotalAmountPos": req.total >= 0,
                    "isTotalTaxAmountPos": req.total_vat >= 0,
                    "isTotalAmtWithoutTaxPos": req.total_without_vat >= 0,
                }
                if signed
                else {}
            ),
        },
    }
    if req.meter is not None and s.meter_block:
        # Unconfirmed against Viettel's document (docs/einvoice.md): off unless configured.
        body["meterReading"] = [
            {
                "meterName": req.meter.meter_no,
                "previousIndex": req.meter.previous_index,
                "currentIndex": req.meter.current_index,
                "factor": req.meter.factor,
                "amount": req.meter.consumption_m3,
            }
        ]
    return body


def _item(s: ViettelSettings, item: Item, signed: bool) -> dict[str, Any]:
    amount, vat = (abs(item.amount), abs(item.vat)) if signed else (item.amount, item.vat)
    out: dict[str, Any] = {
        "lineNumber": item.line_no,
        "selection": 1,  # 1: goods or a service (2 a note line, 3 a discount)
        "itemCode": item.code,
        "itemName": item.name,
        "unitName": item.unit or ("" if item.kind == "fee" else s.unit_name),
        "unitPrice": _number(item.unit_price, 4),
        "quantity": _number(abs(item.quantity) if item.quantity is not None and signed else item.quantity, 4),
        "itemTotalAmountWithoutTax": amount,
        "itemTotalAmountAfterDiscount": amount,
        "itemTotalAmountWithTax": amount + vat,
        "taxPercentage": _tax(item.vat_percent),
        "taxAmount": vat,
        "discount": 0,
        "itemDiscount": 0,
    }
    if signed:
        out["isIncreaseItem"] = item.amount >= 0
        out["adjustmentTaxAmount"] = vat
    return out


class _Ambiguous(Exception):
    """The create call may have reached Viettel; only a look-up can tell."""


class ViettelSInvoice:
    """The port's implementation. `session` and `sleep` are replaceable in tests."""

    def __init__(
        self,
        settings: ViettelSettings,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.s = settings
        import requests  # deferred: importing the app (a cold start) stays light (tests/unit/test_cold_start.py)

        self.rq = requests
        self.http = session or requests.Session()
        self.sleep, self.now = sleep, now
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()
        base = settings.base_url.rstrip("/") + "/"
        self._base = base
        parts = urlsplit(base)
        self._auth_url = settings.auth_url or f"{parts.scheme}://{parts.netloc}/auth/login"

    # -- the port -----------------------------------------------------------------------

    def issue(self, invoice: EInvoiceRequest) -> Issued | Pending:
        return self._create(invoice, build_invoice(self.s, invoice))

    def adjust(self, original: Issued, request: EInvoiceRequest) -> Issued | Pending:
        self._check_correction(original, request)
        body = build_invoice(self.s, request, adjustment=ADJUSTMENT, original=_reference(original, request))
        return self._create(request, body)

    def replace(self, original: Issued, request: EInvoiceRequest) -> Issued | Pending:
        self._check_correction(original, request)
        body = build_invoice(self.s, request, adjustment=REPLACEMENT, original=_reference(original, request))
        return self._create(request, body)

    def find(self, invoice_id: str) -> Issued | None:
        try:
            resp = self.http.post(
                self._base + SEARCH,
                data={"supplierTaxCode": self.s.supplier_tax_code, "transactionUuid": invoice_id},
                headers={"Accept": "application/json", **self._auth_headers()},
                cookies=self._cookies(),
                auth=self._basic(),
                timeout=(self.s.connect_timeout, self.s.read_timeout),
            )
        except self.rq.RequestException as exc:
            raise ProviderUnavailable(f"S-Invoice look-up failed: {type(exc).__name__}") from None
        answer = self._json(resp)
        if resp.status_code >= 500 or resp.status_code == 429 or answer is None:
            self._forget_token_on(resp.status_code)
            raise ProviderUnavailable(f"S-Invoice look-up answered HTTP {resp.status_code}")
        code, message = _error(answer)
        if code in NOT_FOUND_CODES:
            return None
        if resp.status_code >= 400 or code:
            raise ProviderRejected(code or f"HTTP_{resp.status_code}", message or "look-up refused")
        for row in answer.get("result") or []:
            if isinstance(row, Mapping) and row.get("invoiceNo"):
                return self._issued(invoice_id, row)
        return None

    def document(self, issued: Issued) -> bytes:
        try:
            resp = self.http.post(
                self._base + FILE,
                json={
                    "supplierTaxCode": self.s.supplier_tax_code,
                    "templateCode": issued.template or self.s.template_code,
                    "invoiceNo": issued.number,
                    "fileType": "PDF",
                },
                headers={"Accept": "application/json", **self._auth_headers()},
                cookies=self._cookies(),
                auth=self._basic(),
                timeout=(self.s.connect_timeout, self.s.read_timeout),
            )
        except self.rq.RequestException as exc:
            raise ProviderUnavailable(f"S-Invoice file request failed: {type(exc).__name__}") from None
        answer = self._json(resp)
        if resp.status_code >= 500 or resp.status_code == 429 or answer is None:
            self._forget_token_on(resp.status_code)
            raise ProviderUnavailable(f"S-Invoice file request answered HTTP {resp.status_code}")
        code, message = _error(answer)
        if resp.status_code >= 400 or code:
            raise ProviderRejected(code or f"HTTP_{resp.status_code}", message or "file refused")
        encoded = answer.get("fileToBytes")
        if not encoded:
            # Right after issuing the file is sometimes not ready yet (Odoo's module retries).
            raise ProviderUnavailable("S-Invoice has no file for this invoice yet")
        try:
            pdf = base64.b64decode(encoded, validate=True)
        except (ValueError, TypeError):
            raise ProviderRejected("BAD_FILE", "fileToBytes is not base64") from None
        if not pdf.startswith(b"%PDF"):
            raise ProviderRejected("BAD_FILE", "the file is not a PDF")
        return pdf

    # -- creating, exactly once --------------------------------------------------------------

    def _create(self, request: EInvoiceRequest, body: dict[str, Any]) -> Issued | Pending:
        invoice_id = request.invoice_id
        url = self._base + CREATE.format(tax_code=quote(self.s.supplier_tax_code, safe=""))
        for attempt in range(1, max(1, self.s.send_attempts) + 1):
            try:
                return self._send_create(url, request, body)
            except _Ambiguous as why:
                logger.warning(
                    "einvoice answer lost; looking the invoice up before any resend",
                    extra={"invoice_id": invoice_id, "attempt": attempt, "why": str(why)},
                )
            found = self.find(invoice_id)  # ProviderUnavailable propagates: no resend blind
            if found is not None:
                return found
            if attempt < self.s.send_attempts:
                self.sleep(min(2.0, 0.5 * attempt))
        raise ProviderUnavailable("S-Invoice did not answer; the invoice is not there yet: try again later")

    def _send_create(self, url: str, request: EInvoiceRequest, body: dict[str, Any]) -> Issued | Pending:
        for relogin in (True, False):
            try:
                resp = self.http.post(
                    url,
                    json=body,
                    headers={"Accept": "application/json", **self._auth_headers()},
                    cookies=self._cookies(),
                    auth=self._basic(),
                    timeout=(self.s.connect_timeout, self.s.read_timeout),
                )
            except self.rq.ConnectTimeout:
                # Never connected: nothing reached Viettel, but a look-up costs little and keeps one rule.
                raise _Ambiguous("connect timeout") from None
            except self.rq.RequestException as exc:
                raise _Ambiguous(type(exc).__name__) from None
            if resp.status_code in (401, 403) and self.s.auth == "token" and relogin:
                self._token = None  # refused before it was processed: log in again and send again
                continue
            return self._answer(request, resp)
        raise ProviderRejected("AUTH", "S-Invoice refused the credentials")

    def _answer(self, request: EInvoiceRequest, resp: requests.Response) -> Issued | Pending:
        invoice_id = request.invoice_id
        answer = self._json(resp)
        if resp.status_code >= 500 or answer is None:
            self._forget_token_on(resp.status_code)
            raise _Ambiguous(f"HTTP {resp.status_code}")
        if resp.status_code == 429:
            raise ProviderUnavailable("S-Invoice is rate limiting: try again later")
        code, message = _error(answer)
        if code in self.s.duplicate_codes:
            found = self.find(invoice_id)
            if found is not None:
                return found
            return Pending(invoice_id)
        if resp.status_code in (401, 403):
            raise ProviderRejected("AUTH", "S-Invoice refused the credentials")
        if resp.status_code >= 400 or code:
            raise ProviderRejected(code or f"HTTP_{resp.status_code}", message or "invoice refused")
        result = answer.get("result")
        if not isinstance(result, Mapping) or not result.get("invoiceNo"):
            ref = str(result.get("transactionID") or "") if isinstance(result, Mapping) else ""
            return Pending(invoice_id, provider_ref=ref)
        # The answer carries no date: the invoice is dated as sent (invoiceIssuedDate).
        return self._issued(invoice_id, result, fallback=request.issued_at)

    def _issued(self, invoice_id: str, row: Mapping[str, Any], fallback: datetime | None = None) -> Issued:
        issued_ms = row.get("issueDate") or row.get("invoiceIssuedDate")
        issued_at = (
            datetime.fromtimestamp(int(issued_ms) / 1000, tz=UTC)
            if isinstance(issued_ms, int | float | str) and str(issued_ms).isdigit()
            else fallback
        )
        return Issued(
            invoice_id=invoice_id,
            number=str(row["invoiceNo"]),
            series=self.s.invoice_series,
            template=str(row.get("templateCode") or self.s.template_code),
            issued_at=issued_at,
            lookup_code=str(row.get("reservationCode") or ""),
            tax_authority_code=str(row.get("codeOfTax") or ""),
            provider_ref=str(row.get("transactionID") or ""),
        )

    def _check_correction(self, original: Issued, request: EInvoiceRequest) -> None:
        if request.invoice_id == original.invoice_id:
            raise ValueError("a correction has its own invoice id (the original's is its transactionUuid already)")

    # -- authentication -------------------------------------------------------------------

    def _basic(self) -> tuple[str, str] | None:
        return (self.s.username, self.s.password) if self.s.auth == "basic" else None

    def _cookies(self) -> dict[str, str] | None:
        return {"access_token": self._access_token()} if self.s.auth == "token" else None

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._access_token()}"} if self.s.auth == "token" else {}

    def _forget_token_on(self, status: int) -> None:
        # A stale token is reported as an HTTP 500 by some accounts (a public client's note): log in again next time.
        if status >= 500:
            self._token = None

    def _access_token(self) -> str:
        with self._token_lock:
            if self._token and self._token[1] > self.now():
                return self._token[0]
            try:
                resp = self.http.post(
                    self._auth_url,
                    json={"username": self.s.username, "password": self.s.password},
                    timeout=(self.s.connect_timeout, 30.0),
                )
            except self.rq.RequestException as exc:
                raise ProviderUnavailable(f"S-Invoice login failed: {type(exc).__name__}") from None
            answer = self._json(resp)
            token = answer.get("access_token") if answer else None
            if resp.status_code >= 500 or resp.status_code == 429:
                raise ProviderUnavailable(f"S-Invoice login answered HTTP {resp.status_code}")
            if not isinstance(token, str) or not token:
                raise ProviderRejected("AUTH", f"S-Invoice login refused (HTTP {resp.status_code})")
            try:
                lifetime = float(answer.get("expires_in") or 300) if answer else 300.0
            except (TypeError, ValueError):
                lifetime = 300.0
            self._token = (token, self.now() + max(30.0, lifetime - 60.0))
            return token

    @staticmethod
    def _json(resp: requests.Response) -> dict[str, Any] | None:
        try:
            answer = resp.json()
        except ValueError:
            return None
        return answer if isinstance(answer, dict) else None


def _reference(original: Issued, request: EInvoiceRequest) -> Reference:
    if original.issued_at is None:
        raise ValueError("the original invoice's issue date is needed to correct it")
    return Reference(
        number=original.number,
        series=original.series,
        template=original.template,
        issued_at=original.issued_at,
        reason=request.note,
    )


def _error(answer: Mapping[str, Any]) -> tuple[str, str]:
    """(code, message) of an answer, ('', '') for success. Viettel answers errors either with HTTP 200
    and errorCode/description, or with HTTP 4xx and {code, message, data}."""
    raw = answer.get("errorCode")
    if raw not in (None, "", 0, "0"):
        return str(raw), str(answer.get("description") or "")
    message = answer.get("message")
    if isinstance(message, str) and message and message.upper() == message and " " not in message:
        return message, str(answer.get("data") or answer.get("description") or "")
    if answer.get("code") not in (None, "", 0, 200, "200"):
        return str(answer.get("code")), str(answer.get("data") or message or "")
    return "", ""
