"""First-delivery checks for platform events (Slack retries, Teams redeliveries), across replicas.

The shared state decides; when it is unavailable this replica's own memory decides instead, so a retry that
lands here again is still ignored. A retry landing on another replica may then be answered twice — better
than not answering at all while Redis is away.
"""

from __future__ import annotations

from bot.core.ports import SharedState, SharedStateUnavailable
from bot.store.shared.memory import InProcessSharedState


class Deliveries:
    def __init__(self, shared: SharedState) -> None:
        self._shared = shared
        self._local = InProcessSharedState()

    async def first(self, key: str, *, ttl_seconds: float) -> bool:
        """True the first time `key` is seen within `ttl_seconds`."""
        try:
            return await self._shared.claim(key, ttl_seconds=ttl_seconds)
        except SharedStateUnavailable:
            return await self._local.claim(key, ttl_seconds=ttl_seconds)
