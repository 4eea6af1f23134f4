"""The durable outbox: ticket changes queued in SQL, delivered to each ITSM system in order, retried with backoff."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.clock import SystemClock
from bot.core.itsm import ItsmError, MirrorTicket
from bot.core.ports import Clock, ItsmSystem
from bot.store.sql.database import Database, as_utc
from bot.store.sql.schema import handoffs, itsm_outbox

log = structlog.get_logger(__name__)

Operation = Literal["create", "comment", "status", "resolve"]
OPERATIONS = frozenset({"create", "comment", "status", "resolve"})
MAX_ATTEMPTS = 12  # about five hours of trying, the last ones an hour apart
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
JITTER = 0.1  # ±10 %, so rows that failed together do not all come back in the same second
WAIT_FOR_CREATE = timedelta(seconds=30)
LEASE = timedelta(minutes=5)  # a row being delivered is hidden this long from other workers (and after a crash)
ERROR_LIMIT = 1000


@dataclass(frozen=True, kw_only=True)
class OutboxRow:
    """One change waiting for one ITSM system."""

    id: int
    ticket: str
    system: str
    operation: str
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


class ItsmOutbox:
    """Queues ticket changes for every configured ITSM system and delivers them.

    For one ticket and one system, rows go strictly in the order they were queued: a row waits while an earlier
    one is still pending, so a comment never overtakes the create it belongs to. Rows of other tickets or
    systems are independent: one failing never holds them up.
    """

    def __init__(
        self,
        database: Database,
        systems: Sequence[ItsmSystem],
        *,
        clock: Clock = SystemClock(),
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._db = database
        self._systems = {system.name: system for system in systems}
        self._now = clock.now
        self._jitter = jitter  # a number in [0, 1); injectable so a test can pin the backoff

    async def enqueue(self, ticket_id: str, operation: Operation, payload: MirrorTicket | Mapping[str, Any]) -> None:
        """Queue one change for every system; a plain INSERT, never a network call.

        Payloads: create → the MirrorTicket; comment → {text, internal}; status → {status}; resolve → {note}.
        """
        if operation not in OPERATIONS:
            raise ValueError(f"unknown ITSM operation {operation!r}")
        if not self._systems:
            return
        data = asdict(payload) if isinstance(payload, MirrorTicket) else dict(payload)
        now = self._now()
        rows = [
            {
                "ticket": ticket_id,
                "system": name,
                "operation": operation,
                "payload": data,
                "attempts": 0,
                "next_attempt_at": now,
            }
            for name in self._systems
        ]
        async with self._db.engine.begin() as conn:
            await conn.execute(itsm_outbox.insert(), rows)

    async def pending(self, ticket_id: str) -> list[OutboxRow]:
        """The ticket's rows not delivered (nor given up) yet, oldest first."""
        query = (
            sa.select(itsm_outbox)
            .where(itsm_outbox.c.ticket == ticket_id, itsm_outbox.c.done_at.is_(None))
            .order_by(itsm_outbox.c.id)
        )
        async with self._db.engine.connect() as conn:
            return [_row(row) for row in (await conn.execute(query)).all()]

    async def run_due(self, limit: int = 50) -> int:
        """Try up to `limit` due rows; how many were delivered.

        "Due" is judged against the time the run started, so a row rescheduled during the run waits for the next.
        """
        started = self._now()
        tried = delivered = 0
        while tried < limit:
            heads = await self._due_heads(started, limit - tried)
            if not heads:
                break
            for row in heads:
                if not await self._claim(row.id, started):
                    continue  # another worker took it
                tried += 1
                delivered += await self._deliver(row)
        return delivered

    # ---- choosing rows -----------------------------------------------------------------------------------------

    async def _due_heads(self, now: datetime, limit: int) -> list[OutboxRow]:
        """The oldest pending row of each ticket and system, when it is due.

        A create is held up only by an earlier create: a change queued before it (say, for a ticket opened before
        the ITSM system was configured) waits for the record instead of blocking the create forever.
        """
        earlier = itsm_outbox.alias("earlier")
        blocked = sa.exists().where(
            earlier.c.ticket == itsm_outbox.c.ticket,
            earlier.c.system == itsm_outbox.c.system,
            earlier.c.done_at.is_(None),
            earlier.c.id < itsm_outbox.c.id,
            sa.or_(itsm_outbox.c.operation != "create", earlier.c.operation == "create"),
        )
        query = (
            sa.select(itsm_outbox)
            .where(
                itsm_outbox.c.done_at.is_(None),
                itsm_outbox.c.next_attempt_at <= now,
                itsm_outbox.c.system.in_(list(self._systems)),
                ~blocked,
            )
            .order_by(itsm_outbox.c.id)
            .limit(limit)
        )
        async with self._db.engine.connect() as conn:
            return [_row(row) for row in (await conn.execute(query)).all()]

    async def _claim(self, row_id: int, started: datetime) -> bool:
        """Lease the row for this worker: only one replica sends it, and a crash mid-way frees it later."""
        async with self._db.engine.begin() as conn:
            claimed = await conn.execute(
                itsm_outbox.update()
                .where(
                    itsm_outbox.c.id == row_id,
                    itsm_outbox.c.done_at.is_(None),
                    itsm_outbox.c.next_attempt_at <= started,
                )
                .values(next_attempt_at=self._now() + LEASE)
            )
        return claimed.rowcount == 1

    # ---- delivering one row ------------------------------------------------------------------------------------

    async def _deliver(self, row: OutboxRow) -> int:
        """Send one row; 1 when it went through, else 0 (rescheduled, waiting, or given up)."""
        system = self._systems[row.system]
        try:
            if row.operation == "create":
                await self._create(system, row)
                return 1
            external_id = await self._external_id(row.ticket, row.system)
            if external_id is None:
                await self._without_record(row)
                return 0
            await _send(system, external_id, row)
        except ItsmError as error:
            await self._failed(row, str(error), retryable=error.retryable)
            return 0
        except Exception as error:  # a bug in a client must not stop the rows behind this one
            log.exception("itsm_delivery_crashed", ticket=row.ticket, system=row.system, operation=row.operation)
            await self._failed(row, f"unexpected {type(error).__name__} (see the logs)", retryable=True)
            return 0
        await self._finish(row.id, attempts=row.attempts + 1)
        log.info("itsm_delivered", ticket=row.ticket, system=row.system, operation=row.operation)
        return 1

    async def _create(self, system: ItsmSystem, row: OutboxRow) -> None:
        if await self._external_id(row.ticket, row.system) is not None:
            # Queued twice: a second create would make a duplicate record there.
            await self._finish(row.id, attempts=row.attempts)
            return
        external_id = await system.create(_mirror_ticket(row.payload))
        async with self._db.engine.begin() as conn:
            current = (
                await conn.execute(sa.select(handoffs.c.external).where(handoffs.c.id == row.ticket).with_for_update())
            ).scalar()
            merged = {**(current or {}), row.system: external_id}
            await conn.execute(handoffs.update().where(handoffs.c.id == row.ticket).values(external=merged))
            await _mark_done(conn, row.id, self._now(), attempts=row.attempts + 1)
        log.info("itsm_record_created", ticket=row.ticket, system=row.system, external_id=external_id)

    async def _without_record(self, row: OutboxRow) -> None:
        """A change for a ticket that has no record there: wait for a queued create, else give up."""
        waiting = sa.select(itsm_outbox.c.id).where(
            itsm_outbox.c.ticket == row.ticket,
            itsm_outbox.c.system == row.system,
            itsm_outbox.c.operation == "create",
            itsm_outbox.c.done_at.is_(None),
        )
        async with self._db.engine.begin() as conn:
            if (await conn.execute(waiting.limit(1))).first() is not None:
                await conn.execute(
                    itsm_outbox.update()
                    .where(itsm_outbox.c.id == row.id)
                    .values(next_attempt_at=self._now() + WAIT_FOR_CREATE)
                )
                return
        await self._failed(row, f"the ticket was never created in {row.system}", retryable=False)

    async def _failed(self, row: OutboxRow, message: str, *, retryable: bool) -> None:
        now, attempts = self._now(), row.attempts + 1
        if retryable and attempts < MAX_ATTEMPTS:
            delay = min(FIRST_DELAY * 2 ** (attempts - 1), MAX_DELAY) * (1 + JITTER * (2 * self._jitter() - 1))
            values: dict[str, Any] = {
                "attempts": attempts,
                "next_attempt_at": now + delay,
                "last_error": message[:ERROR_LIMIT],
            }
            log.warning(
                "itsm_delivery_failed",
                ticket=row.ticket,
                system=row.system,
                operation=row.operation,
                attempts=attempts,
                retry_in_seconds=round(delay.total_seconds()),
                error=message,
            )
        else:
            reason = message if not retryable else f"{MAX_ATTEMPTS} attempts failed, the last: {message}"
            values = {"attempts": attempts, "done_at": now, "last_error": f"gave up: {reason}"[:ERROR_LIMIT]}
            log.error(
                "itsm_delivery_gave_up",
                ticket=row.ticket,
                system=row.system,
                operation=row.operation,
                attempts=attempts,
                error=message,
            )
        async with self._db.engine.begin() as conn:
            await conn.execute(itsm_outbox.update().where(itsm_outbox.c.id == row.id).values(**values))

    async def _finish(self, row_id: int, *, attempts: int) -> None:
        async with self._db.engine.begin() as conn:
            await _mark_done(conn, row_id, self._now(), attempts=attempts)

    async def _external_id(self, ticket_id: str, system: str) -> str | None:
        async with self._db.engine.connect() as conn:
            external = (await conn.execute(sa.select(handoffs.c.external).where(handoffs.c.id == ticket_id))).scalar()
        value = external.get(system) if isinstance(external, dict) else None
        return value if isinstance(value, str) and value else None


