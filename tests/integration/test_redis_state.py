"""Shared state on a real redis-server, as two replicas see it: one winner per claim, exact counts, locks only
their owner frees, and Redis going away and coming back without a restart of the bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.channels.runtime.deliveries import Deliveries
from bot.core.ports import SharedStateUnavailable
from bot.store.shared.redis_state import RedisSharedState
from tests.support.servers.redis import RedisServer

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def replicas(redis_server: RedisServer) -> AsyncIterator[tuple[RedisSharedState, RedisSharedState]]:
    """Two replicas' views of the same Redis."""
    first, second = RedisSharedState(redis_server.url), RedisSharedState(redis_server.url)
    yield first, second
    await first.close()
    await second.close()


async def test_a_slack_retry_landing_on_the_other_replica_is_claimed_once(
    replicas: tuple[RedisSharedState, RedisSharedState],
) -> None:
    first, second = replicas
    results = await asyncio.gather(
        *(replica.claim("slack:event:Ev1", ttl_seconds=60) for replica in (first, second) * 20)
    )
    assert sorted(results) == [False] * 39 + [True]
    assert await second.claim("slack:event:Ev2", ttl_seconds=60)


async def test_a_claim_expires_after_its_ttl(replicas: tuple[RedisSharedState, RedisSharedState]) -> None:
    first, second = replicas
    assert await first.claim("teams:activity:1", ttl_seconds=0.2)
    assert not await second.claim("teams:activity:1", ttl_seconds=0.2)
    await asyncio.sleep(0.4)  # Redis expires the key on its own clock, so real time must pass
    assert await second.claim("teams:activity:1", ttl_seconds=0.2)


async def test_counts_from_both_replicas_are_exact(replicas: tuple[RedisSharedState, RedisSharedState]) -> None:
    first, second = replicas
    counts = await asyncio.gather(
        *(replica.count("actions:ana@example.com", window_seconds=3600) for replica in (first, second) * 50)
    )
    assert sorted(counts) == list(range(1, 101))
    assert await first.count("actions:ben@example.com", window_seconds=3600) == 1


async def test_only_the_replica_holding_a_lock_can_release_it(
    replicas: tuple[RedisSharedState, RedisSharedState],
) -> None:
    first, second = replicas
    assert await first.claim("action-lock:carol", ttl_seconds=60)
    await second.release("action-lock:carol")  # not its lock: nothing happens
    assert not await second.claim("action-lock:carol", ttl_seconds=60)
    await first.release("action-lock:carol")
    assert await second.claim("action-lock:carol", ttl_seconds=60)


async def test_redis_going_away_is_an_error_callers_can_handle_and_its_return_needs_no_restart(
    redis_server: RedisServer, replicas: tuple[RedisSharedState, RedisSharedState]
) -> None:
    first, _ = replicas
    deliveries = Deliveries(first)
    assert await first.ping()
    redis_server.stop()

    assert not await first.ping()
    for call in (
        first.claim("action-lock:carol", ttl_seconds=60),
        first.count("actions:x", window_seconds=60),
        first.release("action-lock:carol"),
    ):
        with pytest.raises(SharedStateUnavailable):
            await call
    # Without Redis, this replica still recognises a retry it has already seen.
    assert await deliveries.first("slack:event:Ev9", ttl_seconds=60)
    assert not await deliveries.first("slack:event:Ev9", ttl_seconds=60)

    redis_server.start()  # same port, empty (no persistence)
    assert await first.ping()
    assert await first.claim("action-lock:carol", ttl_seconds=60)
    assert await deliveries.first("slack:event:Ev10", ttl_seconds=60)
