"""Managers: the period's KPIs (reading and collection rates, outstanding
debt; seed 003's results table) and the audit trail of an entity. No Chalice,
no boto3: the store is handed in.

DynamoDB calls of one KPI report, never a Scan: one Query for the staff
(accounts.by_role = 'staff', paged), then per staff member one Query for its
routes of the period (routes.by_staff) and one for its readings
(readings.by_staff_period), a few staff at a time, then BatchGetItem of the
period's invoices by their deterministic ids 'INV-<code>-<YYYYMM>', 100 keys a
call. With S staff and C customers: 1 + 2·S + ⌈C / 100⌉ calls (plus any
retries of unprocessed keys), e.g. 23 staff and 63,410 customers: 681. The
period's service requests (issue 18) add one Query of tickets.by_period (paged)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from chalicelib.domain import kpis
from chalicelib.domain import tickets as ticket_rules
from chalicelib.domain.identifiers import AUDIT_ACTOR_RE, AUDIT_ENTITY_RE, PERIOD_RE
from chalicelib.domain.shapes import to_json
from chalicelib.errors import ValidationError
from chalicelib.ports.common import AuditItemRecord, AuditTrail
from chalicelib.ports.field import KpiReads
from chalicelib.ports.tickets import TicketKpiReads
from chalicelib.services.shapes_kpis import (
    AuditView,
    BranchRow,
    Change,
    Figures,
    Goals,
    Report,
    StaffRow,
    TicketKpis,
    TicketRow,
)

BRANCH_MAX = 100
AUDIT_LIMIT_DEFAULT = 50
AUDIT_LIMIT_MAX = 200


def _period(value: object) -> str:
    if not isinstance(value, str) or not PERIOD_RE.match(value) or not 2000 <= int(value[:4]) <= 2099:
        raise ValidationError(
            "period must be YYYY-MM (2000 to 2099)", "Kỳ báo cáo phải có dạng YYYY-MM.", field="period"
        )
    return value


def _day(value: object, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if not isinstance(value, str) or not value.isdigit() or not 1 <= int(value) <= 31:
        raise ValidationError(
            f"{name} must be a day of the month (1-31)",
            "Ngày kết thúc đợt thu phải là một ngày trong tháng (1-31).",
            field=name,
        )
    return int(value)


def _limit(value: object) -> int:
    if value is None or value == "":
        return AUDIT_LIMIT_DEFAULT
    if not isinstance(value, str) or not value.isdigit() or not 1 <= int(value) <= AUDIT_LIMIT_MAX:
        raise ValidationError(
            f"limit must be 1-{AUDIT_LIMIT_MAX}", f"limit phải từ 1 đến {AUDIT_LIMIT_MAX}.", field="limit"
        )
    return int(value)


def _json(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def _change(item: AuditItemRecord, *, entity: bool = False) -> Change:
    """One change of the trail as the answer shows it (`entity` too when the list is one person's)."""
    return Change(
        at=item.at.split("#", 1)[0],
        entity=item.entity if entity else None,
        actor=item.actor,
        action=item.action,
        before=_json(item.before),
        after=_json(item.after),
    )


def _answer(shown: Report | AuditView) -> dict[str, Any]:
    out: dict[str, Any] = to_json(shown)
    return out


class KpiService:
    def __init__(
        self,
        *,
        store: KpiReads,
        audit: AuditTrail,
        round1_day: int = kpis.ROUND1_ENDS_DAY,
        sweep_day: int = kpis.SWEEP_ENDS_DAY,
        tickets: TicketKpiReads | None = None,
    ) -> None:
        self.store = store
        self.audit = audit
        self.tickets = tickets
        self.round1_day = round1_day
        self.sweep_day = sweep_day

    # -- KPIs --------------------------------------------------------------

    def report(
        self, period: object, branch: object = None, round1_day: object = None, sweep_day: object = None
    ) -> dict[str, Any]:
        """The period's KPIs per staff member, per branch and for the company
        (definitions: chalicelib/domain/kpis.py). `branch` keeps the staff of
        that branch (and their customers on routes of that branch)."""
        period = _period(period)
        if branch is not None and (not isinstance(branch, str) or not 0 < len(branch.strip()) <= BRANCH_MAX):
            raise ValidationError("branch must be a branch name", "Tên chi nhánh không hợp lệ.", field="branch")
        branch = branch.strip() if branch else None
        r1 = _day(round1_day, "round1_day", self.round1_day)
        sw = _day(sweep_day, "sweep_day", self.sweep_day)
        if r1 > sw:
            raise ValidationError(
                "round1_day must not be after sweep_day",
                "Ngày kết thúc đợt 1 phải trước ngày kết thúc đợt thu vét.",
                field="round1_day",
            )
        cut = kpis.cutoffs(period, r1, sw)

        staff = [a for a in self.store.staff_accounts() if branch is None or a.branch == branch]
        info = {a.login: {"full_name": a.full_name, "branch": a.branch} for a in staff}
        routes, read = self.store.routes_and_readings(sorted(info), period)
        on_route: dict[str, tuple[str, str | None]] = {}
        for route in sorted(routes, key=lambda r: (r.staff, r.route_id)):
            route_branch = route.branch or info.get(route.staff, {}).get("branch")
            if branch is not None and route_branch != branch:
                continue
            for code in route.customer_codes:
                on_route.setdefault(code, (route.staff, route_branch))
        suffix = period.replace("-", "")
        invoices = self.store.invoices([f"INV-{code}-{suffix}" for code in on_route])
        facts = []
        for code, (login, route_branch) in on_route.items():
            found = invoices.get(f"INV-{code}-{suffix}")
            inv = found if found is not None and found.status != "cancelled" else None  # issued
            payments = list(inv.payments or []) if inv is not None else []
            facts.append(
                kpis.CustomerFact(
                    customer_code=code,
                    staff=login,
                    branch=route_branch,
                    read=code in read,
                    invoiced=inv is not None,
                    total=int(inv.total) if inv is not None else 0,
                    paid=inv is not None and inv.status == "paid",
                    paid_at=kpis.parse_instant(inv.paid_at) if inv is not None else None,
                    channel=(payments[-1].get("channel") if payments else None),
                )
            )
        table = kpis.compute(facts, cut, info)
        shown = Report(
            period=period,
            branch=branch,
            round1_ends=cut.round1_ends.isoformat(),
            sweep_ends=cut.sweep_ends.isoformat(),
            staff=[StaffRow(**row) for row in table["staff"]],
            branches=[BranchRow(**row) for row in table["branches"]],
            company=Figures(**table["company"]),
            goals=Goals(reading=kpis.READING_GOAL, collection=kpis.COLLECTION_GOAL),
            tickets=self._tickets(period, branch),
        )
        return _answer(shown)

    def _tickets(self, period: str, branch: str | None) -> TicketKpis | None:
        """The period's service requests by kind (one Query of the tickets' by_period index)."""
        if self.tickets is None:
            return None
        facts = [
            ticket_rules.TicketFact(
                type=t.type,
                status=t.status,
                due_at=int(t.due_at),
                closed_at=None if t.closed_at is None else int(t.closed_at),
                rating=None if t.rating is None else int(t.rating),
            )
            for t in self.tickets.of_period(period)
            if branch is None or t.branch == branch
        ]
        rows, total = ticket_rules.figures(facts, self.tickets.now(), self.tickets.type_order())
        return TicketKpis(by_type=[TicketRow(**vars(r)) for r in rows], total=TicketRow(**vars(total)))

    @staticmethod
    def csv(report: dict[str, Any]) -> str:
        """Starts with a BOM (U+FEFF: EF BB BF once sent as UTF-8, so Excel reads
        the Vietnamese names), CRLF lines: a header, one row per staff member,
        then the branches, then the company."""
        out = io.StringIO()
        out.write("\ufeff")
        csv.writer(out, lineterminator="\r\n").writerows(kpis.csv_rows(report))
        return out.getvalue()

    # -- audit trail -------------------------------------------------------

    def audit_trail(self, entity: object, limit: object = None, actor: object = None) -> dict[str, Any]:
        """An entity's changes, or one person's (`actor`, e.g. admin:hoa.nguyen),
        newest first (one Query): who, when, what, before/after as JSON values."""
        if entity is None and actor is not None:
            if not isinstance(actor, str) or not AUDIT_ACTOR_RE.fullmatch(actor):
                raise ValidationError(
                    "actor must look like admin:<username>", "Người thực hiện không hợp lệ.", field="actor"
                )
            entries = [_change(i, entity=True) for i in self.audit.by_actor(actor, _limit(limit))]
            return _answer(AuditView(actor=actor, entries=entries))
        if not isinstance(entity, str) or not AUDIT_ENTITY_RE.match(entity):
            raise ValidationError(
                "entity must be '<kind>#<id>', e.g. tariff#camau-city#household or route#RT-202405-ghithu01-a1b2c3",
                "Đối tượng cần tra cứu không hợp lệ (ví dụ: route#RT-...).",
                field="entity",
            )
        entries = [_change(i) for i in self.audit.for_entity(entity, _limit(limit))]
        return _answer(AuditView(entity=entity, entries=entries))
