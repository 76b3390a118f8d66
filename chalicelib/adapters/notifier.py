"""Reminder delivery: one `Notifier` interface, `send(channel, customer, message)`,
over SMS (SNS), mobile push (SNS platform endpoints), e-mail (SES) and Zalo ZNS
(HTTP). Also the reminders queue (batches of 10, delays) and the push-token
registrar. Tests use MemoryNotifier / MemoryReminderQueue; moto and `responses`
stand in for AWS and Zalo where the real adapters are tested."""

from __future__ import annotations

import functools
import json
import re
import threading

from chalicelib.adapters.chat_platforms import CachedToken
from chalicelib.adapters.notifications import SnsSms, _sns, to_e164
from chalicelib.config import get_settings, zalo_access_token
from chalicelib.domain.reminders import Message, reachable

# The notifier's errors are the port's (the reminder worker tells them apart): defined there, raised here.
from chalicelib.ports.notices import ChannelUnavailable, DeliveryFailed

ZALO_TIMEOUT_S = 10


# -- AWS and Zalo -------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _ses():
    from chalicelib.adapters.aws import client

    return client("ses")


@functools.lru_cache(maxsize=1)
def _http():
    import requests

    return requests.Session()


class SnsPush:
    """A push to the CSKH app: publish to the device's SNS platform endpoint."""

    def send(self, customer, message: Message) -> None:
        payload = {"title": message.subject, "body": message.text, "data": message.data}
        android = {"notification": {"title": message.subject, "body": message.text}, "data": message.data}
        ios = {"aps": {"alert": {"title": message.subject, "body": message.text}}, "data": message.data}
        _sns().publish(
            TargetArn=customer.push_endpoint,
            MessageStructure="json",
            Message=json.dumps(
                {
                    "default": json.dumps(payload, ensure_ascii=False),
                    "GCM": json.dumps(android, ensure_ascii=False),
                    "APNS": json.dumps(ios, ensure_ascii=False),
                    "APNS_SANDBOX": json.dumps(ios, ensure_ascii=False),
                },
                ensure_ascii=False,
            ),
        )


class SesEmail:
    def __init__(self) -> None:
        self._verified = False

    def send(self, customer, message: Message) -> None:
        s = get_settings()
        if s.is_local and not self._verified:
            # moto, like SES's sandbox, refuses an unverified sender.
            _ses().verify_email_identity(EmailAddress=s.reminder_email_from.split("<")[-1].rstrip(">"))
            self._verified = True
        _ses().send_email(
            Source=s.reminder_email_from,
            Destination={"ToAddresses": [customer.email]},
            Message={
                "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}},
            },
        )


class ZaloZns:
    """Zalo Notification Service: a registered template, sent to a phone number.
    POST {ZALO_ZNS_URL} with the OA access token; `error` 0 is success."""

    def __init__(self) -> None:
        self._token = CachedToken(lambda: zalo_access_token())

    def send(self, customer, message: Message) -> None:
        s = get_settings()
        token = self._token.get()
        if not token or not s.zalo_template_id:
            raise ChannelUnavailable("Zalo ZNS is not configured (ZALO_ACCESS_TOKEN[_PARAM], ZALO_TEMPLATE_ID)")
        body = {
            "phone": to_e164(customer.phone).lstrip("+"),
            "template_id": s.zalo_template_id,
            "template_data": {**message.data, "title": message.subject, "content": message.text},
            "tracking_id": f"{message.data.get('invoice_id')}#{message.data.get('level')}",
        }
        try:
            resp = _http().post(
                s.zalo_zns_url,
                json=body,
                timeout=ZALO_TIMEOUT_S,
                headers={"access_token": token, "Content-Type": "application/json"},
            )
        except Exception as exc:  # network: retried through SQS
            raise DeliveryFailed(f"Zalo ZNS unreachable: {type(exc).__name__}") from None
        try:
            answer = resp.json()
        except ValueError:
            answer = {}
        if resp.status_code != 200 or answer.get("error") != 0:
            self._token.refused()  # it may have been refreshed in SSM meanwhile
            raise DeliveryFailed(
                f"Zalo ZNS answered HTTP {resp.status_code}, error {answer.get('error')}: {answer.get('message')}"
            )


class ChannelNotifier:
    """The deployed notifier: each channel through its provider."""

    def __init__(self, sms=None, push=None, email=None, zalo=None) -> None:
        self._sms = sms or SnsSms()
        self._channels = {"push": push or SnsPush(), "email": email or SesEmail(), "zalo": zalo or ZaloZns()}

    def send(self, channel: str, customer, message: Message) -> None:
        if not reachable(channel, customer):
            raise ChannelUnavailable(f"no {channel} address on file")
        if channel == "sms":
            self._sms.send_sms(customer.code, customer.phone, message.text)
        elif channel in self._channels:
            self._channels[channel].send(customer, message)
        else:
            raise ChannelUnavailable(f"unknown channel {channel!r}")


