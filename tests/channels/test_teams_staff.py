"""IT staff working the queue from Microsoft Teams: a ticket card in a new thread of the staff channel, its
buttons, and the relay between the thread and the person's chat with the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import structlog

from bot import messages
from bot.core.tickets import EventKind, StaffMember, Ticket, TicketStatus
from knowledge.embeddings import MiniLMEncoder
from tests.fakes.bot_connector import ConnectorCall
from tests.support.staffapi import write_staff_config
from tests.support.teamschat import TENANT, TeamsTenant, teams_tenant

pytestmark = pytest.mark.asyncio

# The staff team's General channel, whose id is the team's: where the app was installed.
STAFF_CHANNEL = "19:staff@thread.tacv2"


@pytest_asyncio.fixture
async def teams(starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder) -> AsyncIterator[TeamsTenant]:
    config = write_staff_config(tmp_path / "staff.yml", members=["dana@contoso.example"], teams_channel=STAFF_CHANNEL)
    async with teams_tenant(
        data_dir=starter_data_dir, tmp_path=tmp_path, encoder=encoder, staff_config=config
    ) as tenant:
        yield tenant


async def settled(teams: TeamsTenant) -> None:
    """Wait for what the boards post in the background after a turn (cards, relayed messages)."""
    await teams.settle()
    await teams.bot.services.staff.cards.tasks.drain(timeout=60)


def staff_cards(teams: TeamsTenant) -> list[ConnectorCall]:
    """Ticket cards posted as new threads in the staff channel."""
    return [
        c
        for c in teams.connector.posted()
        if c.path == "/v3/conversations" and c.conversation_id.startswith(f"{STAFF_CHANNEL};messageid=")
    ]


async def the_ticket(teams: TeamsTenant) -> Ticket:
    [ticket] = await teams.bot.services.staff.tickets.find()
    return ticket


async def test_the_whole_loop_from_the_persons_chat_through_the_staff_thread_to_the_rating(teams: TeamsTenant) -> None:
    dana, ana = teams.person("Dana Smith"), teams.person("Ana Lima")
    await dana.install_in_team(STAFF_CHANNEL)
    await ana.say("how do I connect to the VPN?")
    await ana.press(teams.connector.posted(ana.personal_chat)[-1], "Talk to a person")
    await settled(teams)

    # A card in a new thread of the staff channel, and the conversation so far under it.
    [card] = staff_cards(teams)
    thread = card.conversation_id
    ticket = await the_ticket(teams)
    [started] = teams.connector.threads
    assert started["isGroup"] is True
    assert started["channelData"] == {
        "channel": {"id": STAFF_CHANNEL},
        "tenant": {"id": TENANT},
    }
    assert f"Ticket {ticket.id} · {ticket.priority}" in card.text
    assert ticket.summary in card.text
    assert card.facts["Requester"] == "Ana Lima (ana@contoso.example)"
    assert card.facts["Category"] == "network"
    assert card.facts["Group"] == "Service desk"
    assert card.facts["Status"] == "Open: nobody has claimed it yet"
    assert [b["title"] for b in card.buttons] == ["Claim", "Return to bot", "Resolve"]
    [note] = card.buttons[2]["card"]["body"]
    assert (note["type"], note["id"], note["isMultiline"], note["isRequired"]) == ("Input.Text", "note", True, True)
    _, transcript = teams.connector.posted(thread)
    assert "**Ana Lima**: how do I connect to the VPN?" in transcript.text
    assert "**Ana Lima**: [chose: Talk to a person]" in transcript.text

    await dana.press(card, "Claim", team_id=STAFF_CHANNEL)
    await settled(teams)
    [claimed] = teams.connector.updates(thread)
    assert claimed.activity_id == card.activity_id
    assert claimed.facts["Status"] == "Claimed by Dana Smith"
    assert [b["title"] for b in claimed.buttons] == ["Return to bot", "Resolve"]
    picked_up = teams.connector.posted(ana.personal_chat)[-1]
    assert f"Your ticket {ticket.id} has been picked up by Dana Smith" in picked_up.text
    assert len(teams.connector.posted(thread)) == 2  # nothing said in the thread: the card shows it

    await dana.mention(
        "Is it plugged into the dock?", thread=str(card.activity_id), team_id=STAFF_CHANNEL, channel_id=STAFF_CHANNEL
    )
    await settled(teams)
    from_dana = teams.connector.posted(ana.personal_chat)[-1]
    assert from_dana.text == "**Dana Smith** · IT\nIs it plugged into the dock?\nTicket **" + ticket.id + "**"
    assert len(teams.connector.posted(thread)) == 2  # Teams already shows what Dana wrote there

    before = len(teams.connector.posted(ana.personal_chat))
    await ana.say("yes, on the dock")
    await settled(teams)
    assert len(teams.connector.posted(ana.personal_chat)) == before  # a person has it: the bot stays quiet
    assert teams.connector.posted(thread)[-1].text == "**Ana Lima (requester)**: yes, on the dock"

    await dana.mention(
        "NOTE: probably the dock firmware bug",
        thread=str(card.activity_id),
        team_id=STAFF_CHANNEL,
        channel_id=STAFF_CHANNEL,
    )
    await settled(teams)
    assert len(teams.connector.posted(ana.personal_chat)) == before
    events = await teams.bot.services.staff.tickets.events(ticket.id)
    [internal] = [e for e in events if e.kind is EventKind.INTERNAL_NOTE]
    assert internal.internal
    assert internal.text == "probably the dock firmware bug"
    assert internal.actor == "dana@contoso.example"

    await dana.press(
        teams.connector.updates(thread)[-1],
        "Resolve ticket",
        inputs={"note": "Updated the dock firmware."},
        team_id=STAFF_CHANNEL,
    )
    await settled(teams)
    resolved = teams.connector.updates(thread)[-1]
    assert resolved.facts["Status"] == "Resolved by Dana Smith"
    assert resolved.buttons == []
    told, rate = teams.connector.posted(ana.personal_chat)[-2:]
    assert f"Your ticket {ticket.id} has been resolved by Dana Smith" in told.text
    assert "Updated the dock firmware." in told.text
    assert [b["title"] for b in rate.buttons] == ["1", "2", "3", "4", "5"]

    await ana.press(rate, "5")
    assert (await the_ticket(teams)).rating == 5
    assert teams.connector.rejected == []


async def test_someone_outside_the_service_desk_is_refused_in_the_thread_and_nothing_changes(
    teams: TeamsTenant,
) -> None:
    dana, eve, ana = teams.person("Dana Smith"), teams.person("Eve Jones"), teams.person("Ana Lima")
    guest = teams.person("Guest User", email=None)
    await dana.install_in_team(STAFF_CHANNEL)
    await ana.say("I want to talk to a person")
    await settled(teams)
    [card] = staff_cards(teams)
    ticket = await the_ticket(teams)

    await eve.press(card, "Claim", team_id=STAFF_CHANNEL)
    await guest.press(card, "Claim", team_id=STAFF_CHANNEL)
    await settled(teams)

    eve_refused, guest_refused = teams.connector.posted(card.conversation_id)[-2:]
    assert eve_refused.text == messages.STAFF_NOT_MEMBER.format(group="Service desk", ticket=ticket.id)
    assert guest_refused.text == messages.TEAMS_STAFF_UNKNOWN
    assert (await the_ticket(teams)).status is TicketStatus.OPEN
    assert teams.connector.updates(card.conversation_id) == []
    assert not any("picked up" in c.text for c in teams.connector.posted(ana.personal_chat))


async def test_mistakes_are_answered_in_the_thread_what_happens_elsewhere_shows_there_and_return_works(
    teams: TeamsTenant,
) -> None:
    dana, ana = teams.person("Dana Smith"), teams.person("Ana Lima")
    await dana.install_in_team(STAFF_CHANNEL)
    await ana.say("I want to talk to a person")
    await settled(teams)
    [card] = staff_cards(teams)
    thread = card.conversation_id
    ticket = await the_ticket(teams)

    await dana.mention("hello?", thread=str(card.activity_id), team_id=STAFF_CHANNEL, channel_id=STAFF_CHANNEL)
    await dana.press(card, "Resolve ticket", inputs={"note": "   "}, team_id=STAFF_CHANNEL)
    await settled(teams)

    claim_first, empty_note = teams.connector.posted(thread)[-2:]
    assert claim_first.text == messages.STAFF_CLAIM_FIRST.format(ticket=ticket.id)
    assert empty_note.text == "the resolution note is empty"
    assert (await the_ticket(teams)).status is TicketStatus.OPEN
    assert await teams.bot.services.store.transcript(teams.conversation(card)) == []  # no chat with the bot

    # From the console, and from the SLA watcher: the thread shows it, marked.
    await teams.bot.services.staff.operations.post(
        StaffMember.token_holder("IT support"), ticket.id, text="Known dock issue", internal=True
    )
    teams.bot.services.staff.cards.alert(ticket, "Reminder: ticket is due a first response soon.")
    await settled(teams)
    console_note, reminder = teams.connector.posted(thread)[-2:]
    assert console_note.text == "🔒 internal note · **IT support**: Known dock issue"
    assert reminder.text == "Reminder: ticket is due a first response soon."

    await dana.press(card, "Return to bot", team_id=STAFF_CHANNEL)
    await settled(teams)
    assert (await the_ticket(teams)).status is TicketStatus.RETURNED_TO_BOT
    assert teams.connector.updates(thread)[-1].facts["Status"] == "Handed back to the bot"
    assert "handed this conversation back to me" in teams.connector.posted(ana.personal_chat)[-1].text


async def test_without_the_app_in_the_staff_team_the_card_waits_in_the_console_and_a_warning_says_why(
    teams: TeamsTenant,
) -> None:
    ana = teams.person("Ana Lima")
    with structlog.testing.capture_logs() as logs:
        await ana.say("I want to talk to a person")
        await settled(teams)

    assert teams.connector.threads == []
    assert staff_cards(teams) == []
    [warning] = [e for e in logs if e["event"] == "teams_staff_channel_unreachable"]
    assert warning["log_level"] == "warning"
    assert warning["channel"] == STAFF_CHANNEL
    assert "install" in warning["hint"]
    assert (await the_ticket(teams)).status is TicketStatus.OPEN


async def test_a_staff_channel_other_than_general_is_reached_through_its_team(
    starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder
) -> None:
    tickets_channel = "19:tickets@thread.tacv2"
    config = write_staff_config(
        tmp_path / "staff.yml",
        members=["dana@contoso.example"],
        teams_channel=tickets_channel,
        teams_team=STAFF_CHANNEL,
    )
    async with teams_tenant(
        data_dir=starter_data_dir, tmp_path=tmp_path, encoder=encoder, staff_config=config
    ) as other:
        await other.person("Dana Smith").install_in_team(STAFF_CHANNEL)
        await other.person("Ana Lima").say("I want to talk to a person")
        await settled(other)
        [card] = [c for c in other.connector.posted() if c.path == "/v3/conversations"]
        assert card.conversation_id.startswith(f"{tickets_channel};messageid=")


async def test_when_teams_refuses_the_card_nothing_is_said_in_the_staff_channel_and_the_failure_is_logged(
    teams: TeamsTenant,
) -> None:
    dana, ana = teams.person("Dana Smith"), teams.person("Ana Lima")
    await dana.install_in_team(STAFF_CHANNEL)
    teams.connector.removed_from.add(STAFF_CHANNEL)  # someone took the app out of the team since
    with structlog.testing.capture_logs() as logs:
        await ana.say("I want to talk to a person")
        await settled(teams)

    assert staff_cards(teams) == []
    assert teams.connector.posted(STAFF_CHANNEL) == []
    [failure] = [e for e in logs if e["event"] == "staff_board_failed"]
    assert (failure["platform"], failure["operation"]) == ("teams", "publish")
    ticket = await the_ticket(teams)
    assert ticket.id in teams.connector.posted(ana.personal_chat)[-1].text  # the person was told all the same


async def test_a_suspected_incident_starts_a_thread_in_the_staff_channel_and_reporters_hear_when_it_is_fixed(
    teams: TeamsTenant,
) -> None:
    await teams.person("Dana Smith").install_in_team(STAFF_CHANNEL)
    reporters = [teams.person(name) for name in ("Ana Lima", "Ben Ode", "Cat Ruiz")]
    for person, text in zip(
        reporters,
        [
            "the VPN keeps disconnecting every few minutes",
            "I can't connect to the VPN this morning",
            "is the VPN broken? it won't connect",
        ],
        strict=True,
    ):
        await person.say(text)
    await settled(teams)
    [incident] = await teams.bot.services.incidents.all()
    [announcement] = [c for c in teams.connector.posted() if c.path == "/v3/conversations"]
    assert announcement.text.startswith(f"Suspected incident {incident.id}: 3 people reported similar problems")
    assert [thread["channelData"]["channel"]["id"] for thread in teams.connector.threads] == [STAFF_CHANNEL]

    await teams.bot.services.incidents.resolve(incident.id, actor="Dana Smith")
    await settled(teams)
    for person in reporters:
        assert (
            f"the problem you reported ({incident.id}) has been fixed"
            in teams.connector.posted(person.personal_chat)[-1].text
        )
