"""Turn order within one replica: one turn of a conversation at a time, first come first served."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class InProcessTurnOrder:
    """Implements the TurnOrder port for a single replica with one fair asyncio lock per busy conversation.

    asyncio locks hand over in the order waiters arrived, so two quick messages are answered in the order sent.
    A lock exists only while its conversation has a turn running or waiting, so memory follows the load, not the
    number of conversations ever seen.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._holders: dict[str, int] = {}  # turns running or waiting, per conversation

    @asynccontextmanager
    async def turn(self, conversation_key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(conversation_key, asyncio.Lock())
        self._holders[conversation_key] = self._holders.get(conversation_key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._holders[conversation_key] -= 1
            if not self._holders[conversation_key]:
                del self._holders[conversation_key], self._locks[conversation_key]

    @property
    def busy_conversations(self) -> int:
        """Conversations with a turn running or waiting (for tests and metrics)."""
        return len(self._locks)
