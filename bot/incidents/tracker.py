"""Major-incident awareness: surges of similar reports become suspected incidents that staff confirm and resolve.

- A report that resembles an open incident is linked to it. When the incident is confirmed (by staff, or because
  `auto_confirm_reporters` people reported it), the person is told IT already knows and will tell them when fixed.
- Otherwise the report waits in the window; once `min_reporters` different people said the same thing within
  it, a suspected incident opens with those reports linked, and the IT staff queue is alerted.
- Confirming tells everyone linked so far; resolving tells everyone linked that it is fixed.

Reports are compared by sentence embedding, never by their words shown to anyone: people are told the incident's
id and the title staff gave it, not what others wrote.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog

from bot import messages
from bot.core.model import ConversationRef, KnownIssue, Reply, ReplyKind, UserRef
from bot.core.ports import Embedder, Notifier, TurnOrder
from bot.core.tickets import StaffError
from bot.incidents.detector import OpenIncident, Report, Vector, centroid, closest_incident, surge_around
from bot.incidents.recent import RecentReports
from bot.incidents.store import OPEN_STATUSES, Incident, IncidentStatus, SqlIncidents
from bot.store.shared.turn_order import InProcessTurnOrder
from bot.triage.config import SurgeConfig
from bot.triage.priority import urgency_of

log = structlog.get_logger(__name__)

MIN_REPORT_WORDS = 3  # "hi", "thanks", "ok": not reports of anything
SUMMARY_CHARS = 200
REPORT_CHARS = 500
SURGE_CHECK = "incidents:surge-check"  # the turn-order key: every report is checked against the others one at a time
AUTOMATIC = "automatic (number of reporters)"
CENTROID_REPORTS = 200  # an incident's newest reports describe it well enough, however many there are
CENTROID_REFRESH_SECONDS = 60.0


class NoSuchIncident(StaffError):
    status, code = 404, "not_found"


class IncidentStateConflict(StaffError):
    """The incident is not in a state that allows the change (someone else got there first)."""

    status, code = 409, "conflict"


class IncidentTracker:
    """Implements the core's IncidentWatch port, and what staff do with incidents (CLI, console API)."""

    def __init__(
        self,
        *,
        incidents: SqlIncidents,
        embedder: Embedder,
        config: SurgeConfig,
        notifier: Notifier,
        alert: Callable[[str], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        turn_order: TurnOrder | None = None,
    ) -> None:
        """`turn_order`: runs one surge check at a time across replicas (Redis), so two reports arriving together on
        two replicas cannot open two incidents; default: one at a time within this process."""
        self._incidents = incidents
        self._embedder = embedder
        self._config = config
        self._notifier = notifier
        self._alert = alert
        self._clock = clock
        self._turn_order = turn_order or InProcessTurnOrder()
        self._recent = RecentReports(incidents, window=self.window)
        self._centroids: dict[str, tuple[float, Vector | None]] = {}  # incident → (computed at, centroid)

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self._config.window_minutes)

    async def report(self, *, conversation: ConversationRef, user: UserRef, text: str) -> KnownIssue | None:
        # How-to questions and requests ("how do I connect to the VPN?") are not reports of something broken:
        # three people asking the same thing is a popular article, not an outage.
        if len(text.split()) < MIN_REPORT_WORDS or urgency_of(text) == "low":
            return None
        vector = (await self._embedder.embed([text]))[0]
        person = (user.email or f"{conversation.channel}:{user.id}").lower()
        now = self._clock()
        # Stored first, matched second: an incident opened meanwhile on another replica either sees this report
        # in its sweep (below) or is seen here, so no report of a surge is left out of it.
        stored = await self._incidents.add_report(
            at=now,
            person=person,
            user_id=user.id,
            conversation=conversation,
            text=text[:REPORT_CHARS],
            vector=vector,
            incident=None,
        )
        opened = await self._open_incidents()
        match = closest_incident(vector, [o for o, _ in opened], similarity=self._config.known_issue_similarity)
        if match is not None:
            await self._incidents.link_reports([stored.id], match.id)
            return await self._joined(match.id)
        self._recent.remember(stored)
        if self._surge_among(stored, await self._recent.around(now)) is None:
            return None
        # A surge, by this replica's copy: open it, one replica at a time, after checking with the database. Only
        # this step is serialised (every report taking the lock made the check a queue for the whole company under
        # load); looking again inside the lock means that a replica that opened the same surge first has linked
        # these reports, and nothing is opened twice.
        async with self._turn_order.turn(SURGE_CHECK):
            surge = self._surge_among(stored, await self._incidents.unlinked_reports(now - self.window))
            if surge is None:
                return None
            incident_id = await self._open(
                surge_ids=[r.id for r in surge],
                first_text=await self._first_text(surge[0].id, text),
                reporters=len({r.person for r in surge}),
                now=now,
                minutes=max(1, round((now - surge[0].at).total_seconds() / 60)),
            )
            self._recent.forget([r.id for r in surge])
            await self._sweep(incident_id, centroid([r.vector for r in surge]), now)
        return None

    async def _sweep(self, incident_id: str, direction: Vector, now: datetime) -> None:
        """Link the reports stored while the incident was being opened (they looked for open incidents before it
        existed, and were not part of the surge the opener saw)."""
        late = [
            report.id
            for report in await self._incidents.unlinked_reports(now - self.window)
            if float(report.vector @ direction) >= self._config.known_issue_similarity
        ]
        if late:
            await self._incidents.link_reports(late, incident_id)
            self._recent.forget(late)

    def _surge_among(self, stored: Report, unlinked: list[Report]) -> list[Report] | None:
        """The surge `stored` belongs to among these unlinked reports; None when there is none, or when `stored`
        is no longer among them (another replica linked it meanwhile)."""
        if all(report.id != stored.id for report in unlinked):
            return None
        return surge_around(
            stored,
            unlinked,
            window=self.window,
            similarity=self._config.similarity,
            min_reporters=self._config.min_reporters,
        )

    async def all(self, *, include_resolved: bool = False) -> list[Incident]:
        return await self._incidents.all(None if include_resolved else OPEN_STATUSES)

    async def get(self, incident_id: str) -> Incident:
        incident = await self._incidents.get(incident_id)
        if incident is None:
            raise NoSuchIncident(f"no incident {incident_id}")
        return incident

    async def confirm(self, incident_id: str, *, actor: str, title: str | None = None) -> Incident:
        """Staff confirm a suspected incident: everyone linked so far is told, and so is everyone who reports it
        from now on. `title` is what people are told it is (never the reporters' own words)."""
        await self.get(incident_id)
        changed = await self._incidents.transition(
            incident_id,
            allowed_from=(IncidentStatus.SUSPECTED,),
            to=IncidentStatus.CONFIRMED,
            values={"confirmed_at": self._clock(), "confirmed_by": actor, "title": _title(title)},
        )
        if not changed:
            raise IncidentStateConflict(f"{incident_id} is {(await self.get(incident_id)).status.value}, not suspected")
        return await self._confirmed(incident_id, actor=actor)

    async def resolve(self, incident_id: str, *, actor: str, note: str | None = None) -> Incident:
        """Mark it fixed and tell everyone linked to it, in their own conversation."""
        await self.get(incident_id)
        changed = await self._incidents.transition(
            incident_id,
            allowed_from=OPEN_STATUSES,
            to=IncidentStatus.RESOLVED,
            values={"resolved_at": self._clock(), "resolved_by": actor, "resolution": (note or "").strip() or None},
        )
        if not changed:
            raise IncidentStateConflict(f"{incident_id} is already resolved")
        incident = await self.get(incident_id)
        told = await self._tell_linked(incident, messages.INCIDENT_RESOLVED, note=incident.resolution)
        log.info("incident_resolved", incident=incident_id, actor=actor, told=told)
        self._alert(messages.INCIDENT_RESOLVED_ALERT.format(incident=incident_id, actor=actor, reporters=told))
        return incident

    async def reporters_of(self, conversation: ConversationRef) -> int:
        """How many people reported the open incident this conversation belongs to (0: none); raises impact."""
        return await self._incidents.reporters_of(conversation)

    async def forget_old_reports(self) -> int:
        """Drop unlinked reports that have left the window (run periodically)."""
        return await self._incidents.forget_reports(self._clock() - self.window)

    async def _open_incidents(self) -> list[tuple[OpenIncident, Incident]]:
        """The open incidents (read every time, so one opened on another replica is matched at once) with their
        centroids (recomputed once a minute: loading up to 200 vectors per incident for every report made each
        report slower as incidents grew)."""
        found = []
        now = time.monotonic()
        open_incidents = await self._incidents.all(OPEN_STATUSES)
        for incident in open_incidents:
            computed_at, direction = self._centroids.get(incident.id, (float("-inf"), None))
            if direction is None or now - computed_at > CENTROID_REFRESH_SECONDS:
                vectors = await self._incidents.vectors(incident.id, newest=CENTROID_REPORTS)
                direction = centroid(vectors) if vectors else None
                self._centroids[incident.id] = (now, direction)
            if direction is not None:
                found.append((OpenIncident(id=incident.id, centroid=direction), incident))
        for gone in self._centroids.keys() - {incident.id for incident in open_incidents}:
            del self._centroids[gone]
        return found

    async def _joined(self, incident_id: str) -> KnownIssue | None:
        """A report was linked: tell the person if the incident is confirmed (confirming it first, when enough
        people have now reported it)."""
        incident = await self.get(incident_id)
        enough = incident.reporters >= self._config.auto_confirm_reporters
        if (
            incident.status is IncidentStatus.SUSPECTED
            and enough
            and await self._incidents.transition(
                incident_id,
                allowed_from=(IncidentStatus.SUSPECTED,),
                to=IncidentStatus.CONFIRMED,
                values={"confirmed_at": self._clock(), "confirmed_by": AUTOMATIC},
            )
        ):
            incident = await self._confirmed(incident_id, actor=AUTOMATIC, skip_latest=True)
        if incident.status is not IncidentStatus.CONFIRMED:
            return None
        return KnownIssue(incident=incident.id, title=incident.title)

    async def _confirmed(self, incident_id: str, *, actor: str, skip_latest: bool = False) -> Incident:
        incident = await self.get(incident_id)
        told = await self._tell_linked(incident, messages.INCIDENT_CONFIRMED, skip_latest=skip_latest)
        log.info("incident_confirmed", incident=incident_id, actor=actor, told=told)
        title = f" ({incident.title})" if incident.title else ""
        self._alert(
            messages.INCIDENT_CONFIRMED_ALERT.format(
                incident=incident_id, actor=actor, title=title, reporters=incident.reporters
            )
        )
        return incident

    async def _open(self, *, surge_ids: list[int], first_text: str, reporters: int, now: datetime, minutes: int) -> str:
        incident_id = f"INC-{now:%y%m%d}-{secrets.token_hex(2).upper()}"
        summary = first_text[:SUMMARY_CHARS]
        await self._incidents.open_incident(incident_id=incident_id, summary=summary, at=now, report_ids=surge_ids)
        log.info("incident_suspected", incident=incident_id, reporters=reporters, reports=len(surge_ids))
        self._alert(
            messages.INCIDENT_SUSPECTED_ALERT.format(
                incident=incident_id, reporters=reporters, minutes=minutes, summary=summary
            )
        )
        return incident_id

    async def _first_text(self, report_id: int, fallback: str) -> str:
        return await self._incidents.report_text(report_id) or fallback

    async def _tell_linked(
        self, incident: Incident, template: str, *, note: str | None = None, skip_latest: bool = False
    ) -> int:
        """Tell each linked conversation once; returns how many were told. `skip_latest`: the newest reporter
        is being answered in their own turn."""
        linked = await self._incidents.linked(incident.id)
        if skip_latest and linked:
            linked = [item for item in linked if item.conversation != linked[-1].conversation]
        seen: set[ConversationRef] = set()
        text = template.format(
            incident=incident.id, title=messages.incident_title(incident.title), note=f" {note}" if note else ""
        )
        for item in linked:
            if item.conversation in seen:
                continue
            seen.add(item.conversation)
            try:
                await self._notifier.tell_conversation(
                    conversation=item.conversation, user_id=item.user_id, reply=Reply(kind=ReplyKind.INFO, text=text)
                )
            except Exception:  # one unreachable person must not keep the others from hearing
                log.exception("incident_notice_failed", incident=incident.id, conversation=item.conversation.key)
        return len(seen)


def _title(title: str | None) -> str | None:
    cleaned = " ".join((title or "").split())[:SUMMARY_CHARS]
    return cleaned or None
