"""Turn order across two replicas on a real redis-server: one turn per conversation at a time, in the order they
queued, other conversations unaffected, a crashed replica's turn skipped after its lease, and Redis going away
never stopping a turn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.store.shared import redis_turn_order
from bot.store.shared.redis_state import RedisSharedState
from bot.store.shared.redis_turn_order import RedisTurnOrder
from tests.support.servers.redis import RedisServer

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def replicas(redis_server: RedisServer) -> AsyncIterator[tuple[RedisTurnOrder, RedisTurnOrder]]:
    states = RedisSharedState(redis_server.url), RedisSharedState(redis_server.url)
    yield RedisTurnOrder(states[0]), RedisTurnOrder(states[1])
    for state in states:
        await state.close()


class Timeline:
    """Records when turns start and end, and whether two ever overlapped."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.running = 0
        self.overlapped = False

    async def turn(self, order: RedisTurnOrder, conversation: str, name: str, *, seconds: float = 0.02) -> None:
        async with order.turn(conversation):
            self.running += 1
            self.overlapped |= self.running > 1
            self.events.append(f"start {name}")
            await asyncio.sleep(seconds)
            self.events.append(f"end {name}")
            self.running -= 1


async def test_turns_of_one_conversation_on_both_replicas_run_one_at_a_time_in_arrival_order(
    replicas: tuple[RedisTurnOrder, RedisTurnOrder],
) -> None:
    timeline = Timeline()
    tasks = []
    for number in range(8):  # alternate replicas, each turn queued a moment after the previous one
        tasks.append(asyncio.create_task(timeline.turn(replicas[number % 2], "slack:T1:D1", f"m{number}")))
        await asyncio.sleep(0.005)
    await asyncio.gather(*tasks)

    assert not timeline.overlapped
    starts = [event.removeprefix("start ") for event in timeline.events if event.startswith("start")]
    assert starts == [f"m{number}" for number in range(8)]


async def test_different_conversations_do_not_wait_for_each_other(
    replicas: tuple[RedisTurnOrder, RedisTurnOrder],
) -> None:
    first, second = replicas
    ana, ben = Timeline(), Timeline()
    started = asyncio.get_running_loop().time()
    await asyncio.gather(
        ana.turn(first, "web:ana", "ana", seconds=0.3), ben.turn(second, "web:ben", "ben", seconds=0.3)
    )
    assert asyncio.get_running_loop().time() - started < 0.55  # side by side, not 0.6 s one after the other


async def test_a_replica_that_dies_mid_turn_blocks_the_conversation_only_until_its_lease_runs_out(
    replicas: tuple[RedisTurnOrder, RedisTurnOrder], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_turn_order, "LEASE_SECONDS", 0.5)
    monkeypatch.setattr(redis_turn_order, "RENEW_EVERY_SECONDS", 3600)  # a dead replica renews nothing
    first, second = replicas
    crashed_turn = first.turn("teams:conv-1")
    await crashed_turn.__aenter__()  # replica A starts a turn and never ends it

    timeline = Timeline()
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(timeline.turn(second, "teams:conv-1", "after the crash"), timeout=5)
    waited = asyncio.get_running_loop().time() - started
    assert timeline.events == ["start after the crash", "end after the crash"]
    assert 0.2 < waited < 2.0  # it did wait for the lease, and not much longer
    await crashed_turn.__aexit__(None, None, None)


async def test_with_redis_gone_a_turn_still_runs_and_order_returns_with_redis(
    replicas: tuple[RedisTurnOrder, RedisTurnOrder], redis_server: RedisServer
) -> None:
    first, second = replicas
    redis_server.stop()
    timeline = Timeline()
    await asyncio.wait_for(timeline.turn(first, "web:ana", "while redis is down"), timeout=5)
    assert timeline.events == ["start while redis is down", "end while redis is down"]

    redis_server.start()
    later = Timeline()
    tasks = [
        asyncio.create_task(later.turn(replica, "web:ana", name, seconds=0.05))
        for replica, name in ((first, "a"), (second, "b"), (first, "c"))
    ]
    await asyncio.gather(*tasks)
    assert not later.overlapped
