"""Rate limits: per person and for everyone together, counted in shared state."""

from __future__ import annotations

import pytest

from bot.actions.guards import Guards
from bot.actions.policy import ActionPolicy
from bot.audit import AuditLog
from bot.store.shared.memory import InProcessSharedState
from bot.store.sql.database import Database
from tests.support.clock import FakeClock

pytestmark = pytest.mark.asyncio


def guards(database: Database, *, per_person: int, overall: int, clock: FakeClock | None = None) -> Guards:
    clock = clock or FakeClock()
    policy = ActionPolicy.model_validate(
        {"rate_limit": {"per_person_per_hour": per_person, "global_per_minute": overall}, "actions": {}}
    )
    return Guards(
        database=database,
        audit=AuditLog(database=database),
        shared_state=InProcessSharedState(clock=clock),
        policy=policy,
        clock=clock,
    )


async def test_a_person_over_their_hourly_limit_is_stopped_and_others_are_not(database: Database) -> None:
    clock = FakeClock()
    limits = guards(database, per_person=2, overall=100, clock=clock)
    assert [await limits.over_rate_limit("alice@example.org") for _ in range(3)] == [False, False, True]
    assert not await limits.over_rate_limit("bob@example.org")
    clock.advance(hours=1)  # a new hour, a new allowance
    assert not await limits.over_rate_limit("alice@example.org")


async def test_everyone_together_over_the_global_limit_is_stopped(database: Database) -> None:
    limits = guards(database, per_person=100, overall=3)
    results = [await limits.over_rate_limit(f"p{n}@example.org") for n in range(4)]
    assert results == [False, False, False, True]


async def test_a_lockout_holds_until_it_ends(database: Database) -> None:
    clock = FakeClock()
    limits = guards(database, per_person=5, overall=60, clock=clock)
    assert await limits.locked_until("alice@example.org") is None
    until = await limits.lock_out("Alice@Example.org", reason="wrong codes")
    assert await limits.locked_until("alice@example.org") == until
    clock.advance(minutes=59)
    assert await limits.locked_until("alice@example.org") == until
    clock.advance(minutes=1)  # the policy's 60 minutes are over
    assert await limits.locked_until("alice@example.org") is None
