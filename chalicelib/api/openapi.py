"""The OpenAPI 3 document of this API. tests/api/test_openapi.py checks it is
valid and that it and the app's routes name exactly the same operations."""

from __future__ import annotations

import functools

_ERR = {"$ref": "#/components/schemas/Error"}
_STR = {"type": "string"}
_INT = {"type": "integer"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _obj(required: list, **props) -> dict:
    return {"type": "object", "required": required, "properties": props}


def _errors(*statuses: int) -> dict:
    names = {
        400: "Bad input (the field is named)",
        401: "Not signed in",
        403: "Not yours",
        404: "Not found",
        409: "Conflict with the current state",
        423: "Locked after failed logins",
        426: "The app is too old: update it",
        429: "Rate limited (Retry-After)",
        503: "Store unavailable; retry",
    }
    return {str(s): {"description": names[s], **_json(_ERR)} for s in statuses}


def _op(
    summary: str,
    ok: tuple,
    *,
    body: dict | None = None,
    errors=(400,),
    secured: bool = False,
    params: list | None = None,
    tag: str = "customers",
) -> dict:
    status, description, schema = ok
    op = {
        "summary": summary,
        "tags": [tag],
        "responses": {
            str(status): {"description": description, **(_json(schema) if schema else {})},
            **_errors(*errors),
        },
    }
    if body:
        op["requestBody"] = {"required": True, **_json(body)}
    if secured:
        op["security"] = [{"bearer": []}]
        op["responses"].update(_errors(401, 403))
    if params:
        op["parameters"] = params
    return op


def _path_param(name: str, pattern: str | None = None) -> dict:
    schema = dict(_STR, **({"pattern": pattern} if pattern else {}))
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema}


