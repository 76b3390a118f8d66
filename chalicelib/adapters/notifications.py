"""SMS to the phone on file. The API enqueues; the notification worker sends
through SNS. Tests use MemorySms."""

from __future__ import annotations

import functools
import json
import os

from chalicelib.config import get_settings
from chalicelib.domain.masking import mask_phone
from chalicelib.domain.messages import SmsToSend
from chalicelib.domain.shapes import to_json


class QueuedSms:
    """What the API uses: answers fast, survives an SNS hiccup (SQS retries, then the DLQ)."""

    def __init__(self, publisher) -> None:
        self._publisher = publisher

    def send_sms(self, customer_code: str, phone: str, text: str) -> None:
        message = SmsToSend(customer_code=customer_code, phone=phone, text=text)
        self._publisher.publish(message.QUEUE, to_json(message))


@functools.lru_cache(maxsize=1)
def _sns():
    from chalicelib.adapters.aws import client

    return client("sns")


class SnsSms:
    """What the worker uses: a transactional SMS through Amazon SNS."""

    def send_sms(self, customer_code: str, phone: str, text: str) -> None:
        s = get_settings()
        _sns().publish(
            PhoneNumber=to_e164(phone),
            Message=text,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": s.sms_sender_id},
            },
        )
        if s.local_sms_outbox:
            # Local stage only (config refuses it elsewhere): a file a developer can tail.
            os.makedirs(os.path.dirname(s.local_sms_outbox) or ".", exist_ok=True)
            with open(s.local_sms_outbox, "a", encoding="utf-8") as f:
                f.write(
                    json.dumps(
                        {"customer_code": customer_code, "to": mask_phone(phone), "text": text}, ensure_ascii=False
                    )
                    + "\n"
                )


class MemorySms:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send_sms(self, customer_code: str, phone: str, text: str) -> None:
        self.sent.append({"customer_code": customer_code, "phone": phone, "text": text})


def to_e164(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("84"):
        return "+" + digits
    if digits.startswith("0"):
        return "+84" + digits[1:]
    return "+" + digits
