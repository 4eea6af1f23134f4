"""What a ticket card says, whatever the chat platform: the facts, the status, the buttons that fit it, and the
transcript cut into thread messages. Slack and Teams only render it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from bot.core.model import Turn
from bot.core.tickets import ResolverGroup, Ticket, TicketStatus

StaffOp = Literal["claim", "resolve", "return_to_bot"]
STAFF_OPS: tuple[StaffOp, ...] = ("claim", "resolve", "return_to_bot")


def staff_op(value: object) -> StaffOp | None:
    """`value` as a card operation, or None when it is not one."""
    return next((op for op in STAFF_OPS if op == value), None)


def available_ops(ticket: Ticket) -> list[StaffOp]:
    """Claim while nobody has it; Resolve and Return while it is active; nothing once it is closed."""
    if not ticket.is_active:
        return []
    return ["claim", "resolve", "return_to_bot"] if ticket.status is TicketStatus.OPEN else ["resolve", "return_to_bot"]


def card_facts(ticket: Ticket, group: ResolverGroup) -> list[tuple[str, str]]:
    """Title → value lines under the summary."""
    requester = ticket.requester
    who = requester.name or requester.email or requester.user_id
    if requester.name and requester.email:
        who = f"{who} ({requester.email})"
    return [
        ("Requester", who),
        ("Department", requester.department or "—"),
        ("Category", ticket.category),
        ("Group", group.label or group.name),
    ]


def status_line(ticket: Ticket) -> str:
    assignee = ticket.assignee_name or ticket.assignee or "IT"
    return {
        TicketStatus.OPEN: "Open: nobody has claimed it yet",
        TicketStatus.CLAIMED: f"Claimed by {assignee}",
        TicketStatus.WAITING_ON_USER: f"Claimed by {assignee}, waiting on the person",
        TicketStatus.RESOLVED: f"Resolved by {assignee}",
        TicketStatus.RETURNED_TO_BOT: "Handed back to the bot",
        TicketStatus.CANCELLED: "Cancelled by the person",
    }[ticket.status]


def speaker(ticket: Ticket, turn: Turn) -> str:
    """Who said a transcript line: the person's name, the staff member's, or the bot."""
    if turn.role == "user":
        return ticket.requester.name or ticket.requester.email or "The person"
    if turn.role == "staff":
        return (turn.reply.author if turn.reply is not None else None) or "IT"
    return "Bot"


def shown_turns(transcript: Sequence[Turn]) -> list[Turn]:
    """The transcript lines worth posting under a card."""
    return [turn for turn in transcript if turn.role != "system" and turn.text.strip()]


def packed(lines: Sequence[str], *, limit: int, separator: str = "\n") -> list[str]:
    """Whole lines joined into messages of at most `limit` characters; a longer line is cut into pieces."""
    pieces = [line[start : start + limit] for line in lines for start in range(0, len(line), limit)]
    out: list[str] = []
    for piece in pieces:
        if out and len(out[-1]) + len(separator) + len(piece) <= limit:
            out[-1] += separator + piece
        else:
            out.append(piece)
    return out
