"""Wake-ups across replicas over Redis pub/sub: a reply stored on replica A wakes a web chat long-poll on B.

Pub/sub rather than a stream: a wake-up is worth nothing once its waiters have timed out, and the transcript in
the database is what waiters read, so nothing needs replaying. Each replica keeps one subscription; publishing
never delays a turn (it runs in the background, and not at all while Redis is known to be failing).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from contextlib import AbstractContextManager

import structlog
from redis.exceptions import RedisError

from bot.core.ports import SharedStateUnavailable
from bot.store.shared.redis_state import KEY_PREFIX, RedisSharedState
from bot.store.shared.wakeups import LocalWakeups

log = structlog.get_logger(__name__)

CHANNEL = f"{KEY_PREFIX}stored"
RESUBSCRIBE_SECONDS = 1.0  # after Redis went away: how often to try subscribing again
LISTEN_SECONDS = 0.5  # one read; under the client's 1 s socket timeout, so an idle channel is not an error
SKIP_PUBLISH_SECONDS = 5.0  # after a failed publish, don't try again for this long (waiters fall back to timeouts)
MAX_PENDING_PUBLISHES = 1000


class RedisWakeups:
    """Implements the Wakeups protocol for several replicas: local waiters first, then everyone else's."""

    def __init__(self, state: RedisSharedState) -> None:
        self._state = state
        self._local = LocalWakeups()
        self._listener: asyncio.Task[None] | None = None
        self._publishes: set[asyncio.Task[None]] = set()
        self._publish_failed_at = float("-inf")

    def start(self) -> None:
        """Subscribe (in the background; retried until Redis answers)."""
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="redis-wakeups")

    async def close(self) -> None:
        tasks = [*self._publishes, *([self._listener] if self._listener else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._listener = None

    def notify(self, conversation_key: str) -> None:
        self._local.notify(conversation_key)
        if time.monotonic() - self._publish_failed_at < SKIP_PUBLISH_SECONDS:
            return
        if len(self._publishes) >= MAX_PENDING_PUBLISHES:  # Redis is slow: shed wake-ups, not memory
            return
        task = asyncio.create_task(self._publish(conversation_key), name="redis-wakeup-publish")
        self._publishes.add(task)
        task.add_done_callback(self._publishes.discard)

    def watch(self, conversation_key: str) -> AbstractContextManager[asyncio.Event]:
        return self._local.watch(conversation_key)

    async def _publish(self, conversation_key: str) -> None:
        try:
            await self._state.call("wakeup", self._state.client.publish(CHANNEL, conversation_key))
        except SharedStateUnavailable:
            self._publish_failed_at = time.monotonic()

    async def _listen(self) -> None:
        while True:
            pubsub = self._state.client.pubsub(ignore_subscribe_messages=True)
            try:
                await self._state.call("wakeup_subscribe", pubsub.subscribe(CHANNEL))
                while True:
                    message = await pubsub.get_message(timeout=LISTEN_SECONDS)
                    if message is not None and message.get("type") == "message":
                        self._local.notify(str(message["data"]))
            except (SharedStateUnavailable, RedisError, OSError, TimeoutError):
                await asyncio.sleep(RESUBSCRIBE_SECONDS)
            finally:
                with contextlib.suppress(RedisError, OSError, TimeoutError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed from redis 8
