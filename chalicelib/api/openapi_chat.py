"""OpenAPI paths of the chat blueprint (api/chat.py): the Messenger and Zalo webhooks, and chat links."""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi_common import STR, error_responses, json_content, op, path_param, pattern
from chalicelib.domain import identifiers as ids
from chalicelib.domain.shapes import json_schema
from chalicelib.services.shapes_chat import LinkCode, Links, Received

LINK_ID = pattern(ids.CHAT_LINK_ID)
_RECEIVED = json_schema(Received)


def _webhook(summary: str, header: str, description: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": ["chat"],
        "description": description,
        "parameters": [{"name": header, "in": "header", "required": True, "schema": STR}],
        "requestBody": {
            "required": True,
            **json_content({"type": "object", "description": "the platform's event, as it sends it"}),
        },
        "responses": {
            "200": {
                "description": "Received (each message answered once, through the chat queue)",
                **json_content(_RECEIVED),
            },
            **error_responses(400, 401, 404, 503),
        },
    }


PATHS: dict[str, Any] = {
    "/v1/chat/facebook": {
        "get": {
            "summary": "Messenger webhook verification: echoes hub.challenge when hub.verify_token matches",
            "tags": ["chat"],
            "parameters": [
                {"name": n, "in": "query", "required": True, "schema": STR}
                for n in ("hub.mode", "hub.verify_token", "hub.challenge")
            ],
            "responses": {
                "200": {"description": "hub.challenge", "content": {"text/plain": {"schema": STR}}},
                **error_responses(400, 403, 404),
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
        "post": op(
            "A one-time code (8 digits, 10 minutes, single use) that links a Zalo or Messenger chat to this account "
            "when sent there as 'liên kết <code>'",
            (
                201,
                "Code",
                json_schema(LinkCode),
            ),
            secured=True,
            errors=(429,),
            tag="chat",
        )
    },
    "/v1/me/chat-links": {
        "get": op(
            "Chat identities linked to this account",
            (200, "Links", json_schema(Links)),
            secured=True,
            errors=(),
            tag="chat",
        )
    },
    "/v1/me/chat-links/{link_id}": {
        "delete": op(
            "Remove a chat link (audited)",
            (204, "Removed", None),
            secured=True,
            errors=(404,),
            tag="chat",
            params=[path_param("link_id", LINK_ID)],
        )
    },
}
