"""Mirroring tickets into an ITSM tool (ServiceNow, Jira Service Management), through a durable outbox.

The staff desk never calls an ITSM system directly: it queues each change in the `itsm_outbox` table
(`ItsmOutbox.enqueue`), and a background worker delivers them in order, retrying with backoff, so a slow or
failing ITSM system never delays the person or the staff member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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


class ItsmSystem(Protocol):
    """One ITSM tool's client. Every method raises ItsmError."""

    name: str  # "servicenow" or "jira": the key in the ticket's `external` ids

    async def create(self, ticket: MirrorTicket) -> str:
        """Create the record; its id there (ServiceNow sys_id, Jira issue key)."""
        ...

    async def comment(self, external_id: str, text: str, *, internal: bool) -> None:
        """A message on the record: a work note / internal comment when `internal`, else a public comment."""
        ...

    async def set_status(self, external_id: str, status: str) -> None:
        """Follow our status (claimed, waiting_on_user) where the tool has a matching state."""
        ...

    async def resolve(self, external_id: str, note: str) -> None:
        """Close the record as resolved with the resolution note."""
        ...

    async def close(self) -> None: ...
