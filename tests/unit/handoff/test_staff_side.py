"""The staff side's rules without the chat: SLA timers, triage, the staff configuration, membership, and the
upgrade of a version-6 database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
import sqlalchemy as sa

from bot.core.directory import DirectoryAccount, DirectoryUnavailable
from bot.core.model import ConversationRef, ConversationState, Reply, UserRef
from bot.core.tickets import EventKind, Requester, StaffMember, Ticket, TicketStatus, staff_message
from bot.handoff.members import StaffMembership
from bot.handoff.requesters import RequesterLookup
from bot.handoff.routing import StaffConfig, StaffConfigError
from bot.handoff.sla import SlaWatcher
from bot.handoff.store import SqlTickets
from bot.handoff.ticket_cards import TicketCards
from bot.store.sql.conversations import SqlConversationStore
from bot.store.sql.database import Database
from bot.store.sql.schema import SCHEMA_VERSION, handoffs, schema_info
from tests.support.clock import FakeClock
from tests.support.staffapi import write_staff_config

CREATED = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
CONVERSATION = ConversationRef(channel="web", id="c-1")


class RecordingNotifier:
    """Stands in for the chat channels: who the bot told what, outside a turn."""

    def __init__(self) -> None:
        self.people: list[tuple[str, str]] = []

    async def tell_person(self, *, email: str, reply: Reply) -> bool:
        self.people.append((email, reply.text))
        return True

    async def tell_conversation(
        self, *, conversation: ConversationRef, user_id: str, reply: Reply, role: str = "bot"
    ) -> None:
        raise AssertionError("SLA notices go to staff, never to the person")


@pytest_asyncio.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(url=f"sqlite+aiosqlite:///{tmp_path / 'helpdesk.db'}")
    await db.migrate()
    await SqlConversationStore(database=db).save_state(
        conversation=CONVERSATION, state=ConversationState(owner_id="alice")
    )
    yield db
    await db.close()


async def open_ticket(tickets: SqlTickets, *, priority: str = "P2", ticket_id: str = "HD-261122-AAAAAA") -> Ticket:
    ticket = Ticket(
        id=ticket_id,
        conversation=CONVERSATION,
        requester=Requester(user_id="alice"),
        reason="asked for a human",
        summary="VPN down",
        category="network",
        priority=priority,
        group="service-desk",
        status=TicketStatus.OPEN,
        created_at=CREATED,
    )
    await tickets.create(ticket, packet={})
    return ticket


async def claim(tickets: SqlTickets, ticket_id: str, *, by: str) -> Ticket | None:
    """The store's claim transition for `by` (what TicketOperations.claim stores); None when it was not open."""
    return await tickets.transition(
        ticket_id,
        allowed_from=(TicketStatus.OPEN,),
        to=TicketStatus.CLAIMED,
        event=EventKind.CLAIMED,
        actor=by,
        values={"assignee": by},
    )


def watcher(database: Database, config: StaffConfig, clock: FakeClock, notifier: RecordingNotifier) -> SlaWatcher:
    return SlaWatcher(
        tickets=SqlTickets(database=database),
        config=config,
        cards=TicketCards(config=config),
        notifier=notifier,
        clock=clock,
    )


@pytest.mark.asyncio
async def test_sla_reminds_then_escalates_once_each_even_after_a_restart(database: Database, tmp_path: Path) -> None:
    config = StaffConfig.load(
        write_staff_config(tmp_path / "staff.yml", members=[], lead="lead@example.com", first_response_minutes=30)
    )
    clock, notifier = FakeClock(at=CREATED), RecordingNotifier()
    tickets = SqlTickets(database=database)
    ticket = await open_ticket(tickets)

    clock.at = CREATED + timedelta(minutes=20)
    assert await watcher(database, config, clock, notifier).check() == 0  # 20 of 30 minutes: not yet 80 %
    clock.at = CREATED + timedelta(minutes=25)
    assert await watcher(database, config, clock, notifier).check() == 1
    assert await watcher(database, config, clock, notifier).check() == 0  # a restarted watcher does not repeat it
    clock.at = CREATED + timedelta(minutes=31)
    assert await watcher(database, config, clock, notifier).check() == 1
    assert await watcher(database, config, clock, notifier).check() == 0

    kinds = [event.kind for event in await tickets.events(ticket.id)]
    assert kinds == [EventKind.CREATED, EventKind.REMINDED, EventKind.ESCALATED]
    [(lead, text)] = notifier.people
    assert lead == "lead@example.com"
    assert "missed its first response target" in text