TOKENS = _obj(
    ["access_token", "refresh_token", "token_type", "expires_in", "role"],
    access_token=_STR,
    refresh_token=_STR,
    token_type={"type": "string", "enum": ["Bearer"]},
    expires_in=_INT,
    role={"type": "string", "enum": ["customer", "staff", "admin"]},
)
OTP_SENT = _obj(["otp_sent_to", "expires_in", "resend_after"], otp_sent_to=_STR, expires_in=_INT, resend_after=_INT)
CODE = {"type": "string", "pattern": r"^\d{6,12}$", "example": "01031059"}
OTP = {"type": "string", "pattern": r"^\d{6}$"}
PASSWORD = {"type": "string", "minLength": 8, "maxLength": 128}
REFRESH = {"type": "string", "minLength": 1}
INVOICE_ID = {"type": "string", "pattern": r"^[A-Za-z0-9_-]{1,64}$"}
USERNAME = {"type": "string", "pattern": r"^[a-z0-9][a-z0-9._-]{2,31}$", "example": "ghithu01"}
GIVEN_PASSWORD = {"type": "string", "minLength": 1, "maxLength": 128}
PERIOD = {"type": "string", "pattern": r"^20\d{2}-(0[1-9]|1[0-2])$", "example": "2026-11"}
LINE = _obj(
    ["kind", "description", "amount"],
    kind={"type": "string", "enum": ["water", "charge", "vat", "env_fee"]},
    description=_STR,
    quantity={"type": "number"},
    unit_price={"type": "number"},
    rate_percent={"type": "number"},
    amount=_INT,
)
TIER = _obj(
    ["price"],
    up_to={"type": "integer", "nullable": True, "minimum": 1},
    price={"type": "integer", "minimum": 1, "maximum": 1_000_000},
)
_PERCENT = {"type": "integer", "minimum": 0, "maximum": 30}
TARIFF = _obj(
    ["tariff_id", "area", "customer_class", "valid_from", "pricing", "tiers", "legal_ref"],
    tariff_id={"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]{2,79}$"},
    area={"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]{1,39}$"},
    customer_class={
        "type": "string",
        "enum": ["household", "poor_household", "public_service", "production", "business"],
    },
    valid_from={"type": "string", "format": "date"},
    pricing={"type": "string", "enum": ["tiers", "per_person", "flat"]},
    tiers={"type": "array", "items": TIER, "minItems": 1},
    legal_ref={"type": "string", "minLength": 1, "maxLength": 300},
    prices_include_vat={"type": "boolean"},
    vat_percent=_PERCENT,
    env_fee_percent=_PERCENT,
    charges={"type": "array", "items": {"type": "object"}},
    utility=_STR,
    description=_STR,
)
ORDER = _obj(
    ["order_id", "status", "amount", "fee", "payment_url", "qr_payload", "qr_png_url", "expires_at"],
    order_id=_STR,
    status={"type": "string", "enum": ["pending", "paid", "failed", "expired", "refunded"]},
    amount=_INT,
    fee=_INT,
    currency=_STR,
    invoice_ids={"type": "array", "items": _STR},
    items={"type": "array", "items": {"type": "object"}},
    payment_url=_STR,
    qr_payload=_STR,
    qr_png_url=_STR,
    created_at=_STR,
    expires_at=_STR,
    paid_at={"type": "string", "nullable": True},
    transaction_no={"type": "string", "nullable": True},
    credit_amount=_INT,
)
CHANNEL_REQUEST = _obj(
    ["request_id", "customer_code", "channel", "bank_code", "status"],
    request_id=_STR,
    customer_code=_STR,
    channel=_STR,
    bank_code=_STR,
    bank=_STR,
    account_holder=_STR,
    account_no=_STR,
    status={"type": "string", "enum": ["pending", "confirmed", "rejected"]},
)
IMPORT = _obj(
    ["import_id", "status", "rows_done", "rows_ok", "rows_failed", "progress_percent"],
    import_id=_STR,
    status={"type": "string", "enum": ["awaiting_upload", "queued", "running", "done", "failed"]},
    rows_done=_INT,
    rows_ok=_INT,
    rows_failed=_INT,
    progress_percent={"type": "number"},
    errors={"type": "array", "items": {"type": "object"}},
    error_report_url={"type": "string", "nullable": True},
)
READING = _obj(
    ["reading_id", "customer_code", "period", "new_index", "read_at"],
    reading_id={"type": "string", "pattern": r"^[A-Za-z0-9_.:-]{8,64}$"},
    customer_code=CODE,
    period={"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"},
    new_index={"type": "integer", "minimum": 0, "maximum": 10**9 - 1},
    read_at={"type": "string", "format": "date-time"},
    lat={"type": "number", "minimum": -90, "maximum": 90, "nullable": True},
    lng={"type": "number", "minimum": -180, "maximum": 180, "nullable": True},
)
GEO = {
    "type": "string",
    "pattern": r"^$|^-?(90(\.0+)?|[1-8]?\d(\.\d+)?),-?(180(\.0+)?|(1[0-7]\d|[1-9]?\d)(\.\d+)?)$",
    "example": "9.1767,105.1524",
    "description": "empty: no position",
}
STAFF_HEADERS = [
    {"name": "X-Device-Imei", "in": "header", "required": True, "schema": _STR},
    {"name": "X-App-Version", "in": "header", "required": True, "schema": _STR},
    {"name": "X-Geo", "in": "header", "required": False, "schema": GEO, "description": "lat,lng of the device"},
]
SUMMARY_PROPS = dict(
    invoice_id=_STR,
    customer_code=_STR,
    customer_name=_STR,
    period={"type": "string", "pattern": r"^\d{4}-\d{2}$"},
    old_index=_INT,
    new_index=_INT,
    consumption_m3=_INT,
    total=_INT,
    total_text=_STR,
    due_date={"type": "string", "format": "date"},
    status={"type": "string", "enum": ["unpaid", "paid", "cancelled"]},
    paid_amount=_INT,
    open_amount=_INT,
)
SUMMARY = _obj(list(SUMMARY_PROPS), **SUMMARY_PROPS)
DETAIL = _obj(
    list(SUMMARY_PROPS) + ["lines", "subtotal", "vat", "env_fee", "amount_in_words", "issued_on"],
    **SUMMARY_PROPS,
    lines={"type": "array", "items": LINE},
    subtotal=_INT,
    vat=_INT,
    env_fee=_INT,
    amount_in_words=_STR,
    issued_on={"type": "string", "format": "date"},
    source=_STR,
    tariff_ref={"type": "string", "nullable": True},
    paid_at={"type": "string", "nullable": True},
    payments={"type": "array", "items": {"type": "object"}},
    invoice_template={"type": "string", "nullable": True},
    invoice_symbol={"type": "string", "nullable": True},
    invoice_number={"type": "integer", "nullable": True},
    customer_address={"type": "string", "nullable": True},
    ledger_no={"type": "string", "nullable": True},
    period_start={"type": "string", "nullable": True},
    period_end={"type": "string", "nullable": True},
    proration={"type": "array", "items": _STR},
)


