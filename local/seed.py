"""Demo data for the local stage: the customer of seed 000 and a neighbour,
and (seed 003) field worker `ghithu01` with today's read-and-collect route.
Idempotent: items are created only where absent, so a second run changes
nothing (not even a demo invoice the developer has since paid). The invoices
reach the customer accounts through the ledger migration (charges, and the
paid history as payments), which writes nothing the second time."""

from __future__ import annotations

import os
from datetime import date, datetime
from urllib.parse import urlparse

from pynamodb.exceptions import PutError

from chalicelib.config import get_settings
from chalicelib.domain import passwords
from chalicelib.store.models import (
    AccountModel,
    CustomerLinkModel,
    CustomerModel,
    InvoiceLine,
    InvoiceModel,
    RouteModel,
)

DEFAULT_DEMO_PASSWORD = "cawaco-demo-2023"

CUSTOMERS = [
    dict(
        code="01031059",
        ledger_no="CM0310590",
        name="Dương Tấn Hiền",
        house_no="12",
        address="12 Phan Ngọc Hiển, Phường 5, TP Cà Mau, Cà Mau",
        phone="0912345601",
        customer_class="household",
        branch="TP Ca Mau",
        persons=4,
        payment_channel="cash",
        meter_serial="CM-2019-031059",
    ),
    dict(
        code="01031060",
        ledger_no="CM0310600",
        name="Trần Thị Mai",
        house_no="14",
        address="14 Phan Ngọc Hiển, Phường 5, TP Cà Mau, Cà Mau",
        phone="0912345602",
        customer_class="household",
        branch="TP Ca Mau",
        persons=3,
        payment_channel="cash",
        meter_serial="CM-2020-031060",
    ),
    # Has no account yet: the one to register with in a demo.
    dict(
        code="01031061",
        ledger_no="CM0310610",
        name="Lê Văn Nam",
        house_no="16A",
        address="16A Phan Ngọc Hiển, Phường 5, TP Cà Mau, Cà Mau",
        phone="0912345603",
        customer_class="household",
        branch="TP Ca Mau",
        persons=5,
        payment_channel="cash",
        meter_serial="CM-2021-031061",
    ),
]

# Imported history (before QĐ 13/2023 took effect on 2023-06-01): the legacy
# system exported the water amount, VAT 5 % and environmental fee 10 % per
# invoice, without a per-tier breakdown. (code, period, old, new, water amount, status)
INVOICES = [
    ("01031059", "2023-02", 232, 243, 68048, "paid"),
    ("01031059", "2023-03", 243, 253, 61862, "paid"),
    ("01031059", "2023-04", 253, 264, 68048, "paid"),
    ("01031059", "2023-05", 264, 275, 68048, "unpaid"),  # seed 000: 11 m³, 78,255 VND
    ("01031060", "2023-05", 120, 134, 92400, "unpaid"),
]


# Seed 003: the field worker's route, in visiting order. Each has 2-3 months of
# imported history just before the period it is seeded in (the last month's
# new index is the customer's old index now): (customer fields, m³ per month
# oldest first, the last month unpaid?).
STAFF = dict(login="ghithu01", full_name="Nguyễn Văn Ghi", branch="TP Ca Mau")
_STREET = "Phường 7, TP Cà Mau, Cà Mau"
ROUTE_CUSTOMERS = [
    (
        dict(code="01031070", name="Nguyễn Văn An", house_no="3", address=f"3 Lý Thường Kiệt, {_STREET}"),
        (11, 12, 10),
        False,
    ),
    (
        dict(code="01031071", name="Trần Thị Bích", house_no="5", address=f"5 Lý Thường Kiệt, {_STREET}"),
        (8, 9, 9),
        False,
    ),
    (
        dict(
            code="01031072",
            name="Lê Hoàng Cường",
            house_no="7",
            address=f"7 Lý Thường Kiệt, {_STREET}",
            payment_channel="bank_transfer",
        ),
        (14, 15, 13),
        False,
    ),
    (
        dict(
            code="01031073",
            name="Phạm Thị Dung",
            house_no="9",
            address=f"9 Lý Thường Kiệt, {_STREET}",
            payment_channel="authorised_debit",
        ),
        (10, 11, 12),
        False,
    ),
    # A café: 30-32 m³ a month, so a low reading is suspicious.
    (
        dict(
            code="01031074",
            name="Võ Minh Đức",
            house_no="11",
            address=f"11 Lý Thường Kiệt, {_STREET}",
            customer_class="business",
            business_type="Quán cà phê",
            meter_size="DN20",
        ),
        (30, 32, 31),
        False,
    ),
    (dict(code="01031075", name="Huỳnh Thị Em", house_no="13", address=f"13 Lý Thường Kiệt, {_STREET}"), (6, 7), False),
    (
        dict(
            code="01031076",
            name="Đặng Văn Phúc",
            house_no="2",
            address=f"2 Nguyễn Trãi, {_STREET}",
            customer_class="poor_household",
        ),
        (5, 6, 5),
        False,
    ),
    (
        dict(code="01031077", name="Bùi Thị Giang", house_no="4", address=f"4 Nguyễn Trãi, {_STREET}"),
        (17, 18, 16),
        False,
    ),
    # Owes last month's bill: the worker sees the unpaid amount.
    (dict(code="01031078", name="Ngô Văn Hải", house_no="6", address=f"6 Nguyễn Trãi, {_STREET}"), (9, 10, 11), True),
    # A 4-digit meter close to rolling over (9999 -> 0000).
    (
        dict(code="01031079", name="Dương Thị Kim", house_no="8", address=f"8 Nguyễn Trãi, {_STREET}", meter_digits=4),
        (12, 13, 12),
        False,
    ),
    (
        dict(code="01031080", name="Lý Văn Long", house_no="10", address=f"10 Nguyễn Trãi, {_STREET}"),
        (20, 21, 19),
        False,
    ),
    (
        dict(code="01031081", name="Tạ Thị Mỹ", house_no="12", address=f"12 Nguyễn Trãi, {_STREET}", persons=2),
        (4, 5),
        False,
    ),
]
_LAST_INDEX = {"01031079": 9986}  # otherwise 100 + 37 × the position on the route, plus the history
_PRICE = {"household": 6186, "poor_household": 4500, "business": 11000}  # legacy VND per m³ (imported)


