"""The Teams staff card's pieces: what its buttons send, and a long transcript split into messages Teams accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels.teams.cards import reply_message
from bot.channels.teams.staff_cards import StaffSubmit, staff_submit, transcript_messages
from bot.core.model import ConversationRef, Reply, ReplyKind, Turn
from bot.core.tickets import Requester, Ticket, TicketStatus

TICKET = Ticket(
    id="HD-1",
    conversation=ConversationRef(channel="teams", id="a:1"),
    requester=Requester(user_id="u1", name="Ana Lima"),
    reason="asked",
    summary="VPN",
    category="network",
    priority="P3",
    group="service-desk",
    status=TicketStatus.OPEN,
    created_at=datetime.now(UTC),
)


def test_a_resolve_submit_carries_the_note_teams_merged_in() -> None:
    value = {"helpdesk_staff": {"op": "resolve", "ticket": "HD-1"}, "note": "Replaced the dock."}
    assert staff_submit(value) == StaffSubmit(op="resolve", ticket="HD-1", note="Replaced the dock.")


@pytest.mark.parametrize(
    "value",
    [
        None,
        "claim",
        {},
        {"helpdesk": {"choice": "x"}},
        {"helpdesk_staff": {"op": "delete", "ticket": "HD-1"}},
        {"helpdesk_staff": {"op": "claim"}},
        {"helpdesk_staff": {"op": "claim", "ticket": 7}},
        {"helpdesk_staff": {"op": "resolve", "ticket": "HD-1"}, "note": ["x"]},
    ],
)
def test_submits_that_are_not_from_a_ticket_card_are_ignored(value: Any) -> None:
    assert staff_submit(value) is None


def test_a_long_transcript_is_split_into_messages_under_the_limit_and_nothing_is_lost() -> None:
    turns = [Turn(seq=n, role="user" if n % 2 else "bot", text=f"message {n} " + "x" * 300) for n in range(40)]
    turns.append(Turn(seq=40, role="user", text="y" * 1500))

    sent = transcript_messages(TICKET, turns, limit=1000)

    assert len(sent) > 1
    assert all(len(text) <= 1000 for text in sent)
    joined = "".join(sent)
    assert all(f"message {n} " in joined for n in range(40))
    assert joined.count("y") == 1500
    assert sent[0].startswith("The conversation before the hand-off (41 messages):")
    assert "**Ana Lima**: message 1 " in joined
    assert "**Bot**: message 0 " in joined


def test_a_message_from_it_staff_shows_who_wrote_it() -> None:
    message = reply_message(Reply(kind=ReplyKind.STAFF, text="Is it docked?", author="Dana Smith"))
    [attachment] = message["attachments"]
    assert attachment["content"]["body"][0]["text"] == "**Dana Smith** · IT"
