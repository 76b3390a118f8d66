"""The chat assistants (Zalo OA, Facebook Messenger): webhook calls are
checked (signature over the raw body, before anything is read from it),
each message is answered once (dedupe on the platform's message id), and
the reply is queued for the chat worker, which calls the platform's send API.

A chat identity sees invoices only after it has been linked, with a
one-time code the account owner got from the app, to an account; it then
sees only the codes that account holds. Everything else gets the same
how-to-link answer, whatever the code. No Chalice, no boto3 here."""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from typing import Any, cast

from chalicelib.config import Settings
from chalicelib.domain import chat as rules
from chalicelib.domain.identifiers import CHAT_LINK_ID_RE
from chalicelib.domain.invoices import summary as invoice_summary
from chalicelib.domain.messages import ChatReply
from chalicelib.domain.shapes import to_json
from chalicelib.domain.tokens import Identity
from chalicelib.domain.vntime import utc_iso
from chalicelib.errors import Forbidden, NotFound, RateLimited, ServiceUnavailable, Unauthorized, ValidationError
from chalicelib.observability import logger
from chalicelib.ports.chat import ChatLinkRecord, ChatLinks, NewChatLink
from chalicelib.ports.common import AuditEntries, Clock, ConditionFailed, Publisher
from chalicelib.ports.customers import Accounts, Counters
from chalicelib.ports.invoices import Invoices
from chalicelib.services.shapes_chat import ChatPlatform, LinkCode, Links, LinkView, Received

LINK_CODE_TTL = 600  # seconds a one-time link code lives
LINK_CODES_PER_ACCOUNT_PER_HOUR = 5
LINK_TRIES_PER_IDENTITY_PER_HOUR = 5  # guessing a code: per chat identity ...
LINK_TRIES_PER_PLATFORM_PER_HOUR = 300  # ... and across a whole platform (many identities)
LOOKUP_CODES_MAX = 3  # 'tra cứu' without a code answers for the account's first codes
MAX_WEBHOOK_BYTES = 256 * 1024


class ChannelOff(NotFound):
    code = "CHAT_CHANNEL_OFF"


