"""Demo data for the local stage: the customer of seed 000 and a neighbour.
Idempotent: items are created only where absent, so a second run changes
nothing (not even a demo invoice the developer has since paid)."""
from __future__ import annotations

import os
from urllib.parse import urlparse

from pynamodb.exceptions import PutError

from chalicelib.config import get_settings
from chalicelib.domain import passwords
from chalicelib.store.models import AccountModel, CustomerLinkModel, CustomerModel, InvoiceLine, InvoiceModel

DEFAULT_DEMO_PASSWORD = "cawaco-demo-2023"

CUSTOMERS = [
    dict(code="01031059", ledger_no="CM0310590", name="Dương Tấn Hiền", house_no="12",
         address="12 Phan Ngọc Hiển, Phường 5, TP Cà Mau, Cà Mau", phone="0912345601",
         customer_class="household", branch="TP Ca Mau", persons=4, payment_channel="cash",
         meter_serial="CM-2019-031059"),
    dict(code="01031060", ledger_no="CM0310600", name="Trần Thị Mai", house_no="14",
         address="14 Phan Ngọc Hiển, Phường 5, TP Cà Mau, Cà Mau", phone="0912345602",
         customer_class="household", branch="TP Ca Mau", persons=3, payment_channel="cash",
         meter_serial="CM-2020-031060"),
    # Has no account yet: the one to register with in a demo.
    dict(code="01031061", ledger_no="CM0310610", name="Lê Văn Nam", house_no="16A",
         address="16A Phan Ngọc Hiển, Phường 5, TP Cà Mau, Cà Mau", phone="0912345603",
         customer_class="household", branch="TP Ca Mau", persons=5, payment_channel="cash",
         meter_serial="CM-2021-031061"),
]

# Imported history (before QĐ 13/2023 took effect on 2023-06-01): the legacy
# system exported the water amount, VAT 5 % and environmental fee 10 % per
# invoice, without a per-tier breakdown. (code, period, old, new, water amount, status)
INVOICES = [
    ("01031059", "2023-02", 232, 243, 68048, "paid"),
    ("01031059", "2023-03", 243, 253, 61862, "paid"),
    ("01031059", "2023-04", 253, 264, 68048, "paid"),
    ("01031059", "2023-05", 264, 275, 68048, "unpaid"),   # seed 000: 11 m³, 78,255 VND
    ("01031060", "2023-05", 120, 134, 92400, "unpaid"),
]


def _due(period: str) -> tuple[str, str]:
    year, month = map(int, period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-15"


def invoice_item(code: str, period: str, old: int, new: int, water: int, status: str,
                 customer_name: str) -> InvoiceModel:
    vat = (water * 5 + 50) // 100        # 5 %, half up to whole VND
    fee = (water * 10 + 50) // 100       # 10 % of the pre-VAT water amount, outside VAT
    m3 = new - old
    issued_on, due = _due(period)
    invoice_id = f"INV-{code}-{period.replace('-', '')}"
    return InvoiceModel(
        invoice_id, customer_code=code, period=period, period_key=f"{period}#{invoice_id}",
        customer_status=f"{code}#{status}", status=status, customer_name=customer_name,
        old_index=old, new_index=new, consumption_m3=m3,
        lines=[InvoiceLine(kind="water", description=f"Tiền nước / Water {m3} m³", quantity=m3, amount=water),
               InvoiceLine(kind="vat", description="Thuế GTGT 5% / VAT 5%", rate_percent=5, amount=vat),
               InvoiceLine(kind="env_fee", description="Phí BVMT nước thải 10% / Waste-water fee 10%",
                           rate_percent=10, amount=fee)],
        subtotal=water, vat=vat, env_fee=fee, total=water + vat + fee, issued_on=issued_on, due_date=due,
        source="imported", tariff_ref="legacy import (before QĐ 13/2023/QĐ-UBND)",
        paid_at=f"{due}T09:00:00+07:00" if status == "paid" else None, payments=[])


def _create(item) -> bool:
    try:
        item.save(condition=type(item)._hash_key_attribute().does_not_exist())
        return True
    except PutError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            return False
        raise


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
        account = AccountModel(f"customer:{code}", role="customer", login=code,
                               password_hash=passwords.hash_password(password, n=s.scrypt_n),
                               customer_codes=[code], created_at=now, password_changed_at=now,
                               failed_logins=0, locked_until=0)
        if _create(account):
            counts["accounts"] += 1
            _create(CustomerLinkModel(code, account_id=account.account_id, linked_at=now))
    admin = AccountModel("admin:admin", role="admin", login="admin",
                         password_hash=passwords.hash_password(admin_password or password, n=s.scrypt_n),
                         customer_codes=[], created_at=now, password_changed_at=now, failed_logins=0,
                         locked_until=0)
    counts["accounts"] += _create(admin)
    from chalicelib import deps
    from chalicelib.domain.tariff_tables import published_versions
    counts["tariff_versions"] = deps.get("billing").load_published("system:seed", published_versions())
    return counts


if __name__ == "__main__":
    print("demo data:", load())
