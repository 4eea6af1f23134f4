"""Teams activities → TeamsTurns. Pure functions: what to take, what to ignore, and which conversation it is."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from microsoft_agents.activity import Activity

from bot.channels.teams.cards import submitted_choice
from bot.core.model import ConversationRef

CHANNEL = "teams"
PERSONAL = "personal"
GROUP_CHAT = "groupChat"
TEAM_CHANNEL = "channel"

_OTHER_MENTION = re.compile(r"<at>(.*?)</at>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, kw_only=True)
class TeamsTurn:
    """One thing a person did in Teams that the engine should see: a message or a card button."""

    conversation: ConversationRef
    teams_user_id: str  # the Teams id ("29:…"): what the connector's roster and 1:1 chats are keyed by
    aad_object_id: str | None  # the Entra object id: who the person is, across Teams ids and channels
    tenant_id: str | None
    scope: str  # personal, groupChat or channel
    delivery_id: str  # the activity id: log correlation and de-duplication
    text: str = ""
    choice: str | None = None
    in_reply_to: int | None = None

    @property
    def user_key(self) -> str:
        """The id the engine knows the person by: the Entra object id when Teams sends one."""
        return self.aad_object_id or self.teams_user_id

    @property
    def is_personal(self) -> bool:
        return self.scope == PERSONAL


def tenant_of(activity: Activity) -> str | None:
    """The Entra tenant the activity comes from: Teams puts it in channelData and on the conversation."""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant")
    tenant_id = tenant.get("id") if isinstance(tenant, dict) else None
    if not tenant_id and activity.conversation is not None:
        tenant_id = activity.conversation.tenant_id
    return str(tenant_id).lower() if tenant_id else None


def scope_of(activity: Activity) -> str:
    kind = activity.conversation.conversation_type if activity.conversation is not None else None
    return str(kind or PERSONAL)


def turn_from_message(activity: Activity) -> TeamsTurn | None:
    """A message (typed, or a card submit carrying `value`), or None when it is not from a person."""
    sender = activity.from_property
    if activity.conversation is None or sender is None or not sender.id:
        return None
    if activity.recipient is not None and sender.id == activity.recipient.id:
        return None  # the bot's own message echoed back
    scope = scope_of(activity)
    choice, in_reply_to = submitted_choice(activity.value) or (None, None)
    text = "" if choice is not None else plain_text(activity)
    return TeamsTurn(
        conversation=conversation_of(activity, scope=scope),
        teams_user_id=sender.id,
        aad_object_id=sender.aad_object_id or None,
        tenant_id=tenant_of(activity),
        scope=scope,
        delivery_id=activity.id or "",
        text=text,
        choice=choice,
        in_reply_to=in_reply_to,
    )


def conversation_of(activity: Activity, *, scope: str) -> ConversationRef:
    """Personal chat and channel threads are conversations as Teams names them; in a group chat, which has no
    threads, each person who mentions the bot has their own conversation with it.

    Raises:
        ValueError: the activity names no conversation.
    """
    if activity.conversation is None:
        raise ValueError("the activity names no conversation")
    conversation_id = activity.conversation.id
    if scope == GROUP_CHAT and activity.from_property is not None:
        person = activity.from_property.aad_object_id or activity.from_property.id
        return ConversationRef(channel=CHANNEL, id=f"{conversation_id}|{person}")
    return ConversationRef(channel=CHANNEL, id=conversation_id)


def plain_text(activity: Activity) -> str:
    """What the person typed: the bot's @mention removed (by the SDK, from the mention entity), other mentions
    kept as "@Name", leftover HTML dropped."""
    text = activity.remove_recipient_mention() if activity.text else ""
    text = _OTHER_MENTION.sub(lambda m: "@" + m.group(1), text)
    return html.unescape(_TAG.sub("", text)).strip()


def roster_of(activity: Activity) -> str:
    """Where to look the sender up: channel members are listed on the team; chat members on the chat."""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team = channel_data.get("team")
    if isinstance(team, dict) and team.get("id"):
        return str(team["id"])
    if activity.conversation is None:
        raise ValueError("the activity names no conversation")
    return activity.conversation.id


def bot_was_added(activity: Activity) -> bool:
    """A conversationUpdate that adds the bot itself (Teams sends it when the app is installed)."""
    bot_id = activity.recipient.id if activity.recipient is not None else None
    return bool(bot_id) and any(member.id == bot_id for member in activity.members_added or [])


def conversation_reference(activity: Activity) -> dict[str, Any]:
    """Everything needed to write into this conversation later, as JSON (the SDK's ConversationReference)."""
    reference: dict[str, Any] = activity.get_conversation_reference().model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    return reference
