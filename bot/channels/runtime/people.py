"""What a channel learnt about who is writing, for the engine."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.model import UserRef


@dataclass(frozen=True, kw_only=True)
class LookedUpPerson:
    """The person as the engine sees them; `problem` says why they could not be identified, if so."""

    user: UserRef
    problem: str | None = None
