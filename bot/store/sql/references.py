"""Channel references: how to reach a conversation again later (hand-off relay, status updates)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bot.core.model import ConversationRef
from bot.store.sql.database import Database
from bot.store.sql.schema import channel_references
from bot.store.sql.upsert import upsert


class SqlChannelReferences:
    """One reference per conversation, replaced on every message so it follows the channel's latest view."""

    def __init__(self, *, database: Database) -> None:
        self._db = database

    async def save(self, *, conversation: ConversationRef, reference: dict[str, Any]) -> None:
        values = {"reference": reference, "updated_at": datetime.now(UTC)}
        async with self._db.engine.begin() as conn:
            await upsert(conn, channel_references, key={"conversation_key": conversation.key}, values=values)

    async def load(self, conversation: ConversationRef) -> dict[str, Any] | None:
        async with self._db.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(channel_references.c.reference).where(
                        channel_references.c.conversation_key == conversation.key
                    )
                )
            ).first()
        return None if row is None else dict(row.reference)
