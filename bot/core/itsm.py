"""What an ITSM tool (ServiceNow, Jira Service Management) is told about a ticket, and how its clients fail.

The ItsmSystem port (bot/core/ports.py) speaks these; bot/handoff/itsm/ has the clients and the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class MirrorTicket:
    """What an ITSM system is told when a ticket is created."""

    id: str  # our ticket id (HD-…), kept as the external reference there
    title: str  # one line: the person's question, shortened
    description: str  # the summary and the full transcript, as plain text
    priority: str  # P1 … P4
    category: str
    requester_email: str | None
    requester_name: str | None


class ItsmError(Exception):
    """The ITSM system refused or failed a call; `retryable` says whether trying again later may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable
