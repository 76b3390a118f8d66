"""The Zalo OA token refresher: the order of its SSM writes, what a refused or failed step leaves
behind, two runs at once, logs without tokens, the settings, the OAuth request on the wire, and
the senders reading a refused token again. (Over HTTP against the local fake, with moto's SSM:
tests/api/test_zalo_token_refresh_http.py.)"""

from __future__ import annotations

import json
import secrets
import urllib.parse

import pytest
import requests
import responses

from chalicelib import deps
from chalicelib.adapters.parameters import MemoryParameters, ParameterError
from chalicelib.adapters.zalo_oauth import TokenPair, ZaloOAuthError, refresh_oa_token
from chalicelib.config import ConfigError, load_settings
from chalicelib.observability import logger
from chalicelib.services.zalo_tokens import TokenRefreshFailed, ZaloTokenRefresher

REFRESH, ACCESS = "/cskh/prod/zalo-refresh-token", "/cskh/prod/zalo-access-token"
OAUTH_URL = "https://oauth.zaloapp.com/v4/oa/access_token"
APP_KEY = secrets.token_urlsafe(15)  # the Zalo app's secret key, drawn per run
DEPLOYED = {
    "STAGE": "prod",
    "JWT_SECRET_PARAM": "/cskh/prod/jwt-secret",
    "VNPAY_HASH_SECRET_PARAM": "/cskh/prod/vnpay-hash-secret",
}


class FakeZalo:
    """Zalo's side of the refresh, in memory: single-use refresh tokens, a new pair each time."""

    def __init__(self) -> None:
        self.refresh_token = "rt-" + secrets.token_urlsafe(32)
        self.access_token = "at-" + secrets.token_urlsafe(32)
        self.issued: list[str] = [self.refresh_token, self.access_token]
        self.calls: list[str] = []

    def __call__(self, refresh_token: str) -> TokenPair:
        self.calls.append(refresh_token)
        if refresh_token != self.refresh_token:
            raise ZaloOAuthError(
                "Zalo refused the token refresh: error -14014 Invalid refresh_token",
                error=-14014,
                error_name="Invalid refresh_token",
            )
        self.refresh_token = "rt-" + secrets.token_urlsafe(32)
        self.access_token = "at-" + secrets.token_urlsafe(32)
        self.issued += [self.refresh_token, self.access_token]
        return TokenPair(self.access_token, self.refresh_token, 90000)


@pytest.fixture
def zalo():
    return FakeZalo()


@pytest.fixture
def ssm(zalo):
    return MemoryParameters({REFRESH: zalo.refresh_token, ACCESS: zalo.access_token})


def refresher(ssm, zalo) -> ZaloTokenRefresher:
    return ZaloTokenRefresher(params=ssm, refresh_param=REFRESH, access_param=ACCESS, oauth=zalo)


@pytest.fixture
def logs(caplog):
    """Every record the app's logger writes while the test runs, as text (message and fields)."""
    level = logger.log_level
    logger.setLevel("INFO")
    with caplog.at_level("INFO", logger="cskh"):
        yield lambda: "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name == "cskh")
    logger.setLevel(level)


# -- the service ---------------------------------------------------------------------------


def test_a_refresh_writes_the_new_refresh_token_before_the_access_token(ssm, zalo):
    first = zalo.refresh_token
    assert refresher(ssm, zalo).refresh() == {"status": "refreshed", "expires_in": 90000}
    assert zalo.calls == [first]
    assert ssm.writes == [REFRESH, ACCESS]
    assert ssm.values == {REFRESH: zalo.refresh_token, ACCESS: zalo.access_token}
    refresher(ssm, zalo).refresh()  # the next run trades the rotated one
    assert zalo.calls[1] != first and ssm.values[REFRESH] == zalo.refresh_token


def test_a_spent_refresh_token_raises_and_leaves_ssm_unchanged(ssm, zalo):
    ssm.values[REFRESH] = "rt-spent-" + secrets.token_urlsafe(16)
    before = dict(ssm.values)
    with pytest.raises(TokenRefreshFailed, match=r"-14014 Invalid refresh_token.*spent or expired"):
        refresher(ssm, zalo).refresh()
    assert ssm.values == before and ssm.writes == []


def test_zalo_unreachable_writes_nothing_and_says_the_next_run_tries_again(ssm, zalo):
    def down(_):
        raise ZaloOAuthError("Zalo OAuth unreachable: ConnectTimeout", answered=False)

    before = dict(ssm.values)
    with pytest.raises(TokenRefreshFailed, match="next run tries again"):
        ZaloTokenRefresher(params=ssm, refresh_param=REFRESH, access_param=ACCESS, oauth=down).refresh()
    assert ssm.values == before


