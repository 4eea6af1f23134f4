"""Driving the fully wired bot as Slack would: signed requests to /slack/events, replies seen at the fake Web API."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse

from bot.channels.slack.channel import SLACK_CHANNEL, SlackChannel
from knowledge.embeddings import MiniLMEncoder
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.support.webchat import Bot, running_bot

SIGNING_SECRET = "test-signing-secret"
_message_ts = itertools.count(1_800_000_000_000_100, 100)


def next_ts() -> str:
    """A fresh Slack message timestamp ("seconds.micro"), increasing like Slack's."""
    value = next(_message_ts)
    return f"{value // 1_000_000}.{value % 1_000_000:06d}"


def sign(body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature: HMAC-SHA256 over "v0:{timestamp}:{body}" (works for any bytes)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def section_text(call: SlackCall) -> str:
    """The visible text of a posted message: its section blocks, joined."""
    return "\n".join(b["text"]["text"] for b in call.args.get("blocks", []) if b.get("type") == "section")


def ticket_of(call: SlackCall) -> str:
    """The ticket a hand-off message names in its context line ("Ticket *HD-…*")."""
    [context] = [b for b in call.args.get("blocks", []) if b.get("type") == "context"]
    return str(context["elements"][0]["text"].split("*")[1])


def buttons(call: SlackCall) -> list[str]:
    return [e["text"]["text"] for b in call.args.get("blocks", []) if b.get("type") == "actions" for e in b["elements"]]


@dataclass
class Workspace:
    """One Slack workspace: the fake Web API the bot calls, and the bot's /slack/events that Slack calls."""

    bot: Bot
    api: FakeSlack
    team_id: str = "T0001"

    @property
    def channel(self) -> SlackChannel:
        return self.bot.client.app[SLACK_CHANNEL]

    async def settle(self) -> None:
        """Wait until every turn the bot acknowledged has finished, and what it told the staff boards."""
        await self.channel.turns.drain(timeout=60)
        await self.bot.services.staff.cards.tasks.drain(timeout=60)

    def person(self, user_id: str, *, email: str | None = "", name: str = "") -> SlackUser:
        name = name or user_id.title()
        self.api.add_user(user_id, email=f"{user_id.lower()}@example.com" if email == "" else email, real_name=name)
        return SlackUser(workspace=self, user_id=user_id)

    async def post(self, body: bytes, *, content_type: str, headers: dict[str, str] | None = None) -> ClientResponse:
        signed = {**sign(body), "Content-Type": content_type, **(headers or {})}
        return await self.bot.client.post("/slack/events", data=body, headers=signed)

    async def deliver_event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> ClientResponse:
        """Slack's Events API envelope around `event`, signed and posted; returns the HTTP response."""
        envelope = {
            "token": "legacy",
            "team_id": self.team_id,
            "api_app_id": "A1",
            "type": "event_callback",
            "event": event,
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": self.api.bot_user_id, "is_bot": True}],
        }
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return await self.post(json.dumps(envelope).encode(), content_type="application/json", headers=headers)

    async def deliver_form(self, fields: dict[str, str]) -> ClientResponse:
        body = urllib.parse.urlencode(fields).encode()
        return await self.post(body, content_type="application/x-www-form-urlencoded")

    def thread(self, channel: str, thread_ts: str) -> list[SlackCall]:
        """The bot's visible posts in one thread, oldest first."""
        return [
            c
            for c in self.api.calls_to("chat.postMessage")
            if c.args.get("channel") == channel and c.args.get("thread_ts") == thread_ts and c.error is None
        ]

    def ephemeral(self, user_id: str) -> list[SlackCall]:
        return [c for c in self.api.calls_to("chat.postEphemeral") if c.args.get("user") == user_id]


@dataclass
class SlackUser:
    """A person in the workspace; each action waits for the bot to finish its turn."""

    workspace: Workspace
    user_id: str
    dm_channel: str = field(init=False)

    def __post_init__(self) -> None:
        self.dm_channel = f"D{self.user_id}"

    async def dm(self, text: str, *, thread_ts: str | None = None) -> str:
        """Write in the direct-message channel with the bot (in a thread if given); the message's ts."""
        return await self._write(channel=self.dm_channel, channel_type="im", text=text, thread_ts=thread_ts)

    async def write(self, channel: str, text: str, *, thread_ts: str | None = None) -> str:
        """A plain channel message (no mention)."""
        return await self._write(channel=channel, channel_type="channel", text=text, thread_ts=thread_ts)

    async def mention(
        self, channel: str, text: str, *, thread_ts: str | None = None, message_first: bool = False
    ) -> str:
        """@-mention the bot: Slack sends app_mention and, the bot being in the channel, a message event (in
        either order)."""
        ts = next_ts()
        body = f"<@{self.workspace.api.bot_user_id}> {text}"
        event = {
            "type": "app_mention",
            "user": self.user_id,
            "text": body,
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
            **({"thread_ts": thread_ts} if thread_ts else {}),
        }
        message = {**event, "type": "message", "channel_type": "channel"}
        for copy in (message, event) if message_first else (event, message):
            response = await self.workspace.deliver_event(copy)
            assert response.status == 200, await response.text()
        await self.workspace.settle()
        return ts

    async def click(self, posted: SlackCall, label: str) -> ClientResponse:
        """Press the button labelled `label` on a message the bot posted, as it is shown now (after updates)."""
        channel = str(posted.args["channel"])
        shown = self.workspace.api.messages.get((channel, posted.response["ts"]), {}).get("blocks")
        blocks = shown if shown is not None else posted.args["blocks"]
        action = next(
            e for b in blocks if b.get("type") == "actions" for e in b["elements"] if e["text"]["text"] == label
        )
        payload = {
            "type": "block_actions",
            "team": {"id": self.workspace.team_id, "domain": "test"},
            "user": {"id": self.user_id, "team_id": self.workspace.team_id},
            "api_app_id": "A1",
            "trigger_id": self.workspace.api.new_trigger(self.user_id),
            "channel": {"id": channel},
            "container": {"type": "message", "channel_id": channel, "message_ts": posted.response["ts"]},
            "message": {"type": "message", "ts": posted.response["ts"], "blocks": blocks},
            "response_url": self.workspace.api.response_url(uuid.uuid4().hex[:8]),
            "actions": [{**action, "block_id": "b1", "action_ts": str(time.time())}],
        }
        response = await self.workspace.deliver_form({"payload": json.dumps(payload)})
        await self.workspace.settle()
        return response

    async def submit(self, view_id: str, values: dict[str, str]) -> ClientResponse:
        """Fill in and submit a view the bot opened for this person; the response is the bot's acknowledgement."""
        payload = self.workspace.api.submission(view_id, user_id=self.user_id, values=values)
        response = await self.workspace.deliver_form({"payload": json.dumps(payload)})
        await self.workspace.settle()
        return response

    async def slash(self, text: str = "", *, channel: str = "C0GENERAL") -> ClientResponse:
        fields = {
            "command": "/helpdesk",
            "text": text,
            "team_id": self.workspace.team_id,
            "channel_id": channel,
            "user_id": self.user_id,
            "trigger_id": self.workspace.api.new_trigger(self.user_id),
            "response_url": self.workspace.api.response_url("cmd"),
            "token": "legacy",
            "api_app_id": "A1",
        }
        response = await self.workspace.deliver_form(fields)
        await self.workspace.settle()
        return response

    async def _write(self, *, channel: str, channel_type: str, text: str, thread_ts: str | None) -> str:
        ts = next_ts()
        event = {
            "type": "message",
            "channel_type": channel_type,
            "user": self.user_id,
            "text": text,
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
            **({"thread_ts": thread_ts} if thread_ts else {}),
        }
        response = await self.workspace.deliver_event(event)
        assert response.status == 200, await response.text()
        await self.workspace.settle()
        return ts


@asynccontextmanager
async def slack_workspace(
    *, data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder, bot_token: str | None = None, **overrides: Any
) -> AsyncIterator[Workspace]:
    """The bot wired to a fake Slack Web API, in HTTP mode with a signing secret (and the right token, unless
    `bot_token` says otherwise)."""
    api = FakeSlack()
    await api.start()
    try:
        async with running_bot(
            data_dir=data_dir,
            tmp_path=tmp_path,
            encoder=encoder,
            slack_bot_token=bot_token or api.bot_token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=api.api_url,
            **overrides,
        ) as bot:
            yield Workspace(bot=bot, api=api)
    finally:
        await api.close()