class ChatService:
    def __init__(
        self,
        *,
        settings: Settings,
        store: ChatLinks,
        accounts: Accounts,
        invoices: Invoices,
        counters: Counters,
        publisher: Publisher,
        clock: Clock,
        key: Callable[[], str],
        audit_entry: AuditEntries,
        facebook_secret: Callable[[], str],
        zalo_secret: Callable[[], str],
    ) -> None:
        self.s = settings
        self.store = store
        self.accounts = accounts
        self.invoices = invoices
        self.counters = counters
        self.publisher = publisher
        self.clock = clock
        self._key = key
        self._audit_entry = audit_entry
        self._facebook_secret = facebook_secret
        self._zalo_secret = zalo_secret

    # -- webhooks -------------------------------------------------------------------

    def facebook_enabled(self) -> bool:
        return bool(self.s.facebook_app_secret or self.s.facebook_app_secret_param)

    def zalo_enabled(self) -> bool:
        return bool(self.s.zalo_app_id and (self.s.zalo_oa_secret or self.s.zalo_oa_secret_param))

    def facebook_verify(self, params: dict[str, str]) -> str:
        """The subscription handshake: echo hub.challenge when hub.verify_token is ours."""
        token = self.s.facebook_verify_token
        if not token:
            raise ChannelOff("the Facebook channel is not configured", "Kênh Facebook chưa được cấu hình.")
        given = params.get("hub.verify_token") or ""
        challenge = params.get("hub.challenge") or ""
        if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(given.encode(), token.encode()):
            raise Forbidden("the verify token does not match", "Mã xác minh không khớp.", code="INVALID_VERIFY_TOKEN")
        if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,256}", challenge):
            raise ValidationError(
                "hub.challenge is missing or not valid", "Thiếu hub.challenge.", field="hub.challenge"
            )
        return challenge

    def facebook_webhook(self, raw: bytes, signature: str | None) -> dict[str, Any]:
        if not self.facebook_enabled():
            raise ChannelOff("the Facebook channel is not configured", "Kênh Facebook chưa được cấu hình.")
        _size(raw)
        if not rules.facebook_signature_ok(_read_secret(self._facebook_secret, "Facebook"), raw, signature):
            raise _bad_signature()
        messages = rules.facebook_messages(rules.loads(raw) or {})
        for message in messages:
            self.handle(message)
        return _received("EVENT_RECEIVED", len(messages))

    def zalo_webhook(self, raw: bytes, signature: str | None) -> dict[str, Any]:
        app_id = self.s.zalo_app_id
        if not app_id or not self.zalo_enabled():
            raise ChannelOff("the Zalo channel is not configured", "Kênh Zalo chưa được cấu hình.")
        _size(raw)
        body = rules.loads(raw)
        # Zalo signs the body together with the body's own timestamp: read that one field, nothing else.
        stamp = body.get("timestamp") if body else None
        stamp = str(stamp) if isinstance(stamp, (str, int)) and not isinstance(stamp, bool) else None
        if not rules.zalo_signature_ok(app_id, _read_secret(self._zalo_secret, "Zalo"), raw, stamp, signature):
            raise _bad_signature()
        message = rules.zalo_message(body)
        if message is not None:
            self.handle(message)
        return _received("received", 1 if message else 0)

    # -- one message ----------------------------------------------------------------

    def handle(self, message: rules.ChatMessage) -> None:
        now = self.clock.now()
        ident = rules.identity_key(self._key(), message.platform, message.user_id)
        ref = {"platform": message.platform, "chat_user": rules.log_ref(ident)}
        age = now - message.sent_at_ms // 1000
        if message.sent_at_ms <= 0 or age > self.s.chat_event_max_age or age < -300:
            logger.warning("chat message too old or undated: not answered", extra={**ref, "age_s": age})
            return
        event_key = f"{message.platform}#{message.message_id}"
        if not self.store.claim_event(event_key, now + max(2 * 86400, 2 * self.s.chat_event_max_age)):
            logger.info("chat message delivered again: already answered", extra=ref)
            return
        try:
            intent = rules.parse(message.text)
            text, outcome = self._answer(message, ident, intent, now)
            reply = ChatReply(
                platform=message.platform, recipient=message.user_id, text=text, reply_to=message.message_id
            )
            self.publisher.publish(reply.QUEUE, to_json(reply))
        except Exception:
            try:
                self.store.release_event(event_key)  # the platform's redelivery gets another go
            except Exception:  # the store is down too: the original error is the one to report
                logger.exception("could not release a chat event claim", extra=ref)
            raise
        logger.info("chat message answered", extra={**ref, "intent": intent.kind, "outcome": outcome})

    def _answer(self, message: rules.ChatMessage, ident: str, intent: rules.Intent, now: int) -> tuple[str, str]:
        lang = intent.lang
        if intent.kind == "link":
            if intent.code is None:
                return rules.render_link_usage(lang), "link_usage"
            return self._link(message, ident, intent.code, lang, now)
        if intent.kind == "unlink":
            link = self.store.link_of(ident)
            if link is None:
                return rules.render_unlinked(False, lang), "not_linked"
            self.store.unlink(
                link,
                self._audit_entry(
                    f"chat_link#{link.link_id}", self._chat_actor(message, ident), "unlink", _link_view(link), None
                ),
            )
            return rules.render_unlinked(True, lang), "unlinked"
        if intent.kind == "lookup":
            return self._lookup(ident, intent.code, lang)
        return rules.render_help(lang), "help"

    def _lookup(self, ident: str, code: str | None, lang: str) -> tuple[str, str]:
        link = self.store.link_of(ident)
        account = self.accounts.get(link.account_id) if link is not None else None
        held = list(account.customer_codes) if account is not None else []
        if code is None:
            targets = held[:LOOKUP_CODES_MAX]
        elif code in held:
            targets = [code]
        else:
            targets = []
        if not targets:
            # Not linked, or not a code of the linked account: the same words, whatever the code.
            return rules.render_how_to_link(lang), "refused"
        parts = []
        for target in targets:
            latest = self.invoices.recent(target, 1)
            if not latest:
                parts.append(rules.render_no_invoice(target, lang))
                continue
            inv = invoice_summary(latest[0])
            parts.append(rules.render_invoice(inv, f"{self.s.payment_link_base}{inv['invoice_id']}", lang))
        return "\n\n".join(parts), "answered"

    def _link(self, message: rules.ChatMessage, ident: str, code: str, lang: str, now: int) -> tuple[str, str]:
        try:
            self._limit("chat-link-id", ident, LINK_TRIES_PER_IDENTITY_PER_HOUR, 3600, now)
            self._limit("chat-link-platform", message.platform, LINK_TRIES_PER_PLATFORM_PER_HOUR, 3600, now)
        except RateLimited:
            return rules.render_rate_limited(lang), "rate_limited"
        item = self.store.live_code(rules.link_code_hash(self._key(), code), now)
        account = self.accounts.get(item.account_id) if item is not None else None
        if item is None or account is None:
            return rules.render_link_failed(lang), "link_failed"
        old = self.store.link_of(ident)
        link = NewChatLink(
            ident,
            link_id=secrets.token_urlsafe(12),
            account_id=account.account_id,
            platform=message.platform,
            user_hint=rules.user_hint(message.user_id),
            linked_at=now,
        )
        actor = self._chat_actor(message, ident)
        audit = [self._audit_entry(f"chat_link#{link.link_id}", actor, "link", None, _link_view(link))]
        if old is not None:
            audit.append(
                self._audit_entry(
                    f"chat_link#{old.link_id}", actor, "unlink", _link_view(old), {"replaced_by": link.link_id}
                )
            )
        try:
            self.store.link_with_code(item, link, audit, now)
        except ConditionFailed:
            return rules.render_link_failed(lang), "link_failed"
        return rules.render_linked(list(account.customer_codes), lang), "linked"

    @staticmethod
    def _chat_actor(message: rules.ChatMessage, ident: str) -> str:
        return f"chat:{message.platform}:{rules.log_ref(ident)}"

    def _limit(self, name: str, subject: str, limit: int, window: int, now: int) -> None:
        bucket = now // window
        if self.counters.hit(f"{name}:{subject}:{bucket}", expires_at=(bucket + 1) * window + 60) > limit:
            raise RateLimited(retry_after=(bucket + 1) * window - now)

    # -- the account owner's side ---------------------------------------------------------

    def create_link_code(self, identity: Identity) -> dict[str, Any]:
        _customer(identity)
        now = self.clock.now()
        self._limit("chat-code-account", identity.account_id, LINK_CODES_PER_ACCOUNT_PER_HOUR, 3600, now)
        for _ in range(5):
            code = rules.new_link_code()
            if self.store.put_code(
                rules.link_code_hash(self._key(), code), identity.account_id, now, now + LINK_CODE_TTL
            ):
                break
        else:  # five live codes with the same hash in a row: not going to happen
            raise RuntimeError("could not draw a free link code")
        answer: dict[str, Any] = to_json(
            LinkCode(
                code=code,
                expires_in=LINK_CODE_TTL,
                expires_at=utc_iso(now + LINK_CODE_TTL),
                send=f"liên kết {code}",
                how_vi=f"Gửi 'liên kết {code}' tới Zalo OA hoặc trang Facebook của CAWACO trong 10 phút.",
                how_en=f"Send 'link {code}' to CAWACO's Zalo OA or Facebook Page within 10 minutes.",
            )
        )
        return answer

    def list_links(self, identity: Identity) -> dict[str, Any]:
        _customer(identity)
        links = [_link_shape(link) for link in self.store.links_of_account(identity.account_id)]
        answer: dict[str, Any] = to_json(Links(links=links))
        return answer

    def delete_link(self, identity: Identity, link_id: str) -> None:
        _customer(identity)
        link = None
        if CHAT_LINK_ID_RE.match(link_id or ""):
            link = next((x for x in self.store.links_of_account(identity.account_id) if x.link_id == link_id), None)
        if link is None or not self.store.unlink(
            link, self._audit_entry(f"chat_link#{link.link_id}", identity.account_id, "unlink", _link_view(link), None)
        ):
            raise NotFound("no such chat link", "Không tìm thấy liên kết chat.", code="CHAT_LINK_NOT_FOUND")


