"""The managers' KPIs through the handler, on a known data set: 3 staff in 2
branches (created through the admin API), their routes (admin API), readings
and invoices paid on different days by cash and VNPay (written directly).
Each test uses a period of its own, so other tests' staff have no routes in it."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import secrets

import pytest

from local.seed import invoice_item

PASSWORD = "Ghi-thu-2024!"
_years = itertools.count(2041)


def _staff(api, admin, branch: str, full_name: str) -> str:
    login = f"kpi.{secrets.token_hex(4)}"
    r = api.post(
        "/v1/admin/staff",
        {"username": login, "full_name": full_name, "branch": branch, "password": PASSWORD},
        token=admin,
    )
    assert r.status_code == 201, r.json
    return login


def _route(api, admin, staff: str, period: str, codes: list) -> str:
    r = api.post(
        "/v1/admin/routes",
        {"staff": staff, "period": period, "days": [1, 2, 3, 4, 5], "customer_codes": codes},
        token=admin,
    )
    assert r.status_code == 201, r.json
    return r.json["route_id"]


def _reading(staff: str, code: str, period: str, status: str = "billed") -> None:
    from chalicelib.store.models import ReadingModel

    ReadingModel(
        f"rd-{secrets.token_hex(8)}",
        staff=staff,
        customer_code=code,
        period=period,
        new_index=120,
        read_at=f"{period}-05T09:00:00+07:00",
        received_at=0,
        status=status,
        staff_period=f"{staff}#{period}",
    ).save()


def _invoice(
    code: str,
    period: str,
    water: int,
    paid_at: str | None = None,
    channel: str | None = None,
    status: str | None = None,
) -> None:
    """invoice_item: total = water + VAT 5 % + fee 10 % = water × 1.15."""
    item = invoice_item(code, period, 100, 111, water, status or ("paid" if paid_at else "unpaid"), "Khách Thử")
    item.paid_at = paid_at
    item.payments = [{"channel": channel, "amount": item.total, "paid_at": paid_at}] if paid_at else []
    item.save()


@pytest.fixture
def dataset(api, admin, new_customer):
    """Branch A: a1 (c1..c4), a2 (c5, c6); branch B: b1 (c7..c10). Mirrors tests/unit/test_kpis.py."""
    period = f"{next(_years)}-05"
    tag = secrets.token_hex(3)
    branch_a, branch_b = f"CNCN số 1 {tag}", f"CNCN An Bình {tag}"
    a1 = _staff(api, admin, branch_a, "Nguyễn Văn An")
    a2 = _staff(api, admin, branch_a, "Trần Thị Bình")
    b1 = _staff(api, admin, branch_b, "Lê Văn Cường")
    c = [None] + [new_customer().code for _ in range(10)]
    _route(api, admin, a1, period, c[1:5])
    _route(api, admin, a2, period, c[5:7])
    _route(api, admin, b1, period, c[7:11])
    y, m = period.split("-")
    # a1: c1..c3 read (billed, flagged, still queued), c4 not; c1 cash day 10, c2 VNPay 23:59:59 on day 15
    # (16:59:59Z), c3 VNPay 00:30 on day 16 (17:30Z on the 15th): after round 1, inside the sweep.
    for code, status in ((c[1], "billed"), (c[2], "flagged"), (c[3], "queued")):
        _reading(a1, code, period, status)
    _invoice(c[1], period, 100_000, f"{period}-10T10:00:00+07:00", "cash")  # 115,000
    _invoice(c[2], period, 40_000, f"{period}-15T16:59:59Z", "vnpay")  # 46,000
    _invoice(c[3], period, 60_000, f"{period}-15T17:30:00Z", "vnpay")  # 69,000
    # a2: c5 unpaid, c6 cash at the sweep (day 22, evening); c6 was read by a1
    _reading(a2, c[5], period)
    _reading(a1, c[6], period)
    _invoice(c[5], period, 50_000)  # 57,500
    _invoice(c[6], period, 20_000, f"{period}-22T18:00:00+07:00", "cash")  # 23,000
    # b1: all read (c10's reading rejected); c7 cash day 3, c8 cash day 23 (late), c9 unpaid, c10 cancelled
    for code in c[7:10]:
        _reading(b1, code, period)
    _reading(b1, c[10], period, "rejected")
    _invoice(c[7], period, 30_000, f"{period}-03T08:00:00+07:00", "cash")  # 34,500 each
    _invoice(c[8], period, 30_000, f"{period}-23T08:00:00+07:00", "cash")
    _invoice(c[9], period, 30_000)
    _invoice(c[10], period, 30_000, status="cancelled")
    # Another period of the same customers does not count.
    _invoice(c[4], f"{int(y) + 1}-{m}", 99_000)
    return dict(period=period, a=branch_a, b=branch_b, a1=a1, a2=a2, b1=b1, codes=c[1:])


def _figures(row: dict) -> tuple:
    return (
        row["customers"],
        row["readings"],
        row["reading_rate"],
        row["invoices"],
        row["billed"],
        row["paid_round1"],
        row["collection_rate_round1"],
        row["paid_after_sweep"],
        row["collection_rate_after_sweep"],
        row["outstanding"],
        row["outstanding_rate"],
    )


def test_the_known_data_set_gives_the_exact_figures(api, admin, dataset):
    d = dataset
    r = api.get(f"/v1/admin/kpis?period={d['period']}", token=admin)
    assert r.status_code == 200, r.json
    body = r.json
    y = d["period"][:4]
    assert (body["period"], body["branch"], body["round1_ends"], body["sweep_ends"]) == (
        d["period"],
        None,
        f"{y}-05-15",
        f"{y}-05-22",
    )
    assert body["goals"] == {"reading": 99, "collection": 95}
    staff = {row["staff"]: row for row in body["staff"]}
    assert [row["staff"] for row in body["staff"]] == [d["b1"]] + sorted([d["a1"], d["a2"]])  # "An Bình" < "số 1"
    assert _figures(staff[d["a1"]]) == (4, 3, 75.0, 3, 230_000, 2, 66.7, 3, 100.0, 0, 0.0)
    assert _figures(staff[d["a2"]]) == (2, 2, 100.0, 2, 80_500, 0, 0.0, 1, 50.0, 57_500, 71.4)
    assert _figures(staff[d["b1"]]) == (4, 4, 100.0, 3, 103_500, 1, 33.3, 1, 33.3, 34_500, 33.3)
    assert staff[d["a1"]]["full_name"] == "Nguyễn Văn An" and staff[d["a1"]]["branch"] == d["a"]
    assert staff[d["a1"]]["paid_by_channel"] == {"cash": 1, "vnpay": 2}
    assert staff[d["a1"]]["meets_reading_goal"] is False and staff[d["a1"]]["meets_collection_goal"] is True
    branches = {row["branch"]: row for row in body["branches"]}
    assert list(branches) == [d["b"], d["a"]]
    assert _figures(branches[d["a"]]) == (6, 5, 83.3, 5, 310_500, 2, 40.0, 4, 80.0, 57_500, 18.5)
    assert _figures(branches[d["b"]]) == _figures(staff[d["b1"]])
    assert _figures(body["company"]) == (10, 9, 90.0, 8, 414_000, 3, 37.5, 5, 62.5, 92_000, 22.2)
    assert body["company"]["paid_by_channel"] == {"cash": 4, "vnpay": 2}
    # The seed's other cut-offs (16 / 23): c3 joins round 1, c8 the sweep.
    r = api.get(f"/v1/admin/kpis?period={d['period']}&round1_day=16&sweep_day=23", token=admin)
    assert r.json["round1_ends"] == f"{y}-05-16"
    assert (r.json["company"]["collection_rate_round1"], r.json["company"]["collection_rate_after_sweep"]) == (
        50.0,
        75.0,
    )


def test_branch_filter(api, admin, dataset):
    d = dataset
    r = api.get(f"/v1/admin/kpis?period={d['period']}&branch={d['a']}", token=admin)
    assert r.status_code == 200, r.json
    assert r.json["branch"] == d["a"]
    assert sorted(row["staff"] for row in r.json["staff"]) == sorted([d["a1"], d["a2"]])
    assert [row["branch"] for row in r.json["branches"]] == [d["a"]]
    assert _figures(r.json["company"]) == (6, 5, 83.3, 5, 310_500, 2, 40.0, 4, 80.0, 57_500, 18.5)
    r = api.get(f"/v1/admin/kpis?period={d['period']}&branch=nowhere-{secrets.token_hex(3)}", token=admin)
    assert r.status_code == 200 and r.json["staff"] == [] and r.json["company"]["customers"] == 0
    assert r.json["company"]["reading_rate"] is None


def test_csv_for_excel(api, admin, dataset):
    d = dataset
    for path, headers in (
        (f"/v1/admin/kpis?period={d['period']}&format=csv", None),
        (f"/v1/admin/kpis?period={d['period']}", {"Accept": "text/csv"}),
    ):
        r = api.get(path, token=admin, headers=headers)
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert r.headers["Content-Disposition"] == f'attachment; filename="kpis-{d["period"]}.csv"'
        raw = r.body if isinstance(r.body, bytes) else r.body.encode("utf-8")
        assert raw.startswith(codecs.BOM_UTF8)
        rows = list(csv.reader(io.StringIO(raw[len(codecs.BOM_UTF8) :].decode("utf-8"), newline="")))
        header, data = rows[0], [dict(zip(rows[0], row)) for row in rows[1:]]
        assert header[:4] == ["level", "staff", "full_name", "branch"]
        assert [row["level"] for row in data] == ["staff"] * 3 + ["branch"] * 2 + ["company"]
        a1 = next(row for row in data if row["staff"] == d["a1"])
        assert (a1["full_name"], a1["branch"], a1["reading_rate"], a1["collection_rate_round1"]) == (
            "Nguyễn Văn An",
            d["a"],
            "75.0",
            "66.7",
        )
        assert (a1["paid_cash"], a1["paid_vnpay"]) == ("1", "2")
        company = data[-1]
        assert (
            company["customers"],
            company["billed"],
            company["collection_rate_round1"],
            company["collection_rate_after_sweep"],
            company["outstanding"],
            company["outstanding_rate"],
        ) == ("10", "414000", "37.5", "62.5", "92000", "22.2")
    # With a branch: the file says so.
    r = api.get(f"/v1/admin/kpis?period={d['period']}&format=csv&branch=X1", token=admin)
    assert r.headers["Content-Disposition"] == f'attachment; filename="kpis-{d["period"]}-X1.csv"'


def test_only_managers_and_bad_input(api, admin, registered):
    _, tokens = registered()
    period = f"{next(_years)}-05"
    assert api.get(f"/v1/admin/kpis?period={period}", token=tokens["access_token"]).status_code == 403
    login = f"kpi.{secrets.token_hex(4)}"
    assert (
        api.post(
            "/v1/admin/staff",
            {"username": login, "full_name": "Phạm Thu", "branch": "X", "password": PASSWORD},
            token=admin,
        ).status_code
        == 201
    )
    r = api.post(
        "/v1/staff/login",
        {"username": login, "password": PASSWORD, "device_imei": "356938035640001", "app_version": "1.2.0"},
        token="",
    )
    assert r.status_code == 200, r.json
    staff_headers = {"X-Device-Imei": "356938035640001", "X-App-Version": "1.2.0"}
    assert (
        api.get(f"/v1/admin/kpis?period={period}", token=r.json["access_token"], headers=staff_headers).status_code
        == 403
    )
    assert api.get(f"/v1/admin/kpis?period={period}", token="").status_code == 401
    for query, field in (
        ("", "period"),
        ("period=2024-13", "period"),
        ("period=05-2024", "period"),
        ("period=2024-5", "period"),
        (f"period={period}&format=xlsx", "format"),
        (f"period={period}&round1_day=0", "round1_day"),
        (f"period={period}&sweep_day=32", "sweep_day"),
        (f"period={period}&round1_day=23&sweep_day=22", "round1_day"),
    ):
        r = api.get(f"/v1/admin/kpis?{query}", token=admin)
        assert r.status_code == 400 and r.json["field"] == field, (query, r.json)


def test_dynamodb_calls_queries_and_batch_gets_never_a_scan(api, admin, dataset, new_customer, calls):
    from chalicelib.store.models import AccountModel

    d = dataset
    calls.clear()
    assert api.get(f"/v1/admin/kpis?period={d['period']}&branch={d['a']}", token=admin).status_code == 200
    # accounts.by_role, then routes + readings for each of the branch's 2 staff, then 1 BatchGetItem (6 ids);
    # and the period's tickets (issue 18: tickets.by_period, one Query)
    assert dict(calls) == {"Query": 1 + 2 * 2 + 1, "BatchGetItem": 1}, calls
    staff_count = sum(1 for _ in AccountModel.by_role.query("staff"))
    calls.clear()
    assert api.get(f"/v1/admin/kpis?period={d['period']}", token=admin).status_code == 200
    assert dict(calls) == {"Query": 1 + 2 * staff_count + 1, "BatchGetItem": 1}, calls
    # 120 customers on one route: the invoice ids go 100 a call.
    period = f"{next(_years)}-05"
    big = _staff(api, admin, f"big-{secrets.token_hex(3)}", "Võ Thị Lớn")
    codes = [new_customer().code for _ in range(120)]
    _route(api, admin, big, period, codes)
    _invoice(codes[0], period, 10_000, f"{period}-02T10:00:00+07:00", "cash")
    calls.clear()
    r = api.get(f"/v1/admin/kpis?period={period}", token=admin)
    assert r.status_code == 200
    assert calls["BatchGetItem"] == 2 and "Scan" not in calls, calls
    assert (r.json["company"]["customers"], r.json["company"]["invoices"], r.json["company"]["paid_round1"]) == (
        120,
        1,
        1,
    )