async def _send(system: ItsmSystem, external_id: str, row: OutboxRow) -> None:
    payload = row.payload
    if row.operation == "comment":
        await system.comment(external_id, str(payload.get("text", "")), internal=bool(payload.get("internal")))
    elif row.operation == "status":
        await system.set_status(external_id, str(payload.get("status", "")))
    elif row.operation == "resolve":
        await system.resolve(external_id, str(payload.get("note", "")))
    else:
        raise ItsmError(f"unknown operation {row.operation!r}", retryable=False)


async def _mark_done(conn: AsyncConnection, row_id: int, now: datetime, *, attempts: int) -> None:
    await conn.execute(
        itsm_outbox.update().where(itsm_outbox.c.id == row_id).values(done_at=now, attempts=attempts, last_error=None)
    )


def _mirror_ticket(payload: Mapping[str, Any]) -> MirrorTicket:
    names = {field.name for field in fields(MirrorTicket)}
    try:
        return MirrorTicket(**{name: value for name, value in payload.items() if name in names})
    except TypeError:
        raise ItsmError(f"the queued ticket lacks {sorted(names - set(payload))}", retryable=False) from None


def _row(row: sa.Row[Any]) -> OutboxRow:
    return OutboxRow(
        id=row.id,
        ticket=row.ticket,
        system=row.system,
        operation=row.operation,
        payload=dict(row.payload),
        attempts=row.attempts,
        next_attempt_at=as_utc(row.next_attempt_at),
        last_error=row.last_error,
    )
