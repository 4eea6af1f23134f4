"""A word or two, or an unclear message: the bot asks what is meant before it opens a ticket (default install)."""

from __future__ import annotations

import pytest

from tests.support.webchat import Bot


@pytest.mark.asyncio
@pytest.mark.parametrize("text", ["wifi", "teams", "printer"])
async def test_a_topic_word_gets_a_question_with_topics_to_pick_not_a_ticket(bot: Bot, text: str) -> None:
    [reply] = await bot.person().say(text)
    assert reply["kind"] == "clarify"
    assert reply["handoff_id"] is None
    articles = [c for c in reply["choices"] if c["id"] != "none"]
    assert articles, "at least one article is offered"
    assert len({c["id"] for c in articles}) == len(articles)  # each article once
    assert reply["choices"][-1] == {"id": "none", "label": "None of these — talk to a person"}


@pytest.mark.asyncio
async def test_a_wifi_question_offers_the_wifi_articles(bot: Bot) -> None:
    [reply] = await bot.person().say("wifi")
    assert {c["id"] for c in reply["choices"]} >= {"wifi-corporate", "wifi-guest"}


@pytest.mark.asyncio
async def test_none_of_these_after_the_question_opens_a_ticket_about_the_word(bot: Bot) -> None:
    alice = bot.person()
    [question] = await alice.say("teams")
    [reply] = await alice.press(question, "None of these — talk to a person")
    assert reply["kind"] == "handoff"
    packet = await bot.handoff_packet(reply["handoff_id"])
    assert packet["question"] == "teams"


@pytest.mark.asyncio
async def test_picking_a_topic_answers_from_that_article(bot: Bot) -> None:
    alice = bot.person()
    [question] = await alice.say("wifi")
    assert "wifi-guest" in [c["id"] for c in question["choices"]]
    [answer] = await alice.pick("wifi-guest")
    assert answer["kind"] == "answer"
    assert answer["citations"][0]["article_id"] == "wifi-guest"


@pytest.mark.asyncio
async def test_a_second_vague_message_after_the_question_opens_a_ticket(bot: Bot) -> None:
    alice = bot.person()
    [question] = await alice.say("printer")
    assert question["kind"] == "clarify"
    [reply] = await alice.say("email")
    assert reply["kind"] == "handoff"
    assert "still not sure" in reply["text"]


@pytest.mark.asyncio
async def test_a_clear_question_after_the_question_is_simply_answered(bot: Bot) -> None:
    alice = bot.person()
    await alice.say("wifi")
    [reply] = await alice.say("how do I connect to the VPN?")
    assert reply["kind"] == "answer"
    assert reply["citations"][0]["article_id"].startswith("vpn")


@pytest.mark.asyncio
async def test_words_no_article_fits_still_go_to_a_person(bot: Bot) -> None:
    [reply] = await bot.person().say("where is the canteen")
    assert reply["kind"] == "handoff"
