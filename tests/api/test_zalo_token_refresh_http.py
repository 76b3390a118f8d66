"""The Zalo token refresher for real, against local/chat_fakes.py over HTTP (its OAuth endpoint and
its OA message API) with the tokens in moto's SSM: the job as the event runner fires it, twice,
then the chat worker, fed from moto's SQS, sends with the access token the job wrote."""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid

import pytest

from chalicelib import deps
from local.chat_fakes import Fakes, make_server

APP_ID = "3456789012345678"
APP_SECRET = secrets.token_urlsafe(21)  # the Zalo app's secret key, drawn per run


@pytest.fixture
def fakes():
    f = Fakes(
        api_url="http://127.0.0.1:9",
        facebook_app_secret="x" * 16,
        facebook_page_token="p" * 16,
        facebook_verify_token="v",
        zalo_app_id=APP_ID,
        zalo_oa_secret="o" * 16,
        zalo_access_token="unused-until-authorised",
        zalo_app_secret=APP_SECRET,
    )
    server = make_server(f)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    f.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield f
    server.shutdown()
    server.server_close()


@pytest.fixture
def ssm(engines):
    import boto3

    from chalicelib.config import get_settings

    s = get_settings()
    return boto3.client("ssm", region_name=s.region, endpoint_url=s.aws_endpoint)


@pytest.fixture
def configured(engines, fakes, ssm, monkeypatch):
    """The stage configured as docs/deploy.md says, with the first pair from the OA's 'authorisation'."""
    import requests

    from chalicelib import config
    from chalicelib.adapters import parameters

    first = requests.post(f"{fakes.base}/fake/zalo/authorize", json={}, timeout=10).json()
    run = uuid.uuid4().hex[:8]
    names = {"refresh": f"/cskh/test/{run}/zalo-refresh-token", "access": f"/cskh/test/{run}/zalo-access-token"}
    ssm.put_parameter(Name=names["refresh"], Value=first["refresh_token"], Type="SecureString")
    ssm.put_parameter(Name=names["access"], Value=first["access_token"], Type="SecureString")
    for key, value in {
        "ZALO_APP_ID": APP_ID,
        "ZALO_APP_SECRET": APP_SECRET,
        "ZALO_REFRESH_TOKEN_PARAM": names["refresh"],
        "ZALO_ACCESS_TOKEN_PARAM": names["access"],
        "ZALO_OAUTH_URL": f"{fakes.base}/zalo-oauth/v4/oa/access_token",
        "ZALO_API_URL": f"{fakes.base}/zalo",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ZALO_ACCESS_TOKEN", raising=False)
    config.get_settings.cache_clear()
    parameters._ssm.cache_clear()
    deps.reset()
    yield {**names, "first": first}
    monkeypatch.undo()
    config.get_settings.cache_clear()
    parameters._ssm.cache_clear()
    deps.reset()


def _runner():
    from app import app
    from local.events import EventRunner

    return EventRunner(app, retry_delays=())


def _stored(ssm, name):
    return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


def test_two_refreshes_in_a_row_then_the_chat_worker_sends_with_the_new_token(configured, fakes, ssm):
    from chalicelib.adapters.chat_platforms import DeliveryFailed, HttpChatSender
    from chalicelib.adapters.zalo_oauth import ZaloOAuthError, refresh_oa_token
    from chalicelib.config import get_settings

    runner = _runner()
    job = next(s for s in runner.schedule_sources if s.name == "refresh_zalo_token")
    first = configured["first"]
    stored = []
    for _ in range(2):
        assert runner.fire(job) == {"status": "refreshed", "expires_in": 90000}
        pair = (_stored(ssm, configured["refresh"]), _stored(ssm, configured["access"]))
        assert pair == (fakes.zalo_refresh_token, fakes.zalo_access_token)  # what Zalo issued last
        stored.append(pair)
    assert fakes.oauth_calls == [0, 0]  # the second run traded the token the first one stored
    assert len({first["refresh_token"], stored[0][0], stored[1][0]}) == 3
    # The spent ones stay spent, as Zalo's are single use.
    with pytest.raises(ZaloOAuthError, match="-14014"):
        refresh_oa_token(get_settings().zalo_oauth_url, APP_ID, APP_SECRET, stored[0][0])
    # The first access token no longer works on the fake's OA API (it is strict about that) ...
    with pytest.raises(DeliveryFailed, match="-216"):
        HttpChatSender(facebook_token=lambda: None, zalo_token=lambda: first["access_token"]).send("zalo", "1", "x")

    # ... and the chat worker, fed through moto's SQS, sends with the one the job wrote.
    from chalicelib.adapters.queues import SqsPublisher

    user = f"z{uuid.uuid4().hex[:12]}"
    SqsPublisher().publish("chat", {"platform": "zalo", "recipient": user, "text": "Mã KH 01031059 – kỳ 05/2023"})
    worker = next(s for s in runner.sqs_sources if s.name == "chat_worker")
    deadline = time.monotonic() + 30
    while not [m for m in fakes.outbox if m["recipient"] == user] and time.monotonic() < deadline:
        runner.poll_once(worker, wait_seconds=1)
    sent = [m for m in fakes.outbox if m["recipient"] == user]
    assert [m["text"] for m in sent] == ["Mã KH 01031059 – kỳ 05/2023"]


def test_a_spent_refresh_token_in_ssm_fails_the_job_and_changes_nothing(configured, fakes, ssm):
    from chalicelib.services.zalo_tokens import TokenRefreshFailed

    runner = _runner()
    job = next(s for s in runner.schedule_sources if s.name == "refresh_zalo_token")
    assert runner.fire(job)["status"] == "refreshed"
    fakes.zalo_authorize()  # the app was authorised again in Zalo: SSM's pair is spent
    before = (_stored(ssm, configured["refresh"]), _stored(ssm, configured["access"]))
    versions = ssm.get_parameter(Name=configured["refresh"])["Parameter"]["Version"]
    with pytest.raises(TokenRefreshFailed, match=r"-14014 Invalid refresh_token.*spent or expired"):
        runner.fire(job)
    assert (_stored(ssm, configured["refresh"]), _stored(ssm, configured["access"])) == before
    assert ssm.get_parameter(Name=configured["refresh"])["Parameter"]["Version"] == versions
    assert fakes.oauth_calls == [0, -14014]


def test_a_wrong_app_secret_is_refused_by_the_fake(configured, fakes, monkeypatch):
    from chalicelib.adapters.zalo_oauth import ZaloOAuthError, refresh_oa_token
    from chalicelib.config import get_settings

    with pytest.raises(ZaloOAuthError, match="-14002 Invalid secret_key"):
        refresh_oa_token(get_settings().zalo_oauth_url, APP_ID, "another-secret", fakes.zalo_refresh_token)
    with pytest.raises(ZaloOAuthError, match="-14001"):
        refresh_oa_token(get_settings().zalo_oauth_url, "1", APP_SECRET, fakes.zalo_refresh_token)
    import requests

    answer = requests.post(
        get_settings().zalo_oauth_url,
        headers={"secret_key": APP_SECRET},
        timeout=10,
        json={"app_id": APP_ID, "grant_type": "refresh_token", "refresh_token": fakes.zalo_refresh_token},
    )
    assert answer.status_code == 200 and json.loads(answer.text)["error"] == -14003  # a form, not JSON
    assert fakes.oauth_calls == [-14002, -14001]
