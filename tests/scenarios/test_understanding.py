"""Messages as people really write them, through the web chat API with the starter knowledge base."""

from __future__ import annotations

import pytest

from tests.support.webchat import Bot

pytestmark = pytest.mark.asyncio


async def test_a_request_for_a_person_after_a_problem_is_handed_off(bot: Bot) -> None:
    [reply] = await bot.person().say("My laptop screen flickers green, I want to talk to a person")
    assert reply["kind"] == "handoff"
    packet = await bot.handoff_packet(reply["handoff_id"])
    assert packet["intent"] == "human"


async def test_an_e_mail_with_signature_disclaimer_and_quoted_thread_is_read_for_its_ask(bot: Bot) -> None:
    [reply] = await bot.person().say(
        "Subject: RE: locked out\n\nHi team,\n\naccount locked again and I forgot the pass word, please re-set it.\n\n"
        "Kind regards,\nMarta\nAccounts Payable\nPhone: +44 20 7946 0321\n\n"
        "This e-mail is confidential and intended solely for the addressee.\n\n"
        "On Mon, 3 Mar 2025 at 09:12, IT Support <it@example.com> wrote:\n> How do I set up MFA?"
    )
    assert reply["intent"] == "reset_password"


async def test_a_german_request_for_a_person_is_understood(bot: Bot) -> None:
    [reply] = await bot.person().say("Ich möchte bitte mit einem Mitarbeiter der IT sprechen")
    assert reply["kind"] == "handoff"
    assert reply["intent"] == "human"


async def test_asking_how_to_reset_a_password_oneself_is_a_question_for_the_articles(bot: Bot) -> None:
    [reply] = await bot.person().say("how do I reset my password myself?")
    assert reply["intent"] is None
    assert reply["kind"] in {"answer", "clarify"}
