"""Buttons nobody offered get a clear answer, and a damaged stored flow never breaks a conversation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot import messages
from bot.store.sql.schema import conversations
from tests.support.webchat import Bot, Person


async def _damage_flow(bot: Bot, person: Person, *, flow: str, flow_data: dict[str, object]) -> None:
    """What a bad manual edit, a bug in an older version or a half-done migration might leave behind."""
    async with bot.services.database.engine.begin() as conn:
        await conn.execute(
            sa.update(conversations)
            .where(conversations.c.key == f"web:{person.conversation_id}")
            .values(flow=flow, flow_data=flow_data)
        )


@pytest.mark.asyncio
async def test_buttons_nobody_offered_are_answered_clearly(bot: Bot) -> None:
    alice = bot.person()
    [reply] = await alice.pick("launch-the-rockets")
    assert reply["kind"] == "info"
    assert reply["text"] == messages.CLARIFY_UNKNOWN_CHOICE
    [reply] = await alice.pick("action:yes")  # no self-service request is open
    assert reply["kind"] == "info"
    assert reply["text"] == messages.ACTION_UNKNOWN_BUTTON
    [reply] = await alice.pick("approval:approve:AP-NOPE")
    assert reply["kind"] == "info"
    assert reply["text"] == messages.ACTION_UNKNOWN_BUTTON
    [reply] = await alice.pick("rating:HD-NOPE:5")
    assert reply["kind"] == "info"
    assert reply["text"] == messages.RATING_UNKNOWN
    [reply] = await alice.say("hello")  # and the conversation carries on as usual
    assert reply["text"] == messages.GREETING


@pytest.mark.asyncio
async def test_a_damaged_stored_flow_is_dropped_and_the_person_gets_a_normal_answer(bot: Bot) -> None:
    alice = bot.person()
    await alice.say("hello")
    await _damage_flow(bot, alice, flow="action", flow_data={"step": "code", "expires": "tomorrow"})
    [reply] = await alice.say("hello")
    assert reply["text"] == messages.GREETING

    await _damage_flow(bot, alice, flow="clarify", flow_data={"options": "printer-jam"})
    [reply] = await alice.pick("printer-jam")
    assert reply["kind"] == "info"
    assert reply["text"] == messages.CLARIFY_UNKNOWN_CHOICE
    [reply] = await alice.say("thanks")
    assert reply["text"] == messages.THANKS
