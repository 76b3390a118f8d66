"""local/bank_fakes.py: it agrees with our code where it must (demo keys, VietQR, references, Casso's
signature) without importing it, and it retries a non-2xx answer as the services do."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from chalicelib import config
from chalicelib.domain import bank_notifications as bn
from chalicelib.domain import payment_reference as pr
from chalicelib.domain import vietqr
from local import bank_fakes


def test_the_fakes_demo_values_are_the_local_stages():
    assert bank_fakes.DEMO_SEPAY_API_KEY == config.DEMO_SEPAY_API_KEY
    assert bank_fakes.DEMO_CASSO_CHECKSUM_KEY == config.DEMO_CASSO_CHECKSUM_KEY
    local = config.load_settings({"STAGE": "local"})
    assert (local.vietqr_bank_bin, local.vietqr_account_no) == (bank_fakes.DEMO_BANK_BIN, bank_fakes.DEMO_ACCOUNT_NO)
    assert (local.sepay_api_key, local.casso_checksum_key) == (
        config.DEMO_SEPAY_API_KEY,
        config.DEMO_CASSO_CHECKSUM_KEY,
    )
    assert config.load_settings({"STAGE": "local", "SEPAY_API_KEY": "k" * 20}).sepay_api_key == "k" * 20


def test_a_deployed_stage_takes_its_keys_from_ssm_only():
    base = {"STAGE": "prod", "JWT_SECRET_PARAM": "/j", "VNPAY_HASH_SECRET_PARAM": "/v"}
    prod = config.load_settings(base)
    assert prod.sepay_api_key is None and prod.casso_checksum_key is None  # off until a *_PARAM is set
    with pytest.raises(config.ConfigError, match="SEPAY_API_KEY_PARAM"):
        config.load_settings(dict(base, SEPAY_API_KEY="x" * 20))
    on = config.load_settings(dict(base, CASSO_CHECKSUM_KEY_PARAM="/cskh/prod/casso"))
    assert on.casso_checksum_key_param == "/cskh/prod/casso" and on.casso_checksum_key is None


def test_the_fake_reads_our_vietqr_codes_and_writes_our_references():
    code = "01031059"
    payload = vietqr.build(
        vietqr.Transfer("970436", "1012345678", 78255, vietqr.purpose(pr.for_invoice(code, "2026-05")))
    )
    assert bank_fakes.read_vietqr(payload) == {
        "bin": "970436",
        "account": "1012345678",
        "amount": 78255,
        "purpose": vietqr.purpose(pr.for_invoice(code, "2026-05")),
    }
    assert bank_fakes.reference(f"TN{code}") == pr.for_account(code)
    assert bank_fakes.reference(f"TH2605{code}") == pr.for_invoice(code, "2026-05")
    with pytest.raises(ValueError):
        bank_fakes.read_vietqr(payload[:-1] + ("0" if payload[-1] != "0" else "1"))


class _Flaky(BaseHTTPRequestHandler):
    """Answers 503 twice, then 200; keeps what it was sent."""

    calls: ClassVar[list] = []

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append((self.path, dict(self.headers), raw))
        status = 503 if len(type(self).calls) <= 2 else 200
        body = json.dumps({"success": True} if status == 200 else {"code": "SERVICE_UNAVAILABLE"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_the_fake_signs_as_the_services_do_and_retries_until_2xx():
    handler = type("Flaky", (_Flaky,), {"calls": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fakes = bank_fakes.Fakes.from_env(f"http://127.0.0.1:{server.server_port}", retry_seconds=0.01, env={})
        out = fakes.notify("casso", amount=100000, content="TN01031059K TIEN NUOC")
        [sent] = out["sent"]
        assert [a["status"] for a in sent["attempts"]] == [503, 503, 200] and sent["delivered"]
        path, headers, raw = handler.calls[-1]
        assert path == "/v1/banks/casso/webhook"
        t, sig = bn.casso_header(headers["X-Casso-Signature"])
        body = json.loads(raw)
        assert bn.casso_signature_ok(config.DEMO_CASSO_CHECKSUM_KEY, t, sig, body)
        [transfer] = bn.parse_casso(body)
        assert (transfer.amount, transfer.account_number, transfer.direction) == (100000, "1012345678", "in")
        handler.calls.clear()
        handler.calls.extend([None, None])  # the next call is answered 200 at once
        fakes.notify("sepay", amount=5000, content="x")
        _, headers, raw = handler.calls[-1]
        assert bn.sepay_key_ok(config.DEMO_SEPAY_API_KEY, headers["Authorization"])
        assert bn.parse_sepay(json.loads(raw)).amount == 5000
    finally:
        server.shutdown()
        server.server_close()


def test_the_bank_app_page_pays_a_pasted_vietqr_code():
    import urllib.parse
    import urllib.request

    handler = type("Flaky", (_Flaky,), {"calls": [None, None]})  # answers 200 from the first call
    api = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    fakes = bank_fakes.Fakes.from_env(f"http://127.0.0.1:{api.server_port}", retry_seconds=0.01, env={})
    server = bank_fakes.make_server(fakes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with urllib.request.urlopen(f"{base}/bank-app", timeout=10) as page:
            assert page.status == 200 and "Pay a VietQR code" in page.read().decode()
        payload = vietqr.build(
            vietqr.Transfer("970436", "1012345678", 75900, vietqr.purpose(pr.for_account("01031059")))
        )
        form = urllib.parse.urlencode({"payload": payload, "service": "sepay"}).encode()
        with urllib.request.urlopen(urllib.request.Request(f"{base}/bank-app/pay", data=form), timeout=10) as paid:
            assert paid.status == 200 and "delivered" in paid.read().decode()
        _, _, raw = handler.calls[-1]
        transfer = bn.parse_sepay(json.loads(raw))
        assert (transfer.amount, transfer.content) == (75900, vietqr.purpose(pr.for_account("01031059")))
        with urllib.request.urlopen(f"{base}/fake/sent", timeout=10) as sent:
            assert json.loads(sent.read())["sent"][0]["delivered"]
    finally:
        server.shutdown()
        server.server_close()
        api.shutdown()
        api.server_close()
