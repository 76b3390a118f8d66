"""OpenAPI paths of the staff blueprint (api/staff.py): staff login, today's routes; staff accounts, devices
and routes for managers."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import (
    CODE,
    DATE,
    DATETIME,
    INT,
    INVOICE_ID,
    NDATETIME,
    NINT,
    NNUM,
    NSTR,
    PERIOD,
    STR,
    USERNAME,
    array,
    obj,
    op,
    path_param,
    pattern,
    staff_op,
    tokens,
)
from chalicelib.domain import identifiers as ids

_CODES = array(
    pattern(ids.CUSTOMER_CODE),
    minItems=1,
    maxItems=3000,
    uniqueItems=True,
    description="customer codes in visiting order, each once",
)
_DAYS = array(
    {"type": "integer", "minimum": 1, "maximum": 31}, minItems=1, description="days of the month the route is walked"
)
_NAME = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"\S"}
_ROUTE_PROPS = dict(
    route_id=pattern(ids.ROUTE_ID),
    staff=STR,
    period=PERIOD,
    branch=NSTR,
    days=_DAYS,
    customer_codes=array(CODE),
    customer_count=INT,
)
ROUTE = obj(list(_ROUTE_PROPS), **_ROUTE_PROPS)
CUSTOMER_CARD = obj(
    [
        "order",
        "customer_code",
        "ledger_no",
        "name",
        "address",
        "phone",
        "meter",
        "customer_class",
        "payment_channel",
        "old_index",
        "recent_consumption",
        "unpaid_amount",
        "unpaid_invoices",
    ],
    order=INT,
    customer_code=CODE,
    ledger_no=STR,
    name=STR,
    address=STR,
    house_no=NSTR,
    phone=NSTR,
    customer_class=STR,
    business_type=NSTR,
    payment_channel={"type": "string", "enum": ["cash", "bank_transfer", "authorised_debit"]},
    meter=obj(["serial", "size", "digits"], serial=NSTR, size=NSTR, digits=INT, replaced_on=NSTR, start_index=NINT),
    old_index=NINT,
    last_read_on=NSTR,
    recent_consumption=array(
        obj(["period", "consumption_m3"], period=PERIOD, consumption_m3=INT), description="newest first, up to 3"
    ),
    unpaid_amount={"type": "integer", "description": "VND, sum of the unpaid invoices"},
    unpaid_invoices=array(
        obj(["invoice_id", "period", "total"], invoice_id=INVOICE_ID, period=PERIOD, total=INT, due_date=NSTR)
    ),
)
_UNBOUND = {"type": "string", "enum": ["unbound"]}

PATHS: dict[str, Any] = {
    "/v1/staff/login": {
        "post": op(
            "Field staff login; the first login binds the device, another device is refused (403 DEVICE_NOT_BOUND)",
            (200, "Tokens bound to the device", tokens("staff")),
            body=obj(
                ["username", "password", "device_imei", "app_version"],
                username=USERNAME,
                password={"type": "string", "minLength": 1, "maxLength": 128},
                device_imei=pattern(ids.DEVICE_IMEI),
                app_version=pattern(ids.APP_VERSION, example="1.2.0"),
            ),
            errors=(400, 401, 403, 423, 426, 429),
            tag="staff",
        )
    },
    "/v1/staff/routes/today": {
        "get": staff_op(
            "Today's route(s) for offline work: customers in visiting order with meter, old index, recent "
            "consumption, payment channel and unpaid amount",
            (
                200,
                "Routes",
                obj(
                    ["staff", "reading_period", "day", "generated_at", "routes"],
                    staff=STR,
                    reading_period=PERIOD,
                    day=DATE,
                    generated_at=DATETIME,
                    routes=array(dict(ROUTE, properties=dict(ROUTE["properties"], customers=array(CUSTOMER_CARD)))),
                ),
            ),
            errors=(400,),
        )
    },
    "/v1/admin/devices": {
        "get": op(
            "Field devices: IMEI, staff, app version, last position and time, status (active within 15 minutes)",
            (
                200,
                "Devices",
                obj(
                    ["devices", "generated_at"],
                    generated_at=DATETIME,
                    devices=array(
                        obj(
                            ["device_imei", "staff", "status"],
                            device_imei=NSTR,
                            staff=STR,
                            full_name=NSTR,
                            branch=NSTR,
                            app_version=NSTR,
                            last_lat=NNUM,
                            last_lng=NNUM,
                            last_seen_at=NDATETIME,
                            status={"type": "string", "enum": ["active", "idle", "unbound"]},
                        )
                    ),
                ),
            ),
            secured=True,
            errors=(),
            tag="managers",
        )
    },
    "/v1/admin/staff": {
        "post": op(
            "Create a staff account (no device bound yet; the password follows the policy; audited)",
            (
                201,
                "Created",
                obj(
                    ["username", "full_name", "branch", "status"],
                    username=USERNAME,
                    full_name=STR,
                    branch=STR,
                    device_imei=NSTR,
                    status=_UNBOUND,
                ),
            ),
            body=obj(
                ["username", "full_name", "branch", "password"],
                username=USERNAME,
                full_name=_NAME,
                branch=_NAME,
                password={"type": "string", "minLength": 8, "maxLength": 128},
            ),
            secured=True,
            errors=(400, 409),
            tag="managers",
        )
    },
    "/v1/admin/staff/{username}/rebind": {
        "post": op(
            "Free a staff account from its device (its sessions end); the next login binds the new device; audited",
            (
                200,
                "Unbound",
                obj(
                    ["username", "status"],
                    username=USERNAME,
                    device_imei=NSTR,
                    previous_device_imei=STR,
                    status=_UNBOUND,
                ),
            ),
            secured=True,
            errors=(400, 404),
            tag="managers",
            params=[path_param("username", USERNAME)],
        )
    },
    "/v1/admin/routes": {
        "post": op(
            "Create a route: customers in visiting order for a staff member, a billing period and days; audited",
            (201, "Created", ROUTE),
            body=obj(
                ["staff", "period", "days", "customer_codes"],
                staff=USERNAME,
                period=PERIOD,
                days=_DAYS,
                branch=dict(_NAME, nullable=True, description="null or absent: the staff member's branch"),
                customer_codes=_CODES,
            ),
            secured=True,
            errors=(400,),
            tag="managers",
        )
    },
    "/v1/admin/routes/{route_id}": {
        "put": op(
            "Reassign a route to another staff member, change its days or replace its customers; audited",
            (200, "Updated", ROUTE),
            body={
                "type": "object",
                "minProperties": 1,
                "properties": {"staff": USERNAME, "days": _DAYS, "customer_codes": _CODES},
            },
            secured=True,
            errors=(400, 404, 409),
            tag="managers",
            params=[path_param("route_id", pattern(ids.ROUTE_ID))],
        )
    },
}
