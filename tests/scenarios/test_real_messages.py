"""The messages real people sent that the bot used to misread, through the web chat API of a default install (no
directory connected, so an action request is met with the articles on doing it yourself)."""

from __future__ import annotations

import pytest

from tests.support.webchat import Bot

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("pass word reset | please reset the pass word for user jdoe", "reset_password"),
        ("erp SID_37 account unlock and password reset", "reset_password"),
        ("account locked // password reset request", "reset_password"),
        ("ng_azubi locked.", "unlock_account"),
        ("please provide access to m drive", "request_access"),
        ("install analysis office 2.2 in Kevin's pc", "request_software"),
        ("ich kann mein erp passwort nicht zurück setzen", "reset_password"),
    ],
)
async def test_a_ticket_style_request_is_understood_and_met_with_the_do_it_yourself_articles(
    bot: Bot, message: str, intent: str
) -> None:
    [reply] = await bot.person().say(message)
    assert reply["intent"] == intent
    assert reply["kind"] in {"answer", "clarify"}, reply["text"]


async def test_a_german_printer_problem_is_answered_from_the_english_articles_in_german_words(bot: Bot) -> None:
    [reply] = await bot.person().say("Mein Drucker druckt nicht")
    assert reply["kind"] in {"answer", "clarify"}, reply["text"]
    articles = [c["id"] for c in reply["choices"]] + [c["article_id"] for c in reply.get("citations") or []]
    assert any(a.startswith("printer") for a in articles)
    assert {c["label"] for c in reply["choices"]} & {"Nicht hilfreich", "Nichts davon — mit einem Menschen sprechen"}


async def test_an_expired_password_in_german_offers_the_reset_article(bot: Bot) -> None:
    [reply] = await bot.person().say("Mein Passwort ist abgelaufen, wie kann ich es zurücksetzen?")
    assert reply["intent"] == "reset_password"
    assert reply["kind"] in {"answer", "clarify"}
    offered = [c["id"] for c in reply["choices"]] + [c["article_id"] for c in reply.get("citations") or []]
    assert "password-self-service-reset" in offered
    assert "Passwort" in reply["text"]


async def test_an_outlook_e_mail_with_a_signature_is_answered_not_ticketed(bot: Bot) -> None:
    [reply] = await bot.person().say(
        "Hi team,\n\nmy outlook keeps asking for my password since this morning.\n\nBest regards,\nJohn Smith\n"
        "Senior Accountant | ACME Corp\nPhone: +1 555 0100\n\n"
        "This e-mail is confidential and intended only for the addressee."
    )
    assert reply["kind"] in {"answer", "clarify"}, reply["text"]
