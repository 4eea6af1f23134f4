"""SLA timers: remind the group as a ticket nears its target, tell the group lead when it is missed.

Timers are not kept in memory: every check recomputes them from the stored timestamps, so they resume after a
restart; and each notice is claimed in the store before it is sent, so it goes out once across replicas.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from bot import messages
from bot.core.clock import SystemClock
from bot.core.model import Reply, ReplyKind
from bot.core.ports import Clock, Notifier
from bot.core.tickets import EventKind, Ticket
from bot.handoff.routing import StaffConfig
from bot.handoff.store import SqlTickets
from bot.handoff.ticket_cards import TicketCards

log = structlog.get_logger(__name__)


class SlaWatcher:
    def __init__(
        self,
        *,
        tickets: SqlTickets,
        config: StaffConfig,
        cards: TicketCards,
        notifier: Notifier,
        clock: Clock = SystemClock(),
    ) -> None:
        self._tickets = tickets
        self._config = config
        self._cards = cards
        self._notifier = notifier
        self._now = clock.now

    async def check(self) -> int:
        """Send the reminders and escalations that are due; how many were sent."""
        sent = 0
        now = self._now()
        for ticket in await self._tickets.active():
            target = self._config.target(ticket.priority)
            clocks = [("resolution", target.resolution_delta)]
            if ticket.first_response_at is None:
                clocks.insert(0, ("first_response", target.first_response_delta))
            for name, allowed in clocks:
                sent += await self._check_clock(ticket, name=name, allowed=allowed, now=now)
        return sent

    async def _check_clock(self, ticket: Ticket, *, name: str, allowed: timedelta, now: datetime) -> int:
        due = ticket.created_at + allowed
        if now >= due:
            if not await self._tickets.claim_notice(ticket.id, f"{name}:escalation"):
                return 0
            await self._escalate(ticket, name=name, due=due)
            return 1
        if now >= ticket.created_at + allowed * self._config.remind_at:
            if not await self._tickets.claim_notice(ticket.id, f"{name}:reminder"):
                return 0
            text = messages.SLA_REMINDER.format(
                ticket=ticket.id, priority=ticket.priority, target=messages.SLA_TARGET_NAMES[name], due=_clock(due)
            )
            await self._tickets.add_event(ticket.id, actor="bot", kind=EventKind.REMINDED, text=text, internal=True)
            self._cards.alert(ticket, text)
            log.info("sla_reminder", ticket=ticket.id, target=name)
            return 1
        return 0

    async def _escalate(self, ticket: Ticket, *, name: str, due: datetime) -> None:
        group = self._config.group(ticket.group)
        text = messages.SLA_ESCALATION.format(
            ticket=ticket.id, priority=ticket.priority, target=messages.SLA_TARGET_NAMES[name], due=_clock(due)
        )
        await self._tickets.add_event(ticket.id, actor="bot", kind=EventKind.ESCALATED, text=text, internal=True)
        self._cards.alert(ticket, text)
        told_lead = group.lead is not None and await self._notifier.tell_person(
            email=group.lead, reply=Reply(kind=ReplyKind.INFO, text=text, handoff_id=ticket.id)
        )
        log.warning("sla_breached", ticket=ticket.id, target=name, group=group.name, lead_told=told_lead)


def _clock(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