def test_an_access_token_write_failure_leaves_a_refresh_token_that_works_next_run(ssm, zalo):
    ssm.failing_puts = {ACCESS}
    old_access = ssm.values[ACCESS]
    with pytest.raises(TokenRefreshFailed, match="new refresh token is stored"):
        refresher(ssm, zalo).refresh()
    assert ssm.values[REFRESH] == zalo.refresh_token  # the new one, though Zalo spent the old
    assert ssm.values[ACCESS] == old_access
    ssm.failing_puts = set()
    assert refresher(ssm, zalo).refresh()["status"] == "refreshed"
    assert ssm.values == {REFRESH: zalo.refresh_token, ACCESS: zalo.access_token}
    assert len(zalo.calls) == 2 and zalo.calls[1] == zalo.issued[2]  # the run after traded the stored one


def test_a_refresh_token_write_failure_says_the_pair_is_lost(ssm, zalo):
    ssm.failing_puts = {REFRESH}
    with pytest.raises(TokenRefreshFailed, match="authorised again"):
        refresher(ssm, zalo).refresh()
    assert ssm.writes == []  # not the access token either


def test_two_runs_reading_the_same_refresh_token_one_wins_the_other_fails_loudly(ssm, zalo):
    stale = ssm.values[REFRESH]
    refresher(ssm, zalo).refresh()  # run A
    pair = dict(ssm.values)

    class ReadBeforeA(MemoryParameters):  # run B read the token before A wrote
        first = True

        def get(self, name):
            if self.first and name == REFRESH:
                self.first = False
                return stale
            return super().get(name)

    b = ReadBeforeA(ssm.values)
    with pytest.raises(TokenRefreshFailed, match=r"another run got.*nothing needs doing"):
        refresher(b, zalo).refresh()
    assert b.values == pair and b.writes == []  # A's pair, untouched


def test_a_run_that_refreshes_between_anothers_two_writes_is_detected(ssm, zalo):
    """B reads the refresh token A has just written and finishes before A writes its (older) access
    token: A notices, fails, and its retry leaves a consistent pair."""

    class Interleaved(MemoryParameters):
        hooked = False

        def put(self, name, value):
            if name == ACCESS and not self.hooked:
                self.hooked = True
                refresher(self, zalo).refresh()  # run B, entirely, between A's two writes
            super().put(name, value)

    params = Interleaved(ssm.values)
    with pytest.raises(TokenRefreshFailed, match="another run refreshed"):
        refresher(params, zalo).refresh()
    assert params.values[ACCESS] != zalo.access_token  # A's older token went over B's
    refresher(params, zalo).refresh()  # Lambda's retry
    assert params.values == {REFRESH: zalo.refresh_token, ACCESS: zalo.access_token}


class LeakyParameters(MemoryParameters):
    """An SSM whose errors quote the value they refused (as some AWS validation messages do)."""

    def put(self, name, value):
        if name == ACCESS:
            raise ParameterError(f"ValidationException: Value '{value}' at 'value' failed to satisfy constraint")
        super().put(name, value)


def test_no_token_value_appears_in_logs_or_errors(zalo, logs):
    seen = []
    ok = MemoryParameters({REFRESH: zalo.refresh_token, ACCESS: zalo.access_token})
    refresher(ok, zalo).refresh()
    leaky = LeakyParameters(dict(ok.values))
    with pytest.raises(TokenRefreshFailed) as failed:
        refresher(leaky, zalo).refresh()
    seen.append(str(failed.value))
    leaky.values[REFRESH] = "rt-spent-" + secrets.token_urlsafe(16)
    spent = leaky.values[REFRESH]
    with pytest.raises(TokenRefreshFailed) as refused:
        refresher(leaky, zalo).refresh()
    seen.append(str(refused.value))
    text = logs() + "\n".join(seen)
    assert "zalo tokens refreshed" in text and "zalo access token not stored" in text
    assert "refresh failed, nothing written" in text
    for token in zalo.issued + [spent]:
        assert token not in text
    assert "[redacted]" in seen[0]


def test_the_oauth_answer_with_a_short_lifetime_is_warned_about(ssm, zalo, logs):
    def short(refresh_token):
        pair = zalo(refresh_token)
        return TokenPair(pair.access_token, pair.refresh_token, 3600)

    ZaloTokenRefresher(params=ssm, refresh_param=REFRESH, access_param=ACCESS, oauth=short).refresh()
    assert "lives less than the refresh interval" in logs()


# -- the job, off and on ------------------------------------------------------------------------


def _fire(name="refresh_zalo_token"):
    import datetime as dt

    from app import app
    from local.events import lambda_context, scheduled_event

    event = scheduled_event(
        f"arn:aws:events:ap-southeast-1:123456789012:rule/cskh-test-{name}-event",
        dt.datetime.now(dt.UTC),
        "ap-southeast-1",
    )
    return app.handler_map[name](event, lambda_context(f"cskh-test-{name}"))


