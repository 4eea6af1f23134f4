"""Tickets in the SQL store: rows of `handoffs`, their events, the cards posted for them and SLA notices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.model import ConversationRef
from bot.core.tickets import ACTIVE_STATUSES, EventKind, Requester, Ticket, TicketEvent, TicketStatus
from bot.store.sql.database import Database, as_utc, as_utc_or_none
from bot.store.sql.schema import handoffs, ticket_cards, ticket_events, ticket_notices

LIST_LIMIT = 200


class SqlTickets:
    """Every write that changes a ticket also appends its event, in the same transaction."""

    def __init__(self, *, database: Database) -> None:
        self._db = database

    async def create(self, ticket: Ticket, *, packet: dict[str, Any]) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(
                handoffs.insert().values(
                    id=ticket.id,
                    conversation_key=ticket.conversation.key,
                    user_id=ticket.requester.user_id,
                    packet=packet,
                    status=ticket.status.value,
                    created_at=ticket.created_at,
                    requester=ticket.requester.to_dict(),
                    reason=ticket.reason,
                    summary=ticket.summary,
                    category=ticket.category,
                    priority=ticket.priority,
                    group_name=ticket.group,
                    external={},
                    updated_at=ticket.created_at,
                )
            )
            await _append_event(
                conn, ticket.id, actor="bot", kind=EventKind.CREATED, text=ticket.reason, at=ticket.created_at
            )

    async def get(self, ticket_id: str) -> Ticket | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(sa.select(handoffs).where(handoffs.c.id == ticket_id))).first()
        return None if row is None else _ticket(row)

    async def packet(self, ticket_id: str) -> dict[str, Any] | None:
        async with self._db.engine.connect() as conn:
            value = (await conn.execute(sa.select(handoffs.c.packet).where(handoffs.c.id == ticket_id))).scalar()
        return None if value is None else dict(value)

    async def find(
        self,
        *,
        statuses: Sequence[TicketStatus] | None = None,
        groups: Sequence[str] | None = None,
        limit: int = LIST_LIMIT,
    ) -> list[Ticket]:
        """Newest first, optionally only some statuses and groups."""
        query = sa.select(handoffs).order_by(handoffs.c.created_at.desc()).limit(limit)
        if statuses is not None:
            query = query.where(handoffs.c.status.in_([status.value for status in statuses]))
        if groups is not None:
            query = query.where(handoffs.c.group_name.in_(list(groups)))
        async with self._db.engine.connect() as conn:
            return [_ticket(row) for row in (await conn.execute(query)).all()]

    async def active(self) -> list[Ticket]:
        """Every ticket a person is still waiting on (the SLA watcher's work list)."""
        query = sa.select(handoffs).where(handoffs.c.status.in_([status.value for status in ACTIVE_STATUSES]))
        async with self._db.engine.connect() as conn:
            return [_ticket(row) for row in (await conn.execute(query)).all()]

    async def transition(
        self,
        ticket_id: str,
        *,
        allowed_from: Sequence[TicketStatus],
        to: TicketStatus,
        event: EventKind,
        actor: str,
        actor_name: str | None = None,
        text: str = "",
        values: dict[str, Any] | None = None,
    ) -> Ticket | None:
        """Move the ticket to `to` if it is in one of `allowed_from` (atomically: two staff members clicking
        at once cannot both win); the updated ticket, or None when its status did not allow the change."""
        now = datetime.now(UTC)
        async with self._db.engine.begin() as conn:
            updated = await conn.execute(
                handoffs.update()
                .where(handoffs.c.id == ticket_id, handoffs.c.status.in_([s.value for s in allowed_from]))
                .values(status=to.value, updated_at=now, **(values or {}))
            )
            if updated.rowcount == 0:
                return None
            await _append_event(conn, ticket_id, actor=actor, actor_name=actor_name, kind=event, text=text, at=now)
            row = (await conn.execute(sa.select(handoffs).where(handoffs.c.id == ticket_id))).one()
        return _ticket(row)

    async def add_event(
        self,
        ticket_id: str,
        *,
        actor: str,
        kind: EventKind,
        text: str = "",
        internal: bool = False,
        actor_name: str | None = None,
    ) -> TicketEvent:
        now = datetime.now(UTC)
        async with self._db.engine.begin() as conn:
            seq = await _append_event(
                conn, ticket_id, actor=actor, actor_name=actor_name, kind=kind, text=text, internal=internal, at=now
            )
            await conn.execute(handoffs.update().where(handoffs.c.id == ticket_id).values(updated_at=now))
        return TicketEvent(
            seq=seq,
            ticket=ticket_id,
            at=now,
            actor=actor,
            actor_name=actor_name,
            kind=kind,
            text=text,
            internal=internal,
        )

    async def events(self, ticket_id: str) -> list[TicketEvent]:
        query = sa.select(ticket_events).where(ticket_events.c.ticket == ticket_id).order_by(ticket_events.c.seq)
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            TicketEvent(
                seq=row.seq,
                ticket=row.ticket,
                at=as_utc(row.at),
                actor=row.actor,
                actor_name=row.actor_name,
                kind=EventKind(row.kind),
                text=row.text,
                internal=row.internal,
            )
            for row in rows
        ]

    async def note_first_response(self, ticket_id: str) -> None:
        """The first time staff answer the person (a claim or a message) stops the first-response clock."""
        async with self._db.engine.begin() as conn:
            await conn.execute(
                handoffs.update()
                .where(handoffs.c.id == ticket_id, handoffs.c.first_response_at.is_(None))
                .values(first_response_at=datetime.now(UTC))
            )

    async def set_rating(self, ticket_id: str, rating: int) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(handoffs.update().where(handoffs.c.id == ticket_id).values(rating=rating))
            await _append_event(
                conn, ticket_id, actor="requester", kind=EventKind.RATED, text=str(rating), at=datetime.now(UTC)
            )

    async def claim_notice(self, ticket_id: str, notice: str) -> bool:
        """True the first time `notice` (e.g. "first_response:reminder") is claimed for the ticket."""
        try:
            async with self._db.engine.begin() as conn:
                await conn.execute(
                    ticket_notices.insert().values(ticket=ticket_id, notice=notice, at=datetime.now(UTC))
                )
        except IntegrityError:
            return False
        return True

    async def add_card(self, *, address: str, ticket_id: str, platform: str, meta: dict[str, Any]) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(
                ticket_cards.insert().values(address=address, ticket=ticket_id, surface=platform, meta=meta)
            )

    async def ticket_of_card(self, address: str) -> str | None:
        """The ticket whose card lives at `address` (a staff thread), or None."""
        async with self._db.engine.connect() as conn:
            return (
                await conn.execute(sa.select(ticket_cards.c.ticket).where(ticket_cards.c.address == address))
            ).scalar()

    async def cards(self, ticket_id: str, *, platform: str) -> list[dict[str, Any]]:
        query = sa.select(ticket_cards.c.meta).where(
            ticket_cards.c.ticket == ticket_id, ticket_cards.c.surface == platform
        )
        async with self._db.engine.connect() as conn:
            return [dict(meta) for meta in (await conn.execute(query)).scalars()]


