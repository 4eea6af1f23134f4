"""What a new ticket looks like to an ITSM tool: a title, and the summary plus the transcript as the description."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.core.itsm import MirrorTicket
from bot.core.model import HandoffPacket
from bot.core.tickets import Ticket

TITLE_LIMIT = 160
DESCRIPTION_LIMIT = 30_000  # well inside ServiceNow's and Jira's field limits


def mirror_ticket(ticket: Ticket, packet: HandoffPacket) -> dict[str, Any]:
    """The outbox payload of a "create": the fields of MirrorTicket."""
    question = " ".join((packet.question or ticket.summary).split())
    title = question if len(question) <= TITLE_LIMIT else question[: TITLE_LIMIT - 1] + "…"
    lines = [ticket.summary, "", f"Helpdesk ticket {ticket.id} — {ticket.reason}", "", "Conversation:"]
    lines += [f"[{turn.created_at[:19]}] {turn.role}: {turn.text}" for turn in packet.transcript]
    description = "\n".join(lines)[:DESCRIPTION_LIMIT]
    mirror = MirrorTicket(
        id=ticket.id,
        title=title or f"Helpdesk ticket {ticket.id}",
        description=description,
        priority=ticket.priority,
        category=ticket.category,
        requester_email=ticket.requester.email,
        requester_name=ticket.requester.name,
    )
    return asdict(mirror)
