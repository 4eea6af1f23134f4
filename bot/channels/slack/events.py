"""Slack payloads → SlackTurns. Pure functions: what to take, what to ignore, and which conversation it is."""

from __future__ import annotations

import json
from typing import Any

from bot.channels.slack.threads import SlackThread, SlackTurn, mentions, plain_text

# Message subtypes that are still a person writing; every other subtype (edits, deletions, joins, topic
# changes, bot posts…) is ignored.
PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}


def turn_from_message(body: dict[str, Any], event: dict[str, Any], *, bot_user_id: str | None) -> SlackTurn | None:
    """A `message` event (DM, or a reply in a channel thread), or None when the bot should ignore it."""
    user = event.get("user")
    if (
        event.get("subtype") not in PERSON_SUBTYPES
        or event.get("bot_id")
        or not isinstance(user, str)
        or not user
        or user == bot_user_id
        or not isinstance(event.get("ts"), str)
    ):
        return None
    thread = _thread(body, event)
    if thread is None:
        return None
    text = str(event.get("text") or "")
    if not thread.is_direct and (event.get("thread_ts") is None or mentions(text, bot_user_id=bot_user_id)):
        # Top-level channel chatter is not for the bot, and mentions arrive as app_mention events.
        return None
    return SlackTurn(
        thread=thread,
        user_id=user,
        delivery_id=_event_id(body),
        message_ts=event["ts"],
        text=plain_text(text, bot_user_id=bot_user_id),
        follow_up_only=not thread.is_direct,
    )


def turn_from_mention(body: dict[str, Any], event: dict[str, Any], *, bot_user_id: str | None) -> SlackTurn | None:
    """An `app_mention` event: the bot was @-mentioned in a channel (new thread or an existing one)."""
    user = event.get("user")
    if event.get("bot_id") or not isinstance(user, str) or not user or not isinstance(event.get("ts"), str):
        return None
    thread = _thread(body, event)
    if thread is None:
        return None
    return SlackTurn(
        thread=thread,
        user_id=user,
        delivery_id=_event_id(body),
        message_ts=event["ts"],
        text=plain_text(str(event.get("text") or ""), bot_user_id=bot_user_id),
    )


def thread_reply(body: dict[str, Any], event: dict[str, Any], *, bot_user_id: str | None) -> SlackTurn | None:
    """A person's reply in a channel thread (a `message` or an `app_mention`), mention or not: what staff write
    under a ticket card. None for anything else, including the thread's first message and edits."""
    user, ts, thread_ts = event.get("user"), event.get("ts"), event.get("thread_ts")
    if (
        event.get("subtype") not in (None, "thread_broadcast")
        or event.get("bot_id")
        or not isinstance(user, str)
        or not user
        or user == bot_user_id
        or not isinstance(ts, str)
        or not isinstance(thread_ts, str)
        or ts == thread_ts
    ):
        return None
    thread = _thread(body, event)
    if thread is None or thread.is_direct:
        return None
    return SlackTurn(
        thread=thread,
        user_id=user,
        delivery_id=_event_id(body),
        message_ts=ts,
        text=plain_text(str(event.get("text") or ""), bot_user_id=bot_user_id),
    )


def turn_from_click(body: dict[str, Any], action: dict[str, Any]) -> SlackTurn | None:
    """A `block_actions` click on one of the bot's buttons; the button's value names the conversation."""
    try:
        value = json.loads(action["value"])
        thread = SlackThread.from_conversation_id(str(value["k"]))
        choice = str(value["c"])
        in_reply_to = value.get("r")
        user_id = str(body["user"]["id"])
    except (KeyError, TypeError, ValueError):
        return None
    if in_reply_to is not None and not isinstance(in_reply_to, int):
        return None
    return SlackTurn(
        thread=thread,
        user_id=user_id,
        choice=choice,
        in_reply_to=in_reply_to,
        delivery_id=str(body.get("trigger_id") or action.get("action_ts") or ""),
    )


def choice_value(*, conversation_id: str, choice: str, reply_seq: int | None) -> str:
    """The value carried by a button (Slack signs it back to us on click; at most 2,000 characters)."""
    return json.dumps({"k": conversation_id, "c": choice, "r": reply_seq}, separators=(",", ":"))


def message_key(body: dict[str, Any], event: dict[str, Any]) -> str | None:
    """One key per Slack message, so the same message arriving as two events (or twice) is handled once."""
    thread = _thread(body, event)
    ts = event.get("ts")
    return None if thread is None or not isinstance(ts, str) else f"{thread.team_id}:{thread.channel_id}:{ts}"


def _thread(body: dict[str, Any], event: dict[str, Any]) -> SlackThread | None:
    team_id = body.get("team_id") or event.get("team")
    channel, ts = event.get("channel"), event.get("thread_ts") or event.get("ts")
    if not (isinstance(team_id, str) and isinstance(channel, str) and isinstance(ts, str) and team_id and channel):
        return None
    return SlackThread(team_id=team_id, channel_id=channel, thread_ts=ts)


def _event_id(body: dict[str, Any]) -> str:
    return str(body.get("event_id") or "")
