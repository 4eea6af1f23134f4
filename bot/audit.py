"""The audit log: an append-only, hash-chained record of every verification attempt and every action.

Each record's hash is SHA-256 over its own fields (canonical JSON) and the previous record's hash, and the
newest hash is also kept in a one-row head table. `verify()` recomputes the chain, so an edited record, a
deleted one (a gap or a broken link) or a deleted tail (the head no longer matches) is found.

Records never hold secrets: details whose keys look like passwords, codes or tokens are refused outright.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bot.store.sql.database import Database
from bot.store.sql.schema import audit_head, audit_log
from bot.store.sql.upsert import insert_if_absent

GENESIS = "0" * 64  # the "previous hash" of the first record
_SECRET_KEY = re.compile(r"pass(word)?|secret|token|code|otp|pin\b|credential", re.IGNORECASE)

DetailValue = str | int | float | bool | None


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """What happened, before it is sealed into the chain.

    Args:
        actor: who asked (the verified requester's e-mail or id, or the staff member).
        account: the directory account acted on (None for attempts that never reached one).
        action: e.g. `verify_totp`, `reset_password`, `unlock_account`, `approve`.
        outcome: e.g. `success`, `failure`, `refused`, `denied`, `locked_out`.
        reason: why: the intent and its confidence, or the policy that refused.
        details: extra facts (never secrets: password/code/token-like keys are rejected).
        rollback: how to undo it, when it can be undone.
    """

    actor: str
    action: str
    outcome: str
    reason: str
    account: str | None = None
    approver: str | None = None
    details: Mapping[str, DetailValue] = field(default_factory=dict)
    rollback: str | None = None


@dataclass(frozen=True, kw_only=True)
class AuditRecord:
    """A sealed entry: its place in the chain, its time and its hash."""

    seq: int
    at: datetime
    entry: AuditEntry
    prev_hash: str
    hash: str

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.entry.actor,
            "account": self.entry.account,
            "action": self.entry.action,
            "outcome": self.entry.outcome,
            "reason": self.entry.reason,
            "approver": self.entry.approver,
            "details": dict(self.entry.details),
            "rollback": self.entry.rollback,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, kw_only=True)
class Verification:
    """The result of checking the whole chain."""

    ok: bool
    records: int
    problem: str | None = None


class AuditLog:
    """Appends to and checks the audit log in the bot's database."""

    def __init__(self, *, database: Database) -> None:
        self._db = database

    async def record(self, entry: AuditEntry) -> AuditRecord:
        """Seal `entry` onto the end of the chain.

        Raises:
            ValueError: the details carry something that looks like a secret.
        """
        secret_keys = [key for key in entry.details if _SECRET_KEY.search(key)]
        if secret_keys:
            raise ValueError(f"audit details must not hold secrets (keys: {', '.join(sorted(secret_keys))})")
        at = datetime.now(UTC)
        async with self._db.engine.begin() as conn:
            # Write first: this takes the lock that keeps two appenders from linking to the same record.
            head = (await conn.execute(_claim_next)).first()
            if head is None:
                # The very first record. Of two first appenders on PostgreSQL, one creates the head row and the
                # other waits for it (a plain INSERT would fail on the key), then both claim in turn.
                await insert_if_absent(conn, audit_head, {"id": 1, "next_seq": 1, "last_hash": GENESIS})
                head = (await conn.execute(_claim_next)).one()
            seq, prev_hash = head.next_seq - 1, head.last_hash
            sealed = AuditRecord(
                seq=seq,
                at=at,
                entry=entry,
                prev_hash=prev_hash,
                hash=_hash(seq=seq, at=at, entry=entry, prev_hash=prev_hash),
            )
            await conn.execute(
                audit_log.insert().values(
                    seq=seq,
                    at=at,
                    actor=entry.actor,
                    account=entry.account,
                    action=entry.action,
                    outcome=entry.outcome,
                    reason=entry.reason,
                    approver=entry.approver,
                    details=dict(entry.details),
                    rollback=entry.rollback,
                    prev_hash=prev_hash,
                    hash=sealed.hash,
                )
            )
            await conn.execute(audit_head.update().where(audit_head.c.id == 1).values(last_hash=sealed.hash))
        return sealed

    async def records(self, *, since: datetime | None = None) -> AsyncIterator[AuditRecord]:
        """Every record in order (from `since` on, if given)."""
        query = sa.select(audit_log).order_by(audit_log.c.seq)
        if since is not None:
            query = query.where(audit_log.c.at >= since)
        async with self._db.engine.connect() as conn:
            for row in (await conn.execute(query)).all():
                yield _record(row)

    async def last_success(self, *, actor: str, action: str) -> datetime | None:
        """When `actor` last had `action` succeed (for cooldowns), or None."""
        query = sa.select(sa.func.max(audit_log.c.at)).where(
            audit_log.c.actor == actor, audit_log.c.action == action, audit_log.c.outcome == "success"
        )
        async with self._db.engine.connect() as conn:
            at = (await conn.execute(query)).scalar_one_or_none()
        return None if at is None else _utc(at)

    async def verify(self) -> Verification:
        """Recompute every hash and link; the first problem found, if any."""
        expected_prev, count = GENESIS, 0
        async for stored in self.records():
            count += 1
            if stored.seq != count:
                return Verification(
                    ok=False, records=count - 1, problem=f"record {count} is missing (next is {stored.seq})"
                )
            if stored.prev_hash != expected_prev:
                return Verification(
                    ok=False, records=count - 1, problem=f"record {stored.seq} does not follow record {stored.seq - 1}"
                )
            if _hash(seq=stored.seq, at=stored.at, entry=stored.entry, prev_hash=stored.prev_hash) != stored.hash:
                return Verification(ok=False, records=count - 1, problem=f"record {stored.seq} was altered")
            expected_prev = stored.hash
        async with self._db.engine.connect() as conn:
            head = (await conn.execute(sa.select(audit_head))).first()
        if head is not None and (head.last_hash != expected_prev or head.next_seq != count + 1):
            return Verification(
                ok=False, records=count, problem=f"records after {count} were deleted (the head names a later one)"
            )
        return Verification(ok=True, records=count)


_claim_next = (
    audit_head.update()
    .where(audit_head.c.id == 1)
    .values(next_seq=audit_head.c.next_seq + 1)
    .returning(audit_head.c.next_seq, audit_head.c.last_hash)
)


def _hash(*, seq: int, at: datetime, entry: AuditEntry, prev_hash: str) -> str:
    canonical = json.dumps(
        {
            "seq": seq,
            "at": _utc(at).isoformat(),
            "actor": entry.actor,
            "account": entry.account,
            "action": entry.action,
            "outcome": entry.outcome,
            "reason": entry.reason,
            "approver": entry.approver,
            "details": dict(entry.details),
            "rollback": entry.rollback,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _utc(at: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they were stored in UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _record(row: sa.Row[Any]) -> AuditRecord:
    entry = AuditEntry(
        actor=row.actor,
        account=row.account,
        action=row.action,
        outcome=row.outcome,
        reason=row.reason,
        approver=row.approver,
        details=dict(row.details),
        rollback=row.rollback,
    )
    return AuditRecord(seq=row.seq, at=_utc(row.at), entry=entry, prev_hash=row.prev_hash, hash=row.hash)
