"""Saying no to a self-service action: audited, then handed to IT staff (or paused when shared state is away)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import messages
from bot.actions.policy import ActionPolicy
from bot.actions.requester import Refusal, own_account
from bot.audit import AuditEntry, AuditLog
from bot.core.choices import TALK_TO_PERSON
from bot.core.directory import DirectoryAccount, DirectoryUnavailable
from bot.core.model import Choice, Reply, ReplyKind
from bot.core.ports import Directory, FlowTurn


class Refusals:
    """The refusals every step of a flow shares, each one in the audit log with its reason."""

    def __init__(self, *, directory: Directory | None, policy: ActionPolicy, audit: AuditLog) -> None:
        self._directory = directory
        self._policy = policy
        self._audit = audit

    async def refuse(
        self, turn: FlowTurn, *, intent: str, actor: str, reason: str, why: str, item: str | None = None
    ) -> None:
        """Audit and hand off; `why` is a WHY_* text (or an error's) with `item` still to go in."""
        refusal = Refusal(why=why, item=item)
        await self.record(actor=actor, intent=intent, reason=reason, why=refusal.english)
        said = in_words(turn, why) if item is None else in_words(turn, why, item=item)
        await turn.hand_off(
            reason=f"self-service {intent} not done: {refusal.english}",
            intent=intent,
            confidence=None,
            template=in_words(turn, messages.ACTION_REFUSED, why=said),
        )

    async def paused(self, turn: FlowTurn, *, actor: str, intent: str, reason: str) -> None:
        """The shared state (locks, rate limits) is unavailable: refuse clearly, without acting or a ticket."""
        await self.record(actor=actor, intent=intent, reason=reason, why="shared state unavailable")
        await turn.send(
            Reply(
                kind=ReplyKind.INFO,
                text=turn.local(messages.SELF_SERVICE_PAUSED),
                choices=(Choice(id=TALK_TO_PERSON, label=messages.TALK_TO_PERSON),),
            )
        )

    async def record(self, *, actor: str, intent: str, reason: str, why: str, outcome: str = "refused") -> None:
        """Audit an action not done (refused, cancelled, expired) without telling anyone."""
        await self._audit.record(AuditEntry(actor=actor, action=intent, outcome=outcome, reason=f"{reason}: {why}"))

    async def own_account(self, turn: FlowTurn, *, intent: str, email: str, reason: str) -> DirectoryAccount | None:
        """The person's own account, or None after refusing (directory down, no such account, privileged)."""
        if self._directory is None:  # actions are only started when a directory is configured
            raise RuntimeError("a self-service action was started without a directory")
        try:
            found = await own_account(self._directory, email=email, policy=self._policy)
        except DirectoryUnavailable:
            await self.refuse(turn, intent=intent, actor=email, reason=reason, why=messages.WHY_DIRECTORY_DOWN)
            return None
        if isinstance(found, Refusal):
            await self.refuse(turn, intent=intent, actor=email, reason=reason, why=found.why, item=found.item)
            return None
        return found


def in_words(turn: FlowTurn, template: str, **fields: str) -> str:
    """`template` (from bot/messages.py) in the conversation's language, with `fields` put in as they are: an
    error's text may hold braces, so this never calls str.format. A {ticket} left in is for turn.hand_off."""
    text = turn.local(template)
    for name, value in fields.items():
        text = text.replace(f"{{{name}}}", value)
    return text


def utc_minute(at: datetime) -> str:
    """When a lockout or cooldown ends, as the person and IT staff read it."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
