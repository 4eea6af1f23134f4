"""Opening a ticket: the packet enriched (requester, summary, category, priority, group), stored, announced."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from bot.audit import AuditLog
from bot.core.model import HandoffPacket, HandoffReceipt
from bot.core.ports import IncidentReporters, Summarizer, TicketTriage
from bot.core.tickets import Ticket, TicketStatus
from bot.core.triage import Person
from bot.handoff.itsm.outbox import ItsmOutbox
from bot.handoff.itsm.payloads import mirror_ticket
from bot.handoff.requesters import RequesterLookup
from bot.handoff.routing import StaffConfig
from bot.handoff.store import SqlTickets
from bot.handoff.ticket_cards import TicketCards

log = structlog.get_logger(__name__)

RECENT_ACTIONS = timedelta(hours=24)
RECENT_ACTIONS_LIMIT = 20


def packet_to_dict(packet: HandoffPacket) -> dict[str, Any]:
    """JSON form of a hand-off packet (what staff tools read)."""
    return {
        "conversation": asdict(packet.conversation),
        "user": asdict(packet.user),
        "reason": packet.reason,
        "question": packet.question,
        "intent": packet.intent,
        "confidence": packet.confidence,
        "retrieval": [asdict(hit) for hit in packet.retrieval],
        "transcript": [
            {"seq": t.seq, "role": t.role, "text": t.text, "created_at": t.created_at} for t in packet.transcript
        ],
    }


def new_ticket_id(now: datetime) -> str:
    # Short, readable, unguessable: people read ticket ids out over the phone.
    return f"HD-{now:%y%m%d}-{secrets.token_hex(3).upper()}"


class StaffQueue:
    """Implements the core's HandoffQueue port: the ticket is stored first, then shown to staff."""

    def __init__(
        self,
        *,
        tickets: SqlTickets,
        config: StaffConfig,
        requesters: RequesterLookup,
        summarizer: Summarizer,
        triager: TicketTriage,
        incidents: IncidentReporters | None,
        cards: TicketCards,
        outbox: ItsmOutbox | None,
        audit: AuditLog | None,
    ) -> None:
        self._tickets = tickets
        self._config = config
        self._requesters = requesters
        self._summarizer = summarizer
        self._triager = triager
        self._incidents = incidents
        self._cards = cards
        self._outbox = outbox
        self._audit = audit

    async def open(self, packet: HandoffPacket) -> HandoffReceipt:
        now = datetime.now(UTC)
        requester = await self._requesters.describe(packet.user)
        said = " ".join(turn.text for turn in packet.transcript if turn.role == "user")
        triage = await self._triager.triage(
            packet.question,
            conversation=f"{packet.question} {said}",
            intent=packet.intent,
            person=Person(email=requester.email, department=requester.department),
            reporters=await self._reporters(packet),
        )
        group = self._config.group(triage.group)
        summary = await self._summarizer.summarize(
            packet, requester=requester.name or requester.email or requester.user_id
        )
        ticket = Ticket(
            id=new_ticket_id(now),
            conversation=packet.conversation,
            requester=requester,
            reason=packet.reason,
            summary=summary,
            category=triage.category,
            priority=triage.priority.priority,
            group=group.name,
            status=TicketStatus.OPEN,
            created_at=now,
        )
        stored = {
            **packet_to_dict(packet),
            "actions": await self._recent_actions(requester.email),
            "triage": triage.to_dict(),
        }
        await self._tickets.create(ticket, packet=stored)
        log.info(
            "ticket_created", ticket=ticket.id, group=group.name, priority=ticket.priority, category=ticket.category
        )
        if self._outbox is not None:
            await self._outbox.enqueue(ticket.id, "create", mirror_ticket(ticket, packet))
        self._cards.publish(ticket, transcript=packet.transcript)
        target = self._config.target(ticket.priority)
        return HandoffReceipt(ticket=ticket.id, first_response_minutes=target.first_response)

    async def _reporters(self, packet: HandoffPacket) -> int:
        """People who reported the incident this conversation is linked to (1 when none): raises impact."""
        if self._incidents is None:
            return 1
        return max(1, await self._incidents.reporters_of(packet.conversation))

    async def _recent_actions(self, email: str | None) -> list[dict[str, Any]]:
        """The self-service actions this person tried lately, from the audit log: what staff should not repeat."""
        if self._audit is None or not email:
            return []
        since = datetime.now(UTC) - RECENT_ACTIONS
        return [
            {
                "at": record.at.isoformat(),
                "action": record.entry.action,
                "outcome": record.entry.outcome,
                "reason": record.entry.reason,
                "account": record.entry.account,
            }
            async for record in self._audit.records(since=since)
            if record.entry.actor.lower() == email.lower()
        ][-RECENT_ACTIONS_LIMIT:]