def _customer(identity: Identity) -> None:
    if identity.role != "customer":
        raise Unauthorized()


def _size(raw: bytes) -> None:
    if len(raw) > MAX_WEBHOOK_BYTES:
        raise ValidationError("the request body is too large", "Dữ liệu gửi lên quá lớn.", code="BODY_TOO_LARGE")


def _read_secret(read: Callable[[], str], channel: str) -> str:
    try:
        return read()
    except Exception:  # a parameter missing from SSM, or SSM unreachable: the channel is down, say so
        logger.exception("chat channel secret cannot be read", extra={"channel": channel})
        raise ServiceUnavailable(
            f"the {channel} channel is not available",
            f"Kênh {channel} đang tạm ngưng.",
            code="CHAT_CHANNEL_UNAVAILABLE",
        ) from None


def _bad_signature() -> Unauthorized:
    return Unauthorized(
        "the request signature is missing or not valid", "Chữ ký yêu cầu không hợp lệ.", code="INVALID_SIGNATURE"
    )


def _received(status: str, messages: int) -> dict[str, Any]:
    answer: dict[str, Any] = to_json(Received(status=status, messages=messages))
    return answer


def _link_shape(link: ChatLinkRecord) -> LinkView:
    return LinkView(
        link_id=link.link_id,
        # the store holds what domain/chat wrote: 'facebook' or 'zalo'
        platform=cast(ChatPlatform, link.platform),
        user_hint=link.user_hint,
        linked_at=utc_iso(int(link.linked_at)),
    )


def _link_view(link: ChatLinkRecord) -> dict[str, Any]:
    """A link as the audit trail records it: the same view the account owner sees."""
    view: dict[str, Any] = to_json(_link_shape(link))
    return view
