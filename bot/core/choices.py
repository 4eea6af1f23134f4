"""Declared choice routing: each button handler is registered with what it matches, like Bolt's `app.action`.

A choice payload is the id of a button the person pressed. The strings on the wire are part of the channels'
contract (Slack, Teams and the web chat send them back verbatim), so they are declared here, once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

# Buttons under every answer. The prefixes keep them apart from article ids offered while clarifying.
HELPED = "feedback:helped"
NOT_HELPFUL = "feedback:not_helpful"
TALK_TO_PERSON = "handoff:human"
NONE_OF_THESE = "none"  # under the articles offered while clarifying
RATING_PREFIX = "rating:"  # rating:<ticket>:<1-5>, under the note that a ticket was resolved
CLOSE_TICKET = "ticket:close"  # under every notice about the open ticket: the person no longer needs it


@dataclass(frozen=True)
class Exact:
    """Matches one payload exactly."""

    value: str

    def match(self, payload: str) -> str | None:
        """ "" when `payload` is the value, else None."""
        return "" if payload == self.value else None


@dataclass(frozen=True)
class Prefix:
    """Matches every payload that starts with `prefix`; the handler gets the rest (e.g. an id)."""

    prefix: str

    def match(self, payload: str) -> str | None:
        """The part of `payload` after the prefix, or None when it does not start with it."""
        return payload[len(self.prefix) :] if payload.startswith(self.prefix) else None


Matcher = Exact | Prefix


@dataclass(frozen=True, kw_only=True)
class Rating:
    """A 1-5 rating button under a resolved ticket: rating:<ticket>:<value>."""

    ticket: str
    value: str  # as sent: a forged or garbled payload may hold anything

    @classmethod
    def parse(cls, rest: str) -> Rating:
        """The rating from what follows RATING_PREFIX."""
        ticket, _, value = rest.rpartition(":")
        return cls(ticket=ticket, value=value)

    @property
    def score(self) -> int | None:
        """The value as a number, or None when it is not one."""
        return int(self.value) if self.value.isdecimal() else None  # isdigit() lets "²" through to int()


T = TypeVar("T")
Handler = Callable[[T, str], Awaitable[None]]


class ChoiceRouter(Generic[T]):
    """Sends each choice to the first handler whose matcher fits, in the order they were declared.

    A handler gets the turn and the part of the payload its matcher did not consume ("" for an exact match).
    """

    def __init__(self, *, fallback: Handler[T]) -> None:
        """Args:
        fallback: called with the whole payload when no matcher fits.
        """
        self._routes: list[tuple[Matcher, Handler[T]]] = []
        self._fallback = fallback

    def on(self, *matchers: Matcher, handler: Handler[T]) -> None:
        """Declare that `handler` takes the choices any of `matchers` fits."""
        self._routes.extend((matcher, handler) for matcher in matchers)

    def handler_for(self, payload: str) -> tuple[Handler[T], str]:
        """The handler for `payload` and the argument it gets."""
        for matcher, handler in self._routes:
            rest = matcher.match(payload)
            if rest is not None:
                return handler, rest
        return self._fallback, payload

    async def dispatch(self, turn: T, payload: str) -> None:
        """Run the handler that matches `payload`."""
        handler, rest = self.handler_for(payload)
        await handler(turn, rest)
