"""OpenAPI paths of the chat assistants (merged by openapi.document())."""

from __future__ import annotations

from chalicelib.api.openapi import _INT, _STR, _errors, _json, _obj, _op, _path_param

LINK = _obj(
    ["link_id", "platform", "user_hint", "linked_at"],
    link_id=_STR,
    platform={"type": "string", "enum": ["facebook", "zalo"]},
    user_hint={"type": "string", "description": "the last characters of the chat user id"},
    linked_at={"type": "string", "format": "date-time"},
)
_RECEIVED = _obj(["status", "messages"], status=_STR, messages=_INT)


def _webhook(summary: str, header: str, description: str) -> dict:
    return {
        "summary": summary,
        "tags": ["chat"],
        "description": description,
        "parameters": [{"name": header, "in": "header", "required": True, "schema": _STR}],
        "requestBody": {"required": True, **_json({"type": "object"})},
        "responses": {
            "200": {"description": "Received (each message answered once, through the chat queue)", **_json(_RECEIVED)},
            **_errors(400, 401, 404, 503),
        },
    }


PATHS = {
    "/v1/chat/facebook": {
        "get": {
            "summary": "Messenger webhook verification: echoes hub.challenge when hub.verify_token matches",
            "tags": ["chat"],
            "parameters": [
                {"name": n, "in": "query", "required": True, "schema": _STR}
                for n in ("hub.mode", "hub.verify_token", "hub.challenge")
            ],
            "responses": {
                "200": {"description": "hub.challenge", "content": {"text/plain": {"schema": _STR}}},
                **_errors(400, 403, 404),
            },
        },
        "post": _webhook(
            "Messenger webhook (Page messages)",
            "X-Hub-Signature-256",
            "Signed by Meta: sha256=<hex HMAC-SHA256 of the raw body with the app secret>. "
            "404 CHAT_CHANNEL_OFF when FACEBOOK_APP_SECRET is not configured.",
        ),
    },
    "/v1/chat/zalo": {
        "post": _webhook(
            "Zalo Official Account webhook (user_send_text)",
            "X-ZEvent-Signature",
            "Signed by Zalo: mac=<hex SHA-256 of app_id + raw body + the body's timestamp + OA secret key>. "
            "404 CHAT_CHANNEL_OFF when ZALO_APP_ID / ZALO_OA_SECRET are not configured.",
        )
    },
    "/v1/me/chat-link-codes": {
        "post": _op(
            "A one-time code (8 digits, 10 minutes, single use) that links a Zalo or Messenger chat to this account "
            "when sent there as 'liên kết <code>'",
            (
                201,
                "Code",
                _obj(
                    ["code", "expires_in", "expires_at"],
                    code={"type": "string", "pattern": r"^\d{8}$"},
                    expires_in=_INT,
                    expires_at={"type": "string", "format": "date-time"},
                    send=_STR,
                    how_vi=_STR,
                    how_en=_STR,
                ),
            ),
            secured=True,
            errors=(429,),
            tag="chat",
        )
    },
    "/v1/me/chat-links": {
        "get": _op(
            "Chat identities linked to this account",
            (200, "Links", _obj(["links"], links={"type": "array", "items": LINK})),
            secured=True,
            errors=(),
            tag="chat",
        )
    },
    "/v1/me/chat-links/{link_id}": {
        "delete": _op(
            "Remove a chat link (audited)",
            (204, "Removed", None),
            secured=True,
            errors=(404,),
            tag="chat",
            params=[_path_param("link_id")],
        )
    },
}
