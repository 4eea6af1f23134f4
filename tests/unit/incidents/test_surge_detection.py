"""Surge detection on replayed message streams (real embeddings, real SQLite, a clock the test moves): a surge, a
slow trickle that must not trigger, two surges at once, and what confirmed incidents tell people."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bot.core.model import ConversationRef, KnownIssue, Reply, UserRef
from bot.incidents.detector import Report, surge_around
from bot.incidents.store import IncidentStatus, SqlIncidents
from bot.incidents.tracker import AUTOMATIC, IncidentStateConflict, IncidentTracker, NoSuchIncident
from bot.kb.embedder import EncoderEmbedder
from bot.store.sql.database import Database
from bot.triage.config import SurgeConfig
from knowledge.embeddings import MiniLMEncoder

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

VPN = [
    "the VPN keeps disconnecting every few minutes",
    "I can't connect to the VPN this morning",
    "vpn is down for me, GlobalProtect says gateway unreachable",
    "Is the VPN broken? It won't connect",
    "my VPN connection drops constantly since 9am",
    "cannot get on the vpn from home, it times out",
]
MAIL = [
    "Outlook is not receiving any new emails",
    "no new mail has arrived since this morning in Outlook",
    "email seems to be down, nothing is coming in",
    "my inbox hasn't had a new email for two hours",
]
UNRELATED = [
    "how do I change my desktop wallpaper",
    "I need a new mouse for my desk",
    "can you install Visio for me",
    "my monitor flickers when I move it",
    "what is the wifi password for guests",
    "please add me to the finance distribution list",
]


class Told:
    """Stands in for the chat channels: which conversation was told what."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    async def tell_person(self, *, email: str, reply: Reply) -> bool:
        raise AssertionError("incident notices go to the reporters' own conversations")

    async def tell_conversation(
        self, *, conversation: ConversationRef, user_id: str, reply: Reply, role: str = "bot"
    ) -> None:
        self.messages.append((user_id, reply.text))

    def who(self) -> list[str]:
        return [user for user, _ in self.messages]


class Replay:
    """Feeds reports to the incident tracker at given minutes past 09:00, as different (or the same) people."""

    def __init__(self, database: Database, encoder: MiniLMEncoder, config: SurgeConfig | None = None) -> None:
        self.now = START
        self.told = Told()
        self.alerts: list[str] = []
        self.tracker = IncidentTracker(
            incidents=SqlIncidents(database),
            embedder=EncoderEmbedder(encoder=encoder),
            config=config or SurgeConfig(),
            notifier=self.told,
            alert=self.alerts.append,
            clock=lambda: self.now,
        )

    async def say(self, minute: float, person: str, text: str) -> KnownIssue | None:
        self.now = START + timedelta(minutes=minute)
        return await self.tracker.report(
            conversation=ConversationRef(channel="web", id=f"conv-{person}"),
            user=UserRef(id=person, email=f"{person}@example.com"),
            text=text,
        )

    async def stream(self, reports: Sequence[tuple[float, str, str]]) -> list[KnownIssue | None]:
        return [await self.say(minute, person, text) for minute, person, text in reports]


@pytest.mark.asyncio
async def test_a_surge_of_vpn_complaints_opens_one_incident(database: Database, encoder: MiniLMEncoder) -> None:
    replay = Replay(database, encoder)
    await replay.stream([(minute * 2, f"person{minute}", text) for minute, text in enumerate(VPN)])
    [incident] = await replay.tracker.all()
    assert incident.status is IncidentStatus.SUSPECTED
    assert incident.reporters == len(VPN)
    assert incident.summary == VPN[0]
    [alert] = replay.alerts
    assert incident.id in alert
    assert "3 people reported similar problems within 4 minutes" in alert


@pytest.mark.asyncio
async def test_a_slow_trickle_of_the_same_complaint_does_not_trigger(
    database: Database, encoder: MiniLMEncoder
) -> None:
    replay = Replay(database, encoder)  # a 30-minute window; one report every 40 minutes
    await replay.stream([(minute * 40, f"person{minute}", text) for minute, text in enumerate(VPN)])
    assert await replay.tracker.all() == []
    assert replay.alerts == []


@pytest.mark.asyncio
async def test_many_people_with_different_problems_are_not_an_incident(
    database: Database, encoder: MiniLMEncoder
) -> None:
    replay = Replay(database, encoder)
    await replay.stream([(minute, f"person{minute}", text) for minute, text in enumerate(UNRELATED)])
    assert await replay.tracker.all() == []


@pytest.mark.asyncio
async def test_many_people_asking_how_to_do_the_same_thing_is_not_an_incident(
    database: Database, encoder: MiniLMEncoder
) -> None:
    replay = Replay(database, encoder)
    await replay.stream(
        [
            (minute, f"person{minute}", text)
            for minute, text in enumerate(
                [
                    "how do I connect to the VPN?",
                    "how do I connect to the VPN from home?",
                    "how can I set up the VPN",
                    "how to connect to the vpn on a mac",
                ]
            )
        ]
    )
    assert await replay.tracker.all() == []


@pytest.mark.asyncio
async def test_one_person_saying_it_five_times_is_not_an_incident(database: Database, encoder: MiniLMEncoder) -> None:
    replay = Replay(database, encoder)
    await replay.stream([(minute, "ana", text) for minute, text in enumerate(VPN[:5])])
    assert await replay.tracker.all() == []


