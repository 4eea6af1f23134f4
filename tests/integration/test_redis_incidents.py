"""A surge reported through two replicas at once opens one incident, not one per replica (real Redis, one
database, real embeddings)."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.model import ConversationRef, UserRef
from bot.incidents.store import SqlIncidents
from bot.incidents.tracker import IncidentTracker
from bot.kb.embedder import EncoderEmbedder
from bot.store.shared.redis_state import RedisSharedState
from bot.store.shared.redis_turn_order import RedisTurnOrder
from bot.store.sql.database import Database
from bot.triage.config import SurgeConfig
from knowledge.embeddings import MiniLMEncoder
from tests.support.servers.redis import RedisServer
from tests.unit.incidents.test_surge_detection import VPN

pytestmark = pytest.mark.asyncio


async def report_everywhere(trackers: list[IncidentTracker]) -> None:
    """Each VPN complaint arrives on another replica, all within the same moment."""
    await asyncio.gather(
        *(
            trackers[n % len(trackers)].report(
                conversation=ConversationRef(channel="web", id=f"conv-{n}"),
                user=UserRef(id=f"person{n}", email=f"person{n}@example.com"),
                text=text,
            )
            for n, text in enumerate(VPN)
        )
    )


def tracker(database: Database, encoder: MiniLMEncoder, turn_order: RedisTurnOrder) -> IncidentTracker:
    return IncidentTracker(
        incidents=SqlIncidents(database),
        embedder=EncoderEmbedder(encoder=encoder),
        config=SurgeConfig(),
        notifier=_Silent(),
        alert=lambda _text: None,
        turn_order=turn_order,
    )


class _Silent:
    async def tell_person(self, **_: object) -> bool:
        return True

    async def tell_conversation(self, **_: object) -> None:
        return None


async def test_one_surge_reported_through_two_replicas_opens_one_incident(
    database: Database, encoder: MiniLMEncoder, redis_server: RedisServer
) -> None:
    states = [RedisSharedState(redis_server.url) for _ in range(2)]
    trackers = [tracker(database, encoder, RedisTurnOrder(state)) for state in states]
    try:
        await report_everywhere(trackers)
    finally:
        for state in states:
            await state.close()
    incidents = await trackers[0].all()
    assert len(incidents) == 1, [i.summary for i in incidents]
    assert incidents[0].reporters == len(VPN)