# Query parameters read as the platforms send them (api/common.query is not used there).
PLATFORM_PATHS = ("/v1/vnpay/ipn", "/v1/vnpay/return", "/v1/chat/facebook", "/web/{asset}")


def _no_empty_query_values(paths: dict) -> None:
    """The API refuses `?name=` (api.common.query): say so in every string parameter's schema."""
    for path, ops in paths.items():
        if path in PLATFORM_PATHS:
            continue
        for op in ops.values():
            for param in op.get("parameters", []):
                schema = param.get("schema", {})
                if param.get("in") == "query" and schema.get("type") == "string" and "minLength" not in schema:
                    param["schema"] = dict(schema, minLength=1)


@functools.lru_cache(maxsize=1)
def document() -> dict:
    paths = {
        "/v1/health": {
            "get": _op(
                "Service and store health",
                (200, "Healthy", _obj(["status"], status=_STR, stage=_STR, store={"type": "boolean"})),
                errors=(503,),
                tag="service",
            )
        },
        "/v1/openapi.json": {
            "get": _op("This document", (200, "OpenAPI 3 document", {"type": "object"}), errors=(), tag="service")
        },
        "/v1/auth/customer-code-lookup": {
            "post": _op(
                "Find your customer code from your registered phone, or ledger number and house number",
                (
                    200,
                    "Matching codes, names and addresses masked",
                    _obj(
                        ["customers"],
                        customers={
                            "type": "array",
                            "items": _obj(
                                ["customer_code", "name", "address"], customer_code=_STR, name=_STR, address=_STR
                            ),
                        },
                    ),
                ),
                body={
                    "type": "object",
                    "properties": {
                        "phone": {"type": "string", "nullable": True, "example": "0913 123 456"},
                        "ledger_no": {"type": "string", "nullable": True},
                        "house_no": {"type": "string", "nullable": True},
                    },
                    "description": "the phone if given (the other two are then not read), else ledger_no and house_no; "
                    "null is the same as absent",
                    "anyOf": [
                        {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
                        {
                            "required": ["ledger_no", "house_no"],
                            "properties": {
                                "ledger_no": {"type": "string", "pattern": r"^[A-Za-z0-9./-]{1,30}$"},
                                "house_no": {"type": "string", "minLength": 1, "maxLength": 20, "pattern": r"\S"},
                            },
                        },
                    ],
                },
                errors=(400, 429),
            )
        },
        "/v1/auth/register": {
            "post": _op(
                "Start registration: a one-time code goes to the phone on file",
                (202, "Code sent", OTP_SENT),
                body=_obj(["customer_code"], customer_code=CODE),
                errors=(400, 404, 409, 429),
            )
        },
        "/v1/auth/register/confirm": {
            "post": _op(
                "Finish registration with the one-time code and a new password",
                (201, "Account created", TOKENS),
                body=_obj(["customer_code", "otp", "password"], customer_code=CODE, otp=OTP, password=PASSWORD),
                errors=(400, 409),
            )
        },
        "/v1/auth/login": {
            "post": _op(
                "Log in with customer code and password",
                (200, "Tokens", TOKENS),
                body=_obj(["customer_code", "password"], customer_code=CODE, password=GIVEN_PASSWORD),
                errors=(400, 401, 423, 429),
            )
        },
        "/v1/auth/refresh": {
            "post": _op(
                "Rotate the refresh token (a reused one ends the session)",
                (200, "New tokens", TOKENS),
                body=_obj(["refresh_token"], refresh_token=REFRESH),
                errors=(400, 401),
            )
        },
        "/v1/auth/logout": {
            "post": _op(
                "End the session of this refresh token",
                (204, "Logged out", None),
                body=_obj(["refresh_token"], refresh_token=REFRESH),
                errors=(400, 401),
            )
        },
        "/v1/auth/password/forgot": {
            "post": _op(
                "Send a one-time code to reset the password",
                (202, "Code sent", OTP_SENT),
                body=_obj(["customer_code"], customer_code=CODE),
                errors=(400, 404, 409, 429),
            )
        },
        "/v1/auth/password/reset": {
            "post": _op(
                "Set a new password with the one-time code",
                (200, "Changed", _obj(["password_changed"], password_changed={"type": "boolean"})),
                body=_obj(["customer_code", "otp", "new_password"], customer_code=CODE, otp=OTP, new_password=PASSWORD),
                errors=(400,),
            )
        },
        "/v1/me": {
            "get": _op(
                "The account and its linked customer codes",
                (
                    200,
                    "Account",
                    _obj(
                        ["account_id", "role", "customers"],
                        account_id=_STR,
                        role=_STR,
                        login=_STR,
                        customers={"type": "array", "items": {"type": "object"}},
                    ),
                ),
                secured=True,
                errors=(),
            )
        },
        "/v1/me/customers": {
            "post": _op(
                "Start linking another customer code (one-time code to its phone on file)",
                (202, "Code sent", OTP_SENT),
                body=_obj(["customer_code"], customer_code=CODE),
                secured=True,
                errors=(400, 404, 409, 429),
            )
        },
        "/v1/me/customers/confirm": {
            "post": _op(
                "Finish linking with the one-time code; returns a fresh access token",
                (
                    200,
                    "Linked",
                    _obj(
                        ["customer_codes", "access_token", "expires_in"],
                        customer_codes={"type": "array", "items": _STR},
                        access_token=_STR,
                        expires_in=_INT,
                    ),
                ),
                body=_obj(["customer_code", "otp"], customer_code=CODE, otp=OTP),
                secured=True,
                errors=(400, 409),
            )
        },
        "/v1/customers/{code}/invoices": {
            "get": _op(
                "Invoices of a linked customer code, newest first",
                (
                    200,
                    "A page of invoices",
                    _obj(
                        ["customer_code", "invoices", "next_cursor"],
                        customer_code=_STR,
                        invoices={"type": "array", "items": SUMMARY},
                        next_cursor={"type": "string", "nullable": True},
                    ),
                ),
                secured=True,
                errors=(400,),
                params=[
                    _path_param("code", r"^\d{6,12}$"),
                    _query("status", {"type": "string", "enum": ["unpaid", "paid", "all"]}),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 50}),
                    _query("cursor", _STR),
                ],
            )
        },
        "/v1/invoices/{invoice_id}": {
            "get": _op(
                "One invoice in full",
                (200, "Invoice", DETAIL),
                secured=True,
                errors=(404,),
                params=[dict(_path_param("invoice_id"), schema=INVOICE_ID)],
            )
        },
        "/v1/invoices/{invoice_id}/pdf": {
            "get": {
                "summary": "The invoice as a PDF document (Vietnamese, with a QR to pay once payments exist)",
                "tags": ["customers"],
                "security": [{"bearer": []}],
                "parameters": [dict(_path_param("invoice_id"), schema=INVOICE_ID)],
                "responses": {
                    "200": {
                        "description": "PDF",
                        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **_errors(401, 403, 404),
                },
            }
        },
        "/v1/admin/tariffs": {
            "post": _op(
                "Add a tariff version (versions never change; audited)",
                (201, "Added", TARIFF),
                body=TARIFF,
                secured=True,
                errors=(400, 409),
                tag="managers",
            ),
            "get": _op(
                "Versions of one tariff, oldest first",
                (200, "Versions", _obj(["versions"], versions={"type": "array", "items": TARIFF})),
                secured=True,
                errors=(400,),
                tag="managers",
                params=[dict(_query("area", _STR), required=True), dict(_query("customer_class", _STR), required=True)],
            ),
        },
        "/v1/admin/invoices": {
            "post": _op(
                "Issue an invoice from a reading, priced by the tariff in force, numbered in its series",
                (201, "Issued", DETAIL),
                body=_obj(
                    ["customer_code", "period", "old_index", "new_index", "read_on"],
                    customer_code=CODE,
                    period=PERIOD,
                    old_index=_INT,
                    new_index=_INT,
                    read_on={"type": "string", "format": "date"},
                    previous_read_on={"type": "string", "format": "date"},
                ),
                secured=True,
                errors=(400, 404, 409),
                tag="managers",
            )
        },
        "/v1/payments": {
            "post": dict(
                _op(
                    "Open a VNPay order for unpaid invoices of the caller's linked codes (or get the open one back)",
                    (201, "Order opened (200: the same open order again)", ORDER),
                    body=_obj(
                        ["invoice_ids"],
                        invoice_ids={
                            "type": "array",
                            "items": INVOICE_ID,
                            "minItems": 1,
                            "maxItems": 20,
                            "uniqueItems": True,
                        },
                        bank_code={"type": "string", "enum": ["VNPAYQR", "VNBANK", "INTCARD"]},
                    ),
                    secured=True,
                    errors=(400, 404, 409),
                    tag="payments",
                ),
                parameters=[
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_.:-]{8,128}$"},
                    }
                ],
            )
        },
        "/v1/payments/{order_id}": {
            "get": _op(
                "An order and its state",
                (200, "Order", ORDER),
                secured=True,
                errors=(404,),
                tag="payments",
                params=[_path_param("order_id")],
            )
        },
        "/v1/payments/{order_id}/qr.png": {
            "get": {
                "summary": "The VNPAY-QR image of the order (send Accept: image/png)",
                "tags": ["payments"],
                "security": [{"bearer": []}],
                "parameters": [_path_param("order_id")],
                "responses": {
                    "200": {
                        "description": "PNG",
                        "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **_errors(401, 403, 404),
                },
            }
        },
        "/v1/vnpay/ipn": {
            "get": {
                "summary": "VNPay's server-to-server payment notification (IPN); signed vnp_* query parameters",
                "description": "VNPay's contract: always HTTP 200, the outcome in RspCode. Parameters missing, "
                "extra or with a bad signature are RspCode 97, never a 4xx.",
                "tags": ["vnpay"],
                "parameters": [
                    {"name": n, "in": "query", "required": False, "schema": _STR}
                    for n in (
                        "vnp_TmnCode",
                        "vnp_Amount",
                        "vnp_BankCode",
                        "vnp_BankTranNo",
                        "vnp_CardType",
                        "vnp_PayDate",
                        "vnp_OrderInfo",
                        "vnp_TransactionNo",
                        "vnp_ResponseCode",
                        "vnp_TransactionStatus",
                        "vnp_TxnRef",
                        "vnp_SecureHash",
                    )
                ],
                "responses": {
                    "200": {
                        "description": "VNPay's answer format: 00, 01, 02, 04, 97, 99",
                        **_json(
                            _obj(
                                ["RspCode", "Message"],
                                RspCode={"type": "string", "enum": ["00", "01", "02", "04", "97", "99"]},
                                Message=_STR,
                            )
                        ),
                    }
                },
            }
        },
        "/v1/vnpay/return": {
            "get": {
                "summary": "Where the browser lands after paying: a result page; never marks anything paid",
                "tags": ["vnpay"],
                "parameters": [{"name": "vnp_SecureHash", "in": "query", "required": False, "schema": _STR}],
                "responses": {
                    "200": {"description": "HTML result page", "content": {"text/html": {"schema": _STR}}},
                    "400": {
                        "description": "Signature not valid (HTML page)",
                        "content": {"text/html": {"schema": _STR}},
                    },
                },
            }
        },
        "/v1/staff/readings": {
            "post": dict(
                _op(
                    "Send a reading, or an offline batch {readings: [...]}: stored once per reading_id, queued, 202",
                    (
                        202,
                        "Accepted",
                        _obj(
                            ["accepted", "readings"],
                            accepted=_INT,
                            readings={
                                "type": "array",
                                "items": _obj(
                                    ["reading_id", "status", "duplicate"],
                                    reading_id=_STR,
                                    status=_STR,
                                    duplicate={"type": "boolean"},
                                ),
                            },
                        ),
                    ),
                    body={
                        "anyOf": [
                            dict(READING, **{"not": {"required": ["readings"]}}),
                            _obj(
                                ["readings"],
                                readings={"type": "array", "items": READING, "minItems": 1, "maxItems": 100},
                            ),
                        ]
                    },
                    secured=True,
                    errors=(400, 409, 426),
                    tag="field",
                ),
                parameters=STAFF_HEADERS,
            )
        },
        "/v1/staff/readings/{reading_id}": {
            "get": dict(
                _op(
                    "What became of a reading: queued, billed, flagged or rejected, the reasons, the invoice, "
                    "and whether cash may be collected on the spot",
                    (
                        200,
                        "Reading",
                        _obj(
                            ["reading_id", "status", "reasons", "collect_on_spot"],
                            reading_id=_STR,
                            status={"type": "string", "enum": ["queued", "billed", "flagged", "rejected"]},
                            reasons={"type": "array", "items": {"type": "object"}},
                            collect_on_spot={"type": "boolean"},
                            invoice={"type": "object"},
                            why_not_collect={"type": "array", "items": _STR, "nullable": True},
                            print={"type": "string", "enum": ["receipt", "notice", "none"]},
                        ),
                    ),
                    secured=True,
                    errors=(400, 404, 426),
                    tag="field",
                ),
                parameters=[_path_param("reading_id")] + STAFF_HEADERS,
            )
        },
        "/v1/me/payment-channel": {
            "post": _op(
                "Ask to pay by bank transfer or authorised debit at a linked bank (the utility confirms)",
                (202, "Request recorded", CHANNEL_REQUEST),
                body=_obj(
                    ["customer_code", "channel", "bank_code", "account_holder", "account_no"],
                    customer_code=CODE,
                    channel={"type": "string", "enum": ["bank_transfer", "authorised_debit"]},
                    bank_code={"type": "string", "enum": ["VCB", "AGR", "STB"]},
                    account_holder={"type": "string", "minLength": 2, "maxLength": 100, "pattern": r"\S.*\S"},
                    account_no={"type": "string", "pattern": r"^\d{6,20}$"},
                ),
                secured=True,
                errors=(400, 409),
            )
        },
        "/v1/admin/payment-channel-requests": {
            "get": _op(
                "Payment-channel requests waiting for the utility",
                (200, "Requests", _obj(["requests"], requests={"type": "array", "items": CHANNEL_REQUEST})),
                secured=True,
                errors=(),
                tag="managers",
            )
        },
        "/v1/admin/payment-channel-requests/{request_id}": {
            "post": _op(
                "Confirm or reject a request; confirming changes the customer's payment channel (audited)",
                (200, "Decided", CHANNEL_REQUEST),
                body=_obj(["decision"], decision={"type": "string", "enum": ["confirm", "reject"]}, note=_STR),
                secured=True,
                errors=(400, 404, 409),
                tag="managers",
                params=[_path_param("request_id")],
            )
        },
        "/v1/admin/imports/customers": {
            "post": _op(
                "Start a customer-book import: a presigned S3 link to PUT the CSV to",
                (
                    201,
                    "Upload link",
                    _obj(
                        ["import_id", "upload"],
                        import_id=_STR,
                        status=_STR,
                        upload={"type": "object"},
                        columns={"type": "array", "items": _STR},
                        optional_columns={"type": "array", "items": _STR},
                    ),
                ),
                secured=True,
                errors=(),
                tag="managers",
            )
        },
        "/v1/admin/imports/{import_id}/start": {
            "post": _op(
                "Begin importing the uploaded file (chunks through SQS)",
                (202, "Queued", IMPORT),
                secured=True,
                errors=(404, 409),
                tag="managers",
                params=[_path_param("import_id")],
            )
        },
        "/v1/admin/imports/{import_id}": {
            "get": _op(
                "Progress, the first errors and the error report link",
                (200, "Import", IMPORT),
                secured=True,
                errors=(404,),
                tag="managers",
                params=[_path_param("import_id")],
            )
        },
        "/v1/admin/login": {
            "post": _op(
                "Managers' login",
                (200, "Tokens", TOKENS),
                body=_obj(["username", "password"], username=USERNAME, password=GIVEN_PASSWORD),
                errors=(400, 401, 423, 429),
                tag="managers",
            )
        },
    }
    from chalicelib.api import (
        openapi_accounts,
        openapi_chat,
        openapi_collections,
        openapi_managers,
        openapi_privacy,
        openapi_refunds,
        openapi_reminders,
        openapi_staff,
        openapi_statements,
        openapi_web,
    )

    for part in (
        openapi_staff.PATHS,
        openapi_collections.PATHS,
        openapi_managers.PATHS,
        openapi_reminders.PATHS,
        openapi_statements.PATHS,
        openapi_privacy.PATHS,
        openapi_chat.PATHS,
        openapi_web.PATHS,
        openapi_accounts.PATHS,
        openapi_refunds.PATHS,
    ):
        for path, ops in part.items():
            paths.setdefault(path, {}).update(ops)
    _no_empty_query_values(paths)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "CSKH water utility API",
            "version": "1.0.0",
            "description": "Customer care and meter-to-cash for a Vietnamese water utility. "
            "Money is integer VND; errors are {code, message}.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {"Error": _obj(["code", "message"], code=_STR, message=_STR, field=_STR)},
        },
    }
