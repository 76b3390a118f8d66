"""Keeping the Zalo OA access token alive: the refresh token in SSM is traded with Zalo for a new
pair, and both are written back to SSM, where `chat_worker` and `reminders_worker` read the access
token (docs/chat.md, "The token refresher").

Zalo's access token lives about 25 hours; its refresh token about three months and only once.
The job runs every 12 hours, so one failed run still leaves a valid access token.

Order of the writes: the new refresh token first. Zalo has already spent the old one, so the new
one is the only way back; if the access-token write then fails, the next run (or Lambda's retry of
this one) refreshes again with the stored refresh token. The other order could leave a spent refresh
token in SSM, and only a person re-authorising the app in Zalo could undo that.

Two runs at once (an EventBridge event delivered twice, an operator's invoke during a scheduled run):
SSM has no compare-and-set, so the runs are told apart by Zalo and by reading back.
- Both read the same refresh token: Zalo rotates it for the first; the second is refused (single
  use) and writes nothing, so the stored pair is the first run's. The second fails loudly (the
  function's Errors alarm), saying that SSM now holds another refresh token, i.e. nothing is broken.
- The second reads the refresh token the first has just written, before the first writes its access
  token: the first may then write its older access token over the second's. So every run reads the
  refresh token back after its writes; if it is no longer the one it wrote, another run refreshed
  meanwhile and this run fails, and Lambda's retry (a minute later) writes a consistent pair.
No token value is ever logged or put into an exception's text."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.observability import logger
from chalicelib.ports.chat import Parameters, TokenPair, ZaloOAuthError

RUN_EVERY_S = 12 * 3600


class TokenRefreshFailed(RuntimeError):
    """The run did not leave a freshly refreshed pair in SSM (the message says what is stored)."""


class ZaloTokenRefresher:
    def __init__(
        self, *, params: Parameters, refresh_param: str, access_param: str, oauth: Callable[[str], TokenPair]
    ) -> None:
        """`oauth(refresh_token)` trades a refresh token with Zalo (app id and secret bound in)."""
        if refresh_param == access_param:
            raise ValueError("the refresh and access tokens need two parameters")
        self._params, self._refresh_param, self._access_param = params, refresh_param, access_param
        self._oauth = oauth

    def refresh(self) -> dict[str, object]:
        names = {"refresh_param": self._refresh_param, "access_param": self._access_param}
        spent = self._params.get(self._refresh_param)  # nothing spent yet if this fails
        try:
            pair = self._oauth(spent)
        except ZaloOAuthError as exc:
            now = self._read_back()
            if now is not None and now != spent:
                logger.error(
                    "zalo token refresh refused: another run rotated the refresh token meanwhile",
                    extra={**names, "zalo_error": exc.error},
                )
                raise TokenRefreshFailed(
                    f"{exc}; SSM already holds the refresh token another run got, so "
                    "the stored pair is that run's and nothing needs doing"
                ) from None
            logger.error(
                "zalo token refresh failed, nothing written",
                extra={**names, "zalo_error": exc.error, "zalo_error_name": exc.error_name, "answered": exc.answered},
            )
            hint = (
                (
                    "the stored refresh token is spent or expired: get a new pair in Zalo and put it in SSM "
                    "(docs/chat.md)"
                )
                if exc.answered
                else "the next run tries again with the same refresh token"
            )
            raise TokenRefreshFailed(f"{exc}; {hint}") from None
        try:
            self._params.put(self._refresh_param, pair.refresh_token)
        except Exception as exc:
            logger.error("zalo refresh token NOT stored: the pair Zalo just issued is lost", extra=names)
            raise TokenRefreshFailed(
                f"{_safe(exc, pair)}; Zalo has spent the stored refresh token, so the app "
                "must be authorised again in Zalo (docs/chat.md)"
            ) from None
        try:
            self._params.put(self._access_param, pair.access_token)
        except Exception as exc:
            logger.error(
                "zalo access token not stored; the new refresh token is, the next run refreshes again", extra=names
            )
            raise TokenRefreshFailed(
                f"{_safe(exc, pair)}; the new refresh token is stored, so the next run "
                "(or Lambda's retry of this one) refreshes again"
            ) from None
        back = self._read_back()  # (unreadable: the writes did succeed, so the run stands)
        if back is not None and back != pair.refresh_token:
            logger.error(
                "zalo tokens refreshed by two runs at once; the access token may be the older one", extra=names
            )
            raise TokenRefreshFailed(
                "another run refreshed the Zalo tokens while this one wrote them: the stored "
                "access token may be the older of the two; Lambda's retry refreshes again"
            )
        if pair.expires_in is not None and pair.expires_in < RUN_EVERY_S + 3600:
            logger.warning(
                "zalo access token lives less than the refresh interval plus an hour",
                extra={**names, "expires_in": pair.expires_in},
            )
        logger.info("zalo tokens refreshed", extra={**names, "expires_in": pair.expires_in})
        return {"status": "refreshed", "expires_in": pair.expires_in}

    def _read_back(self) -> str | None:
        try:
            return self._params.get(self._refresh_param)
        except Exception:
            logger.warning("could not read the zalo refresh token back", extra={"refresh_param": self._refresh_param})
            return None


def _safe(exc: Exception, pair: TokenPair) -> str:
    text = str(exc) or type(exc).__name__
    for secret in (pair.refresh_token, pair.access_token):
        text = text.replace(secret, "[redacted]")
    return text
