"""How a Slack Web API call can fail, and the short code we log for it."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError

# Slack said no (ok=false, e.g. ratelimited after retries, channel_not_found, invalid_auth), or the network did.
WEB_API_ERRORS = (SlackApiError, aiohttp.ClientError, TimeoutError)


def error_code(error: BaseException) -> str:
    """Slack's error code ("not_in_channel"), or the exception's name for network failures."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "unknown_error")
    return type(error).__name__
