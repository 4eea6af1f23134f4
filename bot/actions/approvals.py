"""Approvals: an access or software request waiting for its owner's (or manager's) Approve or Deny."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from bot.core.clock import SystemClock
from bot.core.model import ConversationRef
from bot.core.ports import Clock
from bot.store.sql.database import Database, as_utc
from bot.store.sql.schema import approvals

Status = Literal["pending", "approved", "denied", "expired", "failed", "done"]


@dataclass(frozen=True, kw_only=True)
class Approval:
    id: str
    action: str
    item_id: str
    requester_email: str
    requester_account: str
    conversation: ConversationRef  # the requester's conversation, where the outcome is told
    requester_user_id: str
    approver_email: str
    reason: str
    status: Status
    decided_by: str | None
    expires_at: datetime


class SqlApprovals:
    """Approval requests in the bot's database; every status change is conditional, so a decision happens once."""

    def __init__(self, *, database: Database, clock: Clock = SystemClock()) -> None:
        self._db = database
        self._clock = clock

    async def create(
        self,
        *,
        action: str,
        item_id: str,
        requester_email: str,
        requester_account: str,
        conversation: ConversationRef,
        requester_user_id: str,
        approver_email: str,
        reason: str,
        lifetime: timedelta,
    ) -> Approval:
        now = self._clock.now()
        approval_id = f"AP-{secrets.token_hex(5)}"
        values: dict[str, Any] = {
            "id": approval_id,
            "action": action,
            "item_id": item_id,
            "requester_email": requester_email.lower(),
            "requester_account": requester_account,
            "approver_email": approver_email.lower(),
            "reason": reason,
            "channel": conversation.channel,
            "conversation_id": conversation.id,
            "requester_user_id": requester_user_id,
            "status": "pending",
            "created_at": now,
            "expires_at": now + lifetime,
        }
        async with self._db.engine.begin() as conn:
            await conn.execute(approvals.insert().values(**values))
        found = await self.get(approval_id)
        if found is None:
            raise RuntimeError(f"approval {approval_id} was not found right after it was stored")
        return found

    async def get(self, approval_id: str) -> Approval | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(sa.select(approvals).where(approvals.c.id == approval_id))).first()
        return None if row is None else _approval(row)

    async def move(
        self, approval_id: str, *, from_status: Status, to_status: Status, decided_by: str | None = None
    ) -> bool:
        """Change the status only if it is still `from_status` (and, from pending, not yet expired)."""
        conditions = [approvals.c.id == approval_id, approvals.c.status == from_status]
        if from_status == "pending" and to_status != "expired":
            conditions.append(approvals.c.expires_at > self._clock.now())
        values: dict[str, Any] = {"status": to_status}
        if decided_by is not None:
            values["decided_by"] = decided_by.lower()
        async with self._db.engine.begin() as conn:
            moved = await conn.execute(approvals.update().where(*conditions).values(**values))
        return moved.rowcount == 1

    async def overdue(self) -> list[Approval]:
        """Pending approvals whose time is up."""
        query = sa.select(approvals).where(approvals.c.status == "pending", approvals.c.expires_at <= self._clock.now())
        async with self._db.engine.connect() as conn:
            return [_approval(row) for row in (await conn.execute(query)).all()]


def _approval(row: sa.Row[Any]) -> Approval:
    expires = as_utc(row.expires_at)
    return Approval(
        id=row.id,
        action=row.action,
        item_id=row.item_id,
        requester_email=row.requester_email,
        requester_account=row.requester_account,
        requester_user_id=row.requester_user_id,
        conversation=ConversationRef(channel=row.channel, id=row.conversation_id),
        approver_email=row.approver_email,
        reason=row.reason,
        status=row.status,
        decided_by=row.decided_by,
        expires_at=expires,
    )
