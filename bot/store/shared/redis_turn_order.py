"""Turn order across replicas: a first-come-first-served queue per conversation in Redis.

Each turn puts a token at the back of its conversation's list and runs when its token is at the head. Every
token carries a lease that its replica keeps renewing; a head whose lease ran out (its replica died mid-turn) is
skipped, so a crash delays the conversation by one lease at most instead of blocking it. When a turn ends it
wakes the next token's owner through a per-token list it is blocked on (BLPOP), so a hand-over costs one round
trip rather than a polling interval.

Turns first queue on the replica's own fair lock, so one replica sends its turns to Redis in arrival order and
holds at most one token per conversation at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog

from bot.core.ports import SharedStateUnavailable
from bot.store.shared.redis_state import KEY_PREFIX, RedisSharedState
from bot.store.shared.turn_order import InProcessTurnOrder

log = structlog.get_logger(__name__)

LEASE_SECONDS = 10.0  # a dead replica's turn blocks its conversation this long at most
RENEW_EVERY_SECONDS = 3.0
POLL_SECONDS = 0.25  # a waiter re-checks this often even if no wake-up comes (a holder that died)
QUEUE_TTL_SECONDS = 3600.0  # an idle conversation's queue disappears by itself
WAIT_LIMIT_SECONDS = 60.0  # past this, answer out of order rather than never

# Join the queue (again, if this token's lease ran out and it was skipped), renew the lease, drop dead heads,
# and say whether this token's turn has come.
_TAKE_TURN = """
local queue, token = KEYS[1], ARGV[1]
local lease = queue .. ':lease:' .. token
if redis.call('exists', lease) == 0 then
  redis.call('lrem', queue, 0, token)
  redis.call('rpush', queue, token)
end
redis.call('set', lease, '1', 'PX', ARGV[2])
redis.call('pexpire', queue, ARGV[3])
while true do
  local head = redis.call('lindex', queue, 0)
  if head == token then return 1 end
  if redis.call('exists', queue .. ':lease:' .. head) == 1 then return 0 end
  redis.call('lpop', queue)
end
"""

# Leave the queue and wake whoever is at its head now.
_END_TURN = """
local queue, token = KEYS[1], ARGV[1]
redis.call('lrem', queue, 0, token)
redis.call('del', queue .. ':lease:' .. token, queue .. ':wake:' .. token)
local head = redis.call('lindex', queue, 0)
if head then
  redis.call('rpush', queue .. ':wake:' .. head, '1')
  redis.call('pexpire', queue .. ':wake:' .. head, ARGV[2])
end
return 0
"""


class RedisTurnOrder:
    """Implements the TurnOrder port across replicas on the shared Redis."""

    def __init__(self, state: RedisSharedState) -> None:
        self._state = state
        self._redis = state.client
        self._local = InProcessTurnOrder()
        self._take = self._redis.register_script(_TAKE_TURN)
        self._end = self._redis.register_script(_END_TURN)

    @asynccontextmanager
    async def turn(self, conversation_key: str) -> AsyncIterator[None]:
        async with self._local.turn(conversation_key):
            queue = _queue_name(conversation_key)
            token = secrets.token_hex(8)
            queued = await self._wait_for_turn(queue, token)
            renewer = asyncio.create_task(self._renew(queue, token)) if queued else None
            try:
                yield
            finally:
                if renewer is not None:
                    renewer.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await renewer
                if queued:
                    await self._leave(queue, token)

    async def _wait_for_turn(self, queue: str, token: str) -> bool:
        """True once this token heads the queue; False when Redis failed (the turn goes on, ordered only on
        this replica) — either way the caller must leave the queue afterwards if True."""
        started = time.monotonic()
        lease_ms, queue_ttl_ms = int(LEASE_SECONDS * 1000), int(QUEUE_TTL_SECONDS * 1000)
        try:
            while True:
                mine = await self._state.call(
                    "turn_order", self._take(keys=[queue], args=[token, lease_ms, queue_ttl_ms])
                )
                if mine == 1:
                    return True
                if time.monotonic() - started > WAIT_LIMIT_SECONDS:
                    log.warning("turn_order_wait_limit", waited_seconds=round(time.monotonic() - started, 1))
                    return True  # leave the queue afterwards all the same
                await self._state.call("turn_order", self._redis.blpop([f"{queue}:wake:{token}"], timeout=POLL_SECONDS))
        except SharedStateUnavailable:
            return False

    async def _renew(self, queue: str, token: str) -> None:
        """Keep the lease alive while the turn runs (a slow LLM or directory call may outlast one lease)."""
        while True:
            await asyncio.sleep(RENEW_EVERY_SECONDS)
            with contextlib.suppress(SharedStateUnavailable):
                await self._state.call(
                    "turn_order", self._redis.pexpire(f"{queue}:lease:{token}", int(LEASE_SECONDS * 1000))
                )

    async def _leave(self, queue: str, token: str) -> None:
        # If this fails, the lease runs out and the next turn skips this token: slower, never stuck.
        with contextlib.suppress(SharedStateUnavailable):
            await self._state.call("turn_order", self._end(keys=[queue], args=[token, int(LEASE_SECONDS * 1000)]))


def _queue_name(conversation_key: str) -> str:
    # Hashed: conversation keys come from the platforms; a digest keeps key names short and free of `{}` so the
    # hash tag puts a conversation's queue, leases and wake-ups in one Redis Cluster slot.
    digest = hashlib.sha256(conversation_key.encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}turns:{{{digest}}}"
