"""OpenAPI paths of staff accounts, devices and routes (merged by openapi.document())."""

from __future__ import annotations

from chalicelib.api.openapi import _INT, _STR, GEO, _obj, _op, _path_param

_ERR = {"$ref": "#/components/schemas/Error"}
_NSTR = {"type": "string", "nullable": True}
_NNUM = {"type": "number", "nullable": True}
_PERIOD = {"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-11"}
_CODES = {
    "type": "array",
    "items": {"type": "string", "pattern": r"^\d{6,12}$"},
    "minItems": 1,
    "maxItems": 3000,
    "description": "customer codes in visiting order",
}
_DAYS = {
    "type": "array",
    "items": {"type": "integer", "minimum": 1, "maximum": 31},
    "minItems": 1,
    "description": "days of the month the route is walked",
}
_USERNAME = {"type": "string", "pattern": r"^[a-z0-9][a-z0-9._-]{2,31}$", "example": "ghithu01"}
_NAME = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"\S"}
_GEO = GEO
_TOKENS = _obj(
    ["access_token", "refresh_token", "token_type", "expires_in", "role"],
    access_token=_STR,
    refresh_token=_STR,
    token_type={"type": "string", "enum": ["Bearer"]},
    expires_in=_INT,
    role={"type": "string", "enum": ["staff"]},
)
_ROUTE_PROPS = dict(
    route_id=_STR,
    staff=_STR,
    period=_PERIOD,
    branch=_NSTR,
    days=_DAYS,
    customer_codes={"type": "array", "items": _STR},
    customer_count=_INT,
)
_ROUTE = _obj(list(_ROUTE_PROPS), **_ROUTE_PROPS)
_CUSTOMER_CARD = _obj(
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
    order=_INT,
    customer_code=_STR,
    ledger_no=_STR,
    name=_STR,
    address=_STR,
    house_no=_NSTR,
    phone=_NSTR,
    customer_class=_STR,
    business_type=_NSTR,
    payment_channel={"type": "string", "enum": ["cash", "bank_transfer", "authorised_debit"]},
    meter=_obj(
        ["serial", "size", "digits"],
        serial=_NSTR,
        size=_NSTR,
        digits=_INT,
        replaced_on=_NSTR,
        start_index={"type": "integer", "nullable": True},
    ),
    old_index={"type": "integer", "nullable": True},
    last_read_on=_NSTR,
    recent_consumption={
        "type": "array",
        "items": _obj(["period", "consumption_m3"], period=_PERIOD, consumption_m3=_INT),
        "description": "newest first, up to 3",
    },
    unpaid_amount={"type": "integer", "description": "VND, sum of the unpaid invoices"},
    unpaid_invoices={
        "type": "array",
        "items": _obj(["invoice_id", "period", "total"], invoice_id=_STR, period=_PERIOD, total=_INT, due_date=_NSTR),
    },
)
_STAFF_HEADERS = [
    {
        "name": "X-Device-Imei",
        "in": "header",
        "required": True,
        "schema": _STR,
        "description": "the device the session is bound to (403 otherwise)",
    },
    {
        "name": "X-App-Version",
        "in": "header",
        "required": True,
        "schema": _STR,
        "description": "the app's version; older than the minimum: 426 APP_UPDATE_REQUIRED",
    },
    {
        "name": "X-Geo",
        "in": "header",
        "required": False,
        "schema": _GEO,
        "description": "'<latitude>,<longitude>' in decimal degrees: recorded as the device's last position",
    },
]
_UPGRADE = {
    "426": {
        "description": "App too old: APP_UPDATE_REQUIRED (please update)",
        "content": {"application/json": {"schema": _ERR}},
    }
}


def _with(op: dict, *, responses: dict | None = None, params: list | None = None) -> dict:
    op["responses"].update(responses or {})
    if params:
        op["parameters"] = op.get("parameters", []) + params
    return op


