"""OpenAPI paths of the accounts blueprint (api/accounts.py): the customer account statement.
Strict: a customer's rows may carry nothing beyond their own schema (no
internal references), the managers' add theirs."""

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
    NSTR,
    PERIOD,
    STR,
    array,
    obj,
    op,
    path_param,
    query,
)
from chalicelib.domain.accounts import ROW_KINDS

_ROW = dict(
    date=dict(NDATETIME, description="Vietnam time (+07:00); null on the opening row"),
    event=STR,
    kind={"type": "string", "enum": list(ROW_KINDS)},
    amount=dict(INT, description="as posted, VND"),
    effect=dict(INT, description="how it moved the balance: + owes more, - owes less"),
    balance=dict(INT, description="after this row: positive the customer owes, negative credit"),
    invoice_id=NSTR,
    period=dict(PERIOD, nullable=True),
    channel=NSTR,
    reference=dict(NSTR, description="the external reference; masked (****1234) for customers"),
    description=dict(STR, description="e.g. Hoá đơn 05/2023, Thanh toán VNPay, Tiền thừa chuyển kỳ sau"),
)
_INTERNAL = dict(
    entry_id=NSTR,
    payment_id=NSTR,
    external_ref=NSTR,
    posted_by=NSTR,
    flags=array(STR),
    note=NSTR,
    credit_delta=NINT,
)
_OPEN = dict(
    obj(
        ["invoice_id", "period", "total", "paid_amount", "written_off", "open_amount", "due_date"],
        invoice_id=INVOICE_ID,
        period=PERIOD,
        total=INT,
        paid_amount=INT,
        written_off=INT,
        open_amount=INT,
        due_date=dict(DATE, nullable=True),
    ),
    additionalProperties=False,
)


def _statement(internal: bool) -> dict[str, Any]:
    props = dict(_ROW, **(_INTERNAL if internal else {}))
    row = dict(obj(list(props), **props), additionalProperties=False)
    return dict(
        obj(
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
            generated_at=DATETIME,
            currency={"type": "string", "enum": ["VND"]},
            balance=dict(INT, description="open amounts - credit: positive owes, negative in credit"),
            credit=dict(INT, minimum=0, description="money on the account no invoice has taken yet"),
            open_amount=dict(INT, minimum=0),
            entries=array(row),
            open_invoices=array(_OPEN),
        ),
        additionalProperties=False,
    )


def _with_csv(operation: dict[str, Any]) -> dict[str, Any]:
    operation["responses"]["200"]["content"]["text/csv"] = {"schema": STR}
    return operation


_FORMAT = query("format", {"type": "string", "enum": ["json", "csv"]})
CUSTOMER_STATEMENT = _statement(internal=False)
ADMIN_STATEMENT = _statement(internal=True)

PATHS: dict[str, Any] = {
    "/v1/me/account": {
        "get": _with_csv(
            op(
                "The account statement of a linked customer code (sổ theo dõi công nợ): entries oldest first with the "
                "balance after each, open invoices, credit. JSON, or CSV (UTF-8 with BOM) with format=csv or "
                "Accept: text/csv",
                (200, "The statement", CUSTOMER_STATEMENT),
                secured=True,
                errors=(400, 503),
                params=[query("customer_code", CODE, required=True), _FORMAT],
            )
        )
    },
    "/v1/admin/customers/{code}/account": {
        "get": _with_csv(
            op(
                "A customer's account statement for managers: the same, plus entry, payment and external references, "
                "who posted each entry, flags and notes. JSON or CSV",
                (200, "The statement", ADMIN_STATEMENT),
                secured=True,
                errors=(400, 404, 503),
                tag="managers",
                params=[path_param("code", CODE), _FORMAT],
            )
        )
    },
}
