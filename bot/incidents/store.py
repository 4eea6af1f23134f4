"""Incidents and problem reports in the bot's database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np
import sqlalchemy as sa

from bot.core.model import ConversationRef
from bot.incidents.detector import Report, Vector
from bot.store.sql.database import Database, as_utc, as_utc_or_none
from bot.store.sql.schema import incidents, problem_reports


class IncidentStatus(StrEnum):
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    RESOLVED = "resolved"


OPEN_STATUSES = (IncidentStatus.SUSPECTED, IncidentStatus.CONFIRMED)


@dataclass(frozen=True, kw_only=True)
class Incident:
    id: str
    status: IncidentStatus
    summary: str  # staff only
    title: str | None  # public, set by staff
    opened_at: datetime
    confirmed_at: datetime | None
    confirmed_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None
    reporters: int  # different people linked to it


@dataclass(frozen=True, kw_only=True)
class StoredReport:
    """A report with what is needed to tell its author later."""

    report: Report
    user_id: str
    conversation: ConversationRef
    text: str


class SqlIncidents:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add_report(
        self,
        *,
        at: datetime,
        person: str,
        user_id: str,
        conversation: ConversationRef,
        text: str,
        vector: Vector,
        incident: str | None,
    ) -> Report:
        async with self._db.engine.begin() as conn:
            result = await conn.execute(
                problem_reports.insert().values(
                    at=at,
                    person=person,
                    user_id=user_id,
                    channel=conversation.channel,
                    conversation_id=conversation.id,
                    text=text,
                    vector=_to_bytes(vector),
                    incident=incident,
                )
            )
            key = result.inserted_primary_key
            if key is None:
                raise RuntimeError("the database returned no id for the new problem report")
            report_id = int(key[0])
        return Report(id=report_id, at=at, person=person, vector=vector, incident=incident)

    async def unlinked_reports(self, since: datetime, *, after_id: int = 0) -> list[Report]:
        """Reports since `since` that belong to no incident: the only ones that can start a new one.
        `after_id`: only reports with a greater id (what a reader has not seen yet)."""
        query = (
            sa.select(problem_reports)
            .where(problem_reports.c.at >= since, problem_reports.c.incident.is_(None), problem_reports.c.id > after_id)
            .order_by(problem_reports.c.id)
        )
        async with self._db.engine.connect() as conn:
            return [_report(row) for row in (await conn.execute(query)).all()]

    async def open_incident(self, *, incident_id: str, summary: str, at: datetime, report_ids: list[int]) -> None:
        """Create a suspected incident and link the reports that made the surge (one transaction)."""
        async with self._db.engine.begin() as conn:
            await conn.execute(
                incidents.insert().values(
                    id=incident_id, status=IncidentStatus.SUSPECTED.value, summary=summary, opened_at=at
                )
            )
            await conn.execute(
                problem_reports.update().where(problem_reports.c.id.in_(report_ids)).values(incident=incident_id)
            )

    async def link_reports(self, report_ids: list[int], incident_id: str) -> int:
        """Link reports that belong to no incident yet; how many were linked."""
        async with self._db.engine.begin() as conn:
            result = await conn.execute(
                problem_reports.update()
                .where(problem_reports.c.id.in_(report_ids), problem_reports.c.incident.is_(None))
                .values(incident=incident_id)
            )
        return int(result.rowcount)

    async def get(self, incident_id: str) -> Incident | None:
        found = await self._incidents(incidents.c.id == incident_id)
        return found[0] if found else None

    async def all(self, statuses: tuple[IncidentStatus, ...] | None = None) -> list[Incident]:
        """Incidents, newest first (all statuses when `statuses` is None)."""
        condition = sa.true() if statuses is None else incidents.c.status.in_([status.value for status in statuses])
        return await self._incidents(condition)

    async def vectors(self, incident_id: str, *, newest: int) -> list[Vector]:
        """The embeddings of the incident's `newest` reports."""
        query = (
            sa.select(problem_reports.c.vector)
            .where(problem_reports.c.incident == incident_id)
            .order_by(problem_reports.c.id.desc())
            .limit(newest)
        )
        async with self._db.engine.connect() as conn:
            return [_from_bytes(row.vector) for row in (await conn.execute(query)).all()]

    async def linked(self, incident_id: str) -> list[StoredReport]:
        """The incident's reports, oldest first."""
        query = (
            sa.select(problem_reports)
            .where(problem_reports.c.incident == incident_id)
            .order_by(problem_reports.c.at, problem_reports.c.id)
        )
        async with self._db.engine.connect() as conn:
            return [
                StoredReport(
                    report=_report(row),
                    user_id=row.user_id,
                    text=row.text,
                    conversation=ConversationRef(channel=row.channel, id=row.conversation_id),
                )
                for row in (await conn.execute(query)).all()
            ]

    async def report_text(self, report_id: int) -> str | None:
        query = sa.select(problem_reports.c.text).where(problem_reports.c.id == report_id)
        async with self._db.engine.connect() as conn:
            text: str | None = (await conn.execute(query)).scalar()
        return text

    async def reporters_of(self, conversation: ConversationRef) -> int:
        """How many people reported the open incident this conversation is linked to (0: none)."""
        linked = (
            sa.select(problem_reports.c.incident)
            .join(incidents, incidents.c.id == problem_reports.c.incident)
            .where(
                problem_reports.c.channel == conversation.channel,
                problem_reports.c.conversation_id == conversation.id,
                incidents.c.status.in_([status.value for status in OPEN_STATUSES]),
            )
            .order_by(problem_reports.c.id.desc())
            .limit(1)
        )
        async with self._db.engine.connect() as conn:
            incident = (await conn.execute(linked)).scalar()
            if incident is None:
                return 0
            count = sa.select(sa.func.count(sa.distinct(problem_reports.c.person))).where(
                problem_reports.c.incident == incident
            )
            return int((await conn.execute(count)).scalar_one())

    async def transition(
        self,
        incident_id: str,
        *,
        allowed_from: tuple[IncidentStatus, ...],
        to: IncidentStatus,
        values: dict[str, object],
    ) -> bool:
        """Change the status only if it is still one of `allowed_from` (so two staff cannot both do it)."""
        statement = (
            incidents.update()
            .where(incidents.c.id == incident_id, incidents.c.status.in_([status.value for status in allowed_from]))
            .values(status=to.value, **values)
        )
        async with self._db.engine.begin() as conn:
            return (await conn.execute(statement)).rowcount == 1

    async def forget_reports(self, before: datetime) -> int:
        """Drop unlinked reports older than the surge window: they can no longer start or join anything."""
        statement = problem_reports.delete().where(problem_reports.c.at < before, problem_reports.c.incident.is_(None))
        async with self._db.engine.begin() as conn:
            return int((await conn.execute(statement)).rowcount)

    async def _incidents(self, condition: sa.ColumnElement[bool]) -> list[Incident]:
        reporters = (
            sa.select(sa.func.count(sa.distinct(problem_reports.c.person)))
            .where(problem_reports.c.incident == incidents.c.id)
            .scalar_subquery()
        )
        query = (
            sa.select(incidents, reporters.label("reporters"))
            .where(condition)
            .order_by(incidents.c.opened_at.desc(), incidents.c.id)
        )
        async with self._db.engine.connect() as conn:
            return [_incident(row) for row in (await conn.execute(query)).all()]


def _to_bytes(vector: Vector) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def _from_bytes(raw: bytes) -> Vector:
    vector: Vector = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    return vector


def _report(row: sa.Row[tuple[object, ...]]) -> Report:
    return Report(
        id=int(row.id), at=as_utc(row.at), person=row.person, vector=_from_bytes(row.vector), incident=row.incident
    )


def _incident(row: sa.Row[tuple[object, ...]]) -> Incident:
    return Incident(
        id=row.id,
        status=IncidentStatus(row.status),
        summary=row.summary,
        title=row.title,
        opened_at=as_utc(row.opened_at),
        confirmed_at=as_utc_or_none(row.confirmed_at),
        confirmed_by=row.confirmed_by,
        resolved_at=as_utc_or_none(row.resolved_at),
        resolved_by=row.resolved_by,
        resolution=row.resolution,
        reporters=int(row.reporters),
    )
