"""Zalo's OAuth v4 for an Official Account: a refresh token traded for a new token pair.

    POST {ZALO_OAUTH_URL}   (https://oauth.zaloapp.com/v4/oa/access_token)
    header  secret_key: <the Zalo app's secret key>        (not the OA secret key that signs webhooks)
    form    app_id=<app id>&grant_type=refresh_token&refresh_token=<refresh token>
    answer  {"access_token", "refresh_token", "expires_in": "90000"}   (expires_in may be a string)
            or {"error": <non-zero>, "error_name", "error_description"}, usually with HTTP 200

As several public clients use it; not checked against Zalo's own pages from here (docs/chat.md).
The refresh token is single use: the answer carries the next one, and the one sent stops working.
No token or secret ever goes into a log line or an exception's text."""

from __future__ import annotations

import functools

# The pair and the error are the port's (the token refresher catches the error): defined there, used here.
from chalicelib.ports.chat import TokenPair, ZaloOAuthError

TIMEOUT_S = (3.05, 10)  # connect, read


@functools.lru_cache(maxsize=1)
def _http():
    import requests  # deferred: importing the app stays light

    return requests.Session()


def refresh_oa_token(url: str, app_id: str, secret_key: str, refresh_token: str) -> TokenPair:
    """One refresh: the new pair, or ZaloOAuthError naming Zalo's error."""
    try:
        resp = _http().post(
            url,
            timeout=TIMEOUT_S,
            headers={"secret_key": secret_key},
            data={"app_id": app_id, "grant_type": "refresh_token", "refresh_token": refresh_token},
        )
    except Exception as exc:  # the text of a requests error may carry the URL, never the form; keep it out anyway
        raise ZaloOAuthError(
            f"Zalo OAuth unreachable: {type(exc).__name__} (if Zalo did rotate the refresh token, "
            "its answer is lost and the next run reports the stored one as invalid)",
            answered=False,
        ) from None
    try:
        answer = resp.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise ZaloOAuthError(f"Zalo OAuth answered HTTP {resp.status_code} without a JSON object", answered=False)
    raw_error = answer.get("error")
    if raw_error not in (None, 0, "0", ""):
        code = _int(raw_error)
        name = _text(answer.get("error_name"))
        description = _text(answer.get("error_description") or answer.get("error_reason") or answer.get("message"))
        text = " ".join(t for t in (name, f"({description})" if description else "") if t)
        shown = code if code is not None else _text(str(raw_error))
        raise ZaloOAuthError(
            _scrub(f"Zalo refused the token refresh: error {shown} {text}".rstrip(), refresh_token, secret_key),
            error=code,
            error_name=name or None,
        )
    access, refresh = answer.get("access_token"), answer.get("refresh_token")
    if resp.status_code != 200 or not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
        missing = [
            k for k, v in (("access_token", access), ("refresh_token", refresh)) if not isinstance(v, str) or not v
        ]
        raise ZaloOAuthError(
            f"Zalo OAuth answered HTTP {resp.status_code} without an error code"
            + (f" and without {', '.join(missing)}" if missing else ""),
            answered=False,
        )
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=_int(answer.get("expires_in")))


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _text(value) -> str:
    return value.strip()[:200] if isinstance(value, str) else ""


def _scrub(text: str, *secrets: str) -> str:
    """Zalo's own words, with any secret it might echo blanked out."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text
