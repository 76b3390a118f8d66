"""VNPay's merchant API (querydr, refund) over HTTPS with `requests`: both
requests and answers are checked against VNPay's '|'-joined checksums."""
from __future__ import annotations

import secrets
from typing import Callable

from chalicelib.config import Settings
from chalicelib.domain import vnpay


class VnpayUnavailable(Exception):
    """No trustworthy answer (network, HTTP status, bad checksum): try later."""


class VnpayClient:
    def __init__(self, settings: Settings, hash_secret: Callable[[], str], clock, timeout: float = 10.0) -> None:
        self.s = settings
        self._secret = hash_secret
        self.clock = clock
        self.timeout = timeout

    def _post(self, body: dict, fields, response_fields) -> dict:
        import requests  # deferred: only the jobs and refunds need it

        signed = vnpay.signed_request(self._secret(), body, fields)
        try:
            resp = requests.post(self.s.vnpay_api_url, json=signed, timeout=self.timeout)
            resp.raise_for_status()
            answer = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise VnpayUnavailable(type(exc).__name__) from None
        if not isinstance(answer, dict):
            raise VnpayUnavailable("not a JSON object")
        # VNPay signs its answers except some error answers; only a signed answer is acted on.
        if answer.get("vnp_ResponseCode") == "00" and not vnpay.verify_response(self._secret(), answer,
                                                                                 response_fields):
            raise VnpayUnavailable("bad checksum on VNPay's answer")
        return answer

    def _base(self, command: str, order) -> dict:
        return {
            "vnp_RequestId": secrets.token_hex(16), "vnp_Version": vnpay.VERSION, "vnp_Command": command,
            "vnp_TmnCode": self.s.vnpay_tmn_code, "vnp_TxnRef": order.order_id,
            "vnp_OrderInfo": order.order_info, "vnp_TransactionDate": order.vnp_create_date,
            "vnp_CreateDate": vnpay.vn_time(self.clock.now()), "vnp_IpAddr": self.s.server_ip,
        }

    def querydr(self, order) -> dict:
        return self._post(self._base("querydr", order), vnpay.QUERYDR_FIELDS, vnpay.QUERYDR_RESPONSE_FIELDS)

    def refund(self, order, *, amount_vnd: int, transaction_no: str, created_by: str) -> dict:
        body = self._base("refund", order)
        body.update({"vnp_TransactionType": "02" if amount_vnd == int(order.amount) else "03",
                     "vnp_Amount": str(amount_vnd * 100), "vnp_TransactionNo": transaction_no,
                     "vnp_CreateBy": created_by[:250]})
        return self._post(body, vnpay.REFUND_FIELDS, vnpay.REFUND_RESPONSE_FIELDS)
