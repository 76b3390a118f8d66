"""Retention (Decree 13/2023/ND-CP: keep personal data and secrets no longer than their
purpose): every short-lived item kind has a TTL attribute that its writer sets within
the bound docs/personal-data.md states, every such table has TTL enabled in the
deployed template, uploads expire from S3, and logs and queues have bounded retention.
No engines: the writers run against capturing fakes."""

from __future__ import annotations

import pytest

from chalicelib.adapters.clock import FixedClock
from chalicelib.adapters.notifications import MemorySms

NOW = 1_750_000_000
HOUR, DAY = 3600, 86400

# The documented bounds (docs/personal-data.md, "Retention"): table -> (TTL attribute, longest life in seconds).
TTL_BOUNDS = {
    "one_time_codes": ("expires_at", 15 * 60),  # 5 minutes by default; config caps OTP_TTL at 15
    "sessions": ("expires_at", 90 * DAY),  # 30 days by default; config caps REFRESH_TOKEN_TTL at 90
    "counters": ("expires_at", HOUR + 60),  # rate-limit windows: at most an hour and a minute
    "reminders": ("expires_at", 120 * DAY),  # a dunning level goes out once per invoice
    "chat_link_codes": ("expires_at", 15 * 60),  # one-time chat link codes
    "chat_events": ("expires_at", 7 * DAY),  # chat redelivery dedupe
    "partner_nonces": ("expires_at", 10 * 60),  # a bill-pay partner's nonces: 10 minutes from use
    "bank_notifications": ("expires_at", 90 * DAY),  # SePay/Casso redelivery dedupe (the money's guard stays)
    "water_cut_deliveries": ("expires_at", 90 * DAY),  # who was told of a water cut's revision (issue 18)
}


def _short(model) -> str:
    from chalicelib.config import get_settings

    return model.Meta.table_name[len(get_settings().table_prefix) :]


def test_every_ttl_table_is_documented_and_every_documented_one_has_ttl():
    from chalicelib.store.models import ALL_MODELS

    with_ttl = {_short(m): m.Meta.ttl_attribute for m in ALL_MODELS if getattr(m.Meta, "ttl_attribute", None)}
    known = {_short(m) for m in ALL_MODELS}
    assert {t: a for t, (a, _) in TTL_BOUNDS.items() if t in known} == with_ttl


def test_ttl_is_enabled_on_those_tables_in_the_deployed_template():
    from infra.package import data_resources, table_logical_id

    resources = data_resources("prod")
    from chalicelib.store.models import ALL_MODELS

    for model in ALL_MODELS:
        short = _short(model)
        if short not in TTL_BOUNDS:
            continue
        spec = resources[table_logical_id(short)]["Properties"].get("TimeToLiveSpecification")
        assert spec == {"AttributeName": TTL_BOUNDS[short][0], "Enabled": True}, short


