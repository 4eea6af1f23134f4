"""Where staff see tickets outside the web console: a card per ticket in the group's Slack or Teams channel.

Boards are told about every change in the background, after the change is stored: a slow or failing chat
platform never delays the person or the staff member, and the console (which reads the store) is always right.
Changes to one ticket reach the boards in the order they happened (the card exists before its thread grows),
across replicas too when the serial order is shared (Redis).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import structlog

from bot.channels.runtime.background import BackgroundTurns
from bot.core.model import Turn
from bot.core.ports import TurnOrder
from bot.handoff.routing import ResolverGroup, StaffConfig
from bot.handoff.tickets import Ticket
from bot.store.shared.turn_order import InProcessTurnOrder

log = structlog.get_logger(__name__)

SHUTDOWN_GRACE_SECONDS = 10.0


class StaffBoard(Protocol):
    """One chat platform's staff side. Each method may raise; TicketCards logs and carries on."""

    surface: str  # "slack" or "teams"

    async def publish(self, ticket: Ticket, group: ResolverGroup, transcript: Sequence[Turn]) -> None:
        """Post the ticket's card in the group's channel, and the transcript under it."""
        ...

    async def refresh(self, ticket: Ticket, group: ResolverGroup) -> None:
        """Update the card after a change of status or assignee."""
        ...

    async def relay(self, ticket: Ticket, *, author: str, text: str, internal: bool) -> None:
        """Post a message into the card's thread (the person's words, or what staff wrote elsewhere)."""
        ...

    async def alert(self, ticket: Ticket, group: ResolverGroup, text: str) -> None:
        """An SLA reminder or escalation, in the card's thread."""
        ...

    async def announce(self, group: ResolverGroup, text: str) -> None:
        """A message for the whole group, not about one ticket (a suspected incident): a new post in its channel."""
        ...


class TicketCards:
    """Fans each change out to the registered boards, in the background, in order per ticket."""

    def __init__(self, *, config: StaffConfig, serial: TurnOrder | None = None,
                 current: Callable[[str], Awaitable[Ticket | None]] | None = None) -> None:
        """Args:
            serial: keeps one ticket's changes in order across replicas (Redis); default: within this process.
            current: reads a ticket as stored now, so a card refresh that waited behind another replica's shows
                the latest state rather than the one it was asked with.
        """
        self._config = config
        self._boards: list[StaffBoard] = []
        self._serial = serial or InProcessTurnOrder()
        self._current = current
        self.tasks = BackgroundTurns()

    def register(self, board: StaffBoard) -> None:
        self._boards.append(board)

    def publish(self, ticket: Ticket, *, transcript: Sequence[Turn]) -> None:
        group = self._config.group(ticket.group)
        self._each(ticket.id, "publish", lambda board: board.publish(ticket, group, transcript))

    def refresh(self, ticket: Ticket) -> None:
        group = self._config.group(ticket.group)

        shown: Ticket | None = None

        async def latest(board: StaffBoard) -> None:
            nonlocal shown
            if shown is None:  # read once, when the first board's turn comes, for every board
                shown = (await self._current(ticket.id) if self._current is not None else None) or ticket
            await board.refresh(shown, group)

        self._each(ticket.id, "refresh", latest)

    def relay(self, ticket: Ticket, *, author: str, text: str, internal: bool = False,
              skip: str | None = None) -> None:
        """`skip`: the surface the message was written on, which already shows it."""
        self._each(ticket.id, "relay", lambda board: board.relay(ticket, author=author, text=text, internal=internal),
                   skip=skip)

    def alert(self, ticket: Ticket, text: str) -> None:
        group = self._config.group(ticket.group)
        self._each(ticket.id, "alert", lambda board: board.alert(ticket, group, text))

    def announce(self, text: str, *, group: str | None = None) -> None:
        """Tell a group (the default group when None) in its channels, in order."""
        chosen = self._config.group(group or self._config.default_group)
        self._each(f"announce:{chosen.name}", "announce", lambda board: board.announce(chosen, text))

    async def close(self) -> None:
        await self.tasks.close(timeout=SHUTDOWN_GRACE_SECONDS)

    def _each(self, key: str, what: str, call: Callable[[StaffBoard], Awaitable[None]],
              skip: str | None = None) -> None:
        """Run `call` on each board in the background; calls with the same `key` (a ticket) run in order."""
        boards = [board for board in self._boards if board.surface != skip]
        if boards:
            self.tasks.spawn(self._in_order(key, what, boards, call), name=f"board-{what}-{key}")

    async def _in_order(self, key: str, what: str, boards: list[StaffBoard],
                        call: Callable[[StaffBoard], Awaitable[None]]) -> None:
        # Tasks reach the serial queue in the order they were spawned (asyncio starts tasks first in, first out).
        async with self._serial.turn(f"staff-board:{key}"):
            for board in boards:
                try:
                    await call(board)
                except Exception:  # the store has the change; a board is only a view of it
                    log.exception("staff_board_failed", surface=board.surface, operation=what, key=key)
