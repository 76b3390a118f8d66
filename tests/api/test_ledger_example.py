"""The README's worked example of the customer account, end to end through
the handlers: a 100,000 VND bank transfer for the 78,255 VND bill of 05/2023
leaves 21,745 VND of credit, and the next bill (06/2023, 11 m³) takes it."""

from __future__ import annotations

from tests.api.ledger_assert import assert_sound


def test_a_round_transfer_pays_the_bill_and_the_rest_pays_part_of_the_next_one(api, admin, new_customer):
    customer = new_customer(invoices=[("2023-05", 264, 275, 68048, "unpaid")])  # seed 000's bill
    code = customer.code
    may = api.get(f"/v1/admin/customers/{code}/account", token=admin).json
    assert may["balance"] == 78255

    statement = (
        "Ngày giao dịch;Số tham chiếu;Số tiền ghi có;Mô tả\n"
        f"20/06/2023;FT23171EXAMPLE{code};100.000;CHUYEN TIEN NUOC KH {code}\n"
    )
    r = api.call(
        "POST",
        "/v1/admin/imports/bank-statements?bank=VCB",
        raw=statement.encode(),
        token=admin,
        headers={"Content-Type": "text/csv; charset=utf-8"},
    )
    assert r.status_code == 201 and r.json["matched"] == 1, r.json
    [line] = r.json["results"]
    assert (line["allocated"], line["credited"]) == (78255, 21745)

    r = api.post(
        "/v1/admin/invoices",
        {
            "customer_code": code,
            "period": "2023-06",
            "old_index": 275,
            "new_index": 286,
            "read_on": "2023-06-30",
            "previous_read_on": "2023-05-31",
        },
        token=admin,
    )
    assert r.status_code == 201, r.json
    june = r.json
    assert june["total"] == 77568  # the README's tariff example: 11 m³, QĐ 13/2023
    assert (june["paid_amount"], june["open_amount"]) == (21745, 77568 - 21745)
    assert any(p["channel"] == "credit" and p["amount"] == 21745 for p in june["payments"])

    account = api.get(f"/v1/admin/customers/{code}/account", token=admin).json
    assert account["credit"] == 0 and account["balance"] == 55823
    kinds = [(e["kind"], e["amount"], e["balance"]) for e in account["entries"] if e["kind"] != "opening"]
    assert ("payment", 100000, 78255 - 100000) in kinds
    assert kinds[-1][2] == 55823
    assert_sound(code)
