"""Tickets as every side sees them: the ticket and its events, the resolver group whose queue it is in, the
staff member acting on it, and what a refused staff request raises. Channels and domain packages share these
through the ports in bot/core/ports.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.core.model import ConversationRef

TOKEN_ID = "staff-token"
NOTE_PREFIX = "note:"


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
        return {
            "user_id": self.user_id,
            "email": self.email,
            "name": self.name,
            "department": self.department,
            "manager": self.manager,
            "location": self.location,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Requester:
        return cls(
            **{key: data.get(key) for key in ("email", "name", "department", "manager", "location")},
            user_id=str(data.get("user_id", "")),
        )


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


@dataclass(frozen=True, kw_only=True)
class StaffMember:
    """Someone acting on tickets, as their channel (or the console's proxy) authenticated them."""

    id: str  # their e-mail, or TOKEN_ID for the staff token
    name: str
    email: str | None
    every_group: bool = False  # the staff token: local use and integrations

    @classmethod
    def token_holder(cls, name: str) -> StaffMember:
        return cls(id=TOKEN_ID, name=name, email=None, every_group=True)


class ResolverGroup(BaseModel):
    """One queue: who works it and where its ticket cards go."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = ""  # filled in from the key
    label: str = ""
    members: tuple[str, ...] = ()
    directory_group: str | None = None
    lead: str | None = None
    slack_channel: str | None = Field(default=None, pattern=r"^[CG][A-Z0-9]{2,}$")
    teams_channel: str | None = None
    # The team that channel belongs to (its General channel id, which is the team id): where the bot was
    # installed. Only needed when `teams_channel` is not the General channel itself.
    teams_team: str | None = None

    @field_validator("members")
    @classmethod
    def _lower_case(cls, members: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(member.strip().lower() for member in members if member.strip())

    def lists(self, email: str | None) -> bool:
        """True when `email` is one of the configured members."""
        return email is not None and email.strip().lower() in self.members


class StaffError(Exception):
    """A staff request that cannot be done; `status` and `code` are what the HTTP API answers.

    The message is written for the staff member ("only members of …"): channels show it to them as it is.
    """

    status = 400
    code = "invalid_request"


def staff_message(text: str) -> tuple[str, bool]:
    """What a staff member wrote in a ticket's chat thread, and whether it is an internal note.

    The one rule for every chat channel: a message starting with "note:" (any case) stays with staff.
    """
    internal = text.lower().startswith(NOTE_PREFIX)
    return (text[len(NOTE_PREFIX) :] if internal else text), internal