@pytest.mark.asyncio
async def test_two_simultaneous_surges_open_two_incidents_each_with_its_own_reports(
    database: Database, encoder: MiniLMEncoder
) -> None:
    replay = Replay(database, encoder)
    interleaved = [report for pair in zip(VPN, MAIL, strict=False) for report in pair]
    await replay.stream([(minute, f"person{minute}", text) for minute, text in enumerate(interleaved)])
    found = sorted(await replay.tracker.all(), key=lambda incident: incident.opened_at)
    assert [incident.summary for incident in found] == [VPN[0], MAIL[0]]
    incidents = SqlIncidents(database)
    for incident, texts in zip(found, (VPN[:4], MAIL), strict=True):
        assert sorted(report.text for report in await incidents.linked(incident.id)) == sorted(texts)


@pytest.mark.asyncio
async def test_after_staff_confirm_it_reporters_are_told_and_the_next_ones_hear_it_is_known(
    database: Database, encoder: MiniLMEncoder
) -> None:
    replay = Replay(database, encoder)
    await replay.stream([(minute, f"person{minute}", text) for minute, text in enumerate(VPN[:3])])
    [incident] = await replay.tracker.all()

    await replay.tracker.confirm(incident.id, actor="Dana", title="VPN gateway outage")
    assert sorted(replay.told.who()) == ["person0", "person1", "person2"]
    assert all("VPN gateway outage" in text for _, text in replay.told.messages)

    # An hour later (long after the surge window) the incident still catches new reports of it.
    known = await replay.say(60, "late", VPN[4])
    assert known == KnownIssue(incident=incident.id, title="VPN gateway outage")
    assert await replay.say(61, "other", UNRELATED[1]) is None

    replay.told.messages.clear()
    await replay.tracker.resolve(incident.id, actor="Dana", note="Certificate renewed.")
    assert sorted(replay.told.who()) == ["late", "person0", "person1", "person2"]
    assert all("has been fixed. Certificate renewed." in text for _, text in replay.told.messages)
    assert await replay.say(62, "after", VPN[5]) is None  # resolved: a new report is just a report again


@pytest.mark.asyncio
async def test_enough_reporters_confirm_it_without_staff(database: Database, encoder: MiniLMEncoder) -> None:
    replay = Replay(database, encoder, SurgeConfig(min_reporters=3, auto_confirm_reporters=5))
    results = await replay.stream([(minute, f"person{minute}", text) for minute, text in enumerate(VPN)])
    [incident] = await replay.tracker.all()
    assert incident.status is IncidentStatus.CONFIRMED
    assert incident.confirmed_by == AUTOMATIC
    # The fifth reporter is told in their own turn; the four before by a notice; the sixth hears it is known.
    assert [result is not None for result in results] == [False, False, False, False, True, True]
    assert sorted(replay.told.who()) == ["person0", "person1", "person2", "person3"]


@pytest.mark.asyncio
async def test_staff_mistakes_are_refused(database: Database, encoder: MiniLMEncoder) -> None:
    replay = Replay(database, encoder)
    await replay.stream([(minute, f"person{minute}", text) for minute, text in enumerate(VPN[:3])])
    [incident] = await replay.tracker.all()
    with pytest.raises(NoSuchIncident):
        await replay.tracker.confirm("INC-000000-0000", actor="Dana")
    await replay.tracker.resolve(incident.id, actor="Dana")
    with pytest.raises(IncidentStateConflict, match="resolved, not suspected"):
        await replay.tracker.confirm(incident.id, actor="Dana")


def test_the_window_and_the_people_decide_a_surge_on_plain_vectors() -> None:
    same, other = np.array([1.0, 0.0], dtype=np.float32), np.array([0.0, 1.0], dtype=np.float32)

    def report(number: int, minute: float, person: str, vector: np.ndarray) -> Report:
        return Report(id=number, at=START + timedelta(minutes=minute), person=person, vector=vector)

    newest = report(9, 30, "c", same)

    def surge(recent: Sequence[Report]) -> list[Report] | None:
        return surge_around(newest, recent, window=timedelta(minutes=30), similarity=0.5, min_reporters=3)

    assert surge([report(1, 0, "a", same), report(2, 10, "b", same)]) is not None
    assert surge([report(1, -1, "a", same), report(2, 10, "b", same)]) is None  # too old
    assert surge([report(1, 0, "a", other), report(2, 10, "b", same)]) is None  # unlike
    assert surge([report(1, 0, "b", same), report(2, 10, "b", same)]) is None  # one person
    linked = Report(id=1, at=START, person="a", vector=same, incident="INC-1")
    assert surge([linked, report(2, 10, "b", same)]) is None  # already in an incident


@pytest.mark.asyncio
async def test_a_surge_reported_through_two_replicas_in_turn_is_seen_by_each(
    database: Database, encoder: MiniLMEncoder
) -> None:
    # Each replica keeps its own copy of the recent reports; each must see what the other stored meanwhile.
    first, second = Replay(database, encoder), Replay(database, encoder)
    for minute, text in enumerate(VPN[:3]):
        replica = (first, second)[minute % 2]
        await replica.say(minute, f"person{minute}", text)
    [incident] = await first.tracker.all()
    assert incident.reporters == 3
    assert len(first.alerts + second.alerts) == 1  # the replica that saw the third report raised it, once
