"""The real clock behind the Clock port (tests use a controllable one, tests/support/clock.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class SystemClock:
    """Implements the Clock port with the machine's clocks. Stateless, so one instance can serve as a default."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()
