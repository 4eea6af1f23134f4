"""Work done after the caller was answered (a channel's turn, a ticket card's update), tracked so that shutdown
(and tests) can wait for it."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import structlog

log = structlog.get_logger(__name__)


class BackgroundTurns:
    """Runs turns as tasks after the HTTP/websocket acknowledgement has gone out.

    Slack and Teams want an answer within seconds whatever the engine is doing, so their adapters acknowledge
    first and do the turn here. Tasks are kept referenced (asyncio only keeps weak references) and can be
    drained on shutdown.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], *, name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            # Turns have their own error handler; reaching this is a bug in the adapter itself.
            log.error("background_turn_crashed", task=task.get_name(), exc_info=error)

    async def drain(self, *, timeout: float | None = None) -> None:  # noqa: ASYNC109 - close() and tests share it
        """Wait until no turn is running (turns may start others, e.g. a slash command opening a DM)."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self, *, timeout: float) -> None:  # noqa: ASYNC109 - a grace period, after which it cancels
        """Let running turns finish for up to `timeout` seconds, then cancel the rest."""
        try:
            await self.drain(timeout=timeout)
        except TimeoutError:
            log.warning("background_turns_cancelled", count=len(self._tasks))
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