def test_uploads_expire_and_logs_and_dead_letters_are_bounded():
    from infra.package import DLQ_RETENTION_SECONDS, LOG_RETENTION_DAYS, data_resources

    resources = data_resources("prod")
    rules = resources["ImportsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    # Every object the code writes lives under imports/ (uploads and error reports).
    assert any(r["Status"] == "Enabled" and r["Prefix"] == "imports/" and r["ExpirationInDays"] <= 30 for r in rules)
    assert any(
        r["Status"] == "Enabled" and r.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation", 99) <= 7
        for r in rules
    )
    assert max(LOG_RETENTION_DAYS.values()) <= 90
    assert DLQ_RETENTION_SECONDS <= 14 * DAY
    queues = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::SQS::Queue"]
    # Main queues keep SQS's default of 4 days; nothing asks for longer.
    assert all(q.get("MessageRetentionPeriod", 4 * DAY) <= 14 * DAY for q in queues)


def test_s3_object_keys_written_by_the_code_are_under_the_expiring_prefix():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "chalicelib"
    keys = set()
    for path in root.rglob("*.py"):
        keys |= set(re.findall(r'(?:object_key|key)\s*=\s*f?"([a-z_]+/)', path.read_text(encoding="utf-8")))
    assert keys and keys <= {"imports/"}, keys


# -- the writers set expiries within the bounds ------------------------------------------------


class _Capture:
    """Fakes of the auth service's stores that keep the expiries they are given."""

    def __init__(self):
        self.expiries: dict[str, list[int]] = {"counters": [], "one_time_codes": [], "sessions": []}

    # counters
    def hit(self, key, expires_at):
        self.expiries["counters"].append(expires_at)
        return 1

    def peek(self, key):
        return 0

    # one-time codes
    def put(self, otp_key, code_hash, nonce, now, ttl, resend_after):
        self.expiries["one_time_codes"].append(now + ttl)
        return True

    # sessions
    def create(self, family, account_id, token_id, now, expires_at, account_epoch=0):
        self.expiries["sessions"].append(expires_at)


class _Customer:
    code, phone, name, address, house_no = "01031059", "0912345678", "A B", "1 X, Y", "1"


class _Customers:
    def get(self, code):
        return _Customer()

    def find_by_phone(self, phone):
        return []


class _Accounts:
    def get(self, account_id):
        return None

    def holder_of(self, code):
        return None


@pytest.mark.parametrize("offset", [0, 1, 1799, 3599])  # anywhere in a rate-limit window
def test_auth_writes_codes_counters_and_sessions_within_their_bounds(offset):
    from chalicelib.config import get_settings
    from chalicelib.errors import InvalidCredentials
    from chalicelib.services.auth import AuthService
    from chalicelib.store.models import AccountModel

    now = NOW - NOW % 3600 + offset
    cap = _Capture()
    settings = get_settings()
    service = AuthService(
        settings=settings,
        customers=_Customers(),
        accounts=_Accounts(),
        sessions=cap,
        otps=cap,
        counters=cap,
        sms=MemorySms(),
        clock=FixedClock(now),
        signing_key=lambda: "k" * 48,
    )
    service.lookup("1.2.3.4", phone="0912345678")
    service.start_registration("1.2.3.4", "01031059")
    with pytest.raises(InvalidCredentials):
        service.login("1.2.3.4", "01031059", "Wrong-pass-2024")
    service._issue(
        AccountModel("customer:01031059", role="customer", login="01031059", customer_codes=[], session_epoch=0)
    )
    for table, expiries in cap.expiries.items():
        assert expiries, table
        for expires_at in expiries:
            assert now < expires_at <= now + TTL_BOUNDS[table][1], (table, expires_at - now)


def test_a_rotated_session_moves_its_expiry_by_the_refresh_lifetime_only(monkeypatch):
    from chalicelib.config import get_settings
    from chalicelib.store.auth import SessionStore
    from chalicelib.store.models import SessionModel

    seen = {}

    def fake_update(self, actions=None, condition=None, **kw):
        seen["actions"] = [str(a) for a in actions]
        seen["expires"] = [a for a in actions if "expires_at" in str(a)]

    monkeypatch.setattr(SessionModel, "update", fake_update)
    expires = NOW + get_settings().refresh_token_ttl
    SessionStore().rotate("fam", "old", "new", NOW, expires)
    assert seen["expires"] and expires - NOW <= TTL_BOUNDS["sessions"][1]


def test_reminder_records_expire_within_their_bound(monkeypatch):
    from chalicelib.store.models import ReminderModel
    from chalicelib.store.reminders import ReminderStore

    saved = []
    monkeypatch.setattr(ReminderModel, "save", lambda self, condition=None, **kw: saved.append(self))
    assert ReminderStore().claim("INV-1#d0", "01031059", "d0", NOW) is True
    [item] = saved
    assert NOW < item.expires_at <= NOW + TTL_BOUNDS["reminders"][1]


def test_one_time_code_and_session_lifetimes_are_capped_by_the_config():
    from chalicelib.config import ConfigError, load_settings

    base = {"STAGE": "test", "JWT_SECRET": "x" * 48}
    for name, table in (("OTP_TTL", "one_time_codes"), ("REFRESH_TOKEN_TTL", "sessions")):
        too_long = str(TTL_BOUNDS[table][1] + 1)
        with pytest.raises(ConfigError):
            load_settings({**base, name: too_long})


def test_chat_codes_and_events_expire_within_their_bounds():
    chat = pytest.importorskip("chalicelib.services.chat")
    from chalicelib.config import get_settings

    assert 0 < chat.LINK_CODE_TTL <= TTL_BOUNDS["chat_link_codes"][1]
    max_age = getattr(get_settings(), "chat_event_max_age", 0)
    assert max(2 * DAY, 2 * max_age) <= TTL_BOUNDS["chat_events"][1]


def test_partner_nonces_expire_within_their_bound(monkeypatch):
    from chalicelib.domain.partner_signature import NONCE_TTL_S
    from chalicelib.store.models import PartnerNonceModel
    from chalicelib.store.partners import NonceStore

    saved = []
    monkeypatch.setattr(PartnerNonceModel, "save", lambda self, condition=None, **kw: saved.append(self))
    assert NonceStore().claim("DEMOBANK", "n" * 32, NOW, NOW + NONCE_TTL_S) is True
    [item] = saved
    assert NOW < item.expires_at <= NOW + TTL_BOUNDS["partner_nonces"][1]


def test_bank_notifications_expire_within_their_bound(monkeypatch):
    from chalicelib.store.bank_notifications import BankNotificationStore
    from chalicelib.store.models import BankNotificationModel

    saved = []
    monkeypatch.setattr(BankNotificationModel, "save", lambda self, condition=None, **kw: saved.append(self))
    BankNotificationStore().remember("sepay#92704", line_id="VCB#FT1", outcome="matched", received_at=NOW)
    [item] = saved
    assert NOW < item.expires_at <= NOW + TTL_BOUNDS["bank_notifications"][1]
