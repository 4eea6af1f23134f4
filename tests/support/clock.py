"""A clock the test moves by hand, so expiries and timers need no sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday morning


class FakeClock:
    """Implements the Clock port; time stands still until `advance` moves it (both clocks together)."""

    def __init__(self, *, at: datetime = START) -> None:
        if at.tzinfo is None:
            raise ValueError("a FakeClock starts at a timezone-aware time")
        self.at = at
        self._monotonic = 1000.0  # any start will do; only differences mean something

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, **delta: float) -> None:
        """Move time forward, e.g. `advance(minutes=5)` (the keywords of `timedelta`)."""
        step = timedelta(**delta)
        if step < timedelta(0):
            raise ValueError("time only moves forward")
        self.at += step
        self._monotonic += step.total_seconds()