async def _append_event(
    conn: AsyncConnection,
    ticket_id: str,
    *,
    actor: str,
    kind: EventKind,
    text: str,
    at: datetime,
    internal: bool = False,
    actor_name: str | None = None,
) -> int:
    result = await conn.execute(
        ticket_events.insert().values(
            ticket=ticket_id, at=at, actor=actor, actor_name=actor_name, kind=kind.value, text=text, internal=internal
        )
    )
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for the new ticket event")
    return int(key[0])


def _ticket(row: sa.Row[Any]) -> Ticket:
    conversation_channel, _, conversation_id = row.conversation_key.partition(":")
    packet = row.packet or {}
    requester = Requester.from_dict(row.requester) if row.requester else Requester(user_id=row.user_id)
    return Ticket(
        id=row.id,
        conversation=ConversationRef(channel=conversation_channel, id=conversation_id),
        requester=requester,
        reason=row.reason or str(packet.get("reason", "")),
        summary=row.summary or str(packet.get("question", "")),
        category=row.category or "general",
        priority=row.priority or "P3",
        group=row.group_name or "",
        status=TicketStatus(row.status),
        created_at=as_utc(row.created_at),
        assignee=row.assignee,
        assignee_name=row.assignee_name,
        first_response_at=as_utc_or_none(row.first_response_at),
        resolved_at=as_utc_or_none(row.resolved_at),
        resolution=row.resolution,
        rating=row.rating,
        external=dict(row.external or {}),
    )
