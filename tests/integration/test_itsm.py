"""Mirroring tickets into ServiceNow and Jira Service Management: each client against its local stand-in, then the
durable outbox on a real SQLite database, with an injected clock to move time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from structlog.testing import capture_logs

from bot.app.staff import build_itsm
from bot.core.itsm import ItsmError, MirrorTicket
from bot.core.ports import ItsmSystem
from bot.handoff.itsm.jira import JiraServiceDesk
from bot.handoff.itsm.outbox import ItsmOutbox
from bot.handoff.itsm.servicenow import ServiceNowIncidents
from bot.settings import Settings
from bot.store.sql.database import Database
from bot.store.sql.schema import conversations, handoffs, itsm_outbox
from tests.fakes.jira_server import FakeJira
from tests.fakes.servicenow_server import FakeServiceNow
from tests.support.clock import FakeClock
from tests.support.settings import settings_from

pytestmark = pytest.mark.asyncio

SN_USER, SN_PASSWORD = "helpdesk.integration", "Sn0w-Pa55word-for-tests!"
JIRA_EMAIL, JIRA_TOKEN = "helpdesk-bot@example.org", "ATATT3xFfGF0-test-token-0123456789"
ALICE = "alice@example.org"
TIMEOUT = 0.5  # the stand-ins' stalled calls are abandoned after this long


def vpn_ticket(
    ticket_id: str = "HD-250303-A1B2C3",
    *,
    priority: str = "P2",
    title: str = "VPN drops every hour",
    email: str | None = ALICE,
) -> MirrorTicket:
    return MirrorTicket(
        id=ticket_id,
        title=title,
        priority=priority,
        category="network",
        description="Alice's VPN disconnects every hour since Monday.\n\nTranscript: …",
        requester_email=email,
        requester_name="Alice Archer" if email else None,
    )


@pytest_asyncio.fixture
async def servicenow() -> AsyncIterator[FakeServiceNow]:
    fake = FakeServiceNow(user=SN_USER, password=SN_PASSWORD)
    fake.add_user(name="Alice Archer", email=ALICE)
    await fake.start()
    yield fake
    await fake.close()


@pytest_asyncio.fixture
async def jira() -> AsyncIterator[FakeJira]:
    fake = FakeJira(email=JIRA_EMAIL, api_token=JIRA_TOKEN, customers={ALICE})
    await fake.start()
    yield fake
    await fake.close()


@pytest_asyncio.fixture
async def incidents(servicenow: FakeServiceNow) -> AsyncIterator[ServiceNowIncidents]:
    client = ServiceNowIncidents(
        instance_url=servicenow.base_url, user=SN_USER, password=SN_PASSWORD, timeout_seconds=TIMEOUT
    )
    yield client
    await client.close()


@pytest_asyncio.fixture
async def desk(jira: FakeJira) -> AsyncIterator[JiraServiceDesk]:
    client = JiraServiceDesk(
        site_url=jira.base_url,
        email=JIRA_EMAIL,
        api_token=JIRA_TOKEN,
        service_desk_id=jira.service_desk_id,
        request_type_id=jira.request_type_id,
        timeout_seconds=TIMEOUT,
    )
    yield client
    await client.close()


# ---- ServiceNow --------------------------------------------------------------------------------------------------


async def test_a_ticket_becomes_an_incident_that_follows_it_to_resolution(
    servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    sys_id = await incidents.create(vpn_ticket())

    incident = servicenow.incidents[sys_id]
    [alice] = servicenow.users
    assert (incident["short_description"], incident["correlation_id"]) == ("VPN drops every hour", "HD-250303-A1B2C3")
    assert incident["caller_id"] == alice  # linked by e-mail to the sys_user record
    assert (incident["impact"], incident["urgency"], incident["priority"]) == ("2", "1", "2")
    assert incident["category"] == "network"
    assert incident["description"].startswith("Alice's VPN disconnects")

    await incidents.comment(sys_id, "Checked the VPN gateway logs: idle timeout is 60 min.", internal=True)
    await incidents.comment(sys_id, "We're raising the timeout; please reconnect tomorrow.", internal=False)
    assert servicenow.notes(sys_id, "work_notes") == ["Checked the VPN gateway logs: idle timeout is 60 min."]
    assert servicenow.notes(sys_id, "comments") == ["We're raising the timeout; please reconnect tomorrow."]

    await incidents.set_status(sys_id, "claimed")
    assert incident["state"] == "2"
    await incidents.set_status(sys_id, "waiting_on_user")
    assert (incident["state"], incident["hold_reason"]) == ("3", "1")

    await incidents.resolve(sys_id, "Idle timeout raised to 8 hours.")
    assert (incident["state"], incident["close_code"], incident["close_notes"]) == (
        "6",
        "Solution provided",
        "Idle timeout raised to 8 hours.",
    )


@pytest.mark.parametrize(("priority", "expected"), [("P1", "1"), ("P2", "2"), ("P3", "3"), ("P4", "4")])
async def test_our_priority_is_servicenows_priority(
    servicenow: FakeServiceNow, incidents: ServiceNowIncidents, priority: str, expected: str
) -> None:
    sys_id = await incidents.create(vpn_ticket(priority=priority))

    assert servicenow.incidents[sys_id]["priority"] == expected


async def test_creating_twice_finds_the_first_incident(
    servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    first = await incidents.create(vpn_ticket())
    again = await incidents.create(vpn_ticket())  # a retry after an answer lost on the way back

    assert again == first
    assert len(servicenow.incidents) == 1


async def test_a_requester_without_a_servicenow_user_is_named_in_the_description(
    servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    sys_id = await incidents.create(vpn_ticket(email="contractor@partner.example"))

    incident = servicenow.incidents[sys_id]
    assert "caller_id" not in incident
    assert incident["description"].startswith("Requester: Alice Archer <contractor@partner.example>\n\n")


async def test_statuses_servicenow_has_no_state_for_leave_the_incident_alone(
    servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    sys_id = await incidents.create(vpn_ticket())

    await incidents.set_status(sys_id, "open")

    assert servicenow.answered("PATCH") == []


async def test_servicenow_refusing_the_password_is_not_worth_retrying(servicenow: FakeServiceNow) -> None:
    client = ServiceNowIncidents(instance_url=servicenow.base_url, user=SN_USER, password="wrong-Passw0rd")
    try:
        with pytest.raises(ItsmError) as refused:
            await client.create(vpn_ticket())
    finally:
        await client.close()

    assert not refused.value.retryable
    assert "credentials" in str(refused.value)
    assert "wrong-Passw0rd" not in str(refused.value)
    assert servicenow.incidents == {}


async def test_an_unknown_incident_is_not_worth_retrying(incidents: ServiceNowIncidents) -> None:
    with pytest.raises(ItsmError) as missing:
        await incidents.comment("0" * 32, "Anyone there?", internal=False)

    assert not missing.value.retryable
    assert "404" in str(missing.value)


@pytest.mark.parametrize("status", [429, 502, 503])
async def test_servicenow_being_busy_is_retried(
    servicenow: FakeServiceNow, incidents: ServiceNowIncidents, status: int
) -> None:
    servicenow.fail_next(1, status=status)

    with pytest.raises(ItsmError) as busy:
        await incidents.create(vpn_ticket())

    assert busy.value.retryable
    assert str(status) in str(busy.value)


async def test_servicenow_not_answering_in_time_is_retried(
    servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    servicenow.stall_next(1)

    with pytest.raises(ItsmError) as slow:
        await incidents.create(vpn_ticket())

    assert slow.value.retryable
    assert f"within {TIMEOUT:g} s" in str(slow.value)


# ---- Jira Service Management -------------------------------------------------------------------------------------


async def test_a_ticket_becomes_a_jira_request_that_follows_it_to_resolution(
    jira: FakeJira, desk: JiraServiceDesk
) -> None:
    key = await desk.create(vpn_ticket())

    request = jira.requests[key]
    assert key == "IT-1"
    assert (request.summary, request.reporter) == ("VPN drops every hour", ALICE)  # raised on Alice's behalf
    assert request.description.startswith("Helpdesk ticket HD-250303-A1B2C3 (P2, network)\n\n")

    await desk.comment(key, "Gateway idle timeout is 60 min.", internal=True)
    await desk.comment(key, "Please reconnect tomorrow.", internal=False)
    assert [(c.body, c.public) for c in request.comments] == [
        ("Gateway idle timeout is 60 min.", False),
        ("Please reconnect tomorrow.", True),
    ]

    await desk.set_status(key, "claimed")
    assert request.status == "In Progress"
    await desk.set_status(key, "waiting_on_user")
    assert request.status == "Waiting for customer"  # through "Respond to customer", found by its target status

    await desk.resolve(key, "Idle timeout raised to 8 hours.")
    assert (request.status, request.resolution) == ("Resolved", "Done")
    assert (request.comments[-1].body, request.comments[-1].public) == ("Idle timeout raised to 8 hours.", True)


async def test_a_requester_jira_does_not_know_is_named_in_the_description(
    jira: FakeJira, desk: JiraServiceDesk
) -> None:
    key = await desk.create(vpn_ticket(email="contractor@partner.example"))

    request = jira.requests[key]
    assert request.reporter == JIRA_EMAIL
    assert "Requester: Alice Archer <contractor@partner.example>" in request.description
    assert [c.status for c in jira.calls] == [400, 201]


async def test_a_status_the_workflow_cannot_reach_leaves_the_request_alone(
    jira: FakeJira, desk: JiraServiceDesk
) -> None:
    key = await desk.create(vpn_ticket())
    jira.workflow["Waiting for support"] = [t for t in jira.workflow["Waiting for support"] if t.to != "In Progress"]

    await desk.set_status(key, "claimed")

    assert jira.requests[key].status == "Waiting for support"
    assert [c.method for c in jira.answered() if "transitions" in c.path] == ["GET"]


async def test_resolving_without_a_resolve_transition_is_not_worth_retrying(
    jira: FakeJira, desk: JiraServiceDesk
) -> None:
    key = await desk.create(vpn_ticket())
    await desk.resolve(key, "Fixed.")

    with pytest.raises(ItsmError) as stuck:
        await desk.resolve(key, "Fixed again.")  # Resolved offers only "Reopen"

    assert not stuck.value.retryable
    assert "Resolve this issue" in str(stuck.value)


async def test_jira_refusing_the_api_token_is_not_worth_retrying(jira: FakeJira) -> None:
    client = JiraServiceDesk(
        site_url=jira.base_url,
        email=JIRA_EMAIL,
        api_token="ATATT-revoked-token",
        service_desk_id=jira.service_desk_id,
        request_type_id=jira.request_type_id,
    )
    try:
        with pytest.raises(ItsmError) as refused:
            await client.create(vpn_ticket())
    finally:
        await client.close()

    assert not refused.value.retryable
    assert "401" in str(refused.value)
    assert "ATATT-revoked-token" not in str(refused.value)
    assert jira.requests == {}


async def test_jira_being_unavailable_is_retried(jira: FakeJira, desk: JiraServiceDesk) -> None:
    jira.fail_next(1)

    with pytest.raises(ItsmError) as busy:
        await desk.create(vpn_ticket())

    assert busy.value.retryable
    assert jira.requests == {}


async def test_jira_not_answering_in_time_is_retried(jira: FakeJira, desk: JiraServiceDesk) -> None:
    key = await desk.create(vpn_ticket())
    jira.stall_next(1)

    with pytest.raises(ItsmError) as slow:
        await desk.comment(key, "Still there?", internal=False)

    assert slow.value.retryable


# ---- the outbox --------------------------------------------------------------------------------------------------

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # the outbox's idea of now; tests move it by hand


async def open_ticket(db: Database, ticket_id: str, *, external: dict[str, str] | None = None) -> str:
    """A hand-off ticket row (and the conversation it belongs to), as the staff queue would store it."""
    now = datetime.now(UTC)
    key = f"web:{ticket_id}"
    async with db.engine.begin() as conn:
        await conn.execute(
            conversations.insert().values(
                key=key,
                channel="web",
                external_id=ticket_id,
                owner_id="alice",
                flow_data={},
                created_at=now,
                updated_at=now,
            )
        )
        await conn.execute(
            handoffs.insert().values(
                id=ticket_id,
                conversation_key=key,
                user_id="alice",
                packet={},
                status="open",
                created_at=now,
                external=external,
            )
        )
    return ticket_id


async def external_ids(db: Database, ticket_id: str) -> Any:
    async with db.engine.connect() as conn:
        return (await conn.execute(sa.select(handoffs.c.external).where(handoffs.c.id == ticket_id))).scalar()


async def outbox_rows(db: Database, ticket_id: str) -> list[sa.Row[Any]]:
    async with db.engine.connect() as conn:
        query = sa.select(itsm_outbox).where(itsm_outbox.c.ticket == ticket_id).order_by(itsm_outbox.c.id)
        return list((await conn.execute(query)).all())


def outbox(db: Database, clock: FakeClock, *systems: ItsmSystem) -> ItsmOutbox:
    return ItsmOutbox(db, systems, clock=clock, jitter=lambda: 0.5)  # 0.5: no jitter, so delays are exact


async def queue_whole_life(box: ItsmOutbox, ticket_id: str) -> None:
    await box.enqueue(ticket_id, "create", vpn_ticket(ticket_id))
    await box.enqueue(ticket_id, "comment", {"text": "Looking at the gateway.", "internal": True})
    await box.enqueue(ticket_id, "status", {"status": "claimed"})
    await box.enqueue(ticket_id, "comment", {"text": "Please reconnect tomorrow.", "internal": False})
    await box.enqueue(ticket_id, "resolve", {"note": "Idle timeout raised."})


async def test_queuing_a_change_writes_a_row_per_system_and_calls_nobody(
    database: Database,
    servicenow: FakeServiceNow,
    jira: FakeJira,
    incidents: ServiceNowIncidents,
    desk: JiraServiceDesk,
) -> None:
    ticket = await open_ticket(database, "HD-1")
    box = outbox(database, FakeClock(at=START), incidents, desk)

    await box.enqueue(ticket, "create", vpn_ticket(ticket))

    assert [(row.system, row.operation, row.attempts) for row in await box.pending(ticket)] == [
        ("servicenow", "create", 0),
        ("jira", "create", 0),
    ]
    assert servicenow.calls == []
    assert jira.calls == []


async def test_changes_reach_servicenow_in_the_order_they_were_made(
    database: Database, servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    ticket = await open_ticket(database, "HD-1")
    box = outbox(database, FakeClock(at=START), incidents)
    await queue_whole_life(box, ticket)

    assert await box.run_due() == 5

    [sys_id] = servicenow.incidents
    assert await external_ids(database, ticket) == {"servicenow": sys_id}
    patches = [call.body for call in servicenow.answered("PATCH")]
    assert patches == [
        {"work_notes": "Looking at the gateway."},
        {"state": "2"},
        {"comments": "Please reconnect tomorrow."},
        {"state": "6", "close_code": "Solution provided", "close_notes": "Idle timeout raised."},
    ]
    assert await box.pending(ticket) == []


async def test_one_ticket_goes_to_servicenow_and_jira_and_keeps_both_ids(
    database: Database,
    servicenow: FakeServiceNow,
    jira: FakeJira,
    incidents: ServiceNowIncidents,
    desk: JiraServiceDesk,
) -> None:
    ticket = await open_ticket(database, "HD-1", external={"legacy": "CASE-9"})
    box = outbox(database, FakeClock(at=START), incidents, desk)
    await queue_whole_life(box, ticket)

    assert await box.run_due() == 10

    [sys_id] = servicenow.incidents
    assert await external_ids(database, ticket) == {"legacy": "CASE-9", "servicenow": sys_id, "jira": "IT-1"}
    assert jira.requests["IT-1"].status == "Resolved"


async def test_a_failed_delivery_comes_back_later_and_later(
    database: Database, servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    clock = FakeClock(at=START)
    ticket = await open_ticket(database, "HD-1")
    box = outbox(database, clock, incidents)
    await box.enqueue(ticket, "create", vpn_ticket(ticket))
    servicenow.fail_next(3)

    waits = []
    for _ in range(3):
        assert await box.run_due() == 0
        [row] = await box.pending(ticket)
        waits.append(row.next_attempt_at - clock.at)
        assert await box.run_due() == 0  # nothing is due before then: no call at all
        clock.advance(seconds=waits[-1].total_seconds())

    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert (row.attempts, row.last_error) == (3, "ServiceNow could not look for the incident of HD-1 (503)")
    assert len(servicenow.calls) == 3
    assert await box.run_due() == 1
    assert servicenow.incidents


async def test_retries_are_spread_by_up_to_a_tenth(
    database: Database, servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    clock = FakeClock(at=START)
    box = ItsmOutbox(database, [incidents], clock=clock)  # the real random jitter
    for number in range(8):
        await box.enqueue(await open_ticket(database, f"HD-{number}"), "create", vpn_ticket(f"HD-{number}"))
    servicenow.fail_next(8)

    await box.run_due()

    waits = {
        (row.next_attempt_at - clock.at).total_seconds()
        for number in range(8)
        for row in await box.pending(f"HD-{number}")
    }
    assert all(27 <= wait <= 33 for wait in waits)
    assert len(waits) > 1


async def test_while_the_create_keeps_failing_later_changes_wait_their_turn(
    database: Database, servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    clock = FakeClock(at=START)
    ticket = await open_ticket(database, "HD-1")
    box = outbox(database, clock, incidents)
    await queue_whole_life(box, ticket)
    servicenow.fail_next(2)

    for _ in range(2):
        assert await box.run_due() == 0
        clock.advance(hours=1)

    create, *later = await box.pending(ticket)
    assert (create.operation, create.attempts) == ("create", 2)
    assert [(row.attempts, row.last_error) for row in later] == [(0, None)] * 4
    assert servicenow.answered("PATCH") == []

    assert await box.run_due() == 5
    [incident] = servicenow.incidents.values()
    assert incident["state"] == "6"


async def test_a_comment_that_failed_holds_back_the_resolution_behind_it(
    database: Database, servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    clock = FakeClock(at=START)
    ticket = await open_ticket(database, "HD-1")
    box = outbox(database, clock, incidents)
    await box.enqueue(ticket, "create", vpn_ticket(ticket))
    assert await box.run_due() == 1
    await box.enqueue(ticket, "comment", {"text": "Try the new profile first.", "internal": False})
    await box.enqueue(ticket, "resolve", {"note": "New VPN profile deployed."})
    servicenow.fail_next(1)

    assert await box.run_due() == 0

    comment, resolve = await box.pending(ticket)
    assert (comment.attempts, resolve.attempts) == (1, 0)
    assert servicenow.answered("PATCH") == []
    clock.advance(seconds=30)
    assert await box.run_due() == 2
    assert [call.body for call in servicenow.answered("PATCH")] == [
        {"comments": "Try the new profile first."},
        {"state": "6", "close_code": "Solution provided", "close_notes": "New VPN profile deployed."},
    ]


async def test_a_change_queued_before_its_create_waits_for_the_record(
    database: Database, servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    clock = FakeClock(at=START)
    ticket = await open_ticket(database, "HD-1")
    box = outbox(database, clock, incidents)
    await box.enqueue(ticket, "comment", {"text": "Picked up from the old queue.", "internal": True})
    await box.enqueue(ticket, "create", vpn_ticket(ticket))

    assert await box.run_due() == 1  # the create; the comment had no record to go to yet
    [comment] = await box.pending(ticket)
    assert (comment.operation, comment.attempts, comment.last_error) == ("comment", 0, None)

    clock.advance(seconds=30)
    assert await box.run_due() == 1
    [sys_id] = servicenow.incidents
    assert servicenow.notes(sys_id, "work_notes") == ["Picked up from the old queue."]


async def test_a_refused_ticket_is_given_up_without_holding_up_another(
    database: Database, servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    broken, fine = await open_ticket(database, "HD-1"), await open_ticket(database, "HD-2")
    box = outbox(database, FakeClock(at=START), incidents)
    await box.enqueue(broken, "create", vpn_ticket(broken, title=" "))  # no short description: a data policy says no
    await box.enqueue(broken, "comment", {"text": "Hello?", "internal": False})
    await box.enqueue(fine, "create", vpn_ticket(fine))

    with capture_logs() as logs:
        assert await box.run_due() == 1

    assert await box.pending(broken) == []
    assert await box.pending(fine) == []
    create, comment = await outbox_rows(database, broken)
    assert create.last_error.startswith(
        "gave up: ServiceNow did not allow the bot to create the incident for HD-1 "
        "(403: Operation Failed: Data Policy Exception"
    )
    assert comment.last_error == "gave up: the ticket was never created in servicenow"
    assert [log["log_level"] for log in logs if log["event"] == "itsm_delivery_gave_up"] == ["error", "error"]
    assert [incident["correlation_id"] for incident in servicenow.incidents.values()] == ["HD-2"]


async def test_after_twelve_failed_attempts_the_change_is_given_up(
    database: Database, servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    clock = FakeClock(at=START)
    ticket = await open_ticket(database, "HD-1")
    box = outbox(database, clock, incidents)
    await box.enqueue(ticket, "create", vpn_ticket(ticket))
    servicenow.fail_next(50)

    for _ in range(20):
        await box.run_due()
        clock.advance(hours=1)

    [row] = await outbox_rows(database, ticket)
    assert row.attempts == 12
    assert row.done_at is not None
    assert row.last_error.startswith("gave up: 12 attempts failed, the last: ServiceNow could not")
    assert len(servicenow.calls) == 12


async def test_two_workers_never_send_the_same_change_twice(
    database: Database, servicenow: FakeServiceNow, incidents: ServiceNowIncidents
) -> None:
    clock = FakeClock(at=START)
    ticket = await open_ticket(database, "HD-1")
    first, second = outbox(database, clock, incidents), outbox(database, clock, incidents)
    await first.enqueue(ticket, "create", vpn_ticket(ticket))
    await first.enqueue(ticket, "comment", {"text": "Once only.", "internal": False})

    delivered = await asyncio.gather(first.run_due(), second.run_due())

    assert sum(delivered) == 2
    [sys_id] = servicenow.incidents
    assert servicenow.notes(sys_id, "comments") == ["Once only."]


async def test_no_password_or_token_reaches_the_outbox_or_the_logs(
    database: Database, servicenow: FakeServiceNow, jira: FakeJira, caplog: pytest.LogCaptureFixture
) -> None:
    wrong_password, wrong_token = "Wr0ng-sn-Passw0rd", "ATATT-wrong-token-42"
    clients: list[ItsmSystem] = [
        ServiceNowIncidents(instance_url=servicenow.base_url, user=SN_USER, password=wrong_password),
        JiraServiceDesk(
            site_url=jira.base_url,
            email=JIRA_EMAIL,
            api_token=JIRA_TOKEN,
            service_desk_id=jira.service_desk_id,
            request_type_id=jira.request_type_id,
        ),
    ]
    ticket = await open_ticket(database, "HD-1")
    box = outbox(database, FakeClock(at=START), *clients)
    await box.enqueue(ticket, "create", vpn_ticket(ticket))
    jira.fail_next(1, status=500)

    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs:
        assert await box.run_due() == 0
    for client in clients:
        await client.close()

    errors = [row.last_error or "" for row in await outbox_rows(database, ticket)]
    assert "rejected the bot's credentials" in errors[0]
    assert "could not" in errors[1]
    for secret in (wrong_password, wrong_token, JIRA_TOKEN, SN_PASSWORD):
        assert all(secret not in text for text in [*errors, repr(logs), caplog.text])


# ---- set-up ------------------------------------------------------------------------------------------------------


async def test_the_settings_choose_the_itsm_client() -> None:
    def chosen(settings: Settings) -> list[ItsmSystem]:
        return build_itsm(settings.itsm_settings, timeout_seconds=settings.itsm_timeout_seconds)

    assert chosen(Settings()) == []
    servicenow_settings = settings_from(
        itsm="servicenow",
        servicenow_url="https://acme.service-now.com",
        servicenow_user=SN_USER,
        servicenow_password=SN_PASSWORD,
    )
    jira_settings = settings_from(
        itsm="jira",
        jira_url="https://acme.atlassian.net",
        jira_email=JIRA_EMAIL,
        jira_api_token=JIRA_TOKEN,
        jira_service_desk_id="4",
        jira_request_type_id="17",
    )

    [snow] = chosen(servicenow_settings)
    [desk] = chosen(jira_settings)

    assert (type(snow), snow.name, type(desk), desk.name) == (
        ServiceNowIncidents,
        "servicenow",
        JiraServiceDesk,
        "jira",
    )
    await snow.close()
    await desk.close()