def test_the_job_is_off_and_harmless_when_unconfigured(logs):
    deps.reset()
    try:
        result = _fire()
    finally:
        deps.reset()
    assert result == {
        "status": "off",
        "missing": ["ZALO_APP_ID", "ZALO_APP_SECRET[_PARAM]", "ZALO_REFRESH_TOKEN_PARAM", "ZALO_ACCESS_TOKEN_PARAM"],
    }
    assert "zalo token refresher off" in logs()


def test_the_job_runs_the_refresher_and_fails_when_it_fails(ssm, zalo):
    deps.override("zalo_tokens", refresher(ssm, zalo))
    try:
        assert _fire()["status"] == "refreshed" and ssm.values[ACCESS] == zalo.access_token
        ssm.values[REFRESH] = "rt-spent"
        with pytest.raises(TokenRefreshFailed):  # raises: the function's Errors alarm fires
            _fire()
    finally:
        deps.reset()


# -- settings ----------------------------------------------------------------------------------


def test_the_refresher_needs_all_four_settings():
    on = {
        "ZALO_APP_ID": "3456789012345678",
        "ZALO_APP_SECRET_PARAM": "/cskh/prod/zalo-app-secret",
        "ZALO_REFRESH_TOKEN_PARAM": REFRESH,
        "ZALO_ACCESS_TOKEN_PARAM": ACCESS,
    }
    s = load_settings({**DEPLOYED, **on})
    assert s.zalo_refresher_missing == () and s.zalo_oauth_url == OAUTH_URL
    assert s.zalo_app_secret_param == "/cskh/prod/zalo-app-secret" and s.zalo_app_secret is None
    for name in on:
        left = load_settings({**DEPLOYED, **{k: v for k, v in on.items() if k != name}})
        assert left.zalo_refresher_missing == (name.replace("_SECRET_PARAM", "_SECRET[_PARAM]"),)
    local = load_settings({"ZALO_APP_SECRET": APP_KEY, **{k: v for k, v in on.items() if k != "ZALO_APP_SECRET_PARAM"}})
    assert local.zalo_refresher_missing == () and local.zalo_app_secret == APP_KEY
    assert APP_KEY not in repr(local)


def test_config_refuses_the_app_secret_and_tokens_in_a_deployed_stages_environment():
    with pytest.raises(ConfigError, match="ZALO_APP_SECRET_PARAM"):
        load_settings({**DEPLOYED, "ZALO_APP_SECRET": APP_KEY})
    with pytest.raises(ConfigError, match="ZALO_REFRESH_TOKEN_PARAM"):
        load_settings({**DEPLOYED, "ZALO_REFRESH_TOKEN": "rt-123456"})
    with pytest.raises(ConfigError, match="ZALO_REFRESH_TOKEN"):
        load_settings({"ZALO_REFRESH_TOKEN": "rt-123456"})  # not read anywhere, so refused everywhere
    with pytest.raises(ConfigError, match="two parameters"):
        load_settings({**DEPLOYED, "ZALO_REFRESH_TOKEN_PARAM": ACCESS, "ZALO_ACCESS_TOKEN_PARAM": ACCESS})
    with pytest.raises(ConfigError, match="would hide"):
        load_settings({"ZALO_REFRESH_TOKEN_PARAM": REFRESH, "ZALO_ACCESS_TOKEN": "at-123456"})
    with pytest.raises(ConfigError, match="ZALO_OAUTH_URL"):
        load_settings({**DEPLOYED, "ZALO_OAUTH_URL": "http://127.0.0.1:8002/zalo-oauth/v4/oa/access_token"})
    assert load_settings({"ZALO_OAUTH_URL": "http://127.0.0.1:8002/x"}).zalo_oauth_url == "http://127.0.0.1:8002/x"


# -- the adapter on the wire ---------------------------------------------------------------------


@responses.activate
def test_the_oauth_request_and_a_string_expires_in():
    responses.post(OAUTH_URL, json={"access_token": "AT-new", "refresh_token": "RT-new", "expires_in": "90000"})
    pair = refresh_oa_token(OAUTH_URL, "3456789012345678", APP_KEY, "RT-old")
    assert pair == TokenPair("AT-new", "RT-new", 90000) and "AT-new" not in repr(pair)
    call = responses.calls[0].request
    assert call.headers["secret_key"] == APP_KEY
    assert call.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert dict(urllib.parse.parse_qsl(call.body)) == {
        "app_id": "3456789012345678",
        "grant_type": "refresh_token",
        "refresh_token": "RT-old",
    }


