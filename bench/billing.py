"""The tariff engine: invoices priced per second, in this process, with the
published tables (no storage). A plain month, a VAT-included table, and a
period across a tariff change (prorated)."""

from __future__ import annotations

import time
from datetime import date

from bench.common import heading, table

CASES = (
    ("Cà Mau household, 11 m³, one month", "camau-city#household", 11, date(2023, 6, 5), date(2023, 7, 5)),
    ("Cần Thơ household, VAT included, 10 m³", "cantho-urban#household", 10, date(2024, 2, 5), date(2024, 3, 5)),
    ("Cần Thơ across 2024-02-01, prorated, 30 m³", "cantho-urban#household", 30, date(2024, 1, 16), date(2024, 2, 15)),
)


def run(seconds_per_case: float = 1.0) -> dict:
    from chalicelib.domain.tariff import price
    from chalicelib.domain.tariff_tables import published_versions

    versions = published_versions()
    rows, result = [], {}
    for label, key, m3, start, end in CASES:
        chosen = [v for v in versions if v.key == key]
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds_per_case:
            for _ in range(100):
                bill = price(m3, start, end, chosen)
            count += 100
        rate = count / (time.perf_counter() - started)
        result[label] = {"invoices_per_s": round(rate), "total_vnd": bill.total}
        rows.append([label, f"{rate:,.0f}", f"{bill.total:,}"])
    heading("Tariff engine (in-process, no storage)")
    print(table(["case", "invoices/s", "total VND"], rows))
    return result


if __name__ == "__main__":
    run()
