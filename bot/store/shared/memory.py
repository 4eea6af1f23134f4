"""In-process shared state for a single replica (the default; Redis takes over when there are several)."""

from __future__ import annotations

from cachetools import TLRUCache, TTLCache

from bot.core.clock import SystemClock
from bot.core.ports import Clock


def _expires_at(_key: str, ttl_seconds: float, now: float) -> float:
    return now + ttl_seconds


class InProcessSharedState:
    """Implements the SharedState port with a bounded, per-key-expiry cache.

    Bounded so a flood of distinct keys cannot grow memory without limit; the oldest claims are forgotten
    first, which at worst lets a very late duplicate through.
    """

    def __init__(self, *, max_keys: int = 100_000, clock: Clock = SystemClock()) -> None:
        self._claims: TLRUCache[str, float] = TLRUCache(maxsize=max_keys, ttu=_expires_at, timer=clock.monotonic)
        self._counts: TTLCache[str, int] = TTLCache(maxsize=max_keys, ttl=24 * 3600, timer=clock.monotonic)
        self._clock = clock

    async def claim(self, key: str, *, ttl_seconds: float) -> bool:
        # No await between the check and the write, so concurrent turns on this event loop cannot both win.
        if key in self._claims:
            return False
        self._claims[key] = ttl_seconds
        return True

    async def count(self, key: str, *, window_seconds: float) -> int:
        # A fixed window named by its number, so the count resets by itself when the window ends.
        window_key = f"count:{key}:{int(self._clock.now().timestamp() // window_seconds)}"
        count = self._counts.get(window_key, 0) + 1
        self._counts[window_key] = count
        return count

    async def release(self, key: str) -> None:
        self._claims.pop(key, None)
