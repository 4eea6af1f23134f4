"""What IT staff see in a Teams staff channel: the ticket card, the transcript under it, and what its buttons send."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import messages
from bot.channels.teams.cards import CARD_CONTENT_TYPE, CARD_VERSION
from bot.core.model import Turn
from bot.core.tickets import ResolverGroup, Ticket, TicketStatus
from bot.handoff.card_content import StaffOp, card_facts, packed, shown_turns, speaker, staff_op, status_line

STAFF_SUBMIT_KEY = "helpdesk_staff"  # staff card submits carry {"helpdesk_staff": {"op": …, "ticket": …}}
NOTE_INPUT = "note"  # Teams merges the card's inputs into the submit's value, next to the data
# Teams refuses messages over about 28 KB; 6,000 characters stay under that even at 4 bytes each.
MESSAGE_CHARS = 6000


@dataclass(frozen=True, kw_only=True)
class StaffSubmit:
    """A button pressed on a ticket card."""

    op: StaffOp
    ticket: str
    note: str = ""


def card_message(ticket: Ticket, group: ResolverGroup) -> dict[str, Any]:
    """The ticket card as a message activity (posted as a new thread, later updated in place)."""
    return {
        "type": "message",
        "text": "",
        "summary": f"{ticket.id} ({ticket.priority}): {ticket.summary}",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": ticket_card(ticket, group)}],
    }


def ticket_card(ticket: Ticket, group: ResolverGroup) -> dict[str, Any]:
    """Who asked, what about, where it stands; and the buttons that fit its status."""
    facts = [*card_facts(ticket, group), ("Status", status_line(ticket))]
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "body": [
            {
                "type": "TextBlock",
                "text": f"Ticket {ticket.id} · {ticket.priority}",
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {"type": "TextBlock", "text": ticket.summary, "wrap": True},
            {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in facts]},
        ],
    }
    if ticket.is_active:
        card["actions"] = _actions(ticket)
    return card


def _actions(ticket: Ticket) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    if ticket.status is TicketStatus.OPEN:
        actions.append(_submit(messages.TEAMS_STAFF_CLAIM, "claim", ticket))
    actions.append(_submit(messages.TEAMS_STAFF_RETURN, "return_to_bot", ticket))
    # The note is required by the card (Teams checks it before sending) and again by TicketOperations.
    actions.append(
        {
            "type": "Action.ShowCard",
            "title": messages.TEAMS_STAFF_RESOLVE,
            "card": {
                "type": "AdaptiveCard",
                "version": CARD_VERSION,
                "body": [
                    {
                        "type": "Input.Text",
                        "id": NOTE_INPUT,
                        "isMultiline": True,
                        "isRequired": True,
                        "label": messages.TEAMS_STAFF_NOTE_LABEL,
                        "errorMessage": messages.TEAMS_STAFF_NOTE_MISSING,
                    }
                ],
                "actions": [_submit(messages.TEAMS_STAFF_RESOLVE_SUBMIT, "resolve", ticket)],
            },
        }
    )
    return actions


def _submit(title: str, op: StaffOp, ticket: Ticket) -> dict[str, Any]:
    return {"type": "Action.Submit", "title": title, "data": {STAFF_SUBMIT_KEY: {"op": op, "ticket": ticket.id}}}


def staff_submit(value: Any) -> StaffSubmit | None:
    """The pressed button from a card submit's `value`, or None when it is not one of the ticket cards'."""
    data = value.get(STAFF_SUBMIT_KEY) if isinstance(value, dict) else None
    op = staff_op(data.get("op")) if isinstance(data, dict) else None
    if not isinstance(data, dict) or op is None:
        return None
    ticket, note = data.get("ticket"), value.get(NOTE_INPUT, "")
    if not isinstance(ticket, str) or not ticket or not isinstance(note, str):
        return None
    return StaffSubmit(op=op, ticket=ticket, note=note)


def relay_text(*, author: str, text: str, internal: bool) -> str:
    """A message in the ticket's thread: who wrote it, and whether the person saw it."""
    return f"🔒 internal note · **{author}**: {text}" if internal else f"**{author}**: {text}"


def transcript_messages(ticket: Ticket, transcript: Sequence[Turn], *, limit: int = MESSAGE_CHARS) -> list[str]:
    """The conversation before the hand-off, as few thread messages as fit (normally one)."""
    lines = [
        relay_text(author=speaker(ticket, turn), text=turn.text, internal=False) for turn in shown_turns(transcript)
    ]
    if not lines:
        return []
    # Teams renders a single newline as a space: lines are separated by an empty one.
    return packed([messages.TEAMS_STAFF_TRANSCRIPT.format(count=len(lines)), *lines], limit=limit, separator="\n\n")
