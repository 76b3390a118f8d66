"""Passwords, one-time codes, tokens, masking and config: plain domain rules."""

from __future__ import annotations

import base64
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.config import ConfigError, load_settings
from chalicelib.domain import masking, otp, passwords, tokens
from chalicelib.errors import ValidationError

KEY = "k" * 40


def test_password_hash_verifies_and_salts():
    a = passwords.hash_password("Nuoc-sach-2024", n=2**10)
    b = passwords.hash_password("Nuoc-sach-2024", n=2**10)
    assert a != b and a.startswith("scrypt$1024$")
    assert passwords.verify_password("Nuoc-sach-2024", a)
    assert not passwords.verify_password("Nuoc-sach-2025", a)
    assert not passwords.verify_password("Nuoc-sach-2024", "md5$abc")
    assert not passwords.verify_password("x", "garbage")
    assert passwords.needs_rehash(a, n=2**14) and not passwords.needs_rehash(a, n=2**10)


@pytest.mark.parametrize(
    "bad", ["123456", "12345678", "short", "aaaaaaaaaaaa", "x" * 129, None, 12345678, "PASSWORD", "my-01031059-pw"]
)
def test_password_policy_refuses(bad):
    with pytest.raises(ValidationError):
        passwords.check_policy(bad, login="01031059")


def test_password_policy_accepts_a_passphrase():
    assert passwords.check_policy("nuoc sach moi ngay", login="01031059")


def test_one_time_code_shape_and_binding():
    codes = {otp.new_code() for _ in range(200)}
    assert all(re.fullmatch(r"\d{6}", c) for c in codes) and len(codes) > 150
    h = otp.code_hash(KEY, "register", "01031059", "123456")
    assert otp.matches(KEY, "register", "01031059", "123456", h)
    assert not otp.matches(KEY, "reset", "01031059", "123456", h)  # bound to its purpose
    assert not otp.matches(KEY, "register", "01031060", "123456", h)  # and its customer code
    assert not otp.matches("other" * 8, "register", "01031059", "123456", h)
    assert "123456" not in h


def test_sms_text_is_plain_ascii():
    text = otp.sms_text("register", "123456", 300)
    assert text.isascii() and "123456" in text and "5 phut" in text


def _identity(**kw):
    base = dict(account_id="customer:01031059", role="customer", customer_codes=("01031059",), family_id="f")
    base.update(kw)
    return tokens.Identity(**base)


def test_access_token_round_trip():
    tok = tokens.encode_access(KEY, "cskh", _identity(), now=2_000_000_000, ttl=900)
    with pytest.raises(tokens.TokenError):  # issued in the future: not yet valid
        tokens.decode(KEY, "cskh", tok, "access")
    import time

    now = int(time.time())
    tok = tokens.encode_access(KEY, "cskh", _identity(), now=now, ttl=900)
    ident = tokens.identity_from_claims(tokens.decode(KEY, "cskh", tok, "access"))
    assert ident.owns("01031059") and not ident.owns("01031060") and ident.role == "customer"


def test_expired_forged_and_none_tokens_are_refused():
    import time

    now = int(time.time())
    expired = tokens.encode_access(KEY, "cskh", _identity(), now=now - 1000, ttl=900)
    good = tokens.encode_access(KEY, "cskh", _identity(), now=now, ttl=900)
    head, body, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["codes"] = ["01031060"]
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    none_head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    for bad in (expired, f"{head}.{forged_body}.{sig}", f"{none_head}.{body}.", "a.b.c", "", good + "x"):
        with pytest.raises(tokens.TokenError):
            tokens.decode(KEY, "cskh", bad, "access")
    with pytest.raises(tokens.TokenError):
        tokens.decode("another-key" * 4, "cskh", good, "access")
    with pytest.raises(tokens.TokenError):
        tokens.decode(KEY, "other-issuer", good, "access")
    with pytest.raises(tokens.TokenError):
        tokens.decode(KEY, "cskh", good, "refresh")


