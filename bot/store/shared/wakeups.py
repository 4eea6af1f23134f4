"""Wake-ups for people waiting on a conversation: "a reply was stored in conversation X".

The web chat long-polls its events (GET …/events?wait=25): instead of answering "nothing new" at once, a
replica holds the request until a reply is stored for that conversation or the wait ends. The transcript in the
database stays the only truth — a wake-up only says "look again now", so a lost one costs at most one wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager


class LocalWakeups:
    """Implements the core's Wakeups port within one replica; RedisWakeups builds on it to reach the other replicas."""

    def __init__(self) -> None:
        self._watchers: dict[str, set[asyncio.Event]] = {}

    def notify(self, conversation_key: str) -> None:
        for event in self._watchers.get(conversation_key, ()):
            event.set()

    @contextmanager
    def watch(self, conversation_key: str) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        watchers = self._watchers.setdefault(conversation_key, set())
        watchers.add(event)
        try:
            yield event
        finally:
            watchers.discard(event)
            if not watchers:
                self._watchers.pop(conversation_key, None)

    @property
    def watching(self) -> int:
        """Requests waiting right now (for tests and metrics)."""
        return sum(len(watchers) for watchers in self._watchers.values())


async def woken_within(event: asyncio.Event, seconds: float) -> bool:
    """True when `event` was set within `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
        return True
    except TimeoutError:
        return False
