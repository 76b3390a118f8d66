"""Every 12 hours: the Zalo OA access token is refreshed before it expires (about 25 hours), and
the new pair is written to SSM, where the chat and reminders workers read it
(chalicelib/services/zalo_tokens.py). A failed run raises, so the function's Errors alarm fires;
one failure still leaves the current token valid for at least half a day."""

from __future__ import annotations

from chalice import Blueprint, Rate

from chalicelib import deps
from chalicelib.middleware import start_job

bp = Blueprint(__name__)


@bp.schedule(Rate(12, unit=Rate.HOURS))
def refresh_zalo_token(event):
    from chalicelib.config import get_settings
    from chalicelib.observability import logger

    start_job(event)
    refresher = deps.zalo_tokens()
    if refresher is None:
        missing = list(get_settings().zalo_refresher_missing)
        logger.info("zalo token refresher off", extra={"missing": missing})
        return {"status": "off", "missing": missing}
    return refresher.refresh()