class MemoryNotifier:
    """For tests and the bench: records what would be sent; `fail` names channels that raise
    (down for now), `unavailable` channels that are not configured at all."""

    def __init__(self, fail: set | None = None, unavailable: set | None = None) -> None:
        self.sent: list[dict] = []
        self.fail = set(fail or ())
        self.unavailable = set(unavailable or ())
        self._lock = threading.Lock()

    def send(self, channel: str, customer, message: Message) -> None:
        if channel in self.unavailable:
            raise ChannelUnavailable(f"{channel} is not configured (test)")
        if channel in self.fail:
            raise DeliveryFailed(f"{channel} is down (test)")
        with self._lock:
            self.sent.append(
                {
                    "channel": channel,
                    "customer_code": customer.code,
                    "subject": message.subject,
                    "text": message.text,
                    "data": message.data,
                }
            )


# -- the reminders queue (ports.notices.ReminderQueue) -------------------------


class SqsReminderQueue:
    def __init__(self, queue: str = "reminders") -> None:
        self.queue = queue

    def enqueue_batch(self, bodies: list[dict]) -> list[int]:
        from chalicelib.adapters.queues import _sqs, queue_url

        if not bodies:
            return []
        if len(bodies) > 10:
            raise ValueError("SQS batches hold at most 10 messages")
        answer = _sqs().send_message_batch(
            QueueUrl=queue_url(self.queue),
            Entries=[{"Id": str(i), "MessageBody": json.dumps(b, ensure_ascii=False)} for i, b in enumerate(bodies)],
        )
        return sorted(int(f["Id"]) for f in answer.get("Failed", []))

    def enqueue(self, body: dict, delay_seconds: int = 0) -> None:
        from chalicelib.adapters.queues import _sqs, queue_url

        _sqs().send_message(
            QueueUrl=queue_url(self.queue),
            MessageBody=json.dumps(body, ensure_ascii=False),
            DelaySeconds=max(0, min(900, int(delay_seconds))),
        )


class MemoryReminderQueue:
    def __init__(self) -> None:
        self.messages: list[tuple[dict, int]] = []  # (body, delay seconds)
        self.batches = 0
        self._lock = threading.Lock()

    def enqueue_batch(self, bodies: list[dict]) -> list[int]:
        with self._lock:
            self.batches += 1
            self.messages += [(b, 0) for b in bodies]
        return []

    def enqueue(self, body: dict, delay_seconds: int = 0) -> None:
        with self._lock:
            self.messages.append((body, delay_seconds))

    def take(self) -> list[tuple[dict, int]]:
        with self._lock:
            out, self.messages = self.messages, []
        return out


# -- push tokens ---------------------------------------------------------------


class SnsPushRegistrar:
    """Turns an app's device token into an SNS platform endpoint ARN."""

    def __init__(self) -> None:
        self._local_apps: dict[str, str] = {}

    def _app_arn(self, platform: str) -> str:
        s = get_settings()
        arn = s.sns_push_app_arn_android if platform == "android" else s.sns_push_app_arn_ios
        if arn:
            return arn
        if not s.is_local:
            raise ChannelUnavailable(f"SNS_PUSH_APP_ARN_{platform.upper()} is not configured")
        if platform not in self._local_apps:
            # Locally (moto): a platform application of our own, created on first use.
            answer = _sns().create_platform_application(
                Name=f"{s.table_prefix}{platform}",
                Platform="GCM" if platform == "android" else "APNS_SANDBOX",
                Attributes={"PlatformCredential": "local-fake", "PlatformPrincipal": "local-fake"},
            )
            self._local_apps[platform] = answer["PlatformApplicationArn"]
        return self._local_apps[platform]

    def register(self, platform: str, token: str, user_data: str) -> str:
        """The device's endpoint, as AWS's mobile-push guide has it: create it; if SNS says this token already
        has an endpoint with other attributes (the same phone registered from a second account, the app
        reinstalled), take that endpoint's ARN from the error and reuse it. Either way the endpoint is set
        to this token and enabled (SNS disables one whose token the platform refused)."""
        from botocore.exceptions import ClientError

        try:
            arn = _sns().create_platform_endpoint(
                PlatformApplicationArn=self._app_arn(platform), Token=token, CustomUserData=user_data
            )["EndpointArn"]
        except ClientError as exc:
            arn = existing_endpoint(exc)
            if arn is None:
                raise
        _sns().set_endpoint_attributes(EndpointArn=arn, Attributes={"Token": token, "Enabled": "true"})
        return arn


# "Invalid parameter: Token Reason: Endpoint <arn> already exists with the same Token, but different attributes."
_EXISTING = re.compile(r"Endpoint (arn:aws[\w-]*:sns:[^ ]+) already exists with the same [Tt]oken")


def existing_endpoint(exc: Exception) -> str | None:
    """The endpoint ARN SNS names when CreatePlatformEndpoint refuses a token it already has (InvalidParameter)."""
    error = getattr(exc, "response", {}).get("Error", {})
    if error.get("Code") != "InvalidParameter":
        return None
    match = _EXISTING.search(error.get("Message") or "")
    return match.group(1) if match else None


class MemoryPushRegistrar:
    def __init__(self) -> None:
        self.registered: list[tuple[str, str, str]] = []

    def register(self, platform: str, token: str, user_data: str) -> str:
        self.registered.append((platform, token, user_data))
        return (
            f"arn:aws:sns:ap-southeast-1:000000000000:endpoint/{'GCM' if platform == 'android' else 'APNS'}/"
            f"cskh/{len(self.registered):04d}"
        )
