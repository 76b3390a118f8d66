"""VNPay's merchant API (querydr, refund) over HTTPS with `requests`: both
requests and answers are checked against VNPay's '|'-joined checksums."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from chalicelib.config import Settings
from chalicelib.domain import vnpay
from chalicelib.ports.money import VnpayUnavailable, VnpayUnsigned  # raised here, caught by the services


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
        # Only a signed answer is acted on, whatever its code: an unsigned "91 not found" would
        # otherwise expire an order a forged or garbled answer says VNPay never saw.
        if not vnpay.verify_response(self._secret(), answer, response_fields):
            raise VnpayUnsigned(f"no valid checksum on VNPay's answer ({str(answer.get('vnp_ResponseCode'))[:4]})")
        return answer

    def _base(self, command: str, order) -> dict:
        return {
            "vnp_RequestId": secrets.token_hex(16),
            "vnp_Version": vnpay.VERSION,
            "vnp_Command": command,
            "vnp_TmnCode": self.s.vnpay_tmn_code,
            "vnp_TxnRef": order.order_id,
            "vnp_OrderInfo": order.order_info,
            "vnp_TransactionDate": order.vnp_create_date,
            "vnp_CreateDate": vnpay.vn_time(self.clock.now()),
            "vnp_IpAddr": self.s.server_ip,
        }

    def querydr(self, order, transaction_no: str | None = None) -> dict:
        """VNPay's word on the order's transaction: `transaction_no` names one when the order has several
        (optional, and outside the checksum); a refund of it shows as vnp_TransactionType 02/03."""
        body = self._base("querydr", order)
        if transaction_no:
            body["vnp_TransactionNo"] = transaction_no
        return self._post(body, vnpay.QUERYDR_FIELDS, vnpay.QUERYDR_RESPONSE_FIELDS)

    def refund(
        self,
        order,
        *,
        amount_vnd: int,
        transaction_no: str | None,
        created_by: str,
        transaction_type: str | None = None,
        request_id: str | None = None,
    ) -> dict:
        """`transaction_type` 02 (full) / 03 (partial) as the caller decides from the transaction; `request_id`
        the vnp_RequestId the caller recorded before sending."""
        body = self._base("refund", order)
        if request_id:
            body["vnp_RequestId"] = request_id
        body.update(
            {
                "vnp_TransactionType": transaction_type or ("02" if amount_vnd == int(order.amount) else "03"),
                "vnp_Amount": str(amount_vnd * 100),
                "vnp_TransactionNo": transaction_no,
                "vnp_CreateBy": created_by[:250],
            }
        )
        return self._post(body, vnpay.REFUND_FIELDS, vnpay.REFUND_RESPONSE_FIELDS)
