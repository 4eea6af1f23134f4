"""The limits around self-service: lockouts after wrong codes, cooldowns after a success, and rate limits."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.actions.policy import ActionPolicy
from bot.audit import AuditLog
from bot.core.clock import SystemClock
from bot.core.ports import Clock, SharedState
from bot.store.sql.database import Database, as_utc
from bot.store.sql.schema import self_service_lockouts
from bot.store.sql.upsert import upsert

HOUR, MINUTE = 3600.0, 60.0


class Guards:
    """Answers "may this person start this action now?" and records lockouts."""

    def __init__(
        self,
        *,
        database: Database,
        audit: AuditLog,
        shared_state: SharedState,
        policy: ActionPolicy,
        clock: Clock = SystemClock(),
    ) -> None:
        self._db = database
        self._clock = clock
        self._audit = audit
        self._shared = shared_state
        self._policy = policy

    async def locked_until(self, email: str) -> datetime | None:
        """The end of the person's self-service lockout, if one is in force."""
        async with self._db.engine.connect() as conn:
            until = (
                await conn.execute(
                    sa.select(self_service_lockouts.c.until).where(self_service_lockouts.c.email == _key(email))
                )
            ).scalar_one_or_none()
        if until is None:
            return None
        until = as_utc(until)
        return until if until > self._clock.now() else None

    async def lock_out(self, email: str, *, reason: str) -> datetime:
        """Stop the person's self-service for the policy's lockout period; when it ends."""
        until = self._clock.now() + timedelta(minutes=self._policy.lockout_minutes)
        async with self._db.engine.begin() as conn:
            await upsert(
                conn, self_service_lockouts, key={"email": _key(email)}, values={"until": until, "reason": reason}
            )
        return until

    async def cooldown_until(self, email: str, *, action: str) -> datetime | None:
        """When the person may repeat `action`, if its cooldown since the last success is still running."""
        spec = self._policy.spec(action)
        if spec is None or spec.cooldown_hours <= 0:
            return None
        last = await self._audit.last_success(actor=_key(email), action=action)
        if last is None:
            return None
        until = last + timedelta(hours=spec.cooldown_hours)
        return until if until > self._clock.now() else None

    async def over_rate_limit(self, email: str) -> bool:
        """Count one action request; True when the person or everyone together is over the limit."""
        limits = self._policy.rate_limit
        mine = await self._shared.count(f"actions:{_key(email)}", window_seconds=HOUR)
        everyone = await self._shared.count("actions:*", window_seconds=MINUTE)
        return mine > limits.per_person_per_hour or everyone > limits.global_per_minute


def _key(email: str) -> str:
    return email.strip().lower()
