"""Who is writing: the Teams roster (GET v3/conversations/{id}/members/{userId}) → e-mail and name, cached."""

from __future__ import annotations

import structlog
from aiohttp import ClientError, ClientResponseError
from cachetools import TTLCache
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from bot.channels.runtime.people import LookedUpPerson
from bot.core.model import UserRef

log = structlog.get_logger(__name__)


class TeamsPeople:
    """Looks people up in the conversation's roster. Only complete answers are cached (by tenant and Entra
    object id), so a fixed account is seen at once."""

    def __init__(self, *, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self._cache: TTLCache[tuple[str | None, str], UserRef] = TTLCache(maxsize=max_entries, ttl=ttl_seconds)

    async def lookup(
        self, *, connector: object, conversation_id: str, teams_user_id: str, user_key: str, tenant_id: str | None
    ) -> LookedUpPerson:
        """Args:
        connector: the turn's connector client (the roster lives at the conversation's serviceUrl).
        conversation_id: where to ask: the team for channel messages, else the chat itself.
        teams_user_id: the "29:…" id the roster is keyed by.
        user_key: the id the person is known by (Entra object id when there is one).
        """
        cached = self._cache.get((tenant_id, user_key))
        if cached is not None:
            return LookedUpPerson(user=cached)
        unknown = UserRef(id=user_key)
        if not isinstance(connector, TeamsConnectorClient):
            return LookedUpPerson(user=unknown, problem="no Teams roster is available for this conversation")
        try:
            member = await connector.get_conversation_member(conversation_id, teams_user_id)
        except ClientResponseError as error:
            log.warning("teams_member_lookup_failed", status=error.status, user=user_key)
            return LookedUpPerson(user=unknown, problem=f"the Teams roster lookup failed (HTTP {error.status})")
        except (ClientError, TimeoutError, ValueError) as error:
            log.warning("teams_member_lookup_failed", error=type(error).__name__, user=user_key)
            return LookedUpPerson(user=unknown, problem="the Teams roster could not be reached")
        email = member.email or member.user_principal_name or None
        person = UserRef(id=user_key, email=email, name=member.name or None)
        if member.aad_object_id and user_key != teams_user_id and member.aad_object_id.lower() != user_key.lower():
            # The roster describes a different Entra account than the activity: never guess which one is right.
            log.warning("teams_member_mismatch", user=user_key)
            return LookedUpPerson(user=unknown, problem="the Teams roster and the message disagree about the account")
        if email is None:
            log.warning("teams_member_without_email", user=user_key)
            return LookedUpPerson(user=person, problem="no e-mail address or UPN is on the Teams account")
        self._cache[(tenant_id, user_key)] = person
        return LookedUpPerson(user=person)
