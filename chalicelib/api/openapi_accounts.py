"""OpenAPI paths of the customer account statement (merged by openapi.document()).
Strict: a customer's rows may carry nothing beyond their own schema (no
internal references), the managers' add theirs."""

from __future__ import annotations

from chalicelib.api.openapi import _INT, _STR, CODE, _obj, _op, _path_param, _query
from chalicelib.domain.accounts import ROW_KINDS

_NSTR = {"type": "string", "nullable": True}
_ROW = dict(
    date={
        "type": "string",
        "format": "date-time",
        "nullable": True,
        "description": "Vietnam time (+07:00); null on the opening row",
    },
    event=_STR,
    kind={"type": "string", "enum": list(ROW_KINDS)},
    amount=dict(_INT, description="as posted, VND"),
    effect=dict(_INT, description="how it moved the balance: + owes more, - owes less"),
    balance=dict(_INT, description="after this row: positive the customer owes, negative credit"),
    invoice_id=_NSTR,
    period={"type": "string", "pattern": r"^\d{4}-\d{2}$", "nullable": True},
    channel=_NSTR,
    reference=dict(_NSTR, description="the external reference; masked (****1234) for customers"),
    description=dict(_STR, description="e.g. Hoá đơn 05/2023, Thanh toán VNPay, Tiền thừa chuyển kỳ sau"),
)
_INTERNAL = dict(
    entry_id=_NSTR,
    payment_id=_NSTR,
    external_ref=_NSTR,
    posted_by=_NSTR,
    flags={"type": "array", "items": _STR},
    note=_NSTR,
    credit_delta={"type": "integer", "nullable": True},
)
_OPEN = dict(
    _obj(
        ["invoice_id", "period", "total", "paid_amount", "written_off", "open_amount", "due_date"],
        invoice_id=_STR,
        period=_STR,
        total=_INT,
        paid_amount=_INT,
        written_off=_INT,
        open_amount=_INT,
        due_date={"type": "string", "format": "date", "nullable": True},
    ),
    additionalProperties=False,
)


def _statement(internal: bool) -> dict:
    props = dict(_ROW, **(_INTERNAL if internal else {}))
    row = dict(_obj(list(props), **props), additionalProperties=False)
    return dict(
        _obj(
            [
                "customer_code",
                "generated_at",
                "currency",
                "balance",
                "credit",
                "open_amount",
                "entries",
                "open_invoices",
            ],
            customer_code=CODE,
            generated_at={"type": "string", "format": "date-time"},
            currency={"type": "string", "enum": ["VND"]},
            balance=dict(_INT, description="open amounts - credit: positive owes, negative in credit"),
            credit=dict(_INT, minimum=0, description="money on the account no invoice has taken yet"),
            open_amount=dict(_INT, minimum=0),
            entries={"type": "array", "items": row},
            open_invoices={"type": "array", "items": _OPEN},
        ),
        additionalProperties=False,
    )


def _with_csv(op: dict) -> dict:
    op["responses"]["200"]["content"]["text/csv"] = {"schema": _STR}
    return op


_FORMAT = _query("format", {"type": "string", "enum": ["json", "csv"]})
CUSTOMER_STATEMENT = _statement(internal=False)
ADMIN_STATEMENT = _statement(internal=True)

PATHS: dict = {
    "/v1/me/account": {
        "get": _with_csv(
            _op(
                "The account statement of a linked customer code (sổ theo dõi công nợ): entries oldest first with the "
                "balance after each, open invoices, credit. JSON, or CSV (UTF-8 with BOM) with format=csv or "
                "Accept: text/csv",
                (200, "The statement", CUSTOMER_STATEMENT),
                secured=True,
                errors=(400, 503),
                params=[dict(_query("customer_code", CODE), required=True), _FORMAT],
            )
        )
    },
    "/v1/admin/customers/{code}/account": {
        "get": _with_csv(
            _op(
                "A customer's account statement for managers: the same, plus entry, payment and external references, "
                "who posted each entry, flags and notes. JSON or CSV",
                (200, "The statement", ADMIN_STATEMENT),
                secured=True,
                errors=(400, 404, 503),
                tag="managers",
                params=[_path_param("code", r"^\d{6,12}$"), _FORMAT],
            )
        )
    },
}
