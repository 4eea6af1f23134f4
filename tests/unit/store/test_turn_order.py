"""Turn order on one replica: a conversation's turns run one at a time, first come first served; other
conversations go on; nothing is kept once a conversation is idle."""

from __future__ import annotations

import asyncio

import pytest

from bot.store.shared.turn_order import InProcessTurnOrder

pytestmark = pytest.mark.asyncio


async def test_two_quick_messages_are_handled_in_the_order_they_came() -> None:
    order = InProcessTurnOrder()
    events: list[str] = []

    async def turn(name: str, seconds: float) -> None:
        async with order.turn("web:ana"):
            events.append(f"start {name}")
            await asyncio.sleep(seconds)
            events.append(f"end {name}")

    # The first turn is slow; the second must still wait for it rather than overtake it.
    await asyncio.gather(turn("first", 0.05), turn("second", 0.0), turn("third", 0.0))
    assert events == ["start first", "end first", "start second", "end second", "start third", "end third"]
    assert order.busy_conversations == 0


async def test_another_conversation_does_not_wait() -> None:
    order = InProcessTurnOrder()
    release = asyncio.Event()
    ben_done = asyncio.Event()

    async def ana() -> None:
        async with order.turn("web:ana"):
            await release.wait()

    async def ben() -> None:
        async with order.turn("web:ben"):
            ben_done.set()

    ana_task = asyncio.create_task(ana())
    await asyncio.wait_for(ben(), timeout=1)  # Ana's turn is still running
    assert ben_done.is_set()
    assert order.busy_conversations == 1
    release.set()
    await ana_task
    assert order.busy_conversations == 0


async def test_a_failing_turn_lets_the_next_one_run() -> None:
    order = InProcessTurnOrder()
    with pytest.raises(RuntimeError):
        async with order.turn("web:ana"):
            raise RuntimeError("the turn failed")
    async with asyncio.timeout(1):
        async with order.turn("web:ana"):
            pass
    assert order.busy_conversations == 0
