"""Who is writing: Slack user id → users.info → e-mail and name, cached for a while."""

from __future__ import annotations

import structlog
from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.runtime.people import LookedUpPerson
from bot.channels.slack.errors import WEB_API_ERRORS, error_code
from bot.core.model import UserRef

log = structlog.get_logger(__name__)


class SlackPeople:
    """Looks people up with users.info. Only complete answers are cached, so a fixed profile is seen at once."""

    def __init__(self, *, client: AsyncWebClient, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self._client = client
        self._cache: TTLCache[str, UserRef] = TTLCache(maxsize=max_entries, ttl=ttl_seconds)

    async def lookup(self, user_id: str) -> LookedUpPerson:
        cached = self._cache.get(user_id)
        if cached is not None:
            return LookedUpPerson(user=cached)
        unknown = UserRef(id=user_id)
        try:
            response = await self._client.users_info(user=user_id)
        except WEB_API_ERRORS as error:
            code = error_code(error)
            log.warning("slack_user_lookup_failed", user=user_id, error=code)
            problem = f"Slack's users.info failed ({code})" if isinstance(error, SlackApiError) else "Slack unreachable"
            return LookedUpPerson(user=unknown, problem=problem)
        profile_user = response.get("user") or {}
        profile = profile_user.get("profile") or {}
        name = profile.get("real_name") or profile_user.get("real_name") or profile.get("display_name") or None
        person = UserRef(id=user_id, email=profile.get("email") or None, name=name)
        if profile_user.get("deleted"):
            return LookedUpPerson(user=person, problem="the Slack account is deactivated")
        if profile_user.get("is_bot"):
            return LookedUpPerson(user=person, problem="the Slack account is a bot")
        if person.email is None:
            # Without the users:read.email scope, or for accounts without one, Slack leaves the field out.
            log.warning("slack_user_without_email", user=user_id)
            return LookedUpPerson(user=person, problem="no e-mail address is readable on the Slack profile")
        self._cache[user_id] = person
        return LookedUpPerson(user=person)
