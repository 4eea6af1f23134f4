"""Tickets: what IT staff work on, and every change to one as an event (who, when, what)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.core.model import ConversationRef


class TicketStatus(StrEnum):
    """open → claimed ⇄ waiting_on_user → resolved; or returned_to_bot, or cancelled by the person."""

    OPEN = "open"
    CLAIMED = "claimed"
    WAITING_ON_USER = "waiting_on_user"
    RESOLVED = "resolved"
    RETURNED_TO_BOT = "returned_to_bot"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (TicketStatus.OPEN, TicketStatus.CLAIMED, TicketStatus.WAITING_ON_USER)
CLAIMED_STATUSES = (TicketStatus.CLAIMED, TicketStatus.WAITING_ON_USER)


class EventKind(StrEnum):
    """Everything that can happen to a ticket."""

    CREATED = "created"
    CLAIMED = "claimed"
    STAFF_MESSAGE = "staff_message"  # relayed to the person
    INTERNAL_NOTE = "internal_note"  # staff only
    PERSON_MESSAGE = "person_message"  # relayed from the person
    RESOLVED = "resolved"
    RETURNED = "returned_to_bot"
    CANCELLED = "cancelled"
    RATED = "rated"
    REMINDED = "sla_reminder"
    ESCALATED = "sla_escalation"
    MIRRORED = "mirrored"  # an ITSM system holds a copy


@dataclass(frozen=True, kw_only=True)
class Requester:
    """Who asked, as the channel and (when configured) the directory describe them."""

    user_id: str
    email: str | None = None
    name: str | None = None
    department: str | None = None
    manager: str | None = None
    location: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "email": self.email, "name": self.name, "department": self.department,
                "manager": self.manager, "location": self.location}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Requester:
        return cls(**{key: data.get(key) for key in ("email", "name", "department", "manager", "location")},
                   user_id=str(data.get("user_id", "")))


@dataclass(frozen=True, kw_only=True)
class Ticket:
    """One hand-off as staff see it. The full packet (transcript, retrieval, actions) is stored beside it."""

    id: str
    conversation: ConversationRef
    requester: Requester
    reason: str
    summary: str
    category: str
    priority: str  # P1 (critical) … P4 (low)
    group: str  # the resolver group whose queue it is in
    status: TicketStatus
    created_at: datetime
    assignee: str | None = None  # the staff member's e-mail
    assignee_name: str | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    rating: int | None = None
    external: dict[str, str] = field(default_factory=dict)  # ITSM system → its id for this ticket

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


@dataclass(frozen=True, kw_only=True)
class TicketEvent:
    """One entry of a ticket's history."""

    seq: int
    ticket: str
    at: datetime
    actor: str  # an e-mail, "requester", or "bot"
    kind: EventKind
    text: str = ""
    internal: bool = False  # never shown to the person
    actor_name: str | None = None
