"""What every staff route shares: the caller must be staff, calling from the
device its token is bound to, with an app that is recent enough; each call
records the device's last position and time.

    ident = staff_identity(bp.current_request)

Headers: `X-Device-Imei` (required, the token's device), `X-App-Version`
(required, at least MIN_STAFF_APP_VERSION, else 426), `X-Geo: <lat>,<lng>`
(optional, decimal degrees). The identity returned carries the staff
member's branch as the account holds it now: a move to another branch takes
effect at once, not when the token expires."""

from __future__ import annotations

from dataclasses import replace

from chalicelib import deps
from chalicelib.api.common import identity
from chalicelib.domain.tokens import Identity
from chalicelib.errors import Forbidden, ValidationError


def staff_service():
    return deps.staff()


def _geo(raw: str | None) -> tuple[float | None, float | None]:
    if raw is None or not raw.strip():
        return None, None
    from chalicelib.services.staff import position

    lat, sep, lng = raw.partition(",")
    try:
        if not sep:
            raise ValueError(raw)
        return position(float(lat), float(lng))
    except (ValueError, OverflowError):
        raise ValidationError(
            "X-Geo must be '<latitude>,<longitude>' in decimal degrees",
            "Toạ độ GPS (X-Geo) không hợp lệ.",
            field="X-Geo",
        ) from None


def staff_identity(request) -> Identity:
    ident = identity(request)
    if ident.role != "staff" or not ident.device:
        raise Forbidden()
    headers = request.headers
    if (headers.get("x-device-imei") or "") != ident.device:
        raise Forbidden(
            "this request does not come from the device the session is bound to",
            "Yêu cầu không đến từ thiết bị đã đăng nhập. Vui lòng đăng nhập lại trên thiết bị này.",
            code="DEVICE_MISMATCH",
        )
    service = staff_service()
    version = service.check_app_version(headers.get("x-app-version"), "X-App-Version")
    lat, lng = _geo(headers.get("x-geo"))
    branch = service.touch(ident, version, lat, lng)
    return replace(ident, branch=branch or "")
