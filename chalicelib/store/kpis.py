"""The KPI reads in DynamoDB: Queries and BatchGetItem only, never a Scan
(the call count of one report: services/kpis.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from chalicelib.store.models import AccountModel, InvoiceModel, ReadingModel, RouteModel
from chalicelib.store.repositories import storage_errors

LOOKUP_THREADS = 8


class KpiStore:
    """DynamoDB access for the KPIs: Queries and BatchGetItem only."""

    @storage_errors
    def staff_accounts(self) -> list[AccountModel]:
        return list(AccountModel.by_role.query("staff"))

    def routes_and_readings(self, logins: list[str], period: str) -> tuple[list[RouteModel], set[str]]:
        """The period's routes of these staff, and the customers they read (any status)."""
        if not logins:
            return [], set()
        with ThreadPoolExecutor(max_workers=min(LOOKUP_THREADS, len(logins))) as pool:
            found = list(pool.map(lambda s: self._of_staff(s, period), logins))
        return [r for routes, _ in found for r in routes], {c for _, codes in found for c in codes}

    @storage_errors
    def _of_staff(self, staff: str, period: str) -> tuple[list[RouteModel], set[str]]:
        routes = list(RouteModel.by_staff.query(staff, RouteModel.period == period))
        read = {r.customer_code for r in ReadingModel.by_staff_period.query(f"{staff}#{period}")}
        return routes, read

    @storage_errors
    def invoices(self, ids: list[str]) -> dict[str, InvoiceModel]:
        """BatchGetItem, 100 keys a call (PynamoDB pages and retries unprocessed keys)."""
        ids = list(dict.fromkeys(ids))
        return {i.invoice_id: i for i in InvoiceModel.batch_get(ids)} if ids else {}
