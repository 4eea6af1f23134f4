"""Where staff see tickets outside the web console: a card per ticket in the group's Slack or Teams channel.

Each card channel is told about every change in the background, after the change is stored: a slow or failing chat
platform never delays the person or the staff member, and the console (which reads the store) is always right.
Changes to one ticket reach the card channels in the order they happened (the card exists before its thread
grows), across replicas too when the turn order is shared (Redis).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import structlog

from bot.core.background import BackgroundTurns
from bot.core.model import Turn
from bot.core.ports import TicketCardChannel, TurnOrder
from bot.core.tickets import Ticket
from bot.handoff.routing import StaffConfig
from bot.store.shared.turn_order import InProcessTurnOrder

log = structlog.get_logger(__name__)

SHUTDOWN_GRACE_SECONDS = 10.0


class TicketCards:
    """Fans each change out to the registered card channels, in the background, in order per ticket."""

    def __init__(
        self,
        *,
        config: StaffConfig,
        turn_order: TurnOrder | None = None,
        current: Callable[[str], Awaitable[Ticket | None]] | None = None,
    ) -> None:
        """Args:
        turn_order: keeps one ticket's changes in order across replicas (Redis); default: within this process.
        current: reads a ticket as stored now, so a card refresh that waited behind another replica's shows
            the latest state rather than the one it was asked with.
        """
        self._config = config
        self._channels: list[TicketCardChannel] = []
        self._turn_order = turn_order or InProcessTurnOrder()
        self._current = current
        self.tasks = BackgroundTurns()

    def register(self, channel: TicketCardChannel) -> None:
        self._channels.append(channel)

    def publish(self, ticket: Ticket, *, transcript: Sequence[Turn]) -> None:
        group = self._config.group(ticket.group)
        self._each(ticket.id, "publish", lambda channel: channel.publish(ticket, group, transcript))

    def refresh(self, ticket: Ticket) -> None:
        group = self._config.group(ticket.group)

        shown: Ticket | None = None

        async def latest(channel: TicketCardChannel) -> None:
            nonlocal shown
            if shown is None:  # read once, when the first channel's turn comes, for every channel
                shown = (await self._current(ticket.id) if self._current is not None else None) or ticket
            await channel.refresh(shown, group)

        self._each(ticket.id, "refresh", latest)

    def relay(self, ticket: Ticket, *, author: str, text: str, internal: bool = False, skip: str | None = None) -> None:
        """`skip`: the platform the message was written on, which already shows it."""
        self._each(
            ticket.id,
            "relay",
            lambda channel: channel.relay(ticket, author=author, text=text, internal=internal),
            skip=skip,
        )

    def alert(self, ticket: Ticket, text: str) -> None:
        group = self._config.group(ticket.group)
        self._each(ticket.id, "alert", lambda channel: channel.alert(ticket, group, text))

    def announce(self, text: str, *, group: str | None = None) -> None:
        """Tell a group (the default group when None) in its channels, in order."""
        chosen = self._config.group(group or self._config.default_group)
        self._each(f"announce:{chosen.name}", "announce", lambda channel: channel.announce(chosen, text))

    async def close(self) -> None:
        await self.tasks.close(timeout=SHUTDOWN_GRACE_SECONDS)

    def _each(
        self, key: str, what: str, call: Callable[[TicketCardChannel], Awaitable[None]], skip: str | None = None
    ) -> None:
        """Run `call` on each card channel in the background; calls with the same `key` (a ticket) run in order."""
        channels = [channel for channel in self._channels if channel.platform != skip]
        if channels:
            self.tasks.spawn(self._in_order(key, what, channels, call), name=f"ticket-card-{what}-{key}")

    async def _in_order(
        self,
        key: str,
        what: str,
        channels: list[TicketCardChannel],
        call: Callable[[TicketCardChannel], Awaitable[None]],
    ) -> None:
        # Tasks reach the turn order in the order they were spawned (asyncio starts tasks first in, first out).
        # The key and the log event keep their old names: other replicas and dashboards use them.
        async with self._turn_order.turn(f"staff-board:{key}"):
            for channel in channels:
                try:
                    await call(channel)
                except Exception:  # the store has the change; a card is only a view of it
                    log.exception("staff_board_failed", platform=channel.platform, operation=what, key=key)
