"""SQL-backed conversation store: state and the full transcript of every conversation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bot.core.flows import flow_from_stored, flow_to_stored
from bot.core.model import ConversationRef, ConversationState, Reply, Turn, UserRef
from bot.core.ports import Wakeups
from bot.store.sql.database import Database
from bot.store.sql.schema import conversations, feedback, turns
from bot.store.sql.upsert import upsert

BOT_ROLES = ("bot", "staff", "system")


class SqlConversationStore:
    """Implements the core's ConversationStore port on SQLAlchemy Core."""

    def __init__(self, *, database: Database, wakeups: Wakeups | None = None) -> None:
        """`wakeups`: told after every stored turn, so long-polling web chats (on any replica) look again."""
        self._db = database
        self._wakeups = wakeups

    async def load_state(self, conversation: ConversationRef) -> ConversationState | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(sa.select(conversations).where(conversations.c.key == conversation.key))).first()
        if row is None:
            return None
        # A stored flow that no longer validates is dropped (and logged): the person starts afresh.
        return ConversationState(
            owner_id=row.owner_id,
            flow=flow_from_stored(row.flow, row.flow_data),
            open_handoff=row.open_handoff,
            language="de" if row.language == "de" else "en",  # NULL (older rows) or unknown: English
        )

    async def save_state(self, *, conversation: ConversationRef, state: ConversationState) -> None:
        now = datetime.now(UTC)
        flow, flow_data = flow_to_stored(state.flow)
        values = {
            "owner_id": state.owner_id,
            "flow": flow,
            "flow_data": flow_data,
            "open_handoff": state.open_handoff,
            "language": state.language,
            "updated_at": now,
        }
        async with self._db.engine.begin() as conn:
            # One statement: two replicas starting the same conversation at once must not both INSERT it.
            await upsert(
                conn,
                conversations,
                key={"key": conversation.key},
                values=values,
                insert_only={"channel": conversation.channel, "external_id": conversation.id, "created_at": now},
            )

    async def append(
        self, *, conversation: ConversationRef, user: UserRef, role: str, text: str, reply: Reply | None = None
    ) -> int:
        async with self._db.engine.begin() as conn:
            if conn.dialect.name != "sqlite":  # SQLite serialises writers anyway
                # Turns of one conversation are written one transaction at a time: the id is the pollers' cursor,
                # and two replicas' concurrent inserts could otherwise commit out of id order, so a poller that
                # saw id 102 would never see 101.
                await conn.execute(
                    sa.select(conversations.c.key).where(conversations.c.key == conversation.key).with_for_update()
                )
            result = await conn.execute(
                turns.insert().values(
                    conversation_key=conversation.key,
                    role=role,
                    user_id=user.id,
                    text=text,
                    reply=None if reply is None else reply.to_dict(),
                    created_at=datetime.now(UTC),
                )
            )
            key = result.inserted_primary_key
            if key is None:
                raise RuntimeError("the database returned no id for the new turn")
        if self._wakeups is not None and reply is not None and role in BOT_ROLES:  # what `replies_after` reads
            self._wakeups.notify(conversation.key)
        return int(key[0])

    async def transcript(self, conversation: ConversationRef) -> list[Turn]:
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(turns).where(turns.c.conversation_key == conversation.key).order_by(turns.c.id)
                )
            ).all()
        return [
            Turn(
                seq=row.id,
                role=row.role,
                text=row.text,
                created_at=row.created_at.isoformat(),
                reply=None if row.reply is None else _stored_reply(row.reply, row.id),
            )
            for row in rows
        ]

    async def replies_after(self, *, conversation: ConversationRef, after: int) -> tuple[list[Reply], int]:
        """Replies to the person stored after cursor `after`, and the new cursor."""
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(turns.c.id, turns.c.reply)
                    .where(
                        turns.c.conversation_key == conversation.key,
                        turns.c.id > after,
                        turns.c.role.in_(BOT_ROLES),
                        turns.c.reply.is_not(None),
                    )
                    .order_by(turns.c.id)
                )
            ).all()
        cursor = max([after, *(row.id for row in rows)])
        return [_stored_reply(row.reply, row.id) for row in rows], cursor

    async def record_feedback(
        self, *, conversation: ConversationRef, reply_seq: int, user: UserRef, helpful: bool
    ) -> bool:
        """Store (or replace) the person's rating of one answer; False when `reply_seq` is not an answer here."""
        async with self._db.engine.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(turns.c.reply).where(
                        turns.c.id == reply_seq, turns.c.conversation_key == conversation.key
                    )
                )
            ).first()
            if row is None or row.reply is None or row.reply.get("kind") != "answer":
                return False
            values = {
                "conversation_key": conversation.key,
                "user_id": user.id,
                "helpful": helpful,
                "created_at": datetime.now(UTC),
            }
            await upsert(conn, feedback, key={"turn_id": reply_seq}, values=values)
        return True

    async def unhelpful_answers(self, conversation: ConversationRef) -> int:
        query = (
            sa.select(sa.func.count())
            .select_from(feedback)
            .where(feedback.c.conversation_key == conversation.key, feedback.c.helpful.is_(False))
        )
        async with self._db.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def is_ready(self) -> bool:
        return await self._db.ping()


def _stored_reply(data: dict[str, Any], seq: int) -> Reply:
    return replace(Reply.from_dict(data), seq=seq)
