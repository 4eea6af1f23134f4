"""The hand-off queue: persists a ticket with the full packet for the IT staff to pick up."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bot.core.model import HandoffPacket
from bot.store.database import Database
from bot.store.schema import handoffs


def packet_to_dict(packet: HandoffPacket) -> dict[str, Any]:
    """JSON form of a hand-off packet (what staff tools will read)."""
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


class SqlHandoffQueue:
    """Implements the core's HandoffQueue port: one row per ticket, status 'open' until staff act on it."""

    def __init__(self, *, database: Database) -> None:
        self._db = database

    async def open(self, packet: HandoffPacket) -> str:
        now = datetime.now(UTC)
        # Short, readable, unguessable: people read ticket ids out over the phone.
        ticket = f"HD-{now:%y%m%d}-{secrets.token_hex(3).upper()}"
        async with self._db.engine.begin() as conn:
            await conn.execute(
                handoffs.insert().values(
                    id=ticket, conversation_key=packet.conversation.key, user_id=packet.user.id,
                    packet=packet_to_dict(packet), status="open", created_at=now,
                )
            )
        return ticket

    async def get(self, ticket: str) -> dict[str, Any] | None:
        """The stored packet and status of one ticket, or None."""
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(sa.select(handoffs).where(handoffs.c.id == ticket))).first()
        if row is None:
            return None
        return {"id": row.id, "status": row.status, "packet": row.packet, "created_at": row.created_at.isoformat()}
