"""OpenAPI paths of the staff blueprint (api/staff.py): staff login, today's routes; staff accounts, devices and
routes for managers. The bodies and answers are services/shapes_field.py's, stated from there."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import USERNAME, op, path_param, pattern, staff_op, tokens
from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_field import (
    Devices,
    NewRoute,
    NewStaff,
    Route,
    RouteChange,
    RoutesToday,
    StaffCreated,
    StaffLogin,
    StaffUnbound,
)

ROUTE = json_schema(Route)
# Bodies are read open, as ever: other keys are ignored.
_ROUTE_CHANGE = dict(json_schema(RouteChange, closed=False), minProperties=1)

PATHS: dict[str, Any] = {
    "/v1/staff/login": {
        "post": op(
            "Field staff login; the first login binds the device, another device is refused (403 DEVICE_NOT_BOUND)",
            (200, "Tokens bound to the device", tokens("staff")),
            body=json_schema(StaffLogin, closed=False),
            errors=(400, 401, 403, 423, 426, 429),
            tag="staff",
        )
    },
    "/v1/staff/routes/today": {
        "get": staff_op(
            "Today's route(s) for offline work: customers in visiting order with meter, old index, recent "
            "consumption, payment channel and unpaid amount",
            (200, "Routes", json_schema(RoutesToday)),
            errors=(400,),
        )
    },
    "/v1/admin/devices": {
        "get": op(
            "Field devices: IMEI, staff, app version, last position and time, status (active within 15 minutes)",
            (200, "Devices", json_schema(Devices)),
            secured=True,
            errors=(),
            tag="managers",
        )
    },
    "/v1/admin/staff": {
        "post": op(
            "Create a staff account (no device bound yet; the password follows the policy; audited)",
            (201, "Created", json_schema(StaffCreated)),
            body=json_schema(NewStaff, closed=False),
            secured=True,
            errors=(400, 409),
            tag="managers",
        )
    },
    "/v1/admin/staff/{username}/rebind": {
        "post": op(
            "Free a staff account from its device (its sessions end); the next login binds the new device; audited",
            (200, "Unbound", json_schema(StaffUnbound)),
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
            body=json_schema(NewRoute, closed=False),
            secured=True,
            errors=(400,),
            tag="managers",
        )
    },
    "/v1/admin/routes/{route_id}": {
        "put": op(
            "Reassign a route to another staff member, change its days or replace its customers; audited",
            (200, "Updated", ROUTE),
            body=_ROUTE_CHANGE,
            secured=True,
            errors=(400, 404, 409),
            tag="managers",
            params=[path_param("route_id", pattern(ids.ROUTE_ID))],
        )
    },
}
