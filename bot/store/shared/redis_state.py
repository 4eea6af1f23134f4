"""Shared state on Redis (HELPDESK_REDIS_URL): de-duplication, locks and rate limits that every replica sees.

- claim: `SET key token NX PX ttl` — one winner across replicas; the value names this process, so `release`
  (a Lua compare-and-delete) never frees a lock another replica holds.
- count: `INCR` + `PEXPIRE` in one MULTI on a key named after the fixed window, so concurrent replicas count
  exactly and the window resets by itself.
- Redis down: every call raises SharedStateUnavailable within the short timeouts below; the fault is logged
  once per interval, and the next call that succeeds logs the recovery (redis-py reconnects by itself).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable
from typing import Any

import structlog
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from bot.core.ports import SharedStateUnavailable

log = structlog.get_logger(__name__)

KEY_PREFIX = "helpdesk:"
CONNECT_TIMEOUT_SECONDS = 0.5  # a replica must not stall its turns waiting for a Redis that is gone
COMMAND_TIMEOUT_SECONDS = 1.0
FAULT_LOG_INTERVAL_SECONDS = 60.0

_RELEASE_IF_MINE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisSharedState:
    """Implements the SharedState port on Redis."""

    def __init__(self, url: str) -> None:
        self._redis = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=COMMAND_TIMEOUT_SECONDS,
            decode_responses=True,
        )
        self._token = secrets.token_hex(8)  # this process: whose claims `release` may delete
        self._release = self._redis.register_script(_RELEASE_IF_MINE)
        self._failing_since: float | None = None
        self._last_fault_log = 0.0

    async def claim(self, key: str, *, ttl_seconds: float) -> bool:
        won: bool | None = await self.call(
            "claim", self._redis.set(KEY_PREFIX + key, self._token, nx=True, px=max(1, int(ttl_seconds * 1000)))
        )
        return bool(won)

    async def count(self, key: str, *, window_seconds: float) -> int:
        window = int(time.time() // window_seconds)
        name = f"{KEY_PREFIX}count:{key}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.pexpire(name, int(window_seconds * 1000) + 1000)
            results: list[Any] = await self.call("count", pipe.execute())
        return int(results[0])

    async def release(self, key: str) -> None:
        await self.call("release", self._release(keys=[KEY_PREFIX + key], args=[self._token]))

    async def ping(self) -> bool:
        """True when Redis answers (the readiness probe)."""
        try:
            return bool(await self.call("ping", self._redis.ping()))
        except SharedStateUnavailable:
            return False

    async def close(self) -> None:
        await self._redis.aclose()

    @property
    def client(self) -> aioredis.Redis:
        """The connection pool, for other shared structures (turn order) that go through `call`."""
        return self._redis

    async def call(self, what: str, pending: Awaitable[Any]) -> Any:
        """Await a Redis command; SharedStateUnavailable when Redis cannot answer (the fault logged once per
        interval, the recovery when it answers again)."""
        try:
            result = await pending
        except (RedisError, OSError, TimeoutError) as error:
            self._fault(what, error)
            raise SharedStateUnavailable(f"shared state unavailable ({type(error).__name__})") from error
        if self._failing_since is not None:
            log.info("shared_state_recovered", down_seconds=round(time.monotonic() - self._failing_since, 1))
            self._failing_since = None
        return result

    def _fault(self, what: str, error: BaseException) -> None:
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
        if now - self._last_fault_log >= FAULT_LOG_INTERVAL_SECONDS:
            self._last_fault_log = now
            log.error(
                "shared_state_unavailable",
                operation=what,
                error=type(error).__name__,
                down_seconds=round(now - self._failing_since, 1),
                hint="check HELPDESK_REDIS_URL; self-service actions are refused until Redis is back",
            )
