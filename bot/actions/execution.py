"""Doing the verified action against the directory, auditing it, and saying what happened.

Every path ends in exactly one audit record and one message: done, not needed, or handed to a human with the
state stated (what succeeded, what did not), so no action is left half-done without somebody knowing.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from bot import messages
from bot.actions.passwords import temporary_password
from bot.actions.policy import ActionPolicy
from bot.actions.refusals import in_words
from bot.audit import AuditEntry, AuditLog
from bot.core.directory import (
    DirectoryAccount,
    DirectoryError,
    DirectoryUnavailable,
    NotSupported,
    PasswordRejected,
)
from bot.core.model import Reply, ReplyKind
from bot.core.ports import Directory, FlowTurn

log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class ActionContext:
    """The verified facts an action runs on."""

    action: str
    requester: str  # the verified e-mail
    account: DirectoryAccount
    reason: str  # why: the intent and its confidence
    assurance: int


class Executor:
    """Runs reset_password, unlock_account and reset_mfa for the verified requester, in their own turn."""

    def __init__(self, *, directory: Directory, audit: AuditLog, policy: ActionPolicy) -> None:
        self._directory = directory
        self._audit = audit
        self._policy = policy

    async def run(self, turn: FlowTurn, context: ActionContext) -> None:
        try:
            if context.action == "reset_password":
                await self._reset_password(turn, context)
            elif context.action == "unlock_account":
                await self._unlock(turn, context)
            elif context.action == "reset_mfa":
                await self._reset_mfa(turn, context)
            else:
                raise ValueError(f"{context.action} is not run directly")
        except PasswordRejected as error:
            await self._failed(
                turn, context, outcome="rejected", detail=str(error), template=turn.local(messages.PASSWORD_REJECTED)
            )
        except NotSupported as error:
            await self._failed(
                turn,
                context,
                outcome="not_supported",
                detail=str(error),
                template=in_words(turn, messages.ACTION_REFUSED, why=str(error)),
            )
        except DirectoryUnavailable as error:
            await self._failed(
                turn,
                context,
                outcome="failure",
                detail=str(error),
                template=in_words(turn, messages.ACTION_REFUSED, why=turn.local(messages.WHY_DIRECTORY_DOWN)),
            )
        except DirectoryError as error:
            # The directory refused part-way (e.g. the password set but the change-at-next-sign-in flag not):
            # a person must look, with exactly this message in the ticket.
            detail = f"{error} — this may be partly done"
            await self._failed(
                turn,
                context,
                outcome="failure",
                detail=detail,
                template=in_words(turn, messages.ACTION_FAILED, detail=str(error)),
            )

    async def _reset_password(self, turn: FlowTurn, context: ActionContext) -> None:
        password = temporary_password(length=self._policy.password.length)
        await self._directory.reset_password(context.account, new_password=password)
        await self._record(context, outcome="success", details={"change_at_next_sign_in": True})
        reply = Reply(
            kind=ReplyKind.ACTION,
            intent=context.action,
            private=True,
            text=turn.local(messages.PASSWORD_RESET_DONE).format(password=password),
        )
        await turn.send_secret(reply, transcript_text=messages.PASSWORD_RESET_TRANSCRIPT)

    async def _unlock(self, turn: FlowTurn, context: ActionContext) -> None:
        unlocked = await self._directory.unlock(context.account)
        await self._record(context, outcome="success" if unlocked else "not_locked")
        text = turn.local(messages.UNLOCK_DONE if unlocked else messages.UNLOCK_NOT_LOCKED)
        await turn.send(Reply(kind=ReplyKind.ACTION, intent=context.action, text=text))

    async def _reset_mfa(self, turn: FlowTurn, context: ActionContext) -> None:
        removed = await self._directory.reset_mfa(context.account)
        await self._record(context, outcome="success", details={"methods_removed": removed})
        await turn.send(
            Reply(
                kind=ReplyKind.ACTION,
                intent=context.action,
                text=turn.local(messages.MFA_RESET_DONE).format(count=removed),
            )
        )

    async def _failed(
        self, turn: FlowTurn, context: ActionContext, *, outcome: str, detail: str, template: str
    ) -> None:
        log.warning("action_failed", action=context.action, outcome=outcome)
        await self._record(context, outcome=outcome, details={"error": detail[:500]})
        await turn.hand_off(
            reason=f"self-service {context.action} for {context.requester} failed: {detail}",
            intent=context.action,
            confidence=None,
            template=template,
        )

    async def _record(
        self, context: ActionContext, *, outcome: str, details: dict[str, str | int | bool] | None = None
    ) -> None:
        await self._audit.record(
            AuditEntry(
                actor=context.requester,
                account=context.account.id,
                action=context.action,
                outcome=outcome,
                reason=context.reason,
                details={"assurance": context.assurance, **(details or {})},
            )
        )