@pytest.mark.asyncio
async def test_a_first_response_stops_that_clock_and_closed_tickets_have_none(
    database: Database, tmp_path: Path
) -> None:
    config = StaffConfig.load(write_staff_config(tmp_path / "staff.yml", members=[], first_response_minutes=30))
    clock, notifier = FakeClock(at=CREATED), RecordingNotifier()
    tickets = SqlTickets(database=database)
    answered = await open_ticket(tickets, ticket_id="HD-261122-AAAAAA")
    await tickets.note_first_response(answered.id)
    closed = await open_ticket(tickets, ticket_id="HD-261122-BBBBBB")
    await tickets.transition(
        closed.id,
        allowed_from=(TicketStatus.OPEN,),
        to=TicketStatus.CANCELLED,
        event=EventKind.CANCELLED,
        actor="requester",
    )
    clock.at = CREATED + timedelta(minutes=45)
    assert await watcher(database, config, clock, notifier).check() == 0
    clock.at = CREATED + timedelta(minutes=481)  # the resolution target still runs for the answered one
    assert await watcher(database, config, clock, notifier).check() == 1


@pytest.mark.asyncio
async def test_two_staff_members_cannot_both_claim_a_ticket(database: Database) -> None:
    tickets = SqlTickets(database=database)
    ticket = await open_ticket(tickets)
    first = await claim(tickets, ticket.id, by="dana@example.com")
    second = await claim(tickets, ticket.id, by="sam@example.com")
    assert first is not None
    assert first.assignee == "dana@example.com"
    assert second is None
    assert [e.actor for e in await tickets.events(ticket.id) if e.kind is EventKind.CLAIMED] == ["dana@example.com"]


def test_the_embedded_staff_configuration_loads() -> None:
    config = StaffConfig.load()
    assert config.route("network").name == "service-desk"
    assert config.target("P1").first_response == 15


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("groups: {}\ndefault_group: x\nsla: {}\n", "at least one group"),
        ("groups: {a: {}}\ndefault_group: b\nsla: {P1: {first_response: 1, resolution: 2}}\n", "undefined groups: b"),
        ("groups: {a: {}}\ndefault_group: a\nsla: {P1: {first_response: 1, resolution: 2}}\n", "needs targets for P2"),
        ("groups: {a: {slack_channel: general}}\ndefault_group: a\nsla: {}\n", "slack_channel"),
        ("groups: [\n", "not valid YAML"),
    ],
)
def test_a_broken_staff_configuration_names_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "staff.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StaffConfigError, match=problem):
        StaffConfig.load(path)


class OneAccountDirectory:
    """A directory with Dana in it, or one that is down."""

    def __init__(self, *, down: bool = False) -> None:
        self.down = down

    async def find_by_email(self, email: str) -> list[DirectoryAccount]:
        if self.down:
            raise DirectoryUnavailable("directory timed out")
        if email == "dana@example.com":
            return [
                DirectoryAccount(
                    id="uid=dana",
                    email=email,
                    display_name="Dana Smith",
                    department="IT",
                    location="Berlin",
                    manager_email="lee@example.com",
                    groups=("cn=it-staff,ou=groups,dc=example,dc=com",),
                )
            ]
        return []


@pytest.mark.asyncio
async def test_membership_comes_from_the_list_the_directory_group_or_the_token(tmp_path: Path) -> None:
    path = tmp_path / "staff.yml"
    path.write_text(
        "groups:\n  helpdesk:\n    members: [Sam@Example.com]\n    directory_group: it-staff\n"
        "default_group: helpdesk\nsla: {P1: {first_response: 1, resolution: 2}, P2: {first_response: 1, "
        "resolution: 2}, P3: {first_response: 1, resolution: 2}, P4: {first_response: 1, resolution: 2}}\n",
        encoding="utf-8",
    )
    config = StaffConfig.load(path)
    group = config.group("helpdesk")
    membership = StaffMembership(config=config, directory=OneAccountDirectory())  # type: ignore[arg-type]

    def person(email: str) -> StaffMember:
        return StaffMember(id=email, name=email, email=email)

    assert await membership.may_work(person("sam@example.com"), group)  # listed (case does not matter)
    assert await membership.may_work(person("dana@example.com"), group)  # in the directory group
    assert not await membership.may_work(person("eve@example.com"), group)
    assert await membership.may_work(StaffMember.token_holder("IT support"), group)
    down = StaffMembership(config=config, directory=OneAccountDirectory(down=True))  # type: ignore[arg-type]
    assert not await down.may_work(person("dana@example.com"), group)  # cannot confirm: refused
    assert await down.may_work(person("sam@example.com"), group)
    no_directory = StaffMembership(config=config, directory=None)
    assert not await no_directory.may_work(person("dana@example.com"), group)


