"""Slack conversations and turns: every conversation is one Slack thread, named by team, channel and thread ts."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.core.model import ConversationRef

CHANNEL = "slack"


@dataclass(frozen=True, kw_only=True)
class SlackThread:
    """Where a conversation lives: the thread started by message `thread_ts` in `channel_id`."""

    team_id: str
    channel_id: str
    thread_ts: str

    @property
    def conversation(self) -> ConversationRef:
        return ConversationRef(channel=CHANNEL, id=f"{self.team_id}:{self.channel_id}:{self.thread_ts}")

    @property
    def is_direct(self) -> bool:
        """Direct-message channel ids start with D; everything posted there is already private."""
        return self.channel_id.startswith("D")

    @classmethod
    def from_conversation_id(cls, conversation_id: str) -> SlackThread:
        team_id, channel_id, thread_ts = conversation_id.split(":", 2)
        if not (team_id and channel_id and thread_ts):
            raise ValueError(f"not a Slack conversation id: {conversation_id!r}")
        return cls(team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)


@dataclass(frozen=True, kw_only=True)
class SlackTurn:
    """One thing a person did in Slack that the engine should see: a message or a button click."""

    thread: SlackThread
    user_id: str
    delivery_id: str  # the event id (or trigger id): log correlation and de-duplication
    text: str = ""
    message_ts: str | None = None  # the person's message, which carries the progress reaction
    choice: str | None = None
    in_reply_to: int | None = None
    # A message in a channel thread without a mention: only taken when that thread is already this person's
    # conversation with the bot, so colleagues talking in a thread are left alone.
    follow_up_only: bool = False


_BOT_MENTION = r"<@{bot}(?:\|[^>]*)?>"
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_USER = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]+))?>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")


def plain_text(text: str, *, bot_user_id: str | None) -> str:
    """What the person typed, without Slack's markup: the bot's own mention dropped, links and names spelt out."""
    if bot_user_id:
        text = re.sub(_BOT_MENTION.format(bot=re.escape(bot_user_id)), "", text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text)
    text = _USER.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    return html.unescape(text).strip()


def mentions(text: str, *, bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and re.search(_BOT_MENTION.format(bot=re.escape(bot_user_id or "")), text) is not None
