"""The invoice PDF: milliseconds per document and its size.

Renders the demo invoice of seed 000 (05/2023, 11 m³, 78,255 VND) with a VNPay-
sized QR payload, in this process, after one untimed warm-up render (the first
one also pays for importing fpdf2 and Pillow; that is reported on its own).
`python -m bench.pdf --out /tmp/invoice.pdf` also writes the document."""

from __future__ import annotations

import argparse
import hashlib
import time

from bench.common import heading, median, p90, table

# A payment URL of the length VNPay's are (the QR carries the link to pay).
DEMO_QR = (
    "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?vnp_Amount=7825500&vnp_Command=pay"
    "&vnp_CreateDate=20230601090000&vnp_CurrCode=VND&vnp_IpAddr=127.0.0.1&vnp_Locale=vn"
    "&vnp_OrderInfo=Thanh+toan+hoa+don+INV-01031059-202305&vnp_OrderType=billpayment"
    "&vnp_ReturnUrl=https%3A%2F%2Fexample.invalid%2Fv1%2Fpayments%2Fvnpay%2Freturn"
    "&vnp_TmnCode=DEMO0001&vnp_TxnRef=INV-01031059-202305-1&vnp_Version=2.1.0"
    "&vnp_SecureHash=" + hashlib.sha512(b"bench-only, not a real signature").hexdigest()
)


def demo_seller() -> dict:
    from chalicelib.config import Settings

    return {
        "name": Settings.seller_name,
        "tax_code": Settings.seller_tax_code,
        "address": Settings.seller_address,
        "hotline": Settings.seller_hotline,
    }


def demo_invoice() -> dict:
    """What `chalicelib.domain.invoices.detail` gives for seed 000's invoice,
    with the e-invoice keys filled in."""
    from chalicelib.domain.words import amount_in_words

    return {
        "invoice_id": "INV-01031059-202305",
        "customer_code": "01031059",
        "customer_name": "Dương Tấn Hiền",
        "period": "2023-05",
        "old_index": 264,
        "new_index": 275,
        "consumption_m3": 11,
        "total": 78255,
        "total_text": "78.255 đ",
        "due_date": "2023-06-15",
        "status": "unpaid",
        "issued_on": "2023-06-01",
        "lines": [
            {"kind": "water", "description": "Tiền nước / Water 11 m³", "quantity": 11, "amount": 68048},
            {"kind": "vat", "description": "Thuế GTGT 5% / VAT 5%", "rate_percent": 5, "amount": 3402},
            {
                "kind": "env_fee",
                "description": "Phí BVMT nước thải 10% / Waste-water fee 10%",
                "rate_percent": 10,
                "amount": 6805,
            },
        ],
        "subtotal": 68048,
        "vat": 3402,
        "env_fee": 6805,
        "amount_in_words": amount_in_words(78255),
        "source": "imported",
        "tariff_ref": "legacy import (before QĐ 13/2023/QĐ-UBND)",
        "paid_at": None,
        "payments": [],
        "invoice_template": "1",
        "invoice_symbol": "C23TAA",
        "invoice_number": 123,
        "customer_address": "12 Phan Ngọc Hiển, Phường 5, TP Cà Mau, Cà Mau",
        "ledger_no": "CM0310590",
        "period_start": "2023-05-01",
        "period_end": "2023-05-31",
        "proration": [],
    }


def run(n: int = 30, out: str | None = None) -> dict:
    t0 = time.perf_counter()
    from chalicelib.documents.invoice_pdf import render_invoice_pdf

    invoice, seller = demo_invoice(), demo_seller()
    first = render_invoice_pdf(invoice, seller, DEMO_QR)
    first_s = time.perf_counter() - t0

    times, docs = [], []
    for _ in range(max(1, n)):
        start = time.perf_counter()
        doc = render_invoice_pdf(invoice, seller, DEMO_QR)
        times.append(time.perf_counter() - start)
        docs.append(doc)
    without_qr = render_invoice_pdf(invoice, seller)
    if out:
        with open(out, "wb") as f:
            f.write(first)

    result = {
        "renders": len(times),
        "median_ms": round(median(times) * 1000, 1),
        "p90_ms": round(p90(times) * 1000, 1),
        "first_render_ms": round(first_s * 1000, 1),  # imports of fpdf2/Pillow/qrcode included
        "size_kib": round(len(first) / 1024, 1),
        "size_kib_without_qr": round(len(without_qr) / 1024, 1),
        "deterministic": all(d == first for d in docs),
    }
    heading("Invoice PDF (demo invoice 05/2023, with QR)")
    print(
        table(
            ["measure", "value"],
            [
                ["renders", result["renders"]],
                ["median per PDF", f"{result['median_ms']} ms"],
                ["p90 per PDF", f"{result['p90_ms']} ms"],
                ["first render (with imports)", f"{result['first_render_ms']} ms"],
                ["size", f"{result['size_kib']} KiB"],
                ["size without QR", f"{result['size_kib_without_qr']} KiB"],
                ["same bytes every render", result["deterministic"]],
            ],
            right=(1,),
        )
    )
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.pdf", description=__doc__)
    parser.add_argument("-n", type=int, default=30, help="timed renders (default 30)")
    parser.add_argument("--out", help="also write the demo PDF here")
    args = parser.parse_args()
    run(n=args.n, out=args.out)
