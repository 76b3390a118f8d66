"""Managers keep the bill-pay partners (docs/partners.md, onboarding): create one, change it, disable it,
list them. Every change is audited (`partner#<id>`, before and after, in the transaction that makes it)
and made from the version read, so two managers' changes never overwrite each other silently. The secret
is never here: a partner names the SSM SecureString that holds it (under PARTNER_SECRET_PREFIX, the only
parameters the API may read), and the utility puts the secret there. No Chalice, no boto3."""

from __future__ import annotations

from typing import Any

from chalicelib.config import Settings
from chalicelib.domain import statements as bank_rules
from chalicelib.domain.identifiers import PARTNER_ID_RE
from chalicelib.domain.partner_signature import valid_cidr
from chalicelib.domain.shapes import parse, to_json
from chalicelib.domain.vntime import iso
from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.common import AuditEntries, Clock
from chalicelib.ports.partners import NewPartner, PartnerChanged, PartnerExists, PartnerRecord, Partners
from chalicelib.services.shapes_partners import CreatePartner, PartnerList, PartnerView, UpdatePartner


class PartnerAdminService:
    def __init__(self, *, settings: Settings, partners: Partners, clock: Clock, audit_entry: AuditEntries) -> None:
        self.s = settings
        self.partners = partners
        self.clock = clock
        self._audit_entry = audit_entry

    def list_partners(self) -> dict[str, Any]:
        return to_json(PartnerList(partners=[_shape(p) for p in self.partners.all()]))  # type: ignore[no-any-return]

    def create(self, actor: str, body: dict[str, Any]) -> dict[str, Any]:
        req = parse(CreatePartner, body)
        if req.partner_id in bank_rules.BANKS:
            # Its reconciliation differences would share the statement lines' keys with that bank's.
            raise ValidationError(
                f"{req.partner_id} is a bank code of the statement import: choose another partner_id",
                f"{req.partner_id} là mã ngân hàng của sao kê: hãy chọn mã đối tác khác.",
                field="partner_id",
            )
        self._check_param(req.secret_param)
        self._check_allowlist(req.ip_allowlist)
        now = self.clock.now()
        partner = NewPartner(
            req.partner_id,
            name=req.name.strip(),
            secret_param=req.secret_param,
            ip_allowlist=list(req.ip_allowlist),
            channels=list(req.channels),
            enabled=req.enabled,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        after = view(partner)
        try:
            self.partners.create(
                partner, self._audit_entry(f"partner#{req.partner_id}", actor, "partner.create", None, after, now)
            )
        except PartnerExists:
            raise Conflict(
                f"partner {req.partner_id} exists", f"Đối tác {req.partner_id} đã có.", code="PARTNER_EXISTS"
            ) from None
        logger.info("partner created", extra={"partner_id": req.partner_id, "actor": actor})
        return after

    def update(self, actor: str, partner_id: str, body: dict[str, Any]) -> dict[str, Any]:
        req = parse(UpdatePartner, body)
        changes: dict[str, Any] = {}
        if req.name is not None:
            changes["name"] = req.name.strip()
        if req.secret_param is not None:
            self._check_param(req.secret_param)
            changes["secret_param"] = req.secret_param
        if req.ip_allowlist is not None:
            self._check_allowlist(req.ip_allowlist)
            changes["ip_allowlist"] = list(req.ip_allowlist)
        if req.channels is not None:
            changes["channels"] = list(req.channels)
        if req.enabled is not None:
            changes["enabled"] = req.enabled
        if not changes:
            raise ValidationError(
                "give at least one of name, secret_param, ip_allowlist, channels, enabled",
                "Cần ít nhất một thay đổi.",
                field="name",
            )
        return self._change(actor, partner_id, req.version, changes, "partner.update")

    def disable(self, actor: str, partner_id: str) -> dict[str, Any]:
        """Its requests are refused from now on (401 PARTNER_DISABLED); its payments stay. Disabling a
        disabled partner changes nothing."""
        partner = self._get(partner_id)
        if not partner.enabled:
            return view(partner)
        return self._change(actor, partner_id, int(partner.version), {"enabled": False}, "partner.disable")

    def _change(
        self, actor: str, partner_id: str, version: int, changes: dict[str, Any], action: str
    ) -> dict[str, Any]:
        partner = self._get(partner_id)
        if int(partner.version) != version:
            raise _changed()
        now = self.clock.now()
        before = view(partner)
        after = dict(before, **changes, version=version + 1, updated_at=iso(now), updated_by=actor)
        try:
            self.partners.update(
                partner_id,
                dict(changes, updated_at=now, updated_by=actor),
                version,
                self._audit_entry(f"partner#{partner_id}", actor, action, before, after, now),
            )
        except PartnerChanged:
            raise _changed() from None
        logger.info("partner changed", extra={"partner_id": partner_id, "actor": actor, "fields": ",".join(changes)})
        return after

    def _get(self, partner_id: str) -> PartnerRecord:
        partner = self.partners.get(partner_id, consistent=True) if PARTNER_ID_RE.fullmatch(partner_id) else None
        if partner is None:
            raise NotFound("no such partner", "Không tìm thấy đối tác.", code="PARTNER_NOT_FOUND")
        return partner

    def _check_param(self, name: str) -> None:
        prefix = self.s.partner_secret_prefix
        if not name.startswith(prefix) or len(name) == len(prefix):
            raise ValidationError(
                f"secret_param must be an SSM parameter under {prefix} (the API may read no other)",
                f"secret_param phải là tham số SSM trong {prefix}.",
                field="secret_param",
            )

    @staticmethod
    def _check_allowlist(blocks: list[str]) -> None:
        for block in blocks:
            if not isinstance(block, str) or not valid_cidr(block):
                raise ValidationError(
                    f"ip_allowlist: {block!r} is not an IP address or CIDR block",
                    "ip_allowlist phải là địa chỉ IP hoặc dải CIDR.",
                    field="ip_allowlist",
                )


def view(p: PartnerRecord | NewPartner) -> dict[str, Any]:
    return to_json(_shape(p))  # type: ignore[no-any-return]


def _shape(p: PartnerRecord | NewPartner) -> PartnerView:
    return PartnerView(
        partner_id=p.partner_id,
        name=p.name,
        secret_param=p.secret_param,
        ip_allowlist=list(p.ip_allowlist or ()),
        channels=list(p.channels or ()),
        enabled=bool(p.enabled),
        version=int(p.version),
        created_at=iso(p.created_at),
        created_by=p.created_by,
        updated_at=iso(p.updated_at),
        updated_by=p.updated_by,
    )


def _changed() -> Conflict:
    return Conflict(
        "the partner changed since it was read: read it again",
        "Đối tác vừa được thay đổi: hãy tải lại.",
        code="PARTNER_CHANGED",
    )
