"""The bank-notification bodies are declared once (domain/bank_notifications.py: the document's schemas
come from there) and parsed by hand (their own 400s). This holds the two to each other: the services'
documented samples fit the declaration, every key they send is declared, and a field the declaration
requires is one the parser refuses to go without (naming it), an optional one is one it does without."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.domain import bank_notifications as bn
from chalicelib.domain.shapes import fields_of, parse
from chalicelib.errors import AppError
from tests.unit.test_bank_notifications import CASSO_SAMPLE, SEPAY_SAMPLE


def test_the_documented_samples_fit_the_declaration_and_every_key_is_declared():
    assert parse(bn.SepayBody, SEPAY_SAMPLE, closed=True).transferAmount == SEPAY_SAMPLE["transferAmount"]
    casso = parse(bn.CassoBody, CASSO_SAMPLE, closed=True)
    assert dataclasses.asdict(casso.data)["amount"] == CASSO_SAMPLE["data"]["amount"]


@pytest.mark.parametrize("f", fields_of(bn.SepayBody), ids=lambda f: f.name)
def test_sepay_parser_requires_what_the_declaration_requires(f):
    body = {k: v for k, v in SEPAY_SAMPLE.items() if k != f.name}
    if f.required:
        with pytest.raises(AppError) as info:
            bn.parse_sepay(body)
        assert (info.value.status, info.value.code, info.value.field) == (400, "INVALID_NOTIFICATION", f.name)
    else:
        assert bn.parse_sepay(body).amount == SEPAY_SAMPLE["transferAmount"]


@pytest.mark.parametrize("f", fields_of(bn.CassoTransaction), ids=lambda f: f.name)
def test_casso_parser_requires_what_the_declaration_requires(f):
    body = {**CASSO_SAMPLE, "data": {k: v for k, v in CASSO_SAMPLE["data"].items() if k != f.name}}
    if f.required:
        with pytest.raises(AppError) as info:
            bn.parse_casso(body)
        assert (info.value.status, info.value.code, info.value.field) == (400, "INVALID_NOTIFICATION", f"data.{f.name}")
    else:
        assert bn.parse_casso(body)[0].amount == CASSO_SAMPLE["data"]["amount"]


def test_casso_envelope_as_declared():
    assert not fields_of(bn.CassoBody)[0].required  # error: absent reads as 0
    assert bn.parse_casso({"data": CASSO_SAMPLE["data"]})[0].service_id == "0"
    with pytest.raises(AppError) as info:
        bn.parse_casso({"error": 0})
    assert info.value.field == "data"