@pytest.mark.asyncio
async def test_a_version_6_database_gains_the_ticket_columns_and_keeps_its_tickets(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'helpdesk.db'}"
    old = Database(url=url)
    await old.migrate()
    await SqlConversationStore(database=old).save_state(
        conversation=CONVERSATION, state=ConversationState(owner_id="alice")
    )
    async with old.engine.begin() as conn:  # what version 6 left behind: the narrow handoffs table
        for table in ("article_drafts", "itsm_outbox", "ticket_notices", "ticket_cards", "ticket_events", "handoffs"):
            await conn.execute(sa.text(f"DROP TABLE {table}"))
        await conn.execute(
            sa.text(
                "CREATE TABLE handoffs (id VARCHAR(32) PRIMARY KEY, conversation_key VARCHAR(300) NOT NULL, "
                "user_id VARCHAR(256) NOT NULL, packet JSON NOT NULL, status VARCHAR(16) NOT NULL, "
                "created_at DATETIME NOT NULL)"
            )
        )
        await conn.execute(
            sa.text(
                "INSERT INTO handoffs VALUES ('HD-260101-OLD000', 'web:c-1', 'alice', "
                '\'{"reason": "asked for a human", "question": "vpn"}\', \'open\', \'2026-01-01 09:00:00\')'
            )
        )
        await conn.execute(sa.update(schema_info).values(version=6))
        await conn.execute(sa.text("DROP TABLE alembic_version"))  # version 6 came before the migrations
    await old.close()

    upgraded = Database(url=url)
    await upgraded.migrate()
    tickets = SqlTickets(database=upgraded)
    ticket = await tickets.get("HD-260101-OLD000")
    assert ticket is not None
    assert ticket.status is TicketStatus.OPEN
    assert ticket.reason == "asked for a human"
    claimed = await claim(tickets, ticket.id, by="dana@example.com")
    assert claimed is not None
    assert claimed.assignee == "dana@example.com"
    async with upgraded.engine.connect() as conn:
        # Past the baseline revision it says 9, so that the releases from before the migrations refuse it.
        assert (await conn.execute(sa.select(schema_info.c.version))).scalar_one() == SCHEMA_VERSION + 1
        assert (await conn.execute(sa.select(handoffs.c.group_name))).scalar_one() is None
    await upgraded.close()


@pytest.mark.asyncio
async def test_the_requester_on_a_ticket_is_completed_from_the_directory_when_it_answers() -> None:
    dana = UserRef(id="U1", email="dana@example.com")
    described = await RequesterLookup(directory=OneAccountDirectory()).describe(dana)  # type: ignore[arg-type]
    assert (described.name, described.department, described.location, described.manager) == (
        "Dana Smith",
        "IT",
        "Berlin",
        "lee@example.com",
    )
    down = RequesterLookup(directory=OneAccountDirectory(down=True))  # type: ignore[arg-type]
    assert await down.describe(dana) == Requester(user_id="U1", email="dana@example.com")  # the hand-off goes on
    stranger = UserRef(id="U2", email="eve@example.com", name="Eve")
    assert await RequesterLookup(directory=OneAccountDirectory()).describe(stranger) == Requester(  # type: ignore[arg-type]
        user_id="U2", email="eve@example.com", name="Eve"
    )


def test_a_staff_message_starting_with_note_stays_with_staff() -> None:
    assert staff_message("Note: user is on leave until Monday") == (" user is on leave until Monday", True)
    assert staff_message("Could you restart the laptop?") == ("Could you restart the laptop?", False)
    assert staff_message("see my note: later") == ("see my note: later", False)
