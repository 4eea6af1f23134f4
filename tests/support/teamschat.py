"""Driving the fully wired bot as Teams would: JWT-signed activities to /api/messages, replies at a fake connector."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse
from microsoft_agents.hosting.core import AgentAuthConfiguration
from microsoft_agents.hosting.core.authorization import ConnectionManager

from bot.channels.teams.auth import SERVICE_CONNECTION
from bot.channels.teams.channel import TEAMS_CHANNEL, TeamsChannel
from bot.core.model import ConversationRef
from knowledge.embeddings import MiniLMEncoder
from tests.fakes.bot_connector import ConnectorCall, FakeBotConnector, StaticTokenProvider
from tests.support.webchat import Bot, running_bot

TENANT = "8f4c2d1e-0b5a-4c3e-9d7f-6a1b2c3d4e5f"
OTHER_TENANT = "0d0d0d0d-1111-2222-3333-444444444444"
BOT_ID = "28:helpdesk-bot"
BOT_NAME = "IT Help"
APP_PASSWORD = "teams-app-secret-value"
DEFAULT = object()  # "sign the activity as the Bot Framework would"
_activity_ids = itertools.count(1_763_000_000_000)


@dataclass
class TeamsTenant:
    """One Microsoft 365 tenant with the bot installed: the fake connector the bot calls, and the bot's
    /api/messages that the Bot Framework calls."""

    bot: Bot
    connector: FakeBotConnector
    tenant_id: str = TENANT

    @property
    def channel(self) -> TeamsChannel:
        return self.bot.client.app[TEAMS_CHANNEL]

    async def settle(self) -> None:
        """Wait until every turn the bot acknowledged has finished."""
        await self.channel.turns.drain(timeout=60)

    def person(self, name: str, *, email: str | None = "", tenant_id: str | None = None) -> TeamsUser:
        slug = name.split()[0].lower()
        user = TeamsUser(
            tenant=self,
            name=name,
            teams_id=f"29:{slug}-{uuid.uuid4().hex[:6]}",
            aad_object_id=str(uuid.uuid4()),
            tenant_id=tenant_id or self.tenant_id,
        )
        self.connector.add_member(
            user.teams_id,
            aad_object_id=user.aad_object_id,
            name=name,
            email=f"{slug}@contoso.example" if email == "" else email,
        )
        return user

    async def deliver(
        self, activity: dict[str, Any], *, token: Any = DEFAULT, headers: dict[str, str] | None = None
    ) -> ClientResponse:
        """POST an activity to /api/messages, with the Bot Framework's JWT unless `token` says otherwise."""
        bearer = self.connector.channel_token() if token is DEFAULT else token
        sent = {**({"Authorization": f"Bearer {bearer}"} if bearer else {}), **(headers or {})}
        response = await self.bot.client.post("/api/messages", json=activity, headers=sent)
        await self.settle()
        return response

    def activity(
        self,
        kind: str,
        *,
        conversation: dict[str, Any],
        sender: dict[str, Any] | None,
        tenant_id: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """An activity in the Bot Framework wire format, as Teams delivers it."""
        tenant = tenant_id or self.tenant_id
        return {
            "type": kind,
            "id": str(next(_activity_ids)),
            "timestamp": "2026-11-22T09:00:00.000Z",
            "serviceUrl": self.connector.service_url,
            "channelId": "msteams",
            **({"from": sender} if sender else {}),
            "conversation": {**conversation, "tenantId": tenant},
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "channelData": {"tenant": {"id": tenant}, **fields.pop("channel_data", {})},
            **fields,
        }

    def conversation(self, posted: ConnectorCall) -> ConversationRef:
        return ConversationRef(channel="teams", id=posted.conversation_id)


@dataclass
class TeamsUser:
    """A person in the tenant; each action waits for the bot to finish its turn."""

    tenant: TeamsTenant
    name: str
    teams_id: str
    aad_object_id: str
    tenant_id: str
    personal_chat: str = field(init=False)

    def __post_init__(self) -> None:
        self.personal_chat = f"a:1{self.teams_id[3:]}-personal"

    @property
    def account(self) -> dict[str, Any]:
        return {"id": self.teams_id, "name": self.name, "aadObjectId": self.aad_object_id}

    async def say(self, text: str, **extra: Any) -> ClientResponse:
        """A message in the person's 1:1 chat with the bot."""
        return await self.tenant.deliver(self.message(text, **extra))

    def message(self, text: str, **extra: Any) -> dict[str, Any]:
        return self.tenant.activity(
            "message",
            sender=self.account,
            tenant_id=self.tenant_id,
            text=text,
            textFormat="plain",
            locale="en-US",
            conversation={"id": self.personal_chat, "conversationType": "personal"},
            **extra,
        )

    async def mention(
        self,
        text: str,
        *,
        thread: str,
        team_id: str = "19:team-general@thread.tacv2",
        channel_id: str = "19:it-support@thread.tacv2",
    ) -> ClientResponse:
        """@-mention the bot in a team channel thread (`thread` is the root post's id)."""
        tag = f"<at>{BOT_NAME}</at>"
        activity = self.tenant.activity(
            "message",
            sender=self.account,
            tenant_id=self.tenant_id,
            text=f"{tag} {text}",
            textFormat="plain",
            conversation={"id": f"{channel_id};messageid={thread}", "conversationType": "channel", "isGroup": True},
            entities=[{"type": "mention", "text": tag, "mentioned": {"id": BOT_ID, "name": BOT_NAME}}],
            channel_data={"team": {"id": team_id}, "channel": {"id": channel_id}},
        )
        return await self.tenant.deliver(activity)

    async def mention_in_group_chat(self, text: str, *, chat_id: str) -> ClientResponse:
        tag = f"<at>{BOT_NAME}</at>"
        activity = self.tenant.activity(
            "message",
            sender=self.account,
            tenant_id=self.tenant_id,
            text=f"{tag} {text}",
            textFormat="plain",
            conversation={"id": chat_id, "conversationType": "groupChat", "isGroup": True},
            entities=[{"type": "mention", "text": tag, "mentioned": {"id": BOT_ID, "name": BOT_NAME}}],
        )
        return await self.tenant.deliver(activity)

    async def press(
        self, posted: ConnectorCall, title: str, *, inputs: dict[str, str] | None = None, team_id: str | None = None
    ) -> ClientResponse:
        """Press a card button (also one inside an Action.ShowCard): Teams sends Action.Submit's data, with the
        card's inputs merged in, as a message's `value`, replying to the card. `team_id`: the card is in a
        channel of that team."""
        [action] = [a for a in _submit_actions(posted.buttons) if a["title"] == title]
        channel_id = posted.conversation_id.split(";")[0]
        activity = self.tenant.activity(
            "message",
            sender=self.account,
            tenant_id=self.tenant_id,
            conversation={
                "id": posted.conversation_id,
                "conversationType": _scope_of(posted),
                **({"isGroup": True} if team_id else {}),
            },
            value={**action["data"], **(inputs or {})},
            replyToId=posted.activity_id or "",
            **({"channel_data": {"team": {"id": team_id}, "channel": {"id": channel_id}}} if team_id else {}),
        )
        return await self.tenant.deliver(activity)

    async def install_in_team(self, team_id: str) -> ClientResponse:
        """Add the app to a team: Teams names the conversation after the team's General channel (the team id)."""
        return await self.tenant.deliver(
            self.tenant.activity(
                "conversationUpdate",
                sender=self.account,
                tenant_id=self.tenant_id,
                conversation={"id": team_id, "conversationType": "channel", "isGroup": True},
                membersAdded=[{"id": BOT_ID}],
                channel_data={"team": {"id": team_id, "name": "IT staff"}, "eventType": "teamMemberAdded"},
            )
        )

    async def install(self) -> ClientResponse:
        """Add the app in personal scope: Teams sends conversationUpdate with the bot among membersAdded."""
        return await self.tenant.deliver(
            self.tenant.activity(
                "conversationUpdate",
                sender=self.account,
                tenant_id=self.tenant_id,
                conversation={"id": self.personal_chat, "conversationType": "personal"},
                membersAdded=[{"id": BOT_ID}],
            )
        )


def _submit_actions(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every Action.Submit among `actions`, including those on the cards that Action.ShowCard opens."""
    found = []
    for action in actions:
        if action["type"] == "Action.ShowCard":
            found += _submit_actions(action["card"].get("actions", []))
        elif action["type"] == "Action.Submit":
            found.append(action)
    return found


def _scope_of(posted: ConnectorCall) -> str:
    if ";messageid=" in posted.conversation_id:
        return "channel"
    return "personal" if posted.conversation_id.startswith("a:") else "groupChat"


def static_connections(connector: FakeBotConnector, *, token: str | None = None) -> ConnectionManager:
    """The bot's outgoing tokens from a fixed value the fake connector accepts (Entra is out of reach here)."""
    configuration = AgentAuthConfiguration(
        client_id=connector.app_id, client_secret=APP_PASSWORD, tenant_id=TENANT, connection_name=SERVICE_CONNECTION
    )
    return ConnectionManager(
        provider_factory=lambda config: StaticTokenProvider(config, token=token or connector.bot_token),
        connections_configurations={SERVICE_CONNECTION: configuration},
    )


@asynccontextmanager
async def teams_tenant(
    *,
    data_dir: Path,
    tmp_path: Path,
    encoder: MiniLMEncoder,
    authenticated: bool = True,
    outgoing_token: str | None = None,
    **overrides: Any,
) -> AsyncIterator[TeamsTenant]:
    """The bot wired to a fake connector. Authenticated: TEAMS_APP_ID and friends set, JWTs required both ways.
    Otherwise HELPDESK_ENV=dev without an app id, as with the Bot Framework Emulator."""
    connector = FakeBotConnector(require_auth=authenticated)
    await connector.start()
    connector.trust_keys()
    settings: dict[str, Any] = (
        {"teams_app_id": connector.app_id, "teams_app_password": APP_PASSWORD, "teams_tenant_id": TENANT}
        if authenticated
        else {"env": "dev"}
    )
    try:
        async with running_bot(
            data_dir=data_dir,
            tmp_path=tmp_path,
            encoder=encoder,
            teams_connections=static_connections(connector, token=outgoing_token),
            **{**settings, **overrides},
        ) as bot:
            yield TeamsTenant(bot=bot, connector=connector)
    finally:
        await connector.close()