def test_masks():
    assert masking.mask_name("Dương Tấn Hiền") == "D**** T** H***"
    assert masking.mask_phone("0907186555") == "*******555"
    assert masking.mask_address("12 Phan Ngọc Hiển, Phường 5, TP Cà Mau") == "***, Phường 5, TP Cà Mau"
    assert masking.mask_address("Không rõ") == "***"


@settings(max_examples=300)
@given(st.from_regex(r"0[35789]\d{8}", fullmatch=True), st.text(alphabet="abc ,.:", max_size=20))
def test_every_phone_in_a_log_line_is_masked(phone, filler):
    line = masking.redact_phones(f"{filler}{phone} {filler}+84{phone[1:]}")
    assert phone not in line and phone[1:] not in line


@settings(max_examples=200)
@given(st.from_regex(r"\d{8}", fullmatch=True))
def test_customer_codes_are_not_taken_for_phones(code):
    assert masking.redact_phones(f"customer {code}") == f"customer {code}"


def test_config_validation():
    assert load_settings({}).stage == "local"
    with pytest.raises(ConfigError):
        load_settings({"STAGE": "staging"})
    vnpay = {"VNPAY_HASH_SECRET_PARAM": "/cskh/prod/vnpay-hash-secret"}
    with pytest.raises(ConfigError):  # a deployed stage never takes the secret from the environment
        load_settings({"STAGE": "prod", "JWT_SECRET": "x" * 40, "JWT_SECRET_PARAM": "/p", **vnpay})
    with pytest.raises(ConfigError, match="VNPay"):
        load_settings({"STAGE": "prod", "JWT_SECRET_PARAM": "/p", "VNPAY_HASH_SECRET": "s" * 32, **vnpay})
    with pytest.raises(ConfigError, match="VNPay"):
        load_settings({"STAGE": "prod", "JWT_SECRET_PARAM": "/p"})
    with pytest.raises(ConfigError, match="https"):
        load_settings({"STAGE": "prod", "JWT_SECRET_PARAM": "/p", "VNPAY_PAY_URL": "http://pay.example/", **vnpay})
    with pytest.raises(ConfigError):
        load_settings({"STAGE": "prod"})
    with pytest.raises(ConfigError):
        load_settings({"JWT_SECRET": "short"})
    with pytest.raises(ConfigError):
        load_settings({"OTP_TTL": "forever"})
    with pytest.raises(ConfigError):
        load_settings({"STAGE": "dev", "JWT_SECRET_PARAM": "/p", "LOCAL_SMS_OUTBOX": "/tmp/x", **vnpay})
    prod = load_settings({"STAGE": "prod", "JWT_SECRET_PARAM": "/cskh/prod/jwt-secret", **vnpay})
    assert prod.table_name("invoices") == "cskh-prod-invoices" and not prod.is_local


def test_secrets_come_from_ssm_in_a_deployed_stage(monkeypatch):
    import boto3
    from moto import mock_aws

    from chalicelib import config, deps  # noqa: F401  (importing deps installs the SSM reader, as in every Lambda)

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # moto's in-process mock, not a server
    with mock_aws():
        ssm = boto3.client("ssm", region_name="ap-southeast-1")
        ssm.put_parameter(Name="/cskh/prod/jwt-secret", Value="s" * 48, Type="SecureString")
        ssm.put_parameter(Name="/cskh/prod/short", Value="short", Type="SecureString")
        prod = load_settings(
            {
                "STAGE": "prod",
                "JWT_SECRET_PARAM": "/cskh/prod/jwt-secret",
                "VNPAY_HASH_SECRET_PARAM": "/cskh/prod/short",
                "AWS_REGION": "ap-southeast-1",
            }
        )
        monkeypatch.setattr(config, "get_settings", lambda: prod)
        config.jwt_signing_key.cache_clear()
        config.vnpay_hash_secret.cache_clear()
        try:
            assert config.jwt_signing_key() == "s" * 48
            with pytest.raises(ConfigError, match="at least 8"):
                config.vnpay_hash_secret()
        finally:
            config.jwt_signing_key.cache_clear()
            config.vnpay_hash_secret.cache_clear()
