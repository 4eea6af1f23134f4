"""A conversation row written before flows were typed still loads; a broken one loads without its flow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.flows import ActionFlow
from bot.core.model import ConversationRef, ConversationState
from bot.store.sql.conversations import SqlConversationStore
from bot.store.sql.database import Database
from bot.store.sql.schema import conversations

CONVERSATION = ConversationRef(channel="web", id="conv-old")
EXPIRES = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


async def _old_row(database: Database, *, flow: str | None, flow_data: dict[str, object]) -> None:
    now = datetime.now(UTC)
    async with database.engine.begin() as conn:
        await conn.execute(
            conversations.insert().values(
                key=CONVERSATION.key,
                channel=CONVERSATION.channel,
                external_id=CONVERSATION.id,
                owner_id="alice",
                flow=flow,
                flow_data=flow_data,
                open_handoff=None,
                created_at=now,
                updated_at=now,
            )
        )


@pytest.mark.asyncio
async def test_an_action_flow_row_in_the_old_format_loads_into_the_typed_state(database: Database) -> None:
    await _old_row(
        database,
        flow="action",
        flow_data={
            "action": "unlock_account",
            "email": "alice@example.org",
            "account": "uid=alice",
            "reason": "r",
            "step": "confirm",
            "wrong": 0,
            "expires": EXPIRES.isoformat(),
        },
    )
    store = SqlConversationStore(database=database)
    state = await store.load_state(CONVERSATION)
    assert state == ConversationState(
        owner_id="alice",
        flow=ActionFlow(
            action="unlock_account",
            email="alice@example.org",
            account="uid=alice",
            reason="r",
            step="confirm",
            expires=EXPIRES,
        ),
    )
    await store.save_state(conversation=CONVERSATION, state=state)  # and is written back in the same columns
    assert await store.load_state(CONVERSATION) == state


@pytest.mark.asyncio
async def test_a_row_without_a_flow_loads_as_before(database: Database) -> None:
    await _old_row(database, flow=None, flow_data={})
    assert await SqlConversationStore(database=database).load_state(CONVERSATION) == ConversationState(owner_id="alice")


@pytest.mark.asyncio
async def test_a_corrupt_flow_row_loads_as_no_flow_in_progress(database: Database) -> None:
    await _old_row(database, flow="action", flow_data={"step": "code", "expires": "tomorrow"})
    assert await SqlConversationStore(database=database).load_state(CONVERSATION) == ConversationState(owner_id="alice")