def _months_before(period: str, n: int) -> str:
    year, month = map(int, period.split("-"))
    index = year * 12 + month - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _vn_today() -> date:
    from chalicelib.adapters.clock import VN_TZ

    return datetime.now(VN_TZ).date()


def _load_field_route(password: str, counts: dict, now: int) -> None:
    s = get_settings()
    today = _vn_today()
    period = today.strftime("%Y-%m")
    staff = AccountModel(
        f"staff:{STAFF['login']}",
        role="staff",
        login=STAFF["login"],
        password_hash=passwords.hash_password(password, n=s.scrypt_n),
        customer_codes=[],
        created_at=now,
        password_changed_at=now,
        failed_logins=0,
        locked_until=0,
        full_name=STAFF["full_name"],
        branch=STAFF["branch"],
    )  # no device bound yet
    counts["accounts"] += _create(staff)
    for position, (fields, history, last_unpaid) in enumerate(ROUTE_CUSTOMERS, start=1):
        code = fields["code"]
        n = int(code[-2:])
        months = [_months_before(period, len(history) - i) for i in range(len(history))]
        last_index = _LAST_INDEX.get(code, 100 + 37 * position + sum(history))
        last_read = _months_before(period, 1)
        customer = CustomerModel(
            **{
                "ledger_no": f"CM0{code[3:]}0",
                "phone": f"09123457{n:02d}",
                "branch": STAFF["branch"],
                "customer_class": "household",
                "persons": 4,
                "payment_channel": "cash",
                "meter_serial": f"CM-2022-{code[2:]}",
                "meter_size": "DN15",
                "meter_digits": 5,
                **fields,
                "last_index": last_index,
                "last_read_on": f"{last_read}-{min(today.day, 28):02d}",
            }
        )
        if not _create(customer):
            continue  # seeded before (maybe another month): its history stays as it was
        counts["customers"] += 1
        new = last_index
        for i in range(len(history) - 1, -1, -1):
            old = new - history[i]
            status = "unpaid" if last_unpaid and i == len(history) - 1 else "paid"
            invoice = invoice_item(
                code, months[i], old, new, history[i] * _PRICE[customer.customer_class], status, customer.name
            )
            invoice.tariff_ref = "legacy import"
            counts["invoices"] += _create(invoice)
            new = old
    # Today's route: this period, every day of it (so the demo works whichever
    # day `make run` is started); left alone if it exists.
    last_day = (date(today.year + today.month // 12, today.month % 12 + 1, 1) - date.resolution).day
    route = RouteModel(
        f"RT-{period.replace('-', '')}-{STAFF['login']}",
        staff=STAFF["login"],
        period=period,
        branch=STAFF["branch"],
        days=list(range(1, last_day + 1)),
        customer_codes=[f["code"] for f, _, _ in ROUTE_CUSTOMERS],
        updated_at=now,
        updated_by="system:seed",
    )
    counts["routes"] = int(_create(route))
    from chalicelib.store.staff import StaffStore

    StaffStore().write_stops(route, [])  # issue 18: when each customer's meter is read (self-reading's window)


def _due(period: str) -> tuple[str, str]:
    year, month = map(int, period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-15"


def invoice_item(
    code: str, period: str, old: int, new: int, water: int, status: str, customer_name: str
) -> InvoiceModel:
    vat = (water * 5 + 50) // 100  # 5 %, half up to whole VND
    fee = (water * 10 + 50) // 100  # 10 % of the pre-VAT water amount, outside VAT
    m3 = new - old
    issued_on, due = _due(period)
    invoice_id = f"INV-{code}-{period.replace('-', '')}"
    return InvoiceModel(
        invoice_id,
        customer_code=code,
        period=period,
        period_key=f"{period}#{invoice_id}",
        customer_status=f"{code}#{status}",
        status=status,
        customer_name=customer_name,
        old_index=old,
        new_index=new,
        consumption_m3=m3,
        lines=[
            InvoiceLine(kind="water", description=f"Tiền nước / Water {m3} m³", quantity=m3, amount=water),
            InvoiceLine(kind="vat", description="Thuế GTGT 5% / VAT 5%", rate_percent=5, amount=vat),
            InvoiceLine(
                kind="env_fee", description="Phí BVMT nước thải 10% / Waste-water fee 10%", rate_percent=10, amount=fee
            ),
        ],
        subtotal=water,
        vat=vat,
        env_fee=fee,
        total=water + vat + fee,
        issued_on=issued_on,
        due_date=due,
        source="imported",
        tariff_ref="legacy import (before QĐ 13/2023/QĐ-UBND)",
        paid_at=f"{due}T09:00:00+07:00" if status == "paid" else None,
        payments=[],
    )


def _create(item) -> bool:
    try:
        item.save(condition=type(item)._hash_key_attribute().does_not_exist())
        return True
    except PutError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            return False
        raise


DEMO_PARTNER = "DEMOBANK"


def _load_demo_partner(now: int) -> int:
    """The demo bill-pay partner (docs/partners.md; `python -m local.partner_client` plays it). Its secret,
    $PARTNER_DEMO_SECRET or the documented default, goes to (moto's) SSM at every start, where a deployed
    stage keeps each partner's: the code reads it the same way, and a changed value takes effect."""
    from chalicelib.adapters.parameters import SsmParameters
    from chalicelib.store.models import PartnerModel

    s = get_settings()
    param = f"{s.partner_secret_prefix}{DEMO_PARTNER}"
    SsmParameters().put(param, s.partner_demo_secret or "")
    partner = PartnerModel(
        DEMO_PARTNER,
        name="Ngân hàng Demo (thu hộ tiền nước)",
        secret_param=param,
        ip_allowlist=[],
        channels=["bank_app", "wallet", "counter"],
        enabled=True,
        version=1,
        created_at=now,
        created_by="system:seed",
        updated_at=now,
        updated_by="system:seed",
    )
    return int(_create(partner))


def _refuse_unless_local() -> None:
    s = get_settings()
    host = urlparse(s.dynamodb_endpoint or "").hostname
    if s.stage not in ("local", "test") or host not in ("127.0.0.1", "localhost"):
        raise SystemExit("demo data is for the local stage on local engines only")


def load(demo_password: str | None = None, admin_password: str | None = None) -> dict:
    _refuse_unless_local()
    s = get_settings()
    password = demo_password or os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    counts = {"customers": 0, "invoices": 0, "accounts": 0}
    names = {}
    for c in CUSTOMERS:
        names[c["code"]] = c["name"]
        counts["customers"] += _create(CustomerModel(**c))
    for code, period, old, new, water, status in INVOICES:
        counts["invoices"] += _create(invoice_item(code, period, old, new, water, status, names[code]))
    now = 1685577600  # 2023-06-01, a fixed instant keeps the items identical between runs
    for code in ("01031059", "01031060"):
        account = AccountModel(
            f"customer:{code}",
            role="customer",
            login=code,
            password_hash=passwords.hash_password(password, n=s.scrypt_n),
            customer_codes=[code],
            created_at=now,
            password_changed_at=now,
            failed_logins=0,
            locked_until=0,
        )
        if _create(account):
            counts["accounts"] += 1
            _create(CustomerLinkModel(code, account_id=account.account_id, linked_at=now))
    admin = AccountModel(
        "admin:admin",
        role="admin",
        login="admin",
        password_hash=passwords.hash_password(admin_password or password, n=s.scrypt_n),
        customer_codes=[],
        created_at=now,
        password_changed_at=now,
        failed_logins=0,
        locked_until=0,
    )
    counts["accounts"] += _create(admin)
    _load_field_route(password, counts, now)
    counts["partners"] = _load_demo_partner(now)
    from chalicelib import deps
    from chalicelib.domain.tariff_tables import published_versions

    counts["tariff_versions"] = deps.billing().load_published("system:seed", published_versions())
    # The customer accounts: the invoices above become charges and their paid history payments (the
    # ledger migration, which also brings in whatever this local stage recorded before the ledger).
    # A second run writes nothing.
    counts["ledger_accounts"] = deps.ledger_migration().run()["accounts_migrated"]
    return counts


if __name__ == "__main__":
    print("demo data:", load())
