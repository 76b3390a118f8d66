"""The bank-notification services, behind ports.banks.BankNotificationSource: SePay (an API key in the
Authorization header) and Casso's webhook v2 (an HMAC-SHA512 signature with a timestamp). Each checks the
call is the service's before trusting anything in its body, and reads the body into BankTransfers
(domain/bank_notifications.py). Another service (payOS, a bank's own open API) is one more class here.
Facts and sources: docs/bank_notifications.md."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.domain import bank_notifications as rules
from chalicelib.domain.bank_notifications import Acknowledged, BankTransfer
from chalicelib.domain.shapes import to_json
from chalicelib.errors import Unauthorized
from chalicelib.observability import logger
from chalicelib.ports.common import Clock


def _acknowledged() -> dict[str, Any]:
    answer: dict[str, Any] = to_json(Acknowledged(success=True))
    return answer


def _refused(code: str, message_en: str, message_vi: str) -> Unauthorized:
    return Unauthorized(message_en, message_vi, code=code)


class SepayNotifications:
    """SePay's webhook: `Authorization: Apikey <key>` (the key set on the webhook in SePay's dashboard,
    SEPAY_API_KEY[_PARAM]); answered {"success": true}."""

    service = rules.SEPAY

    def __init__(self, api_key: Callable[[], str]) -> None:
        self._key = api_key

    def verify(self, headers: Mapping[str, str], raw: bytes) -> list[BankTransfer]:
        if not rules.sepay_key_ok(self._key(), headers.get("authorization")):
            logger.warning("SePay notification with a wrong or missing API key")
            raise _refused(
                "INVALID_API_KEY",
                "the Authorization header does not carry this webhook's API key",
                "Khoá API của webhook không đúng.",
            )
        return [rules.parse_sepay(rules.loads(raw))]

    def answer(self) -> dict[str, Any]:
        return _acknowledged()


class CassoNotifications:
    """Casso's webhook v2: `X-Casso-Signature: t=<ms>,v1=<hex HMAC-SHA512>` over '<t>.' and the body's
    JSON with sorted keys, keyed with the webhook's checksum key (CASSO_CHECKSUM_KEY[_PARAM]); a timestamp
    further than `tolerance_seconds` from now is refused (Casso does not publish one: configurable,
    CASSO_SIGNATURE_TOLERANCE_SECONDS). Answered {"success": true}."""

    service = rules.CASSO

    def __init__(self, checksum_key: Callable[[], str], clock: Clock, tolerance_seconds: int) -> None:
        self._key = checksum_key
        self.clock = clock
        self.tolerance_ms = tolerance_seconds * 1000

    def verify(self, headers: Mapping[str, str], raw: bytes) -> list[BankTransfer]:
        header = rules.casso_header(headers.get("x-casso-signature"))
        if header is None:
            logger.warning("Casso notification without a readable X-Casso-Signature")
            raise _refused(
                "INVALID_SIGNATURE",
                "X-Casso-Signature is missing or not t=<ms>,v1=<hex>",
                "Thiếu chữ ký X-Casso-Signature.",
            )
        timestamp_ms, signature = header
        body = rules.loads(raw)
        if not rules.casso_signature_ok(self._key(), timestamp_ms, signature, body):
            logger.warning("Casso notification with a bad signature")
            raise _refused("INVALID_SIGNATURE", "the signature does not match", "Chữ ký không hợp lệ.")
        if abs(self.clock.now() * 1000 - timestamp_ms) > self.tolerance_ms:
            logger.warning("Casso notification with a stale timestamp", extra={"timestamp_ms": timestamp_ms})
            raise _refused(
                "STALE_SIGNATURE",
                "the signature's timestamp is too far from now",
                "Chữ ký đã quá hạn.",
            )
        return rules.parse_casso(body)

    def answer(self) -> dict[str, Any]:
        return _acknowledged()
