"""When two articles are close the bot asks which one; the answer follows the person's pick."""

from __future__ import annotations

import pytest

from tests.support.webchat import Bot


@pytest.mark.asyncio
async def test_picking_an_offered_article_answers_from_it(always_clarifying_bot: Bot) -> None:
    alice = always_clarifying_bot.person()
    [question] = await alice.say("printer problem")
    assert question["kind"] == "clarify"
    assert question["expects"] == "choice"
    options = [c["id"] for c in question["choices"]]
    assert options[-1] == "none"
    assert len(options) >= 3

    [answer] = await alice.pick(options[1])
    assert answer["kind"] == "answer"
    assert answer["citations"][0]["article_id"] == options[1]


@pytest.mark.asyncio
async def test_none_of_these_hands_off_with_the_original_question(always_clarifying_bot: Bot) -> None:
    alice = always_clarifying_bot.person()
    await alice.say("outlook thing")
    [reply] = await alice.pick("none")
    assert reply["kind"] == "handoff"
    packet = await always_clarifying_bot.handoff_packet(reply["handoff_id"])
    assert packet["question"] == "outlook thing"


@pytest.mark.asyncio
async def test_a_stale_or_invented_choice_is_refused_politely(always_clarifying_bot: Bot) -> None:
    alice = always_clarifying_bot.person()
    [reply] = await alice.pick("vpn-connect")
    assert reply["kind"] == "info"
    assert "isn't available" in reply["text"]
    await alice.say("wifi")
    [reply] = await alice.pick("not-an-offered-article")
    assert reply["kind"] == "info"


@pytest.mark.asyncio
async def test_typing_instead_of_picking_starts_afresh(always_clarifying_bot: Bot) -> None:
    alice = always_clarifying_bot.person()
    await alice.say("wifi")
    [reply] = await alice.say("talk to a person")
    assert reply["kind"] == "handoff"


@pytest.mark.asyncio
async def test_after_a_hand_off_messages_go_to_the_ticket_instead_of_clarifying(always_clarifying_bot: Bot) -> None:
    alice = always_clarifying_bot.person()
    [first] = await alice.say("talk to a person")
    [reply] = await alice.say("wifi")
    assert reply["kind"] == "info"
    assert reply["handoff_id"] == first["handoff_id"]
    assert [c["label"] for c in reply["choices"]] == ["Close my ticket"]
