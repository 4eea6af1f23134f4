"""IT staff working the queue from Slack: a ticket card in the staff channel, its buttons and Resolve dialog, and
the relay between the card's thread and the person's direct messages with the bot."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import structlog

from bot import messages
from bot.core.tickets import EventKind, StaffMember, Ticket, TicketStatus
from knowledge.embeddings import MiniLMEncoder
from tests.fakes.slack_api import SlackCall
from tests.support.slackchat import SlackUser, Workspace, buttons, section_text, slack_workspace
from tests.support.staffapi import write_staff_config

pytestmark = pytest.mark.asyncio

STAFF_CHANNEL = "C0STAFF"
DANA = "dana@example.com"


@pytest_asyncio.fixture
async def slack(starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder) -> AsyncIterator[Workspace]:
    config = write_staff_config(tmp_path / "staff.yml", members=[DANA], slack_channel=STAFF_CHANNEL)
    async with slack_workspace(
        data_dir=starter_data_dir, tmp_path=tmp_path, encoder=encoder, staff_config=config
    ) as workspace:
        yield workspace


async def handed_off(slack: Workspace, ana: SlackUser) -> tuple[str, SlackCall, Ticket]:
    """Ana asks for a person in a direct message: her thread, the ticket card in the staff channel, the ticket."""
    ts = await ana.dm("I want to talk to a person")
    [ticket] = await slack.bot.services.staff.tickets.find()
    [card] = [
        c
        for c in slack.api.calls_to("chat.postMessage")
        if c.args["channel"] == STAFF_CHANNEL and "thread_ts" not in c.args
    ]
    return ts, card, ticket


def card_thread(slack: Workspace, card: SlackCall) -> list[str]:
    """What the bot posted under the card, oldest first."""
    return [c.args["text"] for c in slack.thread(STAFF_CHANNEL, card.response["ts"])]


def shown(slack: Workspace, card: SlackCall) -> dict[str, Any]:
    """The card as the staff channel shows it now (after chat.update)."""
    return slack.api.messages[(STAFF_CHANNEL, card.response["ts"])]


def status_of(message: dict[str, Any]) -> str:
    [context] = [b for b in message["blocks"] if b["type"] == "context"]
    return str(context["elements"][0]["text"])


def labels(message: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def the_ticket(slack: Workspace) -> Ticket:
    [ticket] = await slack.bot.services.staff.tickets.find()
    return ticket


async def test_the_whole_loop_from_a_direct_message_through_the_staff_thread_to_the_rating(slack: Workspace) -> None:
    dana = slack.person("UDANA", email="Dana@Example.com", name="Dana Smith")
    ana = slack.person("UANA", name="Ana Lima")
    ts = await ana.dm("how do I connect to the VPN?")
    await ana.click(slack.thread(ana.dm_channel, ts)[0], "Talk to a person")

    # A card in the staff channel, and the conversation so far in its thread.
    [card] = [
        c
        for c in slack.api.calls_to("chat.postMessage")
        if c.args["channel"] == STAFF_CHANNEL and "thread_ts" not in c.args
    ]
    ticket = await the_ticket(slack)
    header, summary, facts, _, _ = card.args["blocks"]
    assert header["text"]["text"] == f"Ticket {ticket.id} · {ticket.priority}"
    assert summary["text"]["text"] == ticket.summary
    assert "connect to the VPN" in ticket.summary
    assert [f["text"] for f in facts["fields"]] == [
        "*Requester*\nAna Lima (uana@example.com)",
        "*Department*\n—",
        "*Category*\nnetwork",
        "*Group*\nService desk",
    ]
    assert status_of(card.args) == "*Status:* Open: nobody has claimed it yet"
    assert buttons(card) == ["Claim", "Resolve", "Return to bot"]
    [transcript] = card_thread(slack, card)
    assert transcript.startswith("The conversation before the hand-off (3 messages):")
    assert "*Ana Lima*: how do I connect to the VPN?\n*Bot*: From *Connecting to the VPN*" in transcript
    assert "*Ana Lima*: [chose: Talk to a person]" in transcript

    await dana.click(card, "Claim")
    [update] = slack.api.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (STAFF_CHANNEL, card.response["ts"])
    assert status_of(shown(slack, card)) == "*Status:* Claimed by Dana Smith"
    assert labels(shown(slack, card)) == ["Resolve", "Return to bot"]
    picked_up = slack.thread(ana.dm_channel, ts)[-1]
    assert f"Your ticket {ticket.id} has been picked up by Dana Smith" in section_text(picked_up)

    await dana.write(STAFF_CHANNEL, "Is it plugged into the dock?", thread_ts=card.response["ts"])
    from_dana = slack.thread(ana.dm_channel, ts)[-1]
    assert from_dana.args["blocks"][0]["elements"][0]["text"] == "*Dana Smith* · IT"
    assert section_text(from_dana) == "Is it plugged into the dock?"
    assert from_dana.args["text"] == "Dana Smith: Is it plugged into the dock?"  # the notification
    assert len(card_thread(slack, card)) == 1  # Slack already shows what Dana wrote; the bot does not answer it
    assert (await the_ticket(slack)).status is TicketStatus.WAITING_ON_USER

    before = len(slack.thread(ana.dm_channel, ts))
    await ana.dm("yes, on the dock <3 & charging", thread_ts=ts)
    assert len(slack.thread(ana.dm_channel, ts)) == before  # a person has it: the bot stays quiet
    assert card_thread(slack, card)[-1] == "*Ana Lima (requester)*: yes, on the dock &lt;3 &amp; charging"

    await dana.write(STAFF_CHANNEL, "Note: probably the dock firmware bug", thread_ts=card.response["ts"])
    assert len(slack.thread(ana.dm_channel, ts)) == before
    [internal] = [
        e for e in await slack.bot.services.staff.tickets.events(ticket.id) if e.kind is EventKind.INTERNAL_NOTE
    ]
    assert internal.internal
    assert internal.text == "probably the dock firmware bug"
    assert internal.actor == DANA

    await dana.click(card, "Resolve")
    [opened] = slack.api.calls_to("views.open")
    assert opened.error is None
    assert opened.args["view"]["title"]["text"] == f"Resolve {ticket.id}"
    assert (await the_ticket(slack)).status is TicketStatus.CLAIMED  # nothing happens until the note is sent
    response = await dana.submit(opened.response["view"]["id"], {"note": "Updated the dock firmware."})
    assert response.status == 200
    assert await response.text() == ""
    assert status_of(shown(slack, card)) == "*Status:* Resolved by Dana Smith"
    assert labels(shown(slack, card)) == []
    told, rate = slack.thread(ana.dm_channel, ts)[-2:]
    assert f"Your ticket {ticket.id} has been resolved by Dana Smith" in section_text(told)
    assert "Updated the dock firmware." in section_text(told)
    assert buttons(rate) == ["1", "2", "3", "4", "5"]

    await ana.click(rate, "5")
    assert (await the_ticket(slack)).rating == 5
    assert [c for c in slack.api.calls if c.error] == []  # Slack accepted every call the bot made
    assert not slack.api.calls_to("chat.postEphemeral")


async def test_someone_outside_the_service_desk_is_refused_privately_and_nothing_changes(slack: Workspace) -> None:
    eve, ana = slack.person("UEVE", name="Eve Jones"), slack.person("UANA", name="Ana Lima")
    ts, card, ticket = await handed_off(slack, ana)
    await eve.click(card, "Claim")
    await eve.write(STAFF_CHANNEL, "I'll take this one", thread_ts=card.response["ts"])

    on_card, in_thread = slack.ephemeral("UEVE")
    refusal = messages.STAFF_NOT_MEMBER.format(group="Service desk", ticket=ticket.id)
    assert on_card.args["text"] == in_thread.args["text"] == refusal
    assert on_card.args["channel"] == STAFF_CHANNEL
    assert "thread_ts" not in on_card.args
    assert in_thread.args["thread_ts"] == card.response["ts"]
    assert (await the_ticket(slack)).status is TicketStatus.OPEN
    assert slack.api.calls_to("chat.update") == []
    assert not any(
        "picked up" in section_text(c) or "take this one" in section_text(c) for c in slack.thread(ana.dm_channel, ts)
    )


async def test_a_member_whose_email_slack_does_not_show_is_refused(slack: Workspace) -> None:
    dana = slack.person("UDANA", email=None, name="Dana Smith")  # on the desk, but the profile hides the e-mail
    _, card, _ = await handed_off(slack, slack.person("UANA"))
    await dana.click(card, "Claim")

    [refused] = slack.ephemeral("UDANA")
    assert refused.args["text"] == messages.SLACK_STAFF_UNKNOWN
    assert (await the_ticket(slack)).status is TicketStatus.OPEN


async def test_a_blank_resolution_note_keeps_the_dialog_open(slack: Workspace) -> None:
    dana = slack.person("UDANA", email=DANA, name="Dana Smith")
    _, card, _ = await handed_off(slack, slack.person("UANA"))
    await dana.click(card, "Claim")
    await dana.click(card, "Resolve")
    [opened] = slack.api.calls_to("views.open")

    response = await dana.submit(opened.response["view"]["id"], {"note": "   "})
    assert response.status == 200
    assert await response.json() == {"response_action": "errors", "errors": {"note": "Write what fixed it."}}
    assert (await the_ticket(slack)).status is TicketStatus.CLAIMED


async def test_mistakes_are_answered_privately_in_the_thread_and_return_to_bot_works(slack: Workspace) -> None:
    dana = slack.person("UDANA", email=DANA, name="Dana Smith")
    ana = slack.person("UANA", name="Ana Lima")
    ts, card, ticket = await handed_off(slack, ana)

    await dana.write(STAFF_CHANNEL, "hello?", thread_ts=card.response["ts"])  # before claiming it
    [claim_first] = slack.ephemeral("UDANA")
    assert claim_first.args["text"] == messages.STAFF_CLAIM_FIRST.format(ticket=ticket.id)
    assert claim_first.args["thread_ts"] == card.response["ts"]
    assert len(slack.thread(ana.dm_channel, ts)) == 1  # Ana only has the hand-off message

    await dana.click(card, "Return to bot")
    assert (await the_ticket(slack)).status is TicketStatus.RETURNED_TO_BOT
    assert status_of(shown(slack, card)) == "*Status:* Handed back to the bot"
    assert labels(shown(slack, card)) == []
    assert "handed this conversation back to me" in section_text(slack.thread(ana.dm_channel, ts)[-1])


@pytest.mark.parametrize("message_first", [False, True], ids=["app_mention-first", "message-first"])
async def test_a_mention_in_the_card_thread_is_staff_writing_not_a_question_for_the_bot(
    slack: Workspace, message_first: bool
) -> None:
    dana = slack.person("UDANA", email=DANA, name="Dana Smith")
    ana = slack.person("UANA", name="Ana Lima")
    ts, card, ticket = await handed_off(slack, ana)
    await dana.click(card, "Claim")

    await dana.mention(
        STAFF_CHANNEL, "how do I connect to the VPN?", thread_ts=card.response["ts"], message_first=message_first
    )
    assert section_text(slack.thread(ana.dm_channel, ts)[-1]) == "how do I connect to the VPN?"
    assert len(card_thread(slack, card)) == 1  # only the transcript: no answer from the bot, no second relay
    [message] = [
        e for e in await slack.bot.services.staff.tickets.events(ticket.id) if e.kind is EventKind.STAFF_MESSAGE
    ]
    assert message.text == "how do I connect to the VPN?"


async def test_a_mention_in_any_other_thread_is_still_answered_once_whichever_copy_comes_first(
    slack: Workspace,
) -> None:
    ana, bob = slack.person("UANA"), slack.person("UBOB")
    ts = await ana.mention("C0IT", "hello")
    await bob.mention("C0IT", "how do I connect to the VPN?", thread_ts=ts, message_first=True)

    [notice] = slack.ephemeral("UBOB")  # the engine saw Bob's turn: Ana's conversation is not his
    assert "someone else's conversation" in notice.args["text"]
    assert len(slack.thread("C0IT", ts)) == 1


async def test_notes_from_the_console_and_sla_notices_reach_the_staff_channel(slack: Workspace) -> None:
    _, card, ticket = await handed_off(slack, slack.person("UANA"))
    await slack.bot.services.staff.operations.post(
        StaffMember.token_holder("IT support"), ticket.id, text="Known <dock> issue", internal=True
    )
    slack.bot.services.staff.cards.alert(ticket, "Escalation: ticket missed its first response target.")
    await slack.settle()

    *_, console_note, in_thread = card_thread(slack, card)
    assert console_note == ":lock: internal note · *IT support*: Known &lt;dock&gt; issue"
    assert in_thread == "Escalation: ticket missed its first response target."
    [in_channel] = [
        c
        for c in slack.api.calls_to("chat.postMessage")
        if c.args["channel"] == STAFF_CHANNEL and "thread_ts" not in c.args and c is not card
    ]
    assert in_channel.args["text"] == "Escalation: ticket missed its first response target."


async def test_a_staff_channel_the_bot_is_not_in_leaves_the_ticket_in_the_console_and_says_why(
    slack: Workspace,
) -> None:
    slack.api.channels_without_bot.add(STAFF_CHANNEL)
    ana = slack.person("UANA")
    with structlog.testing.capture_logs() as logs:
        ts = await ana.dm("I want to talk to a person")

    [warning] = [e for e in logs if e["event"] == "slack_staff_channel_unreachable"]
    assert warning["error"] == "not_in_channel"
    assert "invite" in warning["hint"]
    assert (await the_ticket(slack)).status is TicketStatus.OPEN
    assert "Ticket *HD-" in json.dumps(slack.thread(ana.dm_channel, ts)[-1].args["blocks"])  # Ana is not affected


async def test_a_suspected_incident_is_announced_in_the_staff_channel_and_reporters_hear_when_it_is_fixed(
    slack: Workspace,
) -> None:
    # The first report comes from the web chat, where "<!channel>" arrives as typed (Slack would have turned it
    # into "@channel" already).
    await slack.bot.person("wes").say("<!channel> the VPN keeps disconnecting every few minutes")
    reporters = [slack.person(user, name=user.title()) for user in ("UBEN", "UCAT")]
    for person, text in zip(
        reporters, ["I can't connect to the VPN this morning", "is the VPN broken? it won't connect"], strict=True
    ):
        await person.dm(text)
    [announcement] = [
        c.args["text"]
        for c in slack.api.calls_to("chat.postMessage")
        if c.args["channel"] == STAFF_CHANNEL and "thread_ts" not in c.args
    ]
    [incident] = await slack.bot.services.incidents.all()
    assert announcement.startswith(f"Suspected incident {incident.id}: 3 people reported similar problems")
    # The first report is quoted for staff, but its "<!channel>" does not ping the whole channel.
    assert "\u201c&lt;!channel&gt; the VPN keeps disconnecting" in announcement
    assert "<!channel>" not in announcement

    await slack.bot.services.incidents.resolve(incident.id, actor="Dana Smith", note="The gateway is back.")
    await slack.settle()
    for person in reporters:
        told = [
            c.args["text"]
            for c in slack.api.calls_to("chat.postMessage")
            if c.args["channel"] == person.dm_channel and "has been fixed" in c.args.get("text", "")
        ]
        assert told == [
            f"Good news: the problem you reported ({incident.id}) has been fixed. The gateway is back. "
            "If it still doesn't work for you, tell me here."
        ]
    assert any(
        c.args["text"] == f"Incident {incident.id} resolved by Dana Smith: 3 people told."
        for c in slack.api.calls_to("chat.postMessage")
        if c.args["channel"] == STAFF_CHANNEL
    )
