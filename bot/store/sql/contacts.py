"""Where each person can be reached: their newest conversation with the bot, by e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from bot.core.model import ConversationRef
from bot.store.sql.database import Database
from bot.store.sql.schema import contacts
from bot.store.sql.upsert import upsert


@dataclass(frozen=True, kw_only=True)
class Contact:
    conversation: ConversationRef
    user_id: str  # the person's id on that channel (needed to post privately there)


class SqlContacts:
    """Implements the Contacts port: one row per e-mail, replaced whenever that person starts a conversation."""

    def __init__(self, *, database: Database) -> None:
        self._db = database

    async def remember(self, *, email: str, conversation: ConversationRef, user_id: str) -> None:
        address = email.strip().lower()
        values = {
            "conversation_key": conversation.key,
            "channel": conversation.channel,
            "external_id": conversation.id,
            "user_id": user_id,
            "updated_at": datetime.now(UTC),
        }
        async with self._db.engine.begin() as conn:
            await upsert(conn, contacts, key={"email": address}, values=values)

    async def newest(self, email: str) -> Contact | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(sa.select(contacts).where(contacts.c.email == email.strip().lower()))).first()
        if row is None:
            return None
        return Contact(conversation=ConversationRef(channel=row.channel, id=row.external_id), user_id=row.user_id)
