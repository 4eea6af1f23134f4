"""Wake-ups across replicas on a real redis-server: a reply stored on one replica wakes a long poll on the other;
Redis going away never blocks or breaks a turn, and the subscription comes back by itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.store.shared import redis_wakeups
from bot.store.shared.redis_state import RedisSharedState
from bot.store.shared.redis_wakeups import RedisWakeups
from bot.store.shared.wakeups import woken_within
from tests.support.servers.redis import RedisServer

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def replicas(redis_server: RedisServer) -> AsyncIterator[tuple[RedisWakeups, RedisWakeups]]:
    states = RedisSharedState(redis_server.url), RedisSharedState(redis_server.url)
    wakeups = RedisWakeups(states[0]), RedisWakeups(states[1])
    for side in wakeups:
        side.start()
    await subscribed(*wakeups)
    yield wakeups
    for side in wakeups:
        await side.close()
    for state in states:
        await state.close()


async def subscribed(a: RedisWakeups, b: RedisWakeups, timeout: float = 10) -> None:
    """Wait until each side's wake-ups reach the other (both subscriptions are in place)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with a.watch("probe:a") as a_heard, b.watch("probe:b") as b_heard:
            b.notify("probe:a")
            a.notify("probe:b")
            if await woken_within(a_heard, 0.3) and await woken_within(b_heard, 0.3):
                return
    raise AssertionError("the subscriptions did not come up")


async def test_a_reply_stored_on_one_replica_wakes_the_long_poll_on_the_other(
    replicas: tuple[RedisWakeups, RedisWakeups],
) -> None:
    a, b = replicas
    with b.watch("web:conv-ana") as ana_on_b, b.watch("web:conv-ben") as ben_on_b:
        a.notify("web:conv-ana")
        assert await woken_within(ana_on_b, 2)
        assert not await woken_within(ben_on_b, 0.3)  # only the conversation that changed


async def test_without_redis_notifying_never_blocks_and_the_subscription_comes_back(
    replicas: tuple[RedisWakeups, RedisWakeups], redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_wakeups, "SKIP_PUBLISH_SECONDS", 0.5)
    a, b = replicas
    redis_server.stop()
    with b.watch("web:conv-ana") as ana_on_b:
        started = time.monotonic()
        for _ in range(100):
            a.notify("web:conv-ana")  # a turn storing replies while Redis is gone
        assert time.monotonic() - started < 0.1
        assert not await woken_within(ana_on_b, 0.5)  # the long poll ends by its own wait instead

    redis_server.start()
    await asyncio.sleep(0.6)  # past the pause a failed publish puts on publishing
    await subscribed(a, b, timeout=15)
    with b.watch("web:conv-ana") as ana_on_b:
        a.notify("web:conv-ana")
        assert await woken_within(ana_on_b, 2)
