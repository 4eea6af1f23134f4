"""Driving the fully wired bot (real SQLite, real index, real model) through its web chat API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from microsoft_agents.hosting.core.authorization import Connections

from bot.app import Services, build_services, create_web_app
from bot.core.ports import Clock
from bot.store.sql.schema import feedback as feedback_table
from knowledge.embeddings import MiniLMEncoder
from tests.support.settings import settings_from


@dataclass
class Person:
    """Somebody chatting through the web API; `say` and `pick` return the bot's replies."""

    client: TestClient[web.Request, web.Application]
    user: dict[str, str]
    conversation_id: str = field(default_factory=lambda: f"conv-{uuid.uuid4().hex[:10]}")
    seq: int = 0

    async def say(self, text: str) -> list[dict[str, Any]]:
        return await self._post({"text": text})

    async def pick(self, choice: str) -> list[dict[str, Any]]:
        return await self._post({"choice": choice})

    async def press(self, reply: dict[str, Any], label: str) -> list[dict[str, Any]]:
        """Click the button labelled `label` under `reply`, as the chat page does (naming the reply)."""
        [choice] = [c["id"] for c in reply["choices"] if c["label"] == label]
        return await self._post({"choice": choice, "in_reply_to": reply["seq"]})

    async def _post(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        response = await self.client.post(
            "/api/chat", json={"conversation_id": self.conversation_id, "user": self.user, **body}
        )
        assert response.status == 200, await response.text()
        payload = await response.json()
        self.seq = payload["seq"]
        return list(payload["replies"])

    async def later_replies(self) -> list[dict[str, Any]]:
        response = await self.client.get(f"/api/chat/{self.conversation_id}/events", params={"after": self.seq})
        assert response.status == 200, await response.text()
        payload = await response.json()
        self.seq = payload["seq"]
        return list(payload["replies"])


@dataclass
class Bot:
    services: Services
    client: TestClient[web.Request, web.Application]

    async def handoff_packet(self, ticket: str) -> dict[str, Any]:
        """The packet stored with a hand-off ticket (fails the test if there is no such ticket)."""
        stored = await self.services.staff.tickets.packet(ticket)
        assert stored is not None, f"no hand-off {ticket}"
        return stored

    async def feedback(self) -> list[dict[str, Any]]:
        """Every stored answer rating: which answer (its seq), by whom, helpful or not."""
        async with self.services.database.engine.connect() as conn:
            rows = (await conn.execute(sa.select(feedback_table).order_by(feedback_table.c.turn_id))).all()
        return [
            {"answer": row.turn_id, "user": row.user_id, "helpful": row.helpful, "conversation": row.conversation_key}
            for row in rows
        ]

    def person(self, name: str = "alice") -> Person:
        return Person(client=self.client, user={"id": name, "email": f"{name}@example.com", "name": name.title()})


@asynccontextmanager
async def running_bot(
    *,
    data_dir: Path,
    tmp_path: Path,
    encoder: MiniLMEncoder,
    teams_connections: Connections | None = None,
    clock: Clock | None = None,
    **overrides: Any,
) -> AsyncIterator[Bot]:
    """The bot on a fresh SQLite database in `tmp_path`, served on a random local port, closed afterwards."""
    settings = settings_from(
        data_dir=data_dir, database_url=f"sqlite+aiosqlite:///{tmp_path / 'helpdesk.db'}", **overrides
    )
    services = await build_services(settings, encoder=encoder, clock=clock)
    client = TestClient(TestServer(create_web_app(services, teams_connections=teams_connections)))
    await client.start_server()
    try:
        yield Bot(services=services, client=client)
    finally:
        await client.close()
        await services.close()