@responses.activate
def test_zalos_errors_are_named_without_the_secrets():
    responses.post(
        OAUTH_URL,
        json={
            "error": -14014,
            "error_name": "Invalid refresh_token",
            "error_description": f"refresh_token RT-old is invalid (key {APP_KEY})",
        },
    )
    responses.post(OAUTH_URL, json={"error": "-14002", "error_name": "Invalid secret_key"})
    responses.post(OAUTH_URL, status=502, body="<html>Bad gateway</html>")
    responses.post(OAUTH_URL, json={"access_token": "AT-new", "expires_in": 90000})
    responses.post(OAUTH_URL, body=requests.ConnectTimeout("https://oauth.zaloapp.com RT-old"))
    errors = []
    for _ in range(5):
        with pytest.raises(ZaloOAuthError) as caught:
            refresh_oa_token(OAUTH_URL, "3456789012345678", APP_KEY, "RT-old")
        errors.append(caught.value)
    assert (errors[0].error, errors[0].error_name) == (-14014, "Invalid refresh_token") and errors[0].answered
    assert "-14014 Invalid refresh_token" in str(errors[0])
    assert errors[1].error == -14002 and "Invalid secret_key" in str(errors[1])
    assert "HTTP 502" in str(errors[2])
    assert "without refresh_token" in str(errors[3])
    assert not errors[4].answered and "unreachable: ConnectTimeout" in str(errors[4])
    assert [e.answered for e in errors] == [True, True, False, False, False]
    for exc in errors:
        assert "RT-old" not in str(exc) and APP_KEY not in str(exc)
    assert errors[4].__cause__ is None and errors[4].__suppress_context__  # requests' text is not chained


# -- the senders read a refused token again -------------------------------------------------------


@responses.activate
def test_a_chat_sender_reads_a_refused_zalo_token_again_once_a_minute(monkeypatch):
    from chalicelib.adapters import chat_platforms
    from chalicelib.adapters.chat_platforms import DeliveryFailed, HttpChatSender
    from chalicelib.config import get_settings

    url = f"{get_settings().zalo_api_url}/v3.0/oa/message/cs"
    responses.post(url, json={"error": -216, "message": "Access token is invalid"})
    responses.post(url, json={"error": -216, "message": "Access token is invalid"})
    responses.post(url, json={"error": 0, "message": "Success", "data": {"message_id": "z1"}})
    tokens = iter(["OLD-TOKEN", "NEW-TOKEN"])
    sender = HttpChatSender(facebook_token=lambda: None, zalo_token=lambda: next(tokens))
    now = [1000.0]
    monkeypatch.setattr(chat_platforms.time, "monotonic", lambda: now[0])
    with pytest.raises(DeliveryFailed):
        sender.send("zalo", "2468", "a")  # read just now: not read again at once
    now[0] += 61
    with pytest.raises(DeliveryFailed):
        sender.send("zalo", "2468", "a")  # still OLD; refused a minute after reading it
    sender.send("zalo", "2468", "a")  # read again: NEW
    assert [c.request.headers["access_token"] for c in responses.calls] == ["OLD-TOKEN", "OLD-TOKEN", "NEW-TOKEN"]


def test_zns_reads_a_refused_token_again(monkeypatch):
    from chalicelib.adapters import notifier as n
    from chalicelib.domain import reminders as rules
    from chalicelib.store.models import CustomerModel

    tokens = iter(["OLD-TOKEN", "NEW-TOKEN"])
    monkeypatch.setattr(n, "zalo_access_token", lambda: next(tokens))
    monkeypatch.setattr(
        n,
        "get_settings",
        lambda: type("S", (), {"zalo_template_id": "tpl-1", "zalo_zns_url": "https://zns.test/message/template"})(),
    )
    now = [1000.0]
    from chalicelib.adapters import chat_platforms  # the token cache the ZNS sender shares

    monkeypatch.setattr(chat_platforms.time, "monotonic", lambda: now[0])
    customer = CustomerModel("09999003", ledger_no="L", name="N", address="A", phone="0988000333")
    message = rules.compose(
        rules.find_level("overdue_7"),
        "zalo",
        invoice_id="INV-3",
        customer_code="09999003",
        period="2030-12",
        amount=78255,
        due_date="2031-01-15",
        link_base="https://x.vn/p?i=",
    )
    with responses.RequestsMock() as mock:
        mock.post("https://zns.test/message/template", json={"error": -124, "message": "Access token invalid"})
        mock.post("https://zns.test/message/template", json={"error": 0, "message": "Success"})
        zns = n.ZaloZns()
        zns._token.get()  # read at t=1000
        now[0] += 61
        with pytest.raises(n.DeliveryFailed):
            zns.send(customer, message)
        zns.send(customer, message)
        assert [json.loads(c.request.body)["phone"] for c in mock.calls] == ["84988000333"] * 2
        assert [c.request.headers["access_token"] for c in mock.calls] == ["OLD-TOKEN", "NEW-TOKEN"]
