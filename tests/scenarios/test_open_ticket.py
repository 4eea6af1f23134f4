"""An open ticket does not silence the bot: until IT writes, clear questions are answered (and noted on the
ticket); once IT talks with the person, everything goes to IT. The person always sees the ticket and can leave it."""

from __future__ import annotations

import pytest

from tests.support.staffapi import StaffClient
from tests.support.webchat import Bot


@pytest.mark.asyncio
async def test_a_clear_question_while_nobody_from_it_has_written_is_answered_and_noted(token_bot: Bot) -> None:
    alice = token_bot.person()
    staff = StaffClient.with_token(token_bot.client)
    [handoff] = await alice.say("I want to talk to a person")
    ticket = handoff["handoff_id"]

    [reply] = await alice.say("How do I connect to the VPN?")
    assert reply["kind"] == "answer"
    assert reply["citations"][0]["article_id"].startswith("vpn")
    assert reply["handoff_id"] == ticket
    assert f"ticket {ticket} is still open" in reply["text"]
    assert "Close my ticket" in [c["label"] for c in reply["choices"]]
    assert "Talk to a person" not in [c["label"] for c in reply["choices"]]  # she has one already

    view = await staff.ticket(ticket)
    assert [e["text"] for e in view["events"] if e["kind"] == "person_message"] == ["How do I connect to the VPN?"]


@pytest.mark.asyncio
async def test_a_vague_follow_up_goes_to_the_ticket(token_bot: Bot) -> None:
    alice = token_bot.person()
    [handoff] = await alice.say("I want to talk to a person")
    for text in ("any news?", "still broken"):
        [reply] = await alice.say(text)
        assert reply["kind"] == "info"
        assert handoff["handoff_id"] in reply["text"]
        assert [c["label"] for c in reply["choices"]] == ["Close my ticket"]


@pytest.mark.asyncio
async def test_once_it_has_written_questions_go_to_it(token_bot: Bot) -> None:
    alice = token_bot.person()
    staff = StaffClient.with_token(token_bot.client)
    [handoff] = await alice.say("I want to talk to a person")
    ticket = handoff["handoff_id"]
    await staff.ok("POST", f"/tickets/{ticket}/claim")
    await staff.ok("POST", f"/tickets/{ticket}/messages", {"text": "Hi, what do you need?"})
    await alice.later_replies()

    assert await alice.say("How do I connect to the VPN?") == []  # IT answers now, not the bot
    view = await staff.ticket(ticket)
    assert "How do I connect to the VPN?" in [e["text"] for e in view["events"] if e["kind"] == "person_message"]


@pytest.mark.asyncio
async def test_the_hand_off_names_the_ticket_and_closing_it_lets_the_bot_take_over(token_bot: Bot) -> None:
    alice = token_bot.person()
    staff = StaffClient.with_token(token_bot.client)
    [handoff] = await alice.say("I want to talk to a person")
    ticket = handoff["handoff_id"]
    assert ticket in handoff["text"]

    [closed] = await alice.press(handoff, "Close my ticket")
    assert closed["kind"] == "info"
    assert f"closed ticket {ticket}" in closed["text"]
    assert (await staff.ticket(ticket))["ticket"]["status"] == "cancelled"

    [answer] = await alice.say("How do I connect to the VPN?")
    assert answer["kind"] == "answer"
    assert answer["handoff_id"] is None


@pytest.mark.asyncio
async def test_closing_when_no_ticket_is_open_says_so(token_bot: Bot) -> None:
    [reply] = await token_bot.person().pick("ticket:close")
    assert reply["kind"] == "info"
    assert "no open ticket" in reply["text"]


@pytest.mark.asyncio
async def test_a_detail_about_the_problem_already_with_it_goes_to_the_ticket(token_bot: Bot) -> None:
    alice = token_bot.person()
    [answer] = await alice.say("how do I connect to the VPN?")
    [handoff] = await alice.press(answer, "Talk to a person")
    [reply] = await alice.say("the VPN client says the gateway is unreachable")
    assert reply["kind"] == "info"
    assert handoff["handoff_id"] in reply["text"]
