"""Every answer asks whether it helped; the rating is stored against that answer."""

from __future__ import annotations

import pytest

from tests.support.webchat import Bot


@pytest.mark.asyncio
async def test_an_answer_offers_feedback_and_a_person(bot: Bot) -> None:
    [answer] = await bot.person().say("how do I connect to the VPN?")
    assert answer["kind"] == "answer"
    assert [c["label"] for c in answer["choices"]] == ["This helped", "Not helpful", "Talk to a person"]
    assert answer["expects"] is None  # buttons are optional: typing goes on as usual
    assert isinstance(answer["seq"], int)


@pytest.mark.asyncio
async def test_this_helped_is_stored_against_the_answer(bot: Bot) -> None:
    alice = bot.person()
    [answer] = await alice.say("how do I connect to the VPN?")
    [thanks] = await alice.press(answer, "This helped")
    assert thanks["kind"] == "info"
    assert thanks["private"]
    assert await bot.feedback() == [
        {"answer": answer["seq"], "user": "alice", "helpful": True, "conversation": f"web:{alice.conversation_id}"}
    ]


@pytest.mark.asyncio
async def test_changing_ones_mind_replaces_the_rating_and_can_lead_to_a_person(bot: Bot) -> None:
    alice = bot.person()
    [answer] = await alice.say("how do I connect to the VPN?")
    await alice.press(answer, "This helped")
    [sorry] = await alice.press(answer, "Not helpful")
    assert [f["helpful"] for f in await bot.feedback()] == [False]
    assert [c["label"] for c in sorry["choices"]] == ["Talk to a person"]

    [handoff] = await alice.press(sorry, "Talk to a person")
    assert handoff["kind"] == "handoff"
    packet = await bot.handoff_packet(handoff["handoff_id"])
    assert packet["question"] == "how do I connect to the VPN?"
    assert packet["intent"] == "human"


@pytest.mark.asyncio
async def test_feedback_naming_something_that_is_not_an_answer_here_is_refused(bot: Bot) -> None:
    alice, bob = bot.person("alice"), bot.person("bob")
    [answer] = await alice.say("how do I connect to the VPN?")
    [greeting] = await bob.say("hello")
    forged = {**greeting, "choices": answer["choices"], "seq": answer["seq"]}  # alice's answer, bob's chat
    [refused] = await bob.press(forged, "This helped")
    assert refused["kind"] == "info"
    assert "couldn't record" in refused["text"]
    [not_an_answer] = await bob.press({**forged, "seq": greeting["seq"]}, "Not helpful")
    assert "couldn't record" in not_an_answer["text"]
    assert await bot.feedback() == []
