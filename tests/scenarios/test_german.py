"""The bot's own messages follow the person's language: German when they write German, kept for their buttons."""

from __future__ import annotations

import pytest

from tests.support.staffapi import StaffClient
from tests.support.webchat import Bot

GERMAN_BUTTONS = {"Hat geholfen", "Nichts davon — mit einem Menschen sprechen", "Mein Ticket schließen"}


@pytest.mark.asyncio
async def test_a_german_greeting_is_greeted_in_german(bot: Bot) -> None:
    [reply] = await bot.person().say("Hallo")
    assert reply["intent"] == "greeting"
    assert reply["text"].startswith("Hallo! Ich bin der IT-Hilfe-Bot.")


@pytest.mark.asyncio
async def test_a_german_problem_gets_german_bot_texts(bot: Bot) -> None:
    [reply] = await bot.person().say("Mein Drucker druckt nicht")
    assert {c["label"] for c in reply["choices"]} & GERMAN_BUTTONS


@pytest.mark.asyncio
async def test_a_button_keeps_the_language_of_the_conversation(bot: Bot) -> None:
    alice = bot.person()
    await alice.say("Hallo")
    [handoff] = await alice.pick("handoff:human")
    assert handoff["kind"] == "handoff"
    assert "IT-Service-Desk" in handoff["text"]
    assert "Wie es weitergeht" in handoff["text"]
    assert [c["label"] for c in handoff["choices"]] == ["Mein Ticket schließen"]

    [closed] = await alice.press(handoff, "Mein Ticket schließen")
    assert closed["text"].startswith(f"Gut — ich habe Ticket {handoff['handoff_id']} geschlossen.")


@pytest.mark.asyncio
async def test_writing_english_again_switches_back(bot: Bot) -> None:
    alice = bot.person()
    await alice.say("Hallo")
    [reply] = await alice.say("hello")
    assert reply["text"].startswith("Hi! I'm the IT help bot.")


@pytest.mark.asyncio
async def test_an_empty_message_is_answered_in_the_conversation_s_language(bot: Bot) -> None:
    alice = bot.person()
    await alice.say("Danke")
    [reply] = await alice.say("   ")
    assert reply["text"] == "Ihre Nachricht war leer. Wobei kann ich helfen?"


@pytest.mark.asyncio
async def test_the_clarifying_question_is_asked_in_german(always_clarifying_bot: Bot) -> None:
    [question] = await always_clarifying_bot.person().say("Mein Drucker druckt nicht, was kann ich tun?")
    assert question["kind"] == "clarify"
    assert question["text"].startswith("Ich möchte sichergehen")
    assert question["choices"][-1]["label"] == "Nichts davon — mit einem Menschen sprechen"


@pytest.mark.asyncio
async def test_it_s_notices_about_the_ticket_come_in_german_too(token_bot: Bot) -> None:
    alice = token_bot.person()
    staff = StaffClient.with_token(token_bot.client)
    await alice.say("Hallo")
    [handoff] = await alice.pick("handoff:human")
    await staff.ok("POST", f"/tickets/{handoff['handoff_id']}/claim")
    [claimed] = await alice.later_replies()
    assert (
        claimed["text"]
        == f"IT Service Desk hat Ihr Ticket {handoff['handoff_id']} übernommen und antwortet Ihnen hier."
    )
