"""Invoice read side: the demo invoice of seed 000, ordering, filters, pages, and ownership."""

from __future__ import annotations

import pytest

HISTORY = [
    ("2023-09", 100, 110, 60000, "paid"),
    ("2023-10", 110, 121, 66000, "paid"),
    ("2023-11", 121, 130, 54000, "unpaid"),
    ("2023-12", 130, 142, 72000, "unpaid"),
    ("2024-01", 142, 150, 48000, "unpaid"),
]


def test_demo_customer_sees_the_may_2023_invoice(api):
    token = api.login("01031059")["access_token"]
    r = api.get("/v1/customers/01031059/invoices?status=unpaid", token=token)
    assert r.status_code == 200
    [inv] = r.json["invoices"]
    assert (inv["period"], inv["old_index"], inv["new_index"], inv["consumption_m3"], inv["total"]) == (
        "2023-05",
        264,
        275,
        11,
        78255,
    )
    detail = api.get(f"/v1/invoices/{inv['invoice_id']}", token=token).json
    assert detail["amount_in_words"] == "Bảy mươi tám nghìn hai trăm năm mươi lăm đồng"
    assert detail["total_text"] == "78.255 đ"
    assert sum(line["amount"] for line in detail["lines"]) == detail["total"] == 78255
    assert detail["subtotal"] + detail["vat"] + detail["env_fee"] == 78255
    assert detail["customer_name"] == "Dương Tấn Hiền" and detail["due_date"] == "2023-06-15"
    assert all(isinstance(line["amount"], int) for line in detail["lines"])


def test_newest_first_and_status_filter(api, registered):
    customer, tokens = registered(invoices=HISTORY)
    token = tokens["access_token"]
    all_ = api.get(f"/v1/customers/{customer.code}/invoices", token=token).json["invoices"]
    assert [i["period"] for i in all_] == ["2024-01", "2023-12", "2023-11", "2023-10", "2023-09"]
    unpaid = api.get(f"/v1/customers/{customer.code}/invoices?status=unpaid", token=token).json["invoices"]
    assert [i["period"] for i in unpaid] == ["2024-01", "2023-12", "2023-11"]
    paid = api.get(f"/v1/customers/{customer.code}/invoices?status=paid", token=token).json["invoices"]
    assert [i["period"] for i in paid] == ["2023-10", "2023-09"] and {i["status"] for i in paid} == {"paid"}


@pytest.mark.parametrize("status", ["all", "unpaid"])
def test_cursor_pages_cover_everything_once(api, registered, status):
    customer, tokens = registered(invoices=HISTORY)
    seen, cursor = [], None
    for _ in range(10):
        q = f"/v1/customers/{customer.code}/invoices?status={status}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(q, token=tokens["access_token"]).json
        assert len(page["invoices"]) <= 2
        seen += [i["period"] for i in page["invoices"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    expected = [p for p, *_rest, st in HISTORY if status == "all" or st == status]
    assert seen == sorted(expected, reverse=True)


def test_bad_query_parameters_are_400(api, registered):
    customer, tokens = registered(invoices=HISTORY)
    base = f"/v1/customers/{customer.code}/invoices"
    for query, field in [
        ("?status=overdue", "status"),
        ("?limit=0", "limit"),
        ("?limit=51", "limit"),
        ("?limit=abc", "limit"),
        ("?cursor=!!!", "cursor"),
        ("?cursor=eyJ4IjoxfQ", "cursor"),
    ]:
        r = api.get(base + query, token=tokens["access_token"])
        assert r.status_code == 400 and r.json["field"] == field, query


def test_a_cursor_from_another_customer_is_refused(api, sms, registered, new_customer):
    a, a_tokens = registered(invoices=HISTORY)
    b, b_tokens = registered(invoices=HISTORY)
    cursor = api.get(f"/v1/customers/{a.code}/invoices?limit=2", token=a_tokens["access_token"]).json["next_cursor"]
    r = api.get(f"/v1/customers/{b.code}/invoices?limit=2&cursor={cursor}", token=b_tokens["access_token"])
    assert r.status_code == 400 and r.json["code"] == "INVALID_CURSOR"


def test_customer_a_cannot_read_customer_b(api, registered):
    _a, a_tokens = registered(invoices=HISTORY[:1])
    b, b_tokens = registered(invoices=HISTORY[:1])
    a_token = a_tokens["access_token"]
    b_invoice = api.get(f"/v1/customers/{b.code}/invoices", token=b_tokens["access_token"]).json["invoices"][0]
    r = api.get(f"/v1/customers/{b.code}/invoices", token=a_token)
    assert r.status_code == 403 and r.json["code"] == "CUSTOMER_NOT_LINKED"
    for status in ("paid", "unpaid", "all"):
        assert api.get(f"/v1/customers/{b.code}/invoices?status={status}", token=a_token).status_code == 403
    r = api.get(f"/v1/invoices/{b_invoice['invoice_id']}", token=a_token)
    # Answered exactly like an invoice that does not exist.
    missing = api.get("/v1/invoices/INV-00000000-000000", token=a_token)
    assert (r.status_code, r.json) == (missing.status_code, missing.json) == (404, missing.json)
    assert api.get("/v1/invoices/INV-01031059-202305", token=a_token).status_code == 404


def test_invoice_routes_need_a_token(api):
    assert api.get("/v1/customers/01031059/invoices", token="").status_code == 401
    assert api.get("/v1/invoices/INV-01031059-202305", token="").status_code == 401
    assert api.get("/v1/me", token="").status_code == 401


def test_odd_invoice_ids_are_not_found(api):
    token = api.login("01031059")["access_token"]
    for odd in ("x" * 65, "a%20b", "..%2F..", "INV-01031059-202305%00"):
        r = api.get(f"/v1/invoices/{odd}", token=token)
        assert r.status_code == 404, odd


def test_invoice_pdf_is_the_owners_and_reads_in_vietnamese(api, registered):
    import io

    from pypdf import PdfReader

    token = api.login("01031059")["access_token"]
    r = api.get("/v1/invoices/INV-01031059-202305/pdf", token=token, headers={"Accept": "application/pdf"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert r.body.startswith(b"%PDF") and "hoa-don-INV-01031059-202305.pdf" in r.headers["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.body)).pages)
    for expected in (
        "Dương Tấn Hiền",
        "01031059",
        "78.255",
        "Bảy mươi tám nghìn hai trăm năm mươi lăm đồng",
        "Quét mã để thanh toán",
    ):  # an unpaid bill carries a QR to pay it
        assert expected in text, expected
    _, other = registered()
    r = api.get(
        "/v1/invoices/INV-01031059-202305/pdf", token=other["access_token"], headers={"Accept": "application/pdf"}
    )
    assert r.status_code == 404 and r.json["code"] == "INVOICE_NOT_FOUND"