PATHS: dict = {
    "/v1/staff/login": {
        "post": _with(
            _op(
                "Field staff login; the first login binds the device, another device is refused (403 DEVICE_NOT_BOUND)",
                (200, "Tokens bound to the device", _TOKENS),
                body=_obj(
                    ["username", "password", "device_imei", "app_version"],
                    username=_USERNAME,
                    password={"type": "string", "minLength": 1, "maxLength": 128},
                    device_imei={"type": "string", "pattern": r"^[A-Za-z0-9._:-]{8,64}$"},
                    app_version={"type": "string", "pattern": r"^\d{1,4}(\.\d{1,4}){0,3}$", "example": "1.2.0"},
                ),
                errors=(400, 401, 403, 423, 429),
                tag="staff",
            ),
            responses=_UPGRADE,
        )
    },
    "/v1/staff/routes/today": {
        "get": _with(
            _op(
                "Today's route(s) for offline work: customers in visiting order with meter, old index, recent "
                "consumption, payment channel and unpaid amount",
                (
                    200,
                    "Routes",
                    _obj(
                        ["staff", "reading_period", "day", "generated_at", "routes"],
                        staff=_STR,
                        reading_period=_PERIOD,
                        day={"type": "string", "format": "date"},
                        generated_at=_STR,
                        routes={
                            "type": "array",
                            "items": dict(
                                _ROUTE,
                                properties=dict(
                                    _ROUTE["properties"], customers={"type": "array", "items": _CUSTOMER_CARD}
                                ),
                            ),
                        },
                    ),
                ),
                secured=True,
                errors=(400,),
                tag="staff",
            ),
            responses=_UPGRADE,
            params=_STAFF_HEADERS,
        )
    },
    "/v1/admin/devices": {
        "get": _op(
            "Field devices: IMEI, staff, app version, last position and time, status (active within 15 minutes)",
            (
                200,
                "Devices",
                _obj(
                    ["devices", "generated_at"],
                    generated_at=_STR,
                    devices={
                        "type": "array",
                        "items": _obj(
                            ["device_imei", "staff", "status"],
                            device_imei=_NSTR,
                            staff=_STR,
                            full_name=_NSTR,
                            branch=_NSTR,
                            app_version=_NSTR,
                            last_lat=_NNUM,
                            last_lng=_NNUM,
                            last_seen_at=_NSTR,
                            status={"type": "string", "enum": ["active", "idle", "unbound"]},
                        ),
                    },
                ),
            ),
            secured=True,
            errors=(),
            tag="managers",
        )
    },
    "/v1/admin/staff": {
        "post": _op(
            "Create a staff account (no device bound yet; the password follows the policy; audited)",
            (
                201,
                "Created",
                _obj(
                    ["username", "full_name", "branch", "status"],
                    username=_STR,
                    full_name=_STR,
                    branch=_STR,
                    device_imei=_NSTR,
                    status={"type": "string", "enum": ["unbound"]},
                ),
            ),
            body=_obj(
                ["username", "full_name", "branch", "password"],
                username=_USERNAME,
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
        "post": _op(
            "Free a staff account from its device (its sessions end); the next login binds the new device; audited",
            (
                200,
                "Unbound",
                _obj(
                    ["username", "status"],
                    username=_STR,
                    device_imei=_NSTR,
                    previous_device_imei=_STR,
                    status={"type": "string", "enum": ["unbound"]},
                ),
            ),
            secured=True,
            errors=(400, 404),
            tag="managers",
            params=[dict(_path_param("username"), schema=_USERNAME)],
        )
    },
    "/v1/admin/routes": {
        "post": _op(
            "Create a route: customers in visiting order for a staff member, a billing period and days; audited",
            (201, "Created", _ROUTE),
            body=_obj(
                ["staff", "period", "days", "customer_codes"],
                staff=_USERNAME,
                period=_PERIOD,
                days=_DAYS,
                branch=_NAME,
                customer_codes=_CODES,
            ),
            secured=True,
            errors=(400,),
            tag="managers",
        )
    },
    "/v1/admin/routes/{route_id}": {
        "put": _op(
            "Reassign a route to another staff member, change its days or replace its customers; audited",
            (200, "Updated", _ROUTE),
            body={
                "type": "object",
                "minProperties": 1,
                "properties": {"staff": _USERNAME, "days": _DAYS, "customer_codes": _CODES},
            },
            secured=True,
            errors=(400, 404, 409),
            tag="managers",
            params=[_path_param("route_id")],
        )
    },
}
