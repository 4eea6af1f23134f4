"""In-process shared state: the first claim of a key wins until it expires; memory stays bounded."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.background import BackgroundTurns
from bot.store.shared.memory import InProcessSharedState
from tests.support.clock import FakeClock


@pytest.mark.asyncio
async def test_only_the_first_claim_of_a_key_wins() -> None:
    state = InProcessSharedState()
    assert await state.claim("slack:event:Ev1", ttl_seconds=60)
    assert not await state.claim("slack:event:Ev1", ttl_seconds=60)
    assert await state.claim("slack:event:Ev2", ttl_seconds=60)


@pytest.mark.asyncio
async def test_a_claim_can_be_made_again_once_it_expires() -> None:
    clock = FakeClock()
    state = InProcessSharedState(clock=clock)
    assert await state.claim("k", ttl_seconds=30)
    clock.advance(seconds=29)
    assert not await state.claim("k", ttl_seconds=30)
    clock.advance(seconds=1)
    assert await state.claim("k", ttl_seconds=60)


@pytest.mark.asyncio
async def test_the_oldest_claims_are_forgotten_beyond_the_bound() -> None:
    state = InProcessSharedState(max_keys=2)
    for key in ("a", "b", "c"):
        assert await state.claim(key, ttl_seconds=60)
    assert await state.claim("a", ttl_seconds=60)  # evicted, so it counts as new
    assert not await state.claim("c", ttl_seconds=60)


@pytest.mark.asyncio
async def test_concurrent_claims_of_one_key_have_one_winner() -> None:
    state = InProcessSharedState()
    results = await asyncio.gather(*(state.claim("same", ttl_seconds=60) for _ in range(50)))
    assert results.count(True) == 1


@pytest.mark.asyncio
async def test_background_turns_can_be_drained_and_stragglers_cancelled() -> None:
    turns = BackgroundTurns()
    finished: list[str] = []

    async def quick() -> None:
        await asyncio.sleep(0.01)
        finished.append("quick")

    async def stuck() -> None:
        await asyncio.Event().wait()

    turns.spawn(quick(), name="quick")
    await turns.drain(timeout=5)
    assert finished == ["quick"]

    turns.spawn(stuck(), name="stuck")
    await turns.close(timeout=0.05)  # gives up waiting and cancels
    await turns.drain(timeout=1)
